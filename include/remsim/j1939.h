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

#endif
