/* What lib/sm2*.c and lib/keystore.c share and nothing else sees: the
 * context's layout, SM3, the point codec, and the file helpers. */
#ifndef REMSIM_SM2_INTERNAL_H
#define REMSIM_SM2_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "remsim/sm2.h"

struct rs_sm2 {
    EC_GROUP *group;          /* the SM2 curve (GB/T 32918.5) */
    const BIGNUM *n;          /* its order, owned by group */
    BIGNUM *p;                /* field prime */
    BIGNUM *n_minus_2;        /* top of the private key range, and the Fermat exponent */
    BN_MONT_CTX *mont_n;      /* Montgomery form mod n, for the constant-time inverse */
    BN_CTX *bn;               /* scratch numbers */
    EC_POINT *pt, *pub;       /* scratch points */
    EVP_MD *sm3;
    EVP_MD_CTX *md;
    EVP_MAC_CTX *mac;         /* HMAC-SM3 for the RFC 6979 nonces */
    uint8_t curve[128];       /* a || b || xG || yG: the curve part of Z_A */
};

/* SM3 over up to four parts (NULL parts are skipped). */
bool rs_sm2_sm3(rs_sm2 *c, const void *a, size_t alen, const void *b, size_t blen, const void *x,
                size_t xlen, const void *y, size_t ylen, uint8_t out[32]);

/* An encoded point (0x04 || X || Y, or compressed) -> X || Y, when it is on
 * the curve and not at infinity. */
bool rs_sm2_point_decode(rs_sm2 *c, const uint8_t *oct, size_t len, uint8_t pub[RS_SM2_PUB_LEN]);

/* Copies path into thread-local storage and returns it, so an rs_err can
 * name the file (err->field) without allocating.  Valid until the next call
 * in the same thread. */
const char *rs_sm2_note_path(const char *path);

/* Reads a whole small file (at most cap - 1 bytes, NUL added).  RS_E_IO with
 * got = errno (EFBIG when larger), err->field = the path. */
rs_code rs_sm2_read_small(const char *path, char *buf, size_t cap, size_t *len, rs_err *err);

/* Writes data to path with mode.  atomic: to a temporary name beside it,
 * then rename(2), so a reader sees the old file or the new one, never half
 * of it.  RS_E_IO with got = errno, err->field = the path. */
rs_code rs_sm2_write_file(const char *path, const void *data, size_t len, mode_t mode, bool atomic, rs_err *err);

#endif
