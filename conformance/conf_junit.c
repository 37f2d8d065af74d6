/* JUnit XML of a conformance run (conform.h): one testcase per case of the
 * catalogue; a failed case carries its reason and evidence, skipped and
 * not applicable cases are <skipped> with a message saying which. */
#include <string.h>

#include "lib/report_internal.h"
#include "remsim/conform.h"

static void one_case(FILE *f, const rs_conf_run *run, const rs_conf_case_result *c)
{
    const rs_conf_case *d = rs_conf_case_get(c->id);
    char name[256];
    snprintf(name, sizeof name, "%s: %s", d->id, d->title);
    fprintf(f, "    <testcase classname=\"remsim.conformance.%s\" name=\"", rs_conf_role_name(run->role));
    rs_markup(f, name);
    fputs("\" time=\"0\">", f);
    switch (c->verdict) {
    case RS_VERDICT_FAIL:
        fputs("\n      <failure type=\"", f);
        rs_markup(f, d->id);
        fputs("\" message=\"", f);
        rs_markup(f, c->reason);
        fputs("\">", f);
        for (unsigned i = 0; i < c->n_evidence; i++) {
            const rs_conf_finding *e = &c->evidence[i];
            char line[RS_CONF_TEXT_MAX + RS_CONF_SOURCE_MAX + 96];
            snprintf(line, sizeof line, "%s%s: %s (%s%s%llu, VIN %s)", i ? "\n" : "",
                     rs_severity_name((rs_severity)e->severity), e->text, e->ref.source,
                     e->ref.packet ? " packet " : " line ",
                     (unsigned long long)(e->ref.packet ? e->ref.packet : e->ref.line),
                     e->ref.vin[0] ? e->ref.vin : "-");
            rs_markup(f, line);
        }
        fputs("</failure>\n    ", f);
        break;
    case RS_VERDICT_SKIP:
    case RS_VERDICT_NA: {
        char msg[RS_CONF_TEXT_MAX + 32];
        snprintf(msg, sizeof msg, "%s: %s", c->verdict == RS_VERDICT_SKIP ? "skipped" : "not applicable", c->reason);
        fputs("\n      <skipped message=\"", f);
        rs_markup(f, msg);
        fputs("\"/>\n    ", f);
        break;
    }
    default:
        fputs("\n      <system-out>", f);
        rs_markup(f, c->reason);
        fputs("</system-out>\n    ", f);
        break;
    }
    fputs("</testcase>\n", f);
}

rs_code rs_conf_junit(FILE *f, const rs_conf_run *run, rs_err *err)
{
    double secs = run->end_ms > run->start_ms ? (double)(run->end_ms - run->start_ms) / 1000.0 : 0;
    unsigned long long skipped = run->counts[RS_VERDICT_SKIP] + run->counts[RS_VERDICT_NA];
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites tests=\"%u\" failures=\"%llu\" errors=\"0\" skipped=\"%llu\" time=\"%.3f\">\n",
            (unsigned)RS_CASE_COUNT, (unsigned long long)run->counts[RS_VERDICT_FAIL], skipped, secs);
    fprintf(f, "  <testsuite name=\"remsim conformance %s\" tests=\"%u\" failures=\"%llu\" errors=\"0\" "
               "skipped=\"%llu\" time=\"%.3f\">\n",
            rs_conf_role_name(run->role), (unsigned)RS_CASE_COUNT, (unsigned long long)run->counts[RS_VERDICT_FAIL],
            skipped, secs);
    fputs("    <properties>\n      <property name=\"profile\" value=\"", f);
    rs_markup(f, rs_proto_name(run->profile.proto));
    fprintf(f, "\"/>\n      <property name=\"strict\" value=\"%s\"/>\n", run->profile.strict ? "on" : "off");
    for (unsigned i = 0; i < run->n_inputs; i++) {
        fputs("      <property name=\"input\" value=\"", f);
        rs_markup(f, run->inputs[i]);
        fputs("\"/>\n", f);
    }
    fputs("    </properties>\n", f);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++)
        one_case(f, run, &run->cases[i]);
    fputs("  </testsuite>\n</testsuites>\n", f);
    return rs_report_status(f, err);
}
