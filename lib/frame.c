/* Frame envelope: start bytes, 24-byte header, data unit, BCC (§3). */
#include "remsim/frame.h"

#include <string.h>

uint8_t rs_bcc(const uint8_t *p, size_t n)
{
    /* XOR eight bytes at a time, then fold: the checksum is on every frame
     * both ways, so it is worth the few lines. */
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc ^= w;
    }
    acc ^= acc >> 32;
    acc ^= acc >> 16;
    acc ^= acc >> 8;
    uint8_t x = (uint8_t)acc;
    for (; i < n; i++)
        x ^= p[i];
    return x;
}

static bool is_gb32960(const rs_profile *p) { return p->proto == RS_PROTO_GB32960; }

size_t rs_frame_needed(const uint8_t *buf, size_t len)
{
    if (len < RS_HEADER_LEN)
        return 0;
    return RS_FRAME_OVERHEAD + ((size_t)buf[22] << 8 | buf[23]);
}

/* Start bytes: the profile's set, with "##" on an HJ link as a tolerance. */
static rs_code check_start(const rs_profile *p, const uint8_t *buf, rs_err *err, rs_err *warn)
{
    if (buf[0] != buf[1])
        goto bad;
    if (buf[0] == 0x7E && p->accept_tilde)
        return RS_OK;
    if (buf[0] == 0x23 && p->accept_hash) {
        if (p->proto == RS_PROTO_HJ1239) {
            rs_tolerance t = rs_tol(p, p->hash_in_hj);
            if (t == RS_TOL_REJECT)
                return rs_fail(err, RS_E_START, 0, "start",
                               "HJ 1239 frames start with ~~ (0x7E 0x7E) under this profile (hash_in_hj=reject)",
                               0x2323, 0x7E7E, RS_NUM_HEX);
            if (t == RS_TOL_WARN && warn) {
                rs_fail(warn, RS_E_START, 0, "start",
                        "HJ 1239 frame starts with ## (S2/S4/S5 style) instead of ~~ (S3)",
                        0x2323, 0x7E7E, RS_NUM_HEX);
                warn->severity = RS_SEV_WARN;
            }
        }
        return RS_OK;
    }
    if (buf[0] == 0x24 && buf[1] == 0x24)
        return rs_fail(err, RS_E_START, 0, "start",
                       "$$ starts GB/T 32960-2025 frames, which remsim does not decode", 0x2424, 0, RS_NUM_HEX);
bad:
    return rs_fail(err, RS_E_START, 0, "start",
                   p->accept_hash && p->accept_tilde ? "frames start with ## or ~~ (§3.1)"
                   : p->accept_tilde ? "frames start with ~~ (§3.1)" : "frames start with ## (§3.1)",
                   (long long)(buf[0] << 8 | buf[1]), p->accept_tilde && !p->accept_hash ? 0x7E7E : 0x2323,
                   RS_NUM_HEX);
}

rs_code rs_frame_parse(const rs_profile *p, const uint8_t *buf, size_t len, rs_frame *f,
                       rs_err *err, rs_err *warn)
{
    if (warn)
        warn->code = RS_OK;
    memset(f, 0, sizeof *f);
    f->proto = (uint8_t)p->proto;
    if (len < 2)
        return rs_fail(err, RS_E_SHORT, len, "start", "a frame has at least 25 bytes (§3.1)", (long long)len,
                       RS_FRAME_OVERHEAD, RS_NUM_DEC);
    rs_code rc = check_start(p, buf, err, warn);
    if (rc)
        return rc;
    f->start[0] = buf[0];
    f->start[1] = buf[1];
    if (len < RS_FRAME_OVERHEAD)
        return rs_fail(err, RS_E_SHORT, len, "header", "a frame has at least 25 bytes: 24 header + BCC (§3.1)",
                       (long long)len, RS_FRAME_OVERHEAD, RS_NUM_DEC);
    f->cmd = buf[2];
    if (is_gb32960(p)) {
        f->resp = buf[3];
        memcpy(f->vin, buf + 4, RS_VIN_LEN);
    } else {
        memcpy(f->vin, buf + 3, RS_VIN_LEN);
        f->sw_version = buf[20];
    }
    f->encryption = buf[21];
    f->data_len = (uint16_t)(buf[22] << 8 | buf[23]);
    if (f->data_len > p->max_data_len)
        return rs_fail(err, RS_E_LENGTH, 22, "data_len",
                       p->max_data_len == RS_MAX_DATA_LEN ? "data-unit length is at most 65531 (§3.1)"
                                                          : "data-unit length above the profile's max_data_len",
                       f->data_len, p->max_data_len, RS_NUM_DEC);
    if ((size_t)f->data_len + RS_FRAME_OVERHEAD != len)
        return rs_fail(err, RS_E_LENGTH, 22, "data_len",
                       "length field equals frame length minus 25 (§3.1); found = length field, "
                       "expected = bytes present minus 25",
                       f->data_len, (long long)len - RS_FRAME_OVERHEAD, RS_NUM_DEC);
    f->data = buf + RS_HEADER_LEN;
    f->frame_len = (uint32_t)len;
    f->bcc = buf[len - 1];
    uint8_t bcc = rs_bcc(buf + 2, len - 3);
    if (bcc != f->bcc)
        return rs_fail(err, RS_E_BCC, len - 1, "bcc",
                       "BCC is the XOR of every byte from the command (offset 2) to the last data byte (§3.1)",
                       f->bcc, bcc, RS_NUM_HEX);
    return RS_OK;
}

rs_code rs_frame_seal(const rs_profile *p, const rs_frame *hdr, uint8_t *out, size_t cap,
                      size_t data_len, size_t *len, rs_err *err)
{
    if (data_len > RS_MAX_DATA_LEN)
        return rs_fail(err, RS_E_LENGTH, 22, "data_len", "data-unit length is at most 65531 (§3.1)",
                       (long long)data_len, RS_MAX_DATA_LEN, RS_NUM_DEC);
    if (cap < data_len + RS_FRAME_OVERHEAD)
        return rs_fail(err, RS_E_SPACE, 0, "frame", "output buffer holds the whole frame",
                       (long long)cap, (long long)(data_len + RS_FRAME_OVERHEAD), RS_NUM_DEC);
    bool own_start = hdr->start[0] != 0;
    out[0] = own_start ? hdr->start[0] : p->start_tx[0];
    out[1] = own_start ? hdr->start[1] : p->start_tx[1];
    out[2] = hdr->cmd;
    if (is_gb32960(p)) {
        out[3] = hdr->resp ? hdr->resp : RS_RESP_REQUEST;
        memcpy(out + 4, hdr->vin, RS_VIN_LEN);
    } else {
        memcpy(out + 3, hdr->vin, RS_VIN_LEN);
        out[20] = hdr->sw_version;
    }
    out[21] = hdr->encryption ? hdr->encryption : 0x01;
    out[22] = (uint8_t)(data_len >> 8);
    out[23] = (uint8_t)data_len;
    out[RS_HEADER_LEN + data_len] = rs_bcc(out + 2, RS_HEADER_LEN - 2 + data_len);
    *len = data_len + RS_FRAME_OVERHEAD;
    return RS_OK;
}

const char *rs_encryption_name(const rs_profile *p, uint8_t enc)
{
    switch (enc) {
    case 0x01: return "none";
    case 0xFE: return "abnormal";
    case 0xFF: return "invalid";
    default: break;
    }
    switch (p->enc_table) {
    case RS_ENC_TABLE_HJ:
        return enc == 0x02 ? "sm2" : enc == 0x03 ? "sm4" : enc == 0x04 ? "rsa" : enc == 0x05 ? "aes128" : NULL;
    case RS_ENC_TABLE_GB32960:
        return enc == 0x02 ? "rsa" : enc == 0x03 ? "aes128" : NULL;
    default:
        return enc == 0x02 ? "rsa" : enc == 0x03 ? "sm2" : NULL;
    }
}

const char *rs_command_name(rs_proto proto, uint8_t cmd)
{
    if (proto == RS_PROTO_GB32960) {
        static const char *const n[] = { NULL, "login", "realtime", "reissue", "logout", "platform_login",
                                         "platform_logout", "heartbeat", "time_calibration" };
        if (cmd < sizeof n / sizeof n[0] && n[cmd])
            return n[cmd];
        if (cmd == 0x80) return "query";
        if (cmd == 0x81) return "set";
        if (cmd == 0x82) return "control";
        return cmd >= 0xC0 && cmd <= 0xFE ? "platform_custom" : NULL;
    }
    static const char *const n[] = { NULL, "login", "realtime", "reissue", "logout", "time_calibration",
                                     "tamper_alarm", "activation", "activation_answer" };
    if (proto == RS_PROTO_GB17691 && cmd > 0x05 && cmd < 0x80)
        return NULL;
    if (cmd < sizeof n / sizeof n[0] && n[cmd])
        return n[cmd];
    return cmd >= 0x80 && cmd <= 0xFE ? "user_defined" : NULL;
}
