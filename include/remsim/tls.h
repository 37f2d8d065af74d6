/* TLS for terminal links and the reference endpoint: a small layer over
 * OpenSSL 3 for non-blocking sockets driven by an event loop
 * (docs/security.md, section TLS).
 *
 *     rs_tls_opts o;
 *     rs_tls_opts_init(&o);                       // TLS 1.2-1.3, resumption on
 *     o.enabled = true; o.ca_file = "ca.pem"; o.server_name = "127.0.0.1";
 *     rs_tls_ctx *ctx = rs_tls_ctx_new(&o, RS_TLS_CLIENT, &err, why, sizeof why);
 *     rs_tls_conn *c = rs_tls_conn_new(ctx, fd, NULL);    // fd: connected, non-blocking
 *     switch (rs_tls_handshake(c)) {              // call again on the readiness asked for
 *     case RS_TLS_OK: ...up...; case RS_TLS_WANT_READ: ...wait readable...;
 *     case RS_TLS_WANT_WRITE: ...wait writable...;
 *     default: rs_tls_error_text(c, why, sizeof why); ...count rs_tls_failure(c)...
 *     }
 *     rs_tls_read(c, buf, n, &got); rs_tls_write(c, p, n, &put);
 *     rs_tls_conn_free(c, true);                  // close_notify; the fd stays open
 *     rs_tls_ctx_free(ctx);
 *
 * One context per process (made before the workers fork, or in each
 * worker); one rs_tls_conn per connection.  Connections release their
 * record buffers while idle (SSL_MODE_RELEASE_BUFFERS): a connection that
 * is up and idle costs the SSL object and the peer's certificate, not 2 x 16
 * KiB of buffers (docs/security.md has the measured figures).
 *
 * Writes: a write that reports "want" must be retried with the same bytes
 * first, possibly from another address and followed by more bytes
 * (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE): a
 * send queue that keeps unwritten bytes in order satisfies that. */
#ifndef REMSIM_TLS_H
#define REMSIM_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "remsim/error.h"

typedef struct rs_tls_opts {
    bool enabled;
    const char *cert_file;       /* PEM certificate (chain): the server's, or the client's for mutual auth */
    const char *key_file;        /* PEM private key of cert_file */
    const char *ca_file;         /* PEM CA bundle the peer is verified against; client NULL: the system store */
    bool mutual;                 /* server: require a client certificate signed by ca_file */
    bool insecure;               /* client: do not verify the server (no chain, no name check) */
    const char *min_version;     /* "1.2" or "1.3"; NULL: 1.2 */
    const char *max_version;     /* "1.2" or "1.3"; NULL: 1.3 */
    const char *server_name;     /* client: SNI and the DNS name or IP address the certificate must carry */
    const char *ciphers;         /* TLS 1.2 cipher list (OpenSSL syntax); NULL: OpenSSL's default */
    const char *ciphersuites;    /* TLS 1.3 suites (OpenSSL syntax); NULL: OpenSSL's default */
    bool resume;                 /* session resumption (tickets); default on */
} rs_tls_opts;

void rs_tls_opts_init(rs_tls_opts *o);

typedef enum rs_tls_role { RS_TLS_CLIENT = 0, RS_TLS_SERVER } rs_tls_role;

/* What a handshake, read or write step came to. */
typedef enum rs_tls_status {
    RS_TLS_OK = 0,               /* done (handshake), or bytes moved (read/write) */
    RS_TLS_WANT_READ,            /* call again when the socket is readable */
    RS_TLS_WANT_WRITE,           /* call again when the socket is writable */
    RS_TLS_CLOSED,               /* the peer closed (close_notify or end of stream) */
    RS_TLS_ERROR                 /* failed: rs_tls_failure(), rs_tls_error_text(); errno set */
} rs_tls_status;

/* Why a TLS connection failed, from this side's point of view. */
typedef enum rs_tls_fail {
    RS_TLS_FAIL_NONE = 0,
    RS_TLS_FAIL_NO_PEER_CERT,    /* the peer sent no certificate (mutual auth) */
    RS_TLS_FAIL_UNKNOWN_CA,      /* the peer's certificate does not chain to our CA */
    RS_TLS_FAIL_NAME,            /* the server certificate does not carry the name or IP asked for */
    RS_TLS_FAIL_BAD_CERT,        /* any other verification failure (expired, wrong usage, ...) */
    RS_TLS_FAIL_PEER_REJECTED,   /* the peer refused our certificate (alert: unknown CA, bad or missing certificate) */
    RS_TLS_FAIL_VERSION,         /* no protocol version both sides allow */
    RS_TLS_FAIL_NEGOTIATION,     /* no shared cipher or group, handshake_failure alert */
    RS_TLS_FAIL_NOT_TLS,         /* the peer does not speak TLS (plain TCP, HTTP, garbage) */
    RS_TLS_FAIL_EOF,             /* the peer closed during the handshake */
    RS_TLS_FAIL_RESET,           /* socket error (reset, broken pipe); errno says which */
    RS_TLS_FAIL_OTHER,
    RS_TLS_FAIL_COUNT
} rs_tls_fail;

/* "no_peer_certificate", "unknown_ca", ...: stable, for JSON and logs. */
const char *rs_tls_fail_name(rs_tls_fail f);

typedef struct rs_tls_ctx rs_tls_ctx;
typedef struct rs_tls_conn rs_tls_conn;
typedef struct rs_tls_session rs_tls_session;

/* Checks the options, loads certificate, key and CA.  NULL on error:
 * RS_E_OPTION (field: the option, e.g. "tls-version", "tls-key") for a bad
 * value or a combination that cannot work, RS_E_IO (got = errno) for a file
 * that cannot be read.  why (may be NULL) gets a sentence with the file and
 * OpenSSL's reason. */
rs_tls_ctx *rs_tls_ctx_new(const rs_tls_opts *o, rs_tls_role role, rs_err *err, char *why, size_t why_cap);
void rs_tls_ctx_free(rs_tls_ctx *ctx);

/* A connection on a connected non-blocking socket (the fd is not owned).
 * resume: a session saved from an earlier connection to the same server
 * (client; NULL: a full handshake).  NULL when memory ran out. */
rs_tls_conn *rs_tls_conn_new(rs_tls_ctx *ctx, int fd, const rs_tls_session *resume);
/* notify: send close_notify first (best effort, never blocks). */
void rs_tls_conn_free(rs_tls_conn *c, bool notify);

rs_tls_status rs_tls_handshake(rs_tls_conn *c);
/* RS_TLS_OK with *got > 0 bytes; CLOSED at the peer's end. */
rs_tls_status rs_tls_read(rs_tls_conn *c, void *buf, size_t n, size_t *got);
/* RS_TLS_OK with *put > 0 bytes (possibly fewer than n: partial writes). */
rs_tls_status rs_tls_write(rs_tls_conn *c, const void *buf, size_t n, size_t *put);
/* Bytes decrypted and not yet read: read again before waiting on the socket. */
size_t rs_tls_pending(const rs_tls_conn *c);

/* After RS_TLS_ERROR: the class, and a sentence from OpenSSL's error queue
 * and the certificate verification result ("certificate verify failed:
 * unable to get local issuer certificate").  Call before the next TLS call
 * on any connection of this thread. */
rs_tls_fail rs_tls_failure(const rs_tls_conn *c);
void rs_tls_error_text(const rs_tls_conn *c, char *buf, size_t cap);

/* After the handshake: "TLSv1.3", the cipher, whether the session was resumed. */
const char *rs_tls_version(const rs_tls_conn *c);
const char *rs_tls_cipher(const rs_tls_conn *c);
bool rs_tls_resumed(const rs_tls_conn *c);

/* Client: the session to resume next time (NULL: none resumable, or
 * resumption is off).  Take it before rs_tls_conn_free. */
rs_tls_session *rs_tls_session_take(rs_tls_conn *c);
void rs_tls_session_free(rs_tls_session *s);

/* A throwaway PKI (tests, `remsim run --tls` with the built-in endpoint):
 * in dir, a CA (ca.pem, ca.key) and, signed by it, a server certificate
 * (server.pem, server.key) for `names` (comma-separated DNS names and IP
 * addresses, e.g. "127.0.0.1,localhost") and a client certificate
 * (client.pem, client.key).  EC P-256 keys, valid from an hour ago for
 * `days` days; keys written 0600.  cn_prefix names the subjects ("remsim
 * test" -> "remsim test CA").  RS_E_IO when a file cannot be written. */
rs_code rs_tls_pki_make(const char *dir, const char *cn_prefix, const char *names, unsigned days, rs_err *err);

#endif
