/* One simulated truck per second: physics -> CAN -> J1939 decoder ->
 * sampler -> terminal (truck.h). */
#include "remsim/truck.h"

#include <string.h>

#include "remsim/j1939.h"

#define US_PER_S 1000000u
/* Diagnostic answers start no later than this into the bus second, so their
 * BAM packets (50 ms apart) end inside it; later ones wait a second. */
#define DIAG_LATEST_END_US 950000u
#define DIAG_ALL ((uint8_t)((1u << RS_VCAN_DIAG_COUNT) - 1u))

void rs_truck_cfg_init(rs_truck_cfg *c, bool supplement)
{
    memset(c, 0, sizeof *c);
    rs_vcan_cfg_init(&c->vcan);
    rs_sampler_cfg_init(&c->sampler);
    c->sampler.supplement = supplement;
    c->obd_poll_s = 60;
}

static void bus_put(void *user, const rs_can_frame *f)
{
    rs_truck_bus *b = user;
    if (b->n < RS_TRUCK_BUS_FRAMES)
        b->frame[b->n++] = *f;
}

static rs_code tx_reset(rs_truck_bus *b, rs_err *err)
{
    rs_tp_tx_cfg tc;
    rs_tp_tx_cfg_default(&tc);
    tc.self_addr = b->cfg->vcan.dm1_sa; /* the engine ECU answers and sends DM1 */
    tc.send = bus_put;
    tc.user = b;
    return rs_tp_tx_init(&b->tx, &tc, err);
}

rs_code rs_truck_bus_init(rs_truck_bus *b, rs_truck_cfg *cfg, rs_err *err)
{
    memset(b, 0, sizeof *b);
    rs_vcan_prepare(&cfg->vcan);
    b->cfg = cfg;
    b->vout.frames = b->frame;
    b->vout.cap = RS_TRUCK_BUS_FRAMES;
    rs_code rc = rs_j1939_rx_init(&b->rx, NULL, err);
    if (rc != RS_OK)
        return rc;
    if ((rc = tx_reset(b, err)) != RS_OK)
        return rc;
    /* No emit callback: each truck's second is read with rs_sampler_peek. */
    rs_sampler_init(&b->smp, &cfg->sampler, NULL, NULL);
    return RS_OK;
}

rs_code rs_truck_init(rs_truck *k, rs_scenario *s, uint32_t index, const rs_profile *p,
                      const rs_terminal_config *tc, const rs_term_ident *id, void *store,
                      size_t store_bytes, rs_err *err)
{
    memset(k, 0, sizeof *k);
    rs_code rc = rs_scn_vehicle_init(s, &k->veh, index, err);
    if (rc != RS_OK)
        return rc;
    if ((rc = rs_terminal_init(&k->term, p, tc, id, store, store_bytes, err)) != RS_OK) {
        rs_scn_vehicle_free(s, &k->veh);
        return rc;
    }
    return RS_OK;
}

void rs_truck_free(rs_truck *k, rs_scenario *s)
{
    rs_scn_vehicle_free(s, &k->veh);
}

/* Sends one multi-packet message as a BAM from t_us; returns when its last
 * packet went out (the sender paces packets by its own deadlines). */
static uint64_t send_bam(rs_truck_bus *b, uint64_t t_us, uint32_t pgn, const uint8_t *data, size_t len)
{
    if (tx_reset(b, NULL) != RS_OK)
        return t_us;
    if (rs_tp_tx_send(&b->tx, t_us, RS_J1939_PRIO_DEFAULT, pgn, RS_J1939_GLOBAL, data, len, NULL) != RS_OK)
        return t_us;
    return rs_tp_tx_run_out(&b->tx, t_us);
}

static void send_single(rs_truck_bus *b, uint64_t t_us, uint32_t pgn, uint8_t sa, const uint8_t *data,
                        size_t len)
{
    rs_j1939_msg m = { t_us, pgn, RS_J1939_PRIO_DEFAULT, sa, RS_J1939_GLOBAL, b->cfg->vcan.iface,
                       (uint16_t)len, data };
    rs_can_frame f;
    if (rs_j1939_to_frame(&m, &f, NULL) == RS_OK)
        bus_put(b, &f);
}

/* The engine's side of one second: broadcast signals, DM1, and the
 * diagnostic answers the terminal asked for (as far as the second has room). */
static void engine_second(rs_truck *k, rs_truck_bus *b, const rs_sample *truth, uint64_t t0)
{
    rs_obd obd;
    rs_vehicle_obd_dtc(&k->veh.car, &obd); /* DM1 needs only this: the whole snapshot when asked */
    b->n = 0;
    if (rs_vcan_encode(&b->cfg->vcan, truth, &obd, t0, &b->vout, NULL) != RS_OK)
        return;
    b->n = b->vout.n;
    b->stats.unencodable += b->vout.unencodable;
    uint64_t t = b->n ? b->frame[b->n - 1].ts_us + 1000u : t0;
    if (b->vout.dm1_tp)
        t = send_bam(b, t, RS_PGN_DM1, b->vout.dm1, b->vout.dm1_len) + 1000u;

    if (!k->diag_due)
        return;
    rs_vehicle_obd(&k->veh.car, &obd);
    memcpy(obd.vin, k->term.id.vin, RS_VIN_LEN); /* the truck's VIN is the one it is registered with */
    rs_vcan_diag d[RS_VCAN_DIAG_COUNT];
    if (rs_vcan_diag_encode(&obd, b->cfg->vcan.dm1_sa, d, NULL) != RS_OK) {
        k->diag_due = 0; /* nothing the engine could say: the terminal keeps "unknown" */
        return;
    }
    for (unsigned i = 0; i < RS_VCAN_DIAG_COUNT; i++) {
        if (!(k->diag_due & (1u << i)))
            continue;
        size_t packets = (d[i].len + RS_TP_PACKET_BYTES - 1) / RS_TP_PACKET_BYTES;
        uint64_t end = t + (d[i].len > 8 ? packets * b->tx.cfg.bam_gap_us : 0);
        if (end > t0 + DIAG_LATEST_END_US) {
            b->stats.diag_deferred++;
            continue;
        }
        if (d[i].len <= 8)
            send_single(b, t, d[i].pgn, d[i].sa, d[i].data, d[i].len);
        else
            t = send_bam(b, t, d[i].pgn, d[i].data, d[i].len);
        t += 1000u;
        k->diag_due &= (uint8_t)~(1u << i);
    }
}

/* Forgets what the previous truck left in the shared decoder (values,
 * diagnostics, fix): every truck's second is read on its own. */
static void decoder_reset(rs_truck_bus *b, const rs_truck *k)
{
    rs_sampler_forget(&b->smp);
    b->smp.have_fix = k->have_fix; /* the fix this truck had: repeated while lost (§7.5) */
    b->smp.fix_lat = k->fix_lat;
    b->smp.fix_lon = k->fix_lon;
}

/* The terminal's side: every frame through the J1939 receiver into the
 * sampler, then the sample at the end of the second and the OBD snapshot. */
void rs_truck_obd_keep(rs_truck_obd *c, rs_obd *o, unsigned have)
{
    if (have & RS_OBD_HAVE_DM5) {
        c->support = o->support;
        c->readiness = o->readiness;
    }
    if (have & RS_OBD_HAVE_VIN)
        memcpy(c->vin, o->vin, RS_VIN_LEN);
    if (have & RS_OBD_HAVE_CAL) {
        memcpy(c->calid, o->calid, RS_CALID_LEN);
        memcpy(c->cvn, o->cvn, RS_CVN_LEN);
    }
    if (have & RS_OBD_HAVE_IUPR)
        memcpy(c->iupr, o->iupr, RS_IUPR_LEN);
    c->have |= (uint8_t)(have & (RS_OBD_HAVE_DM5 | RS_OBD_HAVE_VIN | RS_OBD_HAVE_CAL | RS_OBD_HAVE_IUPR));

    /* Unknown until answered: 0xFF strings (§2.4), zero words and counters. */
    o->support = (c->have & RS_OBD_HAVE_DM5) ? c->support : 0;
    o->readiness = (c->have & RS_OBD_HAVE_DM5) ? c->readiness : 0;
    if (c->have & RS_OBD_HAVE_VIN)
        memcpy(o->vin, c->vin, RS_VIN_LEN);
    else
        memset(o->vin, 0xFF, RS_VIN_LEN);
    if (c->have & RS_OBD_HAVE_CAL) {
        memcpy(o->calid, c->calid, RS_CALID_LEN);
        memcpy(o->cvn, c->cvn, RS_CVN_LEN);
    } else {
        memset(o->calid, 0xFF, RS_CALID_LEN);
        memset(o->cvn, 0xFF, RS_CVN_LEN);
    }
    if (c->have & RS_OBD_HAVE_IUPR)
        memcpy(o->iupr, c->iupr, RS_IUPR_LEN);
    else
        memset(o->iupr, 0, RS_IUPR_LEN);
}

static void terminal_second(rs_truck *k, rs_truck_bus *b, uint64_t t_end, rs_sample *got, rs_term_obd *tobd)
{
    decoder_reset(b, k);
    rs_j1939_msg m;
    for (size_t i = 0; i < b->n; i++) {
        const rs_can_frame *f = &b->frame[i];
        if (!(f->flags & RS_CAN_EXT)) {
            rs_sampler_feed_frame(&b->smp, f);
        } else if (rs_j1939_rx_feed(&b->rx, f, &m) == 1) {
            rs_sampler_feed(&b->smp, &m);
            b->stats.j1939_msgs++;
        }
    }
    b->stats.can_frames += b->n;
    rs_sampler_peek(&b->smp, t_end, got);
    k->have_fix = b->smp.have_fix;
    k->fix_lat = b->smp.fix_lat;
    k->fix_lon = b->smp.fix_lon;

    rs_obd o;
    unsigned have = rs_dm_obd_fill(&b->smp.obd, t_end, &o);
    rs_truck_obd_keep(&k->obd, &o, have);
    rs_term_obd_set(tobd, &o);
}

/* Events for the terminal and for the layers around it. */
static void apply_events(rs_truck *k, rs_scenario *s, const rs_scn_fired *fired, int64_t now_ms,
                         rs_term_out *out, rs_truck_net *net)
{
    for (unsigned i = 0; i < fired->n; i++) {
        const rs_scn_event *e = rs_scenario_event(s, fired->ev[i]);
        if (!e)
            continue;
        switch (e->kind) {
        case RS_EV_CLOCK_SKEW:
            rs_terminal_set_skew(&k->term, now_ms, (int64_t)e->value * 1000, out);
            break;
        case RS_EV_POWER_LOSS:
            rs_terminal_ext_power(&k->term, now_ms, false, out);
            k->power_back = k->veh.t + (e->duration_s ? e->duration_s : 1);
            break;
        case RS_EV_NETWORK_DOWN:
            if (net)
                net->down_s = e->duration_s;
            break;
        case RS_EV_ANSWER_DELAY:
            if (net) {
                net->answer_delay = true;
                net->answer_delay_ms = e->value;
                net->answer_delay_s = e->duration_s;
            }
            break;
        default:
            break; /* vehicle events: applied by the scenario runtime */
        }
    }
}

bool rs_truck_second(rs_truck *k, rs_truck_bus *b, rs_scenario *s, int64_t now_ms, rs_term_out *out,
                     rs_truck_net *net, rs_sample *truth)
{
    if (net)
        memset(net, 0, sizeof *net);
    rs_sample phys;
    rs_scn_fired fired = { 0 };
    bool running = rs_scn_step(s, &k->veh, &phys, &fired);
    if (truth)
        *truth = phys;
    apply_events(k, s, &fired, now_ms, out, net);
    if (k->power_back && k->veh.t >= k->power_back) {
        k->power_back = 0;
        rs_terminal_ext_power(&k->term, now_ms, true, out);
    }

    bool ign = running && k->veh.car.ignition;
    if (ign != k->ign) {
        k->ign = ign;
        rs_terminal_ignition(&k->term, now_ms, ign, out);
        if (ign) {
            k->diag_due = DIAG_ALL; /* a T-box asks for the slow OBD data at power-up */
            k->next_poll = k->veh.t + b->cfg->obd_poll_s;
        }
    }
    if (!ign)
        return running; /* the engine ECU is off: the bus is silent */
    if (b->cfg->obd_poll_s && k->veh.t >= k->next_poll) {
        k->diag_due = DIAG_ALL;
        k->next_poll = k->veh.t + b->cfg->obd_poll_s;
    }

    uint64_t t_end = (uint64_t)now_ms * 1000u, t0 = t_end - US_PER_S;
    engine_second(k, b, &phys, t0);
    rs_sample got;
    rs_term_obd tobd;
    terminal_second(k, b, t_end, &got, &tobd);
    /* The T-box is configured for its vehicle's type (§7.3). */
    rs_veh_type type = k->veh.car.type;
    got.stream = rs_veh_type_stream(type);
    got.has_hybrid = type == RS_VEH_HYBRID;
    rs_terminal_sample(&k->term, now_ms, &got, &tobd, out);
    return running;
}
