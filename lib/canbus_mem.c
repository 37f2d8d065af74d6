/* In-memory CAN bus (canbus_mem.h): a list of ports, each with a ring. */
#include "remsim/canbus_mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char KIND_MEM[] = "mem";

typedef struct mem_port mem_port;

struct rs_canbus_mem {
    mem_port **ports;        /* attached ports, unordered */
    size_t nports, cap;
    unsigned refs;           /* the creator's hold + one per port */
    uint64_t dropped;        /* drops of every port, closed ones included */
    char name[RS_CAN_IFNAME_LEN];
};

struct mem_port {
    rs_can_port port;        /* first member: the port is the ring */
    rs_canbus_mem *bus;
    unsigned opts;
    size_t head, count;      /* ring: oldest frame at head */
    rs_canbus_mem_stats stats;
    rs_can_frame ring[];     /* stats.ring frames */
};

static void bus_unref(rs_canbus_mem *bus)
{
    if (--bus->refs == 0) {
        free(bus->ports);
        free(bus);
    }
}

rs_canbus_mem *rs_canbus_mem_new(const char *ifname, rs_err *err)
{
    const char *name = ifname ? ifname : "mem0";
    size_t n = strlen(name);
    if (n == 0 || n >= RS_CAN_IFNAME_LEN) {
        rs_fail(err, RS_E_OPTION, 0, "ifname", "interface names have 1..15 characters", (long long)n, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    rs_canbus_mem *bus = calloc(1, sizeof *bus);
    if (!bus) {
        rs_fail(err, RS_E_IO, 0, "malloc", "out of memory creating a memory bus", ENOMEM, 0, RS_NUM_GOT_ONLY);
        return NULL;
    }
    memcpy(bus->name, name, n + 1);
    bus->refs = 1;
    return bus;
}

void rs_canbus_mem_release(rs_canbus_mem *bus)
{
    if (bus)
        bus_unref(bus);
}

uint64_t rs_canbus_mem_dropped(const rs_canbus_mem *bus)
{
    return bus->dropped;
}

static void push(mem_port *to, const rs_can_frame *f)
{
    if (to->count == to->stats.ring) {
        to->stats.dropped++;
        to->bus->dropped++;
        return;
    }
    size_t tail = (to->head + to->count) % to->stats.ring;
    to->ring[tail] = *f;
    to->ring[tail].iface = 0;   /* the bus is the receiver's only interface */
    to->count++;
    to->stats.queued = to->count;
}

static rs_can_status mem_write(rs_can_port *port, const rs_can_frame *f, rs_err *err)
{
    mem_port *m = (mem_port *)port;
    if (rs_can_frame_check(f, err) != RS_OK)
        return RS_CAN_ERROR;
    rs_canbus_mem *bus = m->bus;
    for (size_t i = 0; i < bus->nports; i++) {
        mem_port *to = bus->ports[i];
        if (to != m || (m->opts & RS_CANBUS_MEM_RECV_OWN))
            push(to, f);
    }
    m->stats.tx++;
    return RS_CAN_OK;
}

static rs_can_status mem_read(rs_can_port *port, rs_can_frame *out, rs_err *err)
{
    (void)err;
    mem_port *m = (mem_port *)port;
    if (m->count == 0)
        return RS_CAN_AGAIN;   /* another port may still write: not the end */
    *out = m->ring[m->head];
    m->head = (m->head + 1) % m->stats.ring;
    m->count--;
    m->stats.queued = m->count;
    m->stats.rx++;
    return RS_CAN_OK;
}

static void mem_close(rs_can_port *port)
{
    mem_port *m = (mem_port *)port;
    rs_canbus_mem *bus = m->bus;
    for (size_t i = 0; i < bus->nports; i++) {
        if (bus->ports[i] == m) {
            bus->ports[i] = bus->ports[--bus->nports];
            break;
        }
    }
    free(m);
    bus_unref(bus);
}

rs_can_port *rs_canbus_mem_attach(rs_canbus_mem *bus, size_t ring_frames, unsigned opts, rs_err *err)
{
    size_t ring = ring_frames ? ring_frames : RS_CANBUS_MEM_DEFAULT_RING;
    if (ring > (SIZE_MAX - sizeof(mem_port)) / sizeof(rs_can_frame)) {
        rs_fail(err, RS_E_OPTION, 0, "ring_frames", "ring too large for memory", (long long)ring, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    if (bus->nports == bus->cap) {
        size_t cap = bus->cap ? bus->cap * 2 : 4;
        mem_port **p = realloc(bus->ports, cap * sizeof *p);
        if (!p) {
            rs_fail(err, RS_E_IO, 0, "malloc", "out of memory attaching a port", ENOMEM, 0, RS_NUM_GOT_ONLY);
            return NULL;
        }
        bus->ports = p;
        bus->cap = cap;
    }
    mem_port *m = calloc(1, sizeof *m + ring * sizeof(rs_can_frame));
    if (!m) {
        rs_fail(err, RS_E_IO, 0, "malloc", "out of memory attaching a port", ENOMEM, 0, RS_NUM_GOT_ONLY);
        return NULL;
    }
    m->port.kind = KIND_MEM;
    m->port.read = mem_read;
    m->port.write = mem_write;
    m->port.close = mem_close;
    m->port.fd = -1;
    rs_can_iface_intern(&m->port.ifaces, bus->name, strlen(bus->name));
    m->bus = bus;
    m->opts = opts;
    m->stats.ring = ring;
    bus->ports[bus->nports++] = m;
    bus->refs++;
    return &m->port;
}

const rs_canbus_mem_stats *rs_canbus_mem_stats_of(const rs_can_port *p)
{
    return (p && p->kind == KIND_MEM) ? &((const mem_port *)p)->stats : NULL;
}
