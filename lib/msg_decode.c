/* Body decoding: dispatch by command and length, session bodies (§5, §6,
 * §8, §9, §11).  Reports are in msg_report.c. */
#include <string.h>

#include "lib/msg_internal.h"
#include "remsim/vin.h"

rs_code rs_msg_tolerate(rs_msg *m, const rs_profile *p, uint8_t tol, const rs_err *finding, rs_err *err)
{
    rs_tolerance t = rs_tol(p, tol);
    if (t == RS_TOL_ACCEPT)
        return RS_OK;
    if (t == RS_TOL_REJECT) {
        if (err) {
            *err = *finding;
            err->severity = RS_SEV_ERROR;
        }
        return finding->code;
    }
    if (m->n_warn < RS_MSG_MAX_WARN) {
        m->warn[m->n_warn] = *finding;
        m->warn[m->n_warn].severity = RS_SEV_WARN;
        m->n_warn++;
    }
    if (m->n_warn_total < UINT16_MAX)
        m->n_warn_total++;
    return RS_OK;
}

rs_code rs_check_time(rs_msg *m, const rs_profile *p, const rs_time *t, size_t offset, const char *field,
                      rs_err *err)
{
    if (rs_time_valid(t))
        return RS_OK;
    rs_err w;
    rs_fail(&w, RS_E_TIME, offset, field,
            "time is YY MM DD hh mm ss in binary, each inside the calendar (§2.2)", 0, 0, RS_NUM_NONE);
    return rs_msg_tolerate(m, p, p->time_check, &w, err);
}

rs_code rs_check_text(rs_msg *m, const rs_profile *p, const uint8_t *s, size_t n, size_t offset,
                      const char *field, const char *rule, rs_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7E) {
            rs_err w;
            rs_fail(&w, RS_E_STRING, offset + i, field, rule, s[i], 0, RS_NUM_GOT_ONLY);
            return rs_msg_tolerate(m, p, p->string_check, &w, err);
        }
    }
    return RS_OK;
}

bool rs_sig_block_fits(const uint8_t *d, size_t rem)
{
    if (rem < 4)
        return false;
    unsigned rl = d[0];
    if (rl < 1 || rl > 32 || rem < 2u + rl)
        return false;
    unsigned sl = d[1 + rl];
    return sl >= 1 && sl <= 32 && rem == 2u + rl + sl;
}

void rs_sig_read(rs_sig *s, const uint8_t *d)
{
    s->r_len = d[0];
    memset(s->r, 0, sizeof s->r);
    memcpy(s->r, d + 1, s->r_len);
    s->s_len = d[1 + s->r_len];
    memset(s->s, 0, sizeof s->s);
    memcpy(s->s, d + 2 + s->r_len, s->s_len);
}

size_t rs_sig_write(const rs_sig *s, uint8_t *d)
{
    d[0] = s->r_len;
    memcpy(d + 1, s->r, s->r_len);
    d[1 + s->r_len] = s->s_len;
    memcpy(d + 2 + s->r_len, s->s, s->s_len);
    return RS_SIG_TOTAL(s);
}

static rs_code body_len_error(rs_err *err, size_t got, size_t want, const char *field, const char *rule)
{
    return rs_fail(err, RS_E_BODY, RS_HEADER_LEN + (got < want ? got : want), field, rule, (long long)got,
                   (long long)want, RS_NUM_DEC);
}

/* A signature on a frame that should carry none (§13: WARN). */
static rs_code unexpected_sig(const rs_profile *p, const rs_frame *f, size_t fixed, rs_msg *m, rs_err *err,
                              const char *field, const char *rule)
{
    if (f->data_len == fixed)
        return RS_OK;
    if (p->proto == RS_PROTO_HJ1239 && f->data_len > fixed && rs_sig_block_fits(f->data + fixed, f->data_len - fixed)) {
        rs_err w;
        rs_fail(&w, RS_E_SIGNATURE, RS_HEADER_LEN + fixed, "signature",
                "0x01, 0x04, 0x05, 0x06 and 0x08 carry no signature (§9.1)", 0, 0, RS_NUM_NONE);
        return rs_msg_tolerate(m, p, p->sig_missing, &w, err);
    }
    return body_len_error(err, f->data_len, fixed, field, rule);
}

static rs_code decode_login(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    const uint8_t *d = f->data;
    rs_login *l = &m->u.login;
    if (f->data_len < 28)
        return body_len_error(err, f->data_len, 28, "login",
                              "login is time 6 + serial 2 + ICCID 20 bytes (§6.1)");
    rs_time_read(&l->time, d);
    l->serial = rs_be16(d + 6);
    memcpy(l->iccid, d + 8, RS_ICCID_LEN);
    l->n_subsys = l->code_len = 0;
    l->codes = NULL;
    rs_code rc;
    if (p->proto == RS_PROTO_GB32960) {
        if (f->data_len < 30)
            return body_len_error(err, f->data_len, 30, "login",
                                  "GB/T 32960 login adds subsystem count and code length (§6.1)");
        l->n_subsys = d[28];
        l->code_len = d[29];
        size_t want = 30u + (size_t)l->n_subsys * l->code_len;
        if (f->data_len != want)
            return body_len_error(err, f->data_len, want, "login.codes",
                                  "GB/T 32960 login carries subsystem count x code length code bytes");
        l->codes = d + 30;
    } else if ((rc = unexpected_sig(p, f, 28, m, err, "login",
                                    "login is time 6 + serial 2 + ICCID 20 = 28 bytes (§6.1)"))) {
        return rc;
    }
    if ((rc = rs_check_time(m, p, &l->time, RS_HEADER_LEN, "login.time", err)))
        return rc;
    if (l->serial == 0 || l->serial > 65531) {
        rs_err w;
        rs_fail(&w, RS_E_SERIAL, RS_HEADER_LEN + 6, "login.serial", "login serial runs from 1 to 65531 (§6.1)",
                l->serial, 0, RS_NUM_GOT_ONLY);
        if ((rc = rs_msg_tolerate(m, p, p->range_check, &w, err)))
            return rc;
    }
    m->kind = RS_MSG_LOGIN;
    return rs_check_text(m, p, l->iccid, RS_ICCID_LEN, RS_HEADER_LEN + 8, "login.iccid",
                         "ICCID is 20 ASCII characters (§2.4)", err);
}

static rs_code decode_logout(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    rs_code rc = unexpected_sig(p, f, 8, m, err, "logout", "logout is time 6 + serial 2 = 8 bytes (§6.2)");
    if (rc)
        return rc;
    rs_time_read(&m->u.logout.time, f->data);
    m->u.logout.serial = rs_be16(f->data + 6);
    m->kind = RS_MSG_LOGOUT;
    return rs_check_time(m, p, &m->u.logout.time, RS_HEADER_LEN, "logout.time", err);
}

static rs_code decode_time_only(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_msg_kind kind,
                                const char *field, rs_err *err)
{
    rs_time_read(&m->u.time, f->data);
    m->kind = (uint8_t)kind;
    return rs_check_time(m, p, &m->u.time, RS_HEADER_LEN, field, err);
}

static rs_code decode_tamper(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    rs_code rc = unexpected_sig(p, f, 17, m, err, "tamper",
                                "tamper alarm is time 6 + serial 2 + status 1 + longitude 4 + latitude 4 (§9.4)");
    if (rc)
        return rc;
    const uint8_t *d = f->data;
    rs_tamper *t = &m->u.tamper;
    rs_time_read(&t->time, d);
    t->serial = rs_be16(d + 6);
    t->pos_status = d[8];
    t->lon = rs_val_from_raw(&rs_fields[RS_F_LON], &p->scale[RS_F_LON], rs_be32(d + 9));
    t->lat = rs_val_from_raw(&rs_fields[RS_F_LAT], &p->scale[RS_F_LAT], rs_be32(d + 13));
    m->kind = RS_MSG_TAMPER;
    return rs_check_time(m, p, &t->time, RS_HEADER_LEN, "tamper.time", err);
}

static rs_code decode_activation(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    const uint8_t *d = f->data;
    rs_activation *a = &m->u.act;
    if (f->data_len < 103)
        return body_len_error(err, f->data_len, 103 + RS_SIG_BLOCK_LEN, "activation",
                              "activation is time 6 + chip id 16 + public key 64 + VIN 17 + signature (§9.2)");
    rs_time_read(&a->time, d);
    memcpy(a->chip_id, d + 6, RS_CHIP_ID_LEN);
    memcpy(a->pubkey, d + 22, RS_PUBKEY_LEN);
    memcpy(a->vin, d + 86, RS_VIN_LEN);
    a->has_sig = false;
    rs_code rc;
    if (f->data_len > 103) {
        if (!rs_sig_block_fits(d + 103, f->data_len - 103u))
            return rs_fail(err, RS_E_SIGNATURE, RS_HEADER_LEN + 103, "activation.signature",
                           "after the VIN comes one signature block: Rlen(1..32) R Slen(1..32) S (§9.1)",
                           f->data_len - 103, RS_SIG_BLOCK_LEN, RS_NUM_DEC);
        rs_sig_read(&a->sig, d + 103);
        a->has_sig = true;
    } else {
        rs_err w;
        rs_fail(&w, RS_E_SIGNATURE, RS_HEADER_LEN + 103, "activation.signature",
                "HJ activation 0x07 is signed (§9.2)", 0, 0, RS_NUM_NONE);
        if ((rc = rs_msg_tolerate(m, p, p->sig_missing, &w, err)))
            return rc;
    }
    m->kind = RS_MSG_ACTIVATION;
    if ((rc = rs_check_time(m, p, &a->time, RS_HEADER_LEN, "activation.time", err)))
        return rc;
    return rs_check_text(m, p, a->chip_id, RS_CHIP_ID_LEN, RS_HEADER_LEN + 6, "activation.chip_id",
                         "chip id is 16 ASCII characters (§9.2)", err);
}

static rs_code decode_plat_login(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    if (f->data_len != 41)
        return body_len_error(err, f->data_len, 41, "platform_login",
                              "platform login is time 6 + serial 2 + user 12 + password 20 + rule 1 (§11.1)");
    const uint8_t *d = f->data;
    rs_plat_login *l = &m->u.plat_login;
    rs_time_read(&l->time, d);
    l->serial = rs_be16(d + 6);
    memcpy(l->user, d + 8, sizeof l->user);
    memcpy(l->password, d + 20, sizeof l->password);
    l->enc_rule = d[40];
    m->kind = RS_MSG_PLAT_LOGIN;
    return rs_check_time(m, p, &l->time, RS_HEADER_LEN, "platform_login.time", err);
}

static rs_code opaque(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_code why, uint8_t tol,
                      size_t offset, const char *field, const char *rule, long long got, rs_err *err)
{
    rs_err w;
    rs_fail(&w, why, offset, field, rule, got, 0, RS_NUM_HEX_GOT_ONLY);
    m->kind = RS_MSG_OPAQUE;
    m->u.opaque.has_time = false;
    m->u.opaque.p = f->data;
    m->u.opaque.len = f->data_len;
    return rs_msg_tolerate(m, p, tol, &w, err);
}

static rs_code decode_gb32960(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    uint16_t n = f->data_len;
    if (f->resp != RS_RESP_REQUEST) {
        if (f->resp < RS_RESP_SUCCESS || f->resp > RS_RESP_VIN_DUP)
            return opaque(p, f, m, RS_E_HEADER, p->unknown_cmd, 3, "resp",
                          "response flag is 0x01, 0x02, 0x03 or 0xFE (§3.2)", f->resp, err);
        if (n == 6)
            return decode_time_only(p, f, m, RS_MSG_ECHO, "answer.time", err);
        return opaque(p, f, m, RS_E_BODY, p->unknown_cmd, RS_HEADER_LEN, "answer",
                      "an answer carries the request's 6-byte time (§5)", n, err);
    }
    if (f->cmd == p->plat_login_cmd)
        return decode_plat_login(p, f, m, err);
    if (f->cmd == p->plat_logout_cmd) {
        if (n != 8)
            return body_len_error(err, n, 8, "platform_logout", "platform logout is time 6 + serial 2 (§11.2)");
        rs_code rc = decode_logout(p, f, m, err);
        m->kind = RS_MSG_PLAT_LOGOUT;
        return rc;
    }
    switch (f->cmd) {
    case RS_CMD_LOGIN:
        return decode_login(p, f, m, err);
    case RS_CMD_REALTIME:
    case RS_CMD_REISSUE:
        if (n < 6)
            return body_len_error(err, n, 6, "report.time", "a report starts with its 6-byte time");
        m->kind = RS_MSG_EV_REPORT;
        rs_time_read(&m->u.opaque.time, f->data);
        m->u.opaque.has_time = true;
        m->u.opaque.p = f->data + 6;
        m->u.opaque.len = (uint16_t)(n - 6);
        return rs_check_time(m, p, &m->u.opaque.time, RS_HEADER_LEN, "report.time", err);
    case RS_CMD_LOGOUT:
        if (n != 8)
            return body_len_error(err, n, 8, "logout", "logout is time 6 + serial 2 (§6.2)");
        return decode_logout(p, f, m, err);
    case RS_CMD32960_HEARTBEAT:
    case RS_CMD32960_TIMECAL:
        if (n != 0)
            return body_len_error(err, n, 0, f->cmd == RS_CMD32960_HEARTBEAT ? "heartbeat" : "time_calibration",
                                  "heartbeat and time calibration requests are empty (§11)");
        m->kind = f->cmd == RS_CMD32960_HEARTBEAT ? RS_MSG_HEARTBEAT : RS_MSG_TIMECAL_REQ;
        return RS_OK;
    default:
        return opaque(p, f, m, RS_E_COMMAND, p->unknown_cmd, 2, "cmd",
                      "GB/T 32960 commands are 0x01-0x08 (§4.3); body kept as bytes", f->cmd, err);
    }
}

static rs_code decode_terminal(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    uint16_t n = f->data_len;
    bool hj = p->proto == RS_PROTO_HJ1239;
    /* §5: answers to 0x01-0x04 and 0x06 echo the request's time. */
    if (n == 6 && (f->cmd <= RS_CMD_LOGOUT || (hj && f->cmd == RS_CMD_TAMPER)) && f->cmd >= RS_CMD_LOGIN)
        return decode_time_only(p, f, m, RS_MSG_ECHO, "echo.time", err);
    switch (f->cmd) {
    case RS_CMD_LOGIN:
        return decode_login(p, f, m, err);
    case RS_CMD_REALTIME:
    case RS_CMD_REISSUE:
        return rs_report_decode(p, f, m, err);
    case RS_CMD_LOGOUT:
        return decode_logout(p, f, m, err);
    case RS_CMD_TIMECAL:
        if (n == 0) {
            m->kind = RS_MSG_TIMECAL_REQ;
            return RS_OK;
        }
        if (n == 6)
            return decode_time_only(p, f, m, RS_MSG_TIMECAL_ANS, "time_calibration.time", err);
        return body_len_error(err, n, n < 6 ? 0 : 6, "time_calibration",
                              "time calibration request is empty, its answer a 6-byte time (§8)");
    default:
        break;
    }
    if (hj) {
        switch (f->cmd) {
        case RS_CMD_TAMPER:
            return decode_tamper(p, f, m, err);
        case RS_CMD_ACTIVATION:
            return decode_activation(p, f, m, err);
        case RS_CMD_ACTIVATION_ANS:
            if (n != 2)
                return body_len_error(err, n, 2, "activation_answer",
                                      "activation answer is status 1 + info 1 (§9.3)");
            m->u.act_ans.status = f->data[0];
            m->u.act_ans.info = f->data[1];
            m->kind = RS_MSG_ACTIVATION_ANS;
            return RS_OK;
        default:
            break;
        }
    }
    return opaque(p, f, m, RS_E_COMMAND, p->unknown_cmd, 2, "cmd",
                  hj ? "HJ 1239 commands are 0x01-0x08 (§4.2); body kept as bytes"
                     : "GB 17691 commands are 0x01-0x05 (§4.1); body kept as bytes",
                  f->cmd, err);
}

static void reset_warnings(rs_msg *m)
{
    m->n_warn = 0;
    m->n_warn_total = 0;
    m->kind = RS_MSG_NONE;
}

static rs_code decode_body(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    if (&m->frame != f)
        m->frame = *f;
    if (f->encryption != 0x01) {
        const char *name = rs_encryption_name(p, f->encryption);
        return opaque(p, f, m, name ? RS_E_ENCRYPTED : RS_E_HEADER, name ? RS_TOL_WARN : p->unknown_cmd, 21,
                      "encryption",
                      name ? "only unencrypted (0x01) bodies are decoded; this one is kept as bytes (§3.4)"
                           : "encryption byte is not in the profile's table (§3.4); body kept as bytes",
                      f->encryption, err);
    }
    return p->proto == RS_PROTO_GB32960 ? decode_gb32960(p, f, m, err) : decode_terminal(p, f, m, err);
}

rs_code rs_msg_decode_body(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    reset_warnings(m);
    return decode_body(p, f, m, err);
}

/* GB32960 platform frames carry a platform id padded with 0x00, not a VIN. */
static bool header_is_vin(const rs_profile *p, const rs_frame *f)
{
    if (p->proto != RS_PROTO_GB32960)
        return true;
    return f->cmd != p->plat_login_cmd && f->cmd != p->plat_logout_cmd;
}

rs_code rs_msg_decode(const rs_profile *p, const uint8_t *buf, size_t len, rs_msg *m, rs_err *err)
{
    rs_err w;
    reset_warnings(m);
    rs_code rc = rs_frame_parse(p, buf, len, &m->frame, err, &w);
    if (rc)
        return rc;
    if (w.code && (rc = rs_msg_tolerate(m, p, RS_TOL_WARN, &w, err)))
        return rc;
    if (header_is_vin(p, &m->frame) && rs_vin_check(m->frame.vin, p->proto == RS_PROTO_GB32960 ? 4 : 3, &w)) {
        if ((rc = rs_msg_tolerate(m, p, p->vin_check, &w, err)))
            return rc;
    }
    return decode_body(p, &m->frame, m, err);
}
