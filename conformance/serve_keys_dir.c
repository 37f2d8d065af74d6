/* --keys DIR: public keys registered before the workers start, so a
 * terminal's reports verify without an activation on this endpoint (its
 * activation went to the real national platform, or to an earlier run).
 *
 * The directory is a key store (keystore.h): DIR/<VIN>.pub.pem with
 * DIR/<VIN>.chip beside it; `remsim run --keys DIR` writes one for its
 * virtual terminals, and a real terminal's key is two files written by
 * hand.  rs_keystore_scan reads them in file name order, so which of two
 * VINs claiming one chip ID wins does not depend on the file system. */
#include "conformance/serve_sec.h"
#include "remsim/keystore.h"

typedef struct load_ctx {
    serve_keys *k;
    int64_t now_ms;
    uint32_t loaded, full;
} load_ctx;

static rs_code visit(void *ctx, const uint8_t vin[RS_VIN_LEN], const uint8_t chip_id[RS_CHIP_ID_LEN],
                     const rs_sm2_key *key, rs_err *err)
{
    (void)err;
    load_ctx *l = ctx;
    switch (serve_keys_add(l->k, vin, chip_id, key, NULL, l->now_ms, SERVE_KEY_PREREGISTERED, NULL)) {
    case SERVE_KEYS_ADDED: l->loaded++; break;
    case SERVE_KEYS_FULL: l->full++; break;
    default: break; /* a chip ID twice: the first file keeps it */
    }
    return RS_OK;
}

rs_code serve_keys_load_dir(serve_keys *k, rs_sm2 *c, const char *dir, int64_t now_ms, uint32_t *loaded,
                            uint32_t *full, rs_err *err)
{
    load_ctx l = { k, now_ms, 0, 0 };
    rs_code rc = rs_keystore_scan(c, dir, visit, &l, NULL, err);
    *loaded = l.loaded;
    *full = l.full;
    return rc;
}
