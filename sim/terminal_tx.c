/* Frames the terminal sends, built as rs_msg and encoded by the codec into
 * the caller's output queue.  The rs_msg is the queue's scratch (36 KiB),
 * shared by every terminal of a worker, so a terminal never holds one. */
#include <string.h>

#include "sim/terminal_internal.h"

static rs_time clock_time(const rs_terminal *t, int64_t now)
{
    return rs_time_from_unix(rs_tm_clock_s(t, now));
}

rs_code rs_tm_emit(rs_terminal *t, rs_term_out *out, rs_term_link link, const rs_msg *m, bool sign,
                   uint8_t n_samples)
{
    if (out->n >= RS_TERM_OUT_FRAMES || out->len >= out->cap) {
        out->overflow++;
        t->stats.out_overflow++;
        return RS_E_SPACE;
    }
    size_t len = 0;
    rs_err err;
    uint8_t *dst = out->buf + out->len;
    size_t room = out->cap - out->len;
    rs_code rc = sign && t->id.sign
                     ? rs_msg_encode_signed(t->profile, m, t->id.sign, t->id.sign_ctx, dst, room, &len, &err)
                     : rs_msg_encode(t->profile, m, dst, room, &len, &err);
    if (rc != RS_OK) {
        if (rc == RS_E_SPACE) {
            out->overflow++;
            t->stats.out_overflow++;
        }
        return rc;
    }
    uint8_t cmd = dst[2];
    rs_term_frame *f = &out->frame[out->n++];
    f->link = (uint8_t)link;
    f->cmd = cmd;
    f->n_samples = n_samples;
    f->off = (uint32_t)out->len;
    f->len = (uint32_t)len;
    out->len += len;
    t->stats.frames[cmd & 0x0F]++;
    return RS_OK;
}

bool rs_tm_send_login(rs_terminal *t, int64_t now, rs_term_out *out)
{
    rs_msg *m = out->scratch;
    rs_msg_init(m, t->profile, RS_MSG_LOGIN, t->id.vin);
    int64_t s = rs_tm_clock_s(t, now);
    m->u.login.time = rs_time_from_unix(s);
    /* The serial is only taken once the frame is out, so a full queue does
     * not burn one. */
    rs_term_serial next = t->ser_login;
    m->u.login.serial = rs_tm_serial_next(&next, s);
    memcpy(m->u.login.iccid, t->id.iccid, RS_ICCID_LEN);
    m->u.login.n_subsys = m->u.login.code_len = 0;
    m->u.login.codes = NULL;
    if (rs_tm_emit(t, out, RS_TERM_LINK_PLATFORM, m, false, 0) != RS_OK)
        return false;
    t->ser_login = next;
    t->login_serial = m->u.login.serial;
    t->stats.logins++;
    return true;
}

bool rs_tm_send_logout(rs_terminal *t, int64_t now, rs_term_out *out)
{
    rs_msg *m = out->scratch;
    rs_msg_init(m, t->profile, RS_MSG_LOGOUT, t->id.vin);
    m->u.logout.time = clock_time(t, now);
    m->u.logout.serial = t->login_serial; /* §6.2: the session's login serial */
    if (rs_tm_emit(t, out, RS_TERM_LINK_PLATFORM, m, false, 0) != RS_OK)
        return false;
    t->stats.logouts++;
    return true;
}

bool rs_tm_send_timecal(rs_terminal *t, int64_t now, rs_term_out *out)
{
    (void)now; /* the request is empty (§8) */
    rs_msg *m = out->scratch;
    rs_msg_init(m, t->profile, RS_MSG_TIMECAL_REQ, t->id.vin);
    if (rs_tm_emit(t, out, RS_TERM_LINK_PLATFORM, m, false, 0) != RS_OK)
        return false;
    t->stats.timecal_requests++;
    return true;
}

bool rs_tm_send_tamper(rs_terminal *t, int64_t now, rs_term_out *out)
{
    rs_msg *m = out->scratch;
    rs_msg_init(m, t->profile, RS_MSG_TAMPER, t->id.vin);
    int64_t s = rs_tm_clock_s(t, now);
    rs_tamper *a = &m->u.tamper;
    a->time = rs_time_from_unix(s);
    rs_term_serial next = t->ser_tamper;
    a->serial = rs_tm_serial_next(&next, s);
    /* Last known position; none yet: "position invalid" with invalid coordinates. */
    a->pos_status = t->have_pos ? t->pos_status : 1;
    a->lon = t->have_pos ? t->lon : rs_val_invalid();
    a->lat = t->have_pos ? t->lat : rs_val_invalid();
    if (rs_tm_emit(t, out, RS_TERM_LINK_PLATFORM, m, false, 0) != RS_OK)
        return false;
    t->ser_tamper = next;
    t->stats.tamper_alarms++;
    return true;
}

bool rs_tm_send_activation(rs_terminal *t, int64_t now, rs_term_out *out)
{
    rs_msg *m = out->scratch;
    rs_msg_init(m, t->profile, RS_MSG_ACTIVATION, t->id.vin);
    rs_activation *a = &m->u.act;
    a->time = clock_time(t, now);
    memcpy(a->chip_id, t->id.chip_id, RS_CHIP_ID_LEN);
    memcpy(a->pubkey, t->id.pubkey, RS_PUBKEY_LEN);
    memcpy(a->vin, t->id.vin, RS_VIN_LEN);
    a->has_sig = false; /* rs_msg_encode_signed() appends the signer's block */
    if (rs_tm_emit(t, out, RS_TERM_LINK_ACTIVATION, m, true, 0) != RS_OK)
        return false;
    t->stats.activation_tries++;
    return true;
}

rs_code rs_tm_send_report(rs_terminal *t, int64_t now, rs_term_out *out, uint8_t cmd,
                          const uint8_t *const *recs, unsigned n, bool with_obd)
{
    return rs_tm_send_report_at(t, out, cmd, recs, n, with_obd, rs_tm_clock_s(t, now));
}

rs_code rs_tm_send_report_at(rs_terminal *t, rs_term_out *out, uint8_t cmd,
                             const uint8_t *const *recs, unsigned n, bool with_obd, int64_t send_s)
{
    const rs_profile *p = t->profile;
    rs_msg *m = out->scratch;
    rs_msg_init(m, p, RS_MSG_REPORT, t->id.vin);
    m->frame.cmd = cmd;
    rs_report *r = &m->u.report;
    bool hj = p->proto == RS_PROTO_HJ1239;
    bool per_item = !hj && p->serial_style == RS_SERIAL_PER_ITEM;
    /* GB: the packet time is the first sample's (§7.1); HJ: the send time (§7.2). */
    r->time = hj ? rs_time_from_unix(send_s) : rs_time_from_unix(rs_tm_rec_collect(recs[0]));
    r->serial = rs_tm_rec_serial(recs[0]);
    unsigned k = 0;
    if (with_obd) {
        rs_item *it = &r->item[k++];
        it->type = RS_INFO_OBD;
        it->collect = hj ? rs_time_from_unix(send_s) : r->time;
        /* GB per-item: the OBD item took the serial before the first sample's. */
        it->serial = per_item ? (uint16_t)(r->serial == 1 ? 65531 : r->serial - 1) : r->serial;
        it->s6_block = NULL;
        it->offset = 0;
        it->u.obd = t->obd.obd;
        it->u.obd.dtc = t->obd.dtc;
    }
    for (unsigned i = 0; i < n; i++)
        k += rs_tm_rec_items(p, recs[i], per_item, &r->item[k]);
    r->n_items = (uint8_t)k;
    return rs_tm_emit(t, out, RS_TERM_LINK_PLATFORM, m, hj, (uint8_t)n);
}
