/* The fleet: N virtual trucks on the network (docs/run.md).
 *
 * A coordinator plans worker processes and source addresses from N, forks
 * the workers, gathers their metrics each second (rs_metrics over a pipe),
 * shows progress and, at the end, compares what each VIN generated with
 * what the endpoint received.  Each worker runs one libev loop holding its
 * shard of the trucks: every virtual second (1/speed s of wall time) it
 * steps them all, and their terminals' frames go out on non-blocking TCP
 * links.  Workers are processes, not threads: a process may hold at most
 * 20,000 descriptors on the machines we run on, and a crashed worker
 * cannot take the others down.
 *
 * Nothing is lost silently: every sample a terminal takes is sent live,
 * waits in its reissue store (a slow endpoint holds the link: rs_terminal_hold),
 * or is counted as dropped with its reason (rs_drop). */
#ifndef REMSIM_FLEET_H
#define REMSIM_FLEET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "remsim/metrics.h"
#include "remsim/run_setup.h"
#include "remsim/term_keys.h"
#include "remsim/tls.h"

#define RS_FLEET_MAX_SOURCES 256
#define RS_FLEET_MAX_WORKERS 64

typedef struct rs_fleet_opts {
    const char *scenario;
    const char *const *opts;     /* --opt key=value (run_setup.h) */
    size_t n_opts;
    uint64_t scenario_seed;      /* 0: the file's */
    uint32_t n;                  /* trucks in this shard */
    uint32_t shard, shards;      /* --shard K/N: this is shard K (0-based) of N */
    uint64_t seed;               /* VINs, ICCIDs, jitter */
    uint32_t duration_s;         /* wall seconds; 0: the drive cycle at the speed given */
    double speed;                /* virtual seconds per wall second */
    double ramp;                 /* trucks started per wall second; 0: all at once */
    struct sockaddr_in target;
    rs_tls_opts tls;             /* TLS on the terminal links (tls.h; docs/security.md) */
    bool activation;             /* HJ terminals activate against national (terminal option activate) */
    struct sockaddr_in national; /* the national platform's activation service (§9.2) */
    rs_term_keys_opts keys;      /* HJ signing keys and chip IDs (term_keys.h) */
    struct in_addr source[RS_FLEET_MAX_SOURCES];
    unsigned n_sources;          /* 0: planned (127.0.0.x on loopback, else the default route) */
    unsigned workers;            /* 0: planned */
    uint32_t connect_timeout_ms; /* 5000 */
    uint32_t backoff_max_ms;     /* reconnect backoff cap: 30000 */
    uint32_t high_water;         /* send queue bytes that hold the link: 16384 */
    uint32_t hard_limit;         /* send queue bytes that drop the connection: 1 MiB */
    int64_t start_unix;          /* virtual time at start; 0: now */
    bool quiet;
} rs_fleet_opts;

void rs_fleet_opts_init(rs_fleet_opts *o);

typedef struct rs_fleet_plan {
    unsigned workers;
    uint32_t first[RS_FLEET_MAX_WORKERS];   /* first truck (local index) of each worker */
    uint32_t count[RS_FLEET_MAX_WORKERS];
    unsigned n_sources;
    struct in_addr source[RS_FLEET_MAX_SOURCES];
    uint32_t per_source;                     /* connections per source address, at most */
    char why[256];                           /* the plan in a sentence, for people */
} rs_fleet_plan;

/* Plans workers and source addresses; RS_E_OPTION when N cannot be
 * reached (too few source addresses given, too many workers needed). */
rs_code rs_fleet_plan_make(const rs_fleet_opts *o, unsigned cpus, rs_fleet_plan *p, rs_err *err);

/* Per-VIN account a worker writes at its end. */
typedef struct rs_fleet_vin {
    uint8_t vin[17];
    uint32_t generated;          /* samples taken while the ignition was on */
    uint32_t live, reissued;
    uint32_t dropped[RS_DROP_COUNT];
    uint32_t backlog;            /* still in the store at the end */
} rs_fleet_vin;

/* One worker's run: trucks [first, first+count) of the shard.  Sends a
 * metrics snapshot on fd metrics_fd every second and at the end, and the
 * per-VIN accounts into vin_file.  Returns the process exit code. */
int rs_fleet_worker(const rs_fleet_opts *o, const rs_fleet_plan *p, unsigned w, int metrics_fd,
                    const char *vin_file);

#endif
