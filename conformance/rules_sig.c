/* Signature rules of HJ 1239 frames (§9.1): each signature is verified
 * through the key hook (conform_rules.h), keys seen in activation frames
 * are handed to it first, and frames without a known key are counted so
 * the case says why it was skipped. */
#include <string.h>

#include "conformance/rules_int.h"

void rules_sig_frame(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_conf_ref *ref)
{
    const rs_sig *sig = NULL;
    if (m->kind == RS_MSG_REPORT && m->u.report.has_sig)
        sig = &m->u.report.sig;
    else if (m->kind == RS_MSG_ACTIVATION && m->u.act.has_sig)
        sig = &m->u.act.sig;
    if (m->kind == RS_MSG_ACTIVATION && r->keys.learn)
        r->keys.learn(r->keys.ctx, m->u.act.vin, m->u.act.chip_id, m->u.act.pubkey);
    const uint8_t *span;
    size_t len;
    if (!sig || !rs_msg_signed_span(m, &span, &len))
        return;
    if (!r->have_keys) {
        r->sig_nokey_frames++;
        return;
    }
    /* An activation is signed by the key it carries: look it up by the
     * body's VIN, which is the one the key was learned for. */
    const uint8_t *vin = m->kind == RS_MSG_ACTIVATION ? m->u.act.vin : m->frame.vin;
    const char *which = NULL;
    rs_err err;
    rs_code rc = r->keys.verify(r->keys.ctx, vin, span, len, sig, &which, &err);
    if (rc == RS_OK) {
        rs_conf_exercise(r->run, RS_CASE_SIG_VERIFY, v->text);
        return;
    }
    if (rc == RS_E_OPTION) {
        r->sig_nokey_frames++;
        v->sig_nokey = true;
        return;
    }
    char msg[RS_CONF_TEXT_MAX];
    rs_err_format(&err, msg, sizeof msg);
    rs_conf_fail(r->run, RS_CASE_SIG_VERIFY, rs_conf_severity(r->run, RS_CASE_SIG_VERIFY), v->text, ref,
                 "signature does not verify with the VIN's key (chip ID nor default ID): %s", msg);
}

void rules_sig_finish(rs_rules *r)
{
    if (!r->sig_nokey_frames)
        return;
    char why[RS_CONF_TEXT_MAX];
    unsigned vins = 0;
    for (uint32_t i = 0; i < r->n_vins; i++)
        vins += r->vins[i].sig_nokey;
    if (!r->have_keys)
        snprintf(why, sizeof why,
                 "%llu signed frames, no key source (give --keys DIR, or capture the VINs' activation frames)",
                 (unsigned long long)r->sig_nokey_frames);
    else
        snprintf(why, sizeof why, "%llu signed frames of %u VINs with no known key (not in --keys, no activation seen)",
                 (unsigned long long)r->sig_nokey_frames, vins);
    rs_conf_skip(r->run, RS_CASE_SIG_VERIFY, why);
}
