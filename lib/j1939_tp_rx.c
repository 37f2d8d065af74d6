/* J1939-21 transport protocol, receiving side: BAM and RTS/CTS reassembly.
 *
 * Sessions are keyed by (SA, DA): a BAM uses DA 0xFF, an RTS/CTS session
 * the receiver's address, so one BAM and one RTS/CTS session per source
 * can run side by side, and sessions from different sources interleave.
 * RTS/CTS sessions addressed to cfg.self_addr are "active" (we send CTS,
 * EoMA and aborts); others are followed "passively" by watching both
 * directions, so a monitor sees DM19/VI answered to a service tool. */
#include "remsim/j1939_tp.h"

#include <string.h>

enum {
    RX_FREE = 0,
    RX_BAM,        /* waiting for the next DT (T1) */
    RX_HOLD,       /* active: holding, CTS 0 repeated every Th until hold_until */
    RX_DT,         /* active: CTS sent, waiting for DTs (T2, then T1) */
    RX_PASSIVE,    /* following someone else's RTS/CTS session */
    RX_PASSIVE_DONE /* message delivered, waiting for the EoMA we expect to see */
};

static const char *const drop_names[RS_TP_DROP_COUNT] = {
    [RS_TP_DROP_NOT_J1939] = "not_j1939",
    [RS_TP_DROP_SHORT] = "short",
    [RS_TP_DROP_BAD_CM] = "bad_cm",
    [RS_TP_DROP_SIZE] = "size",
    [RS_TP_DROP_NO_SLOT] = "no_slot",
    [RS_TP_DROP_BUSY] = "busy",
    [RS_TP_DROP_REPLACED] = "replaced",
    [RS_TP_DROP_ORPHAN_DT] = "orphan_dt",
    [RS_TP_DROP_ORPHAN_CM] = "orphan_cm",
    [RS_TP_DROP_SEQ] = "sequence",
    [RS_TP_DROP_TIMEOUT] = "timeout",
    [RS_TP_DROP_ABORTED] = "aborted",
};

const char *rs_tp_drop_name(rs_tp_drop d)
{
    return (unsigned)d < RS_TP_DROP_COUNT ? drop_names[d] : "?";
}

void rs_tp_rx_cfg_default(rs_tp_rx_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->self_addr = RS_J1939_NULL_ADDR;
    cfg->passive = true;
    cfg->cts_max = 255;
    cfg->prio = RS_J1939_PRIO_TP;
}

rs_code rs_tp_rx_init(rs_tp_rx *rx, const rs_tp_rx_cfg *cfg, rs_tp_rx_session *slots,
                      size_t n_slots, rs_err *err)
{
    if (!slots || n_slots == 0)
        return rs_fail(err, RS_E_OPTION, 0, "slots", "the receiver needs at least one session slot",
                       0, 1, RS_NUM_DEC);
    if (cfg->cts_max == 0)
        return rs_fail(err, RS_E_OPTION, 0, "cts_max", "packets per CTS is 1..255", 0, 1,
                       RS_NUM_DEC);
    if (cfg->prio > 7)
        return rs_fail(err, RS_E_OPTION, 0, "prio", "J1939 priority is 0..7", cfg->prio, 7,
                       RS_NUM_DEC);
    memset(rx, 0, sizeof *rx);
    rx->cfg = *cfg;
    rx->slot = slots;
    rx->n_slots = n_slots;
    for (size_t i = 0; i < n_slots; i++) {
        slots[i].state = RX_FREE;
        slots[i].deadline = RS_TP_NO_DEADLINE;
    }
    rx->next_due = RS_TP_NO_DEADLINE;
    return RS_OK;
}

static void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
}

static uint32_t get24(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

/* Sends a TP.CM from us to da. */
static void send_cm(rs_tp_rx *rx, uint8_t da, uint8_t iface, const uint8_t d[8])
{
    if (!rx->cfg.send)
        return;
    rs_can_frame f;
    memset(&f, 0, sizeof f);
    f.ts_us = rx->now;
    f.id = ((uint32_t)rx->cfg.prio << 26) | (RS_PGN_TP_CM << 8) | (uint32_t)da << 8 |
           rx->cfg.self_addr;
    f.flags = RS_CAN_EXT;
    f.len = 8;
    f.iface = iface;
    memcpy(f.data, d, 8);
    rx->stats.sent++;
    rx->cfg.send(rx->cfg.user, &f);
}

static void send_abort(rs_tp_rx *rx, uint8_t da, uint8_t iface, uint8_t reason, uint32_t pgn)
{
    uint8_t d[8] = {RS_TP_CM_ABORT, reason, 0xFF, 0xFF, 0xFF, 0, 0, 0};
    put24(d + 5, pgn);
    send_cm(rx, da, iface, d);
    if (rx->cfg.send)
        rx->stats.aborts_sent++;
}

/* Sends the CTS for the next window and arms T2. */
static void send_cts(rs_tp_rx *rx, rs_tp_rx_session *s)
{
    unsigned remaining = (unsigned)s->packets - s->next_seq + 1u;
    unsigned lim = rx->cfg.cts_max;
    if (s->max_per_cts && s->max_per_cts < lim)
        lim = s->max_per_cts;
    unsigned n = remaining < lim ? remaining : lim;
    s->window_end = (uint8_t)(s->next_seq + n - 1u);
    uint8_t d[8] = {RS_TP_CM_CTS, (uint8_t)n, s->next_seq, 0xFF, 0xFF, 0, 0, 0};
    put24(d + 5, s->pgn);
    send_cm(rx, s->sa, s->iface, d);
    s->state = RX_DT;
    s->deadline = rx->now + RS_TP_T2_US + 1u;
}

static void send_hold(rs_tp_rx *rx, rs_tp_rx_session *s)
{
    uint8_t d[8] = {RS_TP_CM_CTS, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0};
    put24(d + 5, s->pgn);
    send_cm(rx, s->sa, s->iface, d);
    uint64_t repeat = rx->now + RS_TP_TH_US;
    s->deadline = repeat < s->hold_until ? repeat : s->hold_until;
}

static void free_session(rs_tp_rx_session *s)
{
    s->state = RX_FREE;
    s->deadline = RS_TP_NO_DEADLINE;
}

static void drop_session(rs_tp_rx *rx, rs_tp_rx_session *s, rs_tp_drop why)
{
    rx->stats.drop[why]++;
    free_session(s);
}

/* Ends an active session with an abort to the sender. */
static void abort_session(rs_tp_rx *rx, rs_tp_rx_session *s, uint8_t reason, rs_tp_drop why)
{
    if (s->active)
        send_abort(rx, s->sa, s->iface, reason, s->pgn);
    drop_session(rx, s, why);
}

static rs_tp_rx_session *find(rs_tp_rx *rx, uint8_t sa, uint8_t da)
{
    for (size_t i = 0; i < rx->n_slots; i++) {
        rs_tp_rx_session *s = &rx->slot[i];
        if (s->state != RX_FREE && s->sa == sa && s->da == da)
            return s;
    }
    return NULL;
}

static rs_tp_rx_session *alloc(rs_tp_rx *rx)
{
    for (size_t i = 0; i < rx->n_slots; i++)
        if (rx->slot[i].state == RX_FREE)
            return &rx->slot[i];
    return NULL;
}

static void run_timers(rs_tp_rx *rx, uint64_t now_us)
{
    if (now_us > rx->now)
        rx->now = now_us;
    for (size_t i = 0; i < rx->n_slots; i++) {
        rs_tp_rx_session *s = &rx->slot[i];
        if (s->state == RX_FREE || rx->now < s->deadline)
            continue;
        switch (s->state) {
        case RX_HOLD:
            if (rx->now >= s->hold_until)
                send_cts(rx, s);
            else
                send_hold(rx, s);
            break;
        case RX_PASSIVE_DONE:
            /* The message was delivered; a missing EoMA loses nothing. */
            free_session(s);
            break;
        default:
            abort_session(rx, s, RS_TP_ABORT_TIMEOUT, RS_TP_DROP_TIMEOUT);
            break;
        }
    }
}

uint64_t rs_tp_rx_deadline(const rs_tp_rx *rx)
{
    uint64_t d = RS_TP_NO_DEADLINE;
    for (size_t i = 0; i < rx->n_slots; i++)
        if (rx->slot[i].state != RX_FREE && rx->slot[i].deadline < d)
            d = rx->slot[i].deadline;
    return d;
}

size_t rs_tp_rx_open(const rs_tp_rx *rx)
{
    size_t n = 0;
    for (size_t i = 0; i < rx->n_slots; i++)
        if (rx->slot[i].state != RX_FREE && rx->slot[i].state != RX_PASSIVE_DONE)
            n++;
    return n;
}

/* Size and packet count of a BAM or RTS; 0 when fine, else the drop
 * reason (and *reason the abort code an active receiver sends). */
static int check_size(const uint8_t *d, uint16_t *size, uint8_t *packets, uint8_t *reason)
{
    *size = (uint16_t)(d[1] | d[2] << 8);
    *packets = d[3];
    if (*size > RS_J1939_MAX_LEN) {
        *reason = RS_TP_ABORT_TOO_BIG;
        return RS_TP_DROP_SIZE;
    }
    if (*size < RS_TP_MIN_LEN) {
        *reason = RS_TP_ABORT_OTHER;
        return RS_TP_DROP_SIZE;
    }
    if (*packets != (*size + RS_TP_PACKET_BYTES - 1) / RS_TP_PACKET_BYTES) {
        *reason = RS_TP_ABORT_OTHER;
        return RS_TP_DROP_BAD_CM;
    }
    return 0;
}

static void start(rs_tp_rx *rx, rs_tp_rx_session *s, const rs_j1939_id *id, uint8_t iface,
                  uint16_t size, uint8_t packets, uint32_t pgn)
{
    memset(s, 0, offsetof(rs_tp_rx_session, buf));
    s->sa = id->sa;
    s->da = id->da;
    s->prio = id->prio;
    s->iface = iface;
    s->size = size;
    s->packets = packets;
    s->pgn = pgn;
    s->next_seq = 1;
    rx->stats.sessions++;
}

static void on_bam(rs_tp_rx *rx, const rs_j1939_id *id, const rs_can_frame *f)
{
    const uint8_t *d = f->data;
    uint16_t size;
    uint8_t packets, reason;
    if (id->da != RS_J1939_GLOBAL) {
        rx->stats.drop[RS_TP_DROP_BAD_CM]++;
        return;
    }
    int bad = check_size(d, &size, &packets, &reason);
    rs_tp_rx_session *s = find(rx, id->sa, RS_J1939_GLOBAL);
    if (s) /* J1939-21: a new BAM from the same source ends the old one */
        drop_session(rx, s, RS_TP_DROP_REPLACED);
    if (bad) {
        rx->stats.drop[bad]++;
        return;
    }
    s = alloc(rx);
    if (!s) {
        rx->stats.drop[RS_TP_DROP_NO_SLOT]++;
        return;
    }
    start(rx, s, id, f->iface, size, packets, get24(d + 5));
    s->state = RX_BAM;
    s->deadline = rx->now + RS_TP_T1_US + 1u;
}

static void on_rts(rs_tp_rx *rx, const rs_j1939_id *id, const rs_can_frame *f)
{
    const uint8_t *d = f->data;
    uint32_t pgn = get24(d + 5);
    bool active = rx->cfg.self_addr < RS_J1939_NULL_ADDR && id->da == rx->cfg.self_addr;
    if (id->da == RS_J1939_GLOBAL) {
        rx->stats.drop[RS_TP_DROP_BAD_CM]++;
        return;
    }
    if (!active && !rx->cfg.passive) {
        rx->stats.drop[RS_TP_DROP_ORPHAN_CM]++;
        return;
    }
    rs_tp_rx_session *s = find(rx, id->sa, id->da);
    if (s && s->state == RX_PASSIVE_DONE) {
        free_session(s);
        s = NULL;
    }
    if (s) {
        /* A second RTS while the pair is in a session: the sender lost
         * track, so both end with abort 1 (as the Linux J1939 stack does). */
        uint32_t old_pgn = s->pgn;
        abort_session(rx, s, RS_TP_ABORT_BUSY, RS_TP_DROP_BUSY);
        if (active && old_pgn != pgn)
            send_abort(rx, id->sa, f->iface, RS_TP_ABORT_BUSY, pgn);
        rx->stats.drop[RS_TP_DROP_BUSY]++;
        return;
    }
    uint16_t size;
    uint8_t packets, reason;
    int bad = check_size(d, &size, &packets, &reason);
    if (bad) {
        if (active)
            send_abort(rx, id->sa, f->iface, reason, pgn);
        rx->stats.drop[bad]++;
        return;
    }
    s = alloc(rx);
    if (!s) {
        /* Abort 1: "cannot support another session". */
        if (active)
            send_abort(rx, id->sa, f->iface, RS_TP_ABORT_BUSY, pgn);
        rx->stats.drop[RS_TP_DROP_NO_SLOT]++;
        return;
    }
    start(rx, s, id, f->iface, size, packets, pgn);
    s->active = active;
    s->max_per_cts = d[4] == 0 ? 0xFF : d[4];
    if (!active) {
        s->state = RX_PASSIVE;
        s->deadline = rx->now + RS_TP_T3_US + 1u;
    } else if (rx->cfg.hold_us) {
        s->state = RX_HOLD;
        s->hold_until = rx->now + rx->cfg.hold_us;
        send_hold(rx, s);
    } else {
        send_cts(rx, s);
    }
}

/* CTS, EoMA and aborts.  Returns false when the frame matched nothing. */
static bool on_control(rs_tp_rx *rx, const rs_j1939_id *id, const rs_can_frame *f)
{
    const uint8_t *d = f->data;
    uint32_t pgn = get24(d + 5);
    /* Sent by the receiver of a session: the session key is reversed. */
    rs_tp_rx_session *rev = find(rx, id->da, id->sa);
    if (rev && rev->active)
        rev = NULL; /* our own sessions never get CTS/EoMA from the other side */
    if (rev && rev->pgn != pgn)
        rev = NULL;
    switch (d[0]) {
    case RS_TP_CM_CTS:
        if (!rev || rev->state != RX_PASSIVE)
            return false;
        if (d[1] == 0) { /* hold */
            rev->deadline = rx->now + RS_TP_T4_US + 1u;
        } else if (d[2] == 0 || d[2] > rev->packets) {
            drop_session(rx, rev, RS_TP_DROP_SEQ);
        } else {
            /* A retransmit request rewinds; a normal CTS names next_seq. */
            rev->next_seq = d[2];
            rev->deadline = rx->now + RS_TP_T2_US + 1u;
        }
        return true;
    case RS_TP_CM_EOMA:
        if (!rev)
            return false;
        if (rev->state == RX_PASSIVE_DONE)
            free_session(rev);
        else /* EoMA before we saw every packet: we missed some */
            drop_session(rx, rev, RS_TP_DROP_SEQ);
        return true;
    case RS_TP_CM_ABORT: {
        rs_tp_rx_session *s = find(rx, id->sa, id->da);
        if (s && (s->pgn != pgn || s->state == RX_BAM))
            s = NULL;
        if (!s)
            s = rev;
        if (!s)
            return false;
        if (s->state == RX_PASSIVE_DONE)
            free_session(s);
        else
            drop_session(rx, s, RS_TP_DROP_ABORTED);
        return true;
    }
    default:
        return false;
    }
}

static void on_cm(rs_tp_rx *rx, const rs_j1939_id *id, const rs_can_frame *f)
{
    if (f->len < 8) {
        rx->stats.drop[RS_TP_DROP_SHORT]++;
        return;
    }
    switch (f->data[0]) {
    case RS_TP_CM_BAM:
        on_bam(rx, id, f);
        return;
    case RS_TP_CM_RTS:
        on_rts(rx, id, f);
        return;
    case RS_TP_CM_CTS:
    case RS_TP_CM_EOMA:
    case RS_TP_CM_ABORT:
        if (on_control(rx, id, f))
            return;
        /* CTS/EoMA/aborts to our own address belong to our sender
         * (rs_tp_tx), not to this receiver: not a drop. */
        if (rx->cfg.self_addr < RS_J1939_NULL_ADDR && id->da == rx->cfg.self_addr)
            return;
        rx->stats.drop[RS_TP_DROP_ORPHAN_CM]++;
        return;
    default:
        rx->stats.drop[RS_TP_DROP_BAD_CM]++;
        return;
    }
}

static int on_dt(rs_tp_rx *rx, const rs_j1939_id *id, const rs_can_frame *f, rs_j1939_msg *out)
{
    rs_tp_rx_session *s = find(rx, id->sa, id->da);
    if (!s || s->state == RX_PASSIVE_DONE) {
        rx->stats.drop[RS_TP_DROP_ORPHAN_DT]++;
        return 0;
    }
    if (f->len < 2) {
        rx->stats.drop[RS_TP_DROP_SHORT]++;
        return 0;
    }
    uint8_t seq = f->data[0];
    if (s->state == RX_HOLD) { /* no CTS granted yet */
        abort_session(rx, s, RS_TP_ABORT_UNEXPECTED_DT, RS_TP_DROP_SEQ);
        return 0;
    }
    if (seq != s->next_seq) {
        if (s->state == RX_PASSIVE && seq < s->next_seq) {
            /* A retransmission whose CTS we did not see: harmless. */
            rx->stats.drop[RS_TP_DROP_ORPHAN_DT]++;
            return 0;
        }
        abort_session(rx, s, seq < s->next_seq ? RS_TP_ABORT_DUP_SEQ : RS_TP_ABORT_BAD_SEQ,
                      RS_TP_DROP_SEQ);
        return 0;
    }
    if (s->state == RX_DT && seq > s->window_end) {
        abort_session(rx, s, RS_TP_ABORT_UNEXPECTED_DT, RS_TP_DROP_SEQ);
        return 0;
    }
    size_t off = (size_t)(seq - 1u) * RS_TP_PACKET_BYTES;
    size_t need = s->size - off < RS_TP_PACKET_BYTES ? s->size - off : RS_TP_PACKET_BYTES;
    if ((size_t)f->len - 1u < need) {
        abort_session(rx, s, RS_TP_ABORT_OTHER, RS_TP_DROP_SHORT);
        return 0;
    }
    memcpy(s->buf + off, f->data + 1, need);
    s->next_seq++;
    if (seq == s->packets) {
        out->ts_us = rx->now;
        out->pgn = s->pgn;
        out->prio = s->prio;
        out->sa = s->sa;
        out->da = s->da;
        out->iface = s->iface;
        out->len = s->size;
        out->data = s->buf;
        rx->stats.messages++;
        if (s->state == RX_DT) {
            uint8_t d[8] = {RS_TP_CM_EOMA, (uint8_t)s->size, (uint8_t)(s->size >> 8), s->packets,
                            0xFF, 0, 0, 0};
            put24(d + 5, s->pgn);
            send_cm(rx, s->sa, s->iface, d);
            free_session(s);
        } else if (s->state == RX_PASSIVE) {
            s->state = RX_PASSIVE_DONE;
            s->deadline = rx->now + RS_TP_T3_US + 1u;
        } else {
            free_session(s);
        }
        return 1;
    }
    switch (s->state) {
    case RX_DT:
        if (seq == s->window_end)
            send_cts(rx, s);
        else
            s->deadline = rx->now + RS_TP_T1_US + 1u;
        break;
    case RX_PASSIVE:
        /* We do not always know where the window ends: allow a CTS. */
        s->deadline = rx->now + RS_TP_T3_US + 1u;
        break;
    default:
        s->deadline = rx->now + RS_TP_T1_US + 1u;
        break;
    }
    return 0;
}

static int feed_frame(rs_tp_rx *rx, const rs_can_frame *f, rs_j1939_msg *out)
{
    if (!(f->flags & RS_CAN_EXT) || (f->flags & (RS_CAN_RTR | RS_CAN_ERR | RS_CAN_FD)))
        return 0;
    rs_j1939_id id;
    rs_j1939_id_decode(f->id, &id);
    if (id.pgn != RS_PGN_TP_CM && id.pgn != RS_PGN_TP_DT)
        return 0;
    /* Our own CTS/EoMA/aborts echoed back (loopback, memory bus): not input. */
    if (rx->cfg.self_addr < RS_J1939_NULL_ADDR && id.sa == rx->cfg.self_addr)
        return 0;
    /* Timestamps may step back a little in converted logs: never rewind. */
    rs_tp_rx_tick(rx, f->ts_us);
    rx->stats.frames++;
    if (f->len > RS_CAN_MAX_DLEN) {
        rx->stats.drop[RS_TP_DROP_SHORT]++;
        return 0;
    }
    if (id.pgn == RS_PGN_TP_CM) {
        on_cm(rx, &id, f);
        return 0;
    }
    return on_dt(rx, &id, f, out);
}

rs_code rs_j1939_rx_init(rs_j1939_rx *rx, const rs_tp_rx_cfg *cfg, rs_err *err)
{
    rs_tp_rx_cfg def;
    if (!cfg) {
        rs_tp_rx_cfg_default(&def);
        cfg = &def;
    }
    return rs_tp_rx_init(&rx->tp, cfg, rx->slots, RS_J1939_RX_SESSIONS, err);
}

int rs_j1939_rx_feed(rs_j1939_rx *rx, const rs_can_frame *f, rs_j1939_msg *out)
{
    if (!(f->flags & RS_CAN_EXT) || (f->flags & (RS_CAN_RTR | RS_CAN_ERR | RS_CAN_FD)) ||
        f->len > RS_CAN_MAX_DLEN) {
        rx->tp.stats.frames++;
        rx->tp.stats.drop[RS_TP_DROP_NOT_J1939]++;
        return 0;
    }
    rs_j1939_id id;
    rs_j1939_id_decode(f->id, &id);
    if (id.pgn == RS_PGN_TP_CM || id.pgn == RS_PGN_TP_DT)
        return rs_tp_rx_feed(&rx->tp, f, out);
    rs_tp_rx_tick(&rx->tp, f->ts_us); /* cheap unless a TP timer is due */
    rx->tp.stats.frames++;
    rx->tp.stats.messages++;
    /* Copy: the message must not depend on the caller keeping the frame. */
    memcpy(rx->single, f->data, f->len);
    out->ts_us = f->ts_us;
    out->pgn = id.pgn;
    out->prio = id.prio;
    out->sa = id.sa;
    out->da = id.da;
    out->iface = f->iface;
    out->len = f->len;
    out->data = rx->single;
    return 1;
}

/* Timers only change inside these two calls, so the earliest deadline is
 * worked out once here and the tick of every single-frame message is a
 * comparison. */
void rs_tp_rx_tick(rs_tp_rx *rx, uint64_t now_us)
{
    if (now_us < rx->next_due) {
        if (now_us > rx->now)
            rx->now = now_us;
        return;
    }
    run_timers(rx, now_us);
    rx->next_due = rs_tp_rx_deadline(rx);
}

int rs_tp_rx_feed(rs_tp_rx *rx, const rs_can_frame *f, rs_j1939_msg *out)
{
    int r = feed_frame(rx, f, out);
    rx->next_due = rs_tp_rx_deadline(rx);
    return r;
}
