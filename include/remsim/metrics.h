/* Fleet metrics: a table of named counters, gauges and histograms, and the
 * snapshot that carries their values.
 *
 * Every metric has a stable snake_case name (the key in the result
 * document and in --fail-if), a unit and a one-line description; the
 * tables rs_counter_desc[], rs_gauge_desc[] and rs_hist_desc[] are the
 * registry, and docs/results.md lists every name (a unit test checks).
 * To add a metric: a value in the enum below, a row in the table in
 * lib/metrics.c, a line in docs/results.md.
 *
 *   counters    monotonic uint64 since the start of the run; merged by sum
 *   gauges      a current value (open connections, backlog); merged by sum
 *               over workers (each worker holds its own share)
 *   histograms  durations in µs (hist.h); merged by adding buckets
 *
 * rs_metrics is plain data with fixed arrays indexed by the enums (no
 * pointers), so a worker writes it down a pipe as bytes each second and
 * the coordinator merges what it reads (same build on both ends).  It is
 * about 19 KB: more than PIPE_BUF, so use one pipe per worker (no
 * interleaving) and read until the struct is complete. */
#ifndef REMSIM_METRICS_H
#define REMSIM_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/hist.h"

/* Why a connection attempt failed (connections_failed_<reason>). */
typedef enum rs_conn_fail {
    RS_CONN_FAIL_REFUSED = 0,   /* ECONNREFUSED: nothing listens */
    RS_CONN_FAIL_TIMEOUT,       /* ETIMEDOUT, or our connect timer fired */
    RS_CONN_FAIL_RESET,         /* ECONNRESET, EPIPE during connect or handshake */
    RS_CONN_FAIL_UNREACHABLE,   /* ENETUNREACH, EHOSTUNREACH */
    RS_CONN_FAIL_ADDR_IN_USE,   /* EADDRNOTAVAIL, EADDRINUSE: ephemeral ports exhausted */
    RS_CONN_FAIL_TLS,           /* the TLS handshake failed */
    RS_CONN_FAIL_OTHER,
    RS_CONN_FAIL_COUNT
} rs_conn_fail;

/* Why a sample was dropped (samples_dropped_<reason>). */
typedef enum rs_drop {
    RS_DROP_STORE_OVERFLOW = 0, /* the reissue store was full: the oldest sample went */
    RS_DROP_IGNITION_OFF,       /* produced while the terminal was off or logging out */
    RS_DROP_ENCODE,             /* the frame encoder refused it */
    RS_DROP_CONN_LOST_UNSENT,   /* in a send buffer when the connection was lost */
    RS_DROP_COUNT
} rs_drop;

/* Commands 0x01..0x08 get one counter each per direction. */
#define RS_METRIC_CMDS 8

typedef enum rs_counter {
    RS_C_CONNECTIONS_ATTEMPTED = 0,
    RS_C_CONN_FAILED,                                    /* + rs_conn_fail */
    RS_C_RECONNECTS = RS_C_CONN_FAILED + RS_CONN_FAIL_COUNT,
    RS_C_FRAMES_TX,                                      /* + command - 1 */
    RS_C_BYTES_TX = RS_C_FRAMES_TX + RS_METRIC_CMDS,     /* + command - 1 */
    RS_C_FRAMES_RX = RS_C_BYTES_TX + RS_METRIC_CMDS,     /* + command - 1 */
    RS_C_BYTES_RX = RS_C_FRAMES_RX + RS_METRIC_CMDS,
    RS_C_SAMPLES_GENERATED,
    RS_C_SAMPLES_LIVE,
    RS_C_SAMPLES_REISSUED,
    RS_C_SAMPLES_DROPPED,                                /* + rs_drop */
    RS_C_TERMINALS_STOPPED = RS_C_SAMPLES_DROPPED + RS_DROP_COUNT,
    RS_C_ACTIVATED,              /* terminals whose activation succeeded (01 00, or 02 01 "already") */
    RS_C_ACTIVATION_VIN_ERROR,   /* terminals refused with 02 02 */
    RS_C_ACTIVATION_GAVE_UP,     /* terminals that used their tries without success */
    RS_C_ACTIVATION_UNSENT,      /* activation frames not written (the previous still in the socket) */
    RS_C_TLS_HANDSHAKES,         /* TLS handshakes completed (docs/security.md) */
    RS_C_TLS_RESUMED,            /* of those, resumed sessions */
    RS_C_COUNT
} rs_counter;

typedef enum rs_gauge {
    RS_G_CONNECTIONS_UP = 0,
    RS_G_REISSUE_BACKLOG,
    RS_G_TERMINALS,
    RS_G_COUNT
} rs_gauge;

typedef enum rs_hist_id {
    RS_H_LATENCY_TIMECAL = 0,
    RS_H_LATENCY_ACTIVATION,
    RS_H_LATENCY_ECHO,
    RS_H_CONNECT,
    RS_H_TLS_HANDSHAKE,
    RS_H_COUNT
} rs_hist_id;

typedef struct rs_metric_desc {
    const char *name;    /* snake_case, stable: JSON key and --fail-if name */
    const char *unit;    /* "frames", "bytes", "us", ... */
    const char *help;    /* one line */
    bool latency;        /* histograms: part of the overall latency (p99_latency_ms) */
} rs_metric_desc;

extern const rs_metric_desc rs_counter_desc[RS_C_COUNT];
extern const rs_metric_desc rs_gauge_desc[RS_G_COUNT];
extern const rs_metric_desc rs_hist_desc[RS_H_COUNT];

/* Index by name, or -1. */
int rs_counter_find(const char *name);
int rs_gauge_find(const char *name);
int rs_hist_find(const char *name);

/* Short command names used in metric names: "login", "realtime", "reissue",
 * "logout", "timecal", "tamper", "activation", "activation_answer"; NULL
 * outside 0x01..0x08. */
const char *rs_metric_cmd_name(unsigned cmd);

/* The reason a connect() errno stands for (0 or an unknown errno: other). */
rs_conn_fail rs_conn_fail_from_errno(int e);

typedef struct rs_metrics {
    uint64_t counter[RS_C_COUNT];
    int64_t gauge[RS_G_COUNT];
    rs_hist hist[RS_H_COUNT];
} rs_metrics;

void rs_metrics_init(rs_metrics *m);   /* all zero */

/* Recording, for the worker's hot path.  Commands outside 0x01..0x08 are
 * not counted (the fleet sends none). */
static inline void rs_metrics_count(rs_metrics *m, rs_counter c, uint64_t n) { m->counter[c] += n; }
static inline void rs_metrics_set(rs_metrics *m, rs_gauge g, int64_t v) { m->gauge[g] = v; }
static inline void rs_metrics_adjust(rs_metrics *m, rs_gauge g, int64_t d) { m->gauge[g] += d; }
static inline void rs_metrics_time(rs_metrics *m, rs_hist_id h, uint64_t us) { rs_hist_record(&m->hist[h], us); }
static inline void rs_metrics_tx(rs_metrics *m, unsigned cmd, uint64_t bytes)
{
    if (cmd >= 1 && cmd <= RS_METRIC_CMDS) {
        m->counter[RS_C_FRAMES_TX + cmd - 1]++;
        m->counter[RS_C_BYTES_TX + cmd - 1] += bytes;
    }
}
static inline void rs_metrics_rx(rs_metrics *m, unsigned cmd, uint64_t bytes)
{
    if (cmd >= 1 && cmd <= RS_METRIC_CMDS)
        m->counter[RS_C_FRAMES_RX + cmd - 1]++;
    m->counter[RS_C_BYTES_RX] += bytes;
}
static inline void rs_metrics_conn_failed(rs_metrics *m, rs_conn_fail why) { m->counter[RS_C_CONN_FAILED + why]++; }
static inline void rs_metrics_dropped(rs_metrics *m, rs_drop why, uint64_t n) { m->counter[RS_C_SAMPLES_DROPPED + why] += n; }

/* dst += src: counters and gauges add, histograms merge.  Exact. */
void rs_metrics_merge(rs_metrics *dst, const rs_metrics *src);

/* out = what happened between two cumulative snapshots of one source:
 * counters and histograms subtract (rs_hist_diff), gauges are cur's.
 * Returns false (out cleared) when prev is not an earlier state of cur,
 * e.g. after a worker restarted. */
bool rs_metrics_diff(rs_metrics *out, const rs_metrics *cur, const rs_metrics *prev);

/* Sum of n consecutive counters from first (e.g. RS_C_FRAMES_TX, RS_METRIC_CMDS). */
uint64_t rs_metrics_sum(const rs_metrics *m, rs_counter first, unsigned n);

/* Convenience sums over the families. */
static inline uint64_t rs_metrics_frames_tx(const rs_metrics *m) { return rs_metrics_sum(m, RS_C_FRAMES_TX, RS_METRIC_CMDS); }
static inline uint64_t rs_metrics_bytes_tx(const rs_metrics *m) { return rs_metrics_sum(m, RS_C_BYTES_TX, RS_METRIC_CMDS); }
static inline uint64_t rs_metrics_frames_rx(const rs_metrics *m) { return rs_metrics_sum(m, RS_C_FRAMES_RX, RS_METRIC_CMDS); }
static inline uint64_t rs_metrics_conn_failures(const rs_metrics *m) { return rs_metrics_sum(m, RS_C_CONN_FAILED, RS_CONN_FAIL_COUNT); }
static inline uint64_t rs_metrics_drops(const rs_metrics *m) { return rs_metrics_sum(m, RS_C_SAMPLES_DROPPED, RS_DROP_COUNT); }

/* The merge of every histogram marked 'latency' (timecal, activation,
 * echo): what p99_latency_ms is computed from. */
void rs_metrics_latency(const rs_metrics *m, rs_hist *out);

#endif
