/* Offline runs (offline.h): trucks in virtual time, frames to a file. */
#include "remsim/offline.h"

#include <stdlib.h>
#include <string.h>

#include "remsim/framelog.h"
#include "remsim/ident.h"

void rs_offline_opts_init(rs_offline_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 1;
    o->seed = 1;
    o->start_unix = 1767225600; /* 2026-01-01T00:00:00Z */
    rs_term_keys_opts_init(&o->keys);
}

/* One frame line waiting for the end of its second, to be written in time order. */
typedef struct line {
    int64_t at_ms;
    uint32_t truck, seq;
    uint32_t off, len;           /* hex text in the run's text buffer */
} line;

typedef struct offline_truck {
    bool up[RS_TERM_LINK_COUNT];
    uint32_t down_until;         /* vehicle second the network comes back */
} offline_truck;

typedef struct run {
    rs_run_setup *setup;
    const rs_offline_opts *o;
    rs_offline_result *r;
    rs_truck *trucks;
    offline_truck *net;
    uint8_t *stores;
    size_t store_bytes;
    rs_truck_bus *bus;
    rs_sm2 *sm2;                 /* HJ signing, NULL otherwise */
    rs_term_signer *signers;
    rs_msg *scratch;
    uint8_t outbuf[RS_TERM_OUT_BYTES];
    rs_term_out out;
    line *lines;
    size_t n_lines, cap_lines;
    char *text;
    size_t text_len, text_cap;
    uint32_t seq;
} run;

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static void keep_line(run *ru, uint32_t truck, int64_t at_ms, const uint8_t *frame, size_t len)
{
    if (!ru->o->out)
        return;
    if (!grow((void **)&ru->lines, &ru->cap_lines, ru->n_lines + 1, sizeof(line)) ||
        !grow((void **)&ru->text, &ru->text_cap, ru->text_len + 2 * len + 1, 1))
        return;
    static const char hex[] = "0123456789ABCDEF";
    char *p = ru->text + ru->text_len;
    for (size_t i = 0; i < len; i++) {
        p[2 * i] = hex[frame[i] >> 4];
        p[2 * i + 1] = hex[frame[i] & 15];
    }
    line *l = &ru->lines[ru->n_lines++];
    l->at_ms = at_ms;
    l->truck = truck;
    l->seq = ru->seq++;
    l->off = (uint32_t)ru->text_len;
    l->len = (uint32_t)(2 * len);
    ru->text_len += 2 * len;
}

static int by_time(const void *a, const void *b)
{
    const line *x = a, *y = b;
    if (x->at_ms != y->at_ms)
        return x->at_ms < y->at_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void write_lines(run *ru)
{
    qsort(ru->lines, ru->n_lines, sizeof(line), by_time);
    for (size_t i = 0; i < ru->n_lines; i++) {
        const line *l = &ru->lines[i];
        char when[RS_FRAMELOG_TIME_LEN + 1], vin[18];
        rs_framelog_time(l->at_ms, when);
        rs_framelog_vin_text(ru->trucks[l->truck].term.id.vin, vin);
        fprintf(ru->o->out, "%s " RS_OFFLINE_PEER " %s %.*s\n", when, vin, (int)l->len, ru->text + l->off);
    }
    ru->n_lines = 0;
    ru->text_len = 0;
}

/* Sends out's frames, then acts on its close and connect requests; a
 * connect is granted at once unless the network is down, and the login it
 * triggers is handled in the same call. */
static void drain(run *ru, uint32_t i, int64_t now)
{
    rs_truck *k = &ru->trucks[i];
    offline_truck *nt = &ru->net[i];
    rs_term_out *out = &ru->out;
    for (int round = 0; round < 4; round++) {
        for (unsigned f = 0; f < out->n; f++) {
            const rs_term_frame *fr = &out->frame[f];
            if (!nt->up[fr->link])
                continue; /* the terminal only sends on a link it was told is up */
            ru->r->frames++;
            ru->r->bytes += fr->len;
            ru->r->frames_by_cmd[fr->cmd & 15]++;
            keep_line(ru, i, now, out->buf + fr->off, fr->len);
        }
        uint8_t connect = out->connect, close = out->close;
        rs_term_out_clear(out);
        for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
            if (close & (1u << l))
                nt->up[l] = false;
        bool again = false;
        for (int l = 0; l < RS_TERM_LINK_COUNT; l++) {
            if (!(connect & (1u << l)) || nt->up[l] || k->veh.t < nt->down_until)
                continue;
            nt->up[l] = true;
            rs_terminal_connected(&k->term, now, (rs_term_link)l, out);
            again = true;
        }
        if (!again)
            return;
    }
}

static void tick_until(run *ru, uint32_t i, int64_t before)
{
    rs_terminal *t = &ru->trucks[i].term;
    for (int guard = 0; guard < 1000; guard++) {
        int64_t d = rs_terminal_deadline(t);
        if (d == RS_TERM_NEVER || d >= before)
            return;
        rs_terminal_tick(t, d, &ru->out);
        drain(ru, i, d);
    }
}

static void truck_second(run *ru, uint32_t i, int64_t now)
{
    rs_truck *k = &ru->trucks[i];
    offline_truck *nt = &ru->net[i];
    tick_until(ru, i, now);
    rs_truck_net net;
    bool was_running = rs_scn_vehicle_error(&k->veh) == NULL;
    rs_truck_second(k, ru->bus, ru->setup->scn, now, &ru->out, &net, NULL);
    if (was_running && rs_scn_vehicle_error(&k->veh)) {
        if (ru->r->stopped++ == 0)
            snprintf(ru->r->first_error, sizeof ru->r->first_error, "%s", rs_scn_vehicle_error(&k->veh));
    }
    drain(ru, i, now);
    if (net.down_s) {
        nt->down_until = k->veh.t + net.down_s;
        for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
            if (nt->up[l]) {
                nt->up[l] = false;
                rs_terminal_closed(&k->term, now, (rs_term_link)l, &ru->out);
                drain(ru, i, now);
            }
    }
    ru->r->truck_seconds++;
}

static void finish(run *ru, int64_t now)
{
    for (uint32_t i = 0; i < ru->o->n; i++) {
        rs_truck *k = &ru->trucks[i];
        tick_until(ru, i, now);
        if (k->ign) {
            k->ign = false;
            rs_terminal_ignition(&k->term, now, false, &ru->out);
            drain(ru, i, now);
        }
        const rs_term_stats *st = rs_terminal_stats(&k->term);
        ru->r->samples += st->samples;
        ru->r->sent_live += st->sent_live;
        ru->r->sent_reissue += st->sent_reissue;
        ru->r->stored += st->stored;
        ru->r->backlog += st->backlog;
        for (int d = 0; d < RS_TERM_DROP_COUNT; d++)
            ru->r->dropped += st->dropped[d];
    }
    write_lines(ru);
    ru->r->can_frames = ru->bus->stats.can_frames;
}

static void cleanup(run *ru, uint32_t made)
{
    for (uint32_t i = 0; i < made; i++)
        rs_truck_free(&ru->trucks[i], ru->setup->scn);
    free(ru->trucks);
    free(ru->net);
    free(ru->stores);
    free(ru->bus);
    free(ru->signers);
    rs_sm2_free(ru->sm2);
    free(ru->scratch);
    free(ru->lines);
    free(ru->text);
}

rs_code rs_offline_run(rs_run_setup *setup, const rs_offline_opts *o, rs_offline_result *r, rs_err *err)
{
    memset(r, 0, sizeof *r);
    run ru = { .setup = setup, .o = o, .r = r };
    ru.store_bytes = rs_terminal_store_bytes(&setup->term);
    ru.trucks = calloc(o->n ? o->n : 1, sizeof *ru.trucks);
    ru.net = calloc(o->n ? o->n : 1, sizeof *ru.net);
    /* calloc'd stores cost address space only until an outage fills them */
    ru.stores = calloc(o->n ? o->n : 1, ru.store_bytes ? ru.store_bytes : 1);
    ru.bus = malloc(sizeof *ru.bus);
    ru.scratch = malloc(sizeof *ru.scratch);
    if (!ru.trucks || !ru.net || !ru.stores || !ru.bus || !ru.scratch) {
        cleanup(&ru, 0);
        return rs_fail(err, RS_E_SPACE, 0, "n", "memory for the trucks", o->n, 0, RS_NUM_GOT_ONLY);
    }
    rs_term_out_init(&ru.out, ru.outbuf, sizeof ru.outbuf, ru.scratch);
    rs_code rc = rs_truck_bus_init(ru.bus, &setup->truck, err);
    if (rc != RS_OK) {
        cleanup(&ru, 0);
        return rc;
    }
    rs_term_keys_opts keys = o->keys;
    keys.sign = keys.sign && setup->profile.proto == RS_PROTO_HJ1239;
    if (keys.sign) {
        ru.signers = calloc(o->n ? o->n : 1, sizeof *ru.signers);
        if (!ru.signers || !(ru.sm2 = rs_sm2_new(err))) {
            cleanup(&ru, 0);
            return ru.signers ? err->code : rs_fail(err, RS_E_SPACE, 0, "n", "memory for the signers", o->n, 0,
                                                    RS_NUM_GOT_ONLY);
        }
    }
    rs_veh_type type = rs_scenario_type(setup->scn);
    uint32_t made = 0;
    for (; made < o->n; made++) {
        rs_term_ident id;
        memset(&id, 0, sizeof id);
        rs_ident_vin(o->seed, o->first_index + made, type, id.vin);
        rs_ident_iccid(o->seed, o->first_index + made, id.iccid);
        rc = rs_term_keys_setup(ru.sm2, &keys, o->seed, o->first_index + made, &id,
                                ru.signers ? &ru.signers[made] : NULL, err);
        if (rc == RS_OK)
            rc = rs_truck_init(&ru.trucks[made], setup->scn, made, &setup->profile, &setup->term, &id,
                           ru.stores + (size_t)made * ru.store_bytes, ru.store_bytes, err);
        if (rc != RS_OK) {
            cleanup(&ru, made);
            return rc;
        }
    }
    uint32_t duration = o->duration_s ? o->duration_s : rs_scenario_duration(setup->scn);
    int64_t start_ms = o->start_unix * 1000;
    for (uint32_t t = 0; t < duration; t++) {
        int64_t now = start_ms + (int64_t)(t + 1) * 1000;
        for (uint32_t i = 0; i < o->n; i++)
            truck_second(&ru, i, now);
        write_lines(&ru);
    }
    finish(&ru, start_ms + (int64_t)duration * 1000 + 1000);
    cleanup(&ru, made);
    return RS_OK;
}
