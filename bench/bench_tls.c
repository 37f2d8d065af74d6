/* TLS on one core: handshakes per second with client and server in this
 * process over socketpairs (both sides' CPU, so a machine running only one
 * side does about twice as many), TLS 1.3 and 1.2, full and resumed; and
 * the memory a connection costs once it is up and idle (heap from
 * mallinfo2, per side; RSS per pair), with record buffers released.
 * EC P-256 certificates made at start (rs_tls_pki_make). */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "remsim/tls.h"

static char dir[64];
static char ca[128], cert[128], key[128], ccert[128], ckey[128];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static rs_tls_ctx *ctx(rs_tls_role role, const char *version, bool resume, bool mutual)
{
    rs_tls_opts o;
    rs_tls_opts_init(&o);
    o.enabled = true;
    o.min_version = o.max_version = version;
    o.resume = resume;
    if (role == RS_TLS_SERVER) {
        o.cert_file = cert;
        o.key_file = key;
        o.mutual = mutual;
        o.ca_file = mutual ? ca : NULL;
    } else {
        o.ca_file = ca;
        o.server_name = "127.0.0.1";
        if (mutual) {
            o.cert_file = ccert;
            o.key_file = ckey;
        }
    }
    rs_err err;
    char why[512];
    rs_tls_ctx *c = rs_tls_ctx_new(&o, role, &err, why, sizeof why);
    if (!c) {
        fprintf(stderr, "bench_tls: %s\n", why);
        exit(1);
    }
    return c;
}

typedef struct conn_pair {
    int fd[2];
    rs_tls_conn *c, *s;
} conn_pair;

/* One handshake to the end, both sides stepped in turn, and one small
 * record each way (TLS 1.3 tickets arrive with the client's first read). */
static bool connect_pair(conn_pair *p, rs_tls_ctx *cc, rs_tls_ctx *sc, const rs_tls_session *resume)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fd) != 0)
        return false;
    p->c = rs_tls_conn_new(cc, p->fd[0], resume);
    p->s = rs_tls_conn_new(sc, p->fd[1], NULL);
    rs_tls_status a = RS_TLS_WANT_READ, b = RS_TLS_WANT_READ;
    for (int i = 0; i < 50 && (a != RS_TLS_OK || b != RS_TLS_OK); i++) {
        if (a != RS_TLS_OK && (a = rs_tls_handshake(p->c)) == RS_TLS_ERROR)
            return false;
        if (b != RS_TLS_OK && (b = rs_tls_handshake(p->s)) == RS_TLS_ERROR)
            return false;
    }
    char buf[64];
    size_t n;
    rs_tls_write(p->s, "##ans", 5, &n);
    rs_tls_write(p->c, "##login", 7, &n);
    for (int i = 0; i < 4; i++) {
        rs_tls_read(p->c, buf, sizeof buf, &n);
        rs_tls_read(p->s, buf, sizeof buf, &n);
    }
    return a == RS_TLS_OK && b == RS_TLS_OK;
}

static void close_side(rs_tls_conn **c, int *fd)
{
    rs_tls_conn_free(*c, true);
    *c = NULL;
    close(*fd);
    *fd = -1;
}

static void rate(const char *version, bool resume, bool mutual)
{
    rs_tls_ctx *cc = ctx(RS_TLS_CLIENT, version, true, mutual), *sc = ctx(RS_TLS_SERVER, version, true, mutual);
    rs_tls_session *sess = NULL;
    if (resume) { /* a session to resume, from one full handshake */
        conn_pair p;
        if (!connect_pair(&p, cc, sc, NULL))
            exit(1);
        sess = rs_tls_session_take(p.c);
        close_side(&p.c, &p.fd[0]);
        close_side(&p.s, &p.fd[1]);
    }
    int n = resume ? 4000 : 1000, resumed = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        conn_pair p;
        if (!connect_pair(&p, cc, sc, sess)) {
            fprintf(stderr, "bench_tls: handshake failed\n");
            exit(1);
        }
        resumed += rs_tls_resumed(p.c);
        close_side(&p.c, &p.fd[0]);
        close_side(&p.s, &p.fd[1]);
    }
    double dt = now() - t0;
    char name[64];
    snprintf(name, sizeof name, "TLS %s %s%s", version, resume ? "resumed" : "full", mutual ? " mutual" : "");
    printf("tls %-24s %6.0f handshakes/s client+server on one core (%.0f us each; %d/%d resumed)\n", name, n / dt,
           dt / n * 1e6, resumed, n);
    rs_tls_session_free(sess);
    rs_tls_ctx_free(cc);
    rs_tls_ctx_free(sc);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static size_t heap(void) { return mallinfo2().uordblks; }

/* K connections up and idle: what each side holds per connection. */
static void memory(const char *version, int k)
{
    rs_tls_ctx *cc = ctx(RS_TLS_CLIENT, version, true, false), *sc = ctx(RS_TLS_SERVER, version, true, false);
    conn_pair *p = calloc((size_t)k, sizeof *p);
    { /* warm the contexts' lazily made state */
        conn_pair w;
        connect_pair(&w, cc, sc, NULL);
        close_side(&w.c, &w.fd[0]);
        close_side(&w.s, &w.fd[1]);
    }
    size_t h0 = heap();
    long r0 = rss_kib();
    for (int i = 0; i < k; i++)
        if (!connect_pair(&p[i], cc, sc, NULL))
            exit(1);
    size_t h1 = heap();
    long r1 = rss_kib();
    for (int i = 0; i < k; i++)
        close_side(&p[i].s, &p[i].fd[1]);
    size_t h2 = heap();
    rs_tls_session **s = calloc((size_t)k, sizeof *s);
    for (int i = 0; i < k; i++)
        s[i] = rs_tls_session_take(p[i].c);
    for (int i = 0; i < k; i++)
        close_side(&p[i].c, &p[i].fd[0]);
    size_t h3 = heap();
    for (int i = 0; i < k; i++)
        rs_tls_session_free(s[i]);
    printf("tls memory TLS %s, %d idle connections: client %zu B, server %zu B heap per connection; "
           "RSS %.1f KiB per pair; a saved session %zu B\n",
           version, k, (h2 - h0) / (size_t)k, (h1 - h2) / (size_t)k, (double)(r1 - r0) / k,
           h3 > h0 ? (h3 - h0) / (size_t)k : 0);
    free(s);
    free(p);
    rs_tls_ctx_free(cc);
    rs_tls_ctx_free(sc);
}

static void cleanup(void)
{
    const char *files[] = { "ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key" };
    char p[192];
    for (unsigned i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/rs_bench_tls_XXXXXX");
    rs_err err;
    if (!mkdtemp(dir) || rs_tls_pki_make(dir, "bench", "127.0.0.1", 1, &err) != RS_OK) {
        fprintf(stderr, "bench_tls: cannot make certificates\n");
        return 1;
    }
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(ccert, sizeof ccert, "%s/client.pem", dir);
    snprintf(ckey, sizeof ckey, "%s/client.key", dir);
    printf("tls: EC P-256 certificates, OpenSSL defaults (TLS 1.3: X25519, AES-128-GCM or ChaCha20)\n");
    rate("1.3", false, false);
    rate("1.3", true, false);
    rate("1.2", false, false);
    rate("1.2", true, false);
    rate("1.3", false, true);
    const char *versions[] = { "1.3", "1.2" };
    for (unsigned i = 0; i < 2; i++) {
        fflush(stdout);
        pid_t pid = fork(); /* a fresh heap each, so RSS grows by what the connections take */
        if (pid == 0) {
            memory(versions[i], 2000);
            fflush(stdout);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
    }
    cleanup();
    return 0;
}
