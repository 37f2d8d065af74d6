/* Threshold parsing, metric names and their values (threshold.h). */
#include "remsim/threshold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remsim/result.h"

/* Histogram statistics: name prefix and percentile (negative: special). */
enum { ST_MIN = -1, ST_MAX = -2, ST_MEAN = -3 };
static const struct { const char *name; double q; } stats[] = {
    { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 },
    { "min", ST_MIN }, { "max", ST_MAX }, { "mean", ST_MEAN },
};
#define N_STATS (sizeof stats / sizeof stats[0])
#define N_BASES (RS_H_COUNT + 1)   /* every histogram, then "latency" (all latency histograms) */

typedef double (*derived_fn)(const rs_result *r, bool *has);

static double d_frames_tx(const rs_result *r, bool *has) { (void)has; return (double)rs_metrics_frames_tx(&r->metrics); }
static double d_bytes_tx(const rs_result *r, bool *has) { (void)has; return (double)rs_metrics_bytes_tx(&r->metrics); }
static double d_frames_rx(const rs_result *r, bool *has) { (void)has; return (double)rs_metrics_frames_rx(&r->metrics); }
static double d_conn_failed(const rs_result *r, bool *has) { (void)has; return (double)rs_metrics_conn_failures(&r->metrics); }
static double d_dropped(const rs_result *r, bool *has) { (void)has; return (double)rs_metrics_drops(&r->metrics); }
static double d_lost(const rs_result *r, bool *has)
{
    (void)has;
    return (double)(r->checks.ran ? r->checks.lost : rs_metrics_drops(&r->metrics));
}
static double d_duplicates(const rs_result *r, bool *has) { (void)has; return (double)r->checks.duplicates; }
static double d_vins_with_loss(const rs_result *r, bool *has) { (void)has; return (double)r->checks.vins_with_loss; }
static double d_errors(const rs_result *r, bool *has)
{
    (void)has;
    return (double)(rs_metrics_conn_failures(&r->metrics) + r->metrics.counter[RS_C_TERMINALS_STOPPED] +
                    r->metrics.counter[RS_C_SAMPLES_DROPPED + RS_DROP_ENCODE]);
}
static double per_s(const rs_result *r, bool *has, uint64_t n)
{
    double d = rs_result_duration_s(r);
    if (d <= 0) {
        *has = false;
        return 0;
    }
    return (double)n / d;
}
static double d_frames_per_s(const rs_result *r, bool *has) { return per_s(r, has, rs_metrics_frames_tx(&r->metrics)); }
static double d_bytes_per_s(const rs_result *r, bool *has) { return per_s(r, has, rs_metrics_bytes_tx(&r->metrics)); }
static double d_samples_per_s(const rs_result *r, bool *has)
{
    return per_s(r, has, r->metrics.counter[RS_C_SAMPLES_GENERATED]);
}
static double d_duration(const rs_result *r, bool *has) { (void)has; return rs_result_duration_s(r); }

static const struct { const char *name; derived_fn fn; const char *help; } derived[] = {
    { "frames_tx", d_frames_tx, "frames sent, all commands" },
    { "bytes_tx", d_bytes_tx, "bytes sent, all commands" },
    { "frames_rx", d_frames_rx, "frames received (answers), all commands" },
    { "connections_failed", d_conn_failed, "failed connection attempts, every reason" },
    { "samples_dropped", d_dropped, "samples dropped by the terminals, every reason" },
    { "lost", d_lost, "samples lost: checks.lost when the per-VIN check ran, else samples_dropped" },
    { "duplicates", d_duplicates, "samples received more often than generated (per-VIN check)" },
    { "vins_with_loss", d_vins_with_loss, "VINs that lost at least one sample (per-VIN check)" },
    { "errors", d_errors, "connections_failed + terminals_stopped + samples_dropped_encode" },
    { "frames_per_s", d_frames_per_s, "frames_tx / duration_s" },
    { "bytes_per_s", d_bytes_per_s, "bytes_tx / duration_s" },
    { "samples_per_s", d_samples_per_s, "samples_generated / duration_s" },
    { "duration_s", d_duration, "run duration in seconds (end - start)" },
};
#define N_DERIVED (sizeof derived / sizeof derived[0])

typedef enum { K_COUNTER, K_GAUGE, K_GAUGE_MAX, K_DERIVED, K_STAT } kind;

typedef struct ref {
    kind k;
    unsigned id;      /* counter, gauge, derived row, or histogram base (RS_H_COUNT: latency) */
    unsigned stat;
    bool ms;
} ref;

#define N_NAMES (RS_C_COUNT + 2u * RS_G_COUNT + N_DERIVED + N_STATS * N_BASES * 2u)

/* "latency_timecal" for "latency_timecal_us". */
static void base_name(unsigned b, char *out, size_t cap)
{
    if (b == RS_H_COUNT) {
        snprintf(out, cap, "latency");
        return;
    }
    const char *n = rs_hist_desc[b].name;
    size_t len = strlen(n);
    if (len > 3 && !strcmp(n + len - 3, "_us"))
        len -= 3;
    snprintf(out, cap, "%.*s", (int)len, n);
}

/* The i-th name into buf; help (when not NULL) gets its meaning. */
static bool name_at(size_t i, char *buf, size_t cap, ref *r, char *help, size_t hcap)
{
    char dummy[1];
    if (!help) {
        help = dummy;
        hcap = sizeof dummy;
    }
    if (i < RS_C_COUNT) {
        *r = (ref){ K_COUNTER, (unsigned)i, 0, false };
        snprintf(buf, cap, "%s", rs_counter_desc[i].name);
        snprintf(help, hcap, "counter: %s", rs_counter_desc[i].help);
        return true;
    }
    i -= RS_C_COUNT;
    if (i < RS_G_COUNT) {
        *r = (ref){ K_GAUGE, (unsigned)i, 0, false };
        snprintf(buf, cap, "%s", rs_gauge_desc[i].name);
        snprintf(help, hcap, "gauge at the end: %s", rs_gauge_desc[i].help);
        return true;
    }
    i -= RS_G_COUNT;
    if (i < RS_G_COUNT) {
        *r = (ref){ K_GAUGE_MAX, (unsigned)i, 0, false };
        snprintf(buf, cap, "max_%s", rs_gauge_desc[i].name);
        snprintf(help, hcap, "gauge peak: %s", rs_gauge_desc[i].help);
        return true;
    }
    i -= RS_G_COUNT;
    if (i < N_DERIVED) {
        *r = (ref){ K_DERIVED, (unsigned)i, 0, false };
        snprintf(buf, cap, "%s", derived[i].name);
        snprintf(help, hcap, "%s", derived[i].help);
        return true;
    }
    i -= N_DERIVED;
    if (i < N_STATS * N_BASES * 2u) {
        unsigned s = (unsigned)(i / (N_BASES * 2u)), b = (unsigned)(i / 2u % N_BASES);
        bool ms = i % 2u == 0;
        char base[RS_METRIC_NAME];
        base_name(b, base, sizeof base);
        *r = (ref){ K_STAT, b, s, ms };
        snprintf(buf, cap, "%s_%s_%s", stats[s].name, base, ms ? "ms" : "us");
        snprintf(help, hcap, "%s of %s, in %s", stats[s].name,
                 b == RS_H_COUNT ? "every latency histogram merged" : rs_hist_desc[b].name,
                 ms ? "milliseconds" : "microseconds");
        return true;
    }
    return false;
}

bool rs_metric_name_at(size_t i, char *buf, size_t cap, char *help, size_t hcap)
{
    ref r;
    return name_at(i, buf, cap, &r, help, hcap);
}

static bool resolve(const char *name, ref *out)
{
    char buf[RS_METRIC_NAME + 32];
    for (size_t i = 0; i < N_NAMES; i++)
        if (name_at(i, buf, sizeof buf, out, NULL, 0) && !strcmp(buf, name))
            return true;
    return false;
}

bool rs_metric_known(const char *name)
{
    ref r;
    return resolve(name, &r);
}

/* Edit distance (Levenshtein) of two short names, capped at 99. */
static unsigned distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n >= RS_METRIC_NAME + 32 || m >= RS_METRIC_NAME + 32)
        return 99;
    unsigned row[RS_METRIC_NAME + 33];
    for (size_t j = 0; j <= m; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= m; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m] > 99 ? 99 : row[m];
}

unsigned rs_metric_suggest(const char *name, char *buf, size_t cap)
{
    enum { KEEP = 5 };
    size_t best_i[KEEP];
    unsigned best_d[KEEP], n = 0;
    size_t len = strlen(name);
    unsigned limit = len / 3 > 2 ? (unsigned)(len / 3) : 2;
    char cand[RS_METRIC_NAME + 32];
    for (size_t i = 0; i < N_NAMES; i++) {
        ref r;
        if (!name_at(i, cand, sizeof cand, &r, NULL, 0))
            break;
        unsigned d = distance(name, cand);
        if (len >= 3 && strstr(cand, name))
            d = d < 1 ? d : 1;   /* "p99" -> every p99_ name is close */
        if (d > limit)
            continue;
        unsigned k;
        if (n < KEEP)
            k = n++;
        else if (d < best_d[KEEP - 1])
            k = KEEP - 1;
        else
            continue;
        while (k > 0 && best_d[k - 1] > d) {
            best_d[k] = best_d[k - 1];
            best_i[k] = best_i[k - 1];
            k--;
        }
        best_d[k] = d;
        best_i[k] = i;
    }
    size_t at = 0;
    if (cap)
        buf[0] = '\0';
    for (unsigned k = 0; k < n && cap; k++) {
        ref r;
        name_at(best_i[k], cand, sizeof cand, &r, NULL, 0);
        int w = snprintf(buf + at, cap - at, "%s%s", k ? ", " : "", cand);
        if (w < 0 || (size_t)w >= cap - at) {
            buf[at] = '\0';   /* whole names only */
            break;
        }
        at += (size_t)w;
    }
    return n;
}

static bool value_of(const rs_result *res, const ref *r, double *out)
{
    bool has = true;
    switch (r->k) {
    case K_COUNTER:
        *out = (double)res->metrics.counter[r->id];
        return true;
    case K_GAUGE:
        *out = (double)res->metrics.gauge[r->id];
        return true;
    case K_GAUGE_MAX:
        *out = (double)res->gauge_max[r->id];
        return true;
    case K_DERIVED:
        *out = derived[r->id].fn(res, &has);
        return has;
    case K_STAT: {
        rs_hist lat;
        const rs_hist *h = &res->metrics.hist[r->id < RS_H_COUNT ? r->id : 0];
        if (r->id == RS_H_COUNT) {
            rs_metrics_latency(&res->metrics, &lat);
            h = &lat;
        }
        if (h->count == 0)
            return false;
        double q = stats[r->stat].q, us;
        if (q == ST_MIN)
            us = (double)h->min;
        else if (q == ST_MAX)
            us = (double)h->max;
        else if (q == ST_MEAN)
            us = rs_hist_mean(h);
        else
            us = (double)rs_hist_percentile(h, q);
        *out = r->ms ? us / 1000.0 : us;
        return true;
    }
    }
    return false;
}

bool rs_metric_value(const rs_result *r, const char *name, double *out)
{
    ref f;
    return resolve(name, &f) && value_of(r, &f, out);
}

const char *rs_cmp_text(rs_cmp op)
{
    static const char *const t[] = { ">", ">=", "<", "<=", "==", "!=" };
    return (unsigned)op < 6 ? t[op] : "?";
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static size_t skip_spaces(const char *s, size_t i)
{
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    return i;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of a decimal number at s (sign, digits, fraction, exponent), 0 if none. */
static size_t number_len(const char *s)
{
    size_t i = 0, digits = 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    while (is_digit(s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (is_digit(s[i]))
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t k = i + 1;
        if (s[k] == '-' || s[k] == '+')
            k++;
        if (!is_digit(s[k]))
            return i;   /* the caller reports what follows */
        while (is_digit(s[k]))
            k++;
        i = k;
    }
    return i;
}

rs_code rs_threshold_parse(rs_threshold *t, const char *text, rs_err *err)
{
    memset(t, 0, sizeof *t);
    size_t i = skip_spaces(text, 0), name0 = i;
    while (name_char(text[i]))
        i++;
    size_t name_len = i - name0;
    if (name_len == 0)
        return rs_fail(err, RS_E_SYNTAX, i, "threshold", "<metric><op><number>: a metric name first (letters, digits, _)",
                       (unsigned char)text[i], 0, text[i] ? RS_NUM_CHAR : RS_NUM_NONE);
    if (name_len >= RS_METRIC_NAME)
        return rs_fail(err, RS_E_SYNTAX, name0, "threshold", "metric names are shorter than 64 characters",
                       (long long)name_len, RS_METRIC_NAME - 1, RS_NUM_DEC);
    memcpy(t->metric, text + name0, name_len);
    t->metric[name_len] = '\0';

    i = skip_spaces(text, i);
    size_t op0 = i;
    static const struct { const char *s; rs_cmp op; } ops[] = {
        { ">=", RS_CMP_GE }, { "<=", RS_CMP_LE }, { "==", RS_CMP_EQ }, { "!=", RS_CMP_NE },
        { ">", RS_CMP_GT }, { "<", RS_CMP_LT },
    };
    bool found = false;
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0] && !found; k++) {
        size_t n = strlen(ops[k].s);
        if (!strncmp(text + i, ops[k].s, n)) {
            t->op = ops[k].op;
            i += n;
            found = true;
        }
    }
    if (!found)
        return rs_fail(err, RS_E_SYNTAX, op0, "threshold", "an operator after the metric: > >= < <= == !=",
                       (unsigned char)text[op0], 0, text[op0] ? RS_NUM_CHAR : RS_NUM_NONE);

    i = skip_spaces(text, i);
    size_t num0 = i, num_len = number_len(text + i);
    if (num_len == 0)
        return rs_fail(err, RS_E_SYNTAX, num0, "threshold", "a number after the operator (e.g. 500, 0.5, 1e3)",
                       (unsigned char)text[num0], 0, text[num0] ? RS_NUM_CHAR : RS_NUM_NONE);
    char num[64];
    if (num_len >= sizeof num)
        return rs_fail(err, RS_E_SYNTAX, num0, "threshold", "a number of at most 63 characters", (long long)num_len,
                       63, RS_NUM_DEC);
    memcpy(num, text + num0, num_len);
    num[num_len] = '\0';
    t->limit = strtod(num, NULL);
    i = skip_spaces(text, num0 + num_len);
    if (text[i] != '\0')
        return rs_fail(err, RS_E_SYNTAX, i, "threshold", "nothing after the number", (unsigned char)text[i], 0,
                       RS_NUM_CHAR);

    int w = snprintf(t->expr, sizeof t->expr, "%s%s%s", t->metric, rs_cmp_text(t->op), num);
    if (w < 0 || (size_t)w >= sizeof t->expr)
        return rs_fail(err, RS_E_SYNTAX, num0, "threshold", "a threshold of at most 127 characters", w, 127,
                       RS_NUM_DEC);
    if (!rs_metric_known(t->metric))
        return rs_fail(err, RS_E_OPTION, name0, "threshold",
                       "a metric of the result document (docs/results.md, section --fail-if)", 0, 0, RS_NUM_NONE);
    return RS_OK;
}

void rs_threshold_eval(const rs_threshold *t, const rs_result *r, rs_threshold_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->t = *t;
    double x = 0;
    v->has_value = rs_metric_value(r, t->metric, &x);
    v->observed = v->has_value ? x : 0;
    if (!v->has_value)
        return;
    switch (t->op) {
    case RS_CMP_GT: v->failed = x > t->limit; break;
    case RS_CMP_GE: v->failed = x >= t->limit; break;
    case RS_CMP_LT: v->failed = x < t->limit; break;
    case RS_CMP_LE: v->failed = x <= t->limit; break;
    case RS_CMP_EQ: v->failed = x == t->limit; break;
    case RS_CMP_NE: v->failed = x != t->limit; break;
    }
}
