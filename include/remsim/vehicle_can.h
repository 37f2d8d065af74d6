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

/* A parameter group as sent: one (PGN, sender) pair and the table rows in it. */
typedef struct rs_vcan_group {
    uint32_t pgn;
    uint32_t can_id;             /* 29-bit identifier, from prio, PGN and sa */
    uint8_t sa, prio;
    uint16_t rate_ms;
    uint8_t n_rows;
    uint8_t row[RS_SIG_MAX_ROWS];
} rs_vcan_group;

typedef struct rs_vcan_cfg {
    rs_sig_cfg sig;              /* senders (first SA of a row sends it), DEF density */
    uint8_t fidelity;            /* rs_fidelity */
    uint8_t iface;               /* rs_can_frame.iface of every frame */
    uint8_t dm1_sa;              /* DM1 sender: 0x00 */
    uint64_t fields;             /* bit per rs_field_id the vehicle has; 0: all.  Messages
                                    none of whose parameters it has are not sent. */
    /* The plan: groups worked out from the table and sig once, by
     * rs_vcan_prepare(), so encoding a second is a walk over ready rows.
     * Without it every encode works the plan out again (slower, same bytes). */
    bool planned;
    uint8_t n_groups;
    rs_vcan_group group[RS_SIG_MAX_ROWS];
} rs_vcan_cfg;

void rs_vcan_cfg_init(rs_vcan_cfg *c);
/* Works out the plan; call it again after changing sig or fidelity. */
void rs_vcan_prepare(rs_vcan_cfg *c);

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

/* ---- answers to a terminal's diagnostic requests ----------------------- */

/* A real T-box asks the engine for DM5, DM19, DM20 and VI (PGN request,
 * J1939-21) at power-up and when it assembles an OBD item; those change
 * rarely and are not broadcast.  These are the engine's answers, built from
 * an OBD snapshot in its GB form (msg.h rs_obd), so that decoding them
 * (rs_dm_obd_feed + rs_dm_obd_fill) gives the same GB bytes back:
 * support/readiness through DM5, CALID and CVN through one DM19 entry
 * (CALID: up to 16 characters, the pad '0' tail dropped; CVN: 8 hex
 * digits), IUPR through DM20 (one ratio per non-zero group, the group's
 * first SPN of the default map), VIN through VI. */
#define RS_VCAN_DIAG_COUNT 4
#define RS_VCAN_DIAG_MAX (4 + 7 * 8)

typedef struct rs_vcan_diag {
    uint32_t pgn;
    uint8_t sa;
    uint16_t len;
    uint8_t data[RS_VCAN_DIAG_MAX];
} rs_vcan_diag;

/* Fills out[0..3] (DM5, DM19, DM20, VI) from obd, all from sender sa.
 * RS_E_VALUE when the CVN is not 8 hex digits (the error names it). */
rs_code rs_vcan_diag_encode(const rs_obd *obd, uint8_t sa, rs_vcan_diag out[RS_VCAN_DIAG_COUNT],
                            rs_err *err);

#endif
