/* The reference endpoint (`remsim serve`): a strict receiver terminals
 * connect to, embeddable so `remsim run` can start it in-process.
 *
 *     rs_serve_opts o;
 *     rs_serve_opts_init(&o);                 // gb17691, 0.0.0.0, port 0, one worker per CPU
 *     o.host = "127.0.0.1"; o.workers = 2; o.log_path = "frames.log";
 *     rs_serve h;
 *     if (rs_serve_start(&o, &h, &err) != RS_OK) ...   // returns once every worker listens
 *     ... terminals connect to 127.0.0.1:h.port ...
 *     rs_serve_stop(&h);                      // SIGTERM, wait, merge per-VIN tables
 *     const rs_serve_totals *t = rs_serve_result(&h);
 *     const rs_serve_vin *v = rs_serve_vins(&h, &n);
 *     rs_serve_free(&h);
 *
 * Processes: the caller's process is the coordinator.  It binds the
 * address first (so port 0 yields a port), then forks `workers` processes;
 * each binds the same address with SO_REUSEPORT, listens, and runs its own
 * libev loop over its own connections.  Workers publish their counters to
 * a shared memory page every second (rs_serve_snapshot() sums them) and, at
 * exit, write their per-VIN tables to a memory file (memfd) the coordinator
 * created; the coordinator merges the tables so per-VIN counts are exact
 * whichever worker each connection landed on.  docs/serve.md has the rest. */
#ifndef REMSIM_SERVE_H
#define REMSIM_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "remsim/answer.h"
#include "remsim/error.h"
#include "remsim/json.h"
#include "remsim/profile.h"
#include "remsim/tls.h"

/* Why a connection ended. */
typedef enum rs_serve_close {
    RS_SERVE_CLOSE_PEER = 0,     /* the peer closed (FIN), after its answers were sent */
    RS_SERVE_CLOSE_RESET,        /* read or write error (reset, broken pipe) */
    RS_SERVE_CLOSE_IDLE,         /* no complete frame for idle_timeout */
    RS_SERVE_CLOSE_RATE,         /* more than max_fps frames in one second */
    RS_SERVE_CLOSE_FAULT,        /* --fault close-on-valid */
    RS_SERVE_CLOSE_SHUTDOWN,     /* the endpoint stopped */
    RS_SERVE_CLOSE_TLS,          /* the TLS handshake failed (tls_failed says why) */
    RS_SERVE_CLOSE_COUNT
} rs_serve_close;

/* Why a connection was refused (accepted and closed at once). */
typedef enum rs_serve_refuse {
    RS_SERVE_REFUSE_LIMIT = 0,   /* the worker holds max_conns connections */
    RS_SERVE_REFUSE_NO_FD,       /* no descriptor left (EMFILE/ENFILE) */
    RS_SERVE_REFUSE_COUNT
} rs_serve_refuse;

/* Session and serial findings on frames that were accepted (§6, §10, §13).
 * They do not reject a frame. */
typedef enum rs_serve_finding {
    RS_SERVE_FIND_LOGIN_SERIAL = 0,  /* login serial not above the last one this worker saw that day */
    RS_SERVE_FIND_LOGOUT_SERIAL,     /* logout serial differs from the session's login serial */
    RS_SERVE_FIND_REPORT_SERIAL,     /* real-time packet serial not above the last one that day */
    RS_SERVE_FIND_NO_SESSION,        /* report, logout or alarm on a connection without a login */
    RS_SERVE_FIND_TAMPER_SERIAL,     /* HJ removal alarm serial not above the last one that day (§9.4) */
    RS_SERVE_FIND_COUNT
} rs_serve_finding;

/* How the endpoint decided an HJ activation 0x07 (§9.2, §9.3; docs/security.md). */
typedef enum rs_serve_act {
    RS_SERVE_ACT_OK = 0,         /* 01 00: registered */
    RS_SERVE_ACT_ALREADY,        /* 02 01: the chip ID was registered before (this VIN or another) */
    RS_SERVE_ACT_VIN_ERROR,      /* 02 02: header VIN != body VIN, or the VIN breaks the VIN rules */
    RS_SERVE_ACT_OTHER,          /* 02 03: signature missing or failed, bad public key, VIN taken by another chip */
    RS_SERVE_ACT_TABLE_FULL,     /* 02 03: the registry is full (--registry-size) */
    RS_SERVE_ACT_UNANSWERED,     /* no answer: --fault activation=silent */
    RS_SERVE_ACT_COUNT
} rs_serve_act;

/* Why a signature failed (the first reason is kept per VIN). */
typedef enum rs_serve_sig_fail {
    RS_SERVE_SIGFAIL_NONE = 0,
    RS_SERVE_SIGFAIL_NO_MATCH,   /* "no_match": fails with the chip ID and the default ID (§13 ERROR) */
    RS_SERVE_SIGFAIL_RANGE,      /* "r_s_range": r or s outside [1, n-1] or of a bad length */
    RS_SERVE_SIGFAIL_BAD_KEY,    /* "bad_public_key": the activation's key is not a curve point */
    RS_SERVE_SIGFAIL_ERROR,      /* "verifier_error": the verifier could not run */
    RS_SERVE_SIGFAIL_COUNT
} rs_serve_sig_fail;

/* --fault activation=... */
typedef enum rs_serve_act_fault {
    RS_SERVE_ACT_FAULT_NONE = 0,
    RS_SERVE_ACT_FAULT_VIN_ERROR,    /* every activation gets 02 02 */
    RS_SERVE_ACT_FAULT_OTHER,        /* 02 03 */
    RS_SERVE_ACT_FAULT_ALREADY,      /* 02 01 */
    RS_SERVE_ACT_FAULT_SILENT        /* no answer */
} rs_serve_act_fault;

const char *rs_serve_close_name(rs_serve_close c);
const char *rs_serve_act_name(rs_serve_act a);            /* "ok", "already", "vin_error", ... */
const char *rs_serve_sig_fail_name(rs_serve_sig_fail f);  /* "no_match", ...; "" for NONE */
const char *rs_serve_refuse_name(rs_serve_refuse r);
const char *rs_serve_finding_name(rs_serve_finding f);

/* Counters of a run (one worker's, or summed).  Only uint64_t members, so
 * workers can publish them word by word. */
typedef struct rs_serve_totals {
    uint64_t conn_accepted;
    uint64_t conn_open;                          /* gauge */
    uint64_t conn_refused[RS_SERVE_REFUSE_COUNT];
    uint64_t conn_closed[RS_SERVE_CLOSE_COUNT];
    uint64_t bytes_in, bytes_out;
    uint64_t frames;                             /* accepted frames (decoded, checked) */
    uint64_t frames_by_cmd[256];
    uint64_t answers;                            /* answer frames sent (queued) */
    uint64_t rejected;                           /* rejected frames and stretches of bytes */
    uint64_t rejected_by[RS_E_COUNT];            /* by rs_code (rs_code_name()) */
    uint64_t garbage_bytes;                      /* bytes skipped outside any frame */
    uint64_t warnings_by[RS_E_COUNT];            /* tolerated deviations on accepted frames */
    uint64_t findings[RS_SERVE_FIND_COUNT];
    uint64_t samples_live;                       /* stream samples in 0x02 */
    uint64_t samples_reissue;                    /* stream samples in 0x03 */
    uint64_t samples_untimed;                    /* of those, with a collect time outside the calendar */
    uint64_t samples_distinct;                   /* distinct (VIN, collect time); exact after the merge */
    uint64_t duplicates;                         /* live + reissue - untimed - distinct */
    uint64_t vins;                               /* distinct VINs */
    uint64_t fault_dropped;                      /* frames ignored by --fault drop-every */
    uint64_t log_lines, log_bytes, log_errors;
    uint64_t log_suppressed;                     /* rejection lines not written (more than 20/s per connection) */
    uint64_t fwd_frames, fwd_bytes;              /* forwarded upstream (written) */
    uint64_t fwd_dropped;                        /* backlog full: frames not forwarded */
    uint64_t fwd_connects, fwd_connect_failures, fwd_disconnects;
    uint64_t fwd_backlog;                        /* gauge: bytes waiting */
    uint64_t read_pauses;                        /* reading paused: answers not read by the peer */
    uint64_t vin_bytes;                          /* gauge: memory of the per-VIN tables */
    /* TLS (--tls, docs/security.md) */
    uint64_t tls_handshakes;                     /* completed */
    uint64_t tls_resumed;                        /* of those, resumed sessions */
    uint64_t tls_handshake_us;                   /* sum of their durations (accept to finished) */
    uint64_t tls_failed[RS_TLS_FAIL_COUNT];      /* failed handshakes by reason (rs_tls_fail_name) */
    /* HJ 1239 security (docs/security.md): signatures of 0x02/0x03/0x07 */
    uint64_t sig_verified;                       /* verified with the chip ID */
    uint64_t sig_verified_default;               /* verified only with the default ID (WARN, §9.1) */
    uint64_t sig_failed;                         /* failed with both IDs while the key is known (ERROR, §13) */
    uint64_t sig_unknown_key;                    /* no key registered for the VIN: not verifiable (INFO) */
    uint64_t sig_missing;                        /* signed command without a signature block (sig_missing) */
    uint64_t sig_verify_ns;                      /* CPU spent verifying (monotonic clock) */
    uint64_t samples_untrusted;                  /* stream samples in frames whose signature failed */
    uint64_t activations[RS_SERVE_ACT_COUNT];    /* by decision (rs_serve_act) */
    uint64_t activation_vin_taken;               /* of ACT_OTHER: the VIN is registered with another chip */
} rs_serve_totals;

/* Frames by command kept per VIN: [1..8] for commands 0x01-0x08, [0] others. */
#define RS_SERVE_VIN_CMDS 9

/* One VIN's counts (after rs_serve_stop/rs_serve_wait: merged over workers). */
typedef struct rs_serve_vin {
    uint8_t vin[17];                             /* header bytes as sent */
    uint32_t logins, logouts;
    uint32_t frames[RS_SERVE_VIN_CMDS];
    uint32_t samples_live, samples_reissue, samples_untimed;
    uint32_t samples_distinct;                   /* distinct collect times: every sample received counts once */
    uint32_t duplicates;                         /* live + reissue - untimed - distinct */
    uint32_t rejected;                           /* frames with this VIN that were rejected */
    uint32_t findings;                           /* session/serial findings */
    int64_t first_collect, last_collect;         /* Unix seconds of the earliest and latest sample; 0: none */
    uint32_t sig_verified;                       /* with either ID */
    uint32_t sig_default_id;                     /* of those, only with the default ID */
    uint32_t sig_failed, sig_unknown_key, sig_missing;
    uint32_t samples_untrusted;                  /* not in samples_live/reissue/distinct */
    uint32_t activations[RS_SERVE_ACT_COUNT];
    uint8_t sig_fail_reason;                     /* rs_serve_sig_fail of the first failure */
} rs_serve_vin;

typedef struct rs_serve_opts {
    rs_profile profile;          /* protocol and tolerances of the link; max_data_len is the frame limit */
    const char *host;            /* address to listen on (default "0.0.0.0"; "::" for IPv6) */
    uint16_t port;               /* 0: the kernel picks one (rs_serve.port) */
    unsigned workers;            /* 0: one per CPU */
    unsigned max_conns;          /* per worker; 0: what the descriptor limit allows */
    double idle_timeout;         /* seconds without a complete frame before a close (default 300) */
    uint32_t max_buffered;       /* answer bytes a connection may have queued before reading pauses (64 KiB) */
    uint32_t max_fps;            /* frames per second per connection, then a close; 0 = no limit */
    rs_answer_cfg answer;        /* answers, role, activation hook; answer faults */
    const char *log_path;        /* frame log (framelog.h), NULL: none */
    bool log_fsync;              /* fdatasync at every flush */
    bool log_events;             /* connection open/close comment lines (default on) */
    const char *forward;         /* "HOST:PORT" upstream (gateway mode), NULL: none */
    uint32_t forward_backlog;    /* bytes waiting per worker while upstream is slow or down (4 MiB) */
    const char *summary_path;    /* JSON summary written when the run ends, NULL: none */
    rs_tls_opts tls;             /* TLS for terminals (tls.h, docs/security.md); off by default */
    double stop_timeout;         /* seconds rs_serve_stop waits before SIGKILL (default 10) */
    /* Faults, only to test checkers (docs/serve.md); per connection: */
    uint32_t fault_close_on_valid;   /* close after every N-th valid frame */
    uint32_t fault_drop_every;       /* ignore every N-th frame: not logged, answered or counted */
    uint8_t fault_activation;        /* rs_serve_act_fault: the same 0x08 answer (or none) to everyone */
    /* HJ 1239 security (docs/security.md): */
    bool verify;                     /* verify SM2 signatures of HJ 0x02/0x03/0x07 (default on) */
    const char *keys_dir;            /* pre-registered public keys (DIR/<VIN>.pub.pem, .chip), NULL: none */
    uint32_t registry_size;          /* terminals the shared key registry holds (default 100000) */
} rs_serve_opts;

void rs_serve_opts_init(rs_serve_opts *o);

/* "wrong-time", "wrong-answer-cmd", "close-on-valid=N", "drop-every=N",
 * "activation=vin-error|other|already|silent". */
rs_code rs_serve_fault_set(rs_serve_opts *o, const char *spec, rs_err *err);

struct rs_serve_state;

typedef struct rs_serve {
    uint16_t port;               /* the port workers listen on */
    unsigned workers;            /* workers started */
    unsigned max_conns;          /* connections each worker accepts */
    unsigned fd_limit;           /* descriptor limit each worker runs with */
    struct rs_serve_state *st;   /* private */
} rs_serve;

/* Binds, forks the workers, returns once every worker listens.  Raises the
 * process's soft descriptor limit to the hard one.  Errors: RS_E_OPTION (a
 * bad option), RS_E_IO (bind, listen, fork, log file; got = errno).  On
 * error nothing is left running and *h needs no rs_serve_free(). */
rs_code rs_serve_start(const rs_serve_opts *o, rs_serve *h, rs_err *err);

/* Sleeps up to timeout_ms (0: not at all) and reaps workers that ended.
 * Returns how many still run. */
unsigned rs_serve_poll(rs_serve *h, int timeout_ms);

/* The counters now, summed over workers (published once a second). */
void rs_serve_snapshot(const rs_serve *h, rs_serve_totals *t);

/* Graceful stop: SIGTERM to every worker (each stops accepting, flushes
 * answers and the log, closes its connections), waits (SIGKILL after
 * stop_timeout), merges the per-VIN tables and writes the summary file.
 * Returns RS_E_IO when the summary cannot be written (err says why). */
rs_code rs_serve_stop(rs_serve *h, rs_err *err);
/* The same without the SIGTERM: waits for workers that stop by themselves
 * (a signal sent to the process group, say). */
rs_code rs_serve_wait(rs_serve *h, rs_err *err);

/* After stop/wait: the totals, and the VINs sorted by VIN. */
const rs_serve_totals *rs_serve_result(const rs_serve *h);
const rs_serve_vin *rs_serve_vins(const rs_serve *h, size_t *n);
const rs_serve_vin *rs_serve_vin_find(const rs_serve *h, const uint8_t vin[17]);
/* Workers that ended other than by a clean exit (crash, kill). */
unsigned rs_serve_worker_failures(const rs_serve *h);

/* The summary document (docs/serve.md), and a text summary for people. */
void rs_serve_summary_json(const rs_serve *h, rs_json *j);
void rs_serve_summary_text(const rs_serve *h, FILE *out);
/* One progress line from a snapshot and the previous one (rates over dt seconds). */
void rs_serve_progress_line(const rs_serve_totals *now, const rs_serve_totals *before, double dt, double elapsed,
                            FILE *out);

/* Frees what start allocated; stops workers first if they still run. */
void rs_serve_free(rs_serve *h);

#endif
