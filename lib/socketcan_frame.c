/* SocketCAN frame conversion and J1939 filters (socketcan.h): pure
 * functions, no socket, so they are tested on kernels without AF_CAN. */
#include "remsim/socketcan.h"

#include <string.h>

_Static_assert(sizeof(rs_can_filter) == sizeof(struct can_filter),
               "rs_can_filter is passed to CAN_RAW_FILTER as struct can_filter");
_Static_assert(offsetof(rs_can_filter, mask) == offsetof(struct can_filter, can_mask),
               "rs_can_filter layout");

rs_can_filter rs_socketcan_filter_pgn(uint32_t pgn)
{
    pgn &= 0x3FFFFu;
    uint32_t field = 0x3FFFFu;   /* EDP, DP, PF, PS: priority and SA ignored */
    if (((pgn >> 8) & 0xFFu) < 240) {
        /* PDU1: PS is the destination, not part of the PGN (§1.1). */
        pgn &= 0x3FF00u;
        field = 0x3FF00u;
    }
    rs_can_filter f;
    f.id = (pgn << 8) | CAN_EFF_FLAG;
    /* EFF and RTR in the mask: only 29-bit data frames pass. */
    f.mask = (field << 8) | CAN_EFF_FLAG | CAN_RTR_FLAG;
    return f;
}

rs_can_filter rs_socketcan_filter_pgn_sa(uint32_t pgn, uint8_t sa)
{
    rs_can_filter f = rs_socketcan_filter_pgn(pgn);
    f.id |= sa;
    f.mask |= 0xFFu;
    return f;
}

rs_code rs_socketcan_to_kernel(const rs_can_frame *f, struct can_frame *k, rs_err *err)
{
    rs_code c = rs_can_frame_check(f, err);
    if (c != RS_OK)
        return c;
    if (f->flags & RS_CAN_FD)
        return rs_fail(err, RS_E_VALUE, 0, "flags", "this port sends classic CAN only (RS_CAN_FD set)",
                       f->flags, 0, RS_NUM_NONE);
    memset(k, 0, sizeof *k);
    if (f->flags & RS_CAN_ERR)
        k->can_id = (f->id & CAN_ERR_MASK) | CAN_ERR_FLAG;
    else if (f->flags & RS_CAN_EXT)
        k->can_id = f->id | CAN_EFF_FLAG;   /* forgetting it sends a truncated 11-bit id */
    else
        k->can_id = f->id;
    if (f->flags & RS_CAN_RTR)
        k->can_id |= CAN_RTR_FLAG;
    k->len = f->len;
    if (!(f->flags & RS_CAN_RTR))
        memcpy(k->data, f->data, f->len);
    return RS_OK;
}

static void from_id(canid_t cid, rs_can_frame *f)
{
    if (cid & CAN_ERR_FLAG) {
        f->id = cid & CAN_ERR_MASK;
        f->flags = RS_CAN_ERR;
    } else if (cid & CAN_EFF_FLAG) {
        f->id = cid & CAN_EFF_MASK;
        f->flags = RS_CAN_EXT;
    } else {
        f->id = cid & CAN_SFF_MASK;
        f->flags = 0;
    }
    if ((cid & CAN_RTR_FLAG) && !(cid & CAN_ERR_FLAG))
        f->flags |= RS_CAN_RTR;
}

void rs_socketcan_from_kernel(const struct can_frame *k, rs_can_frame *f)
{
    from_id(k->can_id, f);
    f->len = k->len > RS_CAN_MAX_DLEN ? RS_CAN_MAX_DLEN : k->len;
    memset(f->data, 0, sizeof f->data);
    if (!(f->flags & RS_CAN_RTR))
        memcpy(f->data, k->data, f->len);
}

void rs_socketcan_from_kernel_fd(const struct canfd_frame *k, rs_can_frame *f)
{
    from_id(k->can_id, f);
    f->flags = (uint8_t)((f->flags & ~RS_CAN_RTR) | RS_CAN_FD);   /* FD has no remote frames */
    f->len = k->len > RS_CAN_MAX_DLEN ? RS_CAN_MAX_DLEN : k->len;
    memset(f->data, 0, sizeof f->data);
    memcpy(f->data, k->data, f->len);
}
