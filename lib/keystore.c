/* The key store of terminals: DIR/<VIN>.key.pem, .pub.pem, .chip
 * (keystore.h). */
#include "remsim/keystore.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "lib/sm2_internal.h"
#include "remsim/vin.h"

#define PATH_CAP 4096
#define CHIP_FILE_MAX 64

static const char SUF_KEY[] = ".key.pem";
static const char SUF_PUB[] = ".pub.pem";
static const char SUF_CHIP[] = ".chip";

bool rs_keystore_chip_id_ok(const uint8_t chip_id[RS_CHIP_ID_LEN])
{
    return rs_printable(chip_id, RS_CHIP_ID_LEN);
}

bool rs_keystore_path(char *buf, size_t cap, const char *dir, const uint8_t vin[RS_VIN_LEN], const char *suffix)
{
    int n = snprintf(buf, cap, "%s/%.17s%s", dir, (const char *)vin, suffix);
    return n > 0 && (size_t)n < cap;
}

/* The VIN names files: only its alphabet may appear (no '/', no '.'). */
static rs_code check_vin(const uint8_t vin[RS_VIN_LEN], rs_err *err)
{
    for (size_t i = 0; i < RS_VIN_LEN; i++)
        if (!rs_vin_char_ok(vin[i]))
            return rs_fail(err, RS_E_VIN, i, "vin", "17 characters of the VIN alphabet (they name the key files)",
                           vin[i], 0, RS_NUM_CHAR);
    return RS_OK;
}

static rs_code path_of(char *buf, const char *dir, const uint8_t vin[RS_VIN_LEN], const char *suffix, rs_err *err)
{
    if (!rs_keystore_path(buf, PATH_CAP, dir, vin, suffix))
        return rs_fail(err, RS_E_IO, 0, "dir", "the key file's path fits in 4 KiB", ENAMETOOLONG, 0, RS_NUM_GOT_ONLY);
    return RS_OK;
}

static rs_code check_chip(const uint8_t chip_id[RS_CHIP_ID_LEN], rs_err *err)
{
    for (size_t i = 0; i < RS_CHIP_ID_LEN; i++)
        if (chip_id[i] < 0x20 || chip_id[i] > 0x7E)
            return rs_fail(err, RS_E_STRING, i, "chip_id", "chip ID of 16 printable ASCII characters (§9.2)",
                           chip_id[i], 0, RS_NUM_HEX_GOT_ONLY);
    return RS_OK;
}

/* The chip file: exactly 16 printable characters, then "\n", "\r\n" or
 * nothing. */
static rs_code read_chip(const char *path, uint8_t chip_id[RS_CHIP_ID_LEN], rs_err *err)
{
    char buf[CHIP_FILE_MAX];
    size_t n = 0;
    rs_code rc = rs_sm2_read_small(path, buf, sizeof buf, &n, err);
    if (rc == RS_E_IO && err && err->got == EFBIG)
        return rs_fail(err, RS_E_STRING, CHIP_FILE_MAX, rs_sm2_note_path(path),
                       "the chip file holds one line of 16 printable ASCII characters (§9.2)", 0, 0, RS_NUM_NONE);
    if (rc)
        return rc;
    size_t len = n;
    if (len && buf[len - 1] == '\n')
        len--;
    if (len && buf[len - 1] == '\r')
        len--;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)buf[i] < 0x20 || (uint8_t)buf[i] > 0x7E)
            return rs_fail(err, RS_E_STRING, i, rs_sm2_note_path(path),
                           "the chip file holds one line of 16 printable ASCII characters (§9.2)", (uint8_t)buf[i], 0,
                           RS_NUM_HEX_GOT_ONLY);
    if (len != RS_CHIP_ID_LEN)
        return rs_fail(err, RS_E_STRING, len, rs_sm2_note_path(path),
                       "the chip file holds one line of 16 printable ASCII characters (§9.2)", (long long)len,
                       RS_CHIP_ID_LEN, RS_NUM_DEC);
    memcpy(chip_id, buf, RS_CHIP_ID_LEN);
    return RS_OK;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

rs_code rs_keystore_load(rs_sm2 *c, const char *dir, const uint8_t vin[RS_VIN_LEN], bool need_private,
                         rs_sm2_key *out, uint8_t chip_id[RS_CHIP_ID_LEN], rs_err *err)
{
    char key_path[PATH_CAP], chip_path[PATH_CAP];
    rs_code rc = check_vin(vin, err);
    if (!rc)
        rc = path_of(key_path, dir, vin, need_private ? SUF_KEY : SUF_PUB, err);
    if (!rc)
        rc = path_of(chip_path, dir, vin, SUF_CHIP, err);
    if (rc)
        return rc;
    /* The key file first, so that "no such VIN" reports ENOENT on it. */
    if (!exists(key_path))
        return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(key_path), "the key file exists (errno in 'found')", ENOENT,
                       0, RS_NUM_GOT_ONLY);
    uint8_t chip[RS_CHIP_ID_LEN];
    rc = read_chip(chip_path, chip, err);
    if (rc)
        return rc;
    rs_sm2_key key;
    rc = rs_sm2_key_read_pem(c, &key, key_path, chip, RS_CHIP_ID_LEN, err);
    if (rc)
        return rc;
    if (need_private && !key.has_priv)
        rc = rs_fail(err, RS_E_VALUE, 0, rs_sm2_note_path(key_path), "the .key.pem file holds a private key", 0, 0,
                     RS_NUM_NONE);
    if (!need_private && key.has_priv) {
        /* A public lookup hands out no private part, whatever the file held. */
        OPENSSL_cleanse(key.priv, sizeof key.priv);
        key.has_priv = false;
    }
    char pub_path[PATH_CAP];
    if (!rc && need_private && path_of(pub_path, dir, vin, SUF_PUB, NULL) == RS_OK && exists(pub_path)) {
        /* Both files are written together; a pair that disagrees means a
         * hand edit or a half-finished copy, and the endpoint (which reads
         * .pub.pem) would reject every signature. */
        rs_sm2_key pub;
        rc = rs_sm2_key_read_pem(c, &pub, pub_path, chip, RS_CHIP_ID_LEN, err);
        if (!rc && memcmp(pub.pub, key.pub, RS_SM2_PUB_LEN))
            rc = rs_fail(err, RS_E_VALUE, 0, rs_sm2_note_path(pub_path),
                         "the .pub.pem file holds the public key of the .key.pem beside it", 0, 0, RS_NUM_NONE);
    }
    if (!rc) {
        *out = key;
        memcpy(chip_id, chip, RS_CHIP_ID_LEN);
    }
    OPENSSL_cleanse(&key, sizeof key);
    return rc;
}

static rs_code ensure_dir(const char *dir, rs_err *err)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return RS_OK;
    return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(dir), "the key directory exists or can be created (errno in 'found')",
                   errno, 0, RS_NUM_GOT_ONLY);
}

rs_code rs_keystore_save(const char *dir, const uint8_t vin[RS_VIN_LEN], const rs_sm2_key *key,
                         const uint8_t chip_id[RS_CHIP_ID_LEN], rs_err *err)
{
    char path[PATH_CAP];
    rs_code rc = check_vin(vin, err);
    if (!rc)
        rc = check_chip(chip_id, err);
    if (!rc)
        rc = ensure_dir(dir, err);
    char text[2048];
    size_t n = 0;
    if (!rc && key->has_priv) {
        rc = rs_sm2_key_to_pem(key, true, text, sizeof text, &n, err);
        if (!rc)
            rc = path_of(path, dir, vin, SUF_KEY, err);
        if (!rc)
            rc = rs_sm2_write_file(path, text, n, 0600, true, err);
        OPENSSL_cleanse(text, sizeof text);
    }
    if (!rc)
        rc = rs_sm2_key_to_pem(key, false, text, sizeof text, &n, err);
    if (!rc)
        rc = path_of(path, dir, vin, SUF_PUB, err);
    if (!rc)
        rc = rs_sm2_write_file(path, text, n, 0644, true, err);
    if (!rc) {
        char line[RS_CHIP_ID_LEN + 1];
        memcpy(line, chip_id, RS_CHIP_ID_LEN);
        line[RS_CHIP_ID_LEN] = '\n';
        rc = path_of(path, dir, vin, SUF_CHIP, err);
        if (!rc)
            rc = rs_sm2_write_file(path, line, sizeof line, 0644, true, err);
    }
    return rc;
}

/* When the private key is missing, is any other file of the VIN there? */
static rs_code only_partly_there(const char *dir, const uint8_t vin[RS_VIN_LEN], bool *partly, rs_err *err)
{
    char path[PATH_CAP];
    *partly = false;
    const char *const others[] = { SUF_PUB, SUF_CHIP };
    for (size_t i = 0; i < 2; i++) {
        rs_code rc = path_of(path, dir, vin, others[i], err);
        if (rc)
            return rc;
        *partly |= exists(path);
    }
    return RS_OK;
}

rs_code rs_keystore_obtain(rs_sm2 *c, const char *dir, rs_keystore_mode mode, uint64_t seed,
                           const uint8_t vin[RS_VIN_LEN], uint8_t chip_id[RS_CHIP_ID_LEN], rs_sm2_key *out,
                           bool *created, rs_err *err)
{
    rs_err local;
    if (!err)
        err = &local;
    if (created)
        *created = false;
    rs_code rc = check_vin(vin, err);
    if (rc)
        return rc;
    if (dir) {
        char key_path[PATH_CAP];
        rc = path_of(key_path, dir, vin, SUF_KEY, err);
        if (rc)
            return rc;
        if (exists(key_path))
            return rs_keystore_load(c, dir, vin, true, out, chip_id, err);
        bool partly;
        rc = only_partly_there(dir, vin, &partly, err);
        if (rc)
            return rc;
        if (partly)
            return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(key_path),
                           "a terminal with a .pub.pem or .chip file has its .key.pem too: a public key alone "
                           "cannot sign (a real chip's?), and it is not replaced",
                           ENOENT, 0, RS_NUM_GOT_ONLY);
    }
    rc = check_chip(chip_id, err);
    if (rc)
        return rc;
    rs_sm2_key key;
    rc = mode == RS_KEYSTORE_GENERATE ? rs_sm2_key_generate(c, &key, chip_id, RS_CHIP_ID_LEN, err)
                                      : rs_sm2_key_derive(c, &key, seed, vin, RS_VIN_LEN, chip_id, RS_CHIP_ID_LEN, err);
    if (!rc && dir)
        rc = rs_keystore_save(dir, vin, &key, chip_id, err);
    if (!rc) {
        *out = key;
        if (created)
            *created = true;
    }
    OPENSSL_cleanse(&key, sizeof key);
    return rc;
}

/* "<17 characters>.pub.pem": the 17 characters, or NULL for another name. */
static const char *pub_file_stem(const char *name)
{
    size_t len = strlen(name), sl = sizeof SUF_PUB - 1;
    if (len != RS_VIN_LEN + sl || strcmp(name + RS_VIN_LEN, SUF_PUB))
        return NULL;
    return name;
}

rs_code rs_keystore_scan(rs_sm2 *c, const char *dir, rs_keystore_visit_fn visit, void *ctx, size_t *count,
                         rs_err *err)
{
    if (count)
        *count = 0;
    struct dirent **names = NULL;
    /* Sorted, so the endpoint registers terminals in the same order on
     * every run and every file system. */
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(dir), "the key directory can be read (errno in 'found')",
                       errno, 0, RS_NUM_GOT_ONLY);
    rs_code rc = RS_OK;
    for (int i = 0; i < n; i++) {
        const char *stem = rc ? NULL : pub_file_stem(names[i]->d_name);
        if (stem) {
            uint8_t vin[RS_VIN_LEN], chip[RS_CHIP_ID_LEN];
            memcpy(vin, stem, RS_VIN_LEN);
            char path[PATH_CAP];
            rs_sm2_key key;
            if (check_vin(vin, NULL) != RS_OK) {
                snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
                rc = rs_fail(err, RS_E_VIN, 0, rs_sm2_note_path(path),
                             "a public key file is named <VIN>.pub.pem, with 17 characters of the VIN alphabet", 0, 0,
                             RS_NUM_NONE);
            } else {
                rc = rs_keystore_load(c, dir, vin, false, &key, chip, err);
                if (!rc)
                    rc = visit(ctx, vin, chip, &key, err);
                if (!rc && count)
                    (*count)++;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}
