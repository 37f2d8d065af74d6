/* Inside a fleet worker: trucks, their links, the loop (fleet.h). */
#ifndef REMSIM_FLEET_INTERNAL_H
#define REMSIM_FLEET_INTERNAL_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "remsim/fleet.h"
#include "remsim/term_keys.h"
#include "remsim/truck.h"

enum { LINK_DOWN = 0, LINK_CONNECTING, LINK_UP };

typedef struct fleet_qframe {
    uint32_t end;                /* queue offset just past the frame */
    uint8_t samples;             /* stream samples it carries */
} fleet_qframe;

typedef struct fleet_link {
    ev_io io;
    uint8_t state;               /* LINK_* */
    uint8_t fails;               /* consecutive failed connects (backoff) */
    bool held;                   /* the terminal is told to hold (queue above high water) */
    bool closing;                /* close once the queue is written */
    bool reconnect;              /* it was up before */
    int64_t t_connect_us;        /* wall clock at connect() */
    int64_t connect_deadline;    /* virtual ms */
    int64_t retry_at;            /* virtual ms: no connect before (backoff) */
    int64_t sent_us[RS_METRIC_CMDS]; /* wall clock of the last frame per command, 0 none */
    struct rs_tls_conn *tls;     /* TLS: the connection (handshake while CONNECTING), NULL: plain TCP */
    struct rs_tls_session *tls_session; /* TLS: the session to resume at the next connect */
    /* send queue: bytes the socket did not take, and the frames in them */
    uint8_t *q;
    uint32_t qlen, qoff, qcap;
    fleet_qframe *qf;
    uint32_t qn, qhead, qfcap;
} fleet_link;

/* The activation link (fleet_act.c): open only while the terminal activates. */
typedef struct fleet_act {
    ev_io io;
    uint8_t state;               /* LINK_* */
    uint16_t qoff, qlen;         /* the unwritten rest of the last 0x07 */
    int64_t t_connect_us;
    int64_t connect_deadline;    /* virtual ms */
    int64_t sent_us;             /* wall clock of the last 0x07, 0 none */
    struct rs_tls_conn *tls;     /* with --tls, as on the platform link; NULL: plain TCP */
    uint8_t q[256];
} fleet_act;

typedef struct fleet_truck {
    rs_truck k;
    fleet_link link;
    fleet_act act;
    rs_term_signer signer;       /* HJ signing key (term_keys.h); unused when unsigned */
    uint32_t index;              /* index in the shard (source address choice) */
    uint32_t down_until;         /* vehicle second the network comes back */
    uint32_t lost_unsent;        /* samples lost in queues of dead connections */
    bool started;
} fleet_truck;

typedef struct fleet_worker {
    const rs_fleet_opts *o;
    const rs_fleet_plan *p;
    struct ev_loop *loop;
    rs_run_setup setup;
    rs_truck_bus *bus;
    struct rs_tls_ctx *tls;      /* TLS context of this worker, NULL: plain TCP */
    bool tls_said;               /* the first TLS failure was printed */
    rs_sm2 *sm2;                 /* HJ signing: curve and scratch of this worker */
    rs_msg *scratch;
    uint8_t outbuf[RS_TERM_OUT_BYTES];
    rs_term_out out;
    fleet_truck *t;
    uint32_t n, started;
    uint8_t *stores;
    size_t store_bytes;
    rs_metrics m;                /* cumulative, this worker */
    uint32_t up;                 /* links up */
    int64_t vstart_ms;           /* virtual time of tick 0 */
    int64_t vsweep_ms;           /* virtual time of the last sweep */
    int64_t wsweep_us;           /* wall clock of the last sweep */
    int64_t wstart_us;
    int64_t wpub_us;             /* wall clock of the last metrics snapshot sent */
    uint64_t ticks;
    uint64_t rng;
    bool stopping;
    int metrics_fd;
} fleet_worker;

int64_t fleet_wall_us(void);
/* Virtual time now: the last sweep plus the wall time since, at speed,
 * never reaching the next sweep's second. */
int64_t fleet_vnow(const fleet_worker *w);
uint64_t fleet_random(fleet_worker *w);

/* Acts on the terminal output in w->out (frames, close, connect) and clears it. */
void fleet_handle_out(fleet_worker *w, fleet_truck *t, int64_t now);

/* Socket I/O of a link, plain or TLS, in the socket's terms: bytes, 0 at
 * the end, -1 with errno (EAGAIN: later; EPROTO: a TLS failure). */
ssize_t fleet_io_read(int fd, rs_tls_conn *tls, void *buf, size_t n);
ssize_t fleet_io_write(int fd, rs_tls_conn *tls, const void *buf, size_t n);
/* Watches io for exactly these events (EV_READ | EV_WRITE). */
void fleet_io_watch(fleet_worker *w, ev_io *io, int events);

/* A connection attempt of the truck (platform or activation link): its
 * socket, then a non-blocking connect to addr: 1 connected, 0 under way
 * (io started, watching for writability), -1 failed (counted). */
int fleet_socket_connect(fleet_worker *w, const fleet_truck *t, const struct sockaddr_in *addr, ev_io *io,
                         void (*cb)(struct ev_loop *, ev_io *, int));
void fleet_link_connect(fleet_worker *w, fleet_truck *t);
void fleet_link_send(fleet_worker *w, fleet_truck *t, const uint8_t *data, uint32_t len, uint8_t samples);
/* failed: a connect that failed (counted by reason, backoff); tell: the
 * terminal learns the link broke. */
void fleet_link_close(fleet_worker *w, fleet_truck *t, rs_conn_fail why, bool failed, bool tell);
/* The terminal asked to close: after the queue is written. */
void fleet_link_request_close(fleet_worker *w, fleet_truck *t);

/* The activation link to o->national (fleet_act.c). */
void fleet_act_connect(fleet_worker *w, fleet_truck *t);
void fleet_act_send(fleet_worker *w, fleet_truck *t, const uint8_t *data, uint32_t len);
void fleet_act_close(fleet_worker *w, fleet_truck *t, rs_conn_fail why, bool failed, bool tell);

#endif
