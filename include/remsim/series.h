/* The run's time series: one row per second of selected totals, bounded.
 *
 * The coordinator adds one row per second.  Memory is fixed when the
 * series is made: at most 'cap' rows (RS_SERIES_CAP = 3600 by default,
 * about 330 KB).  When a row would not fit, neighbours are merged in
 * pairs and the span of a row doubles (1 s, 2 s, 4 s, ...), so any run
 * length fits: a 24 h run ends with 2700 rows of 32 s.
 *
 * Rows sit on a grid anchored at the Unix epoch: a row of span S starts at
 * a multiple of S.  Two series (shards of one run) therefore line up
 * exactly once brought to the same span, and rs_series_merge() adds them
 * cell by cell.
 *
 * Merging rules, per column:
 *   counts (frames, bytes, samples, ...)   summed: exact
 *   seconds                                in time: summed; across shards: the larger
 *   connections_up                         in time: the last second with data; across shards: summed
 *   reissue_backlog                        the largest second in the row; across shards: summed
 *                                          (an upper bound of the true largest sum)
 *   p99_latency_us                         the largest per-second p99 in the row; across shards:
 *                                          the larger (an upper bound of the p99 of the union) */
#ifndef REMSIM_SERIES_H
#define REMSIM_SERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/json.h"
#include "remsim/json_read.h"

#define RS_SERIES_CAP 3600
#define RS_SERIES_MIN_CAP 16
#define RS_SERIES_T_MAX (INT64_C(1) << 33)   /* rows are for Unix times 0 .. 2^33 s (year 2242) */
#define RS_SERIES_COLUMNS 12

typedef struct rs_series_row {
    int64_t t;                /* Unix seconds at the start of the row, a multiple of the span */
    uint32_t seconds;         /* seconds of data in the row (0: a gap) */
    uint64_t frames_tx;       /* all commands */
    uint64_t bytes_tx;
    uint64_t frames_rx;
    uint64_t samples;         /* samples_generated */
    uint64_t samples_dropped; /* every drop reason */
    uint64_t conn_failed;     /* every failure reason */
    int64_t connections_up;   /* at the row's last second with data */
    int64_t reissue_backlog;  /* largest in the row */
    uint64_t latency_n;       /* latency values recorded in the row */
    uint64_t p99_latency_us;  /* largest per-second p99 of all latency histograms, as the top of its
                                 bucket (at most 6.25 % above; 4294967296: beyond the buckets);
                                 0 when latency_n is 0 */
} rs_series_row;

typedef struct rs_series {
    rs_series_row *rows;      /* cap rows, allocated by rs_series_init */
    uint32_t cap;
    uint32_t len;             /* rows in use: rows[i].t = t0 + i * span */
    uint32_t span;            /* seconds per row, a power of two */
    int64_t t0;
} rs_series;

/* cap rows (at least RS_SERIES_MIN_CAP); 0 means RS_SERIES_CAP.  RS_E_LIMIT
 * when out of memory. */
rs_code rs_series_init(rs_series *s, uint32_t cap, rs_err *err);
void rs_series_free(rs_series *s);
void rs_series_clear(rs_series *s);   /* no rows, span 1; keeps the memory */

/* Adds one second of data: row->t is the second, row->seconds should be 1.
 * Seconds are expected in order; a second already covered is merged into
 * its row (counts add up).  A time outside 0 .. RS_SERIES_T_MAX is ignored. */
void rs_series_add(rs_series *s, const rs_series_row *row);

/* dst += src, src being another shard of the same run: both are brought
 * to the larger span (and further if the union does not fit dst's cap),
 * then added cell by cell.  RS_E_LIMIT when out of memory. */
rs_code rs_series_merge(rs_series *dst, const rs_series *src, rs_err *err);

/* Per-second rate of a count over the row's seconds of data (0 for a gap). */
static inline double rs_series_rate(const rs_series_row *r, uint64_t count)
{
    return r->seconds ? (double)count / (double)r->seconds : 0.0;
}

/* JSON: {"span_s": S, "columns": [...], "rows": [[t, seconds, ...], ...]},
 * columns in the order of rs_series_row (docs/results.md). */
void rs_series_json(rs_json *j, const rs_series *s);

/* Reads what rs_series_json wrote into a new series of at least
 * max(cap, rows) rows (call rs_series_free after, whatever the result).
 * Checks the columns, the span (a power of two) and that rows are
 * consecutive cells of the grid. */
rs_code rs_series_from_json(rs_series *s, uint32_t cap, const rs_jr_doc *d, uint32_t node, rs_err *err);

#endif
