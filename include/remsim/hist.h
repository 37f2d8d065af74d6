/* Duration histograms with fixed log-linear buckets.
 *
 * Values are microseconds (latencies, connect time, TLS handshake).  The
 * layout is the same everywhere, fixed at compile time, so merging two
 * histograms is adding arrays: exact across worker processes and across
 * the result files of sharded runs.
 *
 * Layout (like HdrHistogram): values 0..15 µs have a bucket each; above,
 * every power of two [2^e, 2^(e+1)) is cut into RS_HIST_SUB (16) equal
 * sub-buckets of width 2^(e-4).  So 0..31 µs are exact and any bucket is at
 * most 1/16 of its lower bound wide.  Buckets reach 2^32 - 1 µs (71 min 35 s);
 * larger values land in one overflow bucket (count kept, max exact).
 *
 * Percentiles report the highest value of the bucket that holds the
 * requested rank, clamped to the exact min and max.  The result is never
 * below the true value and at most RS_HIST_REL_ERROR (1/16 = 6.25 %) above
 * it, so a "p99 < limit" check never passes because of rounding.
 *
 * rs_hist is plain data (no pointers): a worker can write it down a pipe as
 * bytes and the reader uses it as it is (same build on both ends).  All
 * zero bytes is an empty histogram. */
#ifndef REMSIM_HIST_H
#define REMSIM_HIST_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/json.h"
#include "remsim/json_read.h"

#define RS_HIST_SUB_BITS 4
#define RS_HIST_SUB (1u << RS_HIST_SUB_BITS)        /* linear sub-buckets per power of two */
#define RS_HIST_TOP_BITS 32                          /* bucketed values are below 2^32 µs */
#define RS_HIST_LIMIT (UINT64_C(1) << RS_HIST_TOP_BITS)
#define RS_HIST_BUCKETS (RS_HIST_SUB + (RS_HIST_TOP_BITS - RS_HIST_SUB_BITS) * RS_HIST_SUB) /* 464 */
#define RS_HIST_OVERFLOW RS_HIST_BUCKETS             /* index of the overflow bucket */
#define RS_HIST_REL_ERROR (1.0 / RS_HIST_SUB)

typedef struct rs_hist {
    uint64_t count;                        /* values recorded, overflow included */
    uint64_t sum;                          /* of the values in µs; saturates at UINT64_MAX */
    uint64_t min, max;                     /* exact; 0 while empty */
    uint64_t bucket[RS_HIST_BUCKETS + 1];  /* the last one is the overflow bucket */
} rs_hist;

void rs_hist_init(rs_hist *h);    /* empty; the same as rs_hist_clear */
void rs_hist_clear(rs_hist *h);

void rs_hist_record(rs_hist *h, uint64_t us);
void rs_hist_record_n(rs_hist *h, uint64_t us, uint64_t n);   /* n equal values */

/* dst += src, exactly. */
void rs_hist_merge(rs_hist *dst, const rs_hist *src);

/* out = cur - prev, for a worker that sends cumulative histograms: the
 * values recorded between the two.  Buckets, count and sum are exact; min
 * and max are the tightest bounds the buckets give (within the bucket, and
 * inside cur's min..max).  Returns false (and leaves out empty) when prev
 * is not an earlier state of cur (some bucket went down). */
bool rs_hist_diff(rs_hist *out, const rs_hist *cur, const rs_hist *prev);

static inline uint64_t rs_hist_count(const rs_hist *h) { return h->count; }
static inline uint64_t rs_hist_min(const rs_hist *h) { return h->min; }
static inline uint64_t rs_hist_max(const rs_hist *h) { return h->max; }
double rs_hist_mean(const rs_hist *h);          /* exact (sum / count); 0 when empty */

/* Value at percentile q (0..100): the highest value of the bucket holding
 * the value of rank ceil(q/100 * count), clamped to [min, max]; q <= 0 gives
 * min, q >= 100 gives max; 0 when empty. */
uint64_t rs_hist_percentile(const rs_hist *h, double q);

/* The index of the bucket holding the value of rank ceil(q/100 * count)
 * (0 when empty).  Its top, rs_hist_hi(), is a bound that merges well:
 * the p-th bucket of a union is never above the largest of the parts'. */
unsigned rs_hist_percentile_index(const rs_hist *h, double q);

/* The bucket a value falls in, and a bucket's inclusive bounds (the
 * overflow bucket: RS_HIST_LIMIT .. UINT64_MAX). */
unsigned rs_hist_index(uint64_t us);
uint64_t rs_hist_lo(unsigned index);
uint64_t rs_hist_hi(unsigned index);

/* JSON object: count, sum_us, min_us, max_us, mean_us, p50_us, p90_us,
 * p99_us, p999_us, sub_buckets, buckets (only non-empty ones, as
 * [lo_us, hi_us, count], ascending) and overflow.  docs/results.md. */
void rs_hist_json(rs_json *j, const rs_hist *h);

/* Reads what rs_hist_json wrote (the derived mean and percentiles are
 * ignored, the rest is checked: bucket bounds must be those of this layout,
 * ascending, counts must add up, min and max must lie in the first and last
 * bucket).  'field' names the histogram in errors. */
rs_code rs_hist_from_json(rs_hist *h, const rs_jr_doc *d, uint32_t node, const char *field, rs_err *err);

#endif
