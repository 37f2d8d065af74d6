/* Value fidelity and signatures (hil_int.h).
 *
 * Fidelity: each value of each reported sample is compared with what the
 * scenario injected for that second, the comparison tests/unit/test_truck.c
 * makes for the virtual truck: equal within the coarser of the report
 * resolution and the J1939 resolution (rs_sig_field_range), states equal
 * (an injected "not available" must be reported invalid; a value outside
 * its J1939 range goes out as "error" and is reported invalid too).  A
 * terminal samples the bus on its own schedule, so a sample stamped t is
 * matched against the injected seconds t - d for d from -1 (its clock up
 * to a second ahead, as time calibration allows) to --max-delay; the best
 * match counts. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conformance/hil_int.h"
#include "remsim/keystore.h"

typedef struct mismatch {
    int field;                    /* -1: none */
    double got, want, tol;
    uint8_t got_state, want_state;
} mismatch;

static double tolerance(rs_field_id f, const rs_sig_cfg *sig)
{
    double lo, hi, step;
    if (rs_sig_field_range(f, sig, &lo, &hi, &step))
        return step * 1.0001 + 1e-9;
    return rs_fields[f].scale * 0.5001; /* no J1939 row: report rounding only */
}

static bool outside_j1939(rs_field_id f, const rs_sig_cfg *sig, double v)
{
    double lo, hi, step;
    return rs_sig_field_range(f, sig, &lo, &hi, &step) && (v < lo - step || v > hi + step);
}

/* Mismatching fields of one item against one injected second. */
static unsigned compare(const hil *h, const rs_item *it, const hil_inj *in, mismatch *first)
{
    unsigned n, bad = 0;
    const uint8_t *lay = rs_info_layout(it->type, &n);
    const rs_sig_cfg *sig = &h->setup.truck.sampler.sig;
    first->field = -1;
    for (unsigned i = 0; lay && i < n; i++) {
        rs_field_id f = (rs_field_id)lay[i];
        if (f == RS_F_TORQUE_MODE)
            continue; /* the terminal's own constant (can-signals.md §2.1), not a vehicle value */
        rs_val want = in->s.v[f], got = it->u.v[f];
        bool ok;
        if (want.state != RS_VALID)
            ok = got.state != RS_VALID;
        else if (got.state != RS_VALID)
            ok = outside_j1939(f, sig, want.value);
        else
            ok = fabs(got.value - want.value) <= tolerance(f, sig);
        if (!ok && bad++ == 0)
            *first = (mismatch){ (int)f, got.value, want.value, tolerance(f, sig), got.state, want.state };
    }
    return bad;
}

static const hil_inj *injected(const hil *h, int64_t s)
{
    int64_t i = s - h->start_ms / 1000;
    if (i < 1 || i > (int64_t)h->o->duration_s || !h->inj[i].have)
        return NULL;
    return &h->inj[i];
}

static void check_item(hil *h, const rs_item *it, int64_t collect, const hil_frame *f, const char *vin,
                       unsigned *reported)
{
    int best_d = 0;
    unsigned best = UINT32_MAX;
    mismatch bm = { -1, 0, 0, 0, 0, 0 }, m;
    bool any = false;
    for (int d = -1; d <= (int)h->o->max_delay_s; d++) {
        const hil_inj *in = injected(h, collect - d);
        if (!in)
            continue;
        any = true;
        unsigned bad = compare(h, it, in, &m);
        if (bad < best) {
            best = bad;
            best_d = d;
            bm = m;
        }
        if (!bad)
            break;
    }
    if (!any)
        return; /* a second outside the drive (before ignition, after the end) */
    h->st->values_checked++;
    rs_conf_exercise(h->run, RS_CASE_T_VALUES, vin);
    if (!best)
        return;
    (*reported)++;
    rs_conf_ref ref;
    rs_conf_ref_init(&ref);
    rs_conf_ref_frame(&ref, &h->setup.profile, f->bytes, f->len);
    ref.time_ms = f->at_ms;
    rs_time t = rs_time_from_unix(collect);
    char when[RS_TIME_TEXT];
    rs_time_format(&t, when);
    const rs_field_desc *fd = &rs_fields[bm.field];
    if (bm.want_state != RS_VALID || bm.got_state != RS_VALID)
        rs_conf_fail(h->run, RS_CASE_T_VALUES, RS_SEV_ERROR, vin, &ref,
                     "%s at %s: reported %s, the vehicle put %s on CAN (best of delays -1..%u s: %d s, %u field%s "
                     "off)", fd->name, when, rs_state_name((rs_state)bm.got_state),
                     rs_state_name((rs_state)bm.want_state), h->o->max_delay_s, best_d, best, best > 1 ? "s" : "");
    else
        rs_conf_fail(h->run, RS_CASE_T_VALUES, RS_SEV_ERROR, vin, &ref,
                     "%s at %s: reported %.6g %s, the vehicle put %.6g on CAN (tolerance %g; best of delays "
                     "-1..%u s: %d s, %u field%s off)", fd->name, when, bm.got, fd->unit, bm.want, bm.tol,
                     h->o->max_delay_s, best_d, best, best > 1 ? "s" : "");
}

static bool is_stream(uint8_t type)
{
    return type == RS_INFO_STREAM_DIESEL || type == RS_INFO_STREAM_TWC || type == RS_INFO_STREAM_TWC_NOX;
}

void hil_check_values(hil *h)
{
    char vin[18];
    rs_framelog_vin_text(h->vin, vin);
    unsigned reported = 0;
    rs_msg *m = h->pmsg;
    for (size_t i = 0; i < h->n_frames; i++) {
        const hil_frame *f = &h->frames[i];
        rs_err err;
        if (f->down || !f->len || rs_msg_decode(&h->setup.profile, f->bytes, f->len, m, &err) != RS_OK ||
            m->kind != RS_MSG_REPORT)
            continue;
        const rs_report *r = &m->u.report;
        int64_t cur = rs_time_to_unix(&r->time) - 1;
        for (unsigned k = 0; k < r->n_items; k++) {
            const rs_item *it = &r->item[k];
            if (it->type == RS_INFO_OBD)
                continue;
            int64_t at;
            if (r->layout == RS_LAYOUT_GB) {
                if (is_stream(it->type))
                    cur++;
                at = cur; /* extras (hybrid, supplement) follow their stream item */
            } else {
                at = rs_time_to_unix(&it->collect);
            }
            unsigned nf;
            if (rs_info_layout(it->type, &nf))
                check_item(h, it, at, f, vin, &reported);
        }
    }
    if (!h->st->values_checked)
        rs_conf_fail(h->run, RS_CASE_T_VALUES, RS_SEV_ERROR, vin, NULL,
                     "no reported sample could be compared with the injected seconds");
}

/* The key the terminal registered: --keys DIR, else its 0x07. */
static bool find_key(hil *h, rs_sm2_key *key, const char **from)
{
    rs_err err;
    uint8_t chip[RS_CHIP_ID_LEN];
    if (h->o->keys && rs_keystore_load(h->sm2, h->o->keys, h->vin, false, key, chip, &err) == RS_OK) {
        *from = "--keys";
        return true;
    }
    rs_msg *m = h->pmsg;
    for (size_t i = 0; i < h->n_frames; i++) {
        const hil_frame *f = &h->frames[i];
        if (f->down || f->len < 3 || f->bytes[2] != RS_CMD_ACTIVATION ||
            rs_msg_decode(&h->setup.profile, f->bytes, f->len, m, &err) != RS_OK)
            continue;
        if (rs_sm2_key_from_pub(h->sm2, key, m->u.act.pubkey, m->u.act.chip_id, RS_CHIP_ID_LEN, &err) == RS_OK) {
            *from = "its 0x07 activation";
            return true;
        }
    }
    return false;
}

void hil_check_signatures(hil *h)
{
    if (h->setup.profile.proto != RS_PROTO_HJ1239)
        return; /* not applicable by the catalogue */
    char vin[18];
    rs_framelog_vin_text(h->vin, vin);
    rs_sm2_key key;
    const char *from = NULL;
    if (!find_key(h, &key, &from)) {
        rs_conf_skip(h->run, RS_CASE_T_SIGNATURE,
                     "no registered key: no 0x07 activation arrived and --keys DIR has none for the VIN");
        return;
    }
    rs_msg *m = h->pmsg;
    unsigned bad = 0;
    for (size_t i = 0; i < h->n_frames; i++) {
        const hil_frame *f = &h->frames[i];
        rs_err err;
        if (f->down || f->len < 3)
            continue;
        uint8_t cmd = f->bytes[2];
        if (cmd != RS_CMD_REALTIME && cmd != RS_CMD_REISSUE && cmd != RS_CMD_ACTIVATION)
            continue;
        if (rs_msg_decode(&h->setup.profile, f->bytes, f->len, m, &err) != RS_OK)
            continue;
        bool has = m->kind == RS_MSG_ACTIVATION ? m->u.act.has_sig : m->u.report.has_sig;
        const rs_sig *sig = m->kind == RS_MSG_ACTIVATION ? &m->u.act.sig : &m->u.report.sig;
        const uint8_t *span;
        size_t len;
        rs_sm2_idmatch which = RS_SM2_ID_NONE;
        rs_conf_exercise(h->run, RS_CASE_T_SIGNATURE, vin);
        bool ok = has && rs_msg_signed_span(m, &span, &len) &&
                  rs_sm2_verify(h->sm2, &key, span, len, sig, &which, &err) == RS_OK;
        if (ok)
            continue;
        bad++;
        rs_conf_ref ref;
        rs_conf_ref_init(&ref);
        rs_conf_ref_frame(&ref, &h->setup.profile, f->bytes, f->len);
        ref.time_ms = f->at_ms;
        rs_conf_fail(h->run, RS_CASE_T_SIGNATURE, RS_SEV_ERROR, vin, &ref,
                     has ? "0x%02X signature does not verify with the key from %s (chip ID and default ID tried, §9.1)"
                         : "0x%02X without a signature block (§9.1); key from %s",
                     cmd, from);
    }
}

/* --injected FILE: what the vehicle put on CAN, one JSON object per second
 * (GMT+8 time as `remsim decode` prints it, every field of the vehicle's
 * stream with the tolerance the value case allows), to compare a terminal's
 * reports or a replayed trace (`remsim can2frames`) by hand or by script. */
rs_code hil_write_injected(hil *h, const char *path, rs_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rs_fail(err, RS_E_IO, 0, path, "the injected-samples file can be created", errno, 0, RS_NUM_GOT_ONLY);
    const rs_sig_cfg *sig = &h->setup.truck.sampler.sig;
    for (uint32_t i = 1; i <= h->o->duration_s; i++) {
        const hil_inj *in = &h->inj[i];
        if (!in->have)
            continue;
        int64_t s = h->start_ms / 1000 + i;
        rs_time t = rs_time_from_unix(s);
        char when[RS_TIME_TEXT];
        rs_time_format(&t, when);
        fprintf(f, "{\"time\":\"%s\",\"unix\":%lld,\"stream\":%u,\"mil\":%u,\"dtc_count\":%u,\"fields\":{", when,
                (long long)s, in->s.stream, in->mil, in->dtc_count);
        bool first = true;
        for (int k = 0; k < RS_F_COUNT; k++) {
            const rs_val *v = &in->s.v[k];
            fprintf(f, "%s\"%s\":{\"state\":\"%s\"", first ? "" : ",", rs_fields[k].name,
                    rs_state_name((rs_state)v->state));
            if (v->state == RS_VALID)
                fprintf(f, ",\"value\":%.9g,\"tolerance\":%.9g", v->value, tolerance((rs_field_id)k, sig));
            fputc('}', f);
            first = false;
        }
        fputs("}}\n", f);
    }
    if (fclose(f) != 0)
        return rs_fail(err, RS_E_IO, 0, path, "the injected-samples file can be written", errno, 0, RS_NUM_GOT_ONLY);
    return RS_OK;
}
