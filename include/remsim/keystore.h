/* The key store of HJ 1239 terminals: one SM2 key and one security chip ID
 * per VIN, as files in a directory (docs/security.md, "Keys and chip IDs").
 *
 *     DIR/<VIN>.key.pem   private key, PKCS#8 PEM, mode 0600 (absent for a
 *                         real chip, whose key never leaves it)
 *     DIR/<VIN>.pub.pem   public key, SubjectPublicKeyInfo PEM
 *     DIR/<VIN>.chip      the chip ID: 16 printable ASCII characters, one line
 *
 * The terminal side (`remsim run --keys DIR`) calls rs_keystore_obtain() per
 * terminal: it loads the VIN's key when the files exist and otherwise makes
 * one and writes it there.  The endpoint side (`remsim serve --keys DIR`)
 * calls rs_keystore_scan() to register every public key in the directory.
 * A real chip is registered by writing its .pub.pem and .chip by hand.
 *
 * The key's distinguishing ID (Z_A, §9.1) is always the chip ID.
 *
 * Errors that concern a file name it in err->field (the path, held in
 * thread-local storage until the next key store or PEM call of the same
 * thread: print or copy it before then). */
#ifndef REMSIM_KEYSTORE_H
#define REMSIM_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/msg.h"
#include "remsim/sm2.h"

/* How rs_keystore_obtain() makes a key the directory does not have. */
typedef enum rs_keystore_mode {
    RS_KEYSTORE_DERIVE = 0,      /* from (seed, VIN): the same on every machine; test runs only */
    RS_KEYSTORE_GENERATE         /* from the system's random source */
} rs_keystore_mode;

/* True for a chip ID the store accepts: 16 bytes of printable ASCII
 * (0x20..0x7E; rs_ident_chip_id() makes them from letters and digits). */
bool rs_keystore_chip_id_ok(const uint8_t chip_id[RS_CHIP_ID_LEN]);

/* "DIR/<VIN><suffix>" into buf; suffix is ".key.pem", ".pub.pem" or
 * ".chip".  False when it does not fit. */
bool rs_keystore_path(char *buf, size_t cap, const char *dir, const uint8_t vin[RS_VIN_LEN], const char *suffix);

/* Reads the VIN's key and chip ID.  need_private: the private key from
 * .key.pem (and, when .pub.pem exists too, checks that it holds the same
 * public key); otherwise the public key from .pub.pem.  out's ID is the
 * chip ID.  Errors: RS_E_IO with got = ENOENT when the file needed is
 * missing (field: its path), other RS_E_IO for I/O, RS_E_SYNTAX (not a PEM
 * key), RS_E_VALUE (not an SM2 key, or .pub.pem does not match .key.pem),
 * RS_E_STRING (chip file not 16 printable characters on one line),
 * RS_E_VIN (vin outside the VIN alphabet: it names files). */
rs_code rs_keystore_load(rs_sm2 *c, const char *dir, const uint8_t vin[RS_VIN_LEN], bool need_private,
                         rs_sm2_key *out, uint8_t chip_id[RS_CHIP_ID_LEN], rs_err *err);

/* Writes the VIN's files: .key.pem (only when key has its private part),
 * .pub.pem and .chip.  Each file is written to a temporary name and
 * renamed, so a reader never sees half a file.  Creates dir (mode 0700)
 * when it does not exist; its parent must.  No fsync: a crash may lose
 * what was just written, never corrupt what was there. */
rs_code rs_keystore_save(const char *dir, const uint8_t vin[RS_VIN_LEN], const rs_sm2_key *key,
                         const uint8_t chip_id[RS_CHIP_ID_LEN], rs_err *err);

/* The signing key of one virtual terminal.  With dir: the stored key when
 * the VIN has one (its stored chip ID replaces *chip_id, *created = false);
 * otherwise a new key with ID *chip_id, made as mode says (derive: from
 * (seed, VIN)), saved in dir, *created = true.  Without dir (NULL): always
 * the new key, nothing written.  A VIN with a .pub.pem or .chip but no
 * .key.pem is an error (RS_E_IO, ENOENT, naming .key.pem): a public key
 * alone cannot sign, and it is not overwritten.  created may be NULL. */
rs_code rs_keystore_obtain(rs_sm2 *c, const char *dir, rs_keystore_mode mode, uint64_t seed,
                           const uint8_t vin[RS_VIN_LEN], uint8_t chip_id[RS_CHIP_ID_LEN], rs_sm2_key *out,
                           bool *created, rs_err *err);

/* Called per key by rs_keystore_scan(); key is public only and valid
 * during the call.  A code other than RS_OK stops the scan and is returned
 * (fill err as you like). */
typedef rs_code (*rs_keystore_visit_fn)(void *ctx, const uint8_t vin[RS_VIN_LEN],
                                        const uint8_t chip_id[RS_CHIP_ID_LEN], const rs_sm2_key *key,
                                        rs_err *err);

/* Every public key in dir, in file name order: each DIR/<VIN>.pub.pem with
 * its .chip.  Files with other names are ignored (the private keys too); a
 * "<17 characters>.pub.pem" whose characters are not a VIN, or a key file
 * that does not parse, or a missing or bad .chip is an error naming the
 * file.  *count (may be NULL) gets the number of keys visited. */
rs_code rs_keystore_scan(rs_sm2 *c, const char *dir, rs_keystore_visit_fn visit, void *ctx, size_t *count,
                         rs_err *err);

#endif
