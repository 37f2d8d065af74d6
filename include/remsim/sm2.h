/* SM2 signatures with SM3, as HJ 1239 terminals make them (protocol.md §9.1).
 *
 * A signature covers the data unit without its signature block; the digest
 * is e = SM3(Z_A || M), where Z_A = SM3(ENTL || ID || a || b || xG || yG ||
 * xA || yA) binds the signer's distinguishing ID (the 16-character chip ID)
 * and public key.  r and s travel as plain 32-byte big-endian integers, not
 * DER (rs_sig).
 *
 * Signing is deterministic: the nonce k comes from the private key and the
 * digest (RFC 6979 §3.2, with HMAC-SM3), so re-signing the same bytes gives
 * the same signature.  That keeps offline runs byte-identical and lets a
 * terminal reissue a stored packet unchanged by encoding it again.
 * rs_sm2_sign_k() takes the nonce from the caller, for tests that reproduce
 * published vectors only: a reused or guessable k gives the key away.
 *
 * Verification tries the key's chip ID, then the GM/T 0009 default ID
 * "1234567812345678" (§9.1), and says which one matched.
 *
 *     rs_sm2 *c = rs_sm2_new(&err);           // curve and scratch, one per process or worker
 *     rs_sm2_key k;
 *     rs_sm2_key_derive(c, &k, seed, vin, 17, chip_id, &err);
 *     rs_sm2_sign(c, &k, msg, len, &sig, &err);
 *     rs_sm2_verify(c, &k, msg, len, &sig, &which, &err);
 *     rs_sm2_free(c);
 *
 * An rs_sm2 is not shared between threads (its scratch is not locked);
 * keys are plain data and can be copied, stored in arrays and shared. */
#ifndef REMSIM_SM2_H
#define REMSIM_SM2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/msg.h"

#define RS_SM2_PRIV_LEN 32
#define RS_SM2_PUB_LEN RS_PUBKEY_LEN          /* X || Y, without the 0x04 prefix (as in 0x07) */
#define RS_SM2_ID_MAX 32                      /* longest distinguishing ID we keep */
#define RS_SM2_DEFAULT_ID "1234567812345678"  /* GM/T 0009 default, the verifier's fallback */

typedef struct rs_sm2 rs_sm2;                 /* opaque: curve, order, scratch */

/* One signer or verifier: plain data, about 170 bytes. */
typedef struct rs_sm2_key {
    bool has_priv;                   /* false: a public key only (verification) */
    uint8_t priv[RS_SM2_PRIV_LEN];   /* d, big-endian */
    uint8_t pub[RS_SM2_PUB_LEN];     /* X || Y, big-endian */
    uint8_t id_len;
    uint8_t id[RS_SM2_ID_MAX];       /* distinguishing ID: the chip ID, ASCII */
    uint8_t za[32];                  /* Z_A for (id, pub), computed once */
} rs_sm2_key;

/* Which ID a signature verified with. */
typedef enum rs_sm2_idmatch {
    RS_SM2_ID_NONE = 0,              /* it did not verify */
    RS_SM2_ID_CHIP,                  /* the key's own ID (chip ID) */
    RS_SM2_ID_DEFAULT                /* the default ID "1234567812345678" */
} rs_sm2_idmatch;

rs_sm2 *rs_sm2_new(rs_err *err);
void rs_sm2_free(rs_sm2 *c);

/* Keys.  id is the distinguishing ID (id_len 1..RS_SM2_ID_MAX).  Errors:
 * RS_E_VALUE (d not in [1, n-2], a point not on the curve), RS_E_OPTION
 * (id length). */
rs_code rs_sm2_key_from_priv(rs_sm2 *c, rs_sm2_key *k, const uint8_t d[RS_SM2_PRIV_LEN], const uint8_t *id,
                             size_t id_len, rs_err *err);
rs_code rs_sm2_key_from_pub(rs_sm2 *c, rs_sm2_key *k, const uint8_t pub[RS_SM2_PUB_LEN], const uint8_t *id,
                            size_t id_len, rs_err *err);
/* A fresh key from the system's random source. */
rs_code rs_sm2_key_generate(rs_sm2 *c, rs_sm2_key *k, const uint8_t *id, size_t id_len, rs_err *err);
/* A key that follows from (seed, label), the same on every machine: for
 * test runs, label is the VIN.  Never for production. */
rs_code rs_sm2_key_derive(rs_sm2 *c, rs_sm2_key *k, uint64_t seed, const uint8_t *label, size_t label_len,
                          const uint8_t *id, size_t id_len, rs_err *err);
/* Recomputes Z_A after k->id changed. */
rs_code rs_sm2_key_set_id(rs_sm2 *c, rs_sm2_key *k, const uint8_t *id, size_t id_len, rs_err *err);

/* Signs msg[0..len).  Errors: RS_E_OPTION (no private key). */
rs_code rs_sm2_sign(rs_sm2 *c, const rs_sm2_key *k, const uint8_t *msg, size_t len, rs_sig *sig, rs_err *err);
/* Test only: signs with the caller's nonce k (1 <= k < n). */
rs_code rs_sm2_sign_k(rs_sm2 *c, const rs_sm2_key *k, const uint8_t *msg, size_t len,
                      const uint8_t nonce[32], rs_sig *sig, rs_err *err);

/* Verifies with the key's ID, then the default ID.  RS_OK and *which set
 * when one matched; RS_E_SIGNATURE when neither did (err->rule says why:
 * r or s out of [1, n-1], lengths outside 1..32, or no match with either
 * ID).  r and s shorter than 32 bytes are left-padded (§9.1 tolerance). */
rs_code rs_sm2_verify(rs_sm2 *c, const rs_sm2_key *k, const uint8_t *msg, size_t len, const rs_sig *sig,
                      rs_sm2_idmatch *which, rs_err *err);

/* The codec's signing hook (msg.h rs_sign_fn) for one key: ctx points at an
 * rs_sm2_signer. */
typedef struct rs_sm2_signer {
    rs_sm2 *c;
    const rs_sm2_key *key;
} rs_sm2_signer;
bool rs_sm2_sign_hook(void *ctx, const uint8_t *msg, size_t len, rs_sig *sig);

/* PEM files, as `openssl` reads and writes them: the private key as PKCS#8
 * ("BEGIN PRIVATE KEY"), the public key as SubjectPublicKeyInfo ("BEGIN
 * PUBLIC KEY"), both on the SM2 curve.  Reading a private key also fills
 * the public part.  The ID is not in a PEM file: it is passed in.
 * Errors: RS_E_IO (file; got = errno), RS_E_SYNTAX (not a PEM key),
 * RS_E_VALUE (not an SM2 key). */
rs_code rs_sm2_key_read_pem(rs_sm2 *c, rs_sm2_key *k, const char *path, const uint8_t *id, size_t id_len,
                            rs_err *err);
rs_code rs_sm2_key_write_pem(const rs_sm2_key *k, const char *path, bool private_part, rs_err *err);
/* The same from and to memory (NUL-terminated text, at most cap bytes written). */
rs_code rs_sm2_key_from_pem(rs_sm2 *c, rs_sm2_key *k, const char *pem, size_t len, const uint8_t *id,
                            size_t id_len, rs_err *err);
rs_code rs_sm2_key_to_pem(const rs_sm2_key *k, bool private_part, char *out, size_t cap, size_t *len,
                          rs_err *err);

const char *rs_sm2_idmatch_name(rs_sm2_idmatch m);   /* "none", "chip", "default" */

#endif
