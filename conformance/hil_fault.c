/* TEST ONLY: faults of the virtual terminal (--virtual-fault), to prove the
 * terminal cases can fail.  They post-process the frames the terminal made,
 * so the terminal itself carries no fault code and a normal run never
 * enters this file (hil_vterm_drain calls it only when a fault is set).
 * A changed HJ report is signed again with the terminal's own key, so each
 * fault breaks exactly the rule it names. */
#include <stdio.h>
#include <string.h>

#include "conformance/hil_int.h"

rs_code rs_hil_fault_parse(rs_hil_fault *f, const char *text, rs_err *err)
{
    if (!strncmp(text, "wrong-scale=", 12)) {
        int id = rs_field_by_name(text + 12);
        if (id < 0)
            return rs_fail(err, RS_E_OPTION, 12, "wrong-scale", "a field name of docs/protocol.md (rpm, speed, nox_up...)",
                           0, 0, RS_NUM_NONE);
        f->wrong_scale = id;
    } else if (!strcmp(text, "skip-serial")) {
        f->skip_serial = true;
    } else if (!strcmp(text, "no-reissue")) {
        f->no_reissue = true;
    } else if (!strcmp(text, "bad-signature")) {
        f->bad_signature = true;
    } else {
        return rs_fail(err, RS_E_OPTION, 0, "--virtual-fault",
                       "wrong-scale=FIELD, skip-serial, no-reissue or bad-signature", 0, 0, RS_NUM_NONE);
    }
    return RS_OK;
}

static void reseal_bcc(uint8_t *frame, size_t len)
{
    uint8_t x = 0;
    for (size_t i = 2; i + 1 < len; i++)
        x ^= frame[i];
    frame[len - 1] = x;
}

/* Doubles the raw value of one field in every stream item that has it. */
static bool wrong_scale(const hil_fault_state *fs, const rs_profile *p, rs_report *r)
{
    rs_field_id fid = (rs_field_id)fs->f.wrong_scale;
    const rs_field_desc *fd = &rs_fields[fid];
    bool changed = false;
    for (unsigned k = 0; k < r->n_items; k++) {
        rs_item *it = &r->item[k];
        unsigned n;
        const uint8_t *lay = rs_info_layout(it->type, &n);
        for (unsigned i = 0; lay && i < n; i++) {
            if (lay[i] != fid || it->u.v[fid].state != RS_VALID)
                continue;
            uint32_t raw;
            if (!rs_val_to_raw(fd, &p->scale[fid], &it->u.v[fid], &raw) || raw == 0)
                continue;
            uint64_t twice = (uint64_t)raw * 2u;
            it->u.v[fid] = rs_val_from_raw(fd, &p->scale[fid], twice > fd->raw_max ? fd->raw_max : (uint32_t)twice);
            changed = true;
        }
    }
    return changed;
}

/* From the second live report of the run on, every report serial of that
 * GMT+8 day is one higher: one serial is skipped. */
static bool skip_serial(hil_fault_state *fs, const rs_msg *m, rs_report *r)
{
    int32_t day = (int32_t)rs_time_day(rs_time_to_unix(&r->time));
    if (m->frame.cmd == RS_CMD_REALTIME && ++fs->live_reports == 2 && !fs->shift_from) {
        fs->shift_day = day;
        fs->shift_from = r->serial;
    }
    if (!fs->shift_from || day != fs->shift_day || r->serial < fs->shift_from)
        return false;
    r->serial++;
    for (unsigned k = 0; k < r->n_items; k++)
        r->item[k].serial++;
    return true;
}

bool hil_fault_apply(hil_fault_state *fs, const rs_profile *p, const rs_term_ident *id, rs_msg *scratch,
                     uint8_t *frame, size_t *len, size_t cap)
{
    uint8_t cmd = *len > 2 ? frame[2] : 0;
    if (cmd != RS_CMD_REALTIME && cmd != RS_CMD_REISSUE)
        return true;
    if (fs->f.no_reissue && cmd == RS_CMD_REISSUE) {
        fs->applied++;
        return false;
    }
    if (fs->f.wrong_scale >= 0 || fs->f.skip_serial) {
        rs_err err;
        if (rs_msg_decode(p, frame, *len, scratch, &err) != RS_OK || scratch->kind != RS_MSG_REPORT)
            return true;
        rs_report *r = &scratch->u.report;
        bool changed = false;
        if (fs->f.wrong_scale >= 0)
            changed |= wrong_scale(fs, p, r);
        if (fs->f.skip_serial)
            changed |= skip_serial(fs, scratch, r);
        if (changed) {
            uint8_t tmp[RS_TERM_OUT_BYTES];
            size_t n = 0;
            r->has_sig = false; /* the encoder appends a fresh one */
            rs_code rc = p->proto == RS_PROTO_HJ1239 && id->sign
                             ? rs_msg_encode_signed(p, scratch, id->sign, id->sign_ctx, tmp, sizeof tmp, &n, &err)
                             : rs_msg_encode(p, scratch, tmp, sizeof tmp, &n, &err);
            if (rc == RS_OK && n <= cap) {
                memcpy(frame, tmp, n);
                *len = n;
                fs->applied++;
            }
        }
    }
    if (fs->f.bad_signature && cmd == RS_CMD_REALTIME && p->proto == RS_PROTO_HJ1239 &&
        *len > RS_FRAME_OVERHEAD + RS_SIG_BLOCK_LEN) {
        frame[*len - 2] ^= 0x01; /* last byte of s */
        reseal_bcc(frame, *len);
        fs->applied++;
    }
    return true;
}
