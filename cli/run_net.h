/* remsim run: arguments shared by the offline and network modes, and the
 * network mode (cmd_run.c parses; run_net.c runs the fleet). */
#ifndef REMSIM_CLI_RUN_NET_H
#define REMSIM_CLI_RUN_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/fleet.h"
#include "remsim/offline.h"
#include "remsim/result.h"
#include "cli/run_tls.h"

#define RUN_MAX_OPTS 66

/* getopt codes of long options without a short letter. */
enum { OPT_KEYS = 300, OPT_KEYGEN, OPT_UNSIGNED, OPT_NATIONAL };

typedef struct run_args {
    const char *scenario;
    bool offline_mode, quiet, start_given, net_option_given;
    const char *outpath;                     /* offline: frame lines */
    rs_offline_opts offline;                 /* n, duration, seed, start (shared with the network mode) */
    rs_scn_opts scn;
    char profile_kv[64];
    const char *opts[RUN_MAX_OPTS];
    size_t n_opts;
    /* network mode */
    rs_fleet_opts fleet;
    bool target_given;
    const char *results_dir;
    const char *frame_log;
    const char *vins_csv;                    /* --vins FILE: per-VIN accounts */
    int answers;                             /* rs_answer_mode, -1: default */
    unsigned endpoint_workers;
    rs_threshold thresholds[RS_RESULT_MAX_THRESHOLDS];
    unsigned n_thresholds;
    run_tls tls;                             /* --tls (run_tls.c) */
} run_args;

void run_args_init(run_args *a);
/* A network option (getopt code c): RS_EXIT_OK, RS_EXIT_USAGE (printed),
 * or -1 when c is not one. */
int run_net_option(run_args *a, int c, const char *arg);
int run_network(run_args *a, int argc, char **argv);

bool parse_duration(const char *s, uint32_t *out);
bool parse_u64(const char *s, uint64_t max, uint64_t *out);
int fail_usage(const char *fmt, ...);

#endif
