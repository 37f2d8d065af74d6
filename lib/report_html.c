/* The HTML report (report.h): one self-contained file.  No scripts, no
 * external resources: CSS in a <style> element, charts as inline SVG
 * (report_svg.c).  Every element that is opened is closed, and all text
 * from the document goes through rs_markup(). */
#include <math.h>
#include <string.h>
#include <time.h>

#include "remsim/human.h"
#include "remsim/report.h"
#include "report_internal.h"

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:980px;"
    "color:#1d2327;padding:0 16px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dcdcde}\n"
    "table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;text-align:left;"
    "border-bottom:1px solid #f0f0f1;vertical-align:top}\n"
    "th{background:#f6f7f7}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".pass{color:#00702a}.fail{color:#b32d2e}.nodata{color:#646970}.note{color:#646970;font-size:12px}\n"
    ".verdict{font-size:18px;font-weight:600;padding:10px 14px;border-radius:6px;margin:10px 0}\n"
    ".verdict.pass{background:#edfaef}.verdict.fail{background:#fcf0f1}\n"
    ".badge{font-weight:600}\n"
    "svg.chart{background:#fff;border:1px solid #dcdcde;border-radius:4px;max-width:100%;height:auto}\n"
    "svg .grid{stroke:#f0f0f1}svg .axis{font-size:11px;fill:#50575e}svg .value{font-size:10px;fill:#50575e}\n"
    "svg .line{fill:none;stroke:#2271b1;stroke-width:1.5}svg circle.line{fill:#2271b1}\n"
    "svg .bar{fill:#2271b1}svg .bar2{fill:#f0b849}\n"
    "code{font-size:13px}\n";

static void text(FILE *f, const char *s) { rs_markup(f, s); }

static void cell(FILE *f, const char *s)
{
    fputs("<td>", f);
    text(f, s);
    fputs("</td>", f);
}

static void num_cell(FILE *f, const char *s)
{
    fputs("<td class=\"num\">", f);
    text(f, s);
    fputs("</td>", f);
}

static void ucell(FILE *f, unsigned long long v)
{
    fprintf(f, "<td class=\"num\">%llu</td>", v);
}

static void row2(FILE *f, const char *k, const char *v)
{
    fputs("<tr><th>", f);
    text(f, k);
    fputs("</th>", f);
    cell(f, v);
    fputs("</tr>\n", f);
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

static void verdicts(FILE *f, const rs_result *r)
{
    bool failed = rs_result_failed(r);
    unsigned nfail = rs_result_failed_thresholds(r), nodata = 0;
    for (uint32_t i = 0; i < r->n_thresholds; i++)
        nodata += !r->thresholds[i].has_value;
    char t[256];
    rs_report_verdict_text(r, t, sizeof t);
    fprintf(f,
            "<p id=\"verdict\" class=\"verdict %s\" data-verdict=\"%s\" data-thresholds=\"%u\" data-failed=\"%u\" "
            "data-passed=\"%u\" data-nodata=\"%u\" data-check=\"%s\">%s: ",
            failed ? "fail" : "pass", failed ? "fail" : "pass", r->n_thresholds, nfail,
            r->n_thresholds - nfail - nodata, nodata,
            !r->checks.ran ? "not_run" : rs_checks_failed(&r->checks) ? "fail" : "pass", failed ? "FAIL" : "PASS");
    text(f, t);
    fputs("</p>\n", f);

    if (r->n_thresholds) {
        fputs("<table id=\"thresholds\">\n<tr><th>verdict</th><th>threshold (--fail-if)</th><th>observed</th></tr>\n", f);
        for (uint32_t i = 0; i < r->n_thresholds; i++) {
            const rs_threshold_verdict *v = &r->thresholds[i];
            const char *cls = !v->has_value ? "nodata" : v->failed ? "fail" : "pass";
            char obs[64];
            rs_report_observed(v, obs, sizeof obs);
            fprintf(f, "<tr class=\"%s\"><td class=\"badge\">%s</td><td><code>", cls,
                    !v->has_value ? "NO DATA" : v->failed ? "FAIL" : "PASS");
            text(f, v->t.expr);
            fputs("</code></td>", f);
            num_cell(f, obs);
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    const rs_checks *c = &r->checks;
    fputs("<p id=\"check\">Per-VIN check: ", f);
    if (!c->ran) {
        fputs("<span class=\"nodata\">not run</span>", f);
    } else {
        char lost[256];
        rs_report_lost_text(c, lost, sizeof lost);
        fprintf(f, "<span class=\"badge %s\">%s</span> %llu of %llu VINs lost samples; generated %llu, received %llu, ",
                rs_checks_failed(c) ? "fail" : "pass", rs_checks_failed(c) ? "FAIL" : "PASS",
                (unsigned long long)c->vins_with_loss, (unsigned long long)c->vins, (unsigned long long)c->generated,
                (unsigned long long)c->received);
        text(f, lost);
        fprintf(f, ", duplicates %llu.", (unsigned long long)c->duplicates);
    }
    fputs("</p>\n", f);
}

static void run_info(FILE *f, const rs_result *r)
{
    const rs_run_info *run = &r->run;
    char b[256];
    fputs("<h2>Run</h2>\n<table id=\"run\">\n", f);
    row2(f, "scenario", run->scenario);
    row2(f, "profile", run->profile);
    row2(f, "endpoint", run->endpoint);
    snprintf(b, sizeof b, "%llu", (unsigned long long)run->terminals);
    row2(f, "terminals", b);
    snprintf(b, sizeof b, "%u", run->workers);
    row2(f, "workers", b);
    fputs("<tr><th>source addresses</th><td>", f);
    for (uint32_t i = 0; i < run->n_addrs; i++) {
        if (i)
            fputs(", ", f);
        text(f, run->addrs[i]);
    }
    fputs("</td></tr>\n", f);
    utc(b, sizeof b, run->start_ms);
    row2(f, "start", b);
    utc(b, sizeof b, run->end_ms);
    row2(f, "end", b);
    rs_human_us(b, sizeof b, rs_result_duration_s(r) * 1e6);
    row2(f, "duration", b);
    snprintf(b, sizeof b, "%llu", (unsigned long long)run->seed);
    row2(f, "seed", b);
    if (run->shard[0])
        row2(f, "shard", run->shard);
    snprintf(b, sizeof b, "%u", run->shards);
    row2(f, "result files merged", b);
    fputs("<tr><th>command line</th><td><code>", f);
    text(f, run->command_line);
    fputs("</code></td></tr>\n", f);
    row2(f, "remsim version", run->tool_version);
    fputs("</table>\n", f);
}

static void key_numbers(FILE *f, const rs_result *r)
{
    static const char *const names[] = { "frames_tx", "frames_per_s", "bytes_tx", "bytes_per_s", "frames_rx",
                                         "samples_per_s", "connections_failed", "samples_dropped", "lost",
                                         "errors", "p50_latency_ms", "p99_latency_ms", "max_latency_ms" };
    fputs("<h2>Key numbers</h2>\n<table id=\"summary\">\n", f);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        double v;
        char b[64];
        if (!rs_metric_value(r, names[i], &v))
            snprintf(b, sizeof b, "no data");
        else if (strstr(names[i], "bytes"))
            rs_human_bytes(b, sizeof b, v);
        else if (strstr(names[i], "_ms"))
            rs_human_us(b, sizeof b, v * 1000);
        else
            snprintf(b, sizeof b, "%.*f", v == floor(v) ? 0 : 1, v);
        if (strstr(names[i], "_per_s"))
            strncat(b, "/s", sizeof b - strlen(b) - 1);
        fputs("<tr><th><code>", f);
        text(f, names[i]);
        fputs("</code></th>", f);
        num_cell(f, b);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void charts(FILE *f, const rs_result *r)
{
    fputs("<h2>Frames sent per second</h2>\n", f);
    rs_svg_rate_chart(f, &r->series);
    fputs("<h2>Latency and connection times</h2>\n", f);
    fprintf(f, "<p class=\"note\">Buckets are log-linear (%u per power of two); a percentile is its bucket's top, "
               "at most %.2f %% above the true value.</p>\n",
            RS_HIST_SUB, RS_HIST_REL_ERROR * 100);
    for (unsigned i = 0; i < RS_H_COUNT; i++) {
        const rs_hist *h = &r->metrics.hist[i];
        char title[160], a[24], b[24];
        fprintf(f, "<h3><code>%s</code></h3>\n", rs_hist_desc[i].name);
        if (h->count)
            snprintf(title, sizeof title, "%s: %llu values, p50 %s, p99 %s", rs_hist_desc[i].name,
                     (unsigned long long)h->count, rs_human_us(a, sizeof a, (double)rs_hist_percentile(h, 50)),
                     rs_human_us(b, sizeof b, (double)rs_hist_percentile(h, 99)));
        else
            snprintf(title, sizeof title, "%s", rs_hist_desc[i].name);
        rs_svg_hist_chart(f, h, title);
    }
    fputs("<h2>Frames per command</h2>\n", f);
    rs_svg_command_chart(f, &r->metrics);
}

static void tables(FILE *f, const rs_result *r)
{
    fputs("<h2>Counters</h2>\n<table id=\"counters\">\n<tr><th>name</th><th>value</th><th>unit</th>"
          "<th>meaning</th></tr>\n",
          f);
    for (unsigned i = 0; i < RS_C_COUNT; i++) {
        fputs("<tr><td><code>", f);
        text(f, rs_counter_desc[i].name);
        fputs("</code></td>", f);
        ucell(f, (unsigned long long)r->metrics.counter[i]);
        cell(f, rs_counter_desc[i].unit);
        cell(f, rs_counter_desc[i].help);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<h2>Gauges</h2>\n<table id=\"gauges\">\n<tr><th>name</th><th>at end</th><th>peak</th>"
          "<th>unit</th><th>meaning</th></tr>\n",
          f);
    for (unsigned i = 0; i < RS_G_COUNT; i++) {
        fputs("<tr><td><code>", f);
        text(f, rs_gauge_desc[i].name);
        fprintf(f, "</code></td><td class=\"num\">%lld</td><td class=\"num\">%lld</td>",
                (long long)r->metrics.gauge[i], (long long)r->gauge_max[i]);
        cell(f, rs_gauge_desc[i].unit);
        cell(f, rs_gauge_desc[i].help);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<h2>Durations</h2>\n<table id=\"histograms\">\n<tr><th>name</th><th>count</th><th>min</th>"
          "<th>p50</th><th>p90</th><th>p99</th><th>max</th><th>mean</th><th>meaning</th></tr>\n",
          f);
    for (unsigned i = 0; i < RS_H_COUNT; i++) {
        const rs_hist *h = &r->metrics.hist[i];
        char b[24];
        fputs("<tr><td><code>", f);
        text(f, rs_hist_desc[i].name);
        fputs("</code></td>", f);
        ucell(f, (unsigned long long)h->count);
        if (h->count) {
            num_cell(f, rs_human_us(b, sizeof b, (double)h->min));
            num_cell(f, rs_human_us(b, sizeof b, (double)rs_hist_percentile(h, 50)));
            num_cell(f, rs_human_us(b, sizeof b, (double)rs_hist_percentile(h, 90)));
            num_cell(f, rs_human_us(b, sizeof b, (double)rs_hist_percentile(h, 99)));
            num_cell(f, rs_human_us(b, sizeof b, (double)h->max));
            num_cell(f, rs_human_us(b, sizeof b, rs_hist_mean(h)));
        } else {
            fputs("<td colspan=\"6\" class=\"nodata\">no data</td>", f);
        }
        cell(f, rs_hist_desc[i].help);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);

    const rs_checks *c = &r->checks;
    if (c->n_listed) {
        fputs("<h2>VINs with lost or duplicated samples</h2>\n", f);
        fprintf(f, "<p class=\"note\">The %u worst of %llu with a loss and %llu with duplicates.</p>\n", c->n_listed,
                (unsigned long long)c->vins_with_loss, (unsigned long long)c->vins_with_duplicates);
        fputs("<table id=\"vins\">\n<tr><th>VIN</th><th>generated</th><th>received</th><th>lost</th>"
              "<th>duplicates</th><th>lost by reason</th></tr>\n",
              f);
        for (uint32_t i = 0; i < c->n_listed; i++) {
            const rs_check_vin *v = &c->listed[i];
            fputs("<tr><td><code>", f);
            text(f, v->vin);
            fputs("</code></td>", f);
            ucell(f, (unsigned long long)v->generated);
            ucell(f, (unsigned long long)v->received);
            ucell(f, (unsigned long long)v->lost);
            ucell(f, (unsigned long long)v->duplicates);
            fputs("<td>", f);
            bool first = true;
            for (unsigned k = 0; k < RS_LOST_REASONS; k++) {
                if (!v->lost_by[k])
                    continue;
                fprintf(f, "%s%s %llu", first ? "" : ", ", rs_lost_reason_name(k), (unsigned long long)v->lost_by[k]);
                first = false;
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
}

rs_code rs_report_html(FILE *f, const rs_result *r, rs_err *err)
{
    bool failed = rs_result_failed(r);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>remsim run: ",
          f);
    fputs(failed ? "FAIL" : "PASS", f);
    if (r->run.scenario[0]) {
        fputs(" - ", f);
        text(f, r->run.scenario);
    }
    fputs("</title>\n<style>\n", f);
    fputs(css, f);
    fputs("</style>\n</head>\n<body>\n<h1>remsim run", f);
    if (r->run.scenario[0]) {
        fputs(": ", f);
        text(f, r->run.scenario);
    }
    fputs("</h1>\n", f);
    verdicts(f, r);
    run_info(f, r);
    key_numbers(f, r);
    charts(f, r);
    tables(f, r);
    fputs("<p class=\"note\">Made by <code>remsim report</code> from a result document (format ", f);
    fprintf(f, "%s version %d); docs/results.md explains every field.</p>\n</body>\n</html>\n", RS_RESULT_FORMAT,
            RS_RESULT_VERSION);
    return rs_report_status(f, err);
}
