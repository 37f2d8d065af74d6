/* SAE J1939-21 transport protocol: BAM and RTS/CTS, receive and send.
 *
 * Both directions are pure state machines so they run in virtual time in
 * tests and under libev in the fleet: no sockets, no clocks, no allocation.
 * The caller passes frames and the current time (microseconds, any epoch,
 * the same clock as rs_can_frame.ts_us); out come whole messages, frames to
 * send (through a callback) and the next timer deadline.  The caller arms a
 * timer for rs_tp_*_deadline() and calls rs_tp_*_tick() when it fires;
 * feeding a frame also runs the timers up to the frame's time, so a replayed
 * trace needs no ticks at all.
 *
 * Nothing is dropped silently: every frame or session the receiver gives up
 * on bumps one counter in rs_tp_stats.drop[] (rs_tp_drop_name() names it).
 *
 * can-signals.md §4 has the frame layouts; docs/j1939.md the behaviour. */
#ifndef REMSIM_J1939_TP_H
#define REMSIM_J1939_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/error.h"
#include "remsim/j1939.h"

#define RS_TP_PACKET_BYTES 7
#define RS_TP_MIN_LEN 9
#define RS_TP_MAX_PACKETS 255
#define RS_TP_NO_DEADLINE UINT64_MAX

/* TP.CM control bytes. */
enum {
    RS_TP_CM_RTS = 0x10,
    RS_TP_CM_CTS = 0x11,
    RS_TP_CM_EOMA = 0x13,
    RS_TP_CM_BAM = 0x20,
    RS_TP_CM_ABORT = 0xFF
};

/* Connection abort reasons (J1939-21 Table 7; 250 = any other). */
enum {
    RS_TP_ABORT_BUSY = 1,          /* already in a session, cannot take another */
    RS_TP_ABORT_RESOURCES = 2,     /* resources needed elsewhere */
    RS_TP_ABORT_TIMEOUT = 3,
    RS_TP_ABORT_CTS_WHILE_DT = 4,  /* CTS while data transfer in progress */
    RS_TP_ABORT_RETRANSMIT = 5,    /* retransmit limit reached */
    RS_TP_ABORT_UNEXPECTED_DT = 6,
    RS_TP_ABORT_BAD_SEQ = 7,
    RS_TP_ABORT_DUP_SEQ = 8,
    RS_TP_ABORT_TOO_BIG = 9,       /* size above 1785 */
    RS_TP_ABORT_OTHER = 250
};

/* J1939-21 timeouts, microseconds (can-signals.md §4, confidence A). */
#define RS_TP_T1_US 750000u        /* between DT packets (BAM and after a DT) */
#define RS_TP_T2_US 1250000u       /* after sending CTS, until the first DT */
#define RS_TP_T3_US 1250000u       /* after the last DT of a window, until CTS/EoMA */
#define RS_TP_T4_US 1050000u       /* after a hold (CTS 0), until the next CTS */
#define RS_TP_TR_US 200000u        /* maximum response time (we answer at once) */
#define RS_TP_TH_US 500000u        /* a holding receiver repeats CTS 0 this often */
#define RS_TP_BAM_GAP_MIN_US 50000u
#define RS_TP_BAM_GAP_MAX_US 200000u

/* Why the receiver gave something up.  Each counts one event: a frame that
 * was not used, or a session that ended without a message. */
typedef enum rs_tp_drop {
    RS_TP_DROP_NOT_J1939 = 0,  /* 11-bit, remote, error or FD frame (rs_j1939_rx only) */
    RS_TP_DROP_SHORT,          /* TP.CM under 8 bytes, TP.DT too short for its packet */
    RS_TP_DROP_BAD_CM,         /* unknown control byte, BAM not global, RTS to global,
                                  packet count not ceil(size/7) */
    RS_TP_DROP_SIZE,           /* announced size outside 9..1785 (session) */
    RS_TP_DROP_NO_SLOT,        /* session table full (session) */
    RS_TP_DROP_BUSY,           /* RTS for another PGN while (SA,DA) busy: abort 1 (session) */
    RS_TP_DROP_REPLACED,       /* unfinished session replaced by a new BAM/RTS (session) */
    RS_TP_DROP_ORPHAN_DT,      /* TP.DT with no session, or outside the CTS window */
    RS_TP_DROP_ORPHAN_CM,      /* CTS/EoMA/abort matching no session here */
    RS_TP_DROP_SEQ,            /* sequence gap or duplicate (session) */
    RS_TP_DROP_TIMEOUT,        /* T1/T2/T3/T4 expired (session) */
    RS_TP_DROP_ABORTED,        /* the peer sent a connection abort (session) */
    RS_TP_DROP_COUNT
} rs_tp_drop;

const char *rs_tp_drop_name(rs_tp_drop d);

typedef struct rs_tp_stats {
    uint64_t frames;           /* frames fed */
    uint64_t messages;         /* whole messages delivered (TP only for rs_tp_rx) */
    uint64_t sessions;         /* sessions opened */
    uint64_t sent;             /* frames handed to the send callback */
    uint64_t aborts_sent;
    uint64_t drop[RS_TP_DROP_COUNT];
} rs_tp_stats;

/* Frames out.  The frame is only valid during the call; ts_us is the time
 * the state machine wants it sent (the current time).  NULL = discard
 * (a passive monitor that never transmits). */
typedef void (*rs_tp_send_fn)(void *user, const rs_can_frame *f);

/* ---- receiver ---------------------------------------------------------- */

/* Storage for one reassembly; the caller supplies an array of them so the
 * session limit (and the memory) is the caller's choice.  Opaque: read only
 * through the functions below. */
typedef struct rs_tp_rx_session {
    uint8_t state;             /* 0 free */
    uint8_t sa, da, prio, iface;
    bool active;               /* we answer (CTS, EoMA, abort): da is ours */
    uint8_t packets;           /* announced packet count */
    uint8_t next_seq;          /* next expected sequence number */
    uint8_t window_end;        /* last sequence of the current CTS window */
    uint8_t max_per_cts;       /* from the RTS */
    uint16_t size;
    uint32_t pgn;
    uint64_t deadline;         /* RS_TP_NO_DEADLINE when idle */
    uint64_t hold_until;       /* active holding: when to send the real CTS */
    uint8_t buf[RS_J1939_MAX_LEN + RS_TP_PACKET_BYTES];
} rs_tp_rx_session;

typedef struct rs_tp_rx_cfg {
    uint8_t self_addr;         /* our address: RTS to it is answered; 0xFE = none */
    bool passive;              /* also reassemble RTS/CTS between other nodes (default true) */
    uint8_t cts_max;           /* packets we allow per CTS, 1..255 (default 255; RTS may lower) */
    uint32_t hold_us;          /* >0: hold (CTS 0, repeated every Th) this long before
                                  the first CTS of each session (simulates a busy node) */
    uint8_t prio;              /* priority of CTS/EoMA/abort we send (default 7) */
    rs_tp_send_fn send;
    void *user;
} rs_tp_rx_cfg;

/* Defaults: self 0xFE, passive true, cts_max 255, hold 0, prio 7, send NULL. */
void rs_tp_rx_cfg_default(rs_tp_rx_cfg *cfg);

typedef struct rs_tp_rx {
    rs_tp_rx_cfg cfg;
    rs_tp_rx_session *slot;
    size_t n_slots;
    rs_tp_stats stats;
    uint64_t now;
    uint64_t next_due;         /* earliest session deadline (kept by feed and tick) */
} rs_tp_rx;

/* RS_E_OPTION for no slots or cts_max 0. */
rs_code rs_tp_rx_init(rs_tp_rx *rx, const rs_tp_rx_cfg *cfg, rs_tp_rx_session *slots,
                      size_t n_slots, rs_err *err);

/* Feeds one TP.CM or TP.DT frame (other frames: ignored, return 0).
 * Returns 1 and fills *out when the frame completes a message; out->data
 * points into the session buffer and stays valid until the next call on
 * rx.  The frame's ts_us is the current time.  TP frames whose SA is
 * cfg.self_addr are our own transmissions echoed back and are skipped
 * (not counted); CTS/EoMA/aborts addressed to self_addr that match no
 * receive session belong to rs_tp_tx and are not counted either. */
int rs_tp_rx_feed(rs_tp_rx *rx, const rs_can_frame *f, rs_j1939_msg *out);

/* Earliest time something must happen, or RS_TP_NO_DEADLINE. */
uint64_t rs_tp_rx_deadline(const rs_tp_rx *rx);

/* Runs timers up to now: timeouts (abort 3 for active RTS/CTS sessions),
 * hold repeats and hold ends. */
void rs_tp_rx_tick(rs_tp_rx *rx, uint64_t now_us);

/* Sessions in progress. */
size_t rs_tp_rx_open(const rs_tp_rx *rx);

/* ---- every frame in, whole messages out -------------------------------- */

#define RS_J1939_RX_SESSIONS 16

/* The consumer's view: single-frame PGNs pass straight through, TP.CM/DT
 * are reassembled, so only whole messages come out. */
typedef struct rs_j1939_rx {
    rs_tp_rx tp;
    uint8_t single[RS_CAN_MAX_DLEN];
    rs_tp_rx_session slots[RS_J1939_RX_SESSIONS];
} rs_j1939_rx;

/* cfg NULL = defaults (passive listener, sends nothing). */
rs_code rs_j1939_rx_init(rs_j1939_rx *rx, const rs_tp_rx_cfg *cfg, rs_err *err);

/* Returns 1 with *out filled when a message is complete (valid until the
 * next call), 0 otherwise.  TP.CM/TP.DT frames themselves never come out. */
int rs_j1939_rx_feed(rs_j1939_rx *rx, const rs_can_frame *f, rs_j1939_msg *out);

static inline const rs_tp_stats *rs_j1939_rx_stats(const rs_j1939_rx *rx)
{
    return &rx->tp.stats;
}

/* ---- sender ------------------------------------------------------------ */

#define RS_TP_TX_SESSIONS 4

typedef enum rs_tp_tx_result {
    RS_TP_TX_DONE = 0,         /* BAM fully sent, or EoMA received */
    RS_TP_TX_ABORTED,          /* the receiver aborted (reason given) */
    RS_TP_TX_TIMEOUT,          /* T3/T4 expired; we sent abort 3 */
    RS_TP_TX_FAILED            /* protocol error; we sent an abort (reason given) */
} rs_tp_tx_result;

/* Called once per started multi-packet message when it ends. */
typedef void (*rs_tp_done_fn)(void *user, uint32_t pgn, uint8_t da,
                              rs_tp_tx_result result, uint8_t reason);

typedef struct rs_tp_tx_cfg {
    uint8_t self_addr;         /* our source address */
    uint32_t bam_gap_us;       /* BAM packet spacing, 50..200 ms (default 50 ms) */
    uint8_t max_per_cts;       /* RTS byte 5 (default 0xFF = no limit) */
    uint8_t prio;              /* default 7 for TP; single frames use the caller's */
    rs_tp_send_fn send;
    rs_tp_done_fn done;        /* may be NULL */
    void *user;
} rs_tp_tx_cfg;

void rs_tp_tx_cfg_default(rs_tp_tx_cfg *cfg);

typedef struct rs_tp_tx_session {
    uint8_t state;             /* 0 free */
    uint8_t da;
    uint8_t packets;
    uint8_t next_seq;          /* next packet to send */
    uint8_t window_end;        /* last packet of the current CTS window */
    uint16_t size;
    uint32_t pgn;
    uint64_t deadline;
    uint8_t buf[RS_J1939_MAX_LEN];
} rs_tp_tx_session;

typedef struct rs_tp_tx {
    rs_tp_tx_cfg cfg;
    rs_tp_tx_session s[RS_TP_TX_SESSIONS];
    uint64_t now;
    uint64_t sent;             /* frames sent */
    uint64_t ignored;          /* CM frames for no session of ours */
} rs_tp_tx;

/* RS_E_OPTION when bam_gap_us is outside 50..200 ms or max_per_cts is 0. */
rs_code rs_tp_tx_init(rs_tp_tx *tx, const rs_tp_tx_cfg *cfg, rs_err *err);

/* Sends a message of any length 0..1785 from cfg.self_addr to da:
 * up to 8 bytes go out at once as one frame (priority prio); longer ones
 * start a BAM (da 0xFF) or an RTS/CTS session, which the data is copied
 * into.  RS_E_LENGTH above 1785, RS_E_VALUE for a bad pgn/prio,
 * RS_E_LIMIT when a session to that da is already running or all
 * RS_TP_TX_SESSIONS are busy. */
rs_code rs_tp_tx_send(rs_tp_tx *tx, uint64_t now_us, uint8_t prio, uint32_t pgn,
                      uint8_t da, const uint8_t *data, size_t len, rs_err *err);

/* Feeds any frame; CTS, EoMA and aborts addressed to us drive the
 * RTS/CTS sessions, everything else is ignored. */
void rs_tp_tx_feed(rs_tp_tx *tx, const rs_can_frame *f);

uint64_t rs_tp_tx_deadline(const rs_tp_tx *tx);
void rs_tp_tx_tick(rs_tp_tx *tx, uint64_t now_us);

/* Sessions in progress. */
size_t rs_tp_tx_open(const rs_tp_tx *tx);

/* Runs every session to its end at its own deadlines, as if no other
 * traffic came (a BAM: every packet, 50..200 ms apart; an RTS/CTS session
 * with nobody answering: its timeout abort).  Returns the time of the last
 * tick, or since_us when nothing was open. */
uint64_t rs_tp_tx_run_out(rs_tp_tx *tx, uint64_t since_us);

#endif
