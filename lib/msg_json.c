/* Frames as JSON: source, header, session bodies, warnings, errors.
 * Report bodies are in report_json.c. */
#include "remsim/msg_json.h"

#include <string.h>

void rs_msg_src_json(rs_json *j, const rs_msg_src *src)
{
    rs_json_obj_begin(j);
    if (src && src->file)
        rs_json_kstr(j, "file", src->file);
    if (src && src->line)
        rs_json_kuint(j, "line", src->line);
    rs_json_kuint(j, "offset", src ? src->offset : 0);
    rs_json_obj_end(j);
}

void rs_err_json(rs_json *j, const rs_err *e)
{
    char msg[512];
    rs_err_format(e, msg, sizeof msg);
    rs_json_obj_begin(j);
    rs_json_kstr(j, "code", rs_code_name(e->code));
    rs_json_kstr(j, "severity", rs_severity_name((rs_severity)e->severity));
    rs_json_kuint(j, "offset", e->offset);
    rs_json_kstr(j, "field", e->field);
    rs_json_kstr(j, "message", msg);
    rs_json_obj_end(j);
}

void rs_time_json(rs_json *j, const char *key, const char *valid_key, const rs_time *t)
{
    char text[RS_TIME_TEXT];
    rs_time_format(t, text);
    rs_json_kstr(j, key, text);
    rs_json_kbool(j, valid_key, rs_time_valid(t));
}

/* GB/T 32960 pads ids, user names and passwords with 0x00 (§3.2, §11.1):
 * the padding is not content.  Other profiles keep every byte, so a NUL in
 * a VIN stays visible. */
static void padded_text(rs_json *j, const rs_profile *p, const char *key, const uint8_t *s, size_t n)
{
    if (p->proto == RS_PROTO_GB32960)
        while (n > 0 && s[n - 1] == 0)
            n--;
    rs_json_kbytes(j, key, s, n);
}

static const char *response_name(uint8_t r)
{
    switch (r) {
    case RS_RESP_SUCCESS: return "success";
    case RS_RESP_ERROR: return "error";
    case RS_RESP_VIN_DUP: return "vin_duplicate";
    case RS_RESP_REQUEST: return "request";
    default: return NULL;
    }
}

/* Header keys whose bytes are among the first 'avail' bytes of the frame
 * (§3.1, §3.2). */
static void header_json(rs_json *j, const rs_profile *p, const rs_frame *f, size_t avail)
{
    bool gb32960 = p->proto == RS_PROTO_GB32960;
    rs_json_obj_begin(j);
    if (avail >= 2) {
        rs_json_khex(j, "start", f->start, 2);
        rs_json_kbytes(j, "start_text", f->start, 2);
    }
    if (avail >= 3) {
        rs_json_kuint(j, "command", f->cmd);
        rs_json_kstr(j, "command_name", rs_command_name(p->proto, f->cmd));
    }
    if (gb32960 && avail >= 4) {
        rs_json_kuint(j, "response", f->resp);
        rs_json_kstr(j, "response_name", response_name(f->resp));
    }
    if (avail >= (gb32960 ? 21u : 20u))
        padded_text(j, p, "vin", f->vin, RS_VIN_LEN);
    if (!gb32960 && avail >= 21)
        rs_json_kuint(j, "sw_version", f->sw_version);
    if (avail >= 22) {
        rs_json_kuint(j, "encryption", f->encryption);
        rs_json_kstr(j, "encryption_name", rs_encryption_name(p, f->encryption));
    }
    if (avail >= RS_HEADER_LEN)
        rs_json_kuint(j, "data_len", f->data_len);
    if (avail >= RS_FRAME_OVERHEAD && avail == (size_t)f->data_len + RS_FRAME_OVERHEAD)
        rs_json_kuint(j, "bcc", f->bcc);
    rs_json_obj_end(j);
}

/* The header as the bytes have it, without any check: for frames the
 * decoder rejected, whose rs_frame may be only partly filled. */
static void frame_from_bytes(const rs_profile *p, const uint8_t *b, size_t len, rs_frame *f)
{
    memset(f, 0, sizeof *f);
    f->proto = (uint8_t)p->proto;
    if (len >= 2)
        memcpy(f->start, b, 2);
    if (len >= 3)
        f->cmd = b[2];
    if (p->proto == RS_PROTO_GB32960) {
        if (len >= 4)
            f->resp = b[3];
        if (len >= 21)
            memcpy(f->vin, b + 4, RS_VIN_LEN);
    } else {
        if (len >= 20)
            memcpy(f->vin, b + 3, RS_VIN_LEN);
        if (len >= 21)
            f->sw_version = b[20];
    }
    if (len >= 22)
        f->encryption = b[21];
    if (len >= RS_HEADER_LEN)
        f->data_len = (uint16_t)(b[22] << 8 | b[23]);
    if (len >= RS_FRAME_OVERHEAD)
        f->bcc = b[len - 1];
}

static const char *act_status_name(uint8_t s)
{
    return s == RS_ACT_OK ? "succeeded" : s == RS_ACT_FAILED ? "failed" : NULL;
}

static const char *act_info_name(uint8_t i)
{
    switch (i) {
    case RS_ACT_INFO_NONE: return "none";
    case RS_ACT_INFO_ALREADY: return "already_activated";
    case RS_ACT_INFO_VIN: return "vin_error";
    case RS_ACT_INFO_OTHER: return "other";
    default: return NULL;
    }
}

static void tamper_json(rs_json *j, const rs_profile *p, const rs_tamper *t)
{
    rs_val pos = rs_val_from_raw(&rs_fields[RS_F_POS_STATUS], &p->scale[RS_F_POS_STATUS], t->pos_status);
    rs_time_json(j, "time", "time_valid", &t->time);
    rs_json_kuint(j, "serial", t->serial);
    rs_json_key(j, "pos_status");
    rs_val_json(j, p, RS_F_POS_STATUS, &pos);
    rs_json_key(j, "lon");
    rs_val_json(j, p, RS_F_LON, &t->lon);
    rs_json_key(j, "lat");
    rs_val_json(j, p, RS_F_LAT, &t->lat);
}

static void activation_json(rs_json *j, const rs_activation *a)
{
    rs_time_json(j, "time", "time_valid", &a->time);
    rs_json_kbytes(j, "chip_id", a->chip_id, RS_CHIP_ID_LEN);
    rs_json_khex(j, "pubkey_x", a->pubkey, RS_PUBKEY_LEN / 2);
    rs_json_khex(j, "pubkey_y", a->pubkey + RS_PUBKEY_LEN / 2, RS_PUBKEY_LEN / 2);
    rs_json_kbytes(j, "vin", a->vin, RS_VIN_LEN);
    rs_json_key(j, "signature");
    if (a->has_sig)
        rs_sig_json(j, &a->sig, 6 + RS_CHIP_ID_LEN + RS_PUBKEY_LEN + RS_VIN_LEN); /* §9.2: 103 */
    else
        rs_json_null(j);
}

static void body_json(rs_json *j, const rs_profile *p, const rs_msg *m)
{
    if (m->kind == RS_MSG_REPORT) {
        rs_report_json(j, p, &m->u.report);
        return;
    }
    rs_json_obj_begin(j);
    switch (m->kind) {
    case RS_MSG_LOGIN:
        rs_time_json(j, "time", "time_valid", &m->u.login.time);
        rs_json_kuint(j, "serial", m->u.login.serial);
        rs_json_kbytes(j, "iccid", m->u.login.iccid, RS_ICCID_LEN);
        if (p->proto == RS_PROTO_GB32960) {
            size_t n = (size_t)m->u.login.n_subsys * m->u.login.code_len;
            rs_json_kuint(j, "subsystems", m->u.login.n_subsys);
            rs_json_kuint(j, "code_len", m->u.login.code_len);
            rs_json_khex(j, "codes", m->u.login.codes, m->u.login.codes ? n : 0);
        }
        break;
    case RS_MSG_LOGOUT:
    case RS_MSG_PLAT_LOGOUT:
        rs_time_json(j, "time", "time_valid", &m->u.logout.time);
        rs_json_kuint(j, "serial", m->u.logout.serial);
        break;
    case RS_MSG_TIMECAL_ANS:
    case RS_MSG_ECHO:
        rs_time_json(j, "time", "time_valid", &m->u.time);
        break;
    case RS_MSG_TAMPER:
        tamper_json(j, p, &m->u.tamper);
        break;
    case RS_MSG_ACTIVATION:
        activation_json(j, &m->u.act);
        break;
    case RS_MSG_ACTIVATION_ANS:
        rs_json_kuint(j, "status", m->u.act_ans.status);
        rs_json_kstr(j, "status_name", act_status_name(m->u.act_ans.status));
        rs_json_kuint(j, "info", m->u.act_ans.info);
        rs_json_kstr(j, "info_name", act_info_name(m->u.act_ans.info));
        break;
    case RS_MSG_PLAT_LOGIN:
        rs_time_json(j, "time", "time_valid", &m->u.plat_login.time);
        rs_json_kuint(j, "serial", m->u.plat_login.serial);
        padded_text(j, p, "user", m->u.plat_login.user, sizeof m->u.plat_login.user);
        padded_text(j, p, "password", m->u.plat_login.password, sizeof m->u.plat_login.password);
        rs_json_kuint(j, "enc_rule", m->u.plat_login.enc_rule);
        rs_json_kstr(j, "enc_rule_name", rs_encryption_name(p, m->u.plat_login.enc_rule));
        break;
    case RS_MSG_EV_REPORT:
    case RS_MSG_OPAQUE:
        if (m->u.opaque.has_time)
            rs_time_json(j, "time", "time_valid", &m->u.opaque.time);
        rs_json_kuint(j, "data_len", m->u.opaque.len);
        rs_json_khex(j, "data", m->u.opaque.p, m->u.opaque.p ? m->u.opaque.len : 0);
        break;
    default:   /* empty bodies: time calibration request, heartbeat */
        break;
    }
    rs_json_obj_end(j);
}

void rs_msg_json(rs_json *j, const rs_profile *p, const rs_msg *m, const uint8_t *frame, size_t len,
                 const rs_msg_src *src)
{
    unsigned n_warn = m->n_warn <= RS_MSG_MAX_WARN ? m->n_warn : RS_MSG_MAX_WARN;
    rs_json_obj_begin(j);
    rs_json_kbool(j, "ok", true);
    rs_json_key(j, "source");
    rs_msg_src_json(j, src);
    rs_json_kstr(j, "profile", rs_proto_name(p->proto));
    rs_json_kstr(j, "kind", rs_msg_kind_name((rs_msg_kind)m->kind));
    rs_json_key(j, "header");
    header_json(j, p, &m->frame, len);
    rs_json_key(j, "body");
    body_json(j, p, m);
    rs_json_key(j, "warnings");
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < n_warn; i++)
        rs_err_json(j, &m->warn[i]);
    rs_json_arr_end(j);
    rs_json_kuint(j, "warnings_total", m->n_warn_total);
    rs_json_kuint(j, "frame_len", len);
    rs_json_khex(j, "hex", frame, len);
    rs_json_obj_end(j);
}

void rs_msg_json_error(rs_json *j, const rs_profile *p, const rs_err *err, const uint8_t *bytes,
                       size_t len, const rs_msg_src *src)
{
    rs_frame f;
    rs_json_obj_begin(j);
    rs_json_kbool(j, "ok", false);
    rs_json_key(j, "source");
    rs_msg_src_json(j, src);
    rs_json_kstr(j, "profile", rs_proto_name(p->proto));
    rs_json_key(j, "error");
    rs_err_json(j, err);
    if (bytes && len > 0) {
        /* Bytes that do not start a frame say nothing about a header. */
        size_t avail = err->code == RS_E_START && len > 2 ? 2 : len;
        frame_from_bytes(p, bytes, len, &f);
        rs_json_key(j, "header");
        header_json(j, p, &f, avail);
    }
    rs_json_kuint(j, "frame_len", bytes ? len : 0);
    rs_json_khex(j, "hex", bytes, bytes ? len : 0);
    rs_json_obj_end(j);
}
