/* SocketCAN CAN_RAW port (socketcan.h, can-signals.md §7). */
#include "remsim/socketcan.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/can/raw.h>

static const char KIND_SOCK[] = "socketcan";

typedef struct sock_port {
    rs_can_port port;          /* first member: the port is the socket */
    int fd;
    unsigned opts;
    bool any;                  /* bound to every interface (ifindex 0) */
    int ifindex[RS_CAN_MAX_IFACES];   /* kernel index of each name in port.ifaces */
    rs_socketcan_stats stats;
} sock_port;

/* Static rule texts: rs_err keeps pointers, never copies. */
static const char *socket_rule(int e)
{
    switch (e) {
    case EAFNOSUPPORT:
        return "AF_CAN not supported by this kernel (EAFNOSUPPORT): load the can and can_raw "
               "modules, or read a candump file / use the memory bus";
    case EPROTONOSUPPORT:
        return "CAN_RAW not available (EPROTONOSUPPORT): modprobe can_raw";
    case EPERM:
    case EACCES:
        return "not permitted to open a raw CAN socket";
    case EMFILE:
    case ENFILE:
        return "out of file descriptors";
    default:
        return "socket(PF_CAN, SOCK_RAW, CAN_RAW) failed (errno in 'found')";
    }
}

static rs_code io_fail(rs_err *err, const char *field, const char *rule, int e)
{
    return rs_fail(err, RS_E_IO, 0, field, rule, e, 0, RS_NUM_GOT_ONLY);
}

static rs_code set_flag(int fd, int level, int opt, int on, const char *field, rs_err *err)
{
    if (setsockopt(fd, level, opt, &on, sizeof on) != 0)
        return io_fail(err, field, "setsockopt failed (errno in 'found')", errno);
    return RS_OK;
}

rs_code rs_socketcan_set_filters(rs_can_port *port, const rs_can_filter *filters, size_t n, rs_err *err)
{
    if (!port || port->kind != KIND_SOCK)
        return rs_fail(err, RS_E_OPTION, 0, "port", "rs_socketcan_set_filters needs a SocketCAN port", 0,
                       0, RS_NUM_NONE);
    if (n > CAN_RAW_FILTER_MAX)
        return rs_fail(err, RS_E_LIMIT, 0, "filters", "at most CAN_RAW_FILTER_MAX (512) filters",
                       (long long)n, CAN_RAW_FILTER_MAX, RS_NUM_DEC);
    sock_port *s = (sock_port *)port;
    /* rs_can_filter has struct can_filter's layout (static assert in
     * socketcan_frame.c); n == 0 installs an empty list: receive nothing. */
    if (setsockopt(s->fd, SOL_CAN_RAW, CAN_RAW_FILTER, n ? (const void *)filters : NULL,
                   (socklen_t)(n * sizeof *filters)) != 0)
        return io_fail(err, "CAN_RAW_FILTER", "setsockopt(CAN_RAW_FILTER) failed (errno in 'found')", errno);
    return RS_OK;
}

/* Table index of a kernel interface index (bound to "any"). */
static int iface_of_index(sock_port *s, int ifindex, rs_err *err)
{
    for (unsigned i = 0; i < s->port.ifaces.count; i++)
        if (s->ifindex[i] == ifindex)
            return (int)i;
    char name[IF_NAMESIZE];
    if (!if_indextoname((unsigned)ifindex, name)) {
        io_fail(err, "if_indextoname", "the frame's interface vanished (errno in 'found')", errno);
        return -1;
    }
    int i = rs_can_iface_intern(&s->port.ifaces, name, strlen(name));
    if (i < 0) {
        rs_fail(err, RS_E_LIMIT, 0, "interface", "a port holds at most 32 interface names",
                RS_CAN_MAX_IFACES, 0, RS_NUM_GOT_ONLY);
        return -1;
    }
    s->ifindex[i] = ifindex;
    return i;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static rs_can_status sock_read(rs_can_port *port, rs_can_frame *out, rs_err *err)
{
    sock_port *s = (sock_port *)port;
    struct canfd_frame kf;   /* large enough for both MTUs */
    struct sockaddr_can addr;
    union {
        char buf[CMSG_SPACE(sizeof(struct timeval)) + CMSG_SPACE(sizeof(uint32_t))];
        struct cmsghdr align;
    } ctrl;
    struct iovec iov = { &kf, (s->opts & RS_SOCKETCAN_FD) ? CANFD_MTU : CAN_MTU };
    struct msghdr msg;
    ssize_t n;
    for (;;) {
        memset(&msg, 0, sizeof msg);
        msg.msg_name = &addr;
        msg.msg_namelen = sizeof addr;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctrl.buf;
        msg.msg_controllen = sizeof ctrl.buf;
        n = recvmsg(s->fd, &msg, 0);
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return RS_CAN_AGAIN;
        io_fail(err, "recvmsg", errno == ENETDOWN ? "the CAN interface is down (ENETDOWN)"
                                                  : "recvmsg on the CAN socket failed (errno in 'found')",
                errno);
        return RS_CAN_ERROR;
    }
    rs_can_frame f;
    if ((size_t)n == CAN_MTU) {
        rs_socketcan_from_kernel((const struct can_frame *)(const void *)&kf, &f);
    } else if ((size_t)n == CANFD_MTU) {
        rs_socketcan_from_kernel_fd(&kf, &f);
    } else {
        rs_fail(err, RS_E_IO, (size_t)n, "recvmsg", "a CAN_RAW read returns CAN_MTU or CANFD_MTU bytes",
                (long long)n, CAN_MTU, RS_NUM_DEC);
        return RS_CAN_ERROR;
    }
    bool stamped = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_TIMESTAMP && c->cmsg_len >= CMSG_LEN(sizeof(struct timeval))) {
            struct timeval tv;
            memcpy(&tv, CMSG_DATA(c), sizeof tv);
            f.ts_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
            stamped = true;
        } else if (c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
            uint32_t drops;
            memcpy(&drops, CMSG_DATA(c), sizeof drops);
            s->stats.kernel_drops = drops;   /* the kernel's running total for this socket */
        }
    }
    if (!stamped) {
        f.ts_us = wall_us();
        s->stats.no_timestamp++;
    }
    if (s->any) {
        int i = iface_of_index(s, addr.can_ifindex, err);
        if (i < 0)
            return RS_CAN_ERROR;
        f.iface = (uint8_t)i;
    } else {
        f.iface = 0;
    }
    s->stats.rx++;
    *out = f;
    return RS_CAN_OK;
}

/* Destination for a socket bound to every interface: the frame's name. */
static int tx_ifindex(sock_port *s, const rs_can_frame *f, rs_err *err)
{
    const char *name = rs_can_tx_name(&s->port, f);
    if (!name) {
        rs_fail(err, RS_E_VALUE, 0, "iface", "the frame's interface index names no interface",
                f->iface, 0, RS_NUM_GOT_ONLY);
        return -1;
    }
    int i = rs_can_iface_intern(&s->port.ifaces, name, strlen(name));
    if (i < 0) {
        rs_fail(err, RS_E_LIMIT, 0, "interface", "a port holds at most 32 interface names",
                RS_CAN_MAX_IFACES, 0, RS_NUM_GOT_ONLY);
        return -1;
    }
    if (s->ifindex[i] <= 0) {
        unsigned idx = if_nametoindex(name);
        if (idx == 0) {
            io_fail(err, "if_nametoindex", "no such CAN interface (errno in 'found')", errno);
            return -1;
        }
        s->ifindex[i] = (int)idx;
    }
    return s->ifindex[i];
}

static rs_can_status sock_write(rs_can_port *port, const rs_can_frame *f, rs_err *err)
{
    sock_port *s = (sock_port *)port;
    if (f->flags & RS_CAN_ERR) {
        rs_fail(err, RS_E_VALUE, 0, "flags", "error frames come from the CAN controller; they cannot be sent",
                f->flags, 0, RS_NUM_NONE);
        return RS_CAN_ERROR;
    }
    struct can_frame k;
    if (rs_socketcan_to_kernel(f, &k, err) != RS_OK)
        return RS_CAN_ERROR;
    struct sockaddr_can addr;
    memset(&addr, 0, sizeof addr);
    addr.can_family = AF_CAN;
    if (s->any) {
        int idx = tx_ifindex(s, f, err);
        if (idx < 0)
            return RS_CAN_ERROR;
        addr.can_ifindex = idx;
    }
    ssize_t n;
    do {
        n = s->any ? sendto(s->fd, &k, sizeof k, 0, (const struct sockaddr *)&addr, sizeof addr)
                   : write(s->fd, &k, sizeof k);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        /* ENOBUFS: the device tx queue is full (txqueuelen, default 10).  The
         * frame was not sent; the caller keeps it and retries. */
        if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK) {
            s->stats.tx_again++;
            return RS_CAN_AGAIN;
        }
        io_fail(err, "write", errno == ENETDOWN ? "the CAN interface is down (ENETDOWN)"
                                                : "write on the CAN socket failed (errno in 'found')",
                errno);
        return RS_CAN_ERROR;
    }
    if ((size_t)n != sizeof k) {
        rs_fail(err, RS_E_IO, 0, "write", "a CAN_RAW write sends the whole frame", (long long)n,
                (long long)sizeof k, RS_NUM_DEC);
        return RS_CAN_ERROR;
    }
    s->stats.tx++;
    return RS_CAN_OK;
}

static void sock_close(rs_can_port *port)
{
    sock_port *s = (sock_port *)port;
    close(s->fd);
    free(s);
}

const rs_socketcan_stats *rs_socketcan_stats_of(const rs_can_port *p)
{
    return (p && p->kind == KIND_SOCK) ? &((const sock_port *)p)->stats : NULL;
}

static rs_code configure(sock_port *s, unsigned opts, const rs_can_filter *filters, size_t n, rs_err *err)
{
    if (filters && rs_socketcan_set_filters(&s->port, filters, n, err) != RS_OK)
        return RS_E_IO;
    if ((opts & RS_SOCKETCAN_NO_LOOPBACK) &&
        set_flag(s->fd, SOL_CAN_RAW, CAN_RAW_LOOPBACK, 0, "CAN_RAW_LOOPBACK", err) != RS_OK)
        return RS_E_IO;
    if ((opts & RS_SOCKETCAN_RECV_OWN) &&
        set_flag(s->fd, SOL_CAN_RAW, CAN_RAW_RECV_OWN_MSGS, 1, "CAN_RAW_RECV_OWN_MSGS", err) != RS_OK)
        return RS_E_IO;
    if ((opts & RS_SOCKETCAN_FD) &&
        set_flag(s->fd, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, 1, "CAN_RAW_FD_FRAMES", err) != RS_OK)
        return RS_E_IO;
    if (opts & RS_SOCKETCAN_ERR_FRAMES) {
        can_err_mask_t m = CAN_ERR_MASK;
        if (setsockopt(s->fd, SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &m, sizeof m) != 0)
            return io_fail(err, "CAN_RAW_ERR_FILTER", "setsockopt failed (errno in 'found')", errno);
    }
    /* Kernel receive stamps, as candump uses; and the socket's drop count,
     * so overflow in the kernel queue is never silent. */
    if (set_flag(s->fd, SOL_SOCKET, SO_TIMESTAMP, 1, "SO_TIMESTAMP", err) != RS_OK ||
        set_flag(s->fd, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL", err) != RS_OK)
        return RS_E_IO;
    return RS_OK;
}

rs_can_port *rs_socketcan_open(const char *ifname, unsigned opts, const rs_can_filter *filters,
                               size_t n, rs_err *err)
{
    bool any = !ifname || strcmp(ifname, "any") == 0;
    size_t nlen = any ? 0 : strlen(ifname);
    if (!any && (nlen == 0 || nlen >= RS_CAN_IFNAME_LEN)) {
        rs_fail(err, RS_E_OPTION, 0, "ifname", "interface names have 1..15 characters", (long long)nlen, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    int type = SOCK_RAW | SOCK_CLOEXEC | ((opts & RS_SOCKETCAN_NONBLOCK) ? SOCK_NONBLOCK : 0);
    int fd = socket(PF_CAN, type, CAN_RAW);
    if (fd < 0) {
        int e = errno;
        io_fail(err, "socket(AF_CAN)", socket_rule(e), e);
        return NULL;
    }
    sock_port *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        io_fail(err, "malloc", "out of memory opening a SocketCAN port", ENOMEM);
        return NULL;
    }
    s->port.kind = KIND_SOCK;
    s->port.read = sock_read;
    s->port.write = sock_write;
    s->port.close = sock_close;
    s->port.fd = fd;
    s->fd = fd;
    s->opts = opts;
    s->any = any;
    struct sockaddr_can addr;
    memset(&addr, 0, sizeof addr);
    addr.can_family = AF_CAN;
    if (!any) {
        unsigned idx = if_nametoindex(ifname);
        if (idx == 0) {
            io_fail(err, "ifname", errno == ENODEV ? "no such CAN interface (ENODEV): create it, e.g. "
                                                     "ip link add dev vcan0 type vcan"
                                                   : "if_nametoindex failed (errno in 'found')",
                    errno);
            sock_close(&s->port);
            return NULL;
        }
        addr.can_ifindex = (int)idx;
        rs_can_iface_intern(&s->port.ifaces, ifname, nlen);
        s->ifindex[0] = (int)idx;
    }
    if (configure(s, opts, filters, n, err) != RS_OK) {
        sock_close(&s->port);
        return NULL;
    }
    if (bind(fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
        io_fail(err, "bind", errno == ENETDOWN ? "the CAN interface is down: ip link set up <name>"
                                               : "bind to the CAN interface failed (errno in 'found')",
                errno);
        sock_close(&s->port);
        return NULL;
    }
    return &s->port;
}
