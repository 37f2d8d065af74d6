/* Signing identities of virtual HJ 1239 terminals (docs/security.md).
 *
 * Each terminal gets an SM2 key and a security chip ID.  Without a key
 * directory both follow from the run seed and the terminal's index (the
 * same fleet on every machine); with `--keys DIR` a terminal whose VIN has
 * files there uses them, and a new one is made (derived or random) and
 * written there, so the endpoint side can read the same directory.
 *
 * The signer is the codec's hook (rs_sign_fn): it points at the key and
 * the worker's rs_sm2, so signers live in memory that outlives the
 * terminals (the fleet keeps one per truck). */
#ifndef REMSIM_TERM_KEYS_H
#define REMSIM_TERM_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/sm2.h"
#include "remsim/terminal.h"

typedef enum rs_keygen {
    RS_KEYGEN_DERIVE = 0,        /* from (seed, VIN): reproducible, for test runs */
    RS_KEYGEN_RANDOM             /* from the system's random source */
} rs_keygen;

typedef struct rs_term_keys_opts {
    bool sign;                   /* HJ 0x02/0x03/0x07 carry signatures */
    const char *dir;             /* --keys DIR, NULL: none */
    uint8_t keygen;              /* rs_keygen, for keys not found in dir */
} rs_term_keys_opts;

typedef struct rs_term_signer {
    rs_sm2_key key;
    rs_sm2_signer hook;          /* ctx of rs_sm2_sign_hook */
} rs_term_signer;

void rs_term_keys_opts_init(rs_term_keys_opts *o);   /* sign on, no dir, derive */
bool rs_keygen_parse(const char *name, rs_keygen *out); /* derive|random */

/* Fills id->chip_id, id->pubkey, id->sign and id->sign_ctx for the terminal
 * of global_index whose VIN is id->vin already.  sg and c must outlive the
 * terminal.  With o->sign false nothing is signed and only the chip ID is
 * set.  Errors name the file (RS_E_IO, RS_E_SYNTAX) or the key. */
rs_code rs_term_keys_setup(rs_sm2 *c, const rs_term_keys_opts *o, uint64_t seed, uint64_t global_index,
                           rs_term_ident *id, rs_term_signer *sg, rs_err *err);

#endif
