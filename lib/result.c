/* The result document: building it on the coordinator, checks, merging
 * shards, thresholds (result.h).  JSON lives in result_json.c and
 * result_read.c. */
#include "remsim/result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef REMSIM_VERSION
#define REMSIM_VERSION "unknown"
#endif

const char *rs_lost_reason_name(unsigned reason)
{
    static const char *const names[RS_LOST_REASONS] = {
        [RS_DROP_STORE_OVERFLOW] = "store_overflow",
        [RS_DROP_IGNITION_OFF] = "ignition_off",
        [RS_DROP_ENCODE] = "encode",
        [RS_DROP_CONN_LOST_UNSENT] = "conn_lost_unsent",
        [RS_LOST_UNEXPLAINED] = "unexplained",
    };
    return reason < RS_LOST_REASONS ? names[reason] : "unknown";
}

/* Copies s into a fixed field, cut at a UTF-8 character boundary. */
static void set_text(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Appends one argument, quoted for a POSIX shell when it needs it. */
static size_t append_arg(char *out, size_t at, size_t cap, const char *a)
{
    bool plain = *a != '\0';
    for (const char *p = a; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p) != NULL;
    char buf[1024];
    size_t n = 0;
    if (plain) {
        n = (size_t)snprintf(buf, sizeof buf, "%s", a);
    } else {
        buf[n++] = '\'';
        for (const char *p = a; *p && n + 5 < sizeof buf; p++) {
            if (*p == '\'') {
                memcpy(buf + n, "'\\''", 4);
                n += 4;
            } else {
                buf[n++] = *p;
            }
        }
        buf[n++] = '\'';
        buf[n] = '\0';
    }
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    if (at + (at ? 1 : 0) + n >= cap)
        return (size_t)-1;
    if (at)
        out[at++] = ' ';
    memcpy(out + at, buf, n);
    out[at + n] = '\0';
    return at + n;
}

void rs_run_set_command_line(rs_run_info *run, int argc, char **argv)
{
    size_t cap = sizeof run->command_line, at = 0;
    run->command_line[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t next = append_arg(run->command_line, at, cap - 4, argv[i]);
        if (next == (size_t)-1) {
            memcpy(run->command_line + at, "...", 4);
            return;
        }
        at = next;
    }
}

bool rs_run_add_addr(rs_run_info *run, const char *addr)
{
    for (uint32_t i = 0; i < run->n_addrs; i++)
        if (!strcmp(run->addrs[i], addr))
            return true;
    if (run->n_addrs >= RS_RESULT_MAX_ADDRS)
        return false;
    set_text(run->addrs[run->n_addrs++], sizeof run->addrs[0], addr);
    return true;
}

/* a is listed before b: more lost, then more duplicates, then VIN order. */
static bool worse(const rs_check_vin *a, const rs_check_vin *b)
{
    if (a->lost != b->lost)
        return a->lost > b->lost;
    if (a->duplicates != b->duplicates)
        return a->duplicates > b->duplicates;
    return strcmp(a->vin, b->vin) < 0;
}

/* Keeps the RS_CHECKS_LISTED worst VINs in order. */
static void list_vin(rs_checks *c, const rs_check_vin *v)
{
    uint32_t n = c->n_listed;
    if (n == RS_CHECKS_LISTED) {
        if (!worse(v, &c->listed[n - 1]))
            return;
        n--;
    }
    uint32_t i = n;
    while (i > 0 && worse(v, &c->listed[i - 1])) {
        c->listed[i] = c->listed[i - 1];
        i--;
    }
    c->listed[i] = *v;
    c->n_listed = n + 1;
}

void rs_checks_add(rs_checks *c, const char *vin, uint64_t generated, uint64_t received,
                   const uint64_t dropped[RS_DROP_COUNT])
{
    rs_check_vin v;
    memset(&v, 0, sizeof v);
    set_text(v.vin, sizeof v.vin, vin ? vin : "");
    v.generated = generated;
    v.received = received;
    v.lost = generated > received ? generated - received : 0;
    v.duplicates = received > generated ? received - generated : 0;
    uint64_t rest = v.lost;
    for (unsigned k = 0; k < RS_DROP_COUNT && dropped; k++) {
        uint64_t take = dropped[k] < rest ? dropped[k] : rest;
        v.lost_by[k] = take;
        rest -= take;
    }
    v.lost_by[RS_LOST_UNEXPLAINED] = rest;

    c->ran = true;
    c->vins++;
    c->generated += generated;
    c->received += received;
    c->lost += v.lost;
    c->duplicates += v.duplicates;
    for (unsigned k = 0; k < RS_LOST_REASONS; k++)
        c->lost_by[k] += v.lost_by[k];
    if (v.lost)
        c->vins_with_loss++;
    if (v.duplicates)
        c->vins_with_duplicates++;
    if (v.lost || v.duplicates)
        list_vin(c, &v);
}

void rs_checks_merge(rs_checks *dst, const rs_checks *src)
{
    dst->ran = dst->ran || src->ran;
    dst->vins += src->vins;
    dst->vins_with_loss += src->vins_with_loss;
    dst->vins_with_duplicates += src->vins_with_duplicates;
    dst->generated += src->generated;
    dst->received += src->received;
    dst->lost += src->lost;
    dst->duplicates += src->duplicates;
    for (unsigned k = 0; k < RS_LOST_REASONS; k++)
        dst->lost_by[k] += src->lost_by[k];
    for (uint32_t i = 0; i < src->n_listed; i++)
        list_vin(dst, &src->listed[i]);
}

rs_code rs_result_init(rs_result *r, uint32_t series_cap, rs_err *err)
{
    memset(r, 0, sizeof *r);
    set_text(r->run.tool_version, sizeof r->run.tool_version, REMSIM_VERSION);
    r->run.shards = 1;
    return rs_series_init(&r->series, series_cap, err);
}

void rs_result_free(rs_result *r)
{
    rs_series_free(&r->series);
}

void rs_result_tick(rs_result *r, int64_t t, const rs_metrics *total)
{
    rs_metrics delta;
    if (!rs_metrics_diff(&delta, total, &r->prev)) {
        /* The total went down (a worker restarted): nothing is known about
         * this second's counts; the gauges still are. */
        rs_metrics_init(&delta);
        memcpy(delta.gauge, total->gauge, sizeof delta.gauge);
    }
    rs_hist lat;
    rs_metrics_latency(&delta, &lat);
    rs_series_row row = {
        .t = t,
        .seconds = 1,
        .frames_tx = rs_metrics_frames_tx(&delta),
        .bytes_tx = rs_metrics_bytes_tx(&delta),
        .frames_rx = rs_metrics_frames_rx(&delta),
        .samples = delta.counter[RS_C_SAMPLES_GENERATED],
        .samples_dropped = rs_metrics_drops(&delta),
        .conn_failed = rs_metrics_conn_failures(&delta),
        .connections_up = total->gauge[RS_G_CONNECTIONS_UP],
        .reissue_backlog = total->gauge[RS_G_REISSUE_BACKLOG],
        .latency_n = lat.count,
        .p99_latency_us = 0,
    };
    if (lat.count) {
        /* The bucket top, not clamped to this second's max: tops of
         * buckets merge as bounds (series.h). */
        unsigned b = rs_hist_percentile_index(&lat, 99);
        row.p99_latency_us = b == RS_HIST_OVERFLOW ? RS_HIST_LIMIT : rs_hist_hi(b);
    }
    rs_series_add(&r->series, &row);
    for (unsigned g = 0; g < RS_G_COUNT; g++)
        if (total->gauge[g] > r->gauge_max[g])
            r->gauge_max[g] = total->gauge[g];
    r->metrics = *total;
    r->prev = *total;
}

static void merge_run(rs_run_info *d, const rs_run_info *s)
{
    if (!d->tool_version[0])
        memcpy(d->tool_version, s->tool_version, sizeof d->tool_version);
    if (!d->command_line[0])
        memcpy(d->command_line, s->command_line, sizeof d->command_line);
    if (!d->scenario[0])
        memcpy(d->scenario, s->scenario, sizeof d->scenario);
    if (!d->endpoint[0])
        memcpy(d->endpoint, s->endpoint, sizeof d->endpoint);
    if (!d->profile[0])
        memcpy(d->profile, s->profile, sizeof d->profile);
    d->shard[0] = '\0';   /* the sum is no longer one shard */
    d->shards += s->shards;
    d->terminals += s->terminals;
    d->workers += s->workers;
    if (!d->seed)
        d->seed = s->seed;
    if (s->start_ms && (!d->start_ms || s->start_ms < d->start_ms))
        d->start_ms = s->start_ms;
    if (s->end_ms > d->end_ms)
        d->end_ms = s->end_ms;
    for (uint32_t i = 0; i < s->n_addrs; i++)
        rs_run_add_addr(d, s->addrs[i]);
}

rs_code rs_result_merge(rs_result *dst, const rs_result *src, rs_err *err)
{
    if (dst->run.profile[0] && src->run.profile[0] && strcmp(dst->run.profile, src->run.profile) != 0)
        return rs_fail(err, RS_E_VALUE, 0, "run.profile", "shards of one run use the same profile", 0, 0,
                       RS_NUM_NONE);
    rs_code rc = rs_series_merge(&dst->series, &src->series, err);
    if (rc != RS_OK)
        return rc;
    merge_run(&dst->run, &src->run);
    rs_metrics_merge(&dst->metrics, &src->metrics);
    for (unsigned g = 0; g < RS_G_COUNT; g++)
        dst->gauge_max[g] += src->gauge_max[g];
    rs_checks_merge(&dst->checks, &src->checks);
    for (uint32_t i = 0; i < src->n_thresholds; i++) {
        uint32_t k = 0;
        while (k < dst->n_thresholds && strcmp(dst->thresholds[k].t.expr, src->thresholds[i].t.expr) != 0)
            k++;
        if (k == dst->n_thresholds && k < RS_RESULT_MAX_THRESHOLDS) {
            dst->thresholds[k].t = src->thresholds[i].t;
            dst->n_thresholds++;
        }
    }
    rs_result_reevaluate(dst);
    return RS_OK;
}

rs_code rs_result_evaluate(rs_result *r, const rs_threshold *t, unsigned n, rs_err *err)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t k = 0;
        while (k < r->n_thresholds && strcmp(r->thresholds[k].t.expr, t[i].expr) != 0)
            k++;
        if (k == r->n_thresholds) {
            if (k >= RS_RESULT_MAX_THRESHOLDS)
                return rs_fail(err, RS_E_LIMIT, 0, "thresholds", "at most RS_RESULT_MAX_THRESHOLDS thresholds",
                               (long long)k + 1, RS_RESULT_MAX_THRESHOLDS, RS_NUM_DEC);
            r->n_thresholds++;
        }
        rs_threshold_eval(&t[i], r, &r->thresholds[k]);
    }
    return RS_OK;
}

void rs_result_reevaluate(rs_result *r)
{
    for (uint32_t i = 0; i < r->n_thresholds; i++) {
        rs_threshold t = r->thresholds[i].t;
        rs_threshold_eval(&t, r, &r->thresholds[i]);
    }
}

unsigned rs_result_failed_thresholds(const rs_result *r)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < r->n_thresholds; i++)
        n += r->thresholds[i].failed;
    return n;
}

bool rs_result_failed(const rs_result *r)
{
    return rs_result_failed_thresholds(r) > 0 || rs_checks_failed(&r->checks);
}

double rs_result_duration_s(const rs_result *r)
{
    return r->run.end_ms > r->run.start_ms ? (double)(r->run.end_ms - r->run.start_ms) / 1000.0 : 0.0;
}
