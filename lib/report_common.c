/* Shared by the report views: escaping and verdict phrases. */
#include "report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)   /* a NUL here ends the check: 0 is outside */
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

void rs_markup(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned char c = *p;
        switch (c) {
        case '&': fputs("&amp;", f); p++; continue;
        case '<': fputs("&lt;", f); p++; continue;
        case '>': fputs("&gt;", f); p++; continue;
        case '"': fputs("&quot;", f); p++; continue;
        case '\'': fputs("&#39;", f); p++; continue;
        default: break;
        }
        if (c >= 0x80) {
            size_t n = utf8_len(p);
            if (n) {
                fwrite(p, 1, n, f);
                p += n;
            } else {
                fputs("\xEF\xBF\xBD", f);
                p++;
            }
            continue;
        }
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
            fputs("\xEF\xBF\xBD", f);
        else
            fputc(c, f);
        p++;
    }
}

void rs_report_verdict_text(const rs_result *r, char *buf, size_t cap)
{
    unsigned failed = rs_result_failed_thresholds(r), nodata = 0;
    for (uint32_t i = 0; i < r->n_thresholds; i++)
        nodata += !r->thresholds[i].has_value;
    int n;
    if (r->n_thresholds == 0)
        n = snprintf(buf, cap, "no thresholds");
    else if (failed)
        n = snprintf(buf, cap, "%u of %u threshold%s failed", failed, r->n_thresholds, r->n_thresholds == 1 ? "" : "s");
    else
        n = snprintf(buf, cap, "%s %u threshold%s passed", r->n_thresholds == 1 ? "the" : "all", r->n_thresholds,
                     r->n_thresholds == 1 ? "" : "s");
    if (n < 0 || (size_t)n >= cap)
        return;
    size_t at = (size_t)n;
    if (nodata) {
        n = snprintf(buf + at, cap - at, " (%u without data)", nodata);
        if (n < 0 || (size_t)n >= cap - at)
            return;
        at += (size_t)n;
    }
    snprintf(buf + at, cap - at, ", per-VIN check %s",
             !r->checks.ran ? "not run" : rs_checks_failed(&r->checks) ? "failed" : "passed");
}

void rs_report_observed(const rs_threshold_verdict *v, char *buf, size_t cap)
{
    size_t n = strlen(v->t.metric);
    const char *unit = "";
    if (n > 3 && !strcmp(v->t.metric + n - 3, "_ms"))
        unit = " ms";
    else if (n > 3 && !strcmp(v->t.metric + n - 3, "_us"))
        unit = " us";
    else if (n > 6 && !strcmp(v->t.metric + n - 6, "_per_s"))
        unit = "/s";
    else if (n > 2 && !strcmp(v->t.metric + n - 2, "_s"))
        unit = " s";
    if (!v->has_value)
        snprintf(buf, cap, "no data");
    else if (fabs(v->observed) < 9e15 && v->observed == (double)(long long)v->observed)
        snprintf(buf, cap, "%lld%s", (long long)v->observed, unit);
    else
        snprintf(buf, cap, "%.3f%s", v->observed, unit);
}

void rs_report_lost_text(const rs_checks *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "lost %llu", (unsigned long long)c->lost);
    if (n < 0 || (size_t)n >= cap)
        return;
    size_t at = (size_t)n;
    bool first = true;
    for (unsigned k = 0; k < RS_LOST_REASONS; k++) {
        if (!c->lost_by[k])
            continue;
        n = snprintf(buf + at, cap - at, "%s%s %llu", first ? " (" : ", ", rs_lost_reason_name(k),
                     (unsigned long long)c->lost_by[k]);
        if (n < 0 || (size_t)n >= cap - at)
            return;
        at += (size_t)n;
        first = false;
    }
    if (!first)
        snprintf(buf + at, cap - at, ")");
}

rs_code rs_report_status(FILE *f, rs_err *err)
{
    if (fflush(f) != 0 || ferror(f))
        return rs_fail(err, RS_E_IO, 0, "output", "the report is written completely", errno, 0, RS_NUM_GOT_ONLY);
    return RS_OK;
}
