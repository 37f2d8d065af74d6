/* Thresholds for CI: --fail-if 'p99_latency_ms>500' --fail-if 'lost>0'.
 *
 * A threshold is "<metric><op><number>" with op one of > >= < <= == != and
 * optional spaces between the parts.  It names the condition that FAILS the
 * run (as in k6): 'lost>0' fails when anything was lost.
 *
 * Metric names (all listed in docs/results.md):
 *   every counter by its name (connections_attempted, frames_tx_login, ...)
 *   every gauge by its name (value at the end) and max_<gauge> (the peak)
 *   p50_ p90_ p99_ p999_ min_ max_ mean_ + a histogram's name with _ms or
 *     _us instead of its _us (p99_latency_timecal_ms, max_connect_us, ...)
 *   the same with plain 'latency' (p99_latency_ms): over every latency
 *     histogram merged (timecal, activation, echo)
 *   totals and rates: frames_tx bytes_tx frames_rx connections_failed
 *     samples_dropped lost duplicates vins_with_loss errors frames_per_s
 *     bytes_per_s samples_per_s duration_s
 * Statistics of an empty histogram have no value: such a threshold passes
 * and says "no data". */
#ifndef REMSIM_THRESHOLD_H
#define REMSIM_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "remsim/error.h"

struct rs_result;

#define RS_THRESHOLD_TEXT 128
#define RS_METRIC_NAME 64

typedef enum rs_cmp { RS_CMP_GT = 0, RS_CMP_GE, RS_CMP_LT, RS_CMP_LE, RS_CMP_EQ, RS_CMP_NE } rs_cmp;

typedef struct rs_threshold {
    char expr[RS_THRESHOLD_TEXT];    /* without spaces: "p99_latency_ms>500" */
    char metric[RS_METRIC_NAME];
    rs_cmp op;
    double limit;
} rs_threshold;

typedef struct rs_threshold_verdict {
    rs_threshold t;
    bool has_value;      /* false: the metric has no data (empty histogram) */
    double observed;
    bool failed;         /* observed <op> limit holds */
} rs_threshold_verdict;

/* Parses text.  RS_E_SYNTAX with the byte offset of the problem (a missing
 * metric name, operator or number, text after the number, ...);
 * RS_E_OPTION (offset of the name) when the name is not a known metric;
 * rs_metric_suggest() then lists close names. */
rs_code rs_threshold_parse(rs_threshold *t, const char *text, rs_err *err);

const char *rs_cmp_text(rs_cmp op);   /* ">", ">=", ... */

/* True when name is a metric a threshold may use. */
bool rs_metric_known(const char *name);

/* Up to five known names close to name (edit distance, or containing it),
 * comma separated, best first; "" when none.  Returns how many. */
unsigned rs_metric_suggest(const char *name, char *buf, size_t cap);

/* The i-th known name (i from 0) into buf, and when help is not NULL a
 * one-line meaning into help; false past the last. */
bool rs_metric_name_at(size_t i, char *buf, size_t cap, char *help, size_t hcap);

/* Value of a metric in a result.  False when unknown or without data. */
bool rs_metric_value(const struct rs_result *r, const char *name, double *out);

/* Evaluates t against r. */
void rs_threshold_eval(const rs_threshold *t, const struct rs_result *r, rs_threshold_verdict *v);

#endif
