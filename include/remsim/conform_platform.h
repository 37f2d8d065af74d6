/* The platform suite: remsim plays terminals against a platform under test
 * and judges what it does (docs/conformance.md, "Certifying a platform").
 *
 * Cases are scripted conversations in Lua, one file per conversation in a
 * case directory (scenarios/conform/platform/ by default).  A file returns
 *
 *     return { cases = { "8/p-timecal-answer", "8/p-timecal-accuracy" },
 *              timeout_ms = 20000,            -- optional, else --timeout
 *              run = function() ... end }
 *
 * `cases` names the catalogue rows (conform.h) the file is responsible for;
 * the file runs when one of them applies to the profile (and, with --case,
 * is selected).  run() talks to the target through the API of
 * conformance/platform_lua.c (connect, send, recv, frame builders, corrupt,
 * oracle, pass/fail/na/skip) and the helpers of lib/platform.lua beside
 * the files.  Verdicts go into the caller's rs_conf_run; a declared case
 * the file said nothing about is skipped with that reason.
 *
 *     rs_platform_opts o; rs_platform_opts_init(&o);
 *     o.target = "127.0.0.1:9000"; rs_profile_init(&o.profile, RS_PROTO_GB17691);
 *     rs_conf_run *run = rs_conf_new(RS_ROLE_PLATFORM, &o.profile, &err);
 *     rs_platform_stats st;
 *     if (rs_platform_run(&o, run, &st, &err) != RS_OK) ...   // usage/environment
 *     // run is finished: verdicts set, views can be written
 *
 * Time: every case has a limit (--timeout); every wait inside a case stops
 * at it, and a case that reaches it fails with that reason. */
#ifndef REMSIM_CONFORM_PLATFORM_H
#define REMSIM_CONFORM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "remsim/conform.h"
#include "remsim/error.h"
#include "remsim/profile.h"
#include "remsim/tls.h"

#define RS_PLATFORM_MAX_ONLY 64

typedef struct rs_platform_opts {
    const char *target;              /* HOST:PORT of the platform under test */
    rs_profile profile;              /* protocol and tolerances (strict included) */
    unsigned timeout_ms;             /* per case (default 30000) */
    unsigned timecal_limit_ms;       /* a 0x05 answer arrives within this [U] (default 1000) */
    unsigned answer_wait_ms;         /* how long to wait for an answer that may never come (default 500) */
    const char *oracle;              /* command (JSON on stdin/stdout), or a .lua hook file; NULL none */
    unsigned oracle_timeout_ms;      /* per query (default 10000) */
    const char *vin_prefix;          /* WMI + VDS of the VINs made, 1..8 VIN characters (default "LRSPF") */
    unsigned storm;                  /* connections of the reconnect storm (default 100) */
    unsigned concurrency;            /* storm connections open at once (default 20) */
    unsigned slow_ms;                /* slow sender: ms between bytes (default 100) */
    bool national;                   /* the target is the MEE national platform (answers activation) */
    const char *plat_target;         /* forwarding-link receiver HOST:PORT (GB32960-shaped link) */
    const char *plat_start;          /* its start bytes: "##" (default) or "~~" */
    const char *plat_id;             /* platform unique code, <= 17 characters */
    const char *plat_user;           /* <= 12 */
    const char *plat_password;       /* <= 20 */
    const char *cases_dir;           /* NULL: $REMSIM_CASES, then found beside the binary or cwd */
    const char *argv0;               /* for finding the case directory beside the binary */
    const char *only[RS_PLATFORM_MAX_ONLY];   /* --case IDs (catalogue ids or file names) */
    unsigned n_only;
    uint64_t seed;                   /* SM2 keys of the HJ terminals played */
    rs_tls_opts tls;                 /* .enabled: TLS to the target */
    FILE *progress;                  /* a line per case as it ends (NULL: quiet) */
    bool verbose;                    /* log() lines of the scripts to progress */
} rs_platform_opts;

typedef struct rs_platform_stats {
    unsigned files;                  /* case files found */
    unsigned ran;                    /* files run */
    unsigned script_errors;          /* files that ended in a Lua error (not a verdict: a tool problem) */
    unsigned timeouts;               /* files stopped by their time limit */
    uint64_t connections;            /* TCP connections opened */
    char cases_dir[512];
} rs_platform_stats;

void rs_platform_opts_init(rs_platform_opts *o);

/* The case directory: o->cases_dir, $REMSIM_CASES, ./scenarios/conform/platform,
 * then scenarios/conform/platform above the binary's directory (up to four
 * levels: the build tree) and share/remsim/scenarios/... beside its bin/.
 * RS_E_IO when none holds a case file. */
rs_code rs_platform_find_cases(const rs_platform_opts *o, char *out, size_t cap, rs_err *err);

/* Prints one line per case file: its name, the cases it declares and
 * whether they apply under the profile. */
rs_code rs_platform_list(const rs_platform_opts *o, FILE *out, rs_err *err);

/* Runs every applicable (and selected) case file against o->target and
 * finishes run (rs_conf_finish).  Errors are about the run, not the
 * platform: RS_E_OPTION (bad option, --case naming nothing), RS_E_IO (no
 * case directory, the target cannot be reached at all). */
rs_code rs_platform_run(const rs_platform_opts *o, rs_conf_run *run, rs_platform_stats *st, rs_err *err);

#endif
