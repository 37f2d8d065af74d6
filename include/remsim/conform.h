/* Conformance: the case catalogue, verdicts with evidence, and the result
 * document of a conformance run (docs/conformance.md).
 *
 * Every check remsim makes for certification is a *case*: a row of the
 * catalogue with an id named after its spec section (h2spec style,
 * "3.1/bcc", "10/packet-interval"), a title, the clause of protocol.md, the
 * profiles and roles it applies to, a severity and one sentence saying what
 * it checks.  The catalogue is data (conformance/catalogue.c); `remsim
 * conform --list` prints it and docs/conformance.md carries the same table
 * (a unit test fails when they drift).
 *
 * Roles: what the run looks at.
 *   capture   a passive check of recorded traffic (`remsim check`)
 *   terminal  remsim plays vehicle and platform, a terminal is under test
 *   platform  remsim plays terminals, a platform is under test
 * The per-frame rules of protocol.md §13 apply in several roles.
 *
 * A run collects *findings* (one broken rule at one frame: a case, a
 * severity, a sentence, the frame as evidence) and *exercises* (a check was
 * made and passed).  rs_conf_finish() turns them into one verdict per case:
 *   fail            at least one finding of severity ERROR
 *   pass            checked at least once, no ERROR (WARN and INFO findings
 *                   are counted and shown: "pass, 3 warnings")
 *   not_applicable  the case does not apply: another profile or role, or the
 *                   input holds nothing it could look at (no logout frames)
 *   skipped         it applies but could not run: no key to verify a
 *                   signature, segment boundaries unknown in a frame log
 * Each verdict has a reason text.  --strict (rs_profile.strict) makes every
 * tolerated deviation an ERROR, so WARN cases fail too.
 *
 * Per VIN the run keeps frames seen, findings by severity and the cases
 * that failed for it.
 *
 * How a suite uses it (the platform and terminal suites, `remsim check`):
 *
 *     rs_conf_run *run = rs_conf_new(RS_ROLE_TERMINAL, &profile, &err);
 *     rs_conf_set_input(run, "listen 127.0.0.1:9000");   // what was tested
 *     rs_conf_set_command_line(run, argc, argv);
 *     ...
 *     rs_conf_exercise(run, RS_CASE_T_SERIALS, vin);      // a check passed
 *     rs_conf_ref ref; rs_conf_ref_frame(&ref, frame, len); ref.time_ms = t;
 *     rs_conf_fail(run, RS_CASE_T_SERIALS, RS_SEV_ERROR, vin, &ref,
 *                  "serial %u after %u: skipped %u", s, last, s - last - 1);
 *     rs_conf_skip(run, RS_CASE_T_SIGNATURE, "no key for the terminal (--keys DIR)");
 *     ...
 *     rs_conf_finish(run);                    // verdicts, end time, counts
 *     rs_conf_console(stdout, run, false, &err);   // summary last
 *     rs_conf_save(run, "conform.json", &err);
 *     rs_conf_junit / rs_conf_html ...
 *     int exit_code = rs_conf_exit_code(run);  // 1 when a case failed
 *     rs_conf_free(run);
 *
 * Cases the run's role or profile does not cover are not_applicable by
 * themselves; a case that applies but saw nothing is not_applicable with
 * "nothing in the input to check" unless the suite said otherwise. */
#ifndef REMSIM_CONFORM_H
#define REMSIM_CONFORM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "remsim/index.h"
#include "remsim/error.h"
#include "remsim/hist.h"
#include "remsim/json.h"
#include "remsim/profile.h"
#include "remsim/series.h"

/* --- the catalogue --- */

/* Roles (bits). */
enum {
    RS_ROLE_CAPTURE = 1u << 0,
    RS_ROLE_TERMINAL = 1u << 1,
    RS_ROLE_PLATFORM = 1u << 2,
    RS_ROLE_ALL = 7u
};

/* Profiles (bits, 1 << rs_proto). */
enum {
    RS_PROF_GB17691 = 1u << RS_PROTO_GB17691,
    RS_PROF_HJ1239 = 1u << RS_PROTO_HJ1239,
    RS_PROF_GB32960 = 1u << RS_PROTO_GB32960,
    RS_PROF_TERMINAL = RS_PROF_GB17691 | RS_PROF_HJ1239,
    RS_PROF_ALL = 7u
};

/* Every case, in catalogue order.  The id strings are in catalogue.c. */
typedef enum rs_case_id {
    /* per-frame rules (§13), from the codec's findings */
    RS_CASE_START = 0,        /* 3.1/start-bytes */
    RS_CASE_LENGTH,           /* 3.1/length */
    RS_CASE_BCC,              /* 3.1/bcc */
    RS_CASE_GARBAGE,          /* 3.5/garbage */
    RS_CASE_COALESCED,        /* 3.5/coalesced */
    RS_CASE_ENCRYPTION,       /* 3.4/encryption */
    RS_CASE_VIN,              /* 2.4/vin */
    RS_CASE_COMMAND,          /* 4/unknown-command */
    RS_CASE_TIME,             /* 2.2/time-calendar */
    RS_CASE_BODY,             /* 7/body-length */
    RS_CASE_INFO_TYPE,        /* 7.3/info-type */
    RS_CASE_RANGE,            /* 2.3/raw-range */
    RS_CASE_DTC,              /* 7.10/dtc-count */
    RS_CASE_TEXT,             /* 2.4/text-fields */
    RS_CASE_S6,               /* 7.1/s6-layout */
    RS_CASE_SIG_MISSING,      /* 9.1/sig-missing */
    RS_CASE_SIG_VERIFY,       /* 9.1/sig-verify */
    RS_CASE_SIG_UNEXPECTED,   /* 9.1/sig-unexpected */
    /* per-VIN sequence rules (§6, §10) */
    RS_CASE_LOGIN_SERIAL,     /* 6.1/login-serial */
    RS_CASE_SERIAL_RESET,     /* 10/serial-daily-reset */
    RS_CASE_LOGOUT_SERIAL,    /* 6.2/logout-serial */
    RS_CASE_SESSION,          /* 6/session */
    RS_CASE_REPORT_SERIAL,    /* 10/report-serial */
    RS_CASE_PACKET_INTERVAL,  /* 10/packet-interval */
    RS_CASE_TIME_ORDER,       /* 10/time-order */
    RS_CASE_SAMPLE_STEP,      /* 10/sample-step */
    RS_CASE_DUPLICATE,        /* 10/duplicate-sample */
    RS_CASE_TAMPER_SERIAL,    /* 9.4/tamper-serial */
    /* terminal suite (hardware in the loop) */
    RS_CASE_T_SAMPLING,       /* 10/t-sampling-1hz */
    RS_CASE_T_PACKET_PERIOD,  /* 10/t-packet-period */
    RS_CASE_T_SERIALS,        /* 10/t-serials */
    RS_CASE_T_LOGIN_LOGOUT,   /* 6/t-login-logout */
    RS_CASE_T_REISSUE,        /* 10/t-reissue */
    RS_CASE_T_SIGNATURE,      /* 9.1/t-signature */
    RS_CASE_T_ACTIVATION,     /* 9.2/t-activation */
    RS_CASE_T_VALUES,         /* 7.4/t-value-fidelity */
    RS_CASE_T_TIMECAL,        /* 8/t-timecal */
    /* platform suite */
    RS_CASE_P_LOGIN,          /* 6.1/p-login */
    RS_CASE_P_REPORTS,        /* 7/p-reports */
    RS_CASE_P_REISSUE,        /* 10/p-reissue */
    RS_CASE_P_STORED,         /* 7/p-stored */
    RS_CASE_P_ANSWER_CMD,     /* 5/p-answer-command */
    RS_CASE_P_TIMECAL_ANSWER, /* 8/p-timecal-answer */
    RS_CASE_P_TIMECAL_TRUE,   /* 8/p-timecal-accuracy */
    RS_CASE_P_ACTIVATION,     /* 9.3/p-activation-answer */
    RS_CASE_P_PLAT_LOGIN,     /* 12.3/p-platform-login */
    RS_CASE_P_KEEPS_CONN,     /* 6/p-keeps-connection */
    RS_CASE_P_BAD_BCC,        /* 3.1/p-bad-bcc */
    RS_CASE_P_BAD_LENGTH,     /* 3.1/p-bad-length */
    RS_CASE_P_SPLIT,          /* 3.5/p-split-frames */
    RS_CASE_P_COALESCED,      /* 3.5/p-coalesced-frames */
    RS_CASE_P_UNKNOWN_CMD,    /* 4/p-unknown-command */
    RS_CASE_P_GARBAGE,        /* 3.5/p-garbage */
    RS_CASE_P_SLOW_SENDER,    /* 3.5/p-slow-sender */
    RS_CASE_P_RECONNECT,      /* 10/p-reconnect-storm */
    RS_CASE_P_GOOD_SERVED,    /* 10/p-keeps-serving */
    RS_CASE_COUNT
} rs_case_id;

typedef struct rs_conf_case {
    const char *id;           /* "3.1/bcc": section, slash, short name */
    const char *title;        /* "BCC matches" */
    const char *clause;       /* "§3.1" (protocol.md) */
    unsigned profiles;        /* RS_PROF_* bits */
    unsigned roles;           /* RS_ROLE_* bits */
    rs_severity severity;     /* of a finding, before tolerances and --strict */
    const char *tolerance;    /* profile option that decides WARN vs ERROR, or NULL */
    const char *checks;       /* one sentence: what the case checks */
} rs_conf_case;

/* The whole table, RS_CASE_COUNT rows indexed by rs_case_id. */
const rs_conf_case *rs_conf_catalogue(void);
const rs_conf_case *rs_conf_case_get(rs_case_id id);
/* Index of an id string, or -1. */
int rs_conf_case_find(const char *id);
/* "capture", "terminal", "platform"; parse returns false on other words. */
const char *rs_conf_role_name(unsigned role_bit);
bool rs_conf_role_parse(const char *name, unsigned *role_bit);
/* "capture,terminal" for a mask; "gb17691,hj1239" for a profile mask. */
void rs_conf_roles_text(unsigned roles, char *buf, size_t cap);
void rs_conf_profiles_text(unsigned profiles, char *buf, size_t cap);
/* True when the case applies to the role (one bit) and profile. */
bool rs_conf_case_applies(const rs_conf_case *c, unsigned role_bit, rs_proto proto);

/* The catalogue as a JSON array, and as the markdown table of
 * docs/conformance.md (one row per case; role/profile 0 = all). */
void rs_conf_catalogue_json(rs_json *j, unsigned role_mask, unsigned prof_mask);
void rs_conf_catalogue_markdown(FILE *out, unsigned role_mask, unsigned prof_mask);

/* --- verdicts and evidence --- */

typedef enum rs_verdict {
    RS_VERDICT_PASS = 0,
    RS_VERDICT_FAIL,
    RS_VERDICT_NA,            /* not applicable */
    RS_VERDICT_SKIP,          /* skipped */
    RS_VERDICT_COUNT
} rs_verdict;
const char *rs_verdict_name(rs_verdict v);  /* "pass", "fail", "not_applicable", "skipped" */

#define RS_CONF_HEX_CAP 2048      /* frame bytes kept per piece of evidence */
#define RS_CONF_EVIDENCE_MAX 8    /* per case: the first findings, worst severity first */
#define RS_CONF_TEXT_MAX 320
#define RS_CONF_SOURCE_MAX 256
#define RS_CONF_MAX_INPUTS 32

/* Where a frame was found: enough to find it again. */
typedef struct rs_conf_ref {
    char source[RS_CONF_SOURCE_MAX];  /* file name, "tcp 10.0.0.7:40312 > 10.0.0.1:9000", "" */
    uint64_t line;                    /* 1-based line of a log or hex dump, 0 if none */
    uint64_t packet;                  /* 1-based packet number in a pcap, 0 if none */
    uint64_t offset;                  /* byte offset: in the stream (pcap) or frame (finding) */
    int64_t time_ms;                  /* receive time (Unix ms), 0 unknown */
    char vin[18];                     /* "" unknown */
    uint32_t frame_len;               /* bytes of the whole frame (may exceed n) */
    uint16_t n;                       /* bytes kept */
    uint8_t bytes[RS_CONF_HEX_CAP];
} rs_conf_ref;

/* Empty reference. */
void rs_conf_ref_init(rs_conf_ref *r);
/* Keeps the frame (capped), and the VIN from its header when printable. */
void rs_conf_ref_frame(rs_conf_ref *r, const rs_profile *p, const uint8_t *frame, size_t len);

typedef struct rs_conf_finding {
    uint8_t severity;                 /* rs_severity, after tolerances */
    char text[RS_CONF_TEXT_MAX];      /* what was wrong, with the numbers */
    rs_conf_ref ref;
} rs_conf_finding;

typedef struct rs_conf_case_result {
    rs_case_id id;
    rs_verdict verdict;
    bool applies;                     /* role and profile cover the case */
    bool skip_set, na_set;            /* a suite said skip / not applicable */
    char reason[RS_CONF_TEXT_MAX];    /* why: the first error, the skip or N/A reason, "checked N times" */
    uint64_t exercised;               /* checks made */
    uint64_t n_sev[3];                /* findings by rs_severity */
    uint64_t vins_failed;             /* VINs with an ERROR finding of this case */
    uint8_t n_evidence;
    rs_conf_finding *evidence;        /* RS_CONF_EVIDENCE_MAX, allocated with the run */
} rs_conf_case_result;

#define RS_CONF_VIN_CASE_WORDS ((RS_CASE_COUNT + 63) / 64)
typedef struct rs_conf_vin {
    char vin[18];
    uint64_t frames;
    uint64_t n_sev[3];
    uint64_t failed_cases[RS_CONF_VIN_CASE_WORDS];   /* bit per rs_case_id with an ERROR for this VIN */
    uint64_t warned_cases[RS_CONF_VIN_CASE_WORDS];   /* bit per case with a WARN */
    rs_verdict verdict;               /* fail when any ERROR, else pass */
} rs_conf_vin;

/* Traffic figures for the charts and the summary (a suite fills what it has). */
typedef struct rs_conf_traffic {
    uint64_t frames, bytes, frames_by_cmd[256];
    uint64_t downlink_frames;         /* platform -> terminal (answers) */
    uint64_t connections;
    rs_series series;                 /* frames per second (frames_tx column) by receive/frame time */
    rs_hist packet_interval;          /* µs between live packets of a VIN in a session */
    rs_hist answer_latency;           /* µs from a request to its answer */
} rs_conf_traffic;

typedef struct rs_conf_run {
    unsigned role;                    /* one RS_ROLE_* bit */
    rs_profile profile;               /* strict and tolerances as run */
    char tool_version[64];
    char command_line[2048];
    unsigned n_inputs;
    char inputs[RS_CONF_MAX_INPUTS][RS_CONF_SOURCE_MAX];
    int64_t start_ms, end_ms;
    bool finished;
    rs_conf_case_result cases[RS_CASE_COUNT];
    uint32_t n_vins, vins_cap;
    rs_conf_vin *vins;                /* in first-seen order */
    rs_index vin_ix;                  /* VIN -> vins[] (remsim/index.h) */
    uint64_t counts[RS_VERDICT_COUNT];   /* cases by verdict (after finish) */
    uint64_t vins_by_verdict[2];         /* pass, fail */
    rs_conf_traffic traffic;
    uint64_t findings_dropped;        /* findings beyond evidence (counted, not kept) */
} rs_conf_run;

/* A run for one role (RS_ROLE_*) under a profile (copied).  RS_E_LIMIT when
 * out of memory.  Start time: now. */
rs_conf_run *rs_conf_new(unsigned role, const rs_profile *p, rs_err *err);
void rs_conf_free(rs_conf_run *run);

void rs_conf_set_command_line(rs_conf_run *run, int argc, char **argv);
/* A file, a target address; false when RS_CONF_MAX_INPUTS are listed. */
bool rs_conf_add_input(rs_conf_run *run, const char *input);

/* The per-VIN record (created at first use); vin may be NULL or "" for no
 * VIN (returns NULL).  17 bytes or a NUL-terminated string. */
rs_conf_vin *rs_conf_vin_get(rs_conf_run *run, const char *vin);
/* Counts a frame for a VIN. */
void rs_conf_vin_frame(rs_conf_run *run, const char *vin);

/* A check was made (and, unless a finding follows, passed). */
void rs_conf_exercise(rs_conf_run *run, rs_case_id id, const char *vin);
/* A finding: severity as decided by the caller (rs_conf_severity() applies
 * the case's tolerance and --strict); ref may be NULL.  A finding is not an
 * exercise: count the check with rs_conf_exercise() as well (a WARN or INFO
 * finding alone still makes the case "pass" with warnings). */
void rs_conf_fail(rs_conf_run *run, rs_case_id id, rs_severity sev, const char *vin, const rs_conf_ref *ref,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void rs_conf_failv(rs_conf_run *run, rs_case_id id, rs_severity sev, const char *vin, const rs_conf_ref *ref,
                   const char *fmt, va_list ap);
/* The case could not run / does not apply here; the first reason stays.
 * A finding or an exercise later still decides the verdict. */
void rs_conf_skip(rs_conf_run *run, rs_case_id id, const char *reason);
void rs_conf_not_applicable(rs_conf_run *run, rs_case_id id, const char *reason);

/* A case's severity in this run: the catalogue's, ERROR under --strict for
 * every WARN case with a tolerance, and for sig-missing the profile's
 * sig_missing tolerance (reject: ERROR, accept: INFO). */
rs_severity rs_conf_severity(const rs_conf_run *run, rs_case_id id);

/* Verdicts, counts and the end time.  Idempotent. */
void rs_conf_finish(rs_conf_run *run);
/* 1 when a case failed, else 0 (after rs_conf_finish). */
int rs_conf_exit_code(const rs_conf_run *run);

/* --- views (conf_json.c, conf_junit.c, conf_console.c, conf_html.c) --- */

#define RS_CONF_FORMAT "remsim-conformance"
#define RS_CONF_VERSION 1

/* The result document (docs/conformance.md, "The result document"). */
void rs_conf_json(rs_json *j, const rs_conf_run *run);
/* Pretty JSON to path ("-": stdout). */
rs_code rs_conf_save(const rs_conf_run *run, const char *path, rs_err *err);
/* JUnit XML: one testcase per applicable case; failures with the reason,
 * skipped for skipped and not applicable (message says which). */
rs_code rs_conf_junit(FILE *out, const rs_conf_run *run, rs_err *err);
/* Console: one line per case (all: also passes and N/A; else only what
 * failed, warned or was skipped), per-VIN failures, the summary line last. */
rs_code rs_conf_console(FILE *out, const rs_conf_run *run, bool all, rs_err *err);
/* Self-contained HTML: counts, verdict table, per-case evidence (hex and
 * decoded fields), per-VIN table, charts.  No scripts, no network. */
rs_code rs_conf_html(FILE *out, const rs_conf_run *run, rs_err *err);

/* "12 passed, 1 failed, 30 not applicable, 2 skipped" */
void rs_conf_counts_text(const rs_conf_run *run, char *buf, size_t cap);

#endif
