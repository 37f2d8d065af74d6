/* Console view of a conformance run (conform.h): a line per case worth a
 * look, the VINs that failed, and the summary line last. */
#include <string.h>

#include "remsim/conform.h"

/* Text from the input (VINs, reasons) stays on one line, free of escapes. */
static void plain(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7F ? '?' : *p, f);
}

static const char *mark(rs_verdict v)
{
    switch (v) {
    case RS_VERDICT_PASS: return "pass";
    case RS_VERDICT_FAIL: return "FAIL";
    case RS_VERDICT_SKIP: return "skip";
    default: return "n/a ";
    }
}

static void where(FILE *f, const rs_conf_ref *r)
{
    fputs("        at ", f);
    plain(f, r->source[0] ? r->source : "-");
    if (r->packet)
        fprintf(f, " packet %llu", (unsigned long long)r->packet);
    else if (r->line)
        fprintf(f, " line %llu", (unsigned long long)r->line);
    if (r->vin[0]) {
        fputs(" VIN ", f);
        plain(f, r->vin);
    }
    fputc('\n', f);
}

rs_code rs_conf_console(FILE *f, const rs_conf_run *run, bool all, rs_err *err)
{
    fprintf(f, "remsim conformance (%s)  profile %s%s\n", rs_conf_role_name(run->role),
            rs_proto_name(run->profile.proto), run->profile.strict ? "  strict" : "");
    for (unsigned i = 0; i < run->n_inputs; i++) {
        fputs("  input ", f);
        plain(f, run->inputs[i]);
        fputc('\n', f);
    }
    fprintf(f, "  %llu frames (%llu to the terminal), %u VINs\n\n", (unsigned long long)run->traffic.frames,
            (unsigned long long)run->traffic.downlink_frames, run->n_vins);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        const rs_conf_case_result *c = &run->cases[i];
        bool noteworthy = c->verdict == RS_VERDICT_FAIL || c->verdict == RS_VERDICT_SKIP || c->n_sev[RS_SEV_WARN] ||
                          c->n_sev[RS_SEV_INFO];
        if (!all && (!noteworthy || !c->applies))
            continue;
        const rs_conf_case *d = rs_conf_case_get(c->id);
        fprintf(f, "  %s  %-26s %s: ", mark(c->verdict), d->id, d->title);
        plain(f, c->reason);
        fputc('\n', f);
        if (c->verdict == RS_VERDICT_FAIL || (all && c->n_evidence)) {
            unsigned shown = 0;
            for (unsigned k = 0; k < c->n_evidence && shown < 3; k++) {
                const rs_conf_finding *e = &c->evidence[k];
                if (c->verdict == RS_VERDICT_FAIL && e->severity != RS_SEV_ERROR)
                    continue;
                fprintf(f, "      %s: ", rs_severity_name((rs_severity)e->severity));
                plain(f, e->text);
                fputc('\n', f);
                where(f, &e->ref);
                shown++;
            }
        } else if (c->n_evidence) {
            fputs("      first: ", f);
            plain(f, c->evidence[0].text);
            fputc('\n', f);
            where(f, &c->evidence[0].ref);
        }
    }
    unsigned listed = 0;
    for (uint32_t i = 0; i < run->n_vins; i++) {
        const rs_conf_vin *v = &run->vins[i];
        if (v->verdict != RS_VERDICT_FAIL)
            continue;
        if (listed == 0)
            fputs("\n  VINs that failed:\n", f);
        if (++listed > 20) {
            fprintf(f, "    ... and %llu more (the JSON lists every VIN)\n",
                    (unsigned long long)run->vins_by_verdict[1] - 20);
            break;
        }
        fputs("    ", f);
        plain(f, v->vin);
        fprintf(f, "  errors %llu, warnings %llu, failed:", (unsigned long long)v->n_sev[RS_SEV_ERROR],
                (unsigned long long)v->n_sev[RS_SEV_WARN]);
        for (unsigned k = 0; k < RS_CASE_COUNT; k++)
            if (v->failed_cases[k / 64] >> (k % 64) & 1)
                fprintf(f, " %s", rs_conf_case_get((rs_case_id)k)->id);
        fputc('\n', f);
    }
    char counts[160];
    rs_conf_counts_text(run, counts, sizeof counts);
    fprintf(f, "\n%s: %s; VINs %llu passed, %llu failed\n", rs_conf_exit_code(run) ? "FAIL" : "PASS", counts,
            (unsigned long long)run->vins_by_verdict[0], (unsigned long long)run->vins_by_verdict[1]);
    fflush(f);
    if (ferror(f))
        return rs_fail(err, RS_E_IO, 0, "output", "the report can be written", 0, 0, RS_NUM_NONE);
    return RS_OK;
}
