/* TCP byte streams out of a capture file (pcap or pcapng, read with
 * libpcap).
 *
 * Each TCP connection in the file is a flow with two directions.  The
 * bytes of each direction are handed over in sequence order, once:
 * retransmitted bytes are dropped, segments that arrive early are held
 * until the bytes before them come (at most RS_TCPCAP_HOLD_MAX bytes per
 * direction; beyond that, or at the end of the file, the missing bytes are
 * reported as a gap and delivery goes on after it).  Each delivery is the
 * new bytes of one segment, so a reader sees what one TCP read would.
 *
 * Which side is the client: the sender of the SYN; without a SYN in the
 * capture, the side with the higher port (terminals connect from ephemeral
 * ports to a platform's service port).
 *
 * Link layers: Ethernet (with 802.1Q tags), Linux cooked (SLL, SLL2), raw
 * IP, BSD loopback.  IPv4 and IPv6 (no extension headers); IP fragments
 * and other protocols are counted and skipped. */
#ifndef REMSIM_TCPCAP_H
#define REMSIM_TCPCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"

#define RS_TCPCAP_HOLD_MAX (4u << 20)
#define RS_TCPCAP_FLOW_TEXT 136

typedef enum rs_tcpcap_kind {
    RS_TCPCAP_DATA = 0,      /* data, len: bytes in order */
    RS_TCPCAP_GAP,           /* len: bytes never seen before the next delivery */
    RS_TCPCAP_END            /* the flow is over (end of file); one per flow */
} rs_tcpcap_kind;

typedef struct rs_tcpcap_event {
    uint8_t kind;            /* rs_tcpcap_kind */
    uint32_t flow;           /* 1-based, in order of first packet */
    bool from_client;        /* client -> server direction */
    const char *flow_text;   /* "10.0.0.7:40312 > 10.0.0.1:9000" (client > server) */
    const uint8_t *data;
    size_t len;
    uint64_t offset;         /* stream offset of data[0] in this direction */
    uint64_t packet;         /* 1-based number of the packet that carried these bytes */
    int64_t time_us;         /* its capture time, Unix µs */
} rs_tcpcap_event;

typedef void (*rs_tcpcap_fn)(void *ctx, const rs_tcpcap_event *ev);

typedef struct rs_tcpcap_stats {
    uint64_t packets;        /* in the file */
    uint64_t tcp_packets;
    uint64_t skipped;        /* not TCP over IPv4/IPv6, fragments, truncated */
    uint64_t flows;
    uint64_t bytes;          /* delivered */
    uint64_t retransmitted;  /* bytes seen again and dropped */
    uint64_t out_of_order;   /* segments held until the bytes before them came */
    uint64_t gap_bytes;      /* bytes never seen */
} rs_tcpcap_stats;

/* Reads the whole file, calling fn for each event.  Errors: RS_E_IO (the
 * file cannot be opened or is not a capture; libpcap's message is lost,
 * got = errno when there is one), RS_E_VALUE (a link layer not handled:
 * got = the DLT), RS_E_LIMIT (out of memory). */
rs_code rs_tcpcap_read(const char *path, rs_tcpcap_fn fn, void *ctx, rs_tcpcap_stats *st, rs_err *err);

/* True when the file starts like a pcap or pcapng capture (magic numbers). */
bool rs_tcpcap_is_capture(const uint8_t *head, size_t n);

#endif
