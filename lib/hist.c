/* Log-linear duration histograms (hist.h). */
#include "remsim/hist.h"

#include <math.h>
#include <string.h>

void rs_hist_init(rs_hist *h) { memset(h, 0, sizeof *h); }
void rs_hist_clear(rs_hist *h) { memset(h, 0, sizeof *h); }

static unsigned top_bit(uint64_t v)
{
    unsigned e = 0;
    while (v >>= 1)
        e++;
    return e;
}

unsigned rs_hist_index(uint64_t us)
{
    if (us < RS_HIST_SUB)
        return (unsigned)us;
    if (us >= RS_HIST_LIMIT)
        return RS_HIST_OVERFLOW;
    unsigned e = top_bit(us);   /* 4..31 */
    unsigned sub = (unsigned)(us >> (e - RS_HIST_SUB_BITS)) & (RS_HIST_SUB - 1);
    return RS_HIST_SUB + (e - RS_HIST_SUB_BITS) * RS_HIST_SUB + sub;
}

uint64_t rs_hist_lo(unsigned i)
{
    if (i < RS_HIST_SUB)
        return i;
    if (i >= RS_HIST_OVERFLOW)
        return RS_HIST_LIMIT;
    unsigned e = (i - RS_HIST_SUB) / RS_HIST_SUB + RS_HIST_SUB_BITS;
    uint64_t sub = (i - RS_HIST_SUB) % RS_HIST_SUB;
    return (RS_HIST_SUB + sub) << (e - RS_HIST_SUB_BITS);
}

uint64_t rs_hist_hi(unsigned i)
{
    if (i < RS_HIST_SUB)
        return i;
    if (i >= RS_HIST_OVERFLOW)
        return UINT64_MAX;
    unsigned e = (i - RS_HIST_SUB) / RS_HIST_SUB + RS_HIST_SUB_BITS;
    return rs_hist_lo(i) + (UINT64_C(1) << (e - RS_HIST_SUB_BITS)) - 1;
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void rs_hist_record_n(rs_hist *h, uint64_t us, uint64_t n)
{
    if (n == 0)
        return;
    if (h->count == 0 || us < h->min)
        h->min = us;
    if (h->count == 0 || us > h->max)
        h->max = us;
    h->count = sat_add(h->count, n);
    h->bucket[rs_hist_index(us)] += n;
    uint64_t add = (us != 0 && n > UINT64_MAX / us) ? UINT64_MAX : us * n;
    h->sum = sat_add(h->sum, add);
}

void rs_hist_record(rs_hist *h, uint64_t us) { rs_hist_record_n(h, us, 1); }

void rs_hist_merge(rs_hist *dst, const rs_hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->count == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->count = sat_add(dst->count, src->count);
    dst->sum = sat_add(dst->sum, src->sum);
    for (unsigned i = 0; i <= RS_HIST_OVERFLOW; i++)
        dst->bucket[i] += src->bucket[i];
}

bool rs_hist_diff(rs_hist *out, const rs_hist *cur, const rs_hist *prev)
{
    rs_hist d;
    memset(&d, 0, sizeof d);
    if (cur->count < prev->count || cur->sum < prev->sum) {
        *out = d;
        return false;
    }
    unsigned first = RS_HIST_OVERFLOW + 1, last = 0;
    for (unsigned i = 0; i <= RS_HIST_OVERFLOW; i++) {
        if (cur->bucket[i] < prev->bucket[i]) {
            memset(out, 0, sizeof *out);
            return false;
        }
        d.bucket[i] = cur->bucket[i] - prev->bucket[i];
        if (d.bucket[i]) {
            if (first > RS_HIST_OVERFLOW)
                first = i;
            last = i;
        }
    }
    d.count = cur->count - prev->count;
    d.sum = cur->sum - prev->sum;
    if (d.count) {
        uint64_t lo = rs_hist_lo(first), hi = rs_hist_hi(last);
        d.min = lo > cur->min ? lo : cur->min;
        d.max = hi < cur->max ? hi : cur->max;
    }
    *out = d;
    return true;
}

double rs_hist_mean(const rs_hist *h) { return h->count ? (double)h->sum / (double)h->count : 0.0; }

unsigned rs_hist_percentile_index(const rs_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    double r = q > 0 ? ceil(q / 100.0 * (double)h->count) : 1;   /* NaN: 1 */
    uint64_t rank = r < 1 ? 1 : r >= (double)h->count ? h->count : (uint64_t)r;
    uint64_t seen = 0;
    for (unsigned i = 0; i <= RS_HIST_OVERFLOW; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            return i;
    }
    return RS_HIST_OVERFLOW;
}

uint64_t rs_hist_percentile(const rs_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0))   /* also NaN */
        return h->min;
    if (q >= 100)
        return h->max;
    uint64_t v = rs_hist_hi(rs_hist_percentile_index(h, q));
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

void rs_hist_json(rs_json *j, const rs_hist *h)
{
    rs_json_obj_begin(j);
    rs_json_kuint(j, "count", h->count);
    rs_json_kuint(j, "sum_us", h->sum);
    rs_json_kuint(j, "min_us", h->min);
    rs_json_kuint(j, "max_us", h->max);
    rs_json_kdouble(j, "mean_us", rs_hist_mean(h), 1);
    rs_json_kuint(j, "p50_us", rs_hist_percentile(h, 50));
    rs_json_kuint(j, "p90_us", rs_hist_percentile(h, 90));
    rs_json_kuint(j, "p99_us", rs_hist_percentile(h, 99));
    rs_json_kuint(j, "p999_us", rs_hist_percentile(h, 99.9));
    rs_json_kuint(j, "sub_buckets", RS_HIST_SUB);
    rs_json_key(j, "buckets");
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < RS_HIST_OVERFLOW; i++) {
        if (!h->bucket[i])
            continue;
        rs_json_inline_next(j);
        rs_json_arr_begin(j);
        rs_json_uint(j, rs_hist_lo(i));
        rs_json_uint(j, rs_hist_hi(i));
        rs_json_uint(j, h->bucket[i]);
        rs_json_arr_end(j);
    }
    rs_json_arr_end(j);
    rs_json_kuint(j, "overflow", h->bucket[RS_HIST_OVERFLOW]);
    rs_json_obj_end(j);
}

static rs_code bad(const rs_jr_doc *d, uint32_t node, const char *field, const char *rule, long long got,
                   long long want, int numbers, rs_err *err)
{
    return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, node), field, rule, got, want, numbers);
}

rs_code rs_hist_from_json(rs_hist *h, const rs_jr_doc *d, uint32_t node, const char *field, rs_err *err)
{
    rs_code rc;
    uint32_t v, arr;
    uint64_t count, sum, min, max, sub, over;
    rs_hist_clear(h);
    if (rs_jr_type_of(d, node) != RS_JR_OBJECT)
        return bad(d, node, field, "a histogram is an object (docs/results.md)", 0, 0, RS_NUM_NONE, err);
    if ((rc = rs_jr_need(d, node, "count", RS_JR_NUMBER, field, &v, err)) ||
        (rc = rs_jr_u64(d, v, field, &count, err)) ||
        (rc = rs_jr_need(d, node, "sum_us", RS_JR_NUMBER, field, &v, err)) ||
        (rc = rs_jr_u64(d, v, field, &sum, err)) ||
        (rc = rs_jr_need(d, node, "min_us", RS_JR_NUMBER, field, &v, err)) ||
        (rc = rs_jr_u64(d, v, field, &min, err)) ||
        (rc = rs_jr_need(d, node, "max_us", RS_JR_NUMBER, field, &v, err)) ||
        (rc = rs_jr_u64(d, v, field, &max, err)) ||
        (rc = rs_jr_need(d, node, "sub_buckets", RS_JR_NUMBER, field, &v, err)) ||
        (rc = rs_jr_u64(d, v, field, &sub, err)) ||
        (rc = rs_jr_need(d, node, "overflow", RS_JR_NUMBER, field, &v, err)) ||
        (rc = rs_jr_u64(d, v, field, &over, err)) ||
        (rc = rs_jr_need(d, node, "buckets", RS_JR_ARRAY, field, &arr, err)))
        return rc;
    if (sub != RS_HIST_SUB)
        return bad(d, node, field, "sub_buckets is this build's RS_HIST_SUB (same bucket layout)", (long long)sub,
                   RS_HIST_SUB, RS_NUM_DEC, err);
    uint64_t total = over;
    unsigned prev = 0, first = RS_HIST_OVERFLOW, last = 0;
    bool any = false;
    uint32_t b = rs_jr_first(d, arr);
    for (uint32_t k = 0; k < rs_jr_count(d, arr); k++, b = rs_jr_next(d, b)) {
        uint64_t lo, hi, n;
        if (rs_jr_type_of(d, b) != RS_JR_ARRAY || rs_jr_count(d, b) != 3)
            return bad(d, b, field, "a bucket is [lo_us, hi_us, count]", 0, 0, RS_NUM_NONE, err);
        uint32_t e = rs_jr_first(d, b);
        if ((rc = rs_jr_u64(d, e, field, &lo, err)) || (rc = rs_jr_u64(d, rs_jr_next(d, e), field, &hi, err)) ||
            (rc = rs_jr_u64(d, rs_jr_next(d, rs_jr_next(d, e)), field, &n, err)))
            return rc;
        unsigned i = rs_hist_index(lo);
        if (i == RS_HIST_OVERFLOW || rs_hist_lo(i) != lo || rs_hist_hi(i) != hi)
            return bad(d, b, field, "bucket bounds are those of the fixed layout (hist.h)", (long long)lo,
                       (long long)rs_hist_lo(i), RS_NUM_DEC, err);
        if (any && i <= prev)
            return bad(d, b, field, "buckets are ascending, each listed once", 0, 0, RS_NUM_NONE, err);
        if (n == 0)
            return bad(d, b, field, "only non-empty buckets are listed", 0, 0, RS_NUM_NONE, err);
        if (!any)
            first = i;
        last = i;
        any = true;
        prev = i;
        h->bucket[i] = n;
        if (total > UINT64_MAX - n)
            return bad(d, b, field, "bucket counts add up to count", 0, 0, RS_NUM_NONE, err);
        total += n;
    }
    h->bucket[RS_HIST_OVERFLOW] = over;
    if (over) {
        if (!any)
            first = RS_HIST_OVERFLOW;
        last = RS_HIST_OVERFLOW;
    }
    if (total != count)
        return bad(d, node, field, "bucket counts (with overflow) add up to count", (long long)total,
                   (long long)count, RS_NUM_DEC, err);
    if (count == 0) {
        if (min || max || sum)
            return bad(d, node, field, "an empty histogram has min, max and sum 0", 0, 0, RS_NUM_NONE, err);
    } else if (min < rs_hist_lo(first) || min > rs_hist_hi(first) || max < rs_hist_lo(last) ||
               max > rs_hist_hi(last) || min > max) {
        return bad(d, node, field, "min lies in the first non-empty bucket and max in the last", (long long)min,
                   (long long)max, RS_NUM_DEC, err);
    }
    h->count = count;
    h->sum = sum;
    h->min = min;
    h->max = max;
    return RS_OK;
}
