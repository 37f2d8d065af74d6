/* CAN frames and the one interface every CAN source and sink implements.
 *
 * A frame is what SocketCAN, a candump log line and the in-memory bus all
 * carry.  Sources (trace file, live bus, simulator) and sinks (log writer,
 * live bus, memory bus) implement rs_can_port, so the J1939 decoder reads
 * every source through the same path (design.md, data flow). */
#ifndef REMSIM_CAN_H
#define REMSIM_CAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"

#define RS_CAN_MAX_DLEN 8        /* classic CAN; FD frames are read and skipped */
#define RS_CAN_IFNAME_LEN 16

enum {
    RS_CAN_EXT = 1u << 0,        /* 29-bit identifier */
    RS_CAN_RTR = 1u << 1,        /* remote frame */
    RS_CAN_ERR = 1u << 2,        /* error frame */
    RS_CAN_FD = 1u << 3          /* CAN FD (data not kept beyond 8 bytes) */
};

typedef struct rs_can_frame {
    uint64_t ts_us;              /* timestamp, microseconds (absolute or relative) */
    uint32_t id;                 /* 11 or 29 bits, no flags */
    uint8_t flags;               /* RS_CAN_* */
    uint8_t len;                 /* 0..8 */
    uint8_t iface;               /* index into the source's interface names */
    uint8_t data[RS_CAN_MAX_DLEN];
} rs_can_frame;

#endif
