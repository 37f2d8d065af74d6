/* J1939-21 transport protocol, sending side: BAM and RTS/CTS.
 *
 * A BAM paces its packets by deadlines (bam_gap_us apart, each frame
 * stamped with its scheduled time so virtual time stays exact even when the
 * caller ticks late).  An RTS/CTS session sends each granted window at
 * once, as real ECUs do, then waits T3 for the next CTS or the EoMA, or T4
 * after a hold. */
#include "remsim/j1939_tp.h"

#include <string.h>

enum { TX_FREE = 0, TX_BAM, TX_WAIT_CTS, TX_HOLD, TX_WAIT_EOMA };

void rs_tp_tx_cfg_default(rs_tp_tx_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->self_addr = RS_J1939_NULL_ADDR;
    cfg->bam_gap_us = RS_TP_BAM_GAP_MIN_US;
    cfg->max_per_cts = 0xFF;
    cfg->prio = RS_J1939_PRIO_TP;
}

rs_code rs_tp_tx_init(rs_tp_tx *tx, const rs_tp_tx_cfg *cfg, rs_err *err)
{
    if (cfg->bam_gap_us < RS_TP_BAM_GAP_MIN_US || cfg->bam_gap_us > RS_TP_BAM_GAP_MAX_US)
        return rs_fail(err, RS_E_OPTION, 0, "bam_gap_us",
                       "BAM packets are 50..200 ms apart (J1939-21, can-signals.md §4)",
                       cfg->bam_gap_us, RS_TP_BAM_GAP_MIN_US, RS_NUM_DEC);
    if (cfg->max_per_cts == 0)
        return rs_fail(err, RS_E_OPTION, 0, "max_per_cts", "packets per CTS is 1..255", 0, 1,
                       RS_NUM_DEC);
    if (cfg->prio > 7)
        return rs_fail(err, RS_E_OPTION, 0, "prio", "J1939 priority is 0..7", cfg->prio, 7,
                       RS_NUM_DEC);
    if (cfg->self_addr >= RS_J1939_NULL_ADDR)
        return rs_fail(err, RS_E_OPTION, 0, "self_addr", "a sender needs an address 0..253",
                       cfg->self_addr, 253, RS_NUM_DEC);
    memset(tx, 0, sizeof *tx);
    tx->cfg = *cfg;
    for (size_t i = 0; i < RS_TP_TX_SESSIONS; i++)
        tx->s[i].deadline = RS_TP_NO_DEADLINE;
    return RS_OK;
}

static void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
}

static void emit(rs_tp_tx *tx, uint64_t ts, uint32_t pgn_base, uint8_t da, const uint8_t *d,
                 uint8_t len, uint8_t prio)
{
    if (!tx->cfg.send)
        return;
    rs_can_frame f;
    memset(&f, 0, sizeof f);
    f.ts_us = ts;
    f.id = ((uint32_t)prio << 26) | (pgn_base << 8) | tx->cfg.self_addr;
    if (rs_j1939_pgn_is_pdu1(pgn_base))
        f.id |= (uint32_t)da << 8;
    f.flags = RS_CAN_EXT;
    f.len = len;
    memcpy(f.data, d, len);
    tx->sent++;
    tx->cfg.send(tx->cfg.user, &f);
}

static void emit_cm(rs_tp_tx *tx, const rs_tp_tx_session *s, const uint8_t d[8])
{
    emit(tx, tx->now, RS_PGN_TP_CM, s->da, d, 8, tx->cfg.prio);
}

static void emit_dt(rs_tp_tx *tx, const rs_tp_tx_session *s, uint8_t seq, uint64_t ts)
{
    uint8_t d[8];
    size_t off = (size_t)(seq - 1u) * RS_TP_PACKET_BYTES;
    size_t n = s->size - off < RS_TP_PACKET_BYTES ? s->size - off : RS_TP_PACKET_BYTES;
    memset(d, 0xFF, sizeof d); /* the last packet is padded with 0xFF (§4) */
    d[0] = seq;
    memcpy(d + 1, s->buf + off, n);
    emit(tx, ts, RS_PGN_TP_DT, s->da, d, 8, tx->cfg.prio);
}

/* Frees the slot before the callback so the callback may start a new send. */
static void finish(rs_tp_tx *tx, rs_tp_tx_session *s, rs_tp_tx_result r, uint8_t reason)
{
    uint32_t pgn = s->pgn;
    uint8_t da = s->da;
    s->state = TX_FREE;
    s->deadline = RS_TP_NO_DEADLINE;
    if (tx->cfg.done)
        tx->cfg.done(tx->cfg.user, pgn, da, r, reason);
}

static void abort_with(rs_tp_tx *tx, rs_tp_tx_session *s, uint8_t reason, rs_tp_tx_result r)
{
    uint8_t d[8] = {RS_TP_CM_ABORT, reason, 0xFF, 0xFF, 0xFF, 0, 0, 0};
    put24(d + 5, s->pgn);
    emit_cm(tx, s, d);
    finish(tx, s, r, reason);
}

rs_code rs_tp_tx_send(rs_tp_tx *tx, uint64_t now_us, uint8_t prio, uint32_t pgn, uint8_t da,
                      const uint8_t *data, size_t len, rs_err *err)
{
    if (now_us > tx->now)
        tx->now = now_us;
    if (len > RS_J1939_MAX_LEN)
        return rs_fail(err, RS_E_LENGTH, 0, "len", "TP carries at most 1785 bytes (§4)",
                       (long long)len, RS_J1939_MAX_LEN, RS_NUM_DEC);
    uint32_t id;
    rs_code rc = rs_j1939_id_encode(prio, pgn, tx->cfg.self_addr, da, &id, err);
    if (rc)
        return rc;
    if (len <= RS_CAN_MAX_DLEN) {
        uint8_t d[8];
        if (len)
            memcpy(d, data, len);
        if (tx->cfg.send) {
            rs_can_frame f;
            memset(&f, 0, sizeof f);
            f.ts_us = tx->now;
            f.id = id;
            f.flags = RS_CAN_EXT;
            f.len = (uint8_t)len;
            memcpy(f.data, d, len);
            tx->sent++;
            tx->cfg.send(tx->cfg.user, &f);
        }
        return RS_OK;
    }
    /* One BAM per source, one RTS/CTS session per destination (§4). */
    rs_tp_tx_session *s = NULL;
    for (size_t i = 0; i < RS_TP_TX_SESSIONS; i++) {
        rs_tp_tx_session *t = &tx->s[i];
        if (t->state != TX_FREE && t->da == da)
            return rs_fail(err, RS_E_LIMIT, 0, "da",
                           "one TP session per destination at a time (J1939-21)", da, -1,
                           RS_NUM_GOT_ONLY);
        if (t->state == TX_FREE && !s)
            s = t;
    }
    if (!s)
        return rs_fail(err, RS_E_LIMIT, 0, "sessions", "all sender sessions are busy",
                       RS_TP_TX_SESSIONS, RS_TP_TX_SESSIONS, RS_NUM_DEC);
    memset(s, 0, offsetof(rs_tp_tx_session, buf));
    memcpy(s->buf, data, len);
    s->da = da;
    s->pgn = pgn;
    s->size = (uint16_t)len;
    s->packets = (uint8_t)((len + RS_TP_PACKET_BYTES - 1) / RS_TP_PACKET_BYTES);
    s->next_seq = 1;
    uint8_t d[8] = {0, (uint8_t)len, (uint8_t)(len >> 8), s->packets, 0xFF, 0, 0, 0};
    put24(d + 5, pgn);
    if (da == RS_J1939_GLOBAL) {
        d[0] = RS_TP_CM_BAM;
        s->state = TX_BAM;
        s->deadline = tx->now + tx->cfg.bam_gap_us;
    } else {
        d[0] = RS_TP_CM_RTS;
        d[4] = tx->cfg.max_per_cts;
        s->state = TX_WAIT_CTS;
        s->deadline = tx->now + RS_TP_T3_US + 1u;
    }
    emit_cm(tx, s, d);
    return RS_OK;
}

void rs_tp_tx_tick(rs_tp_tx *tx, uint64_t now_us)
{
    if (now_us > tx->now)
        tx->now = now_us;
    for (size_t i = 0; i < RS_TP_TX_SESSIONS; i++) {
        rs_tp_tx_session *s = &tx->s[i];
        if (s->state == TX_BAM) {
            while (s->state == TX_BAM && tx->now >= s->deadline) {
                emit_dt(tx, s, s->next_seq, s->deadline);
                if (s->next_seq == s->packets) {
                    finish(tx, s, RS_TP_TX_DONE, 0);
                } else {
                    s->next_seq++;
                    s->deadline += tx->cfg.bam_gap_us;
                }
            }
        } else if (s->state != TX_FREE && tx->now >= s->deadline) {
            abort_with(tx, s, RS_TP_ABORT_TIMEOUT, RS_TP_TX_TIMEOUT);
        }
    }
}

uint64_t rs_tp_tx_deadline(const rs_tp_tx *tx)
{
    uint64_t d = RS_TP_NO_DEADLINE;
    for (size_t i = 0; i < RS_TP_TX_SESSIONS; i++)
        if (tx->s[i].state != TX_FREE && tx->s[i].deadline < d)
            d = tx->s[i].deadline;
    return d;
}

uint64_t rs_tp_tx_run_out(rs_tp_tx *tx, uint64_t since_us)
{
    uint64_t last = since_us;
    while (rs_tp_tx_open(tx) > 0) {
        uint64_t d = rs_tp_tx_deadline(tx);
        if (d == RS_TP_NO_DEADLINE)
            break;
        rs_tp_tx_tick(tx, d);
        last = d;
    }
    return last;
}

size_t rs_tp_tx_open(const rs_tp_tx *tx)
{
    size_t n = 0;
    for (size_t i = 0; i < RS_TP_TX_SESSIONS; i++)
        n += tx->s[i].state != TX_FREE;
    return n;
}

static void on_cts(rs_tp_tx *tx, rs_tp_tx_session *s, const uint8_t *d)
{
    if (d[1] == 0) { /* hold: the receiver will send another CTS within T4 */
        s->state = TX_HOLD;
        s->deadline = tx->now + RS_TP_T4_US + 1u;
        return;
    }
    uint8_t next = d[2];
    if (next == 0 || next > s->packets) {
        abort_with(tx, s, RS_TP_ABORT_OTHER, RS_TP_TX_FAILED);
        return;
    }
    /* Send what was granted, never past the last packet; a CTS naming an
     * earlier packet is a retransmit request and is served the same way. */
    unsigned last = (unsigned)next + d[1] - 1u;
    if (last > s->packets)
        last = s->packets;
    for (unsigned q = next; q <= last; q++)
        emit_dt(tx, s, (uint8_t)q, tx->now);
    s->next_seq = (uint8_t)(last < s->packets ? last + 1u : s->packets);
    s->window_end = (uint8_t)last;
    s->state = last == s->packets ? TX_WAIT_EOMA : TX_WAIT_CTS;
    s->deadline = tx->now + RS_TP_T3_US + 1u;
}

void rs_tp_tx_feed(rs_tp_tx *tx, const rs_can_frame *f)
{
    if (!(f->flags & RS_CAN_EXT) || (f->flags & (RS_CAN_RTR | RS_CAN_ERR | RS_CAN_FD)))
        return;
    rs_j1939_id id;
    rs_j1939_id_decode(f->id, &id);
    if (id.pgn != RS_PGN_TP_CM || id.da != tx->cfg.self_addr)
        return;
    rs_tp_tx_tick(tx, f->ts_us);
    if (f->len < 8)
        return;
    const uint8_t *d = f->data;
    if (d[0] != RS_TP_CM_CTS && d[0] != RS_TP_CM_EOMA && d[0] != RS_TP_CM_ABORT)
        return; /* an RTS or BAM to us is the receiver's business */
    uint32_t pgn = (uint32_t)d[5] | (uint32_t)d[6] << 8 | (uint32_t)d[7] << 16;
    rs_tp_tx_session *s = NULL;
    for (size_t i = 0; i < RS_TP_TX_SESSIONS; i++) {
        rs_tp_tx_session *t = &tx->s[i];
        if (t->state != TX_FREE && t->state != TX_BAM && t->da == id.sa && t->pgn == pgn)
            s = t;
    }
    if (!s) {
        tx->ignored++;
        return;
    }
    switch (d[0]) {
    case RS_TP_CM_CTS:
        on_cts(tx, s, d);
        break;
    case RS_TP_CM_EOMA:
        finish(tx, s, RS_TP_TX_DONE, 0);
        break;
    default:
        finish(tx, s, RS_TP_TX_ABORTED, d[1]);
        break;
    }
}
