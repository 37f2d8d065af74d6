/* Bounded time series with epoch-anchored, power-of-two rows (series.h). */
#include "remsim/series.h"

#include <stdlib.h>
#include <string.h>

static const char *const columns[RS_SERIES_COLUMNS] = {
    "t", "seconds", "frames_tx", "bytes_tx", "frames_rx", "samples", "samples_dropped",
    "connections_failed", "connections_up", "reissue_backlog", "latency_n", "p99_latency_us",
};

static int64_t floor_to(int64_t t, int64_t span)
{
    int64_t q = t / span;
    if (t % span != 0 && t < 0)
        q--;
    return q * span;
}

rs_code rs_series_init(rs_series *s, uint32_t cap, rs_err *err)
{
    memset(s, 0, sizeof *s);
    if (cap == 0)
        cap = RS_SERIES_CAP;
    if (cap < RS_SERIES_MIN_CAP)   /* with times below 2^33 s, spans stay below 2^30 */
        cap = RS_SERIES_MIN_CAP;
    s->rows = calloc(cap, sizeof *s->rows);
    if (!s->rows)
        return rs_fail(err, RS_E_LIMIT, 0, "series", "memory for the time series", (long long)cap, 0,
                       RS_NUM_GOT_ONLY);
    s->cap = cap;
    s->span = 1;
    return RS_OK;
}

void rs_series_free(rs_series *s)
{
    free(s->rows);
    memset(s, 0, sizeof *s);
}

void rs_series_clear(rs_series *s)
{
    s->len = 0;
    s->span = 1;
    s->t0 = 0;
}

static void empty_row(rs_series_row *r, int64_t t)
{
    memset(r, 0, sizeof *r);
    r->t = t;
}

/* b follows a in time, inside a's cell. */
static void merge_in_time(rs_series_row *a, const rs_series_row *b)
{
    a->seconds += b->seconds;
    a->frames_tx += b->frames_tx;
    a->bytes_tx += b->bytes_tx;
    a->frames_rx += b->frames_rx;
    a->samples += b->samples;
    a->samples_dropped += b->samples_dropped;
    a->conn_failed += b->conn_failed;
    if (b->seconds)
        a->connections_up = b->connections_up;
    if (b->reissue_backlog > a->reissue_backlog)
        a->reissue_backlog = b->reissue_backlog;
    a->latency_n += b->latency_n;
    if (b->latency_n && b->p99_latency_us > a->p99_latency_us)
        a->p99_latency_us = b->p99_latency_us;
}

/* b is the same cell of another shard. */
static void merge_across(rs_series_row *a, const rs_series_row *b)
{
    if (b->seconds > a->seconds)
        a->seconds = b->seconds;
    a->frames_tx += b->frames_tx;
    a->bytes_tx += b->bytes_tx;
    a->frames_rx += b->frames_rx;
    a->samples += b->samples;
    a->samples_dropped += b->samples_dropped;
    a->conn_failed += b->conn_failed;
    a->connections_up += b->connections_up;
    a->reissue_backlog += b->reissue_backlog;
    a->latency_n += b->latency_n;
    if (b->latency_n && b->p99_latency_us > a->p99_latency_us)
        a->p99_latency_us = b->p99_latency_us;
}

/* Doubles the span, merging neighbours in place.  The new grid is anchored
 * at multiples of the new span, so the first new row may hold only the
 * second half. */
static void downsample(rs_series *s)
{
    int64_t span = (int64_t)s->span * 2;
    int64_t t0 = floor_to(s->t0, span);
    uint32_t out = 0;
    bool open = false;
    for (uint32_t i = 0; i < s->len; i++) {
        rs_series_row r = s->rows[i];   /* copy: rows[j] with j <= i is rewritten below */
        uint32_t j = (uint32_t)((r.t - t0) / span);
        if (!open || j != out - 1) {
            empty_row(&s->rows[j], t0 + (int64_t)j * span);
            out = j + 1;
            open = true;
        }
        merge_in_time(&s->rows[j], &r);
    }
    s->len = out;
    s->span = (uint32_t)span;
    s->t0 = t0;
}

static int64_t end_of(const rs_series *s) { return s->t0 + (int64_t)s->len * s->span; }

/* Makes [first, end) addressable: coarser rows until it fits the cap, then
 * rows moved so that rows[0] starts at or before first, gaps filled. */
static void make_room(rs_series *s, int64_t first, int64_t end)
{
    for (;;) {
        int64_t span = s->span;
        int64_t lo = floor_to(first, span), hi = floor_to(end - 1, span) + span;
        if (s->len) {
            if (s->t0 < lo)
                lo = s->t0;
            if (end_of(s) > hi)
                hi = end_of(s);
        }
        if ((hi - lo) / span <= (int64_t)s->cap) {
            if (s->len == 0) {
                s->t0 = lo;
            } else if (lo < s->t0) {
                uint32_t shift = (uint32_t)((s->t0 - lo) / span);
                memmove(s->rows + shift, s->rows, s->len * sizeof *s->rows);
                for (uint32_t i = 0; i < shift; i++)
                    empty_row(&s->rows[i], lo + (int64_t)i * span);
                s->len += shift;
                s->t0 = lo;
            }
            uint32_t n = (uint32_t)((hi - s->t0) / span);
            for (uint32_t i = s->len; i < n; i++)
                empty_row(&s->rows[i], s->t0 + (int64_t)i * span);
            if (n > s->len)
                s->len = n;
            return;
        }
        downsample(s);
    }
}

void rs_series_add(rs_series *s, const rs_series_row *row)
{
    if (!s->rows || row->t < 0 || row->t >= RS_SERIES_T_MAX)   /* not initialised (a failed read), or absurd */
        return;
    make_room(s, row->t, row->t + 1);
    uint32_t i = (uint32_t)((row->t - s->t0) / s->span);
    merge_in_time(&s->rows[i], row);
}

rs_code rs_series_merge(rs_series *dst, const rs_series *src, rs_err *err)
{
    if (src->len == 0)
        return RS_OK;
    if (!dst->rows)
        return rs_fail(err, RS_E_VALUE, 0, "series", "the destination series is initialised", 0, 0, RS_NUM_NONE);
    rs_series tmp;
    rs_code rc = rs_series_init(&tmp, src->len > 2 ? src->len : 2, err);
    if (rc != RS_OK)
        return rc;
    memcpy(tmp.rows, src->rows, src->len * sizeof *src->rows);
    tmp.len = src->len;
    tmp.span = src->span;
    tmp.t0 = src->t0;
    for (;;) {
        while (tmp.span < dst->span)
            downsample(&tmp);
        while (dst->span < tmp.span)
            downsample(dst);
        int64_t lo = tmp.t0, hi = end_of(&tmp);
        if (dst->len) {
            if (dst->t0 < lo)
                lo = dst->t0;
            if (end_of(dst) > hi)
                hi = end_of(dst);
        }
        if ((hi - lo) / dst->span <= (int64_t)dst->cap) {
            make_room(dst, lo, hi);
            break;
        }
        downsample(dst);
    }
    for (uint32_t i = 0; i < tmp.len; i++) {
        uint32_t k = (uint32_t)((tmp.rows[i].t - dst->t0) / dst->span);
        merge_across(&dst->rows[k], &tmp.rows[i]);
    }
    rs_series_free(&tmp);
    return RS_OK;
}

void rs_series_json(rs_json *j, const rs_series *s)
{
    rs_json_obj_begin(j);
    rs_json_kuint(j, "span_s", s->span);
    rs_json_key(j, "columns");
    rs_json_inline_next(j);
    rs_json_arr_begin(j);
    for (unsigned c = 0; c < RS_SERIES_COLUMNS; c++)
        rs_json_str(j, columns[c]);
    rs_json_arr_end(j);
    rs_json_key(j, "rows");
    rs_json_arr_begin(j);
    for (uint32_t i = 0; i < s->len; i++) {
        const rs_series_row *r = &s->rows[i];
        rs_json_inline_next(j);
        rs_json_arr_begin(j);
        rs_json_int(j, r->t);
        rs_json_uint(j, r->seconds);
        rs_json_uint(j, r->frames_tx);
        rs_json_uint(j, r->bytes_tx);
        rs_json_uint(j, r->frames_rx);
        rs_json_uint(j, r->samples);
        rs_json_uint(j, r->samples_dropped);
        rs_json_uint(j, r->conn_failed);
        rs_json_int(j, r->connections_up);
        rs_json_int(j, r->reissue_backlog);
        rs_json_uint(j, r->latency_n);
        rs_json_uint(j, r->p99_latency_us);
        rs_json_arr_end(j);
    }
    rs_json_arr_end(j);
    rs_json_obj_end(j);
}

static rs_code read_row(rs_series_row *r, const rs_jr_doc *d, uint32_t node, rs_err *err)
{
    static const char *const f = "series.rows";
    if (rs_jr_type_of(d, node) != RS_JR_ARRAY || rs_jr_count(d, node) != RS_SERIES_COLUMNS)
        return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, node), f, "a row is an array of the 12 columns", 0, 0,
                       RS_NUM_NONE);
    uint64_t u[RS_SERIES_COLUMNS];
    int64_t t = 0, up = 0, backlog = 0;
    uint32_t e = rs_jr_first(d, node);
    rs_code rc;
    for (unsigned c = 0; c < RS_SERIES_COLUMNS; c++, e = rs_jr_next(d, e)) {
        if (c == 0)
            rc = rs_jr_i64(d, e, f, &t, err);
        else if (c == 8)
            rc = rs_jr_i64(d, e, f, &up, err);
        else if (c == 9)
            rc = rs_jr_i64(d, e, f, &backlog, err);
        else
            rc = rs_jr_u64(d, e, f, &u[c], err);
        if (rc != RS_OK)
            return rc;
    }
    if (u[1] > UINT32_MAX)
        return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, node), f, "seconds fit 32 bits", 0, 0, RS_NUM_NONE);
    r->t = t;
    r->seconds = (uint32_t)u[1];
    r->frames_tx = u[2];
    r->bytes_tx = u[3];
    r->frames_rx = u[4];
    r->samples = u[5];
    r->samples_dropped = u[6];
    r->conn_failed = u[7];
    r->connections_up = up;
    r->reissue_backlog = backlog;
    r->latency_n = u[10];
    r->p99_latency_us = u[11];
    return RS_OK;
}

rs_code rs_series_from_json(rs_series *s, uint32_t cap, const rs_jr_doc *d, uint32_t node, rs_err *err)
{
    static const char *const f = "series";
    uint32_t v, cols, rows;
    uint64_t span;
    rs_code rc;
    memset(s, 0, sizeof *s);
    if (rs_jr_type_of(d, node) != RS_JR_OBJECT)
        return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, node), f, "the series is an object", 0, 0, RS_NUM_NONE);
    if ((rc = rs_jr_need(d, node, "span_s", RS_JR_NUMBER, "series.span_s", &v, err)) ||
        (rc = rs_jr_u64(d, v, "series.span_s", &span, err)) ||
        (rc = rs_jr_need(d, node, "columns", RS_JR_ARRAY, "series.columns", &cols, err)) ||
        (rc = rs_jr_need(d, node, "rows", RS_JR_ARRAY, "series.rows", &rows, err)))
        return rc;
    if (span == 0 || span > (UINT64_C(1) << 30) || (span & (span - 1)))
        return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, v), "series.span_s", "a power of two, 1 .. 2^30",
                       (long long)span, 0, RS_NUM_GOT_ONLY);
    bool cols_ok = rs_jr_count(d, cols) == RS_SERIES_COLUMNS;
    uint32_t c = rs_jr_first(d, cols);
    for (unsigned k = 0; cols_ok && k < RS_SERIES_COLUMNS; k++, c = rs_jr_next(d, c))
        cols_ok = rs_jr_str_eq(d, c, columns[k]);
    if (!cols_ok)
        return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, cols), "series.columns",
                       "the columns of this version, in order (docs/results.md)", 0, 0, RS_NUM_NONE);
    uint32_t n = rs_jr_count(d, rows);
    if ((rc = rs_series_init(s, n > cap ? n : cap, err)) != RS_OK)
        return rc;
    s->span = (uint32_t)span;
    uint32_t r = rs_jr_first(d, rows);
    for (uint32_t i = 0; i < n; i++, r = rs_jr_next(d, r)) {
        rs_series_row row;
        if ((rc = read_row(&row, d, r, err)) != RS_OK)
            return rc;
        if (row.t < 0 || row.t >= RS_SERIES_T_MAX)
            return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, r), "series.rows",
                           "t is a Unix time from 0 to 2^33 s", (long long)row.t, 0, RS_NUM_GOT_ONLY);
        if (i == 0) {
            if (floor_to(row.t, (int64_t)span) != row.t)
                return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, r), "series.rows",
                               "the first row starts at a multiple of span_s", (long long)row.t, 0, RS_NUM_GOT_ONLY);
            s->t0 = row.t;
        } else if (row.t != s->t0 + (int64_t)i * (int64_t)span) {
            return rs_fail(err, RS_E_SYNTAX, rs_jr_offset(d, r), "series.rows",
                           "rows are consecutive: t grows by span_s", (long long)row.t,
                           (long long)(s->t0 + (int64_t)i * (int64_t)span), RS_NUM_DEC);
        }
        s->rows[i] = row;
        s->len = i + 1;
    }
    return RS_OK;
}
