/* In-memory CAN bus for tests and the simulator.
 *
 * Ports attach to one bus.  A frame written by a port is queued for every
 * other port (as CAN_RAW_LOOPBACK does between sockets on one host); the
 * writer sees its own frames only when it asked (RS_CANBUS_MEM_RECV_OWN, as
 * CAN_RAW_RECV_OWN_MSGS).  Each port has a bounded ring: a frame that finds
 * a receiver's ring full is dropped for that receiver and counted there,
 * never silently.  Writes always succeed, like a bus that does not wait for
 * slow listeners.
 *
 * Frames keep the timestamp the writer gave (virtual time in the simulator);
 * the bus does not stamp.  Every port's table holds one name, the bus name,
 * and frames read carry iface 0.
 *
 * Single-threaded: one bus belongs to one event loop / worker.  The bus is
 * freed when it has been released and its last port closed, in any order. */
#ifndef REMSIM_CANBUS_MEM_H
#define REMSIM_CANBUS_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/error.h"

typedef struct rs_canbus_mem rs_canbus_mem;

enum {
    RS_CANBUS_MEM_RECV_OWN = 1u << 0   /* also queue this port's own frames to itself */
};

#define RS_CANBUS_MEM_DEFAULT_RING 1024

typedef struct rs_canbus_mem_stats {
    uint64_t rx;        /* frames read from this port */
    uint64_t tx;        /* frames written by this port */
    uint64_t dropped;   /* frames lost because this port's ring was full */
    size_t queued;      /* frames waiting now */
    size_t ring;        /* ring capacity */
} rs_canbus_mem_stats;

/* A bus named ifname ("simcan0"; NULL: "mem0").  NULL on failure. */
rs_canbus_mem *rs_canbus_mem_new(const char *ifname, rs_err *err);

/* Gives up the creator's hold; the bus lives on while ports are attached. */
void rs_canbus_mem_release(rs_canbus_mem *bus);

/* A new port on the bus with a ring of ring_frames (0: the default). */
rs_can_port *rs_canbus_mem_attach(rs_canbus_mem *bus, size_t ring_frames, unsigned opts, rs_err *err);

/* Counters of one port; NULL when p is not a memory-bus port. */
const rs_canbus_mem_stats *rs_canbus_mem_stats_of(const rs_can_port *p);

/* Frames dropped on the whole bus (sum over ports, closed ones included). */
uint64_t rs_canbus_mem_dropped(const rs_canbus_mem *bus);

#endif
