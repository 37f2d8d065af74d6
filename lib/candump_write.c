/* candump log writer (candump.h): lines as `candump -l` writes them.
 *
 * Lines are formatted by hand into a 64 KiB buffer and written with
 * write(2) when it fills, on flush and on close. */
#include "remsim/candump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char KIND_OUT[] = "candump-out";

#define OUT_BUF (64u * 1024u)

typedef struct candump_out {
    rs_can_port port;          /* first member: the port is the writer */
    int fd;
    bool own_fd;
    size_t len;                /* bytes waiting in buf */
    char buf[OUT_BUF];
} candump_out;

static const char hexd[] = "0123456789ABCDEF";

/* Decimal with at least width digits, zero-padded (as "%0*llu"). */
static char *put_dec(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_hex(char *p, uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        *p++ = hexd[(v >> (4 * i)) & 0x0F];
    return p;
}

size_t rs_candump_format(const rs_can_frame *f, const char *ifname, char *buf, size_t cap)
{
    size_t nlen = ifname ? strlen(ifname) : 0;
    if (nlen == 0 || nlen >= RS_CAN_IFNAME_LEN || rs_can_frame_check(f, NULL) != RS_OK)
        return 0;
    char line[RS_CANDUMP_LINE_MAX];
    char *p = line;
    *p++ = '(';
    p = put_dec(p, f->ts_us / 1000000u, 10);   /* candump -l: "(%010lu.%06lu)" */
    *p++ = '.';
    p = put_dec(p, f->ts_us % 1000000u, 6);
    *p++ = ')';
    *p++ = ' ';
    memcpy(p, ifname, nlen);
    p += nlen;
    *p++ = ' ';
    if (f->flags & RS_CAN_ERR)
        p = put_hex(p, f->id | 0x20000000u, 8);
    else if (f->flags & RS_CAN_EXT)
        p = put_hex(p, f->id, 8);
    else
        p = put_hex(p, f->id, 3);
    *p++ = '#';
    if (f->flags & RS_CAN_RTR) {
        *p++ = 'R';
        if (f->len)
            *p++ = (char)('0' + f->len);
    } else {
        if (f->flags & RS_CAN_FD) {
            /* BRS/ESI are not kept in rs_can_frame: written as 0. */
            *p++ = '#';
            *p++ = '0';
        }
        for (unsigned i = 0; i < f->len; i++) {
            *p++ = hexd[f->data[i] >> 4];
            *p++ = hexd[f->data[i] & 0x0F];
        }
    }
    *p++ = '\n';
    size_t n = (size_t)(p - line);
    if (n + 1 > cap)
        return 0;
    memcpy(buf, line, n);
    buf[n] = '\0';
    return n;
}

rs_code rs_candump_flush(rs_can_port *port, rs_err *err)
{
    if (!port || port->kind != KIND_OUT)
        return rs_fail(err, RS_E_OPTION, 0, "port", "rs_candump_flush needs a candump writer", 0, 0,
                       RS_NUM_NONE);
    candump_out *w = (candump_out *)port;
    size_t done = 0;
    while (done < w->len) {
        ssize_t k = write(w->fd, w->buf + done, w->len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            /* Keep what was not written, so a later flush can retry it. */
            memmove(w->buf, w->buf + done, w->len - done);
            w->len -= done;
            return rs_fail(err, RS_E_IO, 0, "write", "write(2) of the candump log failed (errno in 'found')",
                           e, 0, RS_NUM_GOT_ONLY);
        }
        done += (size_t)k;
    }
    w->len = 0;
    return RS_OK;
}

static rs_can_status out_write(rs_can_port *port, const rs_can_frame *f, rs_err *err)
{
    candump_out *w = (candump_out *)port;
    if (rs_can_frame_check(f, err) != RS_OK)
        return RS_CAN_ERROR;
    const char *name = rs_can_tx_name(port, f);
    if (!name) {
        rs_fail(err, RS_E_VALUE, 0, "iface",
                "the frame's interface index is not in the writer's name table (set tx_names)",
                f->iface, 0, RS_NUM_GOT_ONLY);
        return RS_CAN_ERROR;
    }
    if (OUT_BUF - w->len < RS_CANDUMP_LINE_MAX && rs_candump_flush(port, err) != RS_OK)
        return RS_CAN_ERROR;
    w->len += rs_candump_format(f, name, w->buf + w->len, OUT_BUF - w->len);
    return RS_CAN_OK;
}

static void out_close(rs_can_port *port)
{
    candump_out *w = (candump_out *)port;
    /* Errors here have no one to go to: callers who care flush first. */
    rs_candump_flush(port, NULL);
    if (w->own_fd)
        close(w->fd);
    free(w);
}

rs_can_port *rs_candump_writer_fd(int fd, bool own, const char *iface, rs_err *err)
{
    candump_out *w = malloc(sizeof *w);
    if (!w) {
        if (own)
            close(fd);
        rs_fail(err, RS_E_IO, 0, "malloc", "out of memory opening a candump writer", ENOMEM, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    memset(&w->port, 0, sizeof w->port);
    w->port.kind = KIND_OUT;
    w->port.write = out_write;
    w->port.close = out_close;
    w->port.fd = fd;
    w->fd = fd;
    w->own_fd = own;
    w->len = 0;
    if (iface && rs_can_iface_intern(&w->port.ifaces, iface, strlen(iface)) < 0) {
        rs_fail(err, RS_E_VALUE, 0, "iface", "interface names have 1..15 characters", 0, 0, RS_NUM_NONE);
        out_close(&w->port);
        return NULL;
    }
    return &w->port;
}

rs_can_port *rs_candump_create(const char *path, const char *iface, rs_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rs_fail(err, RS_E_IO, 0, "open", "cannot create the candump file (errno in 'found')", errno, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    return rs_candump_writer_fd(fd, true, iface, err);
}
