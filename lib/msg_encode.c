/* Encoding: bodies are written straight into the output buffer after the
 * 24-byte header, then rs_frame_seal() closes the frame.  No allocation. */
#include <string.h>

#include "lib/msg_internal.h"

/* A bounded writer over the data unit. */
typedef struct writer {
    uint8_t *p;
    size_t cap, len;
    rs_err *err;
} writer;

static bool room(writer *w, size_t n)
{
    if (w->cap - w->len >= n)
        return true;
    rs_fail(w->err, RS_E_SPACE, RS_HEADER_LEN + w->len, "data", "output buffer holds the whole frame",
            (long long)(w->cap + RS_FRAME_OVERHEAD), (long long)(w->len + n + RS_FRAME_OVERHEAD), RS_NUM_DEC);
    return false;
}

static bool put_bytes(writer *w, const void *src, size_t n)
{
    if (n == 0) /* src may be NULL for an empty list */
        return true;
    if (!room(w, n))
        return false;
    memcpy(w->p + w->len, src, n);
    w->len += n;
    return true;
}

static bool put_u8(writer *w, uint8_t v) { return put_bytes(w, &v, 1); }

static bool put_u16(writer *w, uint16_t v)
{
    uint8_t b[2];
    rs_put16(b, v);
    return put_bytes(w, b, 2);
}

static bool put_time(writer *w, const rs_time *t)
{
    uint8_t b[RS_TIME_LEN];
    rs_time_write(t, b);
    return put_bytes(w, b, RS_TIME_LEN);
}

static bool put_field(writer *w, const rs_profile *p, int id, const rs_val *v)
{
    const rs_field_desc *fd = &rs_fields[id];
    uint32_t raw;
    if (!rs_val_to_raw(fd, &p->scale[id], v, &raw)) {
        rs_fail(w->err, RS_E_VALUE, RS_HEADER_LEN + w->len, fd->name,
                "value outside the field's range: send it as invalid or abnormal instead (§2.3)",
                (long long)v->value, 0, RS_NUM_GOT_ONLY);
        return false;
    }
    if (!room(w, fd->width))
        return false;
    rs_write_be(w->p + w->len, fd->width, raw);
    w->len += fd->width;
    return true;
}

static bool put_obd(writer *w, const rs_obd *o)
{
    if (o->dtc_count > RS_DTC_MAX && o->dtc_count != RS_DTC_INVALID) {
        rs_fail(w->err, RS_E_VALUE, RS_HEADER_LEN + w->len + 95, "obd.dtc_count",
                "DTC count is 0..253, or 0xFE when invalid (§7.10)", o->dtc_count, RS_DTC_MAX, RS_NUM_DEC);
        return false;
    }
    size_t list = o->dtc_count == RS_DTC_INVALID ? 0 : 4u * o->dtc_count;
    if (list && !o->dtc) {
        rs_fail(w->err, RS_E_VALUE, RS_HEADER_LEN + w->len + 96, "obd.dtc", "a DTC count needs its DTC bytes",
                o->dtc_count, 0, RS_NUM_GOT_ONLY);
        return false;
    }
    return put_u8(w, o->protocol) && put_u8(w, o->mil) && put_u16(w, o->support) && put_u16(w, o->readiness) &&
           put_bytes(w, o->vin, RS_VIN_LEN) && put_bytes(w, o->calid, RS_CALID_LEN) &&
           put_bytes(w, o->cvn, RS_CVN_LEN) && put_bytes(w, o->iupr, RS_IUPR_LEN) && put_u8(w, o->dtc_count) &&
           put_bytes(w, o->dtc, list);
}

static bool put_item_body(writer *w, const rs_profile *p, const rs_item *it)
{
    if (it->type == RS_INFO_OBD)
        return put_obd(w, &it->u.obd);
    unsigned n;
    const uint8_t *layout = rs_info_layout(it->type, &n);
    if (!layout) {
        /* A user-defined item is carried as the bytes it was given. */
        return put_bytes(w, it->u.opaque.p, it->u.opaque.len);
    }
    for (unsigned i = 0; i < n; i++)
        if (!put_field(w, p, layout[i], &it->u.v[layout[i]]))
            return false;
    return true;
}

static bool put_sig(writer *w, const rs_sig *s)
{
    if (s->r_len < 1 || s->r_len > 32 || s->s_len < 1 || s->s_len > 32) {
        rs_fail(w->err, RS_E_SIGNATURE, RS_HEADER_LEN + w->len, "signature", "r and s are 1..32 bytes (§9.1)",
                s->r_len, 32, RS_NUM_DEC);
        return false;
    }
    if (!room(w, RS_SIG_TOTAL(s)))
        return false;
    w->len += rs_sig_write(s, w->p + w->len);
    return true;
}

static bool put_report(writer *w, const rs_profile *p, const rs_report *r, bool with_sig)
{
    if (!put_time(w, &r->time))
        return false;
    if (r->layout != RS_LAYOUT_GB && !put_u16(w, r->serial))
        return false;
    for (unsigned i = 0; i < r->n_items; i++) {
        const rs_item *it = &r->item[i];
        if (!put_u8(w, it->type))
            return false;
        if (r->layout == RS_LAYOUT_GB && !put_u16(w, it->serial))
            return false;
        if (r->layout == RS_LAYOUT_HJ && !put_time(w, &it->collect))
            return false;
        if (!put_item_body(w, p, it))
            return false;
        if (r->layout == RS_LAYOUT_S6) {
            static const uint8_t filler[RS_SIG_BLOCK_LEN] = { 0x20, [33] = 0x20 };
            if (!put_bytes(w, it->s6_block ? it->s6_block : filler, RS_SIG_BLOCK_LEN))
                return false;
        }
    }
    return !(with_sig && r->has_sig) || put_sig(w, &r->sig);
}

static bool put_body(writer *w, const rs_profile *p, const rs_msg *m, bool with_sig)
{
    const rs_login *l = &m->u.login;
    switch ((rs_msg_kind)m->kind) {
    case RS_MSG_LOGIN:
        if (!(put_time(w, &l->time) && put_u16(w, l->serial) && put_bytes(w, l->iccid, RS_ICCID_LEN)))
            return false;
        if (p->proto != RS_PROTO_GB32960)
            return true;
        return put_u8(w, l->n_subsys) && put_u8(w, l->code_len) &&
               put_bytes(w, l->codes, (size_t)l->n_subsys * l->code_len);
    case RS_MSG_REPORT:
        return put_report(w, p, &m->u.report, with_sig);
    case RS_MSG_LOGOUT:
    case RS_MSG_PLAT_LOGOUT:
        return put_time(w, &m->u.logout.time) && put_u16(w, m->u.logout.serial);
    case RS_MSG_TIMECAL_REQ:
    case RS_MSG_HEARTBEAT:
        return true;
    case RS_MSG_TIMECAL_ANS:
    case RS_MSG_ECHO:
        return put_time(w, &m->u.time);
    case RS_MSG_TAMPER: {
        const rs_tamper *t = &m->u.tamper;
        return put_time(w, &t->time) && put_u16(w, t->serial) && put_u8(w, t->pos_status) &&
               put_field(w, p, RS_F_LON, &t->lon) && put_field(w, p, RS_F_LAT, &t->lat);
    }
    case RS_MSG_ACTIVATION: {
        const rs_activation *a = &m->u.act;
        return put_time(w, &a->time) && put_bytes(w, a->chip_id, RS_CHIP_ID_LEN) &&
               put_bytes(w, a->pubkey, RS_PUBKEY_LEN) && put_bytes(w, a->vin, RS_VIN_LEN) &&
               (!(with_sig && a->has_sig) || put_sig(w, &a->sig));
    }
    case RS_MSG_ACTIVATION_ANS:
        return put_u8(w, m->u.act_ans.status) && put_u8(w, m->u.act_ans.info);
    case RS_MSG_PLAT_LOGIN: {
        const rs_plat_login *pl = &m->u.plat_login;
        return put_time(w, &pl->time) && put_u16(w, pl->serial) && put_bytes(w, pl->user, sizeof pl->user) &&
               put_bytes(w, pl->password, sizeof pl->password) && put_u8(w, pl->enc_rule);
    }
    case RS_MSG_EV_REPORT:
    case RS_MSG_OPAQUE:
        if (m->u.opaque.has_time && !put_time(w, &m->u.opaque.time))
            return false;
        return put_bytes(w, m->u.opaque.p, m->u.opaque.len);
    default:
        rs_fail(w->err, RS_E_VALUE, 0, "kind", "the message kind has no body to encode", m->kind, 0,
                RS_NUM_GOT_ONLY);
        return false;
    }
}

/* The command byte follows from the kind, except where the kind spans several. */
static uint8_t command_of(const rs_profile *p, const rs_msg *m)
{
    bool gb32960 = p->proto == RS_PROTO_GB32960;
    switch ((rs_msg_kind)m->kind) {
    case RS_MSG_LOGIN: return RS_CMD_LOGIN;
    case RS_MSG_LOGOUT: return RS_CMD_LOGOUT;
    case RS_MSG_TIMECAL_REQ:
    case RS_MSG_TIMECAL_ANS: return gb32960 ? RS_CMD32960_TIMECAL : RS_CMD_TIMECAL;
    case RS_MSG_TAMPER: return RS_CMD_TAMPER;
    case RS_MSG_ACTIVATION: return RS_CMD_ACTIVATION;
    case RS_MSG_ACTIVATION_ANS: return RS_CMD_ACTIVATION_ANS;
    case RS_MSG_HEARTBEAT: return RS_CMD32960_HEARTBEAT;
    case RS_MSG_PLAT_LOGIN: return p->plat_login_cmd;
    case RS_MSG_PLAT_LOGOUT: return p->plat_logout_cmd;
    default: return m->frame.cmd; /* report 0x02/0x03, echo, EV report, opaque */
    }
}

static rs_code seal(const rs_profile *p, const rs_msg *m, uint8_t *out, size_t cap, size_t data_len,
                    size_t *len, rs_err *err)
{
    rs_frame hdr = m->frame;
    hdr.cmd = command_of(p, m);
    return rs_frame_seal(p, &hdr, out, cap, data_len, len, err);
}

static rs_code encode(const rs_profile *p, const rs_msg *m, uint8_t *out, size_t cap, bool with_sig,
                      size_t *data_len, rs_err *err)
{
    if (cap < RS_FRAME_OVERHEAD)
        return rs_fail(err, RS_E_SPACE, 0, "frame", "output buffer holds the whole frame", (long long)cap,
                       RS_FRAME_OVERHEAD, RS_NUM_DEC);
    size_t room_left = cap - RS_FRAME_OVERHEAD;
    writer w = { out + RS_HEADER_LEN, room_left > RS_MAX_DATA_LEN ? RS_MAX_DATA_LEN : room_left, 0, err };
    if (!put_body(&w, p, m, with_sig))
        return err ? err->code : RS_E_VALUE;
    *data_len = w.len;
    return RS_OK;
}

rs_code rs_msg_encode(const rs_profile *p, const rs_msg *m, uint8_t *out, size_t cap, size_t *len, rs_err *err)
{
    rs_err local;
    if (!err)
        err = &local;
    size_t n = 0;
    rs_code rc = encode(p, m, out, cap, true, &n, err);
    return rc ? rc : seal(p, m, out, cap, n, len, err);
}

rs_code rs_msg_encode_signed(const rs_profile *p, const rs_msg *m, rs_sign_fn sign, void *ctx, uint8_t *out,
                             size_t cap, size_t *len, rs_err *err)
{
    rs_err local;
    if (!err)
        err = &local;
    size_t n = 0;
    rs_code rc = encode(p, m, out, cap, false, &n, err);
    if (rc)
        return rc;
    rs_sig sig;
    if (!sign(ctx, out + RS_HEADER_LEN, n, &sig))
        return rs_fail(err, RS_E_SIGNATURE, RS_HEADER_LEN + n, "signature", "the signer failed", 0, 0, RS_NUM_NONE);
    writer w = { out + RS_HEADER_LEN, cap - RS_FRAME_OVERHEAD, n, err };
    if (!put_sig(&w, &sig))
        return err->code;
    return seal(p, m, out, cap, w.len, len, err);
}

bool rs_msg_signed_span(const rs_msg *m, const uint8_t **p, size_t *len)
{
    if (m->kind == RS_MSG_REPORT && m->u.report.has_sig) {
        *p = m->frame.data;
        *len = m->u.report.sig_offset;
        return true;
    }
    if (m->kind == RS_MSG_ACTIVATION && m->u.act.has_sig) {
        *p = m->frame.data;
        *len = 103;
        return true;
    }
    return false;
}

void rs_msg_init(rs_msg *m, const rs_profile *p, rs_msg_kind kind, const uint8_t vin[RS_VIN_LEN])
{
    memset(&m->frame, 0, sizeof m->frame);
    m->frame.proto = (uint8_t)p->proto;
    m->frame.start[0] = p->start_tx[0];
    m->frame.start[1] = p->start_tx[1];
    m->frame.sw_version = p->proto == RS_PROTO_GB32960 ? 0 : p->sw_version;
    m->frame.encryption = 0x01;
    m->frame.resp = p->proto == RS_PROTO_GB32960 ? RS_RESP_REQUEST : 0;
    if (vin)
        memcpy(m->frame.vin, vin, RS_VIN_LEN);
    m->kind = (uint8_t)kind;
    m->frame.cmd = kind == RS_MSG_REPORT ? RS_CMD_REALTIME : 0;
    m->n_warn = 0;
    m->n_warn_total = 0;
    if (kind == RS_MSG_REPORT) {
        rs_report *r = &m->u.report;
        r->layout = p->proto == RS_PROTO_HJ1239 ? RS_LAYOUT_HJ : RS_LAYOUT_GB;
        r->n_items = 0;
        r->has_sig = false;
        r->sig_offset = 0;
        r->serial = 0;
    }
}
