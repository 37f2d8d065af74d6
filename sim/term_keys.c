/* Signing identities of virtual terminals (term_keys.h). */
#include "remsim/term_keys.h"

#include <string.h>

#include "remsim/ident.h"
#include "remsim/keystore.h"

void rs_term_keys_opts_init(rs_term_keys_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sign = true;
    o->keygen = RS_KEYGEN_DERIVE;
}

bool rs_keygen_parse(const char *name, rs_keygen *out)
{
    if (!strcmp(name, "derive"))
        *out = RS_KEYGEN_DERIVE;
    else if (!strcmp(name, "random"))
        *out = RS_KEYGEN_RANDOM;
    else
        return false;
    return true;
}

rs_code rs_term_keys_setup(rs_sm2 *c, const rs_term_keys_opts *o, uint64_t seed, uint64_t global_index,
                           rs_term_ident *id, rs_term_signer *sg, rs_err *err)
{
    rs_ident_chip_id(seed, global_index, id->chip_id);
    id->sign = NULL;
    id->sign_ctx = NULL;
    if (!o->sign)
        return RS_OK;
    bool created;
    rs_code rc = rs_keystore_obtain(c, o->dir, o->keygen == RS_KEYGEN_RANDOM ? RS_KEYSTORE_GENERATE
                                                                              : RS_KEYSTORE_DERIVE,
                                    seed, id->vin, id->chip_id, &sg->key, &created, err);
    if (rc != RS_OK)
        return rc;
    memcpy(id->pubkey, sg->key.pub, RS_PUBKEY_LEN);
    sg->hook.c = c;
    sg->hook.key = &sg->key;
    id->sign = rs_sm2_sign_hook;
    id->sign_ctx = &sg->hook;
    return RS_OK;
}
