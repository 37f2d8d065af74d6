/* JUnit XML view (report.h).  The de-facto schema CI servers read:
 * <testsuites><testsuite name tests failures errors skipped time
 * timestamp><properties/><testcase classname name time><failure
 * message type>text</failure></testcase>... */
#include <string.h>
#include <time.h>

#include "remsim/report.h"
#include "report_internal.h"

static void property(FILE *f, const char *name, const char *value)
{
    fputs("      <property name=\"", f);
    rs_markup(f, name);
    fputs("\" value=\"", f);
    rs_markup(f, value);
    fputs("\"/>\n", f);
}

static void threshold_case(FILE *f, const rs_threshold_verdict *v)
{
    char obs[64], msg[256];
    rs_report_observed(v, obs, sizeof obs);
    fputs("    <testcase classname=\"remsim.thresholds\" name=\"", f);
    rs_markup(f, v->t.expr);
    fputs("\" time=\"0\">", f);
    if (v->failed) {
        snprintf(msg, sizeof msg, "%s: observed %s, the run fails when %s %s %.6g", v->t.metric, obs, v->t.metric,
                 rs_cmp_text(v->t.op), v->t.limit);
        fputs("\n      <failure type=\"threshold\" message=\"", f);
        rs_markup(f, msg);
        fputs("\">", f);
        rs_markup(f, msg);
        fputs("</failure>\n    ", f);
    } else {
        snprintf(msg, sizeof msg, "%s: observed %s", v->t.metric, obs);
        fputs("\n      <system-out>", f);
        rs_markup(f, msg);
        fputs("</system-out>\n    ", f);
    }
    fputs("</testcase>\n", f);
}

static void check_case(FILE *f, const rs_checks *c)
{
    char lost[256], msg[512];
    fputs("    <testcase classname=\"remsim.checks\" name=\"per-VIN check\" time=\"0\">", f);
    if (!c->ran) {
        fputs("\n      <skipped message=\"no comparison of generated and received samples was made\"/>\n    ", f);
    } else {
        rs_report_lost_text(c, lost, sizeof lost);
        snprintf(msg, sizeof msg, "%llu of %llu VINs lost samples: generated %llu, received %llu, %s",
                 (unsigned long long)c->vins_with_loss, (unsigned long long)c->vins,
                 (unsigned long long)c->generated, (unsigned long long)c->received, lost);
        if (rs_checks_failed(c)) {
            fputs("\n      <failure type=\"lost_samples\" message=\"", f);
            rs_markup(f, msg);
            fputs("\">", f);
            rs_markup(f, msg);
            for (uint32_t i = 0; i < c->n_listed; i++) {
                char line[160];
                snprintf(line, sizeof line, "\n%s: generated %llu, received %llu, lost %llu, duplicates %llu",
                         c->listed[i].vin, (unsigned long long)c->listed[i].generated,
                         (unsigned long long)c->listed[i].received, (unsigned long long)c->listed[i].lost,
                         (unsigned long long)c->listed[i].duplicates);
                rs_markup(f, line);
            }
            fputs("</failure>\n    ", f);
        } else {
            fputs("\n      <system-out>", f);
            rs_markup(f, msg);
            fputs("</system-out>\n    ", f);
        }
    }
    fputs("</testcase>\n", f);
}

rs_code rs_report_junit(FILE *f, const rs_result *r, rs_err *err)
{
    unsigned tests = r->n_thresholds + 1;
    unsigned failures = rs_result_failed_thresholds(r) + (rs_checks_failed(&r->checks) ? 1u : 0u);
    unsigned skipped = r->checks.ran ? 0u : 1u;
    char ts[32] = "1970-01-01T00:00:00";
    time_t s = (time_t)(r->run.start_ms / 1000);
    struct tm tm;
    if (r->run.start_ms > 0 && gmtime_r(&s, &tm))
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    double secs = rs_result_duration_s(r);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"remsim\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n",
            tests, failures, skipped, secs);
    fprintf(f,
            "  <testsuite name=\"remsim run\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
            "time=\"%.3f\" timestamp=\"%s\">\n",
            tests, failures, skipped, secs, ts);
    fputs("    <properties>\n", f);
    char num[32];
    property(f, "tool_version", r->run.tool_version);
    property(f, "command_line", r->run.command_line);
    property(f, "scenario", r->run.scenario);
    property(f, "profile", r->run.profile);
    property(f, "endpoint", r->run.endpoint);
    snprintf(num, sizeof num, "%llu", (unsigned long long)r->run.terminals);
    property(f, "terminals", num);
    snprintf(num, sizeof num, "%u", r->run.workers);
    property(f, "workers", num);
    snprintf(num, sizeof num, "%llu", (unsigned long long)r->run.seed);
    property(f, "seed", num);
    fputs("    </properties>\n", f);
    for (uint32_t i = 0; i < r->n_thresholds; i++)
        threshold_case(f, &r->thresholds[i]);
    check_case(f, &r->checks);
    fputs("  </testsuite>\n</testsuites>\n", f);
    return rs_report_status(f, err);
}
