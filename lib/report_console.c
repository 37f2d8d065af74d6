/* The console summary (report.h): sections of aligned columns, the one
 * line verdict last. */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "remsim/human.h"
#include "remsim/report.h"
#include "report_internal.h"

/* Console text comes from the document: keep it on one line and free of
 * terminal escapes. */
static void plain(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7F ? '?' : *p, f);
}

static void utc(char *buf, size_t cap, int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&s, &tm))
        snprintf(buf, cap, "-");
    else
        strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void header(FILE *f, const rs_result *r)
{
    const rs_run_info *run = &r->run;
    char a[40], b[40], d[40];
    fputs("remsim run", f);
    if (run->profile[0]) {
        fputs("  profile ", f);
        plain(f, run->profile);
    }
    if (run->scenario[0]) {
        fputs("  scenario ", f);
        plain(f, run->scenario);
    }
    fputc('\n', f);
    fprintf(f, "  %llu terminals, %u workers", (unsigned long long)run->terminals, run->workers);
    if (run->endpoint[0]) {
        fputs(", endpoint ", f);
        plain(f, run->endpoint);
    }
    fprintf(f, ", seed %llu", (unsigned long long)run->seed);
    if (run->shard[0]) {
        fputs(", shard ", f);
        plain(f, run->shard);
    }
    if (run->shards > 1)
        fprintf(f, ", %u shards merged", run->shards);
    fputc('\n', f);
    if (run->n_addrs) {
        fputs("  source addresses:", f);
        for (uint32_t i = 0; i < run->n_addrs; i++) {
            fputc(' ', f);
            plain(f, run->addrs[i]);
        }
        fputc('\n', f);
    }
    utc(a, sizeof a, run->start_ms);
    utc(b, sizeof b, run->end_ms);
    fprintf(f, "  %s .. %s (%s)\n", a, b, rs_human_us(d, sizeof d, rs_result_duration_s(r) * 1e6));
}

static void connections(FILE *f, const rs_result *r)
{
    const rs_metrics *m = &r->metrics;
    fprintf(f, "\nconnections\n");
    fprintf(f, "  %-24s %12llu\n", "attempted", (unsigned long long)m->counter[RS_C_CONNECTIONS_ATTEMPTED]);
    fprintf(f, "  %-24s %12lld   peak %lld\n", "up at end", (long long)m->gauge[RS_G_CONNECTIONS_UP],
            (long long)r->gauge_max[RS_G_CONNECTIONS_UP]);
    fprintf(f, "  %-24s %12llu", "failed", (unsigned long long)rs_metrics_conn_failures(m));
    bool first = true;
    for (unsigned k = 0; k < RS_CONN_FAIL_COUNT; k++) {
        uint64_t n = m->counter[RS_C_CONN_FAILED + k];
        if (!n)
            continue;
        /* "connections_failed_refused" -> "refused" */
        fprintf(f, "%s%s %llu", first ? "   (" : ", ", rs_counter_desc[RS_C_CONN_FAILED + k].name + 19,
                (unsigned long long)n);
        first = false;
    }
    fputs(first ? "\n" : ")\n", f);
    fprintf(f, "  %-24s %12llu\n", "reconnects", (unsigned long long)m->counter[RS_C_RECONNECTS]);
}

static void frames(FILE *f, const rs_result *r)
{
    const rs_metrics *m = &r->metrics;
    char b[32];
    fprintf(f, "\n%-22s %12s %12s %12s\n", "frames", "sent", "bytes sent", "answers");
    for (unsigned c = 1; c <= RS_METRIC_CMDS; c++) {
        uint64_t tx = m->counter[RS_C_FRAMES_TX + c - 1], rx = m->counter[RS_C_FRAMES_RX + c - 1];
        if (!tx && !rx)
            continue;
        fprintf(f, "  0x%02X %-15s %12llu %12s %12llu\n", c, rs_metric_cmd_name(c), (unsigned long long)tx,
                rs_human_bytes(b, sizeof b, (double)m->counter[RS_C_BYTES_TX + c - 1]), (unsigned long long)rx);
    }
    fprintf(f, "  %-20s %12llu %12s %12llu\n", "total", (unsigned long long)rs_metrics_frames_tx(m),
            rs_human_bytes(b, sizeof b, (double)rs_metrics_bytes_tx(m)), (unsigned long long)rs_metrics_frames_rx(m));
    fprintf(f, "  %-20s %12s %12s %12s\n", "bytes received", "", "",
            rs_human_bytes(b, sizeof b, (double)m->counter[RS_C_BYTES_RX]));
}

static void samples(FILE *f, const rs_result *r)
{
    const rs_metrics *m = &r->metrics;
    fprintf(f, "\nsamples\n");
    fprintf(f, "  %-24s %12llu\n", "generated", (unsigned long long)m->counter[RS_C_SAMPLES_GENERATED]);
    fprintf(f, "  %-24s %12llu\n", "sent live", (unsigned long long)m->counter[RS_C_SAMPLES_LIVE]);
    fprintf(f, "  %-24s %12llu\n", "reissued", (unsigned long long)m->counter[RS_C_SAMPLES_REISSUED]);
    fprintf(f, "  %-24s %12llu", "dropped", (unsigned long long)rs_metrics_drops(m));
    bool first = true;
    for (unsigned k = 0; k < RS_DROP_COUNT; k++) {
        uint64_t n = m->counter[RS_C_SAMPLES_DROPPED + k];
        if (!n)
            continue;
        fprintf(f, "%s%s %llu", first ? "   (" : ", ", rs_lost_reason_name(k), (unsigned long long)n);
        first = false;
    }
    fputs(first ? "\n" : ")\n", f);
    fprintf(f, "  %-24s %12lld   peak %lld\n", "reissue backlog at end", (long long)m->gauge[RS_G_REISSUE_BACKLOG],
            (long long)r->gauge_max[RS_G_REISSUE_BACKLOG]);
    fprintf(f, "  %-24s %12lld   peak %lld\n", "terminals at end", (long long)m->gauge[RS_G_TERMINALS],
            (long long)r->gauge_max[RS_G_TERMINALS]);
    fprintf(f, "  %-24s %12llu\n", "terminals stopped", (unsigned long long)m->counter[RS_C_TERMINALS_STOPPED]);
}

static void hist_row(FILE *f, const char *name, const rs_hist *h)
{
    char v[6][24];
    if (!h->count) {
        fprintf(f, "  %-22s %10s   no data\n", name, "0");
        return;
    }
    rs_human_us(v[0], sizeof v[0], (double)h->min);
    rs_human_us(v[1], sizeof v[1], (double)rs_hist_percentile(h, 50));
    rs_human_us(v[2], sizeof v[2], (double)rs_hist_percentile(h, 90));
    rs_human_us(v[3], sizeof v[3], (double)rs_hist_percentile(h, 99));
    rs_human_us(v[4], sizeof v[4], (double)h->max);
    rs_human_us(v[5], sizeof v[5], rs_hist_mean(h));
    fprintf(f, "  %-22s %10llu %11s %11s %11s %11s %11s %11s\n", name, (unsigned long long)h->count, v[0], v[1],
            v[2], v[3], v[4], v[5]);
}

static void latency(FILE *f, const rs_result *r)
{
    fprintf(f, "\n%-24s %10s %11s %11s %11s %11s %11s %11s\n", "durations", "count", "min", "p50", "p90", "p99",
            "max", "mean");
    for (unsigned i = 0; i < RS_H_COUNT; i++)
        hist_row(f, rs_hist_desc[i].name, &r->metrics.hist[i]);
    rs_hist all;
    rs_metrics_latency(&r->metrics, &all);
    hist_row(f, "all latencies", &all);
    fprintf(f, "  (percentiles are bucket tops: at most %.2f %% above the true value)\n", RS_HIST_REL_ERROR * 100);
}

static void checks(FILE *f, const rs_result *r)
{
    const rs_checks *c = &r->checks;
    char t[256];
    fprintf(f, "\nper-VIN check\n");
    if (!c->ran) {
        fprintf(f, "  not run (no comparison of generated and received samples)\n");
        return;
    }
    rs_report_lost_text(c, t, sizeof t);
    fprintf(f, "  %-4s  %llu of %llu VINs lost samples; generated %llu, received %llu, %s, duplicates %llu\n",
            rs_checks_failed(c) ? "FAIL" : "PASS", (unsigned long long)c->vins_with_loss, (unsigned long long)c->vins,
            (unsigned long long)c->generated, (unsigned long long)c->received, t, (unsigned long long)c->duplicates);
    for (uint32_t i = 0; i < c->n_listed && i < 10; i++) {
        const rs_check_vin *v = &c->listed[i];
        fputs("        ", f);
        plain(f, v->vin);
        fprintf(f, "  generated %llu, received %llu, lost %llu, duplicates %llu\n", (unsigned long long)v->generated,
                (unsigned long long)v->received, (unsigned long long)v->lost, (unsigned long long)v->duplicates);
    }
    if (c->n_listed > 10 || c->vins_with_loss + c->vins_with_duplicates > c->n_listed)
        fprintf(f, "        ... the result document lists the %u worst\n", c->n_listed);
}

static void thresholds(FILE *f, const rs_result *r)
{
    if (!r->n_thresholds)
        return;
    fprintf(f, "\nthresholds (--fail-if)\n");
    for (uint32_t i = 0; i < r->n_thresholds; i++) {
        const rs_threshold_verdict *v = &r->thresholds[i];
        char obs[64];
        rs_report_observed(v, obs, sizeof obs);
        fprintf(f, "  %-7s  %-40s observed %s\n", !v->has_value ? "NO DATA" : v->failed ? "FAIL" : "PASS", v->t.expr,
                obs);
    }
}

rs_code rs_report_console(FILE *f, const rs_result *r, rs_err *err)
{
    header(f, r);
    connections(f, r);
    frames(f, r);
    samples(f, r);
    latency(f, r);
    checks(f, r);
    thresholds(f, r);

    char verdict[256], a[32], b[32], c[32], p99[32];
    double v;
    rs_report_verdict_text(r, verdict, sizeof verdict);
    rs_human_count(a, sizeof a, (double)rs_metrics_frames_tx(&r->metrics));
    rs_human_count(b, sizeof b, rs_metric_value(r, "frames_per_s", &v) ? v : 0);
    rs_human_bytes(c, sizeof c, (double)rs_metrics_bytes_tx(&r->metrics));
    if (rs_metric_value(r, "p99_latency_us", &v))
        rs_human_us(p99, sizeof p99, v);
    else
        snprintf(p99, sizeof p99, "no data");
    rs_metric_value(r, "lost", &v);
    fprintf(f, "\nRESULT: %s  %s\n        frames %s (%s/s), %s sent, lost %.0f, p99 latency %s\n",
            rs_result_failed(r) ? "FAIL" : "PASS", verdict, a, b, c, v, p99);
    return rs_report_status(f, err);
}
