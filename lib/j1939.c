/* J1939 identifiers, single frames, request and acknowledgement. */
#include "remsim/j1939.h"

#include <string.h>

void rs_j1939_id_decode(uint32_t id, rs_j1939_id *out)
{
    id &= 0x1FFFFFFFu;
    out->prio = (uint8_t)((id >> 26) & 7u);
    out->edp = (uint8_t)((id >> 25) & 1u);
    out->dp = (uint8_t)((id >> 24) & 1u);
    out->pf = (uint8_t)(id >> 16);
    out->ps = (uint8_t)(id >> 8);
    out->sa = (uint8_t)id;
    out->pgn = (id >> 8) & 0x3FFFFu;
    out->pdu1 = out->pf < 240u;
    if (out->pdu1) {
        /* PDU1: PS is the destination, not part of the PGN (§1.1). */
        out->da = out->ps;
        out->pgn &= 0x3FF00u;
    } else {
        out->da = RS_J1939_GLOBAL;
    }
}

rs_code rs_j1939_id_encode(uint8_t prio, uint32_t pgn, uint8_t sa, uint8_t da,
                           uint32_t *id, rs_err *err)
{
    if (prio > 7)
        return rs_fail(err, RS_E_VALUE, 0, "prio", "J1939 priority is 3 bits (§1.1)", prio, 7,
                       RS_NUM_DEC);
    if (pgn > 0x3FFFFu)
        return rs_fail(err, RS_E_VALUE, 0, "pgn", "PGN is 18 bits (§1.1)", pgn, 0x3FFFF,
                       RS_NUM_HEX);
    uint32_t v = ((uint32_t)prio << 26) | (pgn << 8) | sa;
    if (rs_j1939_pgn_is_pdu1(pgn)) {
        if (pgn & 0xFFu)
            return rs_fail(err, RS_E_VALUE, 0, "pgn",
                           "a PDU1 PGN has PS 0; the DA goes there (§1.1)", pgn, pgn & 0x3FF00u,
                           RS_NUM_HEX);
        v |= (uint32_t)da << 8;
    }
    *id = v;
    return RS_OK;
}

rs_code rs_j1939_from_frame(const rs_can_frame *f, rs_j1939_msg *m, rs_err *err)
{
    if (!(f->flags & RS_CAN_EXT) || (f->flags & (RS_CAN_RTR | RS_CAN_ERR | RS_CAN_FD)))
        return rs_fail(err, RS_E_HEADER, 0, "id",
                       "J1939 uses 29-bit data frames (§1.1)", f->flags, RS_CAN_EXT, RS_NUM_HEX);
    if (f->len > RS_CAN_MAX_DLEN)
        return rs_fail(err, RS_E_LENGTH, 0, "len", "classic CAN carries 0..8 bytes", f->len, 8,
                       RS_NUM_DEC);
    rs_j1939_id id;
    rs_j1939_id_decode(f->id, &id);
    m->ts_us = f->ts_us;
    m->pgn = id.pgn;
    m->prio = id.prio;
    m->sa = id.sa;
    m->da = id.da;
    m->iface = f->iface;
    m->len = f->len;
    m->data = f->data;
    return RS_OK;
}

rs_code rs_j1939_to_frame(const rs_j1939_msg *m, rs_can_frame *f, rs_err *err)
{
    if (m->len > RS_CAN_MAX_DLEN)
        return rs_fail(err, RS_E_LENGTH, 0, "len",
                       "more than 8 bytes needs the transport protocol (§4)", m->len, 8,
                       RS_NUM_DEC);
    uint32_t id;
    rs_code rc = rs_j1939_id_encode(m->prio, m->pgn, m->sa, m->da, &id, err);
    if (rc)
        return rc;
    memset(f, 0, sizeof *f);
    f->ts_us = m->ts_us;
    f->id = id;
    f->flags = RS_CAN_EXT;
    f->len = (uint8_t)m->len;
    f->iface = m->iface;
    if (m->len)
        memcpy(f->data, m->data, m->len);
    return RS_OK;
}

static void put_pgn(uint8_t *p, uint32_t pgn)
{
    p[0] = (uint8_t)pgn;
    p[1] = (uint8_t)(pgn >> 8);
    p[2] = (uint8_t)(pgn >> 16);
}

static uint32_t get_pgn(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

rs_code rs_j1939_request_frame(uint8_t sa, uint8_t da, uint32_t pgn, rs_can_frame *f,
                               rs_err *err)
{
    if (pgn > 0x3FFFFu)
        return rs_fail(err, RS_E_VALUE, 0, "pgn", "PGN is 18 bits (§1.1)", pgn, 0x3FFFF,
                       RS_NUM_HEX);
    uint32_t id;
    rs_code rc = rs_j1939_id_encode(RS_J1939_PRIO_DEFAULT, RS_PGN_REQUEST, sa, da, &id, err);
    if (rc)
        return rc;
    memset(f, 0, sizeof *f);
    f->id = id;
    f->flags = RS_CAN_EXT;
    f->len = 3; /* §1.3: DLC 3 is the normal request length */
    put_pgn(f->data, pgn);
    return RS_OK;
}

rs_code rs_j1939_request_parse(const rs_j1939_msg *m, uint32_t *pgn, rs_err *err)
{
    if (m->pgn != RS_PGN_REQUEST)
        return rs_fail(err, RS_E_COMMAND, 0, "pgn", "request is PGN 59904 (§1.3)", m->pgn,
                       RS_PGN_REQUEST, RS_NUM_DEC);
    if (m->len < 3)
        return rs_fail(err, RS_E_SHORT, m->len, "requested_pgn",
                       "a request carries a 3-byte PGN (§1.3)", m->len, 3, RS_NUM_DEC);
    uint32_t v = get_pgn(m->data);
    if (v > 0x3FFFFu)
        return rs_fail(err, RS_E_VALUE, 0, "requested_pgn", "PGN is 18 bits (§1.1)", v,
                       0x3FFFF, RS_NUM_HEX);
    *pgn = v;
    return RS_OK;
}

rs_code rs_j1939_ack_frame(uint8_t sa, uint8_t da, const rs_j1939_ack *a, rs_can_frame *f,
                           rs_err *err)
{
    if (a->pgn > 0x3FFFFu)
        return rs_fail(err, RS_E_VALUE, 0, "pgn", "PGN is 18 bits (§1.1)", a->pgn, 0x3FFFF,
                       RS_NUM_HEX);
    uint32_t id;
    rs_code rc = rs_j1939_id_encode(RS_J1939_PRIO_DEFAULT, RS_PGN_ACKM, sa, da, &id, err);
    if (rc)
        return rc;
    memset(f, 0, sizeof *f);
    f->id = id;
    f->flags = RS_CAN_EXT;
    f->len = 8;
    f->data[0] = a->control;
    f->data[1] = a->group_fn;
    f->data[2] = 0xFF;
    f->data[3] = 0xFF;
    f->data[4] = a->addr;
    put_pgn(f->data + 5, a->pgn);
    return RS_OK;
}

rs_code rs_j1939_ack_parse(const rs_j1939_msg *m, rs_j1939_ack *a, rs_err *err)
{
    if (m->pgn != RS_PGN_ACKM)
        return rs_fail(err, RS_E_COMMAND, 0, "pgn", "acknowledgement is PGN 59392 (§1.3)",
                       m->pgn, RS_PGN_ACKM, RS_NUM_DEC);
    if (m->len < 8)
        return rs_fail(err, RS_E_SHORT, m->len, "ackm", "ACKM is 8 bytes (J1939-21)", m->len,
                       8, RS_NUM_DEC);
    a->control = m->data[0];
    a->group_fn = m->data[1];
    a->addr = m->data[4];
    a->pgn = get_pgn(m->data + 5);
    return RS_OK;
}
