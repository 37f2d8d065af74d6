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

#define RS_CAN_SFF_MASK 0x000007FFu
#define RS_CAN_EFF_MASK 0x1FFFFFFFu

/* ---- Interface names --------------------------------------------------
 *
 * rs_can_frame.iface is a small index, not a string, so frames stay 24 bytes
 * and copying them never allocates.  Each port owns a table that the index
 * refers to; names are added ("interned") the first time they are seen and
 * keep their index for the life of the port. */
#define RS_CAN_MAX_IFACES 32

typedef struct rs_can_ifaces {
    unsigned count;
    char name[RS_CAN_MAX_IFACES][RS_CAN_IFNAME_LEN];   /* NUL-terminated */
} rs_can_ifaces;

/* Index of name[0..len) in t, added when new.  -1 when the name is empty,
 * longer than RS_CAN_IFNAME_LEN - 1 bytes, not printable ASCII without
 * spaces, or the table is full. */
int rs_can_iface_intern(rs_can_ifaces *t, const char *name, size_t len);

/* Index of name[0..len) in t, or -1 when absent (never adds). */
int rs_can_iface_find(const rs_can_ifaces *t, const char *name, size_t len);

/* Name at idx, or NULL when idx is not in the table. */
const char *rs_can_iface_name(const rs_can_ifaces *t, unsigned idx);

/* ---- Ports --------------------------------------------------------------
 *
 * What one read or write call did.  RS_CAN_AGAIN and RS_CAN_END are not
 * errors: AGAIN says "nothing now, wait for fd" (non-blocking live bus, full
 * transmit queue, empty memory ring), END says the source is exhausted. */
typedef enum rs_can_status {
    RS_CAN_OK = 0,     /* one frame read or written */
    RS_CAN_AGAIN,      /* would block; the frame (on write) was NOT sent, retry it */
    RS_CAN_END,        /* end of file / source closed */
    RS_CAN_ERROR       /* *err filled; the port is still usable unless it says so */
} rs_can_status;

typedef struct rs_can_port rs_can_port;

/* Every port starts with this struct: an implementation embeds it as its
 * first member and casts back (as libev watchers do).  A port that cannot
 * read (a log writer) or write (a log reader) leaves that pointer NULL. */
struct rs_can_port {
    const char *kind;        /* static: "candump-in", "candump-out", "socketcan", "mem" */
    rs_can_status (*read)(rs_can_port *p, rs_can_frame *out, rs_err *err);
    rs_can_status (*write)(rs_can_port *p, const rs_can_frame *f, rs_err *err);
    void (*close)(rs_can_port *p);           /* releases everything, p included */
    int fd;                  /* descriptor for an event loop (ev_io), -1 when none */
    rs_can_ifaces ifaces;    /* names that frames read from this port index */
    /* Sinks: the table whose names a written frame's iface indexes.  NULL
     * means this port's own table; point it at the source's table when
     * copying frames from one port to another, so names follow the frames. */
    const rs_can_ifaces *tx_names;
};

/* Calls through the port, checking that the direction exists.  A read on a
 * write-only port (and the reverse) is RS_CAN_ERROR with RS_E_OPTION. */
rs_can_status rs_can_read(rs_can_port *p, rs_can_frame *out, rs_err *err);
rs_can_status rs_can_write(rs_can_port *p, const rs_can_frame *f, rs_err *err);

/* Closes and frees the port; NULL is allowed. */
void rs_can_close(rs_can_port *p);

/* Name of the interface a frame written to p goes out as (tx_names or the
 * port's own table), or NULL when f->iface is not in that table. */
const char *rs_can_tx_name(const rs_can_port *p, const rs_can_frame *f);

/* "ok", "again", "end", "error". */
const char *rs_can_status_name(rs_can_status s);

/* Checks a frame before it is sent or written: id fits its width, len <= 8,
 * no RTR with FD.  RS_E_VALUE with the field named otherwise. */
rs_code rs_can_frame_check(const rs_can_frame *f, rs_err *err);

#endif
