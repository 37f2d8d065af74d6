/* Gateway mode: every accepted frame goes upstream unchanged, over one
 * connection per worker.
 *
 * Frames wait in a bounded backlog (one buffer of whole frames, the bytes
 * as received) while the upstream is down or slow; a frame that does not
 * fit is dropped and counted.  A frame half written when the link breaks is
 * sent again whole after the reconnect, so the upstream sees every frame
 * complete at least once.  Reconnects back off from 0.25 s, doubling to 30
 * s, each wait drawn at random between half and all of the current step
 * (jitter), so a restarted upstream is not hit by every worker at once.
 * What the upstream sends back is read and dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance/serve_int.h"
#include "remsim/frame.h"

enum { FWD_DOWN = 0, FWD_CONNECTING, FWD_UP };

#define FWD_BACKOFF_MIN 0.25
#define FWD_BACKOFF_MAX 30.0
#define FWD_CONNECT_TIMEOUT 5.0

static void on_io(struct ev_loop *loop, ev_io *io, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *t, int revents);

static double rand01(serve_fwd *f)
{
    /* xorshift64*: jitter only, no need for more */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return (double)((f->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

void serve_fwd_init(serve_fwd *f, serve_worker *w)
{
    memset(f, 0, sizeof *f);
    f->w = w;
    f->fd = -1;
    f->backoff = FWD_BACKOFF_MIN;
    f->cap = w->plan->o.forward_backlog;
    f->rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)getpid() << 17) ^ (uint64_t)(ev_time() * 1e6);
    ev_init(&f->io, on_io);
    ev_init(&f->timer, on_timer);
    f->io.data = f->timer.data = f;
}

static size_t pending(const serve_fwd *f) { return f->len - f->head; }

static void set_io(serve_fwd *f, int events)
{
    struct ev_loop *loop = f->w->loop;
    ev_io_stop(loop, &f->io);
    if (f->fd >= 0 && events) {
        ev_io_set(&f->io, f->fd, events);
        ev_io_start(loop, &f->io);
    }
}

static void schedule_reconnect(serve_fwd *f)
{
    struct ev_loop *loop = f->w->loop;
    double wait = f->backoff * (0.5 + 0.5 * rand01(f));
    f->backoff = f->backoff * 2 > FWD_BACKOFF_MAX ? FWD_BACKOFF_MAX : f->backoff * 2;
    ev_timer_stop(loop, &f->timer);
    ev_timer_set(&f->timer, wait, 0.);
    ev_timer_start(loop, &f->timer);
}

static void drop_link(serve_fwd *f, bool was_up)
{
    set_io(f, 0);
    ev_timer_stop(f->w->loop, &f->timer);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->state = FWD_DOWN;
    f->sent = 0; /* the frame half written goes again, whole */
    if (was_up)
        f->w->st.fwd_disconnects++;
    else
        f->w->st.fwd_connect_failures++;
    if (!f->w->stopping)
        schedule_reconnect(f);
}

static void went_up(serve_fwd *f)
{
    f->state = FWD_UP;
    f->backoff = FWD_BACKOFF_MIN;
    f->w->st.fwd_connects++;
    ev_timer_stop(f->w->loop, &f->timer);
    set_io(f, EV_READ | (pending(f) ? EV_WRITE : 0));
}

static void connect_now(serve_fwd *f)
{
    const serve_plan *pl = f->w->plan;
    const struct sockaddr *sa = (const struct sockaddr *)&pl->fwd_addr;
    f->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f->fd < 0) {
        drop_link(f, false);
        return;
    }
    if (connect(f->fd, sa, pl->fwd_len) == 0) {
        went_up(f);
        return;
    }
    if (errno != EINPROGRESS) {
        drop_link(f, false);
        return;
    }
    f->state = FWD_CONNECTING;
    set_io(f, EV_WRITE);
    ev_timer_stop(f->w->loop, &f->timer);
    ev_timer_set(&f->timer, FWD_CONNECT_TIMEOUT, 0.);
    ev_timer_start(f->w->loop, &f->timer);
}

void serve_fwd_start(serve_fwd *f)
{
    if (f->cap > 0)
        f->q = malloc(f->cap);
    if (!f->q)
        f->cap = 0; /* every frame will be counted as dropped */
    connect_now(f);
}

static size_t frame_len_at(const uint8_t *b) { return RS_FRAME_OVERHEAD + ((size_t)b[22] << 8 | b[23]); }

/* Written bytes: whole frames leave the backlog. */
static void advance(serve_fwd *f, size_t k)
{
    serve_worker *w = f->w;
    f->sent += k;
    w->st.fwd_bytes += k;
    while (pending(f) >= RS_HEADER_LEN && frame_len_at(f->q + f->head) <= f->sent) {
        size_t n = frame_len_at(f->q + f->head);
        f->sent -= n;
        f->head += n;
        w->st.fwd_frames++;
    }
    if (f->head == f->len)
        f->head = f->len = f->sent = 0;
}

static void write_some(serve_fwd *f)
{
    while (f->state == FWD_UP && pending(f) > f->sent) {
        ssize_t k = send(f->fd, f->q + f->head + f->sent, pending(f) - f->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_io(f, EV_READ | EV_WRITE);
            return;
        }
        if (k <= 0) {
            drop_link(f, true);
            return;
        }
        advance(f, (size_t)k);
    }
    if (f->state == FWD_UP)
        set_io(f, EV_READ);
    if (f->w->stopping && serve_fwd_drained(f))
        ev_break(f->w->loop, EVBREAK_ALL);
}

void serve_fwd_push(serve_fwd *f, const uint8_t *frame, size_t n)
{
    serve_worker *w = f->w;
    if (f->cap - f->len < n && f->head > 0) {
        /* Make room: the frames already gone leave the front. */
        memmove(f->q, f->q + f->head, pending(f));
        f->len -= f->head;
        f->head = 0;
    }
    if (f->cap - f->len < n) {
        w->st.fwd_dropped++;
        return;
    }
    memcpy(f->q + f->len, frame, n);
    f->len += n;
    if (f->state == FWD_UP && pending(f) - f->sent == n)
        write_some(f); /* the link was idle: send at once */
}

bool serve_fwd_drained(const serve_fwd *f) { return pending(f) == 0; }

static void on_io(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    serve_fwd *f = io->data;
    if (f->state == FWD_CONNECTING) {
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
            drop_link(f, false);
            return;
        }
        went_up(f);
        write_some(f);
        return;
    }
    if (revents & EV_READ) {
        uint8_t sink[4096];
        ssize_t k = recv(f->fd, sink, sizeof sink, 0);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            drop_link(f, true);
            return;
        }
    }
    if (revents & EV_WRITE)
        write_some(f);
}

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    serve_fwd *f = t->data;
    if (f->state == FWD_CONNECTING) /* connect timeout */
        drop_link(f, false);
    else if (f->state == FWD_DOWN && !f->w->stopping)
        connect_now(f);
}

void serve_fwd_free(serve_fwd *f)
{
    if (f->w && f->w->loop) {
        ev_io_stop(f->w->loop, &f->io);
        ev_timer_stop(f->w->loop, &f->timer);
    }
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->q);
    f->q = NULL;
}
