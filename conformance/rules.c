/* The per-frame rules (conform_rules.h): every frame decoded under the
 * run's profile, every codec finding mapped to its catalogue case, then
 * the sequence and signature rules of its VIN. */
#include <stdlib.h>
#include <string.h>

#include "conformance/rules_int.h"
#include "remsim/framelog.h"

rs_rules *rs_rules_new(rs_conf_run *run, rs_err *err)
{
    rs_rules *r = calloc(1, sizeof *r);
    rs_msg *m = malloc(sizeof *m);
    if (!r || !m) {
        free(r);
        free(m);
        rs_fail(err, RS_E_LIMIT, 0, "memory", "the checker needs its decode scratch", 0, 0, RS_NUM_NONE);
        return NULL;
    }
    r->run = run;
    r->p = &run->profile;
    r->msg = m;
    return r;
}

void rs_rules_free(rs_rules *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n_vins; i++)
        free(r->vins[i].iv);
    free(r->vins);
    rs_index_free(&r->vin_ix);
    for (uint32_t i = 0; i < r->n_sources; i++)
        free(r->sources[i]);
    free(r->sources);
    free(r->msg);
    free(r);
}

void rs_rules_set_keys(rs_rules *r, const rs_rules_keys *keys)
{
    r->keys = *keys;
    r->have_keys = keys->verify != NULL;
}

void rs_rules_segments_known(rs_rules *r, bool known) { r->segments_known = known; }

uint64_t rs_rules_frames(const rs_rules *r) { return r->frames_up + r->frames_down; }

/* --- per-VIN records --- */

static uint32_t vin_hash(const void *ctx, uint32_t i)
{
    const rs_rules *r = ctx;
    return rs_hash_bytes(r->vins[i].vin, RS_VIN_LEN);
}

rules_vin *rules_vin_get(rs_rules *r, const uint8_t vin[RS_VIN_LEN])
{
    if (!rs_index_reserve(&r->vin_ix, r->n_vins, vin_hash, r))
        return NULL;
    uint32_t *s = rs_index_probe(&r->vin_ix, rs_hash_bytes(vin, RS_VIN_LEN));
    for (; *s; s = rs_index_step(&r->vin_ix, s))
        if (!memcmp(r->vins[*s - 1].vin, vin, RS_VIN_LEN))
            return &r->vins[*s - 1];
    if (r->n_vins == r->cap_vins) {
        uint32_t cap = r->cap_vins ? r->cap_vins * 2 : 64;
        rules_vin *nv = realloc(r->vins, cap * sizeof *nv);
        if (!nv)
            return NULL;
        r->vins = nv;
        r->cap_vins = cap;
    }
    rules_vin *v = &r->vins[r->n_vins];
    memset(v, 0, sizeof *v);
    memcpy(v->vin, vin, RS_VIN_LEN);
    rs_framelog_vin_text(vin, v->text);
    v->last_live_t = RULES_NO_TIME;
    *s = ++r->n_vins;
    return v;
}

/* --- evidence --- */

uint32_t rules_source_keep(rs_rules *r, const char *text)
{
    for (uint32_t i = 0; i < r->n_sources; i++)
        if (!strcmp(r->sources[i], text))
            return i;
    if (r->n_sources == r->cap_sources) {
        uint32_t cap = r->cap_sources ? 2 * r->cap_sources : 8;
        char **grown = realloc(r->sources, cap * sizeof *grown);
        if (!grown)
            return UINT32_MAX;
        r->sources = grown;
        r->cap_sources = cap;
    }
    char *copy = strdup(text);
    if (!copy)
        return UINT32_MAX;
    r->sources[r->n_sources] = copy;
    return r->n_sources++;
}

const char *rules_source_text(const rs_rules *r, uint32_t id) { return id < r->n_sources ? r->sources[id] : ""; }

void rules_ref(const rs_rules *r, rs_conf_ref *ref, const uint8_t *frame, size_t len, const rs_rules_src *src)
{
    rs_conf_ref_init(ref);
    if (frame && len)
        rs_conf_ref_frame(ref, r->p, frame, len);
    if (src) {
        snprintf(ref->source, sizeof ref->source, "%s", src->source ? src->source : "");
        ref->line = src->line;
        ref->packet = src->packet;
        ref->offset = src->offset;
        ref->time_ms = src->time_ms;
    }
}

/* --- codec findings --- */

rs_case_id rs_rules_case_of(const rs_err *e, uint8_t cmd)
{
    switch (e->code) {
    case RS_E_START: return RS_CASE_START;
    case RS_E_SHORT:
    case RS_E_LENGTH: return RS_CASE_LENGTH;
    case RS_E_BCC: return RS_CASE_BCC;
    case RS_E_HEADER:
        return e->field && !strcmp(e->field, "encryption") ? RS_CASE_ENCRYPTION : RS_CASE_COMMAND;
    case RS_E_ENCRYPTED: return RS_CASE_ENCRYPTION;
    case RS_E_COMMAND: return RS_CASE_COMMAND;
    case RS_E_INFO_TYPE: return RS_CASE_INFO_TYPE;
    case RS_E_TIME: return RS_CASE_TIME;
    case RS_E_VIN: return RS_CASE_VIN;
    case RS_E_STRING: return RS_CASE_TEXT;
    case RS_E_RANGE: return RS_CASE_RANGE;
    case RS_E_SIGNATURE:
        return cmd == RS_CMD_REALTIME || cmd == RS_CMD_REISSUE || cmd == RS_CMD_ACTIVATION ? RS_CASE_SIG_MISSING
                                                                                            : RS_CASE_SIG_UNEXPECTED;
    case RS_E_VARIANT: return RS_CASE_S6;
    case RS_E_SERIAL: return RS_CASE_LOGIN_SERIAL;
    case RS_E_SYNTAX: return RS_CASE_GARBAGE;
    default: return RS_CASE_BODY;
    }
}

static void finding(rs_rules *r, rs_case_id id, rs_severity sev, const rs_err *e, const rs_conf_ref *ref)
{
    char msg[RS_CONF_TEXT_MAX];
    rs_err_format(e, msg, sizeof msg);
    rs_conf_fail(r->run, id, sev, NULL, ref, "%s", msg);
}

/* A report that failed after an OBD item with DTC count 0xFE: the bytes
 * after it are a DTC list the count says is not there (§13: WARN). */
static bool dtc_trailing(const rs_msg *m)
{
    if (m->kind != RS_MSG_REPORT)
        return false;
    for (unsigned i = 0; i + 1 < m->u.report.n_items; i++)
        if (m->u.report.item[i].type == RS_INFO_OBD && m->u.report.item[i].u.obd.dtc_count == RS_DTC_INVALID)
            return true;
    return false;
}

/* The cases every frame of this kind exercises. */
static void exercise_frame(rs_rules *r, const rs_msg *m, bool decoded, bool downlink)
{
    static const rs_case_id every[] = { RS_CASE_START, RS_CASE_LENGTH, RS_CASE_BCC, RS_CASE_GARBAGE,
                                        RS_CASE_ENCRYPTION, RS_CASE_COMMAND, RS_CASE_TIME, RS_CASE_BODY };
    rs_conf_run *run = r->run;
    for (unsigned i = 0; i < sizeof every / sizeof every[0]; i++)
        rs_conf_exercise(run, every[i], NULL);
    if (r->segments_known)
        rs_conf_exercise(run, RS_CASE_COALESCED, NULL);
    if (!decoded || downlink)
        return;
    rs_conf_exercise(run, RS_CASE_VIN, NULL);
    bool hj = r->p->proto == RS_PROTO_HJ1239;
    uint8_t cmd = m->frame.cmd;
    if (m->kind == RS_MSG_REPORT) {
        rs_conf_exercise(run, RS_CASE_INFO_TYPE, NULL);
        rs_conf_exercise(run, RS_CASE_RANGE, NULL);
        if (!hj)
            rs_conf_exercise(run, RS_CASE_S6, NULL);
        for (unsigned i = 0; i < m->u.report.n_items; i++)
            if (m->u.report.item[i].type == RS_INFO_OBD) {
                rs_conf_exercise(run, RS_CASE_DTC, NULL);
                rs_conf_exercise(run, RS_CASE_TEXT, NULL);
                break;
            }
    }
    if (m->kind == RS_MSG_LOGIN || m->kind == RS_MSG_ACTIVATION)
        rs_conf_exercise(run, RS_CASE_TEXT, NULL);
    if (hj && (cmd == RS_CMD_REALTIME || cmd == RS_CMD_REISSUE || cmd == RS_CMD_ACTIVATION))
        rs_conf_exercise(run, RS_CASE_SIG_MISSING, NULL);
    if (hj && (cmd == RS_CMD_LOGIN || cmd == RS_CMD_LOGOUT || cmd == RS_CMD_TAMPER))
        rs_conf_exercise(run, RS_CASE_SIG_UNEXPECTED, NULL);
}

static void traffic(rs_rules *r, const rs_msg *m, size_t len, const rs_rules_src *src, bool decoded)
{
    rs_conf_traffic *t = &r->run->traffic;
    t->frames++;
    t->bytes += len;
    if (src->downlink)
        t->downlink_frames++;
    if (decoded || m->frame.data)
        t->frames_by_cmd[m->frame.cmd]++;
    int64_t sec = src->time_ms > 0 ? src->time_ms / 1000 : RULES_NO_TIME;
    if (sec == RULES_NO_TIME && decoded && m->kind == RS_MSG_REPORT && rs_time_valid(&m->u.report.time))
        sec = rs_time_to_unix(&m->u.report.time);
    if (sec != RULES_NO_TIME) {
        rs_series_row row;
        memset(&row, 0, sizeof row);
        row.t = sec;
        row.seconds = 1;
        row.frames_tx = 1;
        row.bytes_tx = len;
        rs_series_add(&t->series, &row);
    }
}

void rs_rules_frame(rs_rules *r, const uint8_t *frame, size_t len, const rs_rules_src *src)
{
    static const rs_rules_src none;
    if (!src)
        src = &none;
    rs_msg *m = r->msg;
    rs_err err;
    rs_conf_ref ref;
    rules_ref(r, &ref, frame, len, src);
    bool decoded = rs_msg_decode(r->p, frame, len, m, &err) == RS_OK;
    if (src->downlink)
        r->frames_down++;
    else
        r->frames_up++;
    traffic(r, m, len, src, decoded);
    rs_conf_vin_frame(r->run, ref.vin);
    exercise_frame(r, m, decoded, src->downlink);
    if (r->segments_known && src->coalesced)
        rs_conf_fail(r->run, RS_CASE_COALESCED, RS_SEV_INFO, NULL, &ref,
                     "frame arrived in one TCP segment with another frame");
    uint8_t cmd = len > 2 ? frame[2] : 0;
    if (!decoded) {
        rs_case_id id = rs_rules_case_of(&err, cmd);
        rs_severity sev = RS_SEV_ERROR;
        if (dtc_trailing(m)) {
            id = RS_CASE_DTC;
            sev = rs_conf_severity(r->run, RS_CASE_DTC);
        }
        finding(r, id, sev, &err, &ref);
        return;
    }
    for (unsigned i = 0; i < m->n_warn; i++) {
        rs_case_id id = rs_rules_case_of(&m->warn[i], cmd);
        finding(r, id, id == RS_CASE_COALESCED ? RS_SEV_INFO : RS_SEV_WARN, &m->warn[i], &ref);
    }
    if (!(m->frame.vin[0] >= 0x20 && m->frame.vin[0] < 0x7F))
        return; /* a platform id padded with 0x00: no VIN to follow */
    rules_vin *v = rules_vin_get(r, m->frame.vin);
    if (!v)
        return;
    if (src->downlink) {
        rules_seq_answer(r, v, m, src);
        return;
    }
    rules_seq_frame(r, v, m, &ref, src);
    if (r->p->proto == RS_PROTO_HJ1239)
        rules_sig_frame(r, v, m, &ref);
}

void rs_rules_stream_error(rs_rules *r, const rs_err *e, const uint8_t *bytes, size_t n, const rs_rules_src *src)
{
    rs_conf_ref ref;
    rules_ref(r, &ref, bytes, n, src);
    rs_case_id id;
    switch (e->code) {
    case RS_E_BCC: id = RS_CASE_BCC; break;
    case RS_E_LENGTH: id = RS_CASE_LENGTH; break;
    /* a candidate whose header is impossible: the search for the next start goes on */
    default: id = RS_CASE_GARBAGE; break;  /* start bytes not found, stream ended inside a frame, a bad line */
    }
    rs_conf_exercise(r->run, RS_CASE_GARBAGE, NULL);
    finding(r, id, RS_SEV_ERROR, e, &ref);
}

void rs_rules_conn_close(rs_rules *r, uint32_t conn)
{
    /* Sessions end by themselves when the VIN shows up on another
     * connection (rules_seq.c); a close needs no search through VINs. */
    (void)r;
    (void)conn;
}

void rs_rules_finish(rs_rules *r)
{
    if (r->finished)
        return;
    r->finished = true;
    for (uint32_t i = 0; i < r->n_vins; i++)
        rules_seq_finish(r, &r->vins[i]);
    rules_sig_finish(r);
    if (!r->segments_known)
        rs_conf_skip(r->run, RS_CASE_COALESCED, "the input does not record TCP segment boundaries");
}
