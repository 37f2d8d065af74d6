/* Frames the platform suite sends, built with the codec (msg.h) so they
 * are exactly what a conforming terminal sends: login, logout, real-time
 * and reissue reports with samples, time calibration, GB/T 32960 heartbeat,
 * HJ activation (signed with SM2 when the HJ profile is played), the
 * GB/T 32960 platform login of a forwarding link (§11.1, §12.3), and any
 * command with any data unit for the robustness cases. */
#include <stdio.h>
#include <string.h>

#include "conformance/platform_int.h"
#include "remsim/vin.h"

/* Encodes m, signed with k when k is given (HJ 1239). */
static bool seal(pf_suite *s, const rs_profile *p, const rs_msg *m, const rs_sm2_key *k, pf_built *out)
{
    rs_err err;
    rs_code rc;
    if (k) {
        rs_sm2_signer sg = { s->sm2, k };
        rc = rs_msg_encode_signed(p, m, rs_sm2_sign_hook, &sg, out->b, sizeof out->b, &out->len, &err);
    } else {
        rc = rs_msg_encode(p, m, out->b, sizeof out->b, &out->len, &err);
    }
    if (rc != RS_OK) {
        char t[200];
        rs_err_format(&err, t, sizeof t);
        snprintf(out->why, sizeof out->why, "cannot encode the frame: %s", t);
        return false;
    }
    return true;
}

/* Encodes m unsigned, or signed by the played terminal when the profile
 * is HJ 1239 and the frame is one HJ signs (reports): its chip ID and key
 * follow from its VIN. */
static bool encode(pf_suite *s, const rs_profile *p, const rs_msg *m, bool sign, const uint8_t vin[RS_VIN_LEN],
                   pf_built *out)
{
    if (!sign || p->proto != RS_PROTO_HJ1239)
        return seal(s, p, m, NULL, out);
    uint8_t chip[RS_CHIP_ID_LEN];
    memcpy(chip, "PF", 2);
    memcpy(chip + 2, vin + 3, RS_CHIP_ID_LEN - 2);
    rs_sm2_key k;
    if (!pf_wire_key(s, vin, chip, s->o->seed, &k)) {
        snprintf(out->why, sizeof out->why, "no SM2 signer available for the HJ frame");
        return false;
    }
    return seal(s, p, m, &k, out);
}

bool pf_wire_key(pf_suite *s, const uint8_t vin[RS_VIN_LEN], const uint8_t chip[RS_CHIP_ID_LEN], uint64_t seed,
                 rs_sm2_key *k)
{
    return s->sm2 && rs_sm2_key_derive(s->sm2, k, seed, vin, RS_VIN_LEN, chip, RS_CHIP_ID_LEN, NULL) == RS_OK;
}

void pf_wire_vin(pf_suite *s, uint8_t vin[RS_VIN_LEN])
{
    /* WMI (3) + VDS (5) from the prefix, padded with 'P'; the serial part
     * starts from the run's start time so each run uses VINs the platform
     * has not seen, whose login serials start at 1 (§6.1). */
    char wmi[4], vds[6];
    const char *px = s->o->vin_prefix ? s->o->vin_prefix : "";
    for (int i = 0; i < 8; i++) {
        char ch = i < (int)strlen(px) ? px[i] : 'P';
        if (i < 3)
            wmi[i] = ch;
        else
            vds[i - 3] = ch;
    }
    wmi[3] = vds[5] = 0;
    uint32_t n = s->vin_base + s->vin_next++;
    if (!rs_vin_make(wmi, vds, 'R', (char)('A' + (n / 1000000u) % 8), n % 1000000u, vin))
        rs_vin_make("LRS", "PFPFP", 'R', 'A', n % 1000000u, vin); /* prefix checked at start: not reached */
}

bool pf_wire_login(pf_suite *s, const uint8_t vin[RS_VIN_LEN], uint16_t serial, int64_t t_s, pf_built *out)
{
    const rs_profile *p = &s->o->profile;
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_LOGIN, vin);
    rs_login *l = &m->u.login;
    l->time = rs_time_from_unix(t_s);
    l->serial = serial;
    memcpy(l->iccid, "89860000000000000001", RS_ICCID_LEN);
    l->n_subsys = 0;
    l->code_len = 0;
    l->codes = NULL;
    return encode(s, p, m, false, vin, out);
}

bool pf_wire_logout(pf_suite *s, const uint8_t vin[RS_VIN_LEN], uint16_t serial, int64_t t_s, pf_built *out)
{
    const rs_profile *p = &s->o->profile;
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_LOGOUT, vin);
    m->u.logout.time = rs_time_from_unix(t_s);
    m->u.logout.serial = serial;
    return encode(s, p, m, false, vin, out);
}

static void fill_sample(rs_sample *smp, int64_t t, double speed, unsigned k)
{
    rs_sample_init(smp);
    smp->collect = rs_time_from_unix(t);
    smp->stream = RS_INFO_STREAM_DIESEL;
    smp->v[RS_F_SPEED] = rs_val_ok(speed);
    smp->v[RS_F_BARO] = rs_val_ok(101);
    smp->v[RS_F_TORQUE] = rs_val_ok(40);
    smp->v[RS_F_FRICTION] = rs_val_ok(5);
    smp->v[RS_F_RPM] = rs_val_ok(1200 + 10 * k);
    smp->v[RS_F_FUEL_RATE] = rs_val_ok(20);
    smp->v[RS_F_NOX_UP] = rs_val_ok(300);
    smp->v[RS_F_NOX_DOWN] = rs_val_ok(40);
    smp->v[RS_F_REAGENT] = rs_val_ok(80);
    smp->v[RS_F_AIR_FLOW] = rs_val_ok(600);
    smp->v[RS_F_SCR_IN] = rs_val_ok(250);
    smp->v[RS_F_SCR_OUT] = rs_val_ok(240);
    smp->v[RS_F_DPF_DP] = rs_val_ok(2);
    smp->v[RS_F_COOLANT] = rs_val_ok(85);
    smp->v[RS_F_FUEL_LEVEL] = rs_val_ok(60);
    smp->v[RS_F_POS_STATUS] = rs_val_ok(0);
    smp->v[RS_F_LON] = rs_val_ok(121.4737);
    smp->v[RS_F_LAT] = rs_val_ok(31.2304);
    smp->v[RS_F_ODOMETER] = rs_val_ok(12345.6);
}

bool pf_wire_report(pf_suite *s, const uint8_t vin[RS_VIN_LEN], const pf_report_spec *r, pf_built *out)
{
    const rs_profile *p = &s->o->profile;
    if (p->proto == RS_PROTO_GB32960) {
        snprintf(out->why, sizeof out->why, "emission reports are not part of the gb32960 profile");
        return false;
    }
    if (r->samples < 1 || r->samples > 10 || (r->cmd != RS_CMD_REALTIME && r->cmd != RS_CMD_REISSUE)) {
        snprintf(out->why, sizeof out->why, "a report carries 1 to 10 samples, command 0x02 or 0x03");
        return false;
    }
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_REPORT, vin);
    m->frame.cmd = r->cmd;
    rs_report *rep = &m->u.report;
    bool hj = p->proto == RS_PROTO_HJ1239;
    int64_t last = r->first_s + (int64_t)r->samples - 1;
    /* GB: the packet time is the first sample's (§7.1); HJ: the send time,
     * here the last sample's second (§7.2). */
    rep->time = rs_time_from_unix(hj ? last : r->first_s);
    rep->serial = r->serial;
    unsigned k = 0;
    if (r->obd) {
        rs_item *it = &rep->item[k++];
        memset(it, 0, sizeof *it);
        it->type = RS_INFO_OBD;
        it->collect = rep->time;
        it->serial = r->serial;
        rs_obd *o = &it->u.obd;
        o->protocol = 2;
        o->mil = 0;
        memcpy(o->vin, vin, RS_VIN_LEN);
        memset(o->calid, '0', RS_CALID_LEN);
        memset(o->cvn, '0', RS_CVN_LEN);
        memset(o->iupr, 0, RS_IUPR_LEN);
        o->dtc_count = 0;
        o->dtc = NULL;
    }
    for (unsigned i = 0; i < r->samples; i++) {
        rs_sample smp;
        fill_sample(&smp, r->first_s + i, r->speed, i);
        rs_item *it = &rep->item[k++];
        memset(it, 0, sizeof *it);
        rs_item_from_sample(it, RS_INFO_STREAM_DIESEL, &smp);
        it->collect = smp.collect;
        it->serial = p->serial_style == RS_SERIAL_PER_ITEM ? (uint16_t)(r->serial + i) : r->serial;
    }
    rep->n_items = (uint8_t)k;
    return encode(s, p, m, true, vin, out);
}

bool pf_wire_timecal(pf_suite *s, const uint8_t vin[RS_VIN_LEN], pf_built *out)
{
    const rs_profile *p = &s->o->profile;
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_TIMECAL_REQ, vin);
    return encode(s, p, m, false, vin, out);
}

bool pf_wire_heartbeat(pf_suite *s, const uint8_t vin[RS_VIN_LEN], pf_built *out)
{
    const rs_profile *p = &s->o->profile;
    if (p->proto != RS_PROTO_GB32960) {
        snprintf(out->why, sizeof out->why, "the heartbeat (0x07) is a gb32960 command");
        return false;
    }
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_HEARTBEAT, vin);
    return encode(s, p, m, false, vin, out);
}

bool pf_wire_activation(pf_suite *s, const uint8_t vin[RS_VIN_LEN], const pf_act_spec *a, int64_t t_s,
                        pf_built *out)
{
    const rs_profile *p = &s->o->profile;
    if (p->proto != RS_PROTO_HJ1239) {
        snprintf(out->why, sizeof out->why, "activation (0x07) is an hj1239 command");
        return false;
    }
    rs_sm2_key k;
    if (!pf_wire_key(s, vin, a->chip, a->key_seed, &k)) {
        snprintf(out->why, sizeof out->why, "no SM2 key for the activation");
        return false;
    }
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_ACTIVATION, vin);
    rs_activation *act = &m->u.act;
    act->time = rs_time_from_unix(t_s);
    memcpy(act->chip_id, a->chip, RS_CHIP_ID_LEN);
    memcpy(act->pubkey, k.pub, RS_PUBKEY_LEN);
    memcpy(act->vin, a->body_vin ? a->body_vin : vin, RS_VIN_LEN);
    act->has_sig = false;
    return seal(s, p, m, a->no_sig ? NULL : &k, out);
}

static void padded(uint8_t *dst, size_t n, const char *src)
{
    memset(dst, 0, n);
    size_t k = strlen(src);
    memcpy(dst, src, k < n ? k : n);
}

bool pf_wire_plat_login(pf_suite *s, const char *id, uint16_t serial, const char *user, const char *password,
                        int64_t t_s, pf_built *out)
{
    const rs_profile *p = &s->plat_profile;
    uint8_t pid[RS_VIN_LEN];
    padded(pid, sizeof pid, id); /* the platform's unique code, 0x00-padded (§11.1) */
    rs_msg *m = s->scratch;
    rs_msg_init(m, p, RS_MSG_PLAT_LOGIN, pid);
    rs_plat_login *pl = &m->u.plat_login;
    pl->time = rs_time_from_unix(t_s);
    pl->serial = serial;
    padded(pl->user, sizeof pl->user, user);
    padded(pl->password, sizeof pl->password, password);
    pl->enc_rule = 0x01;
    return encode(s, p, m, false, pid, out);
}

bool pf_wire_frame(const rs_profile *p, uint8_t cmd, uint8_t resp, const uint8_t vin[RS_VIN_LEN],
                   const uint8_t *data, size_t n, uint8_t *out, size_t cap, size_t *len, char *why, size_t wcap)
{
    if (n > RS_MAX_DATA_LEN || cap < n + RS_FRAME_OVERHEAD) {
        snprintf(why, wcap, "a data unit holds at most %d bytes", RS_MAX_DATA_LEN);
        return false;
    }
    rs_frame hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.proto = (uint8_t)p->proto;
    hdr.cmd = cmd;
    hdr.resp = resp;
    memcpy(hdr.vin, vin, RS_VIN_LEN);
    hdr.sw_version = p->proto == RS_PROTO_GB32960 ? 0 : p->sw_version;
    hdr.encryption = 0x01;
    memcpy(out + RS_HEADER_LEN, data, n);
    rs_err err;
    if (rs_frame_seal(p, &hdr, out, cap, n, len, &err) != RS_OK) {
        char t[200];
        rs_err_format(&err, t, sizeof t);
        snprintf(why, wcap, "cannot seal the frame: %s", t);
        return false;
    }
    return true;
}
