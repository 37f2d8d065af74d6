/* The verdict model of a conformance run (conform.h): findings and
 * exercises in, one verdict per case and per VIN out. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remsim/conform.h"
#include "remsim/frame.h"
#include "remsim/framelog.h"
#include "remsim/result.h"

const char *rs_verdict_name(rs_verdict v)
{
    static const char *const names[RS_VERDICT_COUNT] = { "pass", "fail", "not_applicable", "skipped" };
    return (unsigned)v < RS_VERDICT_COUNT ? names[v] : "unknown";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

rs_conf_run *rs_conf_new(unsigned role, const rs_profile *p, rs_err *err)
{
    rs_conf_run *run = calloc(1, sizeof *run);
    rs_conf_finding *ev = calloc((size_t)RS_CASE_COUNT * RS_CONF_EVIDENCE_MAX, sizeof *ev);
    if (!run || !ev || rs_series_init(&run->traffic.series, 0, err) != RS_OK) {
        free(run);
        free(ev);
        rs_fail(err, RS_E_LIMIT, 0, "memory", "a conformance run needs about 1.5 MB", 0, 0, RS_NUM_NONE);
        return NULL;
    }
    run->role = role;
    run->profile = *p;
    set_text(run->tool_version, sizeof run->tool_version, REMSIM_VERSION);
    run->start_ms = now_ms();
    rs_hist_init(&run->traffic.packet_interval);
    rs_hist_init(&run->traffic.answer_latency);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        rs_conf_case_result *c = &run->cases[i];
        c->id = (rs_case_id)i;
        c->applies = rs_conf_case_applies(rs_conf_case_get((rs_case_id)i), role, p->proto);
        c->evidence = ev + (size_t)i * RS_CONF_EVIDENCE_MAX;
    }
    return run;
}

void rs_conf_free(rs_conf_run *run)
{
    if (!run)
        return;
    free(run->cases[0].evidence);
    free(run->vins);
    rs_index_free(&run->vin_ix);
    rs_series_free(&run->traffic.series);
    free(run);
}

void rs_conf_set_command_line(rs_conf_run *run, int argc, char **argv)
{
    rs_run_info *info = calloc(1, sizeof *info);
    if (!info)
        return;
    rs_run_set_command_line(info, argc, argv);
    set_text(run->command_line, sizeof run->command_line, info->command_line);
    free(info);
}

bool rs_conf_add_input(rs_conf_run *run, const char *input)
{
    if (run->n_inputs >= RS_CONF_MAX_INPUTS)
        return false;
    set_text(run->inputs[run->n_inputs++], RS_CONF_SOURCE_MAX, input);
    return true;
}

/* --- per-VIN table: open addressing over VIN text --- */

static uint32_t vin_hash(const void *ctx, uint32_t i)
{
    const rs_conf_run *run = ctx;
    return rs_hash_bytes(run->vins[i].vin, strlen(run->vins[i].vin));
}

rs_conf_vin *rs_conf_vin_get(rs_conf_run *run, const char *vin)
{
    if (!vin || !*vin)
        return NULL;
    char key[18];
    snprintf(key, sizeof key, "%s", vin);
    if (!rs_index_reserve(&run->vin_ix, run->n_vins, vin_hash, run))
        return NULL;
    uint32_t *s = rs_index_probe(&run->vin_ix, rs_hash_bytes(key, strlen(key)));
    for (; *s; s = rs_index_step(&run->vin_ix, s))
        if (!strcmp(run->vins[*s - 1].vin, key))
            return &run->vins[*s - 1];
    if (run->n_vins == run->vins_cap) {
        uint32_t cap = run->vins_cap ? run->vins_cap * 2 : 64;
        rs_conf_vin *nv = realloc(run->vins, cap * sizeof *nv);
        if (!nv)
            return NULL;
        run->vins = nv;
        run->vins_cap = cap;
    }
    rs_conf_vin *v = &run->vins[run->n_vins];
    memset(v, 0, sizeof *v);
    memcpy(v->vin, key, sizeof key);
    *s = ++run->n_vins;
    return v;
}

void rs_conf_vin_frame(rs_conf_run *run, const char *vin)
{
    rs_conf_vin *v = rs_conf_vin_get(run, vin);
    if (v)
        v->frames++;
}

/* --- evidence and verdicts --- */

void rs_conf_ref_init(rs_conf_ref *r)
{
    r->source[0] = 0;
    r->line = r->packet = r->offset = 0;
    r->time_ms = 0;
    r->vin[0] = 0;
    r->frame_len = 0;
    r->n = 0;
}

void rs_conf_ref_frame(rs_conf_ref *r, const rs_profile *p, const uint8_t *frame, size_t len)
{
    r->frame_len = (uint32_t)len;
    r->n = (uint16_t)(len < RS_CONF_HEX_CAP ? len : RS_CONF_HEX_CAP);
    if (r->n)
        memcpy(r->bytes, frame, r->n);
    size_t at = p->proto == RS_PROTO_GB32960 ? 4 : 3;
    if (len >= at + RS_VIN_LEN) {
        char v[18];
        rs_framelog_vin_text(frame + at, v);
        snprintf(r->vin, sizeof r->vin, "%s", strcmp(v, "-") ? v : "");
    }
}

void rs_conf_exercise(rs_conf_run *run, rs_case_id id, const char *vin)
{
    (void)vin;
    if ((unsigned)id < RS_CASE_COUNT)
        run->cases[id].exercised++;
}

static void vin_mark(uint64_t *words, rs_case_id id) { words[id / 64] |= UINT64_C(1) << (id % 64); }
static bool vin_marked(const uint64_t *words, rs_case_id id) { return words[id / 64] >> (id % 64) & 1; }

/* Evidence keeps the first findings, but an ERROR displaces a kept WARN
 * or INFO: the reader should see what failed the case. */
static rs_conf_finding *evidence_slot(rs_conf_case_result *c, rs_severity sev)
{
    if (c->n_evidence < RS_CONF_EVIDENCE_MAX)
        return &c->evidence[c->n_evidence++];
    for (int i = RS_CONF_EVIDENCE_MAX - 1; i >= 0; i--)
        if (c->evidence[i].severity > sev)
            return &c->evidence[i];
    return NULL;
}

void rs_conf_failv(rs_conf_run *run, rs_case_id id, rs_severity sev, const char *vin, const rs_conf_ref *ref,
                   const char *fmt, va_list ap)
{
    if ((unsigned)id >= RS_CASE_COUNT || (unsigned)sev > RS_SEV_INFO)
        return;
    rs_conf_case_result *c = &run->cases[id];
    c->n_sev[sev]++;
    if (!vin && ref && ref->vin[0])
        vin = ref->vin;
    rs_conf_vin *v = rs_conf_vin_get(run, vin);
    if (v) {
        v->n_sev[sev]++;
        if (sev == RS_SEV_ERROR && !vin_marked(v->failed_cases, id)) {
            vin_mark(v->failed_cases, id);
            c->vins_failed++;
        }
        if (sev == RS_SEV_WARN)
            vin_mark(v->warned_cases, id);
    }
    rs_conf_finding *f = evidence_slot(c, sev);
    if (!f) {
        run->findings_dropped++;
        return;
    }
    f->severity = (uint8_t)sev;
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    if (ref)
        f->ref = *ref;
    else
        rs_conf_ref_init(&f->ref);
    if (vin && !f->ref.vin[0])
        snprintf(f->ref.vin, sizeof f->ref.vin, "%s", vin);
}

void rs_conf_fail(rs_conf_run *run, rs_case_id id, rs_severity sev, const char *vin, const rs_conf_ref *ref,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rs_conf_failv(run, id, sev, vin, ref, fmt, ap);
    va_end(ap);
}

void rs_conf_skip(rs_conf_run *run, rs_case_id id, const char *reason)
{
    if ((unsigned)id >= RS_CASE_COUNT || run->cases[id].skip_set || run->cases[id].na_set)
        return;
    run->cases[id].skip_set = true;
    set_text(run->cases[id].reason, RS_CONF_TEXT_MAX, reason);
}

void rs_conf_not_applicable(rs_conf_run *run, rs_case_id id, const char *reason)
{
    if ((unsigned)id >= RS_CASE_COUNT || run->cases[id].skip_set || run->cases[id].na_set)
        return;
    run->cases[id].na_set = true;
    set_text(run->cases[id].reason, RS_CONF_TEXT_MAX, reason);
}

rs_severity rs_conf_severity(const rs_conf_run *run, rs_case_id id)
{
    const rs_conf_case *c = rs_conf_case_get(id);
    if (!c)
        return RS_SEV_ERROR;
    const rs_profile *p = &run->profile;
    if (id == RS_CASE_SIG_MISSING || id == RS_CASE_SIG_UNEXPECTED) {
        rs_tolerance t = rs_tol(p, p->sig_missing);
        return t == RS_TOL_REJECT ? RS_SEV_ERROR : t == RS_TOL_ACCEPT ? RS_SEV_INFO : RS_SEV_WARN;
    }
    if (p->strict && c->severity == RS_SEV_WARN)
        return RS_SEV_ERROR;
    return c->severity;
}

static void case_verdict(rs_conf_run *run, rs_conf_case_result *c)
{
    const rs_conf_case *def = rs_conf_case_get(c->id);
    if (!c->applies) {
        c->verdict = RS_VERDICT_NA;
        if (!(def->profiles & (1u << run->profile.proto)))
            snprintf(c->reason, sizeof c->reason, "not part of profile %s", rs_proto_name(run->profile.proto));
        else
            snprintf(c->reason, sizeof c->reason, "not a %s case", rs_conf_role_name(run->role));
        return;
    }
    if (c->n_sev[RS_SEV_ERROR]) {
        c->verdict = RS_VERDICT_FAIL;
        for (unsigned i = 0; i < c->n_evidence; i++)
            if (c->evidence[i].severity == RS_SEV_ERROR) {
                snprintf(c->reason, sizeof c->reason, "%llu error%s; first: %.280s",
                         (unsigned long long)c->n_sev[RS_SEV_ERROR], c->n_sev[RS_SEV_ERROR] == 1 ? "" : "s",
                         c->evidence[i].text);
                break;
            }
        return;
    }
    if (c->exercised || c->n_sev[RS_SEV_WARN] || c->n_sev[RS_SEV_INFO]) {
        c->verdict = RS_VERDICT_PASS;
        if (c->n_sev[RS_SEV_WARN] || c->n_sev[RS_SEV_INFO])
            snprintf(c->reason, sizeof c->reason, "checked %llu times; %llu warnings, %llu notes",
                     (unsigned long long)c->exercised, (unsigned long long)c->n_sev[RS_SEV_WARN],
                     (unsigned long long)c->n_sev[RS_SEV_INFO]);
        else
            snprintf(c->reason, sizeof c->reason, "checked %llu time%s", (unsigned long long)c->exercised,
                     c->exercised == 1 ? "" : "s");
        return;
    }
    if (c->skip_set) {
        c->verdict = RS_VERDICT_SKIP;
        return;
    }
    c->verdict = RS_VERDICT_NA;
    if (!c->na_set)
        snprintf(c->reason, sizeof c->reason, "nothing in the input to check");
}

void rs_conf_finish(rs_conf_run *run)
{
    if (!run->finished)
        run->end_ms = now_ms();
    run->finished = true;
    memset(run->counts, 0, sizeof run->counts);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        case_verdict(run, &run->cases[i]);
        run->counts[run->cases[i].verdict]++;
    }
    run->vins_by_verdict[0] = run->vins_by_verdict[1] = 0;
    for (uint32_t i = 0; i < run->n_vins; i++) {
        rs_conf_vin *v = &run->vins[i];
        v->verdict = v->n_sev[RS_SEV_ERROR] ? RS_VERDICT_FAIL : RS_VERDICT_PASS;
        run->vins_by_verdict[v->verdict == RS_VERDICT_FAIL]++;
    }
}

int rs_conf_exit_code(const rs_conf_run *run) { return run->counts[RS_VERDICT_FAIL] ? 1 : 0; }

void rs_conf_counts_text(const rs_conf_run *run, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu passed, %llu failed, %llu not applicable, %llu skipped",
             (unsigned long long)run->counts[RS_VERDICT_PASS], (unsigned long long)run->counts[RS_VERDICT_FAIL],
             (unsigned long long)run->counts[RS_VERDICT_NA], (unsigned long long)run->counts[RS_VERDICT_SKIP]);
}
