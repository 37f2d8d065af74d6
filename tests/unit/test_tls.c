/* TLS (tls.h): a client and a server over a non-blocking socketpair,
 * handshaking step by step as an event loop would.  Certificates are made
 * at test time (rs_tls_pki_make): one PKI the endpoint trusts, another it
 * does not.  Checks that both versions negotiate when asked, that a wrong
 * CA, a wrong name, a missing or foreign client certificate and a version
 * mismatch are refused with the reason named, that resumption resumes,
 * that writes may be retried from another buffer, and that configuration
 * errors name the option. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remsim/tls.h"

static char good[64], other[64];   /* two PKI directories */
static char path_buf[64][256];
static unsigned path_next;

/* dir/file in a rotating static buffer (the last 64 stay valid). */
static const char *at(const char *dir, const char *file)
{
    char *p = path_buf[path_next++ % 64];
    snprintf(p, 256, "%s/%s", dir, file);
    return p;
}

static int setup_pki(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(good, sizeof good, "/tmp/rs_tls_good_XXXXXX");
    snprintf(other, sizeof other, "/tmp/rs_tls_other_XXXXXX");
    if (!mkdtemp(good) || !mkdtemp(other))
        return -1;
    rs_err err;
    if (rs_tls_pki_make(good, "remsim test", "127.0.0.1,localhost", 2, &err) != RS_OK ||
        rs_tls_pki_make(other, "someone else", "127.0.0.1,localhost", 2, &err) != RS_OK)
        return -1;
    return 0;
}

static void remove_pki(const char *dir)
{
    static const char *const files[] = { "ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key" };
    for (unsigned i = 0; i < 6; i++)
        unlink(at(dir, files[i]));
    rmdir(dir);
}

static int teardown_pki(void **state)
{
    (void)state;
    remove_pki(good);
    remove_pki(other);
    return 0;
}

static void server_opts(rs_tls_opts *o)
{
    rs_tls_opts_init(o);
    o->enabled = true;
    o->cert_file = at(good, "server.pem");
    o->key_file = at(good, "server.key");
}

static void client_opts(rs_tls_opts *o)
{
    rs_tls_opts_init(o);
    o->enabled = true;
    o->ca_file = at(good, "ca.pem");
    o->server_name = "127.0.0.1";
}

typedef struct pair {
    int fd[2];                   /* client, server */
    rs_tls_ctx *cctx, *sctx;
    rs_tls_conn *c, *s;
    rs_tls_status cs, ss;        /* the last handshake results */
} pair;

static rs_tls_ctx *ctx_or_fail(const rs_tls_opts *o, rs_tls_role role)
{
    rs_err err;
    char why[512];
    rs_tls_ctx *c = rs_tls_ctx_new(o, role, &err, why, sizeof why);
    if (!c)
        print_message("context: %s\n", why);
    assert_non_null(c);
    return c;
}

static void open_pair(pair *p, const rs_tls_opts *co, const rs_tls_opts *so, const rs_tls_session *resume)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p->fd), 0);
    p->cctx = ctx_or_fail(co, RS_TLS_CLIENT);
    p->sctx = ctx_or_fail(so, RS_TLS_SERVER);
    p->c = rs_tls_conn_new(p->cctx, p->fd[0], resume);
    p->s = rs_tls_conn_new(p->sctx, p->fd[1], NULL);
    assert_non_null(p->c);
    assert_non_null(p->s);
}

static bool settled(rs_tls_status s) { return s == RS_TLS_OK || s == RS_TLS_ERROR || s == RS_TLS_CLOSED; }

/* Steps both sides until each is done or failed (bounded: no timing). */
static void handshake(pair *p)
{
    p->cs = p->ss = RS_TLS_WANT_READ;
    for (int i = 0; i < 100 && !(settled(p->cs) && settled(p->ss)); i++) {
        if (!settled(p->cs))
            p->cs = rs_tls_handshake(p->c);
        if (!settled(p->ss))
            p->ss = rs_tls_handshake(p->s);
    }
}

static void close_pair(pair *p)
{
    rs_tls_conn_free(p->c, true);
    rs_tls_conn_free(p->s, true);
    rs_tls_ctx_free(p->cctx);
    rs_tls_ctx_free(p->sctx);
    close(p->fd[0]);
    close(p->fd[1]);
}

/* n bytes one way, read until they are all there. */
static void send_recv(rs_tls_conn *from, rs_tls_conn *to, const char *text)
{
    size_t n = strlen(text), put = 0, got = 0;
    assert_int_equal(rs_tls_write(from, text, n, &put), RS_TLS_OK);
    assert_int_equal(put, n);
    char buf[256];
    for (int i = 0; i < 20 && got < n; i++) {
        size_t k;
        rs_tls_status s = rs_tls_read(to, buf + got, sizeof buf - got, &k);
        if (s == RS_TLS_OK)
            got += k;
        else
            assert_true(s == RS_TLS_WANT_READ || s == RS_TLS_WANT_WRITE);
    }
    assert_int_equal(got, n);
    assert_memory_equal(buf, text, n);
}

/* The next read on c fails; returns the reason. */
static rs_tls_fail read_fails(rs_tls_conn *c)
{
    char buf[64];
    size_t k;
    rs_tls_status s = RS_TLS_WANT_READ;
    for (int i = 0; i < 10 && (s == RS_TLS_WANT_READ || s == RS_TLS_WANT_WRITE); i++)
        s = rs_tls_read(c, buf, sizeof buf, &k);
    assert_int_equal(s, RS_TLS_ERROR);
    return rs_tls_failure(c);
}

static void expect_text(const rs_tls_conn *c, const char *part)
{
    char why[512];
    rs_tls_error_text(c, why, sizeof why);
    if (!strstr(why, part))
        print_message("error text '%s' lacks '%s'\n", why, part);
    assert_non_null(strstr(why, part));
}

static void negotiate(const char *version, const char *name)
{
    rs_tls_opts co, so;
    client_opts(&co);
    server_opts(&so);
    co.min_version = co.max_version = version;
    pair p;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.cs, RS_TLS_OK);
    assert_int_equal(p.ss, RS_TLS_OK);
    assert_string_equal(rs_tls_version(p.c), name);
    assert_string_equal(rs_tls_version(p.s), name);
    assert_false(rs_tls_resumed(p.c));
    send_recv(p.c, p.s, "##login");
    send_recv(p.s, p.c, "##answer");
    close_pair(&p);
}

static void test_versions_negotiate(void **state)
{
    (void)state;
    negotiate("1.3", "TLSv1.3");
    negotiate("1.2", "TLSv1.2");
}

static void test_wrong_ca_refused(void **state)
{
    (void)state;
    rs_tls_opts co, so;
    client_opts(&co);
    server_opts(&so);
    co.ca_file = at(other, "ca.pem");
    pair p;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.cs, RS_TLS_ERROR);
    assert_int_equal(rs_tls_failure(p.c), RS_TLS_FAIL_UNKNOWN_CA);
    expect_text(p.c, "unable to get local issuer certificate");
    /* the server hears the client's alert */
    assert_int_equal(p.ss, RS_TLS_ERROR);
    assert_int_equal(rs_tls_failure(p.s), RS_TLS_FAIL_PEER_REJECTED);
    close_pair(&p);

    /* --tls-insecure: no verification, the same server is accepted */
    co.insecure = true;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.cs, RS_TLS_OK);
    close_pair(&p);
}

static void test_wrong_name_refused(void **state)
{
    (void)state;
    rs_tls_opts co, so;
    client_opts(&co);
    server_opts(&so);
    const char *names[] = { "platform.example.com", "127.0.0.2" };
    for (unsigned i = 0; i < 2; i++) {
        co.server_name = names[i];
        pair p;
        open_pair(&p, &co, &so, NULL);
        handshake(&p);
        assert_int_equal(p.cs, RS_TLS_ERROR);
        assert_int_equal(rs_tls_failure(p.c), RS_TLS_FAIL_NAME);
        close_pair(&p);
    }
    co.server_name = "localhost"; /* a DNS name of the certificate: sent as SNI too */
    pair p;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.cs, RS_TLS_OK);
    close_pair(&p);
}

static void test_mutual_auth(void **state)
{
    (void)state;
    rs_tls_opts co, so;
    server_opts(&so);
    so.ca_file = at(good, "ca.pem");
    so.mutual = true;
    const char *versions[] = { "1.3", "1.2" };
    for (unsigned v = 0; v < 2; v++) {
        /* no client certificate: refused by the server, named */
        client_opts(&co);
        co.max_version = versions[v];
        pair p;
        open_pair(&p, &co, &so, NULL);
        handshake(&p);
        assert_int_equal(p.ss, RS_TLS_ERROR);
        assert_int_equal(rs_tls_failure(p.s), RS_TLS_FAIL_NO_PEER_CERT);
        expect_text(p.s, "no client certificate");
        /* TLS 1.3: the client finished before the server looked; it learns at its first read */
        if (p.cs == RS_TLS_OK) {
            assert_int_equal(read_fails(p.c), RS_TLS_FAIL_PEER_REJECTED); /* alert certificate_required */
        } else { /* TLS 1.2: OpenSSL's server says handshake_failure, which says less */
            assert_int_equal(p.cs, RS_TLS_ERROR);
            assert_int_equal(rs_tls_failure(p.c), RS_TLS_FAIL_NEGOTIATION);
        }
        close_pair(&p);

        /* a certificate from the right CA: accepted */
        co.cert_file = at(good, "client.pem");
        co.key_file = at(good, "client.key");
        open_pair(&p, &co, &so, NULL);
        handshake(&p);
        assert_int_equal(p.cs, RS_TLS_OK);
        assert_int_equal(p.ss, RS_TLS_OK);
        send_recv(p.c, p.s, "##frame");
        send_recv(p.s, p.c, "##answer");
        close_pair(&p);

        /* a certificate from another CA: unknown CA at the server */
        co.cert_file = at(other, "client.pem");
        co.key_file = at(other, "client.key");
        open_pair(&p, &co, &so, NULL);
        handshake(&p);
        assert_int_equal(p.ss, RS_TLS_ERROR);
        assert_int_equal(rs_tls_failure(p.s), RS_TLS_FAIL_UNKNOWN_CA);
        close_pair(&p);
    }
}

static void test_version_mismatch(void **state)
{
    (void)state;
    rs_tls_opts co, so;
    client_opts(&co);
    server_opts(&so);
    so.min_version = "1.3";
    co.max_version = "1.2";
    pair p;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.ss, RS_TLS_ERROR);
    assert_int_equal(rs_tls_failure(p.s), RS_TLS_FAIL_VERSION);
    assert_int_equal(p.cs, RS_TLS_ERROR);
    assert_int_equal(rs_tls_failure(p.c), RS_TLS_FAIL_VERSION);
    close_pair(&p);
}

static void test_not_tls(void **state)
{
    (void)state;
    rs_tls_opts so;
    server_opts(&so);
    int fd[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
    rs_tls_ctx *sctx = ctx_or_fail(&so, RS_TLS_SERVER);
    rs_tls_conn *s = rs_tls_conn_new(sctx, fd[1], NULL);
    static const char plain[] = "##\x01LTESTVIN0000000001\x01\x01\x00\x00plain TCP terminal";
    assert_int_equal(write(fd[0], plain, sizeof plain), (ssize_t)sizeof plain);
    assert_int_equal(rs_tls_handshake(s), RS_TLS_ERROR);
    assert_int_equal(rs_tls_failure(s), RS_TLS_FAIL_NOT_TLS);
    rs_tls_conn_free(s, true);
    /* and a peer that goes away mid-handshake */
    s = rs_tls_conn_new(sctx, fd[1], NULL);
    close(fd[0]);
    rs_tls_status st = rs_tls_handshake(s);
    assert_int_equal(st, RS_TLS_ERROR);
    assert_true(rs_tls_failure(s) == RS_TLS_FAIL_EOF || rs_tls_failure(s) == RS_TLS_FAIL_RESET ||
                rs_tls_failure(s) == RS_TLS_FAIL_NOT_TLS);
    rs_tls_conn_free(s, true);
    rs_tls_ctx_free(sctx);
    close(fd[1]);
}

/* Full handshake, then one that resumes the session the first left. */
static void resume_once(const char *version, bool resume, bool want_resumed)
{
    rs_tls_opts co, so;
    client_opts(&co);
    server_opts(&so);
    co.max_version = version;
    co.resume = so.resume = resume;
    pair p;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.cs, RS_TLS_OK);
    send_recv(p.s, p.c, "##answer"); /* TLS 1.3: the ticket comes with the first read */
    rs_tls_session *sess = rs_tls_session_take(p.c);
    assert_int_equal(sess != NULL, resume);
    rs_tls_ctx *cctx = p.cctx, *sctx = p.sctx; /* the contexts live on: a ticket is theirs */
    p.cctx = p.sctx = NULL;
    close_pair(&p);

    pair q;
    memset(&q, 0, sizeof q);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, q.fd), 0);
    q.cctx = cctx;
    q.sctx = sctx;
    q.c = rs_tls_conn_new(cctx, q.fd[0], sess);
    q.s = rs_tls_conn_new(sctx, q.fd[1], NULL);
    handshake(&q);
    assert_int_equal(q.cs, RS_TLS_OK);
    assert_int_equal(q.ss, RS_TLS_OK);
    assert_int_equal(rs_tls_resumed(q.c), want_resumed);
    assert_int_equal(rs_tls_resumed(q.s), want_resumed);
    send_recv(q.c, q.s, "##after resume");
    rs_tls_session_free(sess);
    close_pair(&q);
}

static void test_resumption(void **state)
{
    (void)state;
    resume_once("1.3", true, true);
    resume_once("1.2", true, true);
    resume_once("1.3", false, false);
}

/* A write that could not finish is retried with the same bytes from
 * another buffer and more after them (a send queue): accepted, and the
 * peer reads every byte once, in order. */
static void test_write_retry_moving_buffer(void **state)
{
    (void)state;
    rs_tls_opts co, so;
    client_opts(&co);
    server_opts(&so);
    pair p;
    open_pair(&p, &co, &so, NULL);
    handshake(&p);
    assert_int_equal(p.cs, RS_TLS_OK);
    enum { TOTAL = 1 << 20 };
    uint8_t *src = malloc(TOTAL), *got = malloc(TOTAL);
    assert_non_null(src);
    assert_non_null(got);
    for (size_t i = 0; i < TOTAL; i++)
        src[i] = (uint8_t)(i * 7 + (i >> 9));
    size_t sent = 0, recvd = 0;
    unsigned wants = 0;
    for (int round = 0; round < 100000 && recvd < TOTAL; round++) {
        if (sent < TOTAL) {
            /* a fresh copy every time: the address moves, the bytes are the same */
            size_t n = TOTAL - sent > 65536 ? 65536 : TOTAL - sent;
            uint8_t *copy = malloc(n);
            memcpy(copy, src + sent, n);
            size_t put;
            rs_tls_status s = rs_tls_write(p.c, copy, n, &put);
            free(copy);
            if (s == RS_TLS_OK)
                sent += put;
            else {
                assert_int_equal(s, RS_TLS_WANT_WRITE);
                wants++;
            }
        }
        if (round % 3 == 0 || sent == TOTAL) { /* the reader lags behind */
            size_t k;
            rs_tls_status s = rs_tls_read(p.s, got + recvd, TOTAL - recvd, &k);
            if (s == RS_TLS_OK)
                recvd += k;
            else
                assert_int_equal(s, RS_TLS_WANT_READ);
        }
    }
    assert_true(wants > 0); /* the socket did fill up */
    assert_int_equal(recvd, TOTAL);
    assert_memory_equal(got, src, TOTAL);
    free(src);
    free(got);
    close_pair(&p);
}

static void expect_error(const rs_tls_opts *o, rs_tls_role role, rs_code code, const char *field)
{
    rs_err err;
    memset(&err, 0, sizeof err);
    char why[512];
    rs_tls_ctx *c = rs_tls_ctx_new(o, role, &err, why, sizeof why);
    assert_null(c);
    assert_int_equal(err.code, code);
    if (strcmp(err.field, field) != 0)
        print_message("field '%s', want '%s' (%s)\n", err.field, field, why);
    assert_string_equal(err.field, field);
    assert_non_null(strstr(why, field));
}

static void test_config_errors_name_the_option(void **state)
{
    (void)state;
    rs_tls_opts o;
    rs_tls_opts_init(&o);
    o.enabled = true;
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-cert");       /* a server without a certificate */
    server_opts(&o);
    o.cert_file = "/nonexistent/server.pem";
    expect_error(&o, RS_TLS_SERVER, RS_E_IO, "--tls-cert");
    rs_err err;
    rs_tls_ctx_new(&o, RS_TLS_SERVER, &err, NULL, 0);
    assert_int_equal(err.got, ENOENT);
    server_opts(&o);
    o.key_file = at(good, "client.key");                             /* not the certificate's key */
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-key");
    server_opts(&o);
    o.key_file = at(good, "server.pem");                             /* not a key at all */
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-key");
    server_opts(&o);
    o.cert_file = at(good, "server.key");                            /* not a certificate */
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-cert");
    server_opts(&o);
    o.min_version = "1.1";
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-version");
    server_opts(&o);
    o.min_version = "1.3";
    o.max_version = "1.2";
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-version");
    server_opts(&o);
    o.mutual = true;
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-verify-client");
    server_opts(&o);
    o.ciphers = "NO-SUCH-CIPHER";
    expect_error(&o, RS_TLS_SERVER, RS_E_OPTION, "--tls-ciphers");
    client_opts(&o);
    o.cert_file = at(good, "client.pem");                            /* a client certificate without its key */
    expect_error(&o, RS_TLS_CLIENT, RS_E_OPTION, "--tls-key");
    client_opts(&o);
    o.ca_file = "/nonexistent/ca.pem";
    expect_error(&o, RS_TLS_CLIENT, RS_E_IO, "--tls-ca");
    client_opts(&o);
    o.ca_file = at(good, "client.key");                              /* not certificates */
    expect_error(&o, RS_TLS_CLIENT, RS_E_OPTION, "--tls-ca");
    client_opts(&o);
    o.ciphersuites = "TLS_NO_SUCH_SUITE";
    expect_error(&o, RS_TLS_CLIENT, RS_E_OPTION, "--tls-ciphersuites");
    assert_string_equal(rs_tls_fail_name(RS_TLS_FAIL_NO_PEER_CERT), "no_peer_certificate");
    assert_string_equal(rs_tls_fail_name(RS_TLS_FAIL_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_negotiate),
        cmocka_unit_test(test_wrong_ca_refused),
        cmocka_unit_test(test_wrong_name_refused),
        cmocka_unit_test(test_mutual_auth),
        cmocka_unit_test(test_version_mismatch),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_write_retry_moving_buffer),
        cmocka_unit_test(test_config_errors_name_the_option),
    };
    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
