/* Reading a result document back (result.h).  Strict about what it
 * stores: types, sizes, known metric names.  Derived fields (verdicts,
 * summary, time texts, percentiles) are not read: they are recomputed. */
#include "remsim/result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const rs_jr_doc *d;
    rs_err *err;
} reader;

static rs_code need(reader *rd, uint32_t obj, const char *key, rs_jr_type type, const char *field, uint32_t *out)
{
    return rs_jr_need(rd->d, obj, key, type, field, out, rd->err);
}

static rs_code get_text(reader *rd, uint32_t obj, const char *key, const char *field, char *buf, size_t cap)
{
    uint32_t v;
    rs_code rc = need(rd, obj, key, RS_JR_STRING, field, &v);
    return rc ? rc : rs_jr_str(rd->d, v, field, buf, cap, NULL, rd->err);
}

static rs_code get_u64(reader *rd, uint32_t obj, const char *key, const char *field, uint64_t *out)
{
    uint32_t v;
    rs_code rc = need(rd, obj, key, RS_JR_NUMBER, field, &v);
    return rc ? rc : rs_jr_u64(rd->d, v, field, out, rd->err);
}

static rs_code get_u32(reader *rd, uint32_t obj, const char *key, const char *field, uint32_t *out)
{
    uint64_t v;
    rs_code rc = get_u64(rd, obj, key, field, &v);
    if (rc)
        return rc;
    if (v > UINT32_MAX)
        return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(rd->d, rs_jr_get(rd->d, obj, key)), field,
                       "a number below 2^32", (long long)v, 0, RS_NUM_GOT_ONLY);
    *out = (uint32_t)v;
    return RS_OK;
}

static rs_code get_i64(reader *rd, uint32_t obj, const char *key, const char *field, int64_t *out)
{
    uint32_t v;
    rs_code rc = need(rd, obj, key, RS_JR_NUMBER, field, &v);
    return rc ? rc : rs_jr_i64(rd->d, v, field, out, rd->err);
}

static rs_code read_run(reader *rd, uint32_t root, rs_run_info *run)
{
    uint32_t o, addrs;
    rs_code rc;
    if ((rc = need(rd, root, "run", RS_JR_OBJECT, "run", &o)) ||
        (rc = get_text(rd, o, "tool_version", "run.tool_version", run->tool_version, sizeof run->tool_version)) ||
        (rc = get_text(rd, o, "command_line", "run.command_line", run->command_line, sizeof run->command_line)) ||
        (rc = get_text(rd, o, "scenario", "run.scenario", run->scenario, sizeof run->scenario)) ||
        (rc = get_text(rd, o, "profile", "run.profile", run->profile, sizeof run->profile)) ||
        (rc = get_text(rd, o, "endpoint", "run.endpoint", run->endpoint, sizeof run->endpoint)) ||
        (rc = get_u64(rd, o, "terminals", "run.terminals", &run->terminals)) ||
        (rc = get_u32(rd, o, "workers", "run.workers", &run->workers)) ||
        (rc = get_text(rd, o, "shard", "run.shard", run->shard, sizeof run->shard)) ||
        (rc = get_u32(rd, o, "shards", "run.shards", &run->shards)) ||
        (rc = get_u64(rd, o, "seed", "run.seed", &run->seed)) ||
        (rc = get_i64(rd, o, "start_ms", "run.start_ms", &run->start_ms)) ||
        (rc = get_i64(rd, o, "end_ms", "run.end_ms", &run->end_ms)) ||
        (rc = need(rd, o, "source_addresses", RS_JR_ARRAY, "run.source_addresses", &addrs)))
        return rc;
    if (rs_jr_count(rd->d, addrs) > RS_RESULT_MAX_ADDRS)
        return rs_fail(rd->err, RS_E_LIMIT, rs_jr_offset(rd->d, addrs), "run.source_addresses",
                       "at most RS_RESULT_MAX_ADDRS addresses", rs_jr_count(rd->d, addrs), RS_RESULT_MAX_ADDRS,
                       RS_NUM_DEC);
    uint32_t a = rs_jr_first(rd->d, addrs);
    for (uint32_t i = 0; i < rs_jr_count(rd->d, addrs); i++, a = rs_jr_next(rd->d, a))
        if ((rc = rs_jr_str(rd->d, a, "run.source_addresses", run->addrs[i], sizeof run->addrs[i], NULL, rd->err)))
            return rc;
    run->n_addrs = rs_jr_count(rd->d, addrs);
    return RS_OK;
}

/* Calls fn for each member of object 'key': the member's name must be
 * found by find() (a metric of this version); missing metrics stay 0. */
typedef rs_code (*member_fn)(reader *rd, int id, uint32_t value, rs_result *r);

static rs_code each_metric(reader *rd, uint32_t root, const char *key, int (*find)(const char *), member_fn fn,
                           rs_result *r)
{
    uint32_t o;
    rs_code rc = need(rd, root, key, RS_JR_OBJECT, key, &o);
    if (rc)
        return rc;
    uint32_t k = rs_jr_first(rd->d, o);
    for (uint32_t m = 0; m < rs_jr_count(rd->d, o); m++, k = rs_jr_next(rd->d, k + 1)) {
        char name[128];
        if ((rc = rs_jr_str(rd->d, k, key, name, sizeof name, NULL, rd->err)))
            return rc;
        int id = find(name);
        if (id < 0)
            return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(rd->d, k), key,
                           "metric names of this version (docs/results.md)", 0, 0, RS_NUM_NONE);
        if ((rc = fn(rd, id, k + 1, r)))
            return rc;
    }
    return RS_OK;
}

static rs_code counter_fn(reader *rd, int id, uint32_t v, rs_result *r)
{
    return rs_jr_u64(rd->d, v, "counters", &r->metrics.counter[id], rd->err);
}

static rs_code gauge_fn(reader *rd, int id, uint32_t v, rs_result *r)
{
    if (rs_jr_type_of(rd->d, v) != RS_JR_OBJECT)
        return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(rd->d, v), "gauges", "a gauge is {\"last\": n, \"max\": n}",
                       0, 0, RS_NUM_NONE);
    rs_code rc = get_i64(rd, v, "last", "gauges", &r->metrics.gauge[id]);
    return rc ? rc : get_i64(rd, v, "max", "gauges", &r->gauge_max[id]);
}

static rs_code hist_fn(reader *rd, int id, uint32_t v, rs_result *r)
{
    return rs_hist_from_json(&r->metrics.hist[id], rd->d, v, rs_hist_desc[id].name, rd->err);
}

static rs_code read_lost_by(reader *rd, uint32_t obj, const char *field, uint64_t *out)
{
    uint32_t o;
    rs_code rc = need(rd, obj, "lost_by", RS_JR_OBJECT, field, &o);
    for (unsigned k = 0; rc == RS_OK && k < RS_LOST_REASONS; k++)
        rc = get_u64(rd, o, rs_lost_reason_name(k), field, &out[k]);
    return rc;
}

static rs_code read_checks(reader *rd, uint32_t root, rs_checks *c)
{
    uint32_t o, list;
    rs_code rc;
    if ((rc = need(rd, root, "checks", RS_JR_OBJECT, "checks", &o)))
        return rc;
    uint32_t ran = rs_jr_get(rd->d, o, "ran");
    if ((rc = rs_jr_bool(rd->d, ran, "checks.ran", &c->ran, rd->err)) ||
        (rc = get_u64(rd, o, "vins", "checks.vins", &c->vins)) ||
        (rc = get_u64(rd, o, "vins_with_loss", "checks.vins_with_loss", &c->vins_with_loss)) ||
        (rc = get_u64(rd, o, "vins_with_duplicates", "checks.vins_with_duplicates", &c->vins_with_duplicates)) ||
        (rc = get_u64(rd, o, "generated", "checks.generated", &c->generated)) ||
        (rc = get_u64(rd, o, "received", "checks.received", &c->received)) ||
        (rc = get_u64(rd, o, "lost", "checks.lost", &c->lost)) ||
        (rc = get_u64(rd, o, "duplicates", "checks.duplicates", &c->duplicates)) ||
        (rc = read_lost_by(rd, o, "checks.lost_by", c->lost_by)) ||
        (rc = need(rd, o, "listed", RS_JR_ARRAY, "checks.listed", &list)))
        return rc;
    if (rs_jr_count(rd->d, list) > RS_CHECKS_LISTED)
        return rs_fail(rd->err, RS_E_LIMIT, rs_jr_offset(rd->d, list), "checks.listed",
                       "at most RS_CHECKS_LISTED VINs listed", rs_jr_count(rd->d, list), RS_CHECKS_LISTED, RS_NUM_DEC);
    uint32_t e = rs_jr_first(rd->d, list);
    for (uint32_t i = 0; i < rs_jr_count(rd->d, list); i++, e = rs_jr_next(rd->d, e)) {
        rs_check_vin *v = &c->listed[i];
        if (rs_jr_type_of(rd->d, e) != RS_JR_OBJECT)
            return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(rd->d, e), "checks.listed", "a listed VIN is an object",
                           0, 0, RS_NUM_NONE);
        if ((rc = get_text(rd, e, "vin", "checks.listed.vin", v->vin, sizeof v->vin)) ||
            (rc = get_u64(rd, e, "generated", "checks.listed.generated", &v->generated)) ||
            (rc = get_u64(rd, e, "received", "checks.listed.received", &v->received)) ||
            (rc = get_u64(rd, e, "lost", "checks.listed.lost", &v->lost)) ||
            (rc = get_u64(rd, e, "duplicates", "checks.listed.duplicates", &v->duplicates)) ||
            (rc = read_lost_by(rd, e, "checks.listed.lost_by", v->lost_by)))
            return rc;
        c->n_listed = i + 1;
    }
    return RS_OK;
}

static rs_code read_thresholds(reader *rd, uint32_t root, rs_result *r)
{
    uint32_t arr;
    rs_code rc = need(rd, root, "thresholds", RS_JR_ARRAY, "thresholds", &arr);
    if (rc)
        return rc;
    if (rs_jr_count(rd->d, arr) > RS_RESULT_MAX_THRESHOLDS)
        return rs_fail(rd->err, RS_E_LIMIT, rs_jr_offset(rd->d, arr), "thresholds",
                       "at most RS_RESULT_MAX_THRESHOLDS thresholds", rs_jr_count(rd->d, arr),
                       RS_RESULT_MAX_THRESHOLDS, RS_NUM_DEC);
    uint32_t e = rs_jr_first(rd->d, arr);
    for (uint32_t i = 0; i < rs_jr_count(rd->d, arr); i++, e = rs_jr_next(rd->d, e)) {
        char text[RS_THRESHOLD_TEXT];
        uint32_t x;
        rs_threshold t;
        if (rs_jr_type_of(rd->d, e) != RS_JR_OBJECT)
            return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(rd->d, e), "thresholds", "a threshold is an object", 0,
                           0, RS_NUM_NONE);
        if ((rc = get_text(rd, e, "expr", "thresholds.expr", text, sizeof text)))
            return rc;
        x = rs_jr_get(rd->d, e, "expr");
        if ((rc = rs_threshold_parse(&t, text, rd->err))) {
            if (rd->err)   /* point into the file: the string's first character, plus the offset in it */
                rd->err->offset += rs_jr_offset(rd->d, x) + 1;
            return rc;
        }
        if ((rc = rs_result_evaluate(r, &t, 1, rd->err)))
            return rc;
    }
    return RS_OK;
}

static rs_code read_doc(reader *rd, rs_result *r)
{
    const rs_jr_doc *d = rd->d;
    uint32_t v;
    uint64_t version;
    rs_code rc;
    if (rs_jr_type_of(d, 0) != RS_JR_OBJECT)
        return rs_fail(rd->err, RS_E_SYNTAX, 0, "document", "a result document is a JSON object", 0, 0, RS_NUM_NONE);
    if ((rc = need(rd, 0, "format", RS_JR_STRING, "format", &v)))
        return rc;
    if (!rs_jr_str_eq(d, v, RS_RESULT_FORMAT))
        return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(d, v), "format", "\"remsim-result\"", 0, 0, RS_NUM_NONE);
    if ((rc = get_u64(rd, 0, "version", "version", &version)))
        return rc;
    if (version != RS_RESULT_VERSION)
        return rs_fail(rd->err, RS_E_SYNTAX, rs_jr_offset(d, rs_jr_get(d, 0, "version")), "version",
                       "a version this build reads", (long long)version, RS_RESULT_VERSION, RS_NUM_DEC);
    if ((rc = read_run(rd, 0, &r->run)) ||
        (rc = each_metric(rd, 0, "counters", rs_counter_find, counter_fn, r)) ||
        (rc = each_metric(rd, 0, "gauges", rs_gauge_find, gauge_fn, r)) ||
        (rc = each_metric(rd, 0, "histograms", rs_hist_find, hist_fn, r)) ||
        (rc = read_checks(rd, 0, &r->checks)) || (rc = need(rd, 0, "series", RS_JR_OBJECT, "series", &v)))
        return rc;
    uint32_t cap = r->series.cap;
    rs_series_free(&r->series);
    if ((rc = rs_series_from_json(&r->series, cap, d, v, rd->err)))
        return rc;
    /* Thresholds last: their verdicts are computed from everything above. */
    return read_thresholds(rd, 0, r);
}

rs_code rs_result_parse(rs_result *r, const char *text, size_t len, rs_err *err)
{
    rs_jr_doc d;
    rs_err local;
    if (!err)
        err = &local;
    uint32_t cap = r->series.cap;
    rs_result_free(r);
    rs_code rc = rs_result_init(r, cap, err);
    if (rc)
        return rc;
    rc = rs_jr_parse_alloc(&d, text, len, RS_RESULT_MAX_NODES, err);
    if (rc == RS_OK) {
        reader rd = { &d, err };
        rc = read_doc(&rd, r);
    }
    rs_jr_free(&d);
    if (rc != RS_OK && !r->series.rows) {
        /* leave r usable: an empty series */
        rs_series_init(&r->series, cap, NULL);
    }
    return rc;
}

rs_code rs_result_load(rs_result *r, const char *path, rs_err *err)
{
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!f)
        return rs_fail(err, RS_E_IO, 0, "file", "the result file can be opened", errno, 0, RS_NUM_GOT_ONLY);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    rs_code rc = RS_OK;
    while (buf) {
        if (len == cap) {
            if (cap >= RS_RESULT_MAX_BYTES) {
                rc = rs_fail(err, RS_E_LIMIT, len, "file", "result files of at most 256 MiB", (long long)len,
                             RS_RESULT_MAX_BYTES, RS_NUM_DEC);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (!buf || (rc == RS_OK && len == cap && !feof(f)))
        rc = rs_fail(err, RS_E_LIMIT, len, "file", "memory to read the result file", (long long)len, 0,
                     RS_NUM_GOT_ONLY);
    else if (rc == RS_OK && ferror(f))
        rc = rs_fail(err, RS_E_IO, len, "file", "the result file can be read", errno, 0, RS_NUM_GOT_ONLY);
    if (f != stdin)
        fclose(f);
    if (rc == RS_OK)
        rc = rs_result_parse(r, buf, len, err);
    free(buf);
    return rc;
}
