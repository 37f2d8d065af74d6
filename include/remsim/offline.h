/* Offline runs: N virtual trucks in virtual time, no network.
 *
 * Each truck's terminal is connected to an in-process link the moment it
 * asks (unless a scenario network_down event holds the link down), and
 * every frame it sends is one line of the frame-log format (framelog.h),
 * with virtual time and the peer column "virtual":
 *     2026-01-01T00:00:01.000Z virtual LRSDS6C01F6822465 2323...
 * which `remsim decode` reads as it is and rs_framelog_parse() parses.
 * Lines are in time order.  At the end every terminal with its ignition on
 * is switched off, so the log ends with the logouts.
 *
 * Nothing answers, as a GB 17691 platform that sends no answers (§5): the
 * terminals' time calibration requests go unanswered. */
#ifndef REMSIM_OFFLINE_H
#define REMSIM_OFFLINE_H

#include <stdint.h>
#include <stdio.h>

#include "remsim/run_setup.h"
#include "remsim/term_keys.h"

#define RS_OFFLINE_PEER "virtual"   /* the peer column of offline frame lines */

typedef struct rs_offline_opts {
    uint32_t n;                  /* trucks */
    uint32_t duration_s;         /* 0: the scenario's drive cycle */
    uint64_t seed;               /* VINs and ICCIDs (ident.h); the scenario has its own seed */
    uint64_t first_index;        /* global index of the first truck (shards) */
    int64_t start_unix;          /* virtual time of second 0 */
    FILE *out;                   /* frame lines; NULL: none written (benchmarks) */
    rs_term_keys_opts keys;      /* HJ signing (term_keys.h): on by default */
} rs_offline_opts;

void rs_offline_opts_init(rs_offline_opts *o);

typedef struct rs_offline_result {
    uint64_t truck_seconds;      /* vehicle-seconds simulated */
    uint64_t frames, bytes;
    uint64_t frames_by_cmd[16];
    uint64_t samples;            /* samples the terminals accepted */
    uint64_t sent_live, sent_reissue, stored, dropped;
    uint64_t backlog;            /* samples still in the reissue stores at the end */
    uint64_t can_frames;         /* frames on the virtual buses */
    uint32_t stopped;            /* trucks a scenario error stopped */
    char first_error[256];       /* the first of those errors */
} rs_offline_result;

rs_code rs_offline_run(rs_run_setup *setup, const rs_offline_opts *o, rs_offline_result *r, rs_err *err);

#endif
