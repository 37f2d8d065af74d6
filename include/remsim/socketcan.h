/* SocketCAN CAN_RAW port (Linux; can-signals.md §7).
 *
 * rs_socketcan_open() binds a raw CAN socket to one interface ("can0",
 * "vcan0") or to all of them ("any"), turns on kernel receive timestamps
 * (SO_TIMESTAMP, read with recvmsg as SCM_TIMESTAMP) and the kernel's drop
 * counter (SO_RXQ_OVFL), and returns an rs_can_port whose fd can be watched
 * by an event loop.
 *
 * Kernels without CAN (socket(AF_CAN) fails with EAFNOSUPPORT, as in most
 * containers) make the open fail with RS_E_IO, errno in err->got and a rule
 * saying what to load; nothing is emulated.  Use the memory bus
 * (canbus_mem.h) or a candump file instead.
 *
 * The frame conversions and the J1939 filter builders are pure functions
 * and work on any machine. */
#ifndef REMSIM_SOCKETCAN_H
#define REMSIM_SOCKETCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/can.h>

#include "remsim/can.h"
#include "remsim/error.h"

/* Open options. */
enum {
    RS_SOCKETCAN_NONBLOCK = 1u << 0,     /* read/write return RS_CAN_AGAIN instead of blocking */
    RS_SOCKETCAN_RECV_OWN = 1u << 1,     /* CAN_RAW_RECV_OWN_MSGS: see our own frames */
    RS_SOCKETCAN_NO_LOOPBACK = 1u << 2,  /* CAN_RAW_LOOPBACK off: other local sockets do not see ours */
    RS_SOCKETCAN_ERR_FRAMES = 1u << 3,   /* CAN_RAW_ERR_FILTER: receive every error class */
    RS_SOCKETCAN_FD = 1u << 4            /* CAN_RAW_FD_FRAMES: FD frames read (first 8 bytes, RS_CAN_FD) */
};

/* A kernel filter (struct can_filter layout): a frame passes when
 * (frame_can_id & mask) == (id & mask).  id and mask carry the CAN_*_FLAG
 * bits; CAN_INV_FILTER in id inverts. */
typedef struct rs_can_filter {
    uint32_t id;
    uint32_t mask;
} rs_can_filter;

typedef struct rs_socketcan_stats {
    uint64_t rx, tx;
    uint64_t tx_again;         /* writes refused with ENOBUFS/EAGAIN (frame not sent) */
    uint64_t kernel_drops;     /* SO_RXQ_OVFL: frames the kernel dropped for this socket */
    uint64_t no_timestamp;     /* frames without SCM_TIMESTAMP (wall clock used) */
} rs_socketcan_stats;

/* Opens CAN_RAW on ifname ("any" or NULL: every CAN interface).  filters
 * NULL: receive everything; n == 0 with non-NULL filters: receive nothing
 * (a send-only port).  NULL on failure with RS_E_IO (errno in got). */
rs_can_port *rs_socketcan_open(const char *ifname, unsigned opts, const rs_can_filter *filters,
                               size_t n, rs_err *err);

/* Replaces the filter list (CAN_RAW_FILTER; at most CAN_RAW_FILTER_MAX). */
rs_code rs_socketcan_set_filters(rs_can_port *p, const rs_can_filter *filters, size_t n, rs_err *err);

/* Counters; NULL when p is not a SocketCAN port. */
const rs_socketcan_stats *rs_socketcan_stats_of(const rs_can_port *p);

/* Filter for one J1939 PGN from any source address and priority, data
 * frames only, 29-bit only.  PDU1 PGNs (PF < 240) match any destination:
 * a DA byte given in pgn is ignored. */
rs_can_filter rs_socketcan_filter_pgn(uint32_t pgn);

/* The same, from one source address. */
rs_can_filter rs_socketcan_filter_pgn_sa(uint32_t pgn, uint8_t sa);

/* rs_can_frame -> struct can_frame (flags into can_id).  RS_E_VALUE when
 * the frame does not fit classic CAN (rs_can_frame_check, or RS_CAN_FD). */
rs_code rs_socketcan_to_kernel(const rs_can_frame *f, struct can_frame *k, rs_err *err);

/* struct can_frame -> rs_can_frame (ts_us and iface left to the caller).
 * len above 8 (malformed) is cut to 8. */
void rs_socketcan_from_kernel(const struct can_frame *k, rs_can_frame *f);

/* struct canfd_frame -> rs_can_frame with RS_CAN_FD and the first 8 bytes. */
void rs_socketcan_from_kernel_fd(const struct canfd_frame *k, rs_can_frame *f);

#endif
