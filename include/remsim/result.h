/* The result document: everything a run produced, in one JSON file.
 *
 * It holds the run information, the merged metrics (counters, gauges with
 * their peak, histograms), the time series, the per-VIN checks and the
 * threshold verdicts.  The console summary, JUnit XML and the HTML report
 * (report.h) are views of it; `remsim report` re-reads a saved one, and
 * `remsim report merge` adds the results of the shards of a run exactly.
 * docs/results.md describes every field.
 *
 * How the fleet fills it:
 *   rs_result_init(&r, 0, &err);             fill r.run (rs_run_* helpers)
 *   each second:  rs_result_tick(&r, now_s, &total);   total = merge of the
 *                 workers' latest cumulative snapshots (metrics.h)
 *   per VIN:      rs_checks_add(&r.checks, vin, generated, received, dropped)
 *   at the end:   r.run.end_ms = ...; rs_result_tick() once more;
 *                 rs_result_evaluate(&r, thresholds, n);
 *                 rs_result_save(&r, path, &err); rs_result_free(&r);
 * rs_result is large (about 60 KB plus the series): allocate it. */
#ifndef REMSIM_RESULT_H
#define REMSIM_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/json.h"
#include "remsim/metrics.h"
#include "remsim/series.h"
#include "remsim/threshold.h"

#define RS_RESULT_FORMAT "remsim-result"
#define RS_RESULT_VERSION 1
#define RS_RESULT_MAX_ADDRS 64
#define RS_RESULT_MAX_THRESHOLDS 32
#define RS_CHECKS_LISTED 50
/* Reading: files up to this size, and at most this many JSON nodes. */
#define RS_RESULT_MAX_BYTES (256u << 20)
#define RS_RESULT_MAX_NODES (8u << 20)

/* Why samples were lost: the drop reasons of metrics.h, then the part no
 * reported drop explains (sent, or still queued, but never received). */
#define RS_LOST_UNEXPLAINED RS_DROP_COUNT
#define RS_LOST_REASONS (RS_DROP_COUNT + 1)
const char *rs_lost_reason_name(unsigned reason);   /* "store_overflow", ..., "unexplained" */

typedef struct rs_run_info {
    char tool_version[64];
    char command_line[2048];
    char scenario[256];
    char profile[32];
    char endpoint[256];
    char shard[32];            /* "K/N" for a shard of a larger run, else "" */
    uint32_t shards;           /* result files in this one: 1 for a run, more after a merge */
    uint64_t terminals;
    uint32_t workers;
    uint64_t seed;
    int64_t start_ms;          /* Unix time, milliseconds */
    int64_t end_ms;
    uint32_t n_addrs;
    char addrs[RS_RESULT_MAX_ADDRS][64];   /* local source addresses used */
} rs_run_info;

/* The command line, arguments quoted for a POSIX shell where needed
 * (truncated, marked with "...", when longer than the field). */
void rs_run_set_command_line(rs_run_info *run, int argc, char **argv);
/* Adds a source address unless already listed; false when the list is full. */
bool rs_run_add_addr(rs_run_info *run, const char *addr);

/* The per-VIN comparison: what each terminal generated against what the
 * endpoint received. */
typedef struct rs_check_vin {
    char vin[18];
    uint64_t generated, received;
    uint64_t lost;             /* generated - received, when positive */
    uint64_t duplicates;       /* received - generated, when positive */
    uint64_t lost_by[RS_LOST_REASONS];
} rs_check_vin;

typedef struct rs_checks {
    bool ran;                  /* false: no comparison was made (not_run) */
    uint64_t vins, vins_with_loss, vins_with_duplicates;
    uint64_t generated, received, lost, duplicates;
    uint64_t lost_by[RS_LOST_REASONS];
    uint32_t n_listed;         /* the worst VINs: most lost, then most duplicates, then VIN */
    rs_check_vin listed[RS_CHECKS_LISTED];
} rs_checks;

/* One VIN's numbers.  dropped[] (may be NULL) are the terminal's own drop
 * counts by reason; they explain the loss up to its size, the rest is
 * 'unexplained'.  Sets ran. */
void rs_checks_add(rs_checks *c, const char *vin, uint64_t generated, uint64_t received,
                   const uint64_t dropped[RS_DROP_COUNT]);
void rs_checks_merge(rs_checks *dst, const rs_checks *src);
/* Fails when any sample was lost.  Duplicates are reported, not failed
 * (a reissue after a lost echo legitimately repeats samples). */
static inline bool rs_checks_failed(const rs_checks *c) { return c->ran && c->lost > 0; }

typedef struct rs_result {
    rs_run_info run;
    rs_metrics metrics;               /* totals at the last tick */
    int64_t gauge_max[RS_G_COUNT];    /* the largest value a tick saw */
    rs_series series;
    rs_checks checks;
    uint32_t n_thresholds;
    rs_threshold_verdict thresholds[RS_RESULT_MAX_THRESHOLDS];
    rs_metrics prev;                  /* the coordinator's previous total (not written) */
} rs_result;

/* series_cap: rows of the time series, 0 for RS_SERIES_CAP.  RS_E_LIMIT when
 * out of memory.  Sets format defaults: shards 1, tool_version. */
rs_code rs_result_init(rs_result *r, uint32_t series_cap, rs_err *err);
void rs_result_free(rs_result *r);

/* One second on the coordinator: total is the run's cumulative snapshot.
 * Adds a series row for second t (Unix seconds) from the difference to the
 * previous total, updates the gauge peaks and the totals. */
void rs_result_tick(rs_result *r, int64_t t, const rs_metrics *total);

/* dst += src for two shards of one run: counters and histograms add
 * exactly, gauges add (peaks add: an upper bound), series cells add,
 * checks add, run info combines (start: earliest, end: latest, terminals
 * and workers summed, addresses joined, shards summed); profiles must be
 * the same (RS_E_VALUE otherwise).  Thresholds of both are re-evaluated on
 * the sum. */
rs_code rs_result_merge(rs_result *dst, const rs_result *src, rs_err *err);

/* Evaluates the thresholds and stores the verdicts after those already
 * there (a threshold with the same text replaces its earlier verdict).
 * RS_E_LIMIT beyond RS_RESULT_MAX_THRESHOLDS. */
rs_code rs_result_evaluate(rs_result *r, const rs_threshold *t, unsigned n, rs_err *err);
/* Evaluates the stored thresholds again (after a merge). */
void rs_result_reevaluate(rs_result *r);

unsigned rs_result_failed_thresholds(const rs_result *r);
/* Failed: a threshold failed or the per-VIN check failed. */
bool rs_result_failed(const rs_result *r);
double rs_result_duration_s(const rs_result *r);

/* The whole document as JSON (pretty: indented). */
void rs_result_json(rs_json *j, const rs_result *r);
/* Writes it to path ("-": stdout), pretty, ending in a newline. */
rs_code rs_result_save(const rs_result *r, const char *path, rs_err *err);

/* Reads a document (r must be initialised; its contents are replaced).
 * Errors name the byte offset, the field and the rule. */
rs_code rs_result_parse(rs_result *r, const char *text, size_t len, rs_err *err);
/* Reads a file (at most RS_RESULT_MAX_BYTES). */
rs_code rs_result_load(rs_result *r, const char *path, rs_err *err);

#endif
