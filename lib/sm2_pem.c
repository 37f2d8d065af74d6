/* SM2 keys as PEM, the way `openssl` writes them: PKCS#8 for the private
 * key, SubjectPublicKeyInfo for the public one, named curve SM2.  OpenSSL
 * does the encoding; here we only move numbers between rs_sm2_key and
 * EVP_PKEY, and files between disk and memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "lib/sm2_internal.h"

#define PEM_FILE_MAX 65536    /* a key file is a few hundred bytes */
#define PEM_TEXT_MAX 2048     /* our own PEM text (about 250 bytes) */

static _Thread_local char noted_path[4096];

const char *rs_sm2_note_path(const char *path)
{
    snprintf(noted_path, sizeof noted_path, "%s", path);
    return noted_path;
}

static rs_code fail_lib(rs_err *err, const char *what)
{
    ERR_clear_error();
    return rs_fail(err, RS_E_IO, 0, what, "OpenSSL libcrypto encodes the SM2 key (memory, SM2 provider)", 0, 0,
                   RS_NUM_NONE);
}

/* --- rs_sm2_key <-> EVP_PKEY --- */

static EVP_PKEY *key_to_evp(const rs_sm2_key *k, bool private_part)
{
    uint8_t oct[1 + RS_SM2_PUB_LEN] = { 0x04 };
    memcpy(oct + 1, k->pub, RS_SM2_PUB_LEN);
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *d = private_part ? BN_secure_new() : NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *pk = NULL;
    if (!b || (private_part && (!d || !BN_bin2bn(k->priv, RS_SM2_PRIV_LEN, d))))
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof oct) ||
        (private_part && !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d)))
        goto out;
    params = OSSL_PARAM_BLD_to_param(b);
    pc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (!params || !pc || EVP_PKEY_fromdata_init(pc) <= 0 ||
        EVP_PKEY_fromdata(pc, &pk, private_part ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pk = NULL;
out:
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params); /* d sat in secure memory (BN_secure_new), freed wiped */
    OSSL_PARAM_BLD_free(b);
    BN_clear_free(d);
    return pk;
}

/* Never ask for a pass phrase (the default callback would read the tty). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static rs_code evp_to_key(rs_sm2 *c, EVP_PKEY *pk, bool private_part, rs_sm2_key *k, const uint8_t *id, size_t id_len,
                          rs_err *err)
{
    char group[64] = "";
    size_t glen = 0;
    if (!(EVP_PKEY_is_a(pk, "SM2") || EVP_PKEY_is_a(pk, "EC")) ||
        !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) ||
        strcasecmp(group, "SM2")) {
        ERR_clear_error();
        return rs_fail(err, RS_E_VALUE, 0, "key", "an SM2 key: EC on the named curve SM2 (GB/T 32918.5)", 0, 0,
                       RS_NUM_NONE);
    }
    uint8_t oct[133], pub[RS_SM2_PUB_LEN];
    size_t olen = 0;
    bool has_pub = EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof oct, &olen) &&
                   rs_sm2_point_decode(c, oct, olen, pub);
    ERR_clear_error();
    if (!private_part) {
        if (!has_pub)
            return rs_fail(err, RS_E_VALUE, 0, "public key", "the public key is a point on the SM2 curve", 0, 0,
                           RS_NUM_NONE);
        return rs_sm2_key_from_pub(c, k, pub, id, id_len, err);
    }
    BIGNUM *d = NULL;
    uint8_t db[RS_SM2_PRIV_LEN];
    if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) || BN_bn2binpad(d, db, sizeof db) != sizeof db) {
        BN_clear_free(d);
        ERR_clear_error();
        return rs_fail(err, RS_E_VALUE, 0, "private key", "d in [1, n-2] (GB/T 32918.1 §6.1)", 0, 0, RS_NUM_NONE);
    }
    BN_clear_free(d);
    rs_sm2_key key;
    rs_code rc = rs_sm2_key_from_priv(c, &key, db, id, id_len, err);
    OPENSSL_cleanse(db, sizeof db);
    if (rc == RS_OK && has_pub && memcmp(pub, key.pub, RS_SM2_PUB_LEN))
        rc = rs_fail(err, RS_E_VALUE, 0, "public key", "the public key stored with the private key is d·G", 0, 0,
                     RS_NUM_NONE);
    if (rc == RS_OK)
        *k = key;
    OPENSSL_cleanse(&key, sizeof key);
    return rc;
}

/* --- memory --- */

rs_code rs_sm2_key_from_pem(rs_sm2 *c, rs_sm2_key *k, const char *pem, size_t len, const uint8_t *id, size_t id_len,
                            rs_err *err)
{
    if (len > PEM_FILE_MAX)
        return rs_fail(err, RS_E_SYNTAX, 0, "pem", "a PEM key is at most 64 KiB", (long long)len, PEM_FILE_MAX,
                       RS_NUM_DEC);
    /* Private first: a file with both blocks is a private key. */
    bool private_part = true;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    if (!pk) {
        private_part = false;
        bio = BIO_new_mem_buf(pem, (int)len);
        pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL) : NULL;
        BIO_free(bio);
    }
    ERR_clear_error();
    if (!pk)
        return rs_fail(err, RS_E_SYNTAX, 0, "pem",
                       "a PEM key: PKCS#8 'BEGIN PRIVATE KEY' (unencrypted) or SubjectPublicKeyInfo 'BEGIN PUBLIC KEY'",
                       0, 0, RS_NUM_NONE);
    rs_code rc = evp_to_key(c, pk, private_part, k, id, id_len, err);
    EVP_PKEY_free(pk);
    return rc;
}

rs_code rs_sm2_key_to_pem(const rs_sm2_key *k, bool private_part, char *out, size_t cap, size_t *len, rs_err *err)
{
    if (private_part && !k->has_priv)
        return rs_fail(err, RS_E_OPTION, 0, "key", "writing a private key needs one (this key is public only)", 0, 0,
                       RS_NUM_NONE);
    EVP_PKEY *pk = key_to_evp(k, private_part);
    if (!pk)
        return fail_lib(err, "SM2 key");
    /* Secure memory for the private text, so it is wiped when freed. */
    BIO *bio = BIO_new(private_part ? BIO_s_secmem() : BIO_s_mem());
    int ok = bio && (private_part ? PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
                                  : PEM_write_bio_PUBKEY(bio, pk));
    EVP_PKEY_free(pk);
    char *text = NULL;
    long n = ok ? BIO_get_mem_data(bio, &text) : 0;
    rs_code rc = RS_OK;
    if (!ok || n <= 0)
        rc = fail_lib(err, "PEM");
    else if ((size_t)n + 1 > cap)
        rc = rs_fail(err, RS_E_SPACE, 0, "pem", "the output buffer holds the PEM text and its NUL", n + 1,
                     (long long)cap, RS_NUM_DEC);
    else {
        memcpy(out, text, (size_t)n);
        out[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    BIO_free(bio);
    return rc;
}

/* --- files --- */

rs_code rs_sm2_read_small(const char *path, char *buf, size_t cap, size_t *len, rs_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(path), "the file can be opened for reading (errno in 'found')",
                       errno, 0, RS_NUM_GOT_ONLY);
    size_t n = 0;
    for (;;) {
        if (n + 1 >= cap) {
            char extra;
            ssize_t more = read(fd, &extra, 1);
            close(fd);
            if (more == 0)
                break;
            return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(path), "the file is small (a key or chip ID file)", EFBIG,
                           0, RS_NUM_GOT_ONLY);
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(path), "the file can be read (errno in 'found')", e, 0,
                           RS_NUM_GOT_ONLY);
        }
        if (r == 0) {
            close(fd);
            break;
        }
        n += (size_t)r;
    }
    buf[n] = 0;
    *len = n;
    return RS_OK;
}

static bool write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

rs_code rs_sm2_write_file(const char *path, const void *data, size_t len, mode_t mode, bool atomic, rs_err *err)
{
    char tmp[4096];
    const char *target = path;
    if (atomic) {
        /* Beside the target (same file system, so rename is atomic); the
         * pid keeps processes that share a directory apart. */
        const char *slash = strrchr(path, '/');
        int dl = slash ? (int)(slash - path + 1) : 0;
        int n = snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%ld", dl, path, slash ? slash + 1 : path, (long)getpid());
        if (n < 0 || (size_t)n >= sizeof tmp)
            return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(path), "the path fits in 4 KiB", ENAMETOOLONG, 0,
                           RS_NUM_GOT_ONLY);
        target = tmp;
    }
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(path), "the file can be created (errno in 'found')", errno, 0,
                       RS_NUM_GOT_ONLY);
    /* An existing file keeps its mode through O_TRUNC: a private key file
     * must not stay readable by others. */
    bool ok = (!(mode & 0077) ? fchmod(fd, mode) == 0 : true) && write_all(fd, data, len);
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && atomic && rename(tmp, path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        if (atomic)
            unlink(tmp);
        return rs_fail(err, RS_E_IO, 0, rs_sm2_note_path(path), "the file can be written (errno in 'found')", e, 0,
                       RS_NUM_GOT_ONLY);
    }
    return RS_OK;
}

rs_code rs_sm2_key_read_pem(rs_sm2 *c, rs_sm2_key *k, const char *path, const uint8_t *id, size_t id_len, rs_err *err)
{
    char *buf = OPENSSL_secure_malloc(PEM_FILE_MAX + 1);
    if (!buf)
        return fail_lib(err, "malloc");
    size_t n = 0;
    rs_code rc = rs_sm2_read_small(path, buf, PEM_FILE_MAX + 1, &n, err);
    if (rc == RS_OK) {
        rc = rs_sm2_key_from_pem(c, k, buf, n, id, id_len, err);
        if (rc != RS_OK && err)
            err->field = rs_sm2_note_path(path); /* the file, rather than "pem" */
    }
    OPENSSL_secure_clear_free(buf, PEM_FILE_MAX + 1);
    return rc;
}

rs_code rs_sm2_key_write_pem(const rs_sm2_key *k, const char *path, bool private_part, rs_err *err)
{
    char text[PEM_TEXT_MAX];
    size_t n = 0;
    rs_code rc = rs_sm2_key_to_pem(k, private_part, text, sizeof text, &n, err);
    if (rc == RS_OK)
        rc = rs_sm2_write_file(path, text, n, private_part ? 0600 : 0644, false, err);
    OPENSSL_cleanse(text, sizeof text);
    return rc;
}
