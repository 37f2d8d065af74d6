/* A terminal's TCP link in the fleet: non-blocking connect from a chosen
 * source address, a send queue with backpressure, reads handed to the
 * terminal (fleet_internal.h).
 *
 * All socket I/O goes through link_io_read/link_io_write.  With TLS
 * (--tls, docs/security.md) the handshake runs between "TCP connected" and
 * "up", while the link is still CONNECTING (so the connect timeout covers
 * it), and the terminal is told "connected" only after it.  Writes go
 * through SSL_write from the same send queue: a write OpenSSL could not
 * finish is retried with the same bytes first, as it requires. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remsim/frame.h"
#include "remsim/tls.h"
#include "sim/fleet_internal.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* TLS results in the socket's terms: bytes, 0 at the end, -1 with errno
 * (EAGAIN: later; EPROTO: a TLS failure, e.g. an alert from the endpoint). */
static ssize_t tls_result(rs_tls_status s, size_t n)
{
    switch (s) {
    case RS_TLS_OK: return (ssize_t)n;
    case RS_TLS_CLOSED: return 0;
    case RS_TLS_WANT_READ:
    case RS_TLS_WANT_WRITE: errno = EAGAIN; return -1;
    default: return -1; /* errno set by rs_tls */
    }
}

ssize_t fleet_io_read(int fd, rs_tls_conn *tls, void *buf, size_t n)
{
    if (!tls)
        return read(fd, buf, n);
    size_t got = 0;
    rs_tls_status s = rs_tls_read(tls, buf, n, &got); /* before got is read: argument order is unspecified */
    return tls_result(s, got);
}

ssize_t fleet_io_write(int fd, rs_tls_conn *tls, const void *buf, size_t n)
{
    if (!tls)
        return send(fd, buf, n, MSG_NOSIGNAL);
    size_t put = 0;
    rs_tls_status s = rs_tls_write(tls, buf, n, &put);
    return tls_result(s, put);
}

void fleet_io_watch(fleet_worker *w, ev_io *io, int events)
{
    if ((io->events & (EV_READ | EV_WRITE)) == events && ev_is_active(io))
        return;
    ev_io_stop(w->loop, io);
    ev_io_set(io, io->fd, events);
    ev_io_start(w->loop, io);
}

static ssize_t link_io_read(fleet_link *l, void *buf, size_t n) { return fleet_io_read(l->io.fd, l->tls, buf, n); }

static ssize_t link_io_write(fleet_link *l, const void *buf, size_t n)
{
    return fleet_io_write(l->io.fd, l->tls, buf, n);
}

static void set_events(fleet_worker *w, fleet_link *l, int events) { fleet_io_watch(w, &l->io, events); }

/* The TLS side of a close: keep the session to resume (not at the end of
 * the run), say close_notify when the close is ours and orderly. */
static void tls_release(fleet_worker *w, fleet_link *l, bool orderly)
{
    if (!l->tls)
        return;
    if (!w->stopping) {
        rs_tls_session *s = rs_tls_session_take(l->tls);
        if (s) {
            rs_tls_session_free(l->tls_session);
            l->tls_session = s;
        }
    }
    rs_tls_conn_free(l->tls, orderly);
    l->tls = NULL;
}

static void queue_reset(fleet_link *l)
{
    free(l->q);
    free(l->qf);
    l->q = NULL;
    l->qf = NULL;
    l->qlen = l->qoff = l->qcap = 0;
    l->qn = l->qhead = l->qfcap = 0;
}

/* Samples in frames not yet fully written: lost when the link dies now. */
static uint32_t queued_samples(const fleet_link *l)
{
    uint32_t n = 0;
    for (uint32_t i = l->qhead; i < l->qn; i++)
        n += l->qf[i].samples;
    return n;
}

void fleet_link_close(fleet_worker *w, fleet_truck *t, rs_conn_fail why, bool failed, bool tell)
{
    fleet_link *l = &t->link;
    if (w->stopping && l->tls_session) { /* no connect follows: the saved session goes */
        rs_tls_session_free(l->tls_session);
        l->tls_session = NULL;
    }
    if (l->state == LINK_DOWN)
        return;
    uint32_t lost = queued_samples(l);
    if (lost)
        rs_metrics_dropped(&w->m, RS_DROP_CONN_LOST_UNSENT, lost);
    t->lost_unsent += lost;
    if (l->state == LINK_UP)
        w->up--;
    if (failed)
        rs_metrics_conn_failed(&w->m, why);
    ev_io_stop(w->loop, &l->io);
    tls_release(w, l, l->state == LINK_UP && !failed && why == RS_CONN_FAIL_OTHER);
    close(l->io.fd);
    queue_reset(l);
    bool was_up = l->state == LINK_UP;
    l->state = LINK_DOWN;
    l->closing = false;
    l->held = false;
    if (failed) {
        /* Exponential backoff with jitter: 1 s, 2 s, 4 s ... up to the cap,
         * each 50-150 %, so a restarted endpoint is not hit by everyone at once. */
        if (l->fails < 16)
            l->fails++;
        uint64_t base = 1000ull << (l->fails - 1);
        if (base > w->o->backoff_max_ms)
            base = w->o->backoff_max_ms;
        l->retry_at = fleet_vnow(w) + (int64_t)(base / 2 + fleet_random(w) % (base + 1));
    }
    if (tell && was_up) {
        rs_terminal_closed(&t->k.term, fleet_vnow(w), RS_TERM_LINK_PLATFORM, &w->out);
        fleet_handle_out(w, t, fleet_vnow(w));
    }
}

static void on_io(struct ev_loop *loop, ev_io *io, int revents);

static void link_up(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    l->state = LINK_UP;
    l->fails = 0;
    w->up++;
    set_events(w, l, EV_READ);
    if (l->reconnect)
        rs_metrics_count(&w->m, RS_C_RECONNECTS, 1);
    l->reconnect = true;
    rs_terminal_connected(&t->k.term, fleet_vnow(w), RS_TERM_LINK_PLATFORM, &w->out);
    fleet_handle_out(w, t, fleet_vnow(w));
}

/* A TLS failure: counted by reason (a reset or an end of stream during the
 * handshake is a reset), the first one of the worker printed, since the
 * counters cannot say "unknown CA". */
static void tls_failed(fleet_worker *w, fleet_truck *t, bool tell)
{
    rs_tls_fail f = rs_tls_failure(t->link.tls);
    if (!w->tls_said && !w->o->quiet) {
        char why[512];
        rs_tls_error_text(t->link.tls, why, sizeof why);
        fprintf(stderr, "remsim run: TLS with the endpoint failed: %s (further failures are only counted)\n", why);
        w->tls_said = true;
    }
    fleet_link_close(w, t, f == RS_TLS_FAIL_RESET || f == RS_TLS_FAIL_EOF ? RS_CONN_FAIL_RESET : RS_CONN_FAIL_TLS,
                     true, tell);
}

/* One handshake step; the link goes up when it is done. */
static void tls_step(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    switch (rs_tls_handshake(l->tls)) {
    case RS_TLS_OK:
        rs_metrics_time(&w->m, RS_H_TLS_HANDSHAKE, (uint64_t)(fleet_wall_us() - l->t_connect_us));
        rs_metrics_count(&w->m, RS_C_TLS_HANDSHAKES, 1);
        if (rs_tls_resumed(l->tls))
            rs_metrics_count(&w->m, RS_C_TLS_RESUMED, 1);
        link_up(w, t);
        return;
    case RS_TLS_WANT_READ: set_events(w, l, EV_READ); return;
    case RS_TLS_WANT_WRITE: set_events(w, l, EV_WRITE); return;
    default: tls_failed(w, t, false); return;
    }
}

/* TCP is connected: up at once, or after the TLS handshake. */
static void link_connected(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    int64_t now = fleet_wall_us();
    rs_metrics_time(&w->m, RS_H_CONNECT, (uint64_t)(now - l->t_connect_us));
    if (!w->tls) {
        link_up(w, t);
        return;
    }
    l->t_connect_us = now; /* from here: the handshake's duration */
    l->tls = rs_tls_conn_new(w->tls, l->io.fd, l->tls_session);
    if (!l->tls) {
        fleet_link_close(w, t, RS_CONN_FAIL_OTHER, true, false);
        return;
    }
    tls_step(w, t);
}

/* A connection attempt's socket: non-blocking, no Nagle, bound to the
 * truck's source address when the plan has several.  -1 when it failed
 * (counted); the attempt is counted either way. */
static int socket_open(fleet_worker *w, const fleet_truck *t)
{
    rs_metrics_count(&w->m, RS_C_CONNECTIONS_ATTEMPTED, 1);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rs_metrics_conn_failed(&w->m, rs_conn_fail_from_errno(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (w->p->n_sources) {
        /* The port is chosen at connect() for the whole 4-tuple, not at
         * bind() for the address alone: more connections per source. */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = { .sin_family = AF_INET };
        src.sin_addr = w->p->source[t->index % w->p->n_sources];
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
            rs_metrics_conn_failed(&w->m, rs_conn_fail_from_errno(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* Opens the truck's socket and starts a non-blocking connect to addr:
 * 1 connected at once, 0 under way (io watches for writability), -1 failed
 * (counted, no socket left). */
int fleet_socket_connect(fleet_worker *w, const fleet_truck *t, const struct sockaddr_in *addr, ev_io *io,
                         void (*cb)(struct ev_loop *, ev_io *, int))
{
    int fd = socket_open(w, t);
    if (fd < 0)
        return -1;
    ev_io_init(io, cb, fd, EV_WRITE);
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0)
        return 1;
    if (errno != EINPROGRESS) {
        rs_metrics_conn_failed(&w->m, rs_conn_fail_from_errno(errno));
        close(fd);
        return -1;
    }
    ev_io_start(w->loop, io);
    return 0;
}

void fleet_link_connect(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    if (l->state != LINK_DOWN)
        return;
    l->t_connect_us = fleet_wall_us();
    l->connect_deadline = fleet_vnow(w) + (int64_t)(w->o->connect_timeout_ms * w->o->speed);
    int rc = fleet_socket_connect(w, t, &w->o->target, &l->io, on_io);
    if (rc < 0) {
        l->fails++;
        l->retry_at = fleet_vnow(w) + 1000;
        return;
    }
    l->state = LINK_CONNECTING;
    if (rc > 0)
        link_connected(w, t);
}

static void release_hold(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    if (l->held && l->qlen - l->qoff < w->o->high_water / 2) {
        l->held = false;
        rs_terminal_hold(&t->k.term, fleet_vnow(w), RS_TERM_LINK_PLATFORM, false, &w->out);
        fleet_handle_out(w, t, fleet_vnow(w));
    }
}

/* Writes what the queue holds; false when the link died. */
static bool flush(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    while (l->qoff < l->qlen) {
        ssize_t n = link_io_write(l, l->q + l->qoff, l->qlen - l->qoff);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            fleet_link_close(w, t, rs_conn_fail_from_errno(errno), false, true);
            return false;
        }
        l->qoff += (uint32_t)n;
    }
    while (l->qhead < l->qn && l->qf[l->qhead].end <= l->qoff)
        l->qhead++;
    if (l->qoff == l->qlen) {
        queue_reset(l);
        set_events(w, l, EV_READ);
        if (l->closing) {
            fleet_link_close(w, t, RS_CONN_FAIL_OTHER, false, false);
            return false;
        }
    }
    release_hold(w, t);
    return true;
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

void fleet_link_send(fleet_worker *w, fleet_truck *t, const uint8_t *data, uint32_t len, uint8_t samples)
{
    fleet_link *l = &t->link;
    uint32_t done = 0;
    if (l->qoff == l->qlen) {
        ssize_t n = link_io_write(l, data, len);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            t->lost_unsent += samples;
            rs_metrics_dropped(&w->m, RS_DROP_CONN_LOST_UNSENT, samples);
            fleet_link_close(w, t, rs_conn_fail_from_errno(errno), false, true);
            return;
        }
        done = n > 0 ? (uint32_t)n : 0;
        if (done == len)
            return;
    }
    if (l->qoff > 0 && l->qoff == l->qlen)
        queue_reset(l);
    uint32_t rest = len - done;
    if (l->qlen - l->qoff + rest > w->o->hard_limit ||
        !grow((void **)&l->q, &l->qcap, l->qlen + rest, 1) ||
        !grow((void **)&l->qf, &l->qfcap, l->qn + 1, sizeof *l->qf)) {
        /* The endpoint has not read a megabyte: it is gone in all but name. */
        t->lost_unsent += samples;
        rs_metrics_dropped(&w->m, RS_DROP_CONN_LOST_UNSENT, samples);
        fleet_link_close(w, t, RS_CONN_FAIL_OTHER, false, true);
        return;
    }
    memcpy(l->q + l->qlen, data + done, rest);
    l->qlen += rest;
    l->qf[l->qn].end = l->qlen;
    l->qf[l->qn].samples = samples;
    l->qn++;
    if (!(l->io.events & EV_WRITE)) {
        ev_io_stop(w->loop, &l->io);
        ev_io_set(&l->io, l->io.fd, EV_READ | EV_WRITE);
        ev_io_start(w->loop, &l->io);
    }
    if (!l->held && l->qlen - l->qoff > w->o->high_water) {
        l->held = true;
        rs_terminal_hold(&t->k.term, fleet_vnow(w), RS_TERM_LINK_PLATFORM, true, &w->out);
        /* no frames come out of a hold */
    }
}

void fleet_link_request_close(fleet_worker *w, fleet_truck *t)
{
    fleet_link *l = &t->link;
    if (l->state == LINK_DOWN)
        return;
    if (l->state == LINK_UP && l->qoff < l->qlen) {
        l->closing = true; /* after the logout is written */
        return;
    }
    fleet_link_close(w, t, RS_CONN_FAIL_OTHER, false, false);
}

/* Answer latency: the time since the terminal last sent the command the
 * answer carries (an answer reuses its request's command, §5). */
static void note_answers(fleet_worker *w, fleet_link *l, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if (p[i] != p[i + 1] || (p[i] != '#' && p[i] != '~' && p[i] != '$')) /* ##, ~~ (HJ), $$ */
            continue;
        uint8_t cmd = p[i + 2];
        if (cmd < 1 || cmd > RS_METRIC_CMDS)
            continue;
        rs_metrics_rx(&w->m, cmd, 0);
        uint8_t req = cmd == RS_CMD_ACTIVATION_ANS ? RS_CMD_ACTIVATION : cmd;
        if (l->sent_us[req - 1]) {
            uint64_t us = (uint64_t)(fleet_wall_us() - l->sent_us[req - 1]);
            rs_metrics_time(&w->m, req == RS_CMD_TIMECAL ? RS_H_LATENCY_TIMECAL
                                   : req == RS_CMD_ACTIVATION ? RS_H_LATENCY_ACTIVATION : RS_H_LATENCY_ECHO, us);
            l->sent_us[req - 1] = 0;
        }
        /* skip the rest of the frame: "##" inside its body is not a start */
        size_t whole = rs_frame_needed(p + i, n - i);
        i += whole > 2 && whole <= n - i ? whole - 1 : 2;
    }
}

static void on_io(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    fleet_truck *t = (fleet_truck *)((char *)io - offsetof(fleet_truck, link.io));
    fleet_worker *w = ev_userdata(loop);
    fleet_link *l = &t->link;
    if (l->state == LINK_CONNECTING && l->tls) {
        tls_step(w, t);
        return;
    }
    if (l->state == LINK_CONNECTING) {
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
        if (e == EINPROGRESS)
            return;
        if (e) {
            fleet_link_close(w, t, rs_conn_fail_from_errno(e), true, false);
            return;
        }
        link_connected(w, t);
        return;
    }
    if ((revents & EV_WRITE) && !flush(w, t))
        return;
    if (!(revents & EV_READ))
        return;
    /* TLS hands out one record at a time and may hold decrypted bytes the
     * socket no longer signals: read until it holds none. */
    do {
        uint8_t buf[4096];
        ssize_t n = link_io_read(l, buf, sizeof buf);
        if (n == 0) {
            fleet_link_close(w, t, RS_CONN_FAIL_RESET, false, true);
            return;
        }
        if (n < 0) {
            if (errno == EPROTO && l->tls)
                tls_failed(w, t, true); /* e.g. the endpoint refused our certificate after the handshake (TLS 1.3) */
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                fleet_link_close(w, t, rs_conn_fail_from_errno(errno), false, true);
            return;
        }
        w->m.counter[RS_C_BYTES_RX] += (uint64_t)n;
        note_answers(w, l, buf, (size_t)n);
        int64_t now = fleet_vnow(w);
        rs_terminal_received(&t->k.term, now, RS_TERM_LINK_PLATFORM, buf, (size_t)n, &w->out);
        fleet_handle_out(w, t, now);
    } while (l->state == LINK_UP && l->tls && rs_tls_pending(l->tls) > 0);
}
