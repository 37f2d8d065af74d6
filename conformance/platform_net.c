/* The platform suite's network driver: the connections of one case file,
 * each a non-blocking socket (plain TCP, or TLS over it), moved together
 * by one poll loop.
 *
 * The loop is what lets a single-threaded Lua script misbehave on one
 * connection while a good terminal is served on another: a slow sender's
 * bytes keep trickling out (split into chunks, delay_ms apart) whenever the
 * script waits for anything at all.  Every wait stops at the case deadline.
 *
 * Received bytes go through the same reassembler as the reference endpoint
 * (rs_reasm, §3.5), so a frame the platform sends is judged by the rules a
 * platform applies to terminals. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conformance/platform_int.h"

#define PF_RX_BUF 8192   /* answers are tens of bytes; a platform frame above this is rejected as too long */

int64_t pf_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pf_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char h[64] = "?", p[16] = "?";
    socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    getnameinfo(sa, len, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, p);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Waits for one event on fd until `until` (monotonic ms). */
static int wait_fd(int fd, short events, int64_t until)
{
    for (;;) {
        int64_t left = until - pf_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd pf = { fd, events, 0 };
        int k = poll(&pf, 1, (int)min64(left, 1000));
        if (k < 0 && errno == EINTR)
            continue;
        if (k != 0)
            return k;
    }
}

static bool tls_handshake(pf_conn *c, int64_t until, char *why, size_t why_cap)
{
    for (;;) {
        rs_tls_status st = rs_tls_handshake(c->tls);
        if (st == RS_TLS_OK)
            return true;
        if (st == RS_TLS_WANT_READ || st == RS_TLS_WANT_WRITE) {
            if (wait_fd(c->fd, st == RS_TLS_WANT_READ ? POLLIN : POLLOUT, until) <= 0) {
                snprintf(why, why_cap, "TLS handshake with %s timed out", c->peer);
                return false;
            }
            continue;
        }
        char t[200];
        rs_tls_error_text(c->tls, t, sizeof t);
        snprintf(why, why_cap, "TLS handshake with %s failed (%s): %s", c->peer,
                 rs_tls_fail_name(rs_tls_failure(c->tls)), t);
        return false;
    }
}

pf_conn *pf_conn_open(pf_case *cs, const char *host, const char *port, const rs_profile *p, bool tls,
                      unsigned timeout_ms, char *why, size_t why_cap)
{
    if (cs->n_conns >= PF_MAX_CONNS) {
        snprintf(why, why_cap, "a case holds at most %d connections open at once", PF_MAX_CONNS);
        return NULL;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(why, why_cap, "cannot resolve %s:%s: %s", host, port, gai_strerror(rc));
        return NULL;
    }
    int64_t until = min64(cs->deadline_ms, pf_mono_ms() + (timeout_ms ? timeout_ms : 5000));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, why_cap, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return NULL;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* each send its own segment */
    int e = 0;
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        e = errno;
        if (e == EINPROGRESS) {
            if (wait_fd(fd, POLLOUT, until) <= 0) {
                e = ETIMEDOUT;
            } else {
                socklen_t el = sizeof e;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
            }
        }
    }
    if (e) {
        snprintf(why, why_cap, "connect to %s:%s: %s", host, port, strerror(e));
        close(fd);
        freeaddrinfo(res);
        return NULL;
    }
    pf_conn *c = calloc(1, sizeof *c);
    uint8_t *rx = malloc(PF_RX_BUF);
    if (!c || !rx) {
        free(c);
        free(rx);
        close(fd);
        freeaddrinfo(res);
        snprintf(why, why_cap, "out of memory");
        return NULL;
    }
    c->cs = cs;
    c->fd = fd;
    c->profile = p;
    c->rx = rx;
    rs_reasm_init(&c->reasm, p, rx, PF_RX_BUF);
    addr_text(res->ai_addr, c->peer, sizeof c->peer);
    freeaddrinfo(res);
    struct sockaddr_storage la;
    socklen_t ll = sizeof la;
    if (getsockname(fd, (struct sockaddr *)&la, &ll) == 0)
        addr_text((struct sockaddr *)&la, c->local, sizeof c->local);
    c->next = cs->conns;
    if (cs->conns)
        cs->conns->prev = c;
    cs->conns = c;
    cs->n_conns++;
    cs->s->st->connections++;
    cs->s->run->traffic.connections++;
    if (tls && cs->s->tls) {
        c->tls = rs_tls_conn_new(cs->s->tls, fd, NULL);
        if (!c->tls || !tls_handshake(c, until, why, why_cap)) {
            if (!c->tls)
                snprintf(why, why_cap, "out of memory (TLS)");
            pf_conn_close(c);
            return NULL;
        }
    }
    return c;
}

const char *pf_conn_state(const pf_conn *c)
{
    if (c->closed)
        return "closed by the case";
    if (c->reset)
        return "reset by the platform";
    if (c->eof)
        return "closed by the platform";
    return "open";
}

static void broke(pf_conn *c, int e)
{
    c->err_no = e;
    c->eof = true;
    c->reset = e == ECONNRESET || e == EPIPE;
    c->out_len = c->out_off = 0; /* what was not written never will be */
}

bool pf_conn_queue(pf_conn *c, const uint8_t *p, size_t n, unsigned split, unsigned delay_ms, char *why,
                   size_t why_cap)
{
    if (c->closed || c->eof) {
        snprintf(why, why_cap, "cannot send to %s: the connection is %s", c->peer, pf_conn_state(c));
        return false;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        c->chunk_left = 0;
    }
    if (c->out_cap - c->out_len < n) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap - c->out_len < n)
            cap *= 2;
        uint8_t *nb = realloc(c->out, cap);
        if (!nb) {
            snprintf(why, why_cap, "out of memory");
            return false;
        }
        c->out = nb;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    c->split = split;
    c->delay_ms = delay_ms;
    return true;
}

static ssize_t raw_write(pf_conn *c, const uint8_t *p, size_t n)
{
    if (c->tls) {
        size_t put = 0;
        rs_tls_status st = rs_tls_write(c->tls, p, n, &put);
        if (st == RS_TLS_OK)
            return (ssize_t)put;
        if (st == RS_TLS_WANT_READ || st == RS_TLS_WANT_WRITE) {
            errno = EAGAIN;
            return -1;
        }
        errno = st == RS_TLS_CLOSED ? EPIPE : ECONNRESET;
        return -1;
    }
    return send(c->fd, p, n, MSG_NOSIGNAL);
}

/* Writes what is due now; returns true when bytes moved. */
static bool do_write(pf_conn *c, int64_t now)
{
    bool moved = false;
    while (c->out_off < c->out_len && !c->eof) {
        if (c->chunk_left == 0) {
            if (now < c->next_send_ms)
                break;
            size_t rest = c->out_len - c->out_off;
            c->chunk_left = c->split && c->split < rest ? c->split : rest;
        }
        ssize_t k = raw_write(c, c->out + c->out_off, c->chunk_left);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            broke(c, errno);
            break;
        }
        moved = true;
        c->out_off += (size_t)k;
        c->chunk_left -= (size_t)k;
        c->bytes_out += (uint64_t)k;
        c->cs->s->run->traffic.bytes += (uint64_t)k;
        c->last_send_ms = pf_wall_ms();
        if (c->chunk_left == 0 && c->split) {
            c->next_send_ms = now + c->delay_ms;
            if (c->delay_ms)
                break;
        }
    }
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    return moved;
}

static ssize_t raw_read(pf_conn *c, uint8_t *p, size_t n)
{
    if (c->tls) {
        size_t got = 0;
        rs_tls_status st = rs_tls_read(c->tls, p, n, &got);
        if (st == RS_TLS_OK)
            return (ssize_t)got;
        if (st == RS_TLS_CLOSED)
            return 0;
        if (st == RS_TLS_WANT_READ || st == RS_TLS_WANT_WRITE) {
            errno = EAGAIN;
            return -1;
        }
        errno = ECONNRESET;
        return -1;
    }
    return recv(c->fd, p, n, 0);
}

/* Reads what is there into the reassembler (not past its room). */
static bool do_read(pf_conn *c)
{
    bool moved = false;
    while (!c->eof) {
        size_t room;
        uint8_t *dst = rs_reasm_space(&c->reasm, &room);
        if (room == 0)
            break;
        ssize_t k = raw_read(c, dst, room);
        if (k == 0) {
            c->eof = true;
            moved = true;
            break;
        }
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            broke(c, errno);
            moved = true;
            break;
        }
        rs_reasm_commit(&c->reasm, (size_t)k);
        c->bytes_in += (uint64_t)k;
        c->last_read_ms = pf_wall_ms();
        moved = true;
        if ((size_t)k < room && !(c->tls && rs_tls_pending(c->tls)))
            break;
    }
    return moved;
}

static bool wants_read(pf_conn *c)
{
    if (c->eof || c->closed)
        return false;
    /* room left, without dropping a frame the caller still reads */
    return c->reasm.len < c->reasm.cap || c->reasm.head > 0;
}

bool pf_pump(pf_case *cs, int64_t until_ms, pf_until_fn until, void *ctx)
{
    struct pollfd *fds = NULL;
    pf_conn **who = NULL;
    size_t cap = 0;
    bool ok = true;
    for (;;) {
        if (until && until(ctx))
            break;
        int64_t now = pf_mono_ms();
        if (now >= cs->deadline_ms) {
            cs->timed_out = true;
            ok = false;
            break;
        }
        if (now >= until_ms)
            break;
        int64_t wake = min64(until_ms, cs->deadline_ms);
        if (cs->n_conns > cap) {
            size_t nc = cs->n_conns + 16;
            struct pollfd *nf = realloc(fds, nc * sizeof *nf);
            if (nf)
                fds = nf;
            pf_conn **nw = realloc(who, nc * sizeof *nw);
            if (nw)
                who = nw;
            if (!nf || !nw)
                break;
            cap = nc;
        }
        size_t n = 0;
        for (pf_conn *c = cs->conns; c && n < cap; c = c->next) {
            if (c->closed)
                continue;
            short ev = 0;
            if (wants_read(c))
                ev |= POLLIN;
            if (c->out_off < c->out_len && !c->eof) {
                if (c->chunk_left || now >= c->next_send_ms)
                    ev |= POLLOUT;
                else
                    wake = min64(wake, c->next_send_ms);
            }
            if (c->tls && rs_tls_pending(c->tls))
                wake = now; /* decrypted bytes wait: no poll needed */
            if (!ev)
                continue;
            fds[n].fd = c->fd;
            fds[n].events = ev;
            fds[n].revents = 0;
            who[n++] = c;
        }
        int left = (int)(wake > now ? wake - now : 0);
        int k = poll(fds, (nfds_t)n, left);
        if (k < 0 && errno != EINTR)
            break;
        now = pf_mono_ms();
        for (size_t i = 0; k > 0 && i < n; i++) {
            pf_conn *c = who[i];
            if (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))
                do_write(c, now);
            if (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
                do_read(c);
        }
        for (pf_conn *c = cs->conns; c; c = c->next)
            if (!c->closed && c->tls && rs_tls_pending(c->tls))
                do_read(c);
    }
    free(fds);
    free(who);
    return ok;
}

static bool flushed(void *ctx)
{
    pf_conn *c = ctx;
    return c->out_off == c->out_len || c->eof || c->closed;
}

bool pf_conn_flush(pf_conn *c, int64_t until_ms)
{
    pf_pump(c->cs, until_ms, flushed, c);
    return c->out_off == c->out_len && !c->eof;
}

typedef struct recv_wait {
    pf_conn *c;
    uint64_t bytes;
} recv_wait;

static bool got_bytes(void *ctx)
{
    recv_wait *w = ctx;
    return w->c->bytes_in != w->bytes || w->c->eof || w->c->closed;
}

int pf_conn_recv(pf_conn *c, int64_t until_ms, const uint8_t **f, size_t *len, rs_err *err)
{
    for (;;) {
        if (c->closed)
            return -1;
        rs_reasm_event ev = rs_reasm_next(&c->reasm, f, len, err);
        if (ev == RS_REASM_FRAME) {
            c->frames_in++;
            return 1;
        }
        if (ev == RS_REASM_ERROR) {
            c->garbage_in += err->code == RS_E_START ? (uint64_t)err->got : 1;
            return 2;
        }
        if (c->eof) {
            if (rs_reasm_finish(&c->reasm, err) == RS_REASM_ERROR)
                return 2;
            return -1;
        }
        if (pf_mono_ms() >= until_ms || pf_mono_ms() >= c->cs->deadline_ms) {
            if (pf_mono_ms() >= c->cs->deadline_ms)
                c->cs->timed_out = true;
            return 0;
        }
        recv_wait w = { c, c->bytes_in };
        pf_pump(c->cs, until_ms, got_bytes, &w);
        if (w.bytes == c->bytes_in && !c->eof)
            return 0;
    }
}

void pf_conn_close(pf_conn *c)
{
    if (c->closed)
        return;
    if (c->tls) {
        rs_tls_conn_free(c->tls, !c->eof);
        c->tls = NULL;
    }
    close(c->fd);
    c->fd = -1;
    c->closed = true;
    free(c->rx);
    c->rx = NULL;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = c->out_cap = 0;
    c->cs->n_conns--;
}

void pf_case_close_all(pf_case *cs)
{
    pf_conn *c = cs->conns;
    while (c) {
        pf_conn *next = c->next;
        pf_conn_close(c);
        free(c);
        c = next;
    }
    cs->conns = NULL;
    cs->n_conns = 0;
}
