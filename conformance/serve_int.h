/* Private to the reference endpoint (conformance/serve*.c).
 *
 *   serve.c          the coordinator: options, bind, fork, stop, merge, results
 *   serve_worker.c   one worker process: libev loop, accept, timers, stop, exit
 *   serve_conn.c     one connection: read, reassemble, check, log, answer, queue
 *   serve_vins.c     the per-VIN table: state, samples as time intervals, merge
 *   serve_fwd.c      gateway mode: the upstream link, backoff, bounded backlog
 *   serve_tcp.c      the plain TCP transport and socket helpers
 *   serve_stats.c    counter names, the summary JSON and text
 *   serve_keys.c, serve_sig.c, serve_act.c, serve_sec.c
 *                    HJ 1239 security: key registry, signatures, activation (serve_sec.h) */
#ifndef REMSIM_CONFORMANCE_SERVE_INT_H
#define REMSIM_CONFORMANCE_SERVE_INT_H

#include <ev.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "remsim/index.h"
#include "remsim/framelog.h"
#include "remsim/msg.h"
#include "remsim/reasm.h"
#include "remsim/serve.h"

#define SERVE_WORDS (sizeof(rs_serve_totals) / sizeof(uint64_t))
#define SERVE_MAX_WORKERS 256
#define SERVE_FD_RESERVE 16       /* descriptors a worker keeps for itself (log, listen, loop, upstream) */
#define SERVE_RX_INITIAL 1024     /* reassembly buffer of a new connection; grows to the frame limit */
#define SERVE_READ_CHUNK 65536    /* one read() per readiness event, into the worker's buffer */
#define SERVE_OBUF 16384          /* answers of one read, batched into one write() */
#define SERVE_REJECT_LINES_PER_S 20

/* --- per-VIN table (serve_vins.c) --- */

typedef struct serve_iv {
    uint32_t lo, hi;              /* collect times lo..hi (Unix seconds), inclusive */
} serve_iv;

typedef struct serve_vin_entry {
    rs_serve_vin pub;
    uint32_t session_conn;        /* the connection that logged in (worker-local id), 0: none */
    uint16_t session_serial;      /* its login serial */
    uint16_t last_login_serial, last_report_serial, last_tamper_serial;
    int32_t login_day, report_day, tamper_day;   /* GMT+8 day of those serials, INT32_MIN: none */
    uint32_t n_iv, cap_iv;
    serve_iv *iv;                 /* sorted, disjoint, not adjacent */
} serve_vin_entry;

typedef struct serve_vtab {
    serve_vin_entry *e;           /* dense, in order of arrival; index is stable */
    uint32_t n, cap;
    rs_index ix;                  /* VIN -> entry (remsim/index.h) */
    uint64_t iv_bytes;            /* memory of the interval lists */
} serve_vtab;

void serve_vtab_init(serve_vtab *t);
void serve_vtab_free(serve_vtab *t);
/* Finds or inserts; NULL when memory ran out.  Pointers stay valid until
 * the next insert; keep indexes (serve_vtab_index) across calls. */
serve_vin_entry *serve_vtab_get(serve_vtab *t, const uint8_t vin[17]);
serve_vin_entry *serve_vtab_find(const serve_vtab *t, const uint8_t vin[17]);
static inline uint32_t serve_vtab_index(const serve_vtab *t, const serve_vin_entry *e)
{
    return (uint32_t)(e - t->e);
}
size_t serve_vtab_bytes(const serve_vtab *t);
/* Adds collect times lo..hi; returns the seconds not covered before, -1 when
 * memory ran out. */
int64_t serve_iv_add(serve_vtab *t, serve_vin_entry *e, uint32_t lo, uint32_t hi);

/* An accepted frame: counts, session, serials, samples (intervals).  A
 * frame that is not trusted (failed signature) counts its samples as
 * untrusted only. */
void serve_vin_on_msg(serve_vtab *t, serve_vin_entry *e, const rs_msg *m, uint32_t conn_id, bool trusted,
                      rs_serve_totals *st);
/* The connection closed: a session it held ends. */
void serve_vin_on_close(serve_vin_entry *e, uint32_t conn_id);

/* Table <-> file (a worker's memfd).  write: false on a write error. */
bool serve_vtab_write(const serve_vtab *t, int fd);
/* Adds a written table to t (counters summed, intervals united).  false on
 * a malformed file or out of memory. */
bool serve_vtab_merge_fd(serve_vtab *t, int fd);
/* Distinct samples, duplicates and first/last collect times from the intervals. */
void serve_vtab_finish(serve_vtab *t);

/* --- transport: connection I/O behind function pointers, so TLS can slot in --- */

struct serve_conn;
typedef struct serve_transport {
    const char *name;
    /* > 0 bytes moved, 0 end of stream (read), -1 with errno (EAGAIN: later) */
    ssize_t (*read)(struct serve_conn *c, void *buf, size_t n);
    ssize_t (*write)(struct serve_conn *c, const void *buf, size_t n);
    void (*close)(struct serve_conn *c);
} serve_transport;

extern const serve_transport serve_tcp;
extern const serve_transport serve_tls;  /* serve_tls.c */

/* "host:port", "[v6]:port".  false when malformed. */
bool serve_split_hostport(const char *s, char *host, size_t cap, uint16_t *port);
/* getaddrinfo, first result.  errno-style error in *why (0: ok). */
bool serve_resolve(const char *host, uint16_t port, bool passive, struct sockaddr_storage *ss, socklen_t *len,
                   const char **why);
/* A non-blocking TCP socket with SO_REUSEADDR and SO_REUSEPORT, bound, and
 * listening when backlog > 0.  -1 with errno. */
int serve_bind_socket(const struct sockaddr *sa, socklen_t len, int backlog);
void serve_addr_text(const struct sockaddr *sa, char *out, size_t cap);

/* --- the plan a worker runs (made by the coordinator before fork) --- */

typedef struct serve_plan {
    rs_serve_opts o;              /* the caller's options (strings: the caller's memory, copied by fork) */
    struct sockaddr_storage addr; /* listen address with the port the coordinator bound */
    socklen_t addr_len;
    bool forward;
    struct sockaddr_storage fwd_addr;
    socklen_t fwd_len;
    unsigned workers, max_conns;
    size_t max_frame;             /* profile.max_data_len + 25 */
    int log_fd;                   /* shared, O_APPEND; -1: no log */
    int ready_fd;                 /* write end: one serve_ready record per worker */
    int bind_fd;                  /* the coordinator's socket (workers close it) */
    int *memfd;                   /* one per worker: the per-VIN table at exit */
    _Atomic uint64_t *shm;        /* SERVE_WORDS per worker */
    struct rs_tls_ctx *tls;       /* made before the fork: each worker has its copy; NULL: plain TCP */
    struct serve_keys *keys;      /* the shared key registry (serve_sec.h); NULL: none (not HJ) */
    pid_t parent;
} serve_plan;

typedef struct serve_ready {
    int32_t worker;
    int32_t err;                  /* 0: listening; else errno */
    int32_t step;                 /* what failed (serve_step) */
} serve_ready;

enum serve_step { SERVE_STEP_OK = 0, SERVE_STEP_LISTEN, SERVE_STEP_LOOP, SERVE_STEP_MEMORY };

/* Runs worker `index`; never returns. */
void serve_worker_main(const serve_plan *plan, unsigned index) __attribute__((noreturn));

/* --- a worker and its connections (serve_worker.c, serve_conn.c) --- */

typedef struct serve_fwd {
    struct serve_worker *w;
    int fd;
    uint8_t state;                /* FWD_DOWN, FWD_CONNECTING, FWD_UP */
    ev_io io;
    ev_timer timer;               /* reconnect after backoff, or connect timeout */
    double backoff;               /* seconds, doubles to 30 */
    uint8_t *q;                   /* whole frames q[head..len); sent bytes of them written */
    size_t cap, head, len, sent;
    uint64_t rng;
} serve_fwd;

typedef struct serve_conn {
    ev_io rio, wio;
    ev_timer idle;
    struct serve_worker *w;
    struct serve_conn *prev, *next;
    const serve_transport *tp;
    void *tp_ctx;                 /* transport state (TLS later); NULL for TCP */
    int fd;
    uint32_t id;                  /* worker-local, never 0 */
    uint32_t vin_idx;             /* last VIN seen + 1, 0: none (its session ends with us) */
    ev_tstamp last_frame;         /* last complete frame (or the accept) */
    rs_reasm rx;
    uint8_t *rxbuf;
    uint8_t *q;                   /* answers not yet written: q[q_off..q_len) */
    uint32_t q_off, q_len, q_cap;
    uint32_t frames_seen, valid_frames;
    uint32_t fps_sec, fps_count;
    uint32_t rej_sec, rej_lines;
    uint64_t fold_at;             /* stream offset after the first byte of a rejected candidate frame */
    uint8_t close_reason;         /* pending close (rs_serve_close), valid when closing */
    bool closing;                 /* close after the answers queued are written */
    bool paused;                  /* reading stopped until the queue drains */
    bool want_close;              /* close requested while a read was being processed */
    bool handshaking;             /* TLS handshake in progress: no frames yet */
    char peer[RS_FRAMELOG_PEER_MAX];
} serve_conn;

typedef struct serve_worker {
    struct ev_loop *loop;
    const serve_plan *plan;
    const rs_profile *p;
    unsigned index;
    int listen_fd, spare_fd;
    ev_io accept_io;
    ev_timer tick;
    ev_timer grace;
    ev_async stop;
    bool stopping;
    serve_conn *conns;
    uint32_t next_id;
    rs_serve_totals st;
    serve_vtab vt;
    bool have_log;
    rs_framelog log;
    bool have_fwd;
    serve_fwd fwd;
    rs_msg *msg;                  /* decode scratch, one per worker (36 KiB) */
    uint8_t *rbuf;                /* SERVE_READ_CHUNK */
    uint8_t obuf[SERVE_OBUF];     /* answers of the connection being read */
    size_t obuf_len;
    /* HJ 1239 security (serve_sec.c) */
    rs_answer_cfg answer;         /* the plan's, with the endpoint's activation hook */
    struct rs_sm2 *sm2;           /* verifier scratch; NULL when the profile is not HJ */
    rs_activation_ans act_ans;    /* the answer decided for the 0x07 being answered */
    bool act_ready, act_answer;
} serve_worker;

static inline int64_t serve_now_ms(const serve_worker *w) { return (int64_t)(ev_now(w->loop) * 1000.0); }

void serve_conn_accept(serve_worker *w, int fd, const struct sockaddr *peer);
/* TLS (serve_tls.c): put a new connection on TLS; one handshake step on
 * readiness (closes the connection when it fails). */
void serve_tls_begin(serve_conn *c);
void serve_tls_step(serve_conn *c);
void serve_conn_close(serve_conn *c, rs_serve_close why);
/* Stop: try once to write what is queued, then close. */
void serve_conn_shutdown(serve_conn *c);

void serve_fwd_init(serve_fwd *f, serve_worker *w);
void serve_fwd_start(serve_fwd *f);
void serve_fwd_push(serve_fwd *f, const uint8_t *frame, size_t n);
bool serve_fwd_drained(const serve_fwd *f);
void serve_fwd_free(serve_fwd *f);

/* --- counters (serve_stats.c) --- */
void serve_publish(_Atomic uint64_t *slot, const rs_serve_totals *t);
void serve_read_slot(const _Atomic uint64_t *slot, rs_serve_totals *t);
void serve_totals_add(rs_serve_totals *dst, const rs_serve_totals *src);
void serve_totals_json(rs_json *j, const rs_serve_totals *t);
void serve_vin_json(rs_json *j, const rs_serve_vin *v);
void serve_totals_text(FILE *out, const rs_serve_totals *t, rs_proto proto);

#endif
