/* HTML report of a conformance run (conform.h): one self-contained file,
 * inline CSS and SVG (lib/report_svg.c charts), no scripts.  The counts sit
 * in elements with ids and data attributes so a test (or a person with
 * the DOM inspector) can read them: #verdict data-pass/-fail/-na/-skip,
 * #count-pass, #count-fail, #count-not_applicable, #count-skipped. */
#include <stdlib.h>
#include <string.h>

#include "lib/report_internal.h"
#include "remsim/conform.h"
#include "remsim/framelog.h"
#include "remsim/msg.h"
#include "remsim/msg_json.h"

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;"
    "color:#1d2327;padding:0 16px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dcdcde}\n"
    "h3{font-size:15px;margin:18px 0 6px}\n"
    "table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;text-align:left;"
    "border-bottom:1px solid #f0f0f1;vertical-align:top}\n"
    "th{background:#f6f7f7}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".pass{color:#00702a}.fail{color:#b32d2e}.skipped{color:#996800}.not_applicable{color:#646970}"
    ".note{color:#646970;font-size:12px}\n"
    ".verdict{font-size:18px;font-weight:600;padding:10px 14px;border-radius:6px;margin:10px 0}\n"
    ".verdict.pass{background:#edfaef}.verdict.fail{background:#fcf0f1}\n"
    ".badge{font-weight:600;white-space:nowrap}\n"
    ".counts td{font-size:16px;padding:6px 14px}\n"
    "tr.fail td{background:#fcf0f1}\n"
    ".ev{border-left:3px solid #dcdcde;padding:2px 10px;margin:8px 0}.ev.error{border-color:#b32d2e}"
    ".ev.warning{border-color:#f0b849}.ev.info{border-color:#2271b1}\n"
    "pre{background:#f6f7f7;padding:6px 8px;overflow-x:auto;font-size:12px;margin:4px 0;white-space:pre-wrap;"
    "word-break:break-all;max-height:320px}\n"
    "details summary{cursor:pointer;color:#2271b1}\n"
    "svg.chart{background:#fff;border:1px solid #dcdcde;border-radius:4px;max-width:100%;height:auto}\n"
    "svg .grid{stroke:#f0f0f1}svg .axis{font-size:11px;fill:#50575e}svg .value{font-size:10px;fill:#50575e}\n"
    "svg .line{fill:none;stroke:#2271b1;stroke-width:1.5}svg circle.line{fill:#2271b1}\n"
    "svg .bar{fill:#2271b1}svg .bar2{fill:#f0b849}\n"
    "code{font-size:13px}\n";

#define VIN_ROWS_MAX 500

static void text(FILE *f, const char *s) { rs_markup(f, s); }

static void cell(FILE *f, const char *s)
{
    fputs("<td>", f);
    text(f, s);
    fputs("</td>", f);
}

static void ucell(FILE *f, unsigned long long v) { fprintf(f, "<td class=\"num\">%llu</td>", v); }

static void row2(FILE *f, const char *k, const char *v)
{
    fputs("<tr><th>", f);
    text(f, k);
    fputs("</th>", f);
    cell(f, v);
    fputs("</tr>\n", f);
}

static void when(char *buf, int64_t ms)
{
    if (ms <= 0)
        snprintf(buf, RS_FRAMELOG_TIME_LEN + 1, "-");
    else
        rs_framelog_time(ms, buf);
}

/* An id usable as an HTML anchor: "case-3.1-bcc". */
static void anchor(char *buf, size_t cap, const char *id)
{
    size_t n = (size_t)snprintf(buf, cap, "case-");
    for (; *id && n + 1 < cap; id++)
        buf[n++] = (*id == '/' || *id == ' ') ? '-' : *id;
    buf[n] = 0;
}

static void header(FILE *f, const rs_conf_run *run)
{
    char counts[160];
    rs_conf_counts_text(run, counts, sizeof counts);
    bool failed = rs_conf_exit_code(run) != 0;
    fprintf(f, "<h1>remsim conformance: %s, profile %s%s</h1>\n", rs_conf_role_name(run->role),
            rs_proto_name(run->profile.proto), run->profile.strict ? " (strict)" : "");
    fprintf(f,
            "<p id=\"verdict\" class=\"verdict %s\" data-verdict=\"%s\" data-pass=\"%llu\" data-fail=\"%llu\" "
            "data-na=\"%llu\" data-skip=\"%llu\">%s: ",
            failed ? "fail" : "pass", failed ? "fail" : "pass", (unsigned long long)run->counts[RS_VERDICT_PASS],
            (unsigned long long)run->counts[RS_VERDICT_FAIL], (unsigned long long)run->counts[RS_VERDICT_NA],
            (unsigned long long)run->counts[RS_VERDICT_SKIP], failed ? "FAIL" : "PASS");
    text(f, counts);
    fputs("</p>\n<table class=\"counts\"><tr>", f);
    for (unsigned v = 0; v < RS_VERDICT_COUNT; v++)
        fprintf(f, "<td class=\"%s\">%s <span class=\"badge\" id=\"count-%s\">%llu</span></td>",
                rs_verdict_name((rs_verdict)v),
                v == RS_VERDICT_PASS ? "passed" : v == RS_VERDICT_FAIL ? "failed"
                                                : v == RS_VERDICT_NA   ? "not applicable"
                                                                       : "skipped",
                rs_verdict_name((rs_verdict)v), (unsigned long long)run->counts[v]);
    fprintf(f, "<td>VINs: <span class=\"badge pass\" id=\"vins-pass\">%llu</span> passed, "
               "<span class=\"badge fail\" id=\"vins-fail\">%llu</span> failed</td></tr></table>\n",
            (unsigned long long)run->vins_by_verdict[0], (unsigned long long)run->vins_by_verdict[1]);
}

static void run_info(FILE *f, const rs_conf_run *run)
{
    char b[64], s[RS_FRAMELOG_TIME_LEN + 1], e[RS_FRAMELOG_TIME_LEN + 1];
    fputs("<h2>Run</h2>\n<table>\n", f);
    for (unsigned i = 0; i < run->n_inputs; i++)
        row2(f, "input", run->inputs[i]);
    row2(f, "tool version", run->tool_version);
    row2(f, "command line", run->command_line);
    when(s, run->start_ms);
    when(e, run->end_ms);
    row2(f, "started", s);
    row2(f, "ended", e);
    row2(f, "strict", run->profile.strict ? "on: every tolerated deviation is an error" : "off");
    snprintf(b, sizeof b, "%llu (%llu to the terminal)", (unsigned long long)run->traffic.frames,
             (unsigned long long)run->traffic.downlink_frames);
    row2(f, "frames", b);
    snprintf(b, sizeof b, "%llu", (unsigned long long)run->traffic.bytes);
    row2(f, "bytes", b);
    snprintf(b, sizeof b, "%u", run->n_vins);
    row2(f, "VINs", b);
    fputs("</table>\n", f);
}

static void verdict_table(FILE *f, const rs_conf_run *run)
{
    fputs("<h2>Cases</h2>\n<table id=\"cases\">\n<tr><th>case</th><th>title</th><th>clause</th><th>severity</th>"
          "<th>verdict</th><th>checked</th><th>errors</th><th>warnings</th><th>reason</th></tr>\n",
          f);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        const rs_conf_case_result *c = &run->cases[i];
        const rs_conf_case *d = rs_conf_case_get(c->id);
        const char *v = rs_verdict_name(c->verdict);
        char a[80];
        anchor(a, sizeof a, d->id);
        fprintf(f, "<tr class=\"%s\" data-case=\"", v);
        text(f, d->id);
        fprintf(f, "\" data-verdict=\"%s\"><td>", v);
        if (c->n_evidence)
            fprintf(f, "<a href=\"#%s\"><code>", a);
        else
            fputs("<code>", f);
        text(f, d->id);
        fputs(c->n_evidence ? "</code></a></td>" : "</code></td>", f);
        cell(f, d->title);
        cell(f, d->clause);
        cell(f, rs_severity_name(rs_conf_severity(run, c->id)));
        fprintf(f, "<td class=\"badge %s\">%s</td>", v, v);
        ucell(f, c->exercised);
        ucell(f, c->n_sev[RS_SEV_ERROR]);
        ucell(f, c->n_sev[RS_SEV_WARN]);
        cell(f, c->reason);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The frame decoded by the run's profile, as `remsim decode` shows it. */
static void decoded(FILE *f, const rs_conf_run *run, const rs_conf_ref *r, rs_msg *m, char *buf, size_t cap)
{
    if (!r->n || r->n < r->frame_len)
        return;
    rs_json j;
    rs_json_init_buf(&j, buf, cap, true);
    rs_err err;
    if (rs_msg_decode(&run->profile, r->bytes, r->n, m, &err) == RS_OK)
        rs_msg_json(&j, &run->profile, m, r->bytes, r->n, NULL);
    else
        rs_msg_json_error(&j, &run->profile, &err, r->bytes, r->n, NULL);
    fputs("<details><summary>decoded fields</summary><pre>", f);
    text(f, buf);
    fputs("</pre></details>\n", f);
}

static void evidence(FILE *f, const rs_conf_run *run, rs_msg *m, char *buf, size_t cap)
{
    bool any = false;
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        const rs_conf_case_result *c = &run->cases[i];
        if (!c->n_evidence)
            continue;
        if (!any)
            fputs("<h2>Findings</h2>\n<p class=\"note\">The first findings of each case, errors first; the JSON "
                  "document holds the same.</p>\n",
                  f);
        any = true;
        const rs_conf_case *d = rs_conf_case_get(c->id);
        char a[80];
        anchor(a, sizeof a, d->id);
        fprintf(f, "<h3 id=\"%s\"><code>", a);
        text(f, d->id);
        fputs("</code> ", f);
        text(f, d->title);
        fprintf(f, " <span class=\"badge %s\">%s</span></h3>\n<p>", rs_verdict_name(c->verdict),
                rs_verdict_name(c->verdict));
        text(f, d->checks);
        fprintf(f, " (%s)</p>\n", d->clause);
        for (unsigned k = 0; k < c->n_evidence; k++) {
            const rs_conf_finding *e = &c->evidence[k];
            const char *sev = rs_severity_name((rs_severity)e->severity);
            char t[RS_FRAMELOG_TIME_LEN + 1], loc[RS_CONF_SOURCE_MAX + 64];
            when(t, e->ref.time_ms);
            snprintf(loc, sizeof loc, "%s%s%llu", e->ref.source[0] ? e->ref.source : "-",
                     e->ref.packet ? ", packet " : e->ref.line ? ", line " : "",
                     (unsigned long long)(e->ref.packet ? e->ref.packet : e->ref.line));
            if (!e->ref.packet && !e->ref.line)
                snprintf(loc, sizeof loc, "%s", e->ref.source[0] ? e->ref.source : "-");
            fprintf(f, "<div class=\"ev %s\"><p><span class=\"badge\">%s</span>: ", sev, sev);
            text(f, e->text);
            fputs("<br><span class=\"note\">", f);
            text(f, loc);
            fputs(" &middot; time ", f);
            text(f, t);
            fputs(" &middot; VIN ", f);
            text(f, e->ref.vin[0] ? e->ref.vin : "-");
            fputs("</span></p>\n", f);
            if (e->ref.n) {
                fprintf(f, "<pre>");
                for (unsigned b = 0; b < e->ref.n; b++)
                    fprintf(f, "%02X", e->ref.bytes[b]);
                if (e->ref.n < e->ref.frame_len)
                    fprintf(f, " ... (%u of %u bytes)", e->ref.n, e->ref.frame_len);
                fputs("</pre>\n", f);
                decoded(f, run, &e->ref, m, buf, cap);
            }
            fputs("</div>\n", f);
        }
    }
}

static void vin_row(FILE *f, const rs_conf_vin *v)
{
    const char *verdict = rs_verdict_name(v->verdict);
    fprintf(f, "<tr class=\"%s\">", verdict);
    cell(f, v->vin);
    fprintf(f, "<td class=\"badge %s\">%s</td>", verdict, verdict);
    ucell(f, v->frames);
    ucell(f, v->n_sev[RS_SEV_ERROR]);
    ucell(f, v->n_sev[RS_SEV_WARN]);
    fputs("<td>", f);
    for (unsigned k = 0; k < RS_CASE_COUNT; k++)
        if ((v->failed_cases[k / 64] | v->warned_cases[k / 64]) >> (k % 64) & 1) {
            fputs("<code>", f);
            text(f, rs_conf_case_get((rs_case_id)k)->id);
            fputs("</code> ", f);
        }
    fputs("</td></tr>\n", f);
}

static void vin_table(FILE *f, const rs_conf_run *run)
{
    fputs("<h2>VINs</h2>\n", f);
    if (!run->n_vins) {
        fputs("<p class=\"note\">No VIN was seen.</p>\n", f);
        return;
    }
    fputs("<table id=\"vins\">\n<tr><th>VIN</th><th>verdict</th><th>frames</th><th>errors</th><th>warnings</th>"
          "<th>cases with findings</th></tr>\n",
          f);
    unsigned rows = 0;
    /* failed first, then the others, in first-seen order */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < run->n_vins && rows < VIN_ROWS_MAX; i++) {
            const rs_conf_vin *v = &run->vins[i];
            if ((v->verdict == RS_VERDICT_FAIL) == (pass == 0)) {
                vin_row(f, v);
                rows++;
            }
        }
    fputs("</table>\n", f);
    if (run->n_vins > rows)
        fprintf(f, "<p class=\"note\">%u more VINs in the JSON document.</p>\n", run->n_vins - rows);
}

static void charts(FILE *f, const rs_conf_run *run)
{
    const rs_conf_traffic *t = &run->traffic;
    fputs("<h2>Traffic</h2>\n", f);
    if (t->series.len) {
        fputs("<h3>Frames per second</h3>\n", f);
        rs_svg_rate_chart(f, &t->series);
    }
    if (rs_hist_count(&t->packet_interval)) {
        fputs("<h3>Interval between live packets of a VIN</h3>\n", f);
        rs_svg_hist_chart(f, &t->packet_interval, "interval between live packets");
    }
    if (rs_hist_count(&t->answer_latency)) {
        fputs("<h3>Answer latency (request to answer)</h3>\n", f);
        rs_svg_hist_chart(f, &t->answer_latency, "answer latency");
    }
    fputs("<table>\n<tr><th>command</th><th>frames</th></tr>\n", f);
    for (unsigned c = 0; c < 256; c++)
        if (t->frames_by_cmd[c]) {
            char b[64];
            const char *name = rs_command_name(run->profile.proto, (uint8_t)c);
            snprintf(b, sizeof b, "0x%02X %s", c, name ? name : "");
            fputs("<tr>", f);
            cell(f, b);
            ucell(f, t->frames_by_cmd[c]);
            fputs("</tr>\n", f);
        }
    fputs("</table>\n", f);
}

rs_code rs_conf_html(FILE *f, const rs_conf_run *run, rs_err *err)
{
    size_t cap = 256u << 10;
    char *buf = malloc(cap);
    rs_msg *m = malloc(sizeof *m);
    if (!buf || !m) {
        free(buf);
        free(m);
        return rs_fail(err, RS_E_LIMIT, 0, "memory", "the HTML view needs its decode scratch", 0, 0, RS_NUM_NONE);
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>remsim conformance</title>\n"
          "<style>\n",
          f);
    fputs(css, f);
    fputs("</style>\n</head>\n<body>\n", f);
    header(f, run);
    verdict_table(f, run);
    evidence(f, run, m, buf, cap);
    vin_table(f, run);
    charts(f, run);
    run_info(f, run);
    fputs("<p class=\"note\">Cases, severities and tolerances: docs/conformance.md.</p>\n</body>\n</html>\n", f);
    free(buf);
    free(m);
    return rs_report_status(f, err);
}
