/* A throwaway PKI made in C with OpenSSL's EVP and X509 APIs (tls.h):
 * what `remsim run --tls` gives its built-in endpoint, and what the tests
 * use, so neither depends on the openssl command. */
#include "remsim/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

typedef struct pki_item {
    X509 *cert;
    EVP_PKEY *key;
} pki_item;

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* "127.0.0.1,localhost" -> "IP:127.0.0.1,DNS:localhost". */
static bool san_text(const char *names, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    const char *p = names;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char one[256];
        if (len == 0 || len >= sizeof one)
            return false;
        memcpy(one, p, len);
        one[len] = 0;
        unsigned char buf[16];
        bool ip = inet_pton(AF_INET, one, buf) == 1 || inet_pton(AF_INET6, one, buf) == 1;
        int k = snprintf(out + n, cap - n, "%s%s:%s", n ? "," : "", ip ? "IP" : "DNS", one);
        if (k < 0 || (size_t)k >= cap - n)
            return false;
        n += (size_t)k;
        p = end ? end + 1 : p + len;
    }
    return n > 0;
}

/* A certificate for key, signed by issuer (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const pki_item *issuer, unsigned days, const char *const *ext)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    unsigned char serial[8];
    BIGNUM *bn = NULL;
    bool ok = X509_set_version(x, 2) == 1 && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7F; /* positive */
        bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    }
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(x);
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) == 1;
    ok = ok && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name) == 1;
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -3600) && X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400);
    ok = ok && X509_set_pubkey(x, key) == 1;
    for (unsigned i = 0; ok && ext[i]; i += 2)
        ok = add_ext(x, issuer ? issuer->cert : x, OBJ_txt2nid(ext[i]), ext[i + 1]);
    ok = ok && X509_sign(x, issuer ? issuer->key : key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static bool write_pem(const char *dir, const char *file, const pki_item *it, bool key)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return false;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
    if (fd < 0)
        return false;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return false;
    }
    bool ok = key ? PEM_write_PrivateKey(f, it->key, NULL, NULL, 0, NULL, NULL) == 1 : PEM_write_X509(f, it->cert) == 1;
    return fclose(f) == 0 && ok;
}

rs_code rs_tls_pki_make(const char *dir, const char *cn_prefix, const char *names, unsigned days, rs_err *err)
{
    char san[1024], cn[256];
    if (!san_text(names, san, sizeof san))
        return rs_fail(err, RS_E_OPTION, 0, "names", "comma-separated DNS names and IP addresses", 0, 0, RS_NUM_NONE);
    static const char *const ca_ext[] = { "basicConstraints", "critical,CA:TRUE", "keyUsage", "critical,keyCertSign,cRLSign",
                                          "subjectKeyIdentifier", "hash", NULL };
    const char *server_ext[] = { "basicConstraints", "critical,CA:FALSE", "keyUsage", "critical,digitalSignature",
                                 "extendedKeyUsage", "serverAuth", "subjectAltName", san,
                                 "authorityKeyIdentifier", "keyid:always", NULL };
    static const char *const client_ext[] = { "basicConstraints", "critical,CA:FALSE", "keyUsage", "critical,digitalSignature",
                                              "extendedKeyUsage", "clientAuth", "authorityKeyIdentifier", "keyid:always",
                                              NULL };
    pki_item ca = { 0 }, srv = { 0 }, cli = { 0 };
    rs_code rc = RS_OK;
    ca.key = EVP_EC_gen("P-256");
    srv.key = EVP_EC_gen("P-256");
    cli.key = EVP_EC_gen("P-256");
    if (!ca.key || !srv.key || !cli.key) {
        rc = rs_fail(err, RS_E_IO, 0, "key", "OpenSSL makes an EC P-256 key", ENOMEM, 0, RS_NUM_GOT_ONLY);
        goto out;
    }
    snprintf(cn, sizeof cn, "%s CA", cn_prefix);
    ca.cert = make_cert(ca.key, cn, NULL, days, ca_ext);
    snprintf(cn, sizeof cn, "%s server", cn_prefix);
    srv.cert = ca.cert ? make_cert(srv.key, cn, &ca, days, server_ext) : NULL;
    snprintf(cn, sizeof cn, "%s client", cn_prefix);
    cli.cert = ca.cert ? make_cert(cli.key, cn, &ca, days, client_ext) : NULL;
    if (!ca.cert || !srv.cert || !cli.cert) {
        rc = rs_fail(err, RS_E_IO, 0, "certificate", "OpenSSL makes and signs the certificates", EINVAL, 0,
                     RS_NUM_GOT_ONLY);
        goto out;
    }
    errno = 0;
    if (!write_pem(dir, "ca.pem", &ca, false) || !write_pem(dir, "ca.key", &ca, true) ||
        !write_pem(dir, "server.pem", &srv, false) || !write_pem(dir, "server.key", &srv, true) ||
        !write_pem(dir, "client.pem", &cli, false) || !write_pem(dir, "client.key", &cli, true))
        rc = rs_fail(err, RS_E_IO, 0, "dir", "the certificate files can be written", errno ? errno : EIO, 0,
                     RS_NUM_GOT_ONLY);
out:
    X509_free(ca.cert);
    X509_free(srv.cert);
    X509_free(cli.cert);
    EVP_PKEY_free(ca.key);
    EVP_PKEY_free(srv.key);
    EVP_PKEY_free(cli.key);
    ERR_clear_error();
    return rc;
}
