/* The result document as JSON (result.h; fields in docs/results.md).
 *
 * Values marked "derived" in the docs (verdicts, summary, texts of times,
 * percentiles) are computed here from the stored ones and ignored by the
 * reader, so write -> read -> write gives the same bytes. */
#include "remsim/result.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The summary: derived metrics people look for first. */
static const char *const summary_names[] = {
    "frames_tx", "bytes_tx", "frames_rx", "frames_per_s", "bytes_per_s", "samples_per_s",
    "connections_failed", "samples_dropped", "lost", "duplicates", "errors",
    "p50_latency_ms", "p99_latency_ms", "max_latency_ms",
};

static void time_text(rs_json *j, const char *key, int64_t ms)
{
    char buf[40];
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&s, &tm)) {
        rs_json_key(j, key);
        rs_json_null(j);
        return;
    }
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
    rs_json_kstr(j, key, buf);
}

static void write_run(rs_json *j, const rs_result *r)
{
    const rs_run_info *run = &r->run;
    rs_json_key(j, "run");
    rs_json_obj_begin(j);
    rs_json_kstr(j, "tool_version", run->tool_version);
    rs_json_kstr(j, "command_line", run->command_line);
    rs_json_kstr(j, "scenario", run->scenario);
    rs_json_kstr(j, "profile", run->profile);
    rs_json_kstr(j, "endpoint", run->endpoint);
    rs_json_kuint(j, "terminals", run->terminals);
    rs_json_kuint(j, "workers", run->workers);
    rs_json_key(j, "source_addresses");
    rs_json_inline_next(j);
    rs_json_arr_begin(j);
    for (uint32_t i = 0; i < run->n_addrs; i++)
        rs_json_str(j, run->addrs[i]);
    rs_json_arr_end(j);
    rs_json_kstr(j, "shard", run->shard);
    rs_json_kuint(j, "shards", run->shards);
    rs_json_kuint(j, "seed", run->seed);
    rs_json_kint(j, "start_ms", run->start_ms);
    rs_json_kint(j, "end_ms", run->end_ms);
    time_text(j, "start", run->start_ms);
    time_text(j, "end", run->end_ms);
    rs_json_kdouble(j, "duration_s", rs_result_duration_s(r), 3);
    rs_json_obj_end(j);
}

static void write_summary(rs_json *j, const rs_result *r)
{
    rs_json_key(j, "summary");
    rs_json_obj_begin(j);
    for (size_t i = 0; i < sizeof summary_names / sizeof summary_names[0]; i++) {
        double v;
        rs_json_key(j, summary_names[i]);
        if (rs_metric_value(r, summary_names[i], &v))
            rs_json_double(j, v, 3);
        else
            rs_json_null(j);
    }
    rs_json_obj_end(j);
}

static void write_metrics(rs_json *j, const rs_result *r)
{
    rs_json_key(j, "counters");
    rs_json_obj_begin(j);
    for (unsigned i = 0; i < RS_C_COUNT; i++)
        rs_json_kuint(j, rs_counter_desc[i].name, r->metrics.counter[i]);
    rs_json_obj_end(j);
    rs_json_key(j, "gauges");
    rs_json_obj_begin(j);
    for (unsigned i = 0; i < RS_G_COUNT; i++) {
        rs_json_key(j, rs_gauge_desc[i].name);
        rs_json_obj_begin(j);
        rs_json_kint(j, "last", r->metrics.gauge[i]);
        rs_json_kint(j, "max", r->gauge_max[i]);
        rs_json_obj_end(j);
    }
    rs_json_obj_end(j);
    rs_json_key(j, "histograms");
    rs_json_obj_begin(j);
    for (unsigned i = 0; i < RS_H_COUNT; i++) {
        rs_json_key(j, rs_hist_desc[i].name);
        rs_hist_json(j, &r->metrics.hist[i]);
    }
    rs_json_obj_end(j);
}

static void lost_by(rs_json *j, const uint64_t *v)
{
    rs_json_key(j, "lost_by");
    rs_json_obj_begin(j);
    for (unsigned k = 0; k < RS_LOST_REASONS; k++)
        rs_json_kuint(j, rs_lost_reason_name(k), v[k]);
    rs_json_obj_end(j);
}

static void write_checks(rs_json *j, const rs_checks *c)
{
    rs_json_key(j, "checks");
    rs_json_obj_begin(j);
    rs_json_kstr(j, "verdict", !c->ran ? "not_run" : rs_checks_failed(c) ? "fail" : "pass");
    rs_json_kbool(j, "ran", c->ran);
    rs_json_kuint(j, "vins", c->vins);
    rs_json_kuint(j, "vins_with_loss", c->vins_with_loss);
    rs_json_kuint(j, "vins_with_duplicates", c->vins_with_duplicates);
    rs_json_kuint(j, "generated", c->generated);
    rs_json_kuint(j, "received", c->received);
    rs_json_kuint(j, "lost", c->lost);
    rs_json_kuint(j, "duplicates", c->duplicates);
    lost_by(j, c->lost_by);
    rs_json_kuint(j, "listed_max", RS_CHECKS_LISTED);
    rs_json_key(j, "listed");
    rs_json_arr_begin(j);
    for (uint32_t i = 0; i < c->n_listed; i++) {
        const rs_check_vin *v = &c->listed[i];
        rs_json_obj_begin(j);
        rs_json_kstr(j, "vin", v->vin);
        rs_json_kuint(j, "generated", v->generated);
        rs_json_kuint(j, "received", v->received);
        rs_json_kuint(j, "lost", v->lost);
        rs_json_kuint(j, "duplicates", v->duplicates);
        lost_by(j, v->lost_by);
        rs_json_obj_end(j);
    }
    rs_json_arr_end(j);
    rs_json_obj_end(j);
}

static void write_thresholds(rs_json *j, const rs_result *r)
{
    rs_json_key(j, "thresholds");
    rs_json_arr_begin(j);
    for (uint32_t i = 0; i < r->n_thresholds; i++) {
        const rs_threshold_verdict *v = &r->thresholds[i];
        rs_json_obj_begin(j);
        rs_json_kstr(j, "expr", v->t.expr);
        rs_json_kstr(j, "metric", v->t.metric);
        rs_json_kstr(j, "op", rs_cmp_text(v->t.op));
        rs_json_kdouble(j, "limit", v->t.limit, 6);
        rs_json_key(j, "observed");
        if (v->has_value)
            rs_json_double(j, v->observed, 6);
        else
            rs_json_null(j);
        rs_json_kstr(j, "verdict", !v->has_value ? "no_data" : v->failed ? "fail" : "pass");
        rs_json_obj_end(j);
    }
    rs_json_arr_end(j);
}

void rs_result_json(rs_json *j, const rs_result *r)
{
    rs_json_obj_begin(j);
    rs_json_kstr(j, "format", RS_RESULT_FORMAT);
    rs_json_kuint(j, "version", RS_RESULT_VERSION);
    rs_json_kstr(j, "verdict", rs_result_failed(r) ? "fail" : "pass");
    write_run(j, r);
    write_summary(j, r);
    write_metrics(j, r);
    rs_json_key(j, "series");
    rs_series_json(j, &r->series);
    write_checks(j, &r->checks);
    write_thresholds(j, r);
    rs_json_obj_end(j);
}

rs_code rs_result_save(const rs_result *r, const char *path, rs_err *err)
{
    bool std = !strcmp(path, "-");
    FILE *f = std ? stdout : fopen(path, "w");
    if (!f)
        return rs_fail(err, RS_E_IO, 0, "file", "the result file can be created", errno, 0, RS_NUM_GOT_ONLY);
    rs_json j;
    rs_json_init_file(&j, f, true);
    rs_result_json(&j, r);
    rs_json_newline(&j);
    rs_code rc = rs_json_status(&j, err);
    if (!std && fclose(f) != 0 && rc == RS_OK)
        rc = rs_fail(err, RS_E_IO, 0, "file", "the result file is written completely", errno, 0, RS_NUM_GOT_ONLY);
    return rc;
}
