/* Planning a fleet: worker processes and source addresses from N (fleet.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "remsim/fleet.h"

/* A process may hold 20,000 descriptors (a hard limit on our machines):
 * leave room for the event loop, pipes, logs and the activation link. */
#define TERMINALS_PER_WORKER 15000u
/* Ephemeral ports 32768-60999 give one source address about 28,000
 * connections to one destination; keep a margin for reconnects in flight. */
#define CONNS_PER_SOURCE 25000u
/* On loopback every 127.x.y.z is ours, and the kernel's search for a free
 * port at connect() grows with the connections a source address already
 * has to the destination: spread them thinner there. */
#define CONNS_PER_LOOPBACK_SOURCE 5000u
/* Below this, one worker per CPU costs more than it gives. */
#define TERMINALS_PER_CPU_WORKER 2000u

void rs_fleet_opts_init(rs_fleet_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 1;
    o->shards = 1;
    o->seed = 1;
    o->speed = 1.0;
    o->connect_timeout_ms = 5000;
    o->backoff_max_ms = 30000;
    o->high_water = 16384;
    o->hard_limit = 1u << 20;
    o->target.sin_family = AF_INET;
    o->national.sin_family = AF_INET;
    rs_term_keys_opts_init(&o->keys);
    rs_tls_opts_init(&o->tls);
}

static bool loopback(struct in_addr a)
{
    return (ntohl(a.s_addr) >> 24) == 127;
}

rs_code rs_fleet_plan_make(const rs_fleet_opts *o, unsigned cpus, rs_fleet_plan *p, rs_err *err)
{
    memset(p, 0, sizeof *p);
    uint32_t n = o->n;
    unsigned w = o->workers;
    if (!w) {
        w = (n + TERMINALS_PER_WORKER - 1) / TERMINALS_PER_WORKER;
        unsigned by_cpu = (n + TERMINALS_PER_CPU_WORKER - 1) / TERMINALS_PER_CPU_WORKER;
        if (by_cpu > cpus)
            by_cpu = cpus;
        if (by_cpu > w)
            w = by_cpu;
        if (w == 0)
            w = 1;
    }
    if (w > RS_FLEET_MAX_WORKERS)
        return rs_fail(err, RS_E_OPTION, 0, "workers", "at most 64 workers (each holds up to 15,000 terminals)",
                       w, RS_FLEET_MAX_WORKERS, RS_NUM_DEC);
    if (w > n)
        w = n;
    if ((n + w - 1) / w > TERMINALS_PER_WORKER)
        return rs_fail(err, RS_E_OPTION, 0, "workers", "at most 15,000 terminals per worker (20,000 descriptors a process)",
                       (n + w - 1) / w, TERMINALS_PER_WORKER, RS_NUM_DEC);
    p->workers = w;
    for (unsigned i = 0, first = 0; i < w; i++) {
        p->first[i] = first;
        p->count[i] = n / w + (i < n % w);
        first += p->count[i];
    }

    unsigned need = (n + CONNS_PER_SOURCE - 1) / CONNS_PER_SOURCE;
    if (o->n_sources) {
        if (o->n_sources < need)
            return rs_fail(err, RS_E_OPTION, 0, "source", "one source address per 25,000 connections to one port",
                           o->n_sources, need, RS_NUM_DEC);
        p->n_sources = o->n_sources;
        memcpy(p->source, o->source, o->n_sources * sizeof o->source[0]);
    } else if (loopback(o->target.sin_addr)) {
        /* Every 127.x.y.z is ours on loopback: 127.0.0.1, .2, ... */
        need = (n + CONNS_PER_LOOPBACK_SOURCE - 1) / CONNS_PER_LOOPBACK_SOURCE;
        if (need > RS_FLEET_MAX_SOURCES)
            need = RS_FLEET_MAX_SOURCES;
        p->n_sources = need ? need : 1;
        for (unsigned i = 0; i < p->n_sources; i++)
            p->source[i].s_addr = htonl(0x7F000001u + i);
    } else if (need > 1) {
        return rs_fail(err, RS_E_OPTION, 0, "source",
                       "more than 25,000 connections to one port need several source addresses (--source)",
                       0, need, RS_NUM_DEC);
    } else {
        p->n_sources = 0; /* the kernel chooses by route */
    }
    p->per_source = p->n_sources ? (n + p->n_sources - 1) / p->n_sources : n;
    char first[INET_ADDRSTRLEN] = "default", last[INET_ADDRSTRLEN] = "";
    if (p->n_sources) {
        inet_ntop(AF_INET, &p->source[0], first, sizeof first);
        inet_ntop(AF_INET, &p->source[p->n_sources - 1], last, sizeof last);
    }
    snprintf(p->why, sizeof p->why, "%u terminals: %u worker%s (up to %u each), %u source address%s (%s%s%s, %u connections each at most)",
             n, w, w == 1 ? "" : "s", TERMINALS_PER_WORKER, p->n_sources ? p->n_sources : 1,
             p->n_sources > 1 ? "es" : "", first, p->n_sources > 1 ? ".." : "", p->n_sources > 1 ? last : "",
             p->per_source);
    return RS_OK;
}
