/* The harness's vehicle (hil_int.h): the scenario drives the vehicle model
 * and the engine ECU's J1939 frames come out at full fidelity (every PGN at
 * its J1939 rate, DM1 and the diagnostic answers through TP/BAM), as a real
 * T-box expects to hear them.  The same encoder the fleet uses
 * (vehicle_can.h); truck.c does the sampled-fidelity version of this for
 * thousands of trucks. */
#include <stdlib.h>
#include <string.h>

#include "conformance/hil_int.h"
#include "remsim/j1939.h"

#define US_PER_S 1000000u
#define DIAG_ALL ((uint8_t)((1u << RS_VCAN_DIAG_COUNT) - 1u))
#define DIAG_LATEST_END_US 950000u
#define DIAG_POLL_S 60u           /* unsolicited answers this often, for terminals that never ask */

static void put(void *user, const rs_can_frame *f)
{
    hil_vehicle *v = user;
    if (v->n < v->cap)
        v->fr[v->n++] = *f;
}

static rs_code tx_reset(hil_vehicle *v, rs_err *err)
{
    rs_tp_tx_cfg tc;
    rs_tp_tx_cfg_default(&tc);
    tc.self_addr = v->vcan.dm1_sa;
    tc.send = put;
    tc.user = v;
    return rs_tp_tx_init(&v->tx, &tc, err);
}

rs_code hil_vehicle_init(hil_vehicle *v, rs_run_setup *su, rs_err *err)
{
    memset(v, 0, sizeof *v);
    v->vcan = su->truck.vcan;
    v->vcan.fidelity = RS_FIDELITY_FULL;
    rs_vcan_prepare(&v->vcan);
    v->cap = rs_vcan_frames_per_second(&v->vcan) + 512; /* + DM1 and diagnostic BAMs */
    v->fr = calloc(v->cap, sizeof *v->fr);
    if (!v->fr)
        return rs_fail(err, RS_E_SPACE, 0, "can", "memory for a second of CAN frames", (long long)v->cap, 0,
                       RS_NUM_GOT_ONLY);
    v->vout.frames = v->fr;
    v->vout.cap = v->cap;
    rs_code rc = tx_reset(v, err);
    if (rc == RS_OK)
        rc = rs_scn_vehicle_init(su->scn, &v->veh, 0, err);
    if (rc != RS_OK) {
        free(v->fr);
        v->fr = NULL;
        return rc;
    }
    v->made = true;
    return RS_OK;
}

void hil_vehicle_free(hil_vehicle *v, rs_run_setup *su)
{
    if (v->made)
        rs_scn_vehicle_free(su->scn, &v->veh);
    free(v->fr);
    memset(v, 0, sizeof *v);
}

static uint64_t send_bam(hil_vehicle *v, uint64_t t_us, uint32_t pgn, const uint8_t *data, size_t len)
{
    if (tx_reset(v, NULL) != RS_OK ||
        rs_tp_tx_send(&v->tx, t_us, RS_J1939_PRIO_DEFAULT, pgn, RS_J1939_GLOBAL, data, len, NULL) != RS_OK)
        return t_us;
    return rs_tp_tx_run_out(&v->tx, t_us);
}

static void send_single(hil_vehicle *v, uint64_t t_us, uint32_t pgn, uint8_t sa, const uint8_t *data, size_t len)
{
    rs_j1939_msg m = { t_us, pgn, RS_J1939_PRIO_DEFAULT, sa, RS_J1939_GLOBAL, 0, (uint16_t)len, data };
    rs_can_frame f;
    if (rs_j1939_to_frame(&m, &f, NULL) == RS_OK)
        put(v, &f);
}

static int by_time(const void *a, const void *b)
{
    const rs_can_frame *x = a, *y = b;
    return x->ts_us < y->ts_us ? -1 : x->ts_us > y->ts_us;
}

/* DM1 and the slow diagnostic answers after the broadcast frames' last
 * start; BAM packets 50 ms apart must end inside the second. */
static void diag(hil_vehicle *v, const uint8_t vin[RS_VIN_LEN], uint64_t t0)
{
    uint64_t t = t0 + 5000u;
    if (v->vout.dm1_tp)
        t = send_bam(v, t, RS_PGN_DM1, v->vout.dm1, v->vout.dm1_len) + 1000u;
    if (!v->diag_due)
        return;
    rs_obd obd;
    rs_vehicle_obd(&v->veh.car, &obd);
    memcpy(obd.vin, vin, RS_VIN_LEN);
    rs_vcan_diag d[RS_VCAN_DIAG_COUNT];
    if (rs_vcan_diag_encode(&obd, v->vcan.dm1_sa, d, NULL) != RS_OK) {
        v->diag_due = 0;
        return;
    }
    for (unsigned i = 0; i < RS_VCAN_DIAG_COUNT; i++) {
        if (!(v->diag_due & (1u << i)))
            continue;
        size_t packets = (d[i].len + RS_TP_PACKET_BYTES - 1) / RS_TP_PACKET_BYTES;
        uint64_t end = t + (d[i].len > 8 ? packets * v->tx.cfg.bam_gap_us : 0);
        if (end > t0 + DIAG_LATEST_END_US)
            continue; /* next second */
        if (d[i].len <= 8)
            send_single(v, t, d[i].pgn, d[i].sa, d[i].data, d[i].len);
        else
            t = send_bam(v, t, d[i].pgn, d[i].data, d[i].len);
        t += 1000u;
        v->diag_due &= (uint8_t)~(1u << i);
    }
}

bool hil_vehicle_second(hil_vehicle *v, rs_run_setup *su, const uint8_t vin[RS_VIN_LEN], uint64_t t0_us,
                        hil_inj *inj)
{
    rs_sample phys;
    rs_scn_fired fired = { 0 };
    bool running = rs_scn_step(su->scn, &v->veh, &phys, &fired);
    v->n = v->next = 0;
    memset(inj, 0, sizeof *inj);
    bool ign = running && v->veh.car.ignition;
    if (ign && !v->ign) {
        v->diag_due = DIAG_ALL; /* what a T-box asks for at power-up */
        v->next_poll = v->veh.t + DIAG_POLL_S;
    }
    v->ign = ign;
    if (!ign)
        return running; /* the engine ECU is off: the bus is silent */
    if (v->veh.t >= v->next_poll) {
        v->diag_due = DIAG_ALL;
        v->next_poll = v->veh.t + DIAG_POLL_S;
    }
    rs_obd obd;
    rs_vehicle_obd_dtc(&v->veh.car, &obd);
    inj->have = true;
    inj->s = phys;
    inj->mil = obd.mil;
    inj->dtc_count = obd.dtc_count;
    if (rs_vcan_encode(&v->vcan, &phys, &obd, t0_us, &v->vout, NULL) == RS_OK) {
        v->n = v->vout.n;
        v->unencodable += v->vout.unencodable;
    }
    diag(v, vin, t0_us);
    qsort(v->fr, v->n, sizeof *v->fr, by_time);
    return running;
}

void hil_vehicle_heard(hil_vehicle *v, const rs_can_frame *f)
{
    if (!(f->flags & RS_CAN_EXT) || f->len < 3 || ((f->id >> 16) & 0xFFu) != 0xEAu)
        return; /* not a request (PGN 59904) */
    uint32_t pgn = (uint32_t)f->data[0] | (uint32_t)f->data[1] << 8 | (uint32_t)(f->data[2] & 3u) << 16;
    static const uint32_t answers[RS_VCAN_DIAG_COUNT] = { RS_PGN_DM5, RS_PGN_DM19, RS_PGN_DM20, RS_PGN_VI };
    for (unsigned i = 0; i < RS_VCAN_DIAG_COUNT; i++)
        if (pgn == answers[i]) {
            v->diag_due |= (uint8_t)(1u << i);
            v->requests++;
        }
}
