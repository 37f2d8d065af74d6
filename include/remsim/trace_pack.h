/* Samples -> report packets as a profile packs them, and a CAN trace ->
 * packets (the library part of "replay a trace as a terminal would").
 *
 *   GB17691: one packet per sample: time, {0x02 stream, [0x80], [0x01 OBD]}
 *            each item with a serial (profile serial_style: the packet's
 *            serial on every item, or +1 per item).
 *   HJ1239:  ten samples per packet: send time, serial, {type, collect time,
 *            body}... (0x02 and 0x80 per sample, OBD first when due), then
 *            the signature when a signing hook is given.
 * Serials are daily counters: 1 after midnight (GMT+8), +1 per packet, at
 * most 65531 (protocol.md §10).  Pure: frames go to a callback. */
#ifndef REMSIM_TRACE_PACK_H
#define REMSIM_TRACE_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/error.h"
#include "remsim/msg.h"
#include "remsim/profile.h"
#include "remsim/sampler.h"

#define RS_PACK_FRAME_MAX 4096

/* One encoded frame; msg is what was encoded (valid during the call). */
typedef void (*rs_packet_fn)(void *ctx, const uint8_t *frame, size_t len, const rs_msg *msg);

typedef struct rs_packer {
    const rs_profile *profile;
    unsigned per_packet;         /* samples per packet: GB 1, HJ 10 */
    uint32_t obd_period_s;       /* OBD item at the first packet, then this often (0 = never) */
    bool supplement;             /* add the 0x80 supplement: HJ yes; GB no (user-defined there, §7.3) */
    rs_sign_fn sign;             /* HJ signing hook, NULL = unsigned */
    void *sign_ctx;
    rs_packet_fn out;
    void *ctx;
    rs_msg msg;                  /* the packet being filled */
    unsigned held;               /* samples in it */
    uint16_t serial;             /* last serial used */
    int64_t serial_day;          /* day of that serial */
    bool obd_sent;
    int64_t obd_last;            /* unix seconds of the last OBD item */
    uint64_t packets;
    uint8_t dtc[RS_DTC_MAX * 4]; /* the OBD item's DTCs, copied (the source may move on) */
    uint8_t frame[RS_PACK_FRAME_MAX];
} rs_packer;

/* vin: 17 bytes for the header. */
void rs_packer_init(rs_packer *k, const rs_profile *p, const uint8_t vin[RS_VIN_LEN],
                    rs_packet_fn out, void *ctx);

/* Adds one sample (obd may be NULL: no OBD item).  Emits a packet when the
 * profile's count is reached.  Errors of the encoder are returned; the
 * samples held are dropped then (a packet is never half-sent). */
rs_code rs_packer_add(rs_packer *k, const rs_sample *s, const rs_obd *obd, rs_err *err);

/* Emits what is held (the last, short HJ packet). */
rs_code rs_packer_flush(rs_packer *k, rs_err *err);

/* A whole CAN source (e.g. rs_candump_open; a file, not a non-blocking
 * live port) through J1939 RX, the sampler (cfg NULL = defaults; OBD from
 * its DM state) and the packer, until the source ends, then flushes.
 * Malformed lines are skipped (the reader counts them); any other read
 * error or an encode error stops the run and is returned. */
rs_code rs_trace_to_packets(rs_can_port *src, const rs_sampler_cfg *cfg, rs_packer *k,
                            rs_err *err);

#endif
