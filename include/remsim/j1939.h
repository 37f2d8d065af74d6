/* SAE J1939: identifiers, and the message type every J1939 layer passes on.
 *
 * A message is a whole parameter group: a single CAN frame, or the
 * reassembled payload of a transport-protocol session (BAM or RTS/CTS).
 * The signal decoders read messages, never raw CAN frames, so single-frame
 * and multi-packet PGNs take the same path. */
#ifndef REMSIM_J1939_H
#define REMSIM_J1939_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/error.h"

#define RS_J1939_GLOBAL 0xFF     /* destination: everyone */
#define RS_J1939_MAX_LEN 1785    /* TP limit: 255 packets x 7 bytes */

typedef struct rs_j1939_msg {
    uint64_t ts_us;              /* time of the last frame of the message */
    uint32_t pgn;                /* 18 bits; PDU1 PGNs with the DA byte cleared */
    uint8_t prio;
    uint8_t sa;                  /* source address */
    uint8_t da;                  /* destination (0xFF for PDU2 and global) */
    uint8_t iface;
    uint16_t len;
    const uint8_t *data;         /* valid until the producer's next call */
} rs_j1939_msg;

/* PGNs this library knows by name (can-signals.md §1.3, §3, §4). */
#define RS_PGN_ACKM 59392u       /* 0xE800 acknowledgement (PDU1) */
#define RS_PGN_REQUEST 59904u    /* 0xEA00 request (PDU1, 3 data bytes) */
#define RS_PGN_TP_DT 60160u      /* 0xEB00 transport data */
#define RS_PGN_TP_CM 60416u      /* 0xEC00 transport connection management */
#define RS_PGN_DM20 49664u       /* 0xC200 monitor performance ratios (PDU1) */
#define RS_PGN_DM19 54016u       /* 0xD300 calibration information (PDU1) */
#define RS_PGN_DM1 65226u        /* 0xFECA active DTCs */
#define RS_PGN_DM2 65227u        /* 0xFECB previously active DTCs */
#define RS_PGN_DM5 65230u        /* 0xFECE diagnostic readiness 1 */
#define RS_PGN_DM12 65236u       /* 0xFED4 emission-related active DTCs */
#define RS_PGN_VI 65260u         /* 0xFEEC vehicle identification */

#define RS_J1939_NULL_ADDR 0xFE  /* "no address" (cannot claim / not configured) */
#define RS_J1939_PRIO_DEFAULT 6
#define RS_J1939_PRIO_TP 7       /* J1939-21 default for TP.CM / TP.DT */

/* All fields of a 29-bit identifier (can-signals.md §1.1). */
typedef struct rs_j1939_id {
    uint8_t prio;                /* 0..7 */
    uint8_t edp, dp;             /* extended data page, data page */
    uint8_t pf, ps;              /* PDU format, PDU specific */
    uint8_t sa;
    uint8_t da;                  /* PDU1: PS; PDU2: 0xFF */
    bool pdu1;                   /* PF < 240 */
    uint32_t pgn;                /* 18 bits; PDU1 with PS cleared */
} rs_j1939_id;

/* PDU1 (peer-to-peer) when the PF byte of the PGN is below 240. */
static inline bool rs_j1939_pgn_is_pdu1(uint32_t pgn)
{
    return ((pgn >> 8) & 0xFFu) < 240u;
}

/* Splits a 29-bit identifier; bits above 28 are ignored. */
void rs_j1939_id_decode(uint32_t id, rs_j1939_id *out);

/* Builds the 29-bit identifier for (prio, pgn, sa, da).  For PDU1 PGNs the
 * DA goes into PS (the PGN's low byte must be 0); for PDU2 da is ignored.
 * RS_E_VALUE when prio > 7, pgn > 0x3FFFF, or a PDU1 PGN has a low byte. */
rs_code rs_j1939_id_encode(uint8_t prio, uint32_t pgn, uint8_t sa, uint8_t da,
                           uint32_t *id, rs_err *err);

/* A single-frame message from a CAN frame (29-bit data frames only:
 * RS_E_HEADER for 11-bit, remote, error or FD frames).  m->data points
 * into f->data. */
rs_code rs_j1939_from_frame(const rs_can_frame *f, rs_j1939_msg *m, rs_err *err);

/* A CAN frame (extended flag set) from a message of at most 8 bytes;
 * RS_E_LENGTH when longer (use the TP sender).  Shorter messages keep
 * their length: J1939 allows DLC < 8 (requests are 3 bytes). */
rs_code rs_j1939_to_frame(const rs_j1939_msg *m, rs_can_frame *f, rs_err *err);

/* Request PGN 59904: sa asks da (0xFF = everyone) for pgn.  Frame of
 * DLC 3, priority 6, ts_us 0. */
rs_code rs_j1939_request_frame(uint8_t sa, uint8_t da, uint32_t pgn,
                               rs_can_frame *f, rs_err *err);

/* The requested PGN from a request message.  DLC 3 is normal and bytes
 * beyond 3 are ignored; RS_E_SHORT under 3, RS_E_COMMAND when m is not a
 * request, RS_E_VALUE when the PGN exceeds 18 bits. */
rs_code rs_j1939_request_parse(const rs_j1939_msg *m, uint32_t *pgn, rs_err *err);

/* Acknowledgement PGN 59392 (J1939-21 §5.4.4). */
enum {
    RS_J1939_ACK = 0,
    RS_J1939_NACK = 1,
    RS_J1939_ACK_DENIED = 2,     /* access denied */
    RS_J1939_ACK_BUSY = 3        /* cannot respond */
};

typedef struct rs_j1939_ack {
    uint8_t control;             /* RS_J1939_ACK... */
    uint8_t group_fn;            /* group function value, 0xFF when none */
    uint8_t addr;                /* address being acknowledged (byte 5) */
    uint32_t pgn;                /* PGN being acknowledged */
} rs_j1939_ack;

/* ACKM frame from sa to da (usually 0xFF), priority 6, 8 bytes:
 * control, group fn, FF, FF, addr, pgn (3 LE). */
rs_code rs_j1939_ack_frame(uint8_t sa, uint8_t da, const rs_j1939_ack *a,
                           rs_can_frame *f, rs_err *err);

/* RS_E_SHORT under 8 bytes, RS_E_COMMAND when m is not an ACKM. */
rs_code rs_j1939_ack_parse(const rs_j1939_msg *m, rs_j1939_ack *a, rs_err *err);

#endif
