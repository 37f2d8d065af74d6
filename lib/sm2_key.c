/* SM2 keys: from a private or public value, generated, or derived from a
 * seed and a label (sm2.h). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "lib/sm2_internal.h"

static rs_code check_id(size_t id_len, rs_err *err)
{
    if (id_len < 1 || id_len > RS_SM2_ID_MAX)
        return rs_fail(err, RS_E_OPTION, 0, "id", "distinguishing ID of 1..32 bytes (§9.1: the 16-character chip ID)",
                       (long long)id_len, RS_SM2_ID_MAX, RS_NUM_GOT_ONLY);
    return RS_OK;
}

/* 1 when d is in [1, n-2], 0 when not, -1 when OpenSSL failed. */
static int priv_in_range(rs_sm2 *c, const uint8_t d[RS_SM2_PRIV_LEN])
{
    BN_CTX_start(c->bn);
    BIGNUM *v = BN_CTX_get(c->bn);
    int res = -1;
    if (v) {
        BN_set_flags(v, BN_FLG_CONSTTIME);
        if (BN_bin2bn(d, RS_SM2_PRIV_LEN, v))
            res = !BN_is_zero(v) && BN_cmp(v, c->n_minus_2) <= 0;
        BN_clear(v);
    }
    BN_CTX_end(c->bn);
    return res;
}

static rs_code fail_lib(rs_err *err)
{
    ERR_clear_error();
    return rs_fail(err, RS_E_IO, 0, "SM2 key", "OpenSSL libcrypto computes the public key (memory, SM2 curve)", 0, 0,
                   RS_NUM_NONE);
}

rs_code rs_sm2_key_from_priv(rs_sm2 *c, rs_sm2_key *k, const uint8_t d[RS_SM2_PRIV_LEN], const uint8_t *id,
                             size_t id_len, rs_err *err)
{
    rs_code rc = check_id(id_len, err);
    if (rc)
        return rc;
    int in = priv_in_range(c, d);
    if (in < 0)
        return fail_lib(err);
    if (!in)
        return rs_fail(err, RS_E_VALUE, 0, "private key", "d in [1, n-2] (GB/T 32918.1 §6.1)", 0, 0, RS_NUM_NONE);
    rs_sm2_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.priv, d, RS_SM2_PRIV_LEN);
    key.has_priv = true;
    /* P = dG, with the generator alone: OpenSSL's constant-time ladder. */
    BN_CTX_start(c->bn);
    BIGNUM *v = BN_CTX_get(c->bn), *x = BN_CTX_get(c->bn), *y = BN_CTX_get(c->bn);
    bool ok = false;
    if (y) {
        BN_set_flags(v, BN_FLG_CONSTTIME);
        ok = BN_bin2bn(d, RS_SM2_PRIV_LEN, v) && EC_POINT_mul(c->group, c->pt, v, NULL, NULL, c->bn) &&
             EC_POINT_get_affine_coordinates(c->group, c->pt, x, y, c->bn) && BN_bn2binpad(x, key.pub, 32) == 32 &&
             BN_bn2binpad(y, key.pub + 32, 32) == 32;
        BN_clear(v);
    }
    BN_CTX_end(c->bn);
    if (!ok)
        rc = fail_lib(err);
    else
        rc = rs_sm2_key_set_id(c, &key, id, id_len, err);
    if (rc == RS_OK)
        *k = key;
    OPENSSL_cleanse(&key, sizeof key);
    return rc;
}

rs_code rs_sm2_key_from_pub(rs_sm2 *c, rs_sm2_key *k, const uint8_t pub[RS_SM2_PUB_LEN], const uint8_t *id,
                            size_t id_len, rs_err *err)
{
    rs_code rc = check_id(id_len, err);
    if (rc)
        return rc;
    uint8_t oct[1 + RS_SM2_PUB_LEN] = { 0x04 };
    memcpy(oct + 1, pub, RS_SM2_PUB_LEN);
    rs_sm2_key key;
    memset(&key, 0, sizeof key);
    /* Decoding checks the point is on the curve; re-encoding must give the
     * same bytes (no coordinate at or above p). */
    if (!rs_sm2_point_decode(c, oct, sizeof oct, key.pub) || memcmp(key.pub, pub, RS_SM2_PUB_LEN))
        return rs_fail(err, RS_E_VALUE, 0, "public key", "X || Y is a point on the SM2 curve (GB/T 32918.5)", 0, 0,
                       RS_NUM_NONE);
    rc = rs_sm2_key_set_id(c, &key, id, id_len, err);
    if (rc == RS_OK)
        *k = key;
    return rc;
}

rs_code rs_sm2_key_generate(rs_sm2 *c, rs_sm2_key *k, const uint8_t *id, size_t id_len, rs_err *err)
{
    rs_code rc = check_id(id_len, err);
    if (rc)
        return rc;
    uint8_t d[RS_SM2_PRIV_LEN];
    /* Rejection rather than reduction keeps d uniform in [1, n-2]; n is
     * close to 2^256, so a draw is rejected with probability about 2^-32. */
    for (;;) {
        if (RAND_priv_bytes(d, sizeof d) != 1) {
            ERR_clear_error();
            return rs_fail(err, RS_E_IO, 0, "random", "the system's random source gives bytes (RAND_priv_bytes)", 0,
                           0, RS_NUM_NONE);
        }
        int in = priv_in_range(c, d);
        if (in < 0) {
            rc = fail_lib(err);
            break;
        }
        if (in) {
            rc = rs_sm2_key_from_priv(c, k, d, id, id_len, err);
            break;
        }
    }
    OPENSSL_cleanse(d, sizeof d);
    return rc;
}

rs_code rs_sm2_key_derive(rs_sm2 *c, rs_sm2_key *k, uint64_t seed, const uint8_t *label, size_t label_len,
                          const uint8_t *id, size_t id_len, rs_err *err)
{
    rs_code rc = check_id(id_len, err);
    if (rc)
        return rc;
    /* d = SM3(domain || seed || len(label) || label || counter), the first
     * counter whose d falls in [1, n-2].  The domain string keeps these keys
     * apart from any other use of SM3 over the same bytes; the length makes
     * (label, counter) unambiguous. */
    static const char domain[] = "remsim sm2 test key v1";
    uint8_t head[sizeof domain - 1 + 8 + 4];
    memcpy(head, domain, sizeof domain - 1);
    for (int i = 0; i < 8; i++)
        head[sizeof domain - 1 + i] = (uint8_t)(seed >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        head[sizeof domain - 1 + 8 + i] = (uint8_t)((uint32_t)label_len >> (24 - 8 * i));
    uint8_t d[RS_SM2_PRIV_LEN];
    for (uint32_t counter = 0;; counter++) {
        uint8_t cb[4] = { (uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8),
                          (uint8_t)counter };
        if (!rs_sm2_sm3(c, head, sizeof head, label ? label : (const uint8_t *)"", label_len, cb, 4, NULL, 0, d)) {
            rc = fail_lib(err);
            break;
        }
        int in = priv_in_range(c, d);
        if (in < 0) {
            rc = fail_lib(err);
            break;
        }
        if (in) {
            rc = rs_sm2_key_from_priv(c, k, d, id, id_len, err);
            break;
        }
    }
    OPENSSL_cleanse(d, sizeof d);
    return rc;
}
