/* TLS over OpenSSL 3 for non-blocking sockets (tls.h).
 *
 * Everything OpenSSL reports about a failed connection is read at the
 * moment it fails and kept in the connection as numbers (the first error
 * code, the verify result, errno): the error queue is per thread and the
 * next call on any connection clears it, so a sentence is made only when
 * someone asks (rs_tls_error_text), from those numbers. */
#include "remsim/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct rs_tls_ctx {
    SSL_CTX *ssl;
    rs_tls_role role;
    bool resume;
    bool sni;                    /* server_name is a DNS name: sent as SNI */
    char server_name[256];
};

struct rs_tls_conn {
    SSL *ssl;
    unsigned long err;           /* OpenSSL error code of the failure, 0: none */
    long verify;                 /* X509_V_* at the failure */
    int sys_errno;               /* errno of a socket failure */
    uint8_t fail;                /* rs_tls_fail */
    bool done;                   /* handshake finished */
    bool dead;                   /* a fatal error: no close_notify, no more calls */
    bool resume;
};

static const char *const fail_names[RS_TLS_FAIL_COUNT] = {
    [RS_TLS_FAIL_NONE] = "none",
    [RS_TLS_FAIL_NO_PEER_CERT] = "no_peer_certificate",
    [RS_TLS_FAIL_UNKNOWN_CA] = "unknown_ca",
    [RS_TLS_FAIL_NAME] = "name_mismatch",
    [RS_TLS_FAIL_BAD_CERT] = "bad_certificate",
    [RS_TLS_FAIL_PEER_REJECTED] = "peer_rejected_certificate",
    [RS_TLS_FAIL_VERSION] = "version",
    [RS_TLS_FAIL_NEGOTIATION] = "negotiation",
    [RS_TLS_FAIL_NOT_TLS] = "not_tls",
    [RS_TLS_FAIL_EOF] = "eof",
    [RS_TLS_FAIL_RESET] = "reset",
    [RS_TLS_FAIL_OTHER] = "other",
};

static const char *const fail_texts[RS_TLS_FAIL_COUNT] = {
    [RS_TLS_FAIL_NONE] = "no error",
    [RS_TLS_FAIL_NO_PEER_CERT] = "no client certificate",
    [RS_TLS_FAIL_UNKNOWN_CA] = "unknown CA",
    [RS_TLS_FAIL_NAME] = "the certificate is for another name",
    [RS_TLS_FAIL_BAD_CERT] = "certificate not accepted",
    [RS_TLS_FAIL_PEER_REJECTED] = "the peer refused our certificate",
    [RS_TLS_FAIL_VERSION] = "no TLS version both sides allow",
    [RS_TLS_FAIL_NEGOTIATION] = "no cipher or group both sides allow",
    [RS_TLS_FAIL_NOT_TLS] = "the peer does not speak TLS",
    [RS_TLS_FAIL_EOF] = "the peer closed the connection during the handshake",
    [RS_TLS_FAIL_RESET] = "socket error",
    [RS_TLS_FAIL_OTHER] = "TLS error",
};

const char *rs_tls_fail_name(rs_tls_fail f)
{
    return (unsigned)f < RS_TLS_FAIL_COUNT ? fail_names[f] : "?";
}

void rs_tls_opts_init(rs_tls_opts *o)
{
    memset(o, 0, sizeof *o);
    o->resume = true;
}

/* --- the context --- */

static bool parse_version(const char *s, int dflt, int *out)
{
    if (!s) {
        *out = dflt;
        return true;
    }
    if (!strcmp(s, "1.2"))
        *out = TLS1_2_VERSION;
    else if (!strcmp(s, "1.3"))
        *out = TLS1_3_VERSION;
    else
        return false;
    return true;
}

/* "--tls-key key.pem: ... (OpenSSL: reason)" into why. */
static void say(char *why, size_t cap, const char *what, const char *file, const char *detail)
{
    if (!why || !cap)
        return;
    unsigned long e = ERR_peek_last_error();
    const char *ossl = e ? ERR_reason_error_string(e) : NULL;
    snprintf(why, cap, "%s%s%s%s%s%s%s", what, file ? " " : "", file ? file : "", detail ? ": " : "",
             detail ? detail : "", ossl ? " (OpenSSL: " : "", ossl ? ossl : "");
    if (ossl) {
        size_t n = strlen(why);
        if (n + 1 < cap) {
            why[n] = ')';
            why[n + 1] = 0;
        }
    }
}

static rs_tls_ctx *fail_opt(rs_tls_ctx *c, rs_err *err, const char *field, const char *rule, char *why,
                            size_t cap, const char *file)
{
    say(why, cap, field, file, rule);
    rs_fail(err, RS_E_OPTION, 0, field, rule, 0, 0, RS_NUM_NONE);
    rs_tls_ctx_free(c);
    ERR_clear_error();
    return NULL;
}

/* A file the options name must be readable; errno says why not. */
static bool readable(const char *path, rs_err *err, const char *field, const char *rule, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return true;
    }
    int e = errno;
    if (why && cap)
        snprintf(why, cap, "%s %s: %s", field, path, strerror(e));
    rs_fail(err, RS_E_IO, 0, field, rule, e, 0, RS_NUM_GOT_ONLY);
    return false;
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static rs_tls_ctx *setup_peer_check(rs_tls_ctx *c, const rs_tls_opts *o, rs_err *err, char *why, size_t cap)
{
    SSL_CTX *ctx = c->ssl;
    if (c->role == RS_TLS_CLIENT) {
        if (o->ca_file) {
            if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1)
                return fail_opt(c, err, "--tls-ca", "a PEM file of CA certificates", why, cap, o->ca_file);
        } else if (!o->insecure && SSL_CTX_set_default_verify_paths(ctx) != 1) {
            return fail_opt(c, err, "--tls-ca", "the system's CA store can be loaded (or give --tls-ca)", why, cap,
                            NULL);
        }
        SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
        if (o->server_name && *o->server_name) {
            if (strlen(o->server_name) >= sizeof c->server_name)
                return fail_opt(c, err, "--tls-server-name", "a name of fewer than 256 characters", why, cap, NULL);
            snprintf(c->server_name, sizeof c->server_name, "%s", o->server_name);
            bool ip = is_ip(o->server_name);
            c->sni = !ip; /* RFC 6066: SNI carries host names, never address literals */
            X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ctx);
            X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (!o->insecure && (ip ? X509_VERIFY_PARAM_set1_ip_asc(p, o->server_name)
                                    : X509_VERIFY_PARAM_set1_host(p, o->server_name, 0)) != 1)
                return fail_opt(c, err, "--tls-server-name", "a DNS name or an IP address", why, cap, NULL);
        }
        return c;
    }
    if (o->mutual) {
        if (!o->ca_file)
            return fail_opt(c, err, "--tls-verify-client", "client certificates are verified against --tls-ca", why,
                            cap, NULL);
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);
        if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1 || !names) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return fail_opt(c, err, "--tls-ca", "a PEM file of CA certificates", why, cap, o->ca_file);
        }
        SSL_CTX_set_client_CA_list(ctx, names); /* the certificate request names the CAs we accept */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    } else if (o->ca_file) {
        return fail_opt(c, err, "--tls-ca", "on the endpoint, --tls-ca goes with --tls-verify-client", why, cap,
                        NULL);
    }
    return c;
}

rs_tls_ctx *rs_tls_ctx_new(const rs_tls_opts *o, rs_tls_role role, rs_err *err, char *why, size_t cap)
{
    if (why && cap)
        why[0] = 0;
    ERR_clear_error();
    int minv, maxv;
    if (!parse_version(o->min_version, TLS1_2_VERSION, &minv))
        return fail_opt(NULL, err, "--tls-version", "TLS versions are 1.2 or 1.3 (lowest)", why, cap, NULL);
    if (!parse_version(o->max_version, TLS1_3_VERSION, &maxv))
        return fail_opt(NULL, err, "--tls-version", "TLS versions are 1.2 or 1.3 (highest)", why, cap, NULL);
    if (minv > maxv)
        return fail_opt(NULL, err, "--tls-version", "the lowest version allowed is not above the highest", why,
                        cap, NULL);
    if (role == RS_TLS_SERVER && (!o->cert_file || !o->key_file))
        return fail_opt(NULL, err, o->cert_file ? "--tls-key" : "--tls-cert",
                        "a TLS endpoint needs its certificate and key (--tls-cert, --tls-key)", why, cap, NULL);
    if (role == RS_TLS_CLIENT && !o->cert_file != !o->key_file)
        return fail_opt(NULL, err, o->cert_file ? "--tls-key" : "--tls-cert",
                        "a client certificate comes with its key (--tls-cert and --tls-key)", why, cap, NULL);
    if (o->cert_file && !readable(o->cert_file, err, "--tls-cert", "the certificate file can be read", why, cap))
        return NULL;
    if (o->key_file && !readable(o->key_file, err, "--tls-key", "the key file can be read", why, cap))
        return NULL;
    if (o->ca_file && !readable(o->ca_file, err, "--tls-ca", "the CA file can be read", why, cap))
        return NULL;

    rs_tls_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rs_fail(err, RS_E_IO, 0, "tls", "memory for the TLS context", ENOMEM, 0, RS_NUM_GOT_ONLY);
        return NULL;
    }
    c->role = role;
    c->resume = o->resume;
    c->ssl = SSL_CTX_new(role == RS_TLS_CLIENT ? TLS_client_method() : TLS_server_method());
    if (!c->ssl)
        return fail_opt(c, err, "tls", "OpenSSL can make a TLS context", why, cap, NULL);
    SSL_CTX *ctx = c->ssl;
    SSL_CTX_set_min_proto_version(ctx, minv);
    SSL_CTX_set_max_proto_version(ctx, maxv);
    /* Idle connections give their record buffers back; a queue that
     * retries a write from another address (and with more bytes) is fine. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_ENABLE_PARTIAL_WRITE);
    /* No renegotiation: a write never has to wait for a read.  An end of
     * stream without close_notify is an end, not an error: terminals lose
     * power, and framing is the protocol's own. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 (o->resume ? 0 : SSL_OP_NO_TICKET));
    if (o->ciphers && SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1)
        return fail_opt(c, err, "--tls-ciphers", "an OpenSSL cipher list naming at least one TLS 1.2 cipher", why,
                        cap, NULL);
    if (o->ciphersuites && SSL_CTX_set_ciphersuites(ctx, o->ciphersuites) != 1)
        return fail_opt(c, err, "--tls-ciphersuites", "a list of TLS 1.3 suites, e.g. TLS_AES_128_GCM_SHA256",
                        why, cap, NULL);
    if (role == RS_TLS_SERVER) {
        /* No server-side session cache (memory per session, per worker):
         * resumption is by tickets, stateless; with resumption off none
         * are issued. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(ctx, o->resume ? 1 : 0);
        static const unsigned char sid[] = "remsim";
        SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* the caller keeps one session per link */
    }
    if (o->cert_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1)
            return fail_opt(c, err, "--tls-cert", "a PEM certificate (chain)", why, cap, o->cert_file);
        if (SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1) {
            unsigned long e = ERR_peek_last_error();
            bool mismatch = ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
            return fail_opt(c, err, "--tls-key",
                            mismatch ? "the key belongs to the certificate (--tls-cert)" : "an unencrypted PEM private key",
                            why, cap, o->key_file);
        }
        if (SSL_CTX_check_private_key(ctx) != 1)
            return fail_opt(c, err, "--tls-key", "the key belongs to the certificate (--tls-cert)", why, cap,
                            o->key_file);
    }
    return setup_peer_check(c, o, err, why, cap);
}

void rs_tls_ctx_free(rs_tls_ctx *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ssl);
    free(c);
}

/* --- connections --- */

rs_tls_conn *rs_tls_conn_new(rs_tls_ctx *ctx, int fd, const rs_tls_session *resume)
{
    rs_tls_conn *c = calloc(1, sizeof *c);
    SSL *ssl = SSL_new(ctx->ssl);
    if (!c || !ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    c->ssl = ssl;
    c->resume = ctx->resume;
    if (ctx->role == RS_TLS_CLIENT) {
        SSL_set_connect_state(ssl);
        if (ctx->sni)
            SSL_set_tlsext_host_name(ssl, ctx->server_name);
        if (resume && ctx->resume)
            SSL_set_session(ssl, (SSL_SESSION *)(void *)resume);
    } else {
        SSL_set_accept_state(ssl);
    }
    return c;
}

void rs_tls_conn_free(rs_tls_conn *c, bool notify)
{
    if (!c)
        return;
    if (notify && c->done && !c->dead) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* one try: close_notify if the socket takes it */
    }
    SSL_free(c->ssl);
    ERR_clear_error();
    free(c);
}

static rs_tls_fail from_verify(long v)
{
    switch (v) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH: return RS_TLS_FAIL_NAME;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: return RS_TLS_FAIL_UNKNOWN_CA;
    default: return RS_TLS_FAIL_BAD_CERT;
    }
}

static rs_tls_fail classify(unsigned long e, long verify)
{
    if (ERR_GET_LIB(e) != ERR_LIB_SSL)
        return verify != X509_V_OK ? from_verify(verify) : RS_TLS_FAIL_OTHER;
    switch (ERR_GET_REASON(e)) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED: return from_verify(verify);
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: return RS_TLS_FAIL_NO_PEER_CERT;
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED: return RS_TLS_FAIL_PEER_REJECTED;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_WRONG_SSL_VERSION: return RS_TLS_FAIL_VERSION;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_NO_SUITABLE_KEY_SHARE:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY: return RS_TLS_FAIL_NEGOTIATION;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_UNKNOWN_PROTOCOL: return RS_TLS_FAIL_NOT_TLS;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING: return RS_TLS_FAIL_EOF;
    default: return verify != X509_V_OK ? from_verify(verify) : RS_TLS_FAIL_OTHER;
    }
}

/* The outcome of an SSL call that returned r (errno saved right after it). */
static rs_tls_status settle(rs_tls_conn *c, int r, int saved_errno)
{
    int e = SSL_get_error(c->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ: return RS_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return RS_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return RS_TLS_CLOSED;
    default: break;
    }
    c->dead = true;
    c->err = ERR_peek_error();
    c->verify = SSL_get_verify_result(c->ssl);
    if (e == SSL_ERROR_SYSCALL && c->err == 0) {
        if (saved_errno == 0) { /* end of stream */
            if (c->done)
                return RS_TLS_CLOSED;
            c->fail = RS_TLS_FAIL_EOF;
            errno = ECONNRESET;
            return RS_TLS_ERROR;
        }
        c->fail = RS_TLS_FAIL_RESET;
        c->sys_errno = saved_errno;
        errno = saved_errno;
        return RS_TLS_ERROR;
    }
    c->fail = (uint8_t)classify(c->err, c->verify);
    if (c->fail == RS_TLS_FAIL_EOF && c->done)
        return RS_TLS_CLOSED;
    errno = EPROTO;
    return RS_TLS_ERROR;
}

rs_tls_status rs_tls_handshake(rs_tls_conn *c)
{
    if (c->done)
        return RS_TLS_OK;
    if (c->dead)
        return RS_TLS_ERROR;
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(c->ssl);
    int saved = errno;
    if (r == 1) {
        c->done = true;
        SSL_free_buffers(c->ssl); /* see rs_tls_read */
        return RS_TLS_OK;
    }
    return settle(c, r, saved);
}

/* A read that finds no record leaves a 16 KiB read buffer allocated even
 * with SSL_MODE_RELEASE_BUFFERS (OpenSSL 3.0 allocates it before it learns
 * there is nothing to read, and releases it only after a record was
 * consumed): with TLS 1.3 session tickets that doubled an idle client's
 * memory.  SSL_free_buffers gives back what holds no data (it refuses
 * otherwise), so an idle connection keeps none. */
rs_tls_status rs_tls_read(rs_tls_conn *c, void *buf, size_t n, size_t *got)
{
    *got = 0;
    if (c->dead)
        return RS_TLS_ERROR;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(c->ssl, buf, n, got);
    int saved = errno;
    if (r == 1) {
        c->done = true;
        return RS_TLS_OK;
    }
    rs_tls_status st = settle(c, r, saved);
    if (st == RS_TLS_WANT_READ)
        SSL_free_buffers(c->ssl); /* nothing to read: no buffer while idle */
    return st;
}

rs_tls_status rs_tls_write(rs_tls_conn *c, const void *buf, size_t n, size_t *put)
{
    *put = 0;
    if (c->dead)
        return RS_TLS_ERROR;
    if (n == 0)
        return RS_TLS_OK;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(c->ssl, buf, n, put);
    int saved = errno;
    if (r == 1) {
        c->done = true;
        return RS_TLS_OK;
    }
    return settle(c, r, saved);
}

size_t rs_tls_pending(const rs_tls_conn *c)
{
    int n = c->dead ? 0 : SSL_pending(c->ssl);
    return n > 0 ? (size_t)n : 0;
}

rs_tls_fail rs_tls_failure(const rs_tls_conn *c) { return (rs_tls_fail)c->fail; }

void rs_tls_error_text(const rs_tls_conn *c, char *buf, size_t cap)
{
    if (!cap)
        return;
    rs_tls_fail f = (rs_tls_fail)c->fail;
    const char *what = fail_texts[f < RS_TLS_FAIL_COUNT ? f : RS_TLS_FAIL_OTHER];
    if (f == RS_TLS_FAIL_RESET) {
        snprintf(buf, cap, "%s: %s", what, strerror(c->sys_errno));
        return;
    }
    const char *reason = c->err ? ERR_reason_error_string(c->err) : NULL;
    char code[32];
    if (c->err && !reason) {
        snprintf(code, sizeof code, "error %08lX", c->err);
        reason = code;
    }
    const char *vtext = c->verify != X509_V_OK ? X509_verify_cert_error_string(c->verify) : NULL;
    if (reason && vtext)
        snprintf(buf, cap, "%s (%s: %s)", what, reason, vtext);
    else if (reason)
        snprintf(buf, cap, "%s (%s)", what, reason);
    else
        snprintf(buf, cap, "%s", what);
}

const char *rs_tls_version(const rs_tls_conn *c) { return SSL_get_version(c->ssl); }

const char *rs_tls_cipher(const rs_tls_conn *c)
{
    const char *s = SSL_get_cipher_name(c->ssl);
    return s ? s : "(none)";
}

bool rs_tls_resumed(const rs_tls_conn *c) { return SSL_session_reused(c->ssl) == 1; }

rs_tls_session *rs_tls_session_take(rs_tls_conn *c)
{
    if (!c->resume || !c->done)
        return NULL;
    SSL_SESSION *s = SSL_get1_session(c->ssl);
    if (s && !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        s = NULL;
    }
    return (rs_tls_session *)(void *)s;
}

void rs_tls_session_free(rs_tls_session *s) { SSL_SESSION_free((SSL_SESSION *)(void *)s); }
