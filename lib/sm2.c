/* SM2 signatures with SM3 (GB/T 32918.2, protocol.md §9.1): the context,
 * Z_A, signing with a deterministic or given nonce, verification.
 *
 * The arithmetic is OpenSSL's (BIGNUM, EC_POINT); only the SM2 formulas
 * are here.  kG goes through EC_POINT_mul with the generator alone, which
 * OpenSSL computes with its constant-time ladder; secret numbers carry
 * BN_FLG_CONSTTIME, and (1 + d)^-1 is taken by Fermat's little theorem
 * with BN_mod_exp_mont_consttime rather than the variable-time
 * BN_mod_inverse. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "lib/sm2_internal.h"

static rs_code fail_lib(rs_err *err, const char *what)
{
    return rs_fail(err, RS_E_IO, 0, what, "OpenSSL libcrypto 3 provides the SM2 curve, SM3 and HMAC "
                   "(default provider) and memory for them", 0, 0, RS_NUM_NONE);
}

void rs_sm2_free(rs_sm2 *c)
{
    if (!c)
        return;
    EVP_MAC_CTX_free(c->mac);
    EVP_MD_CTX_free(c->md);
    EVP_MD_free(c->sm3);
    EC_POINT_free(c->pub);
    EC_POINT_free(c->pt);
    BN_CTX_free(c->bn);
    BN_MONT_CTX_free(c->mont_n);
    BN_free(c->n_minus_2);
    BN_free(c->p);
    EC_GROUP_free(c->group);
    OPENSSL_free(c);
}

/* a || b || xG || yG, each 32 bytes big-endian. */
static bool curve_bytes(rs_sm2 *c)
{
    BN_CTX_start(c->bn);
    BIGNUM *a = BN_CTX_get(c->bn), *b = BN_CTX_get(c->bn);
    BIGNUM *x = BN_CTX_get(c->bn), *y = BN_CTX_get(c->bn);
    bool ok = y && EC_GROUP_get_curve(c->group, c->p, a, b, c->bn) &&
              EC_POINT_get_affine_coordinates(c->group, EC_GROUP_get0_generator(c->group), x, y, c->bn) &&
              BN_bn2binpad(a, c->curve, 32) == 32 && BN_bn2binpad(b, c->curve + 32, 32) == 32 &&
              BN_bn2binpad(x, c->curve + 64, 32) == 32 && BN_bn2binpad(y, c->curve + 96, 32) == 32;
    BN_CTX_end(c->bn);
    return ok;
}

rs_sm2 *rs_sm2_new(rs_err *err)
{
    rs_sm2 *c = OPENSSL_zalloc(sizeof *c);
    if (!c) {
        fail_lib(err, "malloc");
        return NULL;
    }
    c->group = EC_GROUP_new_by_curve_name(NID_sm2);
    c->p = BN_new();
    c->n_minus_2 = BN_new();
    c->mont_n = BN_MONT_CTX_new();
    c->bn = BN_CTX_new();
    c->sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
    c->md = EVP_MD_CTX_new();
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    c->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    EVP_MAC_free(hmac); /* the context keeps its own reference */
    if (!c->group || !c->p || !c->n_minus_2 || !c->mont_n || !c->bn || !c->sm3 || !c->md || !c->mac) {
        fail_lib(err, !c->group ? "SM2 curve" : !c->sm3 ? "SM3" : !c->mac ? "HMAC" : "malloc");
        rs_sm2_free(c);
        return NULL;
    }
    c->n = EC_GROUP_get0_order(c->group);
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SM3", 0),
                            OSSL_PARAM_construct_end() };
    c->pt = EC_POINT_new(c->group);
    c->pub = EC_POINT_new(c->group);
    if (!c->pt || !c->pub || !BN_copy(c->n_minus_2, c->n) || !BN_sub_word(c->n_minus_2, 2) ||
        !BN_MONT_CTX_set(c->mont_n, c->n, c->bn) || !EVP_MAC_CTX_set_params(c->mac, params) || !curve_bytes(c)) {
        fail_lib(err, "SM2 setup");
        rs_sm2_free(c);
        return NULL;
    }
    return c;
}

bool rs_sm2_sm3(rs_sm2 *c, const void *a, size_t alen, const void *b, size_t blen, const void *x, size_t xlen,
                const void *y, size_t ylen, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_DigestInit_ex2(c->md, c->sm3, NULL) && (!a || EVP_DigestUpdate(c->md, a, alen)) &&
           (!b || EVP_DigestUpdate(c->md, b, blen)) && (!x || EVP_DigestUpdate(c->md, x, xlen)) &&
           (!y || EVP_DigestUpdate(c->md, y, ylen)) && EVP_DigestFinal_ex(c->md, out, &n) && n == 32;
}

/* Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), ENTL the ID's
 * length in bits as 2 bytes (GB/T 32918.2 §5.5). */
static bool za_compute(rs_sm2 *c, const uint8_t *id, size_t id_len, const uint8_t pub[RS_SM2_PUB_LEN],
                       uint8_t out[32])
{
    uint8_t entl[2] = { (uint8_t)(id_len * 8 >> 8), (uint8_t)(id_len * 8) };
    return rs_sm2_sm3(c, entl, 2, id, id_len, c->curve, sizeof c->curve, pub, RS_SM2_PUB_LEN, out);
}

rs_code rs_sm2_key_set_id(rs_sm2 *c, rs_sm2_key *k, const uint8_t *id, size_t id_len, rs_err *err)
{
    if (id_len < 1 || id_len > RS_SM2_ID_MAX || !id)
        return rs_fail(err, RS_E_OPTION, 0, "id", "distinguishing ID of 1..32 bytes (§9.1: the 16-character chip ID)",
                       (long long)id_len, RS_SM2_ID_MAX, RS_NUM_GOT_ONLY);
    uint8_t copy[RS_SM2_ID_MAX];
    memcpy(copy, id, id_len); /* id may point into k->id itself */
    memset(k->id, 0, sizeof k->id);
    memcpy(k->id, copy, id_len);
    k->id_len = (uint8_t)id_len;
    if (!za_compute(c, k->id, k->id_len, k->pub, k->za))
        return fail_lib(err, "SM3");
    return RS_OK;
}

bool rs_sm2_point_decode(rs_sm2 *c, const uint8_t *oct, size_t len, uint8_t pub[RS_SM2_PUB_LEN])
{
    BN_CTX_start(c->bn);
    BIGNUM *x = BN_CTX_get(c->bn), *y = BN_CTX_get(c->bn);
    bool ok = y && EC_POINT_oct2point(c->group, c->pt, oct, len, c->bn) &&
              !EC_POINT_is_at_infinity(c->group, c->pt) &&
              EC_POINT_get_affine_coordinates(c->group, c->pt, x, y, c->bn) && BN_bn2binpad(x, pub, 32) == 32 &&
              BN_bn2binpad(y, pub + 32, 32) == 32;
    BN_CTX_end(c->bn);
    if (!ok)
        ERR_clear_error();
    return ok;
}

/* The public key as a point in c->pub.  RS_E_VALUE when it is not on the
 * curve (or a coordinate is not below p). */
static rs_code load_pub(rs_sm2 *c, const uint8_t pub[RS_SM2_PUB_LEN], rs_err *err)
{
    BN_CTX_start(c->bn);
    BIGNUM *x = BN_CTX_get(c->bn), *y = BN_CTX_get(c->bn);
    rs_code rc = RS_OK;
    if (!y || !BN_bin2bn(pub, 32, x) || !BN_bin2bn(pub + 32, 32, y))
        rc = fail_lib(err, "bignum");
    else if (BN_cmp(x, c->p) >= 0 || BN_cmp(y, c->p) >= 0 ||
             !EC_POINT_set_affine_coordinates(c->group, c->pub, x, y, c->bn))
        rc = rs_fail(err, RS_E_VALUE, 0, "public key", "X || Y is a point on the SM2 curve (GB/T 32918.5)", 0, 0,
                     RS_NUM_NONE);
    BN_CTX_end(c->bn);
    if (rc != RS_OK)
        ERR_clear_error(); /* OpenSSL queued why the point is bad; the rs_err says it */
    return rc;
}

/* e = SM3(Z_A || M) as a number. */
static bool digest_e(rs_sm2 *c, const uint8_t za[32], const uint8_t *msg, size_t len, uint8_t e[32], BIGNUM *out)
{
    return rs_sm2_sm3(c, za, 32, msg ? msg : (const uint8_t *)"", len, NULL, 0, NULL, 0, e) && BN_bin2bn(e, 32, out);
}

/* --- signing --- */

enum { TRY_OK = 1, TRY_AGAIN = 0, TRY_FAILED = -1 };

/* One signing attempt with nonce k: TRY_AGAIN when k gives r = 0,
 * r + k = n or s = 0 (GB/T 32918.2 §6.1 A5, A6), which calls for another k. */
static int sign_with_k(rs_sm2 *c, const BIGNUM *d, const BIGNUM *e, const BIGNUM *k, rs_sig *sig)
{
    BN_CTX_start(c->bn);
    BIGNUM *x1 = BN_CTX_get(c->bn), *r = BN_CTX_get(c->bn), *s = BN_CTX_get(c->bn);
    BIGNUM *t = BN_CTX_get(c->bn), *inv = BN_CTX_get(c->bn);
    int res = TRY_FAILED;
    if (!inv)
        goto out;
    BN_set_flags(t, BN_FLG_CONSTTIME);
    BN_set_flags(inv, BN_FLG_CONSTTIME);
    /* (x1, y1) = kG; r = (e + x1) mod n */
    if (!EC_POINT_mul(c->group, c->pt, k, NULL, NULL, c->bn) ||
        !EC_POINT_get_affine_coordinates(c->group, c->pt, x1, NULL, c->bn) || !BN_mod_add(r, e, x1, c->n, c->bn) ||
        !BN_add(t, r, k))
        goto out;
    if (BN_is_zero(r) || BN_cmp(t, c->n) == 0) {
        res = TRY_AGAIN;
        goto out;
    }
    /* s = (1 + d)^-1 (k - r d) mod n; 1 + d <= n - 1 needs no reduction. */
    if (!BN_add(t, d, BN_value_one()) || !BN_mod_exp_mont_consttime(inv, t, c->n_minus_2, c->n, c->bn, c->mont_n) ||
        !BN_mod_mul(t, r, d, c->n, c->bn) || !BN_mod_sub(t, k, t, c->n, c->bn) ||
        !BN_mod_mul(s, inv, t, c->n, c->bn))
        goto out;
    if (BN_is_zero(s)) {
        res = TRY_AGAIN;
        goto out;
    }
    if (BN_bn2binpad(r, sig->r, 32) != 32 || BN_bn2binpad(s, sig->s, 32) != 32)
        goto out;
    sig->r_len = sig->s_len = 32;
    res = TRY_OK;
out:
    if (t)
        BN_clear(t);
    if (inv)
        BN_clear(inv);
    BN_CTX_end(c->bn);
    return res;
}

static bool hmac_sm3(rs_sm2 *c, const uint8_t key[32], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                     const uint8_t *x, size_t xlen, uint8_t out[32])
{
    size_t n = 0;
    return EVP_MAC_init(c->mac, key, 32, NULL) && EVP_MAC_update(c->mac, a, alen) &&
           (!b || EVP_MAC_update(c->mac, b, blen)) && (!x || EVP_MAC_update(c->mac, x, xlen)) &&
           EVP_MAC_final(c->mac, out, &n, 32) && n == 32;
}

/* RFC 6979 §3.2 with HMAC-SM3: qlen = hlen = 256, so bits2int is the
 * identity and each candidate is one HMAC block. */
typedef struct nonce_gen {
    uint8_t K[32], V[32];
} nonce_gen;

static bool nonce_init(rs_sm2 *c, nonce_gen *g, const uint8_t x[32], const uint8_t h1[32])
{
    /* bits2octets(h1) = int2octets(h1 mod n) */
    uint8_t h[32];
    BN_CTX_start(c->bn);
    BIGNUM *z = BN_CTX_get(c->bn);
    bool ok = z && BN_bin2bn(h1, 32, z) && (BN_cmp(z, c->n) < 0 || BN_sub(z, z, c->n)) &&
              BN_bn2binpad(z, h, 32) == 32;
    BN_CTX_end(c->bn);
    if (!ok)
        return false;
    uint8_t xh[65];
    memcpy(xh + 1, x, 32);
    memcpy(xh + 33, h, 32);
    memset(g->V, 0x01, 32);
    memset(g->K, 0x00, 32);
    xh[0] = 0x00;
    ok = hmac_sm3(c, g->K, g->V, 32, xh, 65, NULL, 0, g->K) && hmac_sm3(c, g->K, g->V, 32, NULL, 0, NULL, 0, g->V);
    xh[0] = 0x01;
    ok = ok && hmac_sm3(c, g->K, g->V, 32, xh, 65, NULL, 0, g->K) &&
         hmac_sm3(c, g->K, g->V, 32, NULL, 0, NULL, 0, g->V);
    OPENSSL_cleanse(xh, sizeof xh);
    return ok;
}

/* The next candidate: step h of §3.2 (after the first, K and V move on). */
static bool nonce_next(rs_sm2 *c, nonce_gen *g, bool first, uint8_t k[32])
{
    static const uint8_t zero = 0x00;
    if (!first && !(hmac_sm3(c, g->K, g->V, 32, &zero, 1, NULL, 0, g->K) &&
                    hmac_sm3(c, g->K, g->V, 32, NULL, 0, NULL, 0, g->V)))
        return false;
    if (!hmac_sm3(c, g->K, g->V, 32, NULL, 0, NULL, 0, g->V))
        return false;
    memcpy(k, g->V, 32);
    return true;
}

/* d and e from key and message, into BNs of the caller's frame. */
static rs_code sign_setup(rs_sm2 *c, const rs_sm2_key *key, const uint8_t *msg, size_t len, BIGNUM *d, BIGNUM *e,
                          uint8_t e_bytes[32], rs_err *err)
{
    if (!key->has_priv)
        return rs_fail(err, RS_E_OPTION, 0, "key", "signing needs a private key (this one is public only)", 0, 0,
                       RS_NUM_NONE);
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (!BN_bin2bn(key->priv, RS_SM2_PRIV_LEN, d) || !digest_e(c, key->za, msg, len, e_bytes, e))
        return fail_lib(err, "SM3");
    if (BN_is_zero(d) || BN_cmp(d, c->n_minus_2) > 0)
        return rs_fail(err, RS_E_VALUE, 0, "key", "private key d in [1, n-2] (GB/T 32918.1 §6.1)", 0, 0, RS_NUM_NONE);
    return RS_OK;
}

rs_code rs_sm2_sign(rs_sm2 *c, const rs_sm2_key *key, const uint8_t *msg, size_t len, rs_sig *sig, rs_err *err)
{
    BN_CTX_start(c->bn);
    BIGNUM *d = BN_CTX_get(c->bn), *e = BN_CTX_get(c->bn), *k = BN_CTX_get(c->bn);
    uint8_t e_bytes[32], kb[32];
    nonce_gen g;
    rs_code rc = k ? sign_setup(c, key, msg, len, d, e, e_bytes, err) : fail_lib(err, "bignum");
    if (rc == RS_OK && !nonce_init(c, &g, key->priv, e_bytes))
        rc = fail_lib(err, "HMAC-SM3");
    if (rc == RS_OK)
        BN_set_flags(k, BN_FLG_CONSTTIME);
    /* Candidates outside [1, n-1], or that give r = 0, r + k = n or s = 0,
     * are skipped; each happens with probability about 2^-224. */
    for (int i = 0; rc == RS_OK; i++) {
        if (!nonce_next(c, &g, i == 0, kb) || !BN_bin2bn(kb, 32, k)) {
            rc = fail_lib(err, "HMAC-SM3");
            break;
        }
        if (BN_is_zero(k) || BN_cmp(k, c->n) >= 0)
            continue;
        int res = sign_with_k(c, d, e, k, sig);
        if (res == TRY_OK)
            break;
        if (res == TRY_FAILED)
            rc = fail_lib(err, "EC arithmetic");
    }
    OPENSSL_cleanse(&g, sizeof g);
    OPENSSL_cleanse(kb, sizeof kb);
    if (k) {
        BN_clear(k);
        BN_clear(d);
    }
    BN_CTX_end(c->bn);
    return rc;
}

rs_code rs_sm2_sign_k(rs_sm2 *c, const rs_sm2_key *key, const uint8_t *msg, size_t len, const uint8_t nonce[32],
                      rs_sig *sig, rs_err *err)
{
    BN_CTX_start(c->bn);
    BIGNUM *d = BN_CTX_get(c->bn), *e = BN_CTX_get(c->bn), *k = BN_CTX_get(c->bn);
    uint8_t e_bytes[32];
    rs_code rc = k ? sign_setup(c, key, msg, len, d, e, e_bytes, err) : fail_lib(err, "bignum");
    if (rc == RS_OK) {
        BN_set_flags(k, BN_FLG_CONSTTIME);
        if (!BN_bin2bn(nonce, 32, k))
            rc = fail_lib(err, "bignum");
        else if (BN_is_zero(k) || BN_cmp(k, c->n) >= 0)
            rc = rs_fail(err, RS_E_VALUE, 0, "nonce", "nonce k in [1, n-1] (GB/T 32918.2 §6.1 A3)", 0, 0,
                         RS_NUM_NONE);
    }
    if (rc == RS_OK) {
        int res = sign_with_k(c, d, e, k, sig);
        if (res == TRY_AGAIN)
            rc = rs_fail(err, RS_E_VALUE, 0, "nonce",
                         "nonce k gives r != 0, r + k != n and s != 0 (GB/T 32918.2 §6.1 A5, A6): pick another", 0, 0,
                         RS_NUM_NONE);
        else if (res == TRY_FAILED)
            rc = fail_lib(err, "EC arithmetic");
    }
    if (k) {
        BN_clear(k);
        BN_clear(d);
    }
    BN_CTX_end(c->bn);
    return rc;
}

bool rs_sm2_sign_hook(void *ctx, const uint8_t *msg, size_t len, rs_sig *sig)
{
    const rs_sm2_signer *s = ctx;
    return rs_sm2_sign(s->c, s->key, msg, len, sig, NULL) == RS_OK;
}

/* --- verification --- */

static rs_code check_part(rs_sm2 *c, const uint8_t *v, uint8_t len, BIGNUM *out, bool is_r, rs_err *err)
{
    const char *field = is_r ? "signature.r" : "signature.s";
    if (len < 1 || len > 32)
        return rs_fail(err, RS_E_SIGNATURE, 0, field,
                       is_r ? "r length 1..32 bytes (§9.1)" : "s length 1..32 bytes (§9.1)", len, 32,
                       RS_NUM_GOT_ONLY);
    if (!BN_bin2bn(v, len, out))
        return fail_lib(err, "bignum");
    if (BN_is_zero(out) || BN_cmp(out, c->n) >= 0)
        return rs_fail(err, RS_E_SIGNATURE, 0, field, is_r ? "r in [1, n-1] (§9.1)" : "s in [1, n-1] (§9.1)", 0, 0,
                       RS_NUM_NONE);
    return RS_OK;
}

/* R = (e + x1) mod n == r for the digest of (za, msg). */
static int matches(rs_sm2 *c, const uint8_t za[32], const uint8_t *msg, size_t len, const BIGNUM *x1,
                   const BIGNUM *r, BIGNUM *tmp)
{
    uint8_t eb[32];
    if (!digest_e(c, za, msg, len, eb, tmp) || !BN_mod_add(tmp, tmp, x1, c->n, c->bn))
        return -1;
    return BN_cmp(tmp, r) == 0;
}

rs_code rs_sm2_verify(rs_sm2 *c, const rs_sm2_key *key, const uint8_t *msg, size_t len, const rs_sig *sig,
                      rs_sm2_idmatch *which, rs_err *err)
{
    if (which)
        *which = RS_SM2_ID_NONE;
    BN_CTX_start(c->bn);
    BIGNUM *r = BN_CTX_get(c->bn), *s = BN_CTX_get(c->bn), *t = BN_CTX_get(c->bn), *x1 = BN_CTX_get(c->bn);
    rs_code rc = !x1 ? fail_lib(err, "bignum") : check_part(c, sig->r, sig->r_len, r, true, err);
    if (rc == RS_OK)
        rc = check_part(c, sig->s, sig->s_len, s, false, err);
    if (rc == RS_OK && !BN_mod_add(t, r, s, c->n, c->bn))
        rc = fail_lib(err, "bignum");
    if (rc == RS_OK && BN_is_zero(t))
        rc = rs_fail(err, RS_E_SIGNATURE, 0, "signature", "t = (r + s) mod n != 0 (GB/T 32918.2 §7.1 B5)", 0, 0,
                     RS_NUM_NONE);
    if (rc == RS_OK)
        rc = load_pub(c, key->pub, err);
    /* (x1, y1) = sG + tP does not depend on the ID: one multiplication
     * serves both tries. */
    if (rc == RS_OK && !EC_POINT_mul(c->group, c->pt, s, c->pub, t, c->bn))
        rc = fail_lib(err, "EC arithmetic");
    if (rc == RS_OK && EC_POINT_is_at_infinity(c->group, c->pt))
        rc = rs_fail(err, RS_E_SIGNATURE, 0, "signature", "sG + tP is not the point at infinity (GB/T 32918.2 §7.1 B6)",
                     0, 0, RS_NUM_NONE);
    if (rc == RS_OK && !EC_POINT_get_affine_coordinates(c->group, c->pt, x1, NULL, c->bn))
        rc = fail_lib(err, "EC arithmetic");
    rs_sm2_idmatch got = RS_SM2_ID_NONE;
    if (rc == RS_OK) {
        int m = matches(c, key->za, msg, len, x1, r, t);
        if (m == 1)
            got = RS_SM2_ID_CHIP;
        bool own_is_default = key->id_len == 16 && !memcmp(key->id, RS_SM2_DEFAULT_ID, 16);
        if (m == 0 && !own_is_default) {
            uint8_t za[32];
            if (!za_compute(c, (const uint8_t *)RS_SM2_DEFAULT_ID, 16, key->pub, za))
                m = -1;
            else if ((m = matches(c, za, msg, len, x1, r, t)) == 1)
                got = RS_SM2_ID_DEFAULT;
        }
        if (m < 0)
            rc = fail_lib(err, "SM3");
        else if (got == RS_SM2_ID_NONE)
            rc = rs_fail(err, RS_E_SIGNATURE, 0, "signature",
                         "R = (e + x1) mod n equals r, with e from the chip ID or the default ID 1234567812345678 "
                         "(§9.1, GB/T 32918.2 §7.1 B7)",
                         0, 0, RS_NUM_NONE);
    }
    BN_CTX_end(c->bn);
    if (which)
        *which = got;
    return rc;
}

const char *rs_sm2_idmatch_name(rs_sm2_idmatch m)
{
    return m == RS_SM2_ID_CHIP ? "chip" : m == RS_SM2_ID_DEFAULT ? "default" : "none";
}
