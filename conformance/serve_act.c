/* The MEE national platform's activation decision (protocol.md §9.2, §9.3):
 * what `remsim serve --role national` answers to an HJ 0x07, and the
 * registration that makes the terminal's later signatures verifiable.
 *
 * The checks run in the order a terminal can act on: a signature that does
 * not verify says nothing about the rest (02 03); a VIN that is not the
 * header's or breaks the VIN rules (02 02: S4 stops retrying); a chip ID
 * already registered (02 01: S2 takes it as "already filed"); else the
 * terminal is registered (01 00). */
#include <string.h>

#include "conformance/serve_sec.h"
#include "remsim/vin.h"

static const char *const act_names[RS_SERVE_ACT_COUNT] = {
    "ok", "already", "vin_error", "other", "table_full", "unanswered",
};

const char *rs_serve_act_name(rs_serve_act a)
{
    return (unsigned)a < RS_SERVE_ACT_COUNT ? act_names[a] : "?";
}

bool serve_act_answer(rs_serve_act a, rs_activation_ans *ans)
{
    ans->status = RS_ACT_FAILED;
    switch (a) {
    case RS_SERVE_ACT_OK:
        ans->status = RS_ACT_OK;
        ans->info = RS_ACT_INFO_NONE;
        return true;
    case RS_SERVE_ACT_ALREADY:
        ans->info = RS_ACT_INFO_ALREADY;
        return true;
    case RS_SERVE_ACT_VIN_ERROR:
        ans->info = RS_ACT_INFO_VIN;
        return true;
    case RS_SERVE_ACT_OTHER:
    case RS_SERVE_ACT_TABLE_FULL:
        ans->info = RS_ACT_INFO_OTHER;
        return true;
    default:
        ans->info = RS_ACT_INFO_NONE;
        return false;
    }
}

static rs_serve_act forced(uint8_t fault)
{
    switch ((rs_serve_act_fault)fault) {
    case RS_SERVE_ACT_FAULT_VIN_ERROR: return RS_SERVE_ACT_VIN_ERROR;
    case RS_SERVE_ACT_FAULT_OTHER: return RS_SERVE_ACT_OTHER;
    case RS_SERVE_ACT_FAULT_ALREADY: return RS_SERVE_ACT_ALREADY;
    case RS_SERVE_ACT_FAULT_SILENT: return RS_SERVE_ACT_UNANSWERED;
    default: return RS_SERVE_ACT_COUNT;
    }
}

static rs_serve_act decide(serve_keys *k, rs_sm2 *c, const rs_msg *m, const serve_sig_result *sig,
                           int64_t now_ms, bool *vin_taken)
{
    const rs_activation *a = &m->u.act;
    /* NOT_CHECKED: --verify off, the signature is taken as it is. */
    if (sig->verdict == SERVE_SIG_FAILED || sig->verdict == SERVE_SIG_MISSING)
        return RS_SERVE_ACT_OTHER;
    if (memcmp(m->frame.vin, a->vin, RS_VIN_LEN) != 0 || rs_vin_check(a->vin, RS_HEADER_LEN + 86, NULL) != RS_OK)
        return RS_SERVE_ACT_VIN_ERROR;
    rs_sm2_key key;
    if (sig->has_key) {
        key = sig->key;
    } else if (!c || rs_sm2_key_from_pub(c, &key, a->pubkey, a->chip_id, RS_CHIP_ID_LEN, NULL) != RS_OK) {
        return RS_SERVE_ACT_OTHER; /* not a curve point: nothing could ever verify with it */
    }
    if (!k)
        return RS_SERVE_ACT_TABLE_FULL;
    const serve_key_entry *ex = NULL;
    switch (serve_keys_add(k, a->vin, a->chip_id, &key, &a->time, now_ms, SERVE_KEY_ACTIVATION, &ex)) {
    case SERVE_KEYS_ADDED:
        return RS_SERVE_ACT_OK;
    case SERVE_KEYS_CHIP_TAKEN:
        return RS_SERVE_ACT_ALREADY;
    case SERVE_KEYS_VIN_TAKEN:
        /* The same key (a pre-registered terminal activating) is the same
         * chip; another key on a registered VIN is a chip swap, which is
         * not the terminal's to make. */
        if (ex && !memcmp(ex->key.pub, key.pub, RS_SM2_PUB_LEN))
            return RS_SERVE_ACT_ALREADY;
        *vin_taken = true;
        return RS_SERVE_ACT_OTHER;
    case SERVE_KEYS_FULL:
    default:
        return RS_SERVE_ACT_TABLE_FULL;
    }
}

rs_serve_act serve_act_decide(serve_keys *k, rs_sm2 *c, const rs_msg *m, const serve_sig_result *sig,
                              int64_t now_ms, uint8_t fault, rs_activation_ans *ans, bool *vin_taken)
{
    *vin_taken = false;
    rs_serve_act a = forced(fault);
    if (a == RS_SERVE_ACT_COUNT)
        a = decide(k, c, m, sig, now_ms, vin_taken);
    serve_act_answer(a, ans);
    return a;
}
