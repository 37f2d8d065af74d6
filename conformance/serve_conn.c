/* One connection of a worker: bytes in, frames out of the reassembler,
 * each frame decoded and checked, logged, answered, forwarded.
 *
 * Memory: the struct (about 400 bytes) and a reassembly buffer that starts
 * at SERVE_RX_INITIAL bytes and grows toward the frame limit only while a
 * longer frame is arriving; it shrinks back once the buffer is empty.  The
 * read buffer and the decode scratch (an rs_msg, 36 KiB) are the worker's.
 * Answers are batched per read into the worker's buffer and written with one
 * call; what the peer does not take is queued here, bounded by max_buffered
 * (beyond it reading pauses until the queue drains). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance/serve_int.h"
#include "conformance/serve_sec.h"
#include "remsim/answer.h"
#include "remsim/frame.h"

static void on_read(struct ev_loop *loop, ev_io *io, int revents);
static void on_write(struct ev_loop *loop, ev_io *io, int revents);
static void on_idle(struct ev_loop *loop, ev_timer *t, int revents);

static size_t rx_initial(const serve_worker *w)
{
    return w->plan->max_frame < SERVE_RX_INITIAL ? w->plan->max_frame : SERVE_RX_INITIAL;
}

void serve_conn_accept(serve_worker *w, int fd, const struct sockaddr *peer)
{
    serve_conn *c = calloc(1, sizeof *c);
    uint8_t *rx = malloc(rx_initial(w));
    if (!c || !rx) {
        free(c);
        free(rx);
        close(fd);
        w->st.conn_refused[RS_SERVE_REFUSE_NO_FD]++;
        return;
    }
    int one = 1;
    /* Answers are small and should leave at once. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->w = w;
    c->fd = fd;
    c->tp = &serve_tcp;
    if (++w->next_id == 0)
        w->next_id = 1;
    c->id = w->next_id;
    serve_addr_text(peer, c->peer, sizeof c->peer);
    c->rxbuf = rx;
    rs_reasm_init(&c->rx, w->p, rx, rx_initial(w));
    c->last_frame = ev_now(w->loop);
    ev_io_init(&c->rio, on_read, fd, EV_READ);
    ev_io_init(&c->wio, on_write, fd, EV_WRITE);
    ev_init(&c->idle, on_idle);
    c->rio.data = c->wio.data = c->idle.data = c;
    c->idle.repeat = w->plan->o.idle_timeout;
    ev_io_start(w->loop, &c->rio);
    ev_timer_again(w->loop, &c->idle);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->st.conn_accepted++;
    w->st.conn_open++;
    if (w->have_log && w->plan->o.log_events)
        rs_framelog_event(&w->log, serve_now_ms(w), c->peer, NULL, "open", NULL);
    if (w->plan->tls)
        serve_tls_begin(c);
}

static void on_stream_error(serve_conn *c, const rs_err *e, const uint8_t *cand, size_t cand_len,
                            uint64_t cand_at);

void serve_conn_close(serve_conn *c, rs_serve_close why)
{
    serve_worker *w = c->w;
    /* Bytes of a frame that never completed (idle, reset, limit, stop) are
     * counted like the rest of a stream that ends inside a frame. */
    rs_err err;
    if (rs_reasm_finish(&c->rx, &err) == RS_REASM_ERROR)
        on_stream_error(c, &err, NULL, 0, 0);
    ev_io_stop(w->loop, &c->rio);
    ev_io_stop(w->loop, &c->wio);
    ev_timer_stop(w->loop, &c->idle);
    if (w->have_log && w->plan->o.log_events)
        rs_framelog_event(&w->log, serve_now_ms(w), c->peer, NULL, "close", rs_serve_close_name(why));
    c->tp->close(c);
    w->st.conn_closed[why]++;
    w->st.conn_open--;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->rxbuf);
    free(c->q);
    free(c);
}

/* --- output --- */

static uint32_t queued(const serve_conn *c) { return c->q_len - c->q_off; }

static bool queue_append(serve_conn *c, const uint8_t *p, size_t n)
{
    serve_worker *w = c->w;
    if (c->q_off > 0) {
        memmove(c->q, c->q + c->q_off, queued(c));
        c->q_len -= c->q_off;
        c->q_off = 0;
    }
    if ((size_t)c->q_cap - c->q_len < n) {
        size_t cap = c->q_cap ? c->q_cap : 1024;
        while (cap - c->q_len < n)
            cap *= 2;
        uint8_t *nq = cap <= UINT32_MAX ? realloc(c->q, cap) : NULL;
        if (!nq)
            return false;
        c->q = nq;
        c->q_cap = (uint32_t)cap;
    }
    memcpy(c->q + c->q_len, p, n);
    c->q_len += (uint32_t)n;
    ev_io_start(w->loop, &c->wio);
    if (!c->paused && queued(c) > w->plan->o.max_buffered) {
        /* The peer does not read its answers: stop reading its frames
         * (backpressure).  If it stays stuck, the idle timeout ends it. */
        ev_io_stop(w->loop, &c->rio);
        c->paused = true;
        w->st.read_pauses++;
    }
    return true;
}

/* Writes now what the transport takes, queues the rest.  false: the
 * connection failed (write error or no memory). */
static bool write_or_queue(serve_conn *c, const uint8_t *p, size_t n)
{
    if (queued(c) == 0) {
        ssize_t k = c->tp->write(c, p, n);
        if (k > 0) {
            c->w->st.bytes_out += (uint64_t)k;
            p += k;
            n -= (size_t)k;
        } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            return false;
        }
    }
    return n == 0 || queue_append(c, p, n);
}

static void request_close(serve_conn *c, rs_serve_close why)
{
    if (!c->want_close) {
        c->want_close = true;
        c->close_reason = (uint8_t)why;
    }
}

static void out_flush(serve_conn *c)
{
    serve_worker *w = c->w;
    if (w->obuf_len == 0)
        return;
    if (!write_or_queue(c, w->obuf, w->obuf_len))
        request_close(c, RS_SERVE_CLOSE_RESET);
    w->obuf_len = 0;
}

static void out_put(serve_conn *c, const uint8_t *p, size_t n)
{
    serve_worker *w = c->w;
    if (queued(c) > 0) { /* keep the order: behind what waits already */
        if (!queue_append(c, p, n))
            request_close(c, RS_SERVE_CLOSE_RESET);
        return;
    }
    if (sizeof w->obuf - w->obuf_len < n)
        out_flush(c);
    memcpy(w->obuf + w->obuf_len, p, n);
    w->obuf_len += n;
}

/* --- input --- */

static bool start_pair(const rs_profile *p, const uint8_t *b)
{
    return b[0] == b[1] && ((b[0] == 0x23 && p->accept_hash) || (b[0] == 0x7E && p->accept_tilde));
}

/* Grows the reassembly buffer when the frame at the front announces more
 * than it holds (up to the frame limit).  Only plausible headers count, so
 * garbage cannot inflate a connection. */
static void fit(serve_conn *c)
{
    rs_reasm *r = &c->rx;
    size_t at = r->head + r->pending;
    if (r->len < at + RS_HEADER_LEN)
        return;
    const uint8_t *b = r->buf + at;
    if (!start_pair(c->w->p, b) || b[2] == 0x00 || b[2] == 0xFF)
        return;
    uint8_t enc = b[21];
    if (!(enc >= 0x01 && enc <= 0x05) && enc != 0xFE && enc != 0xFF)
        return;
    size_t need = rs_frame_needed(b, r->len - at);
    size_t limit = c->w->plan->max_frame;
    if (need <= r->cap || need > limit)
        return;
    size_t cap = r->cap * 2 > need ? r->cap * 2 : need;
    if (cap > limit)
        cap = limit;
    uint8_t *nb = realloc(c->rxbuf, cap);
    if (!nb)
        return; /* stays as it is: the frame is rejected as too long, and counted */
    c->rxbuf = r->buf = nb;
    r->cap = cap;
}

static void shrink(serve_conn *c)
{
    rs_reasm *r = &c->rx;
    size_t init = rx_initial(c->w);
    if (r->cap <= init || r->len != r->head || r->pending)
        return;
    uint8_t *nb = realloc(c->rxbuf, init);
    if (!nb)
        return;
    c->rxbuf = r->buf = nb;
    r->cap = init;
    r->head = r->len = 0;
}

static void log_reject(serve_conn *c, const uint8_t *vin, const rs_err *e, bool in_frame, const uint8_t *b,
                       size_t n)
{
    serve_worker *w = c->w;
    if (!w->have_log)
        return;
    /* A flood of rejections must not become a flood of log lines. */
    uint32_t sec = (uint32_t)ev_now(w->loop);
    if (sec != c->rej_sec) {
        c->rej_sec = sec;
        c->rej_lines = 0;
    }
    if (++c->rej_lines > SERVE_REJECT_LINES_PER_S) {
        w->st.log_suppressed++;
        return;
    }
    rs_framelog_reject(&w->log, serve_now_ms(w), c->peer, vin, e, in_frame, b, n);
}

static void count_reject(serve_worker *w, rs_code code)
{
    w->st.rejected++;
    w->st.rejected_by[code < RS_E_COUNT ? code : RS_E_SYNTAX]++;
}

/* A stretch of bytes the reassembler could not use.  A candidate frame
 * rejected for its header or BCC is one rejection (a BCC one counted
 * against its VIN); the rest of its bytes, skipped while the search for the
 * next start goes on, are garbage bytes but not a second rejection. */
static void on_stream_error(serve_conn *c, const rs_err *e, const uint8_t *cand, size_t cand_len,
                            uint64_t cand_at)
{
    serve_worker *w = c->w;
    if (e->code == RS_E_START && c->fold_at != 0 && e->offset == c->fold_at) {
        w->st.garbage_bytes += (uint64_t)e->got;
        c->fold_at = 0;
        return;
    }
    count_reject(w, e->code);
    const uint8_t *vin = NULL;
    if (e->code == RS_E_START || e->code == RS_E_SHORT) {
        w->st.garbage_bytes += (uint64_t)e->got;
    } else {
        /* header or BCC: one byte skipped, the search goes on */
        w->st.garbage_bytes += 1;
        c->fold_at = cand_at + 1;
    }
    if (e->code == RS_E_BCC && cand_len >= RS_FRAME_OVERHEAD) {
        vin = cand + (w->p->proto == RS_PROTO_GB32960 ? 4 : 3);
        serve_vin_entry *v = serve_vtab_get(&w->vt, vin);
        if (v)
            v->pub.rejected++;
    } else {
        cand = NULL;
        cand_len = 0;
    }
    log_reject(c, vin, e, false, cand, cand_len);
}

static void on_frame(serve_conn *c, const uint8_t *f, size_t len)
{
    serve_worker *w = c->w;
    const serve_plan *pl = w->plan;
    const rs_profile *p = w->p;
    c->last_frame = ev_now(w->loop);
    c->frames_seen++;
    if (pl->o.fault_drop_every && c->frames_seen % pl->o.fault_drop_every == 0) {
        w->st.fault_dropped++;
        return;
    }
    /* The reassembler checked the envelope: the VIN bytes are there. */
    const uint8_t *vin = f + (p->proto == RS_PROTO_GB32960 ? 4 : 3);
    if (pl->o.max_fps) {
        uint32_t sec = (uint32_t)ev_now(w->loop);
        if (sec != c->fps_sec) {
            c->fps_sec = sec;
            c->fps_count = 0;
        }
        if (++c->fps_count > pl->o.max_fps) {
            rs_err e;
            rs_fail(&e, RS_E_LIMIT, 0, "frames per second",
                    "a connection sends at most --max-fps frames per second; the connection is closed",
                    c->fps_count, pl->o.max_fps, RS_NUM_DEC);
            count_reject(w, RS_E_LIMIT);
            log_reject(c, vin, &e, true, f, len);
            request_close(c, RS_SERVE_CLOSE_RATE);
            return;
        }
    }
    serve_vin_entry *e = serve_vtab_get(&w->vt, vin);
    rs_msg *m = w->msg;
    rs_err err;
    int64_t now = serve_now_ms(w);
    uint8_t ans[RS_ANSWER_MAX_LEN];
    size_t alen = 0;
    if (rs_msg_decode(p, f, len, m, &err) != RS_OK) {
        count_reject(w, err.code);
        if (e)
            e->pub.rejected++;
        log_reject(c, vin, &err, true, f, len);
        if (m->frame.data && rs_answer_reject(p, &w->answer, &m->frame, ans, sizeof ans, &alen, NULL) == RS_OK &&
            alen) {
            out_put(c, ans, alen);
            w->st.answers++;
        }
        return;
    }
    w->st.frames++;
    w->st.frames_by_cmd[m->frame.cmd]++;
    for (unsigned i = 0; i < m->n_warn; i++)
        w->st.warnings_by[m->warn[i].code < RS_E_COUNT ? m->warn[i].code : RS_E_SYNTAX]++;
    if (w->have_log)
        rs_framelog_frame(&w->log, now, c->peer, vin, f, len);
    /* Signature and activation (serve_sec.c); a failed signature is logged
     * after the frame and keeps its samples out of the trusted count. */
    bool trusted = serve_sec_on_frame(c, e, m, now);
    if (e)
        serve_vin_on_msg(&w->vt, e, m, c->id, trusted, &w->st);
    if (rs_answer_build(p, &w->answer, m, now, ans, sizeof ans, &alen, NULL) == RS_OK && alen) {
        out_put(c, ans, alen);
        w->st.answers++;
    }
    if (w->have_fwd)
        serve_fwd_push(&w->fwd, f, len);
    c->valid_frames++;
    if (pl->o.fault_close_on_valid && c->valid_frames % pl->o.fault_close_on_valid == 0)
        request_close(c, RS_SERVE_CLOSE_FAULT);
}

/* Takes events out of the reassembler until it needs more bytes. */
static unsigned drain(serve_conn *c)
{
    unsigned events = 0;
    rs_reasm *r = &c->rx;
    while (!c->want_close) {
        fit(c);
        /* Where the next candidate starts: a BCC rejection is logged with
         * its bytes, which stay in the buffer until the next feed. */
        size_t at = r->head + r->pending;
        size_t cand = r->len >= at + RS_HEADER_LEN ? rs_frame_needed(r->buf + at, r->len - at) : 0;
        uint64_t cand_at = r->consumed + r->pending; /* consumed: the stream offset of buf[head] */
        const uint8_t *f;
        size_t len;
        rs_err err;
        rs_reasm_event ev = rs_reasm_next(r, &f, &len, &err);
        if (ev == RS_REASM_NEED_MORE)
            break;
        events++;
        if (ev == RS_REASM_FRAME)
            on_frame(c, f, len);
        else
            on_stream_error(c, &err, r->buf + at, cand <= r->cap - at ? cand : 0, cand_at);
    }
    return events;
}

static void consume(serve_conn *c, const uint8_t *data, size_t n)
{
    while (n > 0 && !c->want_close) {
        fit(c);
        size_t took = rs_reasm_feed(&c->rx, data, n);
        data += took;
        n -= took;
        unsigned events = drain(c);
        if (took == 0 && events == 0)
            break; /* cannot happen with a working reassembler; never spin */
    }
}

/* Closes now, or once the queued answers are written. */
static void close_after_output(serve_conn *c, rs_serve_close why)
{
    if (queued(c) == 0) {
        serve_conn_close(c, why);
        return;
    }
    c->closing = true;
    c->close_reason = (uint8_t)why;
    ev_io_stop(c->w->loop, &c->rio);
}

static void end_of_stream(serve_conn *c)
{
    rs_err err;
    if (rs_reasm_finish(&c->rx, &err) == RS_REASM_ERROR)
        on_stream_error(c, &err, NULL, 0, 0);
    close_after_output(c, RS_SERVE_CLOSE_PEER);
}

static void on_read(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    serve_conn *c = io->data;
    serve_worker *w = c->w;
    if (c->handshaking) {
        serve_tls_step(c);
        return;
    }
    ssize_t n = c->tp->read(c, w->rbuf, SERVE_READ_CHUNK);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            serve_conn_close(c, RS_SERVE_CLOSE_RESET);
        return;
    }
    if (n == 0) {
        end_of_stream(c);
        return;
    }
    w->st.bytes_in += (uint64_t)n;
    w->obuf_len = 0;
    consume(c, w->rbuf, (size_t)n);
    out_flush(c);
    if (c->want_close) {
        if (c->close_reason == RS_SERVE_CLOSE_RESET)
            serve_conn_close(c, RS_SERVE_CLOSE_RESET);
        else
            close_after_output(c, (rs_serve_close)c->close_reason);
        return;
    }
    shrink(c);
}

static void on_write(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)revents;
    serve_conn *c = io->data;
    serve_worker *w = c->w;
    if (c->handshaking) {
        serve_tls_step(c);
        return;
    }
    ssize_t k = c->tp->write(c, c->q + c->q_off, queued(c));
    if (k < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            serve_conn_close(c, c->closing ? (rs_serve_close)c->close_reason : RS_SERVE_CLOSE_RESET);
        return;
    }
    w->st.bytes_out += (uint64_t)k;
    c->q_off += (uint32_t)k;
    if (queued(c) == 0) {
        c->q_off = c->q_len = 0;
        ev_io_stop(loop, &c->wio);
        if (c->closing) {
            serve_conn_close(c, (rs_serve_close)c->close_reason);
            return;
        }
        if (c->q_cap > 4096) { /* a burst is over: give the memory back */
            free(c->q);
            c->q = NULL;
            c->q_cap = 0;
        }
    }
    if (c->paused && !c->closing && queued(c) <= w->plan->o.max_buffered / 2) {
        c->paused = false;
        ev_io_start(loop, &c->rio);
    }
}

static void on_idle(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    serve_conn *c = t->data;
    ev_tstamp after = c->last_frame + c->w->plan->o.idle_timeout - ev_now(loop);
    if (after <= 0) {
        serve_conn_close(c, RS_SERVE_CLOSE_IDLE);
        return;
    }
    t->repeat = after;
    ev_timer_again(loop, t);
}

void serve_conn_shutdown(serve_conn *c)
{
    if (queued(c) > 0) {
        ssize_t k = c->tp->write(c, c->q + c->q_off, queued(c));
        if (k > 0)
            c->w->st.bytes_out += (uint64_t)k;
    }
    serve_conn_close(c, RS_SERVE_CLOSE_SHUTDOWN);
}
