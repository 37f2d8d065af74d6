/* The activation link of an HJ terminal in the fleet (protocol.md §9.2): a
 * dedicated TCP connection to the national platform, opened when the
 * terminal asks for it, carrying 0x07 out and 0x08 back, closed when the
 * terminal is done.  It lives only while a terminal activates (a few
 * seconds per power cycle), so it is kept apart from the platform link and
 * its send queue: an activation frame is 194 bytes and one is in flight at
 * a time, so a small fixed buffer takes what the socket does not.  With
 * --tls the link runs TLS like the platform link (same context, no session
 * kept: it is opened once per power cycle). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remsim/tls.h"
#include "sim/fleet_internal.h"

static ssize_t act_read(fleet_act *a, void *buf, size_t n) { return fleet_io_read(a->io.fd, a->tls, buf, n); }

static ssize_t act_write(fleet_act *a, const void *buf, size_t n)
{
    return fleet_io_write(a->io.fd, a->tls, buf, n);
}

static void act_watch(fleet_worker *w, fleet_act *a, int events) { fleet_io_watch(w, &a->io, events); }

void fleet_act_close(fleet_worker *w, fleet_truck *t, rs_conn_fail why, bool failed, bool tell)
{
    fleet_act *a = &t->act;
    if (a->state == LINK_DOWN)
        return;
    bool was_up = a->state == LINK_UP;
    if (failed)
        rs_metrics_conn_failed(&w->m, why);
    ev_io_stop(w->loop, &a->io);
    if (a->tls) {
        rs_tls_conn_free(a->tls, was_up && !failed);
        a->tls = NULL;
    }
    close(a->io.fd);
    a->state = LINK_DOWN;
    a->qlen = a->qoff = 0;
    if (tell && was_up) {
        rs_terminal_closed(&t->k.term, fleet_vnow(w), RS_TERM_LINK_ACTIVATION, &w->out);
        fleet_handle_out(w, t, fleet_vnow(w));
    }
}

static void act_up(fleet_worker *w, fleet_truck *t)
{
    fleet_act *a = &t->act;
    a->state = LINK_UP;
    if (!a->tls)
        rs_metrics_time(&w->m, RS_H_CONNECT, (uint64_t)(fleet_wall_us() - a->t_connect_us));
    act_watch(w, a, EV_READ);
    rs_terminal_connected(&t->k.term, fleet_vnow(w), RS_TERM_LINK_ACTIVATION, &w->out);
    fleet_handle_out(w, t, fleet_vnow(w));
}

static void on_act_io(struct ev_loop *loop, ev_io *io, int revents);

/* One TLS handshake step; the link goes up when it is done. */
static void act_tls_step(fleet_worker *w, fleet_truck *t)
{
    fleet_act *a = &t->act;
    switch (rs_tls_handshake(a->tls)) {
    case RS_TLS_OK:
        rs_metrics_time(&w->m, RS_H_TLS_HANDSHAKE, (uint64_t)(fleet_wall_us() - a->t_connect_us));
        rs_metrics_count(&w->m, RS_C_TLS_HANDSHAKES, 1);
        act_up(w, t);
        return;
    case RS_TLS_WANT_READ: act_watch(w, a, EV_READ); return;
    case RS_TLS_WANT_WRITE: act_watch(w, a, EV_WRITE); return;
    default: {
        rs_tls_fail f = rs_tls_failure(a->tls);
        fleet_act_close(w, t, f == RS_TLS_FAIL_RESET || f == RS_TLS_FAIL_EOF ? RS_CONN_FAIL_RESET : RS_CONN_FAIL_TLS,
                        true, false);
        return;
    }
    }
}

/* TCP is connected: up at once, or after the TLS handshake. */
static void act_connected(fleet_worker *w, fleet_truck *t)
{
    fleet_act *a = &t->act;
    if (!w->tls) {
        act_up(w, t);
        return;
    }
    int64_t now = fleet_wall_us();
    rs_metrics_time(&w->m, RS_H_CONNECT, (uint64_t)(now - a->t_connect_us));
    a->t_connect_us = now; /* from here: the handshake's duration */
    if (!(a->tls = rs_tls_conn_new(w->tls, a->io.fd, NULL))) {
        fleet_act_close(w, t, RS_CONN_FAIL_OTHER, true, false);
        return;
    }
    act_tls_step(w, t);
}

void fleet_act_connect(fleet_worker *w, fleet_truck *t)
{
    fleet_act *a = &t->act;
    if (a->state != LINK_DOWN || !w->o->activation)
        return;
    a->t_connect_us = fleet_wall_us();
    a->connect_deadline = fleet_vnow(w) + (int64_t)(w->o->connect_timeout_ms * w->o->speed);
    int rc = fleet_socket_connect(w, t, &w->o->national, &a->io, on_act_io);
    if (rc < 0)
        return; /* the terminal asks again after its reconnect period */
    a->state = LINK_CONNECTING;
    if (rc > 0)
        act_connected(w, t);
}

void fleet_act_send(fleet_worker *w, fleet_truck *t, const uint8_t *data, uint32_t len)
{
    fleet_act *a = &t->act;
    if (a->state != LINK_UP)
        return; /* the terminal sends only on a link it was told is up */
    if (a->qoff < a->qlen || len > sizeof a->q) {
        /* Still writing the last try: this one is not needed (the terminal
         * retries on its timer), and counted as not sent. */
        rs_metrics_count(&w->m, RS_C_ACTIVATION_UNSENT, 1);
        return;
    }
    ssize_t n = act_write(a, data, len);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        rs_metrics_count(&w->m, RS_C_ACTIVATION_UNSENT, 1);
        fleet_act_close(w, t, rs_conn_fail_from_errno(errno), false, true);
        return;
    }
    a->sent_us = fleet_wall_us();
    uint32_t done = n > 0 ? (uint32_t)n : 0;
    if (done == len)
        return;
    memcpy(a->q, data + done, len - done);
    a->qoff = 0;
    a->qlen = (uint16_t)(len - done);
    act_watch(w, a, EV_READ | EV_WRITE);
}

static void on_act_io(struct ev_loop *loop, ev_io *io, int revents)
{
    fleet_truck *t = (fleet_truck *)((char *)io - offsetof(fleet_truck, act.io));
    fleet_worker *w = ev_userdata(loop);
    fleet_act *a = &t->act;
    if (a->state == LINK_CONNECTING) {
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
        if (e == EINPROGRESS)
            return;
        if (e) {
            fleet_act_close(w, t, rs_conn_fail_from_errno(e), true, false);
            return;
        }
        if (a->tls)
            act_tls_step(w, t);
        else
            act_connected(w, t);
        return;
    }
    if (revents & EV_WRITE && a->qoff < a->qlen) {
        ssize_t n = act_write(a, a->q + a->qoff, a->qlen - a->qoff);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            fleet_act_close(w, t, rs_conn_fail_from_errno(errno), false, true);
            return;
        }
        if (n > 0)
            a->qoff = (uint16_t)(a->qoff + n);
        if (a->qoff == a->qlen) {
            a->qoff = a->qlen = 0;
            act_watch(w, a, EV_READ);
        }
    }
    if (!(revents & EV_READ))
        return;
    /* Until the socket is dry: with TLS, OpenSSL may hold a whole answer
     * (read together with session tickets) that no later event announces. */
    for (;;) {
        uint8_t buf[512];
        ssize_t n = act_read(a, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            fleet_act_close(w, t, n == 0 ? RS_CONN_FAIL_RESET : rs_conn_fail_from_errno(errno), false, true);
            return;
        }
        if (n < 0)
            return;
        w->m.counter[RS_C_BYTES_RX] += (uint64_t)n;
        /* The activation answer's latency: from the last 0x07 written. */
        for (ssize_t i = 0; i + 2 < n; i++) {
            if (buf[i + 2] == RS_CMD_ACTIVATION_ANS && buf[i] == buf[i + 1] && (buf[i] == '#' || buf[i] == '~')) {
                rs_metrics_rx(&w->m, RS_CMD_ACTIVATION_ANS, 0);
                if (a->sent_us) {
                    rs_metrics_time(&w->m, RS_H_LATENCY_ACTIVATION, (uint64_t)(fleet_wall_us() - a->sent_us));
                    a->sent_us = 0;
                }
                break;
            }
        }
        int64_t now = fleet_vnow(w);
        rs_terminal_received(&t->k.term, now, RS_TERM_LINK_ACTIVATION, buf, (size_t)n, &w->out);
        fleet_handle_out(w, t, now); /* may close the link */
        if (a->state != LINK_UP || !a->tls)
            return;
    }
}
