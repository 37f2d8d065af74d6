/* One fleet worker: its shard of trucks on one libev loop (fleet.h). */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remsim/ident.h"
#include "sim/fleet_internal.h"

#define STOP_FLUSH_S 3.0  /* at the end, wait this long for queues to drain */

int64_t fleet_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fleet_vnow(const fleet_worker *w)
{
    int64_t dv = (int64_t)((double)(fleet_wall_us() - w->wsweep_us) * w->o->speed / 1000.0);
    if (dv > 999)
        dv = 999;
    if (dv < 0)
        dv = 0;
    return w->vsweep_ms + dv;
}

uint64_t fleet_random(fleet_worker *w)
{
    uint64_t x = w->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return w->rng = x;
}

void fleet_handle_out(fleet_worker *w, fleet_truck *t, int64_t now)
{
    for (int round = 0; round < 4; round++) {
        rs_term_out *out = &w->out;
        for (unsigned i = 0; i < out->n; i++) {
            const rs_term_frame *f = &out->frame[i];
            if (f->link == RS_TERM_LINK_ACTIVATION && t->act.state == LINK_UP) {
                rs_metrics_tx(&w->m, f->cmd, f->len);
                fleet_act_send(w, t, out->buf + f->off, f->len);
                continue;
            }
            if (f->link != RS_TERM_LINK_PLATFORM || t->link.state != LINK_UP)
                continue; /* the terminal sends only on links it was told are up */
            rs_metrics_tx(&w->m, f->cmd, f->len);
            if (f->cmd >= 1 && f->cmd <= RS_METRIC_CMDS)
                t->link.sent_us[f->cmd - 1] = fleet_wall_us();
            if (f->cmd == RS_CMD_REALTIME)
                rs_metrics_count(&w->m, RS_C_SAMPLES_LIVE, f->n_samples);
            else if (f->cmd == RS_CMD_REISSUE)
                rs_metrics_count(&w->m, RS_C_SAMPLES_REISSUED, f->n_samples);
            fleet_link_send(w, t, out->buf + f->off, f->len, f->n_samples);
        }
        uint8_t connect = out->connect, close_req = out->close;
        rs_term_out_clear(out);
        if (close_req & (1u << RS_TERM_LINK_ACTIVATION))
            fleet_act_close(w, t, RS_CONN_FAIL_OTHER, false, false);
        if (close_req & (1u << RS_TERM_LINK_PLATFORM))
            fleet_link_request_close(w, t);
        if ((connect & (1u << RS_TERM_LINK_ACTIVATION)) && !w->stopping)
            fleet_act_connect(w, t); /* its output is handled inside, as the platform link's */
        if (!(connect & (1u << RS_TERM_LINK_PLATFORM)) || w->stopping)
            return;
        if (t->link.state != LINK_DOWN || t->k.veh.t < t->down_until || now < t->link.retry_at)
            return; /* the terminal asks again after its reconnect period */
        fleet_link_connect(w, t);
        if (w->out.n == 0 && !w->out.connect && !w->out.close)
            return;
    }
}

static void step_truck(fleet_worker *w, fleet_truck *t, int64_t now)
{
    int64_t d;
    while ((d = rs_terminal_deadline(&t->k.term)) < now) {
        rs_terminal_tick(&t->k.term, d < w->vsweep_ms - 1000 ? w->vsweep_ms - 1000 : d, &w->out);
        fleet_handle_out(w, t, now);
    }
    if (t->link.state == LINK_CONNECTING && now >= t->link.connect_deadline)
        fleet_link_close(w, t, RS_CONN_FAIL_TIMEOUT, true, false);
    if (t->act.state == LINK_CONNECTING && now >= t->act.connect_deadline)
        fleet_act_close(w, t, RS_CONN_FAIL_TIMEOUT, true, false);
    rs_truck_net net;
    bool was_running = rs_scn_vehicle_error(&t->k.veh) == NULL;
    rs_truck_second(&t->k, w->bus, w->setup.scn, now, &w->out, &net, NULL);
    if (was_running && rs_scn_vehicle_error(&t->k.veh))
        rs_metrics_count(&w->m, RS_C_TERMINALS_STOPPED, 1);
    fleet_handle_out(w, t, now);
    if (net.down_s) {
        t->down_until = t->k.veh.t + net.down_s;
        fleet_link_close(w, t, RS_CONN_FAIL_OTHER, false, true);
    }
}

/* The per-second view the coordinator merges: cumulative counters of this
 * worker plus what the terminals hold right now. */
static void publish(fleet_worker *w)
{
    rs_metrics m = w->m;
    uint64_t generated = 0, backlog = 0, overflow = 0, act[RS_TERM_ACT_GAVE_UP + 1] = { 0 };
    for (uint32_t i = 0; i < w->started; i++) {
        const rs_term_stats *s = rs_terminal_stats(&w->t[i].k.term);
        generated += s->samples;
        backlog += s->backlog;
        overflow += s->dropped[RS_TERM_DROP_OVERFLOW];
        if (w->t[i].k.term.act_state <= RS_TERM_ACT_GAVE_UP)
            act[w->t[i].k.term.act_state]++;
    }
    m.counter[RS_C_ACTIVATED] = act[RS_TERM_ACT_DONE] + act[RS_TERM_ACT_ALREADY];
    m.counter[RS_C_ACTIVATION_VIN_ERROR] = act[RS_TERM_ACT_VIN_ERROR];
    m.counter[RS_C_ACTIVATION_GAVE_UP] = act[RS_TERM_ACT_GAVE_UP];
    m.counter[RS_C_SAMPLES_GENERATED] = generated;
    m.counter[RS_C_SAMPLES_DROPPED + RS_DROP_STORE_OVERFLOW] = overflow;
    m.gauge[RS_G_REISSUE_BACKLOG] = (int64_t)backlog;
    m.gauge[RS_G_CONNECTIONS_UP] = w->up;
    m.gauge[RS_G_TERMINALS] = w->started;
    const uint8_t *p = (const uint8_t *)&m;
    size_t left = sizeof m;
    while (left) { /* the coordinator reads all the time: a short blocking write */
        ssize_t n = write(w->metrics_fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        left -= (size_t)n;
    }
}

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void begin_stop(fleet_worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    int64_t now = fleet_vnow(w);
    /* Graceful: each terminal flushes its packet and logs out (§10), then
     * its link closes once the queue is written. */
    for (uint32_t i = 0; i < w->started; i++) {
        fleet_truck *t = &w->t[i];
        if (t->k.ign) {
            t->k.ign = false;
            rs_terminal_ignition(&t->k.term, now, false, &w->out);
            fleet_handle_out(w, t, now);
        }
    }
}

static bool queues_empty(const fleet_worker *w)
{
    for (uint32_t i = 0; i < w->started; i++)
        if (w->t[i].link.state == LINK_UP && w->t[i].link.qoff < w->t[i].link.qlen)
            return false;
    return true;
}

static void on_sweep(struct ev_loop *loop, ev_timer *tm, int revents)
{
    (void)revents;
    fleet_worker *w = ev_userdata(loop);
    int64_t wall = fleet_wall_us();
    if (w->stopping) {
        if (queues_empty(w) || (double)(wall - w->wsweep_us) / 1e6 > STOP_FLUSH_S) {
            ev_timer_stop(loop, tm);
            ev_break(loop, EVBREAK_ALL);
        }
        return;
    }
    w->ticks++;
    w->vsweep_ms = w->vstart_ms + (int64_t)w->ticks * 1000;
    w->wsweep_us = wall;
    double elapsed = (double)(wall - w->wstart_us) / 1e6;
    /* Ramp: this worker's share of the trucks started per wall second. */
    uint32_t want = w->n;
    if (w->o->ramp > 0) {
        double share = w->o->ramp * (double)w->n / (double)(w->o->n ? w->o->n : 1);
        double k = share * (elapsed + 1.0 / w->o->speed);
        want = k < (double)w->n ? (uint32_t)k : w->n;
        if (want == 0)
            want = 1;
    }
    while (w->started < want)
        w->t[w->started++].started = true;
    for (uint32_t i = 0; i < w->started; i++)
        step_truck(w, &w->t[i], w->vsweep_ms);
    if (wall - w->wpub_us >= 1000000) {
        w->wpub_us = wall;
        publish(w);
    }
    if (g_stop || (w->o->duration_s && elapsed >= w->o->duration_s)) {
        begin_stop(w);
        ev_timer_set(tm, 0.05, 0.05);
        ev_timer_again(loop, tm);
    }
}

static void write_vins(fleet_worker *w, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    for (uint32_t i = 0; i < w->n; i++) {
        const fleet_truck *t = &w->t[i];
        const rs_term_stats *s = rs_terminal_stats(&t->k.term);
        rs_fleet_vin v;
        memset(&v, 0, sizeof v);
        memcpy(v.vin, t->k.term.id.vin, 17);
        v.generated = s->samples;
        v.live = s->sent_live;
        v.reissued = s->sent_reissue;
        v.dropped[RS_DROP_STORE_OVERFLOW] = s->dropped[RS_TERM_DROP_OVERFLOW];
        v.dropped[RS_DROP_ENCODE] = s->dropped[RS_TERM_DROP_ENCODE];
        v.dropped[RS_DROP_CONN_LOST_UNSENT] = t->lost_unsent;
        v.backlog = s->backlog;
        fwrite(&v, sizeof v, 1, f);
    }
    fclose(f);
}

static int setup(fleet_worker *w, unsigned k)
{
    rs_scn_opts so;
    rs_scn_opts_init(&so);
    so.seed = w->o->scenario_seed;
    so.start_unix = w->vstart_ms / 1000;
    char msg[512];
    if (rs_run_setup_load(&w->setup, w->o->scenario, &so, w->o->opts, w->o->n_opts, msg, sizeof msg) != RS_OK) {
        fprintf(stderr, "remsim run: worker %u: %s\n", k, msg);
        return 2;
    }
    w->store_bytes = rs_terminal_store_bytes(&w->setup.term);
    w->t = calloc(w->n ? w->n : 1, sizeof *w->t);
    w->stores = calloc(w->n ? w->n : 1, w->store_bytes ? w->store_bytes : 1);
    w->bus = malloc(sizeof *w->bus);
    w->scratch = malloc(sizeof *w->scratch);
    rs_err err;
    if (!w->t || !w->stores || !w->bus || !w->scratch || rs_truck_bus_init(w->bus, &w->setup.truck, &err) != RS_OK) {
        fprintf(stderr, "remsim run: worker %u: out of memory\n", k);
        return 2;
    }
    rs_term_out_init(&w->out, w->outbuf, sizeof w->outbuf, w->scratch);
    if (w->o->tls.enabled) { /* one TLS context per worker process */
        char why[512];
        if (!(w->tls = rs_tls_ctx_new(&w->o->tls, RS_TLS_CLIENT, &err, why, sizeof why))) {
            fprintf(stderr, "remsim run: worker %u: TLS: %s\n", k, why);
            return 2;
        }
    }
    if (!w->o->activation)
        w->setup.term.activate = false; /* no national platform to activate against */
    bool hj = w->setup.profile.proto == RS_PROTO_HJ1239;
    if (hj && !(w->sm2 = rs_sm2_new(&err))) {
        fprintf(stderr, "remsim run: worker %u: SM2 unavailable in this OpenSSL\n", k);
        return 2;
    }
    rs_veh_type type = rs_scenario_type(w->setup.scn);
    uint64_t shard_base = (uint64_t)w->o->shard * w->o->n; /* --shard K/N: disjoint global indices */
    for (uint32_t i = 0; i < w->n; i++) {
        fleet_truck *t = &w->t[i];
        uint32_t local = w->p->first[k] + i;
        rs_term_ident id;
        memset(&id, 0, sizeof id);
        rs_ident_vin(w->o->seed, shard_base + local, type, id.vin);
        rs_ident_iccid(w->o->seed, shard_base + local, id.iccid);
        t->index = local;
        rs_term_keys_opts keys = w->o->keys;
        keys.sign = keys.sign && hj;
        if (rs_term_keys_setup(w->sm2, &keys, w->o->seed, shard_base + local, &id, &t->signer, &err) != RS_OK ||
            rs_truck_init(&t->k, w->setup.scn, local, &w->setup.profile, &w->setup.term, &id,
                          w->stores + (size_t)i * w->store_bytes, w->store_bytes, &err) != RS_OK) {
            char m[256];
            rs_err_format(&err, m, sizeof m);
            fprintf(stderr, "remsim run: worker %u: %s\n", k, m);
            return 2;
        }
    }
    return 0;
}

int rs_fleet_worker(const rs_fleet_opts *o, const rs_fleet_plan *p, unsigned k, int metrics_fd,
                    const char *vin_file)
{
    fleet_worker *w = calloc(1, sizeof *w);
    if (!w)
        return 2;
    w->o = o;
    w->p = p;
    w->n = p->count[k];
    w->metrics_fd = metrics_fd;
    w->rng = (o->seed * 0x9E3779B97F4A7C15ull) ^ (k + 1);
    w->vstart_ms = (o->start_unix ? o->start_unix : (int64_t)time(NULL)) * 1000;
    w->vsweep_ms = w->vstart_ms;
    char name[16];
    snprintf(name, sizeof name, "rs-fleet-%u", k); /* ps, top and the fleet bench tell workers apart */
    prctl(PR_SET_NAME, name, 0, 0, 0);
    int rc = setup(w, k);
    if (rc == 0) {
        signal(SIGPIPE, SIG_IGN);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        w->loop = ev_loop_new(EVFLAG_AUTO);
        ev_set_userdata(w->loop, w);
        w->wstart_us = w->wsweep_us = fleet_wall_us();
        ev_timer sweep;
        double period = 1.0 / o->speed;
        ev_timer_init(&sweep, on_sweep, period, period);
        ev_timer_start(w->loop, &sweep);
        ev_run(w->loop, 0);
        for (uint32_t i = 0; i < w->started; i++) {
            fleet_link_close(w, &w->t[i], RS_CONN_FAIL_OTHER, false, false);
            fleet_act_close(w, &w->t[i], RS_CONN_FAIL_OTHER, false, false);
        }
        publish(w);
        write_vins(w, vin_file);
        ev_loop_destroy(w->loop);
    }
    for (uint32_t i = 0; w->t && i < w->n; i++)
        rs_truck_free(&w->t[i].k, w->setup.scn);
    if (w->setup.scn)
        rs_run_setup_free(&w->setup);
    free(w->t);
    free(w->stores);
    free(w->bus);
    free(w->scratch);
    rs_tls_ctx_free(w->tls);
    rs_sm2_free(w->sm2);
    free(w);
    return rc;
}
