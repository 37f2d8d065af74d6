/* SM2 signature checks of the reference endpoint (protocol.md §9.1, §13).
 *
 * HJ 0x02/0x03 are verified against the key registered for the header VIN
 * (by an activation on any worker, or pre-registered with --keys); an HJ
 * 0x07 against the key and chip ID it carries itself, which is what the
 * national platform checks before it registers them.  rs_sm2_verify tries
 * the chip ID, then the GM/T 0009 default ID, and says which matched. */
#include <string.h>
#include <time.h>

#include "conformance/serve_sec.h"

static const char *const fail_names[RS_SERVE_SIGFAIL_COUNT] = {
    "", "no_match", "r_s_range", "bad_public_key", "verifier_error",
};

const char *rs_serve_sig_fail_name(rs_serve_sig_fail f)
{
    return (unsigned)f < RS_SERVE_SIGFAIL_COUNT ? fail_names[f] : "?";
}

/* The order n of the SM2 curve (GB/T 32918.5). */
static const uint8_t sm2_n[32] = {
    0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x72, 0x03, 0xDF, 0x6B, 0x21, 0xC6, 0x05, 0x2B, 0x53, 0xBB, 0xF4, 0x09, 0x39, 0xD5, 0x41, 0x23,
};

/* 1 <= v < n for a big-endian integer of 1..32 bytes. */
static bool in_range(const uint8_t *v, uint8_t len)
{
    if (len < 1 || len > 32)
        return false;
    uint8_t pad[32] = { 0 };
    memcpy(pad + 32 - len, v, len);
    bool zero = true;
    for (int i = 0; i < 32; i++)
        zero = zero && pad[i] == 0;
    return !zero && memcmp(pad, sm2_n, 32) < 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(serve_sig_result *out, rs_serve_sig_fail why, size_t offset, const char *rule)
{
    out->verdict = SERVE_SIG_FAILED;
    out->reason = (uint8_t)why;
    rs_fail(&out->err, RS_E_SIGNATURE, offset, "signature", rule, 0, 0, RS_NUM_NONE);
}

static void verify(rs_sm2 *c, const rs_sm2_key *key, bool has_chip, const rs_msg *m, const rs_sig *sig,
                   serve_sig_result *out)
{
    const uint8_t *span;
    size_t len;
    if (!rs_msg_signed_span(m, &span, &len)) { /* a decoded signed frame always has one */
        fail(out, RS_SERVE_SIGFAIL_ERROR, RS_HEADER_LEN, "the signed bytes can be found (§9.1)");
        return;
    }
    size_t off = RS_HEADER_LEN + len;
    if (!in_range(sig->r, sig->r_len) || !in_range(sig->s, sig->s_len)) {
        fail(out, RS_SERVE_SIGFAIL_RANGE, off, "r and s are integers in [1, n-1] of 1..32 bytes (§9.1)");
        return;
    }
    uint64_t t0 = mono_ns();
    rs_sm2_idmatch which = RS_SM2_ID_NONE;
    rs_err err;
    rs_code rc = rs_sm2_verify(c, key, span, len, sig, &which, &err);
    out->ns = mono_ns() - t0;
    if (rc == RS_OK && which == RS_SM2_ID_CHIP) {
        /* A key pre-registered without a chip file carries the default ID. */
        out->verdict = has_chip ? SERVE_SIG_VERIFIED : SERVE_SIG_VERIFIED_DEFAULT;
    } else if (rc == RS_OK && which == RS_SM2_ID_DEFAULT) {
        out->verdict = SERVE_SIG_VERIFIED_DEFAULT;
    } else if (rc == RS_E_SIGNATURE || rc == RS_OK) {
        fail(out, RS_SERVE_SIGFAIL_NO_MATCH, off,
             out->from_activation
                 ? "the SM2 signature verifies with the key this activation carries, with its chip ID or the "
                   "default ID (§9.1, §9.2)"
                 : out->key_preregistered
                       ? "the SM2 signature verifies with the VIN's pre-registered key (--keys), with the chip ID "
                         "or the default ID (§9.1, §13)"
                       : "the SM2 signature verifies with the key the VIN's activation registered, with the chip ID "
                         "or the default ID (§9.1, §13)");
    } else {
        out->verdict = SERVE_SIG_FAILED;
        out->reason = RS_SERVE_SIGFAIL_ERROR;
        out->err = err;
    }
}

void serve_sig_check(rs_sm2 *c, const serve_keys *k, const rs_profile *p, const rs_msg *m, serve_sig_result *out)
{
    memset(out, 0, sizeof *out);
    if (p->proto != RS_PROTO_HJ1239 || !c)
        return;
    if (m->kind == RS_MSG_ACTIVATION) {
        const rs_activation *a = &m->u.act;
        out->from_activation = true;
        if (!a->has_sig) {
            out->verdict = SERVE_SIG_MISSING;
            return;
        }
        rs_sm2_key key;
        rs_err err;
        if (rs_sm2_key_from_pub(c, &key, a->pubkey, a->chip_id, RS_CHIP_ID_LEN, &err) != RS_OK) {
            fail(out, RS_SERVE_SIGFAIL_BAD_KEY, RS_HEADER_LEN + 22,
                 "the activation's public key X || Y is a point of the SM2 curve (§9.2)");
            return;
        }
        out->has_key = true;
        out->key = key;
        verify(c, &out->key, true, m, &a->sig, out);
        return;
    }
    if (m->kind != RS_MSG_REPORT || m->u.report.layout != RS_LAYOUT_HJ ||
        (m->frame.cmd != RS_CMD_REALTIME && m->frame.cmd != RS_CMD_REISSUE))
        return;
    if (!m->u.report.has_sig) {
        out->verdict = SERVE_SIG_MISSING;
        return;
    }
    const serve_key_entry *e = serve_keys_find_vin(k, m->frame.vin);
    if (!e) {
        out->verdict = SERVE_SIG_UNKNOWN_KEY;
        return;
    }
    out->key_preregistered = e->source == SERVE_KEY_PREREGISTERED;
    verify(c, &e->key, e->has_chip, m, &m->u.report.sig, out);
}

void serve_sig_count(const serve_sig_result *r, rs_serve_totals *st, rs_serve_vin *v)
{
    rs_serve_vin none;
    if (!v) {
        memset(&none, 0, sizeof none);
        v = &none;
    }
    st->sig_verify_ns += r->ns;
    switch ((serve_sig_verdict)r->verdict) {
    case SERVE_SIG_NOT_CHECKED:
        break;
    case SERVE_SIG_VERIFIED:
        st->sig_verified++;
        v->sig_verified++;
        break;
    case SERVE_SIG_VERIFIED_DEFAULT:
        st->sig_verified_default++;
        v->sig_verified++;
        v->sig_default_id++;
        break;
    case SERVE_SIG_FAILED:
        st->sig_failed++;
        v->sig_failed++;
        if (!v->sig_fail_reason)
            v->sig_fail_reason = r->reason;
        break;
    case SERVE_SIG_UNKNOWN_KEY:
        st->sig_unknown_key++;
        v->sig_unknown_key++;
        break;
    case SERVE_SIG_MISSING:
        st->sig_missing++;
        v->sig_missing++;
        break;
    }
}
