/* The virtual terminal as a device under test (hil_int.h): it hears the
 * vehicle only through CAN (the memory bus, the same J1939 receiver and
 * sampler a recorded trace or a live bus goes through) and reaches the
 * platform only through its links (in process or TCP), like hardware.  The
 * ignition comes from the harness, as a KL15 wire would bring it. */
#include <stdlib.h>
#include <string.h>

#include "conformance/hil_int.h"
#include "remsim/ident.h"
#include "remsim/truck.h"

/* The sampler's 1 Hz sample: kept with the OBD snapshot of its instant
 * until the terminal takes it (after the frames being fed). */
static void on_sample(void *ctx, const rs_sample *s)
{
    hil_vterm *vt = ctx;
    if (vt->n_ready >= HIL_READY_MAX)
        return;
    unsigned i = vt->n_ready++;
    vt->ready[i] = *s;
    vt->ready[i].stream = vt->stream;
    vt->ready[i].has_hybrid = vt->hybrid;
    vt->ready_at[i] = (int64_t)(vt->smp.instant_us / 1000u);
    rs_obd o;
    unsigned have = rs_sampler_obd(&vt->smp, &o);
    rs_truck_obd_keep(&vt->obd_known, &o, have); /* slow answers kept once heard */
    rs_term_obd_set(&vt->ready_obd[i], &o);
}

rs_code hil_vterm_new(hil *h, rs_err *err)
{
    hil_vterm *vt = calloc(1, sizeof *vt);
    if (!vt)
        return rs_fail(err, RS_E_SPACE, 0, "virtual", "memory for the virtual terminal", 0, 0, RS_NUM_NONE);
    h->vt = vt;
    for (int l = 0; l < RS_TERM_LINK_COUNT; l++) {
        vt->fd[l] = -1;
        vt->conn[l] = -1;
    }
    vt->scratch = malloc(sizeof *vt->scratch);
    size_t sb = rs_terminal_store_bytes(&h->setup.term);
    vt->store = calloc(1, sb ? sb : 1);
    if (!vt->scratch || !vt->store)
        return rs_fail(err, RS_E_SPACE, 0, "virtual", "memory for the virtual terminal", 0, 0, RS_NUM_NONE);
    rs_term_out_init(&vt->out, vt->outbuf, sizeof vt->outbuf, vt->scratch);
    rs_veh_type type = rs_scenario_type(h->setup.scn);
    vt->stream = rs_veh_type_stream(type);
    vt->hybrid = type == RS_VEH_HYBRID;
    rs_code rc = rs_j1939_rx_init(&vt->rx, NULL, err);
    if (rc != RS_OK)
        return rc;
    rs_sampler_init(&vt->smp, &h->setup.truck.sampler, on_sample, vt);
    if (!(vt->port = rs_canbus_mem_attach(h->bus, 8192, 0, err)))
        return err->code;
    memset(&vt->id, 0, sizeof vt->id);
    memcpy(vt->id.vin, h->vin, RS_VIN_LEN);
    rs_ident_iccid(h->o->seed, 0, vt->id.iccid);
    rs_term_keys_opts ko;
    rs_term_keys_opts_init(&ko);
    ko.sign = h->setup.profile.proto == RS_PROTO_HJ1239;
    ko.dir = h->o->keys;
    if ((rc = rs_term_keys_setup(h->sm2, &ko, h->o->seed, 0, &vt->id, &vt->signer, err)) != RS_OK)
        return rc;
    vt->fs.f = h->o->fault;
    return rs_terminal_init(&vt->term, &h->setup.profile, &h->setup.term, &vt->id, vt->store, sb, err);
}

void hil_vterm_free(hil *h)
{
    hil_vterm *vt = h->vt;
    if (!vt)
        return;
    rs_can_close(vt->port);
    for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
        free(vt->sendq[l]);
    free(vt->scratch);
    free(vt->store);
    free(vt);
    h->vt = NULL;
}

void hil_vterm_drain(hil *h, int64_t now)
{
    hil_vterm *vt = h->vt;
    rs_term_out *out = &vt->out;
    vt->depth++;
    for (int round = 0; round < 8; round++) {
        for (unsigned i = 0; i < out->n; i++) {
            const rs_term_frame *fr = &out->frame[i];
            uint8_t *p = out->buf + fr->off;
            size_t len = fr->len;
            /* Test-only faults: off unless --virtual-fault was given. */
            bool faulty = vt->fs.f.wrong_scale >= 0 || vt->fs.f.skip_serial || vt->fs.f.no_reissue ||
                          vt->fs.f.bad_signature;
            if (faulty && !hil_fault_apply(&vt->fs, &h->setup.profile, &vt->id, vt->scratch, p, &len, fr->len))
                continue;
            hil_link_up(h, fr->link, now, p, len);
        }
        uint8_t connect = out->connect, close = out->close;
        rs_term_out_clear(out);
        for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
            if (close & (1u << l))
                hil_link_close(h, l, now);
        for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
            if (connect & (1u << l))
                hil_link_connect(h, l, now); /* in process: may call hil_vterm_connected, which drains */
        if (!out->n && !out->connect && !out->close)
            break;
    }
    h->st->faults_applied = vt->fs.applied;
    if (--vt->depth == 0)
        hil_link_deliver(h, now);
}

void hil_vterm_start(hil *h, int64_t now)
{
    hil_vterm *vt = h->vt;
    if (h->o->skew_s)
        rs_terminal_set_skew(&vt->term, now, (int64_t)h->o->skew_s * 1000, &vt->out);
    rs_terminal_ignition(&vt->term, now, true, &vt->out);
    hil_vterm_drain(h, now);
}

void hil_vterm_stop(hil *h, int64_t now)
{
    rs_terminal_ignition(&h->vt->term, now, false, &h->vt->out);
    hil_vterm_drain(h, now);
}

static void hand_samples(hil *h)
{
    hil_vterm *vt = h->vt;
    for (unsigned i = 0; i < vt->n_ready; i++) {
        hil_vterm_tick_until(h, vt->ready_at[i]);
        rs_terminal_sample(&vt->term, vt->ready_at[i], &vt->ready[i], &vt->ready_obd[i], &vt->out);
        hil_vterm_drain(h, vt->ready_at[i]);
    }
    vt->n_ready = 0;
}

void hil_vterm_can(hil *h, int64_t now)
{
    (void)now;
    hil_vterm *vt = h->vt;
    rs_can_frame f;
    rs_j1939_msg m;
    rs_err err;
    while (rs_can_read(vt->port, &f, &err) == RS_CAN_OK) {
        if (!(f.flags & RS_CAN_EXT))
            rs_sampler_feed_frame(&vt->smp, &f);
        else if (rs_j1939_rx_feed(&vt->rx, &f, &m) == 1)
            rs_sampler_feed(&vt->smp, &m);
        if (vt->n_ready)
            hand_samples(h);
    }
}

void hil_vterm_advance(hil *h, int64_t now)
{
    rs_sampler_advance(&h->vt->smp, (uint64_t)now * 1000u);
    hand_samples(h);
}

void hil_vterm_tick_until(hil *h, int64_t before)
{
    hil_vterm *vt = h->vt;
    for (int guard = 0; guard < 1000; guard++) {
        int64_t d = rs_terminal_deadline(&vt->term);
        if (d == RS_TERM_NEVER || d > before)
            return;
        rs_terminal_tick(&vt->term, d, &vt->out);
        hil_vterm_drain(h, d);
        if (rs_terminal_deadline(&vt->term) == d)
            return; /* nothing moved: a connect waits for its answer */
    }
}

int64_t hil_vterm_deadline(const hil *h)
{
    return rs_terminal_deadline(&h->vt->term);
}

void hil_vterm_connected(hil *h, int64_t now, int link)
{
    rs_terminal_connected(&h->vt->term, now, (rs_term_link)link, &h->vt->out);
    hil_vterm_drain(h, now);
}

void hil_vterm_closed(hil *h, int64_t now, int link)
{
    rs_terminal_closed(&h->vt->term, now, (rs_term_link)link, &h->vt->out);
    hil_vterm_drain(h, now);
}

void hil_vterm_received(hil *h, int64_t now, int link, const uint8_t *d, size_t n)
{
    rs_terminal_received(&h->vt->term, now, (rs_term_link)link, d, n, &h->vt->out);
    hil_vterm_drain(h, now);
}
