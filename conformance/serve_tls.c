/* TLS connections of the endpoint (--tls, docs/security.md): the
 * transport over an rs_tls_conn kept in conn->tp_ctx, and the handshake.
 *
 * After accept the connection handshakes in the worker's loop, one step
 * per readiness event, before any frame is read; the idle timeout, which
 * runs from the accept, ends a handshake that does not finish.  A failed
 * handshake is counted by reason (tls_failed), written to the frame log as
 * an event line, and closes the connection (closed.tls_failed); the worker
 * goes on. */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance/serve_int.h"
#include "remsim/tls.h"

/* TLS results in the transport's terms (serve_transport). */
static ssize_t result(rs_tls_status s, size_t n)
{
    switch (s) {
    case RS_TLS_OK: return (ssize_t)n;
    case RS_TLS_CLOSED: return 0;
    case RS_TLS_WANT_READ:
    case RS_TLS_WANT_WRITE: errno = EAGAIN; return -1;
    default: return -1; /* errno set */
    }
}

static ssize_t tls_read(serve_conn *c, void *buf, size_t n)
{
    size_t got;
    rs_tls_status s = rs_tls_read(c->tp_ctx, buf, n, &got);
    return result(s, got);
}

static ssize_t tls_write(serve_conn *c, const void *buf, size_t n)
{
    size_t put;
    rs_tls_status s = rs_tls_write(c->tp_ctx, buf, n, &put);
    return result(s, put);
}

/* Bytes the peer sent that we never read make close() send a reset, and a
 * reset can overtake our alert in the peer's receive queue.  Under TLS 1.3
 * the client finishes first and writes its login at once, so after a failed
 * handshake (say, no client certificate) its data is usually waiting: read
 * it away, so the peer reads the alert and a clean end of stream. */
static void drain_unread(int fd)
{
    uint8_t junk[4096];
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 16 && recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++)
        ;
}

static void tls_close(serve_conn *c)
{
    rs_tls_conn_free(c->tp_ctx, !c->handshaking);
    c->tp_ctx = NULL;
    if (c->fd >= 0 && c->handshaking)
        drain_unread(c->fd);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

const serve_transport serve_tls = { "tls", tls_read, tls_write, tls_close };

void serve_tls_begin(serve_conn *c)
{
    c->tp_ctx = rs_tls_conn_new(c->w->plan->tls, c->fd, NULL);
    if (!c->tp_ctx) {
        serve_conn_close(c, RS_SERVE_CLOSE_RESET); /* no memory: the plain transport closes the fd */
        return;
    }
    c->tp = &serve_tls;
    c->handshaking = true; /* the read watcher is on: the ClientHello comes first */
}

void serve_tls_step(serve_conn *c)
{
    serve_worker *w = c->w;
    switch (rs_tls_handshake(c->tp_ctx)) {
    case RS_TLS_OK:
        c->handshaking = false;
        w->st.tls_handshakes++;
        if (rs_tls_resumed(c->tp_ctx))
            w->st.tls_resumed++;
        /* last_frame is still the accept's loop time */
        w->st.tls_handshake_us += (uint64_t)((ev_time() - c->last_frame) * 1e6);
        ev_io_stop(w->loop, &c->wio);
        ev_io_start(w->loop, &c->rio);
        return;
    case RS_TLS_WANT_READ:
        ev_io_stop(w->loop, &c->wio);
        ev_io_start(w->loop, &c->rio);
        return;
    case RS_TLS_WANT_WRITE:
        ev_io_stop(w->loop, &c->rio);
        ev_io_start(w->loop, &c->wio);
        return;
    default: {
        rs_tls_fail f = rs_tls_failure(c->tp_ctx);
        w->st.tls_failed[f < RS_TLS_FAIL_COUNT ? f : RS_TLS_FAIL_OTHER]++;
        if (w->have_log && w->plan->o.log_events)
            rs_framelog_event(&w->log, serve_now_ms(w), c->peer, NULL, "tls_failed", rs_tls_fail_name(f));
        serve_conn_close(c, RS_SERVE_CLOSE_TLS);
        return;
    }
    }
}
