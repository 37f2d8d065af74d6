/* SM2 key source for the signature rule (conform_rules.h): VIN -> public
 * key with the chip ID as its distinguishing ID. */
#include <stdlib.h>
#include <string.h>

#include "remsim/conform_rules.h"
#include "remsim/keystore.h"
#include "remsim/sm2.h"

typedef struct entry {
    uint8_t vin[RS_VIN_LEN];
    rs_sm2_key key;
} entry;

struct rs_rules_sm2_keys {
    rs_sm2 *c;
    entry *e;
    size_t n, cap;
};

rs_rules_sm2_keys *rs_rules_sm2_keys_new(rs_err *err)
{
    rs_rules_sm2_keys *ks = calloc(1, sizeof *ks);
    if (!ks) {
        rs_fail(err, RS_E_LIMIT, 0, "memory", "the key table fits in memory", 0, 0, RS_NUM_NONE);
        return NULL;
    }
    ks->c = rs_sm2_new(err);
    if (!ks->c) {
        free(ks);
        return NULL;
    }
    return ks;
}

void rs_rules_sm2_keys_free(rs_rules_sm2_keys *ks)
{
    if (!ks)
        return;
    rs_sm2_free(ks->c);
    free(ks->e);
    free(ks);
}

size_t rs_rules_sm2_keys_count(const rs_rules_sm2_keys *ks) { return ks->n; }

/* Linear search: key tables are hundreds of VINs, and a verification
 * costs far more than the search. */
static entry *find(rs_rules_sm2_keys *ks, const uint8_t vin[RS_VIN_LEN])
{
    for (size_t i = 0; i < ks->n; i++)
        if (!memcmp(ks->e[i].vin, vin, RS_VIN_LEN))
            return &ks->e[i];
    return NULL;
}

static rs_code put(rs_rules_sm2_keys *ks, const uint8_t vin[RS_VIN_LEN], const rs_sm2_key *key, bool replace,
                   rs_err *err)
{
    entry *e = find(ks, vin);
    if (e) {
        if (replace)
            e->key = *key;
        return RS_OK;
    }
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 16;
        entry *ne = realloc(ks->e, cap * sizeof *ne);
        if (!ne)
            return rs_fail(err, RS_E_LIMIT, 0, "memory", "the key table fits in memory", 0, 0, RS_NUM_NONE);
        ks->e = ne;
        ks->cap = cap;
    }
    memcpy(ks->e[ks->n].vin, vin, RS_VIN_LEN);
    ks->e[ks->n].key = *key;
    ks->n++;
    return RS_OK;
}

rs_code rs_rules_sm2_keys_add(rs_rules_sm2_keys *ks, const uint8_t vin[RS_VIN_LEN], const uint8_t pub[RS_PUBKEY_LEN],
                              const uint8_t chip_id[RS_CHIP_ID_LEN], bool replace, rs_err *err)
{
    rs_sm2_key k;
    rs_code rc = rs_sm2_key_from_pub(ks->c, &k, pub, chip_id, RS_CHIP_ID_LEN, err);
    return rc ? rc : put(ks, vin, &k, replace, err);
}

static rs_code visit(void *ctx, const uint8_t vin[RS_VIN_LEN], const uint8_t chip_id[RS_CHIP_ID_LEN],
                     const rs_sm2_key *key, rs_err *err)
{
    (void)chip_id; /* the key's ID is the chip ID already (keystore.h) */
    return put(ctx, vin, key, true, err);
}

rs_code rs_rules_sm2_keys_load_dir(rs_rules_sm2_keys *ks, const char *dir, size_t *count, rs_err *err)
{
    return rs_keystore_scan(ks->c, dir, visit, ks, count, err);
}

static rs_code hook_verify(void *ctx, const uint8_t vin[RS_VIN_LEN], const uint8_t *msg, size_t len,
                           const rs_sig *sig, const char **which, rs_err *err)
{
    rs_rules_sm2_keys *ks = ctx;
    entry *e = find(ks, vin);
    if (!e)
        return rs_fail(err, RS_E_OPTION, 0, "key", "a public key for the VIN", 0, 0, RS_NUM_NONE);
    rs_sm2_idmatch m = RS_SM2_ID_NONE;
    rs_code rc = rs_sm2_verify(ks->c, &e->key, msg, len, sig, &m, err);
    if (which)
        *which = rs_sm2_idmatch_name(m);
    return rc == RS_OK ? RS_OK : RS_E_SIGNATURE;
}

static void hook_learn(void *ctx, const uint8_t vin[RS_VIN_LEN], const uint8_t chip_id[RS_CHIP_ID_LEN],
                       const uint8_t pub[RS_PUBKEY_LEN])
{
    rs_err err;
    /* A point that is not on the curve is no key: the activation's own
     * signature then has nothing to verify with and is reported so. */
    (void)rs_rules_sm2_keys_add(ctx, vin, pub, chip_id, false, &err);
}

void rs_rules_sm2_keys_hook(rs_rules_sm2_keys *ks, rs_rules_keys *out)
{
    out->ctx = ks;
    out->verify = hook_verify;
    out->learn = hook_learn;
}
