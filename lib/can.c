/* Interface-name tables and the calls through rs_can_port (can.h). */
#include "remsim/can.h"

#include <string.h>

int rs_can_iface_find(const rs_can_ifaces *t, const char *name, size_t len)
{
    if (len == 0 || len >= RS_CAN_IFNAME_LEN)
        return -1;
    for (unsigned i = 0; i < t->count; i++) {
        /* Stored names are NUL-terminated, so a match needs the NUL at len. */
        if (memcmp(t->name[i], name, len) == 0 && t->name[i][len] == '\0')
            return (int)i;
    }
    return -1;
}

int rs_can_iface_intern(rs_can_ifaces *t, const char *name, size_t len)
{
    int i = rs_can_iface_find(t, name, len);
    if (i >= 0)
        return i;
    if (len == 0 || len >= RS_CAN_IFNAME_LEN || t->count >= RS_CAN_MAX_IFACES)
        return -1;
    /* Printable ASCII without spaces, as IFNAMSIZ names and log tokens are. */
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)name[k] < 0x21 || (unsigned char)name[k] > 0x7E)
            return -1;
    memcpy(t->name[t->count], name, len);
    t->name[t->count][len] = '\0';
    return (int)t->count++;
}

const char *rs_can_iface_name(const rs_can_ifaces *t, unsigned idx)
{
    return idx < t->count ? t->name[idx] : NULL;
}

rs_can_status rs_can_read(rs_can_port *p, rs_can_frame *out, rs_err *err)
{
    if (!p->read) {
        rs_fail(err, RS_E_OPTION, 0, p->kind, "this port is write-only", 0, 0, RS_NUM_NONE);
        return RS_CAN_ERROR;
    }
    return p->read(p, out, err);
}

rs_can_status rs_can_write(rs_can_port *p, const rs_can_frame *f, rs_err *err)
{
    if (!p->write) {
        rs_fail(err, RS_E_OPTION, 0, p->kind, "this port is read-only", 0, 0, RS_NUM_NONE);
        return RS_CAN_ERROR;
    }
    return p->write(p, f, err);
}

void rs_can_close(rs_can_port *p)
{
    if (p && p->close)
        p->close(p);
}

const char *rs_can_tx_name(const rs_can_port *p, const rs_can_frame *f)
{
    return rs_can_iface_name(p->tx_names ? p->tx_names : &p->ifaces, f->iface);
}

const char *rs_can_status_name(rs_can_status s)
{
    switch (s) {
    case RS_CAN_OK: return "ok";
    case RS_CAN_AGAIN: return "again";
    case RS_CAN_END: return "end";
    case RS_CAN_ERROR: return "error";
    }
    return "unknown";
}

rs_code rs_can_frame_check(const rs_can_frame *f, rs_err *err)
{
    if (f->len > RS_CAN_MAX_DLEN)
        return rs_fail(err, RS_E_VALUE, 0, "len", "classic CAN carries at most 8 data bytes",
                       f->len, RS_CAN_MAX_DLEN, RS_NUM_DEC);
    if (f->flags & RS_CAN_ERR) {
        if (f->id > RS_CAN_EFF_MASK)
            return rs_fail(err, RS_E_VALUE, 0, "id", "error class fits in 29 bits",
                           f->id, RS_CAN_EFF_MASK, RS_NUM_HEX);
        return RS_OK;
    }
    uint32_t max = (f->flags & RS_CAN_EXT) ? RS_CAN_EFF_MASK : RS_CAN_SFF_MASK;
    if (f->id > max)
        return rs_fail(err, RS_E_VALUE, 0, "id",
                       (f->flags & RS_CAN_EXT) ? "a 29-bit id is at most 0x1FFFFFFF"
                                               : "an 11-bit id is at most 0x7FF (set RS_CAN_EXT for 29-bit)",
                       f->id, max, RS_NUM_HEX);
    if ((f->flags & RS_CAN_RTR) && (f->flags & RS_CAN_FD))
        return rs_fail(err, RS_E_VALUE, 0, "flags", "CAN FD has no remote frames", f->flags, 0,
                       RS_NUM_NONE);
    return RS_OK;
}
