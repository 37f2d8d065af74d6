/* One simulated truck: a scenario vehicle, the J1939 bus between its engine
 * and its T-box, and the virtual terminal on that bus (design.md, data
 * flow).  Each second the vehicle's physics give a sample; the engine side
 * encodes it into CAN frames (vehicle_can.h); the terminal side decodes
 * those frames through the same J1939 receiver and sampler a recorded trace
 * goes through (j1939_tp.h, sampler.h); the decoded sample, never the
 * physics directly, is what the terminal reports.
 *
 * Memory: the bus (encoder output, TP sender and receiver, sampler: about
 * 60 KiB) belongs to the worker and serves its trucks one second at a time,
 * because in sampled fidelity every signal is sent every second and nothing
 * on the decoding side has to outlive the second.  What must outlive it
 * stays in the truck: the last GNSS fix (the sampler repeats it when the
 * fix is lost, §7.5) and the terminal's copy of the slow OBD answers (DM5,
 * DM19, DM20, VI), which a T-box requests at ignition on and then every
 * obd_poll_s, as real ones do.
 *
 * Events of the scenario that act on the vehicle are applied by the
 * scenario runtime; clock skew and external power loss act on the terminal
 * here; network down and answer delays belong to the link and the endpoint
 * and are handed to the caller in rs_truck_net. */
#ifndef REMSIM_TRUCK_H
#define REMSIM_TRUCK_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/j1939_tp.h"
#include "remsim/sampler.h"
#include "remsim/scenario.h"
#include "remsim/terminal.h"
#include "remsim/vehicle_can.h"

typedef struct rs_truck_cfg {
    rs_vcan_cfg vcan;            /* engine side: fidelity (sampled), senders */
    rs_sampler_cfg sampler;      /* terminal side: senders, timeouts, supplement */
    uint32_t obd_poll_s;         /* slow OBD requested this often (and at ignition on): 60 */
} rs_truck_cfg;

/* supplement: the terminal's samples carry the 0x80 item (HJ 1239). */
void rs_truck_cfg_init(rs_truck_cfg *c, bool supplement);

#define RS_TRUCK_BUS_FRAMES 768

typedef struct rs_truck_bus_stats {
    uint64_t can_frames;         /* frames put on the bus */
    uint64_t j1939_msgs;         /* whole messages the receiver delivered */
    uint64_t unencodable;        /* values outside their J1939 range (sent as "error") */
    uint64_t diag_deferred;      /* diagnostic answers moved to the next second (bus time) */
} rs_truck_bus_stats;

/* The worker's bus.  Large: allocate it, one per worker. */
typedef struct rs_truck_bus {
    const rs_truck_cfg *cfg;
    rs_can_frame frame[RS_TRUCK_BUS_FRAMES];
    size_t n;
    rs_vcan_out vout;
    rs_tp_tx tx;
    rs_j1939_rx rx;
    rs_sampler smp;
    rs_truck_bus_stats stats;
} rs_truck_bus;

/* cfg must outlive the bus; vcan is prepared (rs_vcan_prepare) here, so
 * cfg is not const. */
rs_code rs_truck_bus_init(rs_truck_bus *b, rs_truck_cfg *cfg, rs_err *err);

/* The slow OBD answers the terminal keeps (GB form). */
typedef struct rs_truck_obd {
    uint8_t have;                /* RS_OBD_HAVE_* bits received so far */
    uint16_t support, readiness;
    uint8_t vin[RS_VIN_LEN];
    uint8_t calid[RS_CALID_LEN];
    uint8_t cvn[RS_CVN_LEN];
    uint8_t iupr[RS_IUPR_LEN];
} rs_truck_obd;

/* A terminal's memory of the slow OBD answers (DM5, VI, DM19, DM20 come
 * only when asked): keeps what o carries by the `have` bits of
 * rs_dm_obd_fill, then fills o's slow fields from what was ever heard,
 * unknown ones as 0xFF strings and zero words (§2.4). */
void rs_truck_obd_keep(rs_truck_obd *c, rs_obd *o, unsigned have);

typedef struct rs_truck {
    rs_scn_vehicle veh;
    rs_terminal term;
    rs_truck_obd obd;
    double fix_lat, fix_lon;     /* last valid GNSS fix (signed degrees) */
    bool have_fix;
    bool ign;                    /* ignition as the terminal was last told */
    uint8_t diag_due;            /* bit per rs_vcan_diag answer still to send */
    uint32_t next_poll;          /* vehicle second of the next slow OBD request */
    uint32_t power_back;         /* vehicle second external power returns; 0: present */
} rs_truck;

/* What a second asks of the layers around the truck. */
typedef struct rs_truck_net {
    uint32_t down_s;             /* network_down fired: link down this long (0: none) */
    bool answer_delay;           /* answer_delay fired: */
    int32_t answer_delay_ms;     /*   the endpoint waits this long before answering */
    uint32_t answer_delay_s;     /*   for this long */
} rs_truck_net;

/* The terminal's store lives in caller memory (terminal.h). */
rs_code rs_truck_init(rs_truck *k, rs_scenario *s, uint32_t index, const rs_profile *p,
                      const rs_terminal_config *tc, const rs_term_ident *id, void *store,
                      size_t store_bytes, rs_err *err);
void rs_truck_free(rs_truck *k, rs_scenario *s);

/* One second of the truck, ending at now_ms (ms since the epoch, virtual or
 * wall): scenario events, physics, CAN round trip, terminal.  Frames and
 * link requests land in out; net (may be NULL) gets the network events;
 * truth (may be NULL) gets the physics sample, for tests.  False when the
 * vehicle is stopped by a scenario error (rs_scn_vehicle_error says why);
 * the terminal then sees the ignition go off. */
bool rs_truck_second(rs_truck *k, rs_truck_bus *b, rs_scenario *s, int64_t now_ms, rs_term_out *out,
                     rs_truck_net *net, rs_sample *truth);

#endif
