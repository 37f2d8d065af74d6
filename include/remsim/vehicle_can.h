/* Vehicle side: one sample (+ OBD) -> the J1939 frames an engine ECU sends.
 *
 * The reverse of the sampler, from the same signal table (signals.h): each
 * non-alternative row is sent by the first sender configured for it, in a
 * frame of its PGN whose other bytes are 0xFF (never 0x00, can-signals.md
 * §1.2).  Two fidelities (design.md):
 *   full     every PGN at its J1939 rate within the second (EEC1 every 10 ms,
 *            ...), each PGN on its own phase so frames interleave as on a bus;
 *   sampled  every PGN once per sample (fleets of thousands).
 * Pure: no clock, no allocation; frames go into the caller's array. */
#ifndef REMSIM_VEHICLE_CAN_H
#define REMSIM_VEHICLE_CAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/error.h"
#include "remsim/field.h"
#include "remsim/msg.h"
#include "remsim/signals.h"

typedef enum rs_fidelity {
    RS_FIDELITY_SAMPLED = 0,
    RS_FIDELITY_FULL
} rs_fidelity;

/* "sampled" / "full". */
const char *rs_fidelity_name(rs_fidelity f);
bool rs_fidelity_parse(const char *name, rs_fidelity *out);

typedef struct rs_vcan_cfg {
    rs_sig_cfg sig;              /* senders (first SA of a row sends it), DEF density */
    uint8_t fidelity;            /* rs_fidelity */
    uint8_t iface;               /* rs_can_frame.iface of every frame */
    uint8_t dm1_sa;              /* DM1 sender: 0x00 */
} rs_vcan_cfg;

void rs_vcan_cfg_init(rs_vcan_cfg *c);

#define RS_VCAN_DM1_MAX (2 + 4 * RS_DTC_MAX)

typedef struct rs_vcan_out {
    rs_can_frame *frames;        /* caller's array */
    size_t cap;
    size_t n;                    /* frames written, in time order */
    /* DM1 longer than 8 bytes (2+ faults) needs J1939 TP: the payload is
     * left here for the caller's TP sender, rs_tp_tx_send(tx, t0, 6,
     * RS_PGN_DM1, 0xFF, dm1, dm1_len) (j1939_tp.h), which owns the timing. */
    uint8_t dm1[RS_VCAN_DM1_MAX];
    size_t dm1_len;              /* 0: no DM1 this second */
    bool dm1_tp;                 /* dm1 must go through TP (not in frames[]) */
    unsigned unencodable;        /* valid values outside a J1939 range: sent as "error" */
} rs_vcan_out;

/* Frames one second needs at this fidelity (DM1 single frame included). */
size_t rs_vcan_frames_per_second(const rs_vcan_cfg *c);

/* Frames for the second starting at t0_us.  obd NULL: no DM1; otherwise
 * the DM1 from obd->mil and obd->dtc (4 raw bytes each, §7.13: copied as
 * they are; dtc_count RS_DTC_INVALID sends the "no DTC" form with the MIL
 * as given).  RS_E_SPACE when out->cap is too small (nothing useful is
 * written then). */
rs_code rs_vcan_encode(const rs_vcan_cfg *c, const rs_sample *s, const rs_obd *obd,
                       uint64_t t0_us, rs_vcan_out *out, rs_err *err);

/* The DM1 payload alone (J1939-73 layout, can-signals.md §3.1):
 * lamps byte with the MIL (0xFE -> not available) and the other lamps
 * n/a, flash byte 0xFF, then the faults; no fault: 00 00 00 00 FF FF;
 * one fault: padded to 8 with 0xFF.  Returns the length (>= 8). */
size_t rs_vcan_dm1_payload(const rs_obd *obd, uint8_t out[RS_VCAN_DM1_MAX]);

#endif
