/* J1939-21 transport protocol: our sender against our receiver on a memory
 * bus in virtual time, plus hand-made frames for the error paths. */
#include "testutil.h"

#include "remsim/j1939.h"
#include "remsim/j1939_dm.h"
#include "remsim/j1939_tp.h"

#define QN 8192

/* A broadcast bus: frames queue up and are delivered in order to every
 * node except the sender; time jumps to the next deadline when idle. */
typedef struct bus {
    rs_can_frame q[QN];
    size_t head, tail;
    /* Fault injection: return true to lose the frame. */
    bool (*lose)(struct bus *b, const rs_can_frame *f);
    int lose_state;
    /* Log of everything sent. */
    rs_can_frame log[QN];
    size_t n_log;
} bus;

static void bus_put(void *u, const rs_can_frame *f)
{
    bus *b = u;
    assert_true(b->tail - b->head < QN);
    if (b->n_log < QN)
        b->log[b->n_log++] = *f;
    if (b->lose && b->lose(b, f))
        return;
    b->q[b->tail++ % QN] = *f;
}

typedef struct node_set {
    rs_tp_tx *tx[2];
    size_t n_tx;
    rs_j1939_rx *rx[2];
    size_t n_rx;
    /* Messages seen by rx[0] (copies). */
    uint8_t msg[4][RS_J1939_MAX_LEN];
    rs_j1939_msg meta[4];
    size_t n_msg;
    size_t n_msg_rx1;
} node_set;

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void deliver(node_set *ns, const rs_can_frame *f)
{
    for (size_t i = 0; i < ns->n_tx; i++)
        rs_tp_tx_feed(ns->tx[i], f);
    for (size_t i = 0; i < ns->n_rx; i++) {
        rs_j1939_msg m;
        if (rs_j1939_rx_feed(ns->rx[i], f, &m) == 1) {
            if (i == 0) {
                assert_true(ns->n_msg < 4);
                memcpy(ns->msg[ns->n_msg], m.data, m.len);
                ns->meta[ns->n_msg] = m;
                ns->meta[ns->n_msg].data = ns->msg[ns->n_msg];
                ns->n_msg++;
            } else {
                ns->n_msg_rx1++;
            }
        }
    }
}

/* Runs until nothing is queued and no timer is armed (or until limit). */
static uint64_t run(bus *b, node_set *ns, uint64_t limit_us)
{
    uint64_t now = 0;
    for (int guard = 0; guard < 100000; guard++) {
        while (b->head != b->tail) {
            rs_can_frame f = b->q[b->head++ % QN];
            if (f.ts_us > now)
                now = f.ts_us;
            deliver(ns, &f);
        }
        uint64_t next = RS_TP_NO_DEADLINE;
        for (size_t i = 0; i < ns->n_tx; i++)
            next = min64(next, rs_tp_tx_deadline(ns->tx[i]));
        for (size_t i = 0; i < ns->n_rx; i++)
            next = min64(next, rs_tp_rx_deadline(&ns->rx[i]->tp));
        if (next == RS_TP_NO_DEADLINE || next > limit_us)
            return now;
        now = next > now ? next : now;
        for (size_t i = 0; i < ns->n_tx; i++)
            rs_tp_tx_tick(ns->tx[i], now);
        for (size_t i = 0; i < ns->n_rx; i++)
            rs_tp_rx_tick(&ns->rx[i]->tp, now);
    }
    fail_msg("bus did not settle");
    return now;
}

typedef struct done_log {
    int n;
    rs_tp_tx_result result;
    uint8_t reason;
} done_log;

static void on_done(void *u, uint32_t pgn, uint8_t da, rs_tp_tx_result r, uint8_t reason)
{
    (void)pgn;
    (void)da;
    done_log *d = ((void **)u)[1];
    d->n++;
    d->result = r;
    d->reason = reason;
}

/* tx callbacks get {bus, done_log}. */
static void tx_send_cb(void *u, const rs_can_frame *f)
{
    bus_put(((void **)u)[0], f);
}

static void make_tx(rs_tp_tx *tx, uint8_t sa, void **ctx, uint8_t max_per_cts)
{
    rs_tp_tx_cfg c;
    rs_tp_tx_cfg_default(&c);
    c.self_addr = sa;
    c.send = tx_send_cb;
    c.done = on_done;
    c.user = ctx;
    c.max_per_cts = max_per_cts;
    assert_int_equal(rs_tp_tx_init(tx, &c, NULL), RS_OK);
}

static void make_rx(rs_j1939_rx *rx, uint8_t self, bus *b, uint8_t cts_max, uint32_t hold_us)
{
    rs_tp_rx_cfg c;
    rs_tp_rx_cfg_default(&c);
    c.self_addr = self;
    c.send = b ? bus_put : NULL;
    c.user = b;
    c.cts_max = cts_max;
    c.hold_us = hold_us;
    assert_int_equal(rs_j1939_rx_init(rx, &c, NULL), RS_OK);
}

static size_t dm1_payload(size_t n, uint8_t *out, size_t cap)
{
    rs_dm_lamps l = {RS_LAMP_ON, RS_LAMP_OFF, RS_LAMP_ON, RS_LAMP_NA, 3, 3, 3, 3};
    static rs_dm_dtc d[300];
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rs_dm_dtc_make((uint32_t)(100 + i * 1777) & 0x7FFFF, (uint8_t)(i % 32), 0,
                                        (uint8_t)(1 + i % 126), &d[i], NULL),
                         RS_OK);
    size_t len = 0;
    assert_int_equal(rs_dm_dtcs_build(&l, d, n, out, cap, &len, NULL), RS_OK);
    return len;
}

static void check_dm1(const rs_j1939_msg *m, size_t n, const uint8_t *want, size_t want_len)
{
    assert_int_equal(m->pgn, RS_PGN_DM1);
    assert_int_equal(m->len, want_len);
    assert_memory_equal(m->data, want, want_len);
    size_t got = 0;
    rs_dm_lamps l;
    assert_int_equal(rs_dm_dtcs_parse(m->data, m->len, &l, NULL, 0, &got, NULL), RS_OK);
    assert_int_equal(got, n);
    assert_int_equal(l.mil, RS_LAMP_ON);
}

static const size_t sizes[] = {0, 1, 2, 50, 253};

static void test_bam_roundtrip(void **state)
{
    (void)state;
    static bus b;
    static uint8_t pay[RS_J1939_MAX_LEN];
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        memset(&b, 0, sizeof b);
        done_log dl = {0};
        void *ctx[2] = {&b, &dl};
        rs_tp_tx tx;
        static rs_j1939_rx rx;
        make_tx(&tx, 0x00, ctx, 0xFF);
        make_rx(&rx, 0x4A, &b, 255, 0);
        node_set ns = {.tx = {&tx}, .n_tx = 1, .rx = {&rx}, .n_rx = 1};
        size_t len = dm1_payload(sizes[k], pay, sizeof pay);
        assert_int_equal(len, sizes[k] < 2 ? 8 : 2 + 4 * sizes[k]);
        assert_int_equal(rs_tp_tx_send(&tx, 1000, 6, RS_PGN_DM1, 0xFF, pay, len, NULL), RS_OK);
        run(&b, &ns, UINT64_MAX - 1);
        assert_int_equal(ns.n_msg, 1);
        check_dm1(&ns.meta[0], sizes[k], pay, len);
        assert_int_equal(ns.meta[0].sa, 0x00);
        assert_int_equal(ns.meta[0].da, 0xFF);
        if (len > 8) {
            /* BAM announce, then DTs 50 ms apart, last one padded. */
            size_t packets = (len + 6) / 7;
            assert_int_equal(b.n_log, 1 + packets);
            assert_int_equal(b.log[0].id, 0x1CECFF00u);
            assert_int_equal(b.log[0].data[0], RS_TP_CM_BAM);
            for (size_t i = 1; i <= packets; i++) {
                assert_int_equal(b.log[i].id, 0x1CEBFF00u);
                assert_int_equal(b.log[i].data[0], i);
                assert_int_equal(b.log[i].ts_us, 1000 + 50000 * i);
            }
            size_t used = len - 7 * (packets - 1);
            for (size_t j = 1 + used; j < 8; j++)
                assert_int_equal(b.log[packets].data[j], 0xFF);
            assert_int_equal(dl.n, 1);
            assert_int_equal(dl.result, RS_TP_TX_DONE);
        } else {
            assert_int_equal(b.n_log, 1);
            assert_int_equal(b.log[0].id, 0x18FECA00u);
        }
        const rs_tp_stats *st = rs_j1939_rx_stats(&rx);
        for (int d = 0; d < RS_TP_DROP_COUNT; d++)
            assert_int_equal(st->drop[d], 0);
        assert_int_equal(rs_tp_rx_open(&rx.tp), 0);
        assert_int_equal(rs_tp_tx_open(&tx), 0);
    }
}

static void rts_case(size_t n_dtc, uint8_t cts_max, uint8_t tx_max, uint32_t hold_us)
{
    static bus b;
    static uint8_t pay[RS_J1939_MAX_LEN];
    static rs_j1939_rx rx, mon;
    memset(&b, 0, sizeof b);
    done_log dl = {0};
    void *ctx[2] = {&b, &dl};
    rs_tp_tx tx;
    make_tx(&tx, 0x00, ctx, tx_max);
    make_rx(&rx, 0xF9, &b, cts_max, hold_us);
    make_rx(&mon, RS_J1939_NULL_ADDR, NULL, 255, 0); /* a passive monitor */
    node_set ns = {.tx = {&tx}, .n_tx = 1, .rx = {&rx, &mon}, .n_rx = 2};
    size_t len = dm1_payload(n_dtc, pay, sizeof pay);
    assert_int_equal(rs_tp_tx_send(&tx, 0, 6, RS_PGN_DM1, 0xF9, pay, len, NULL), RS_OK);
    uint64_t end = run(&b, &ns, UINT64_MAX - 1);
    assert_int_equal(ns.n_msg, 1);
    check_dm1(&ns.meta[0], n_dtc, pay, len);
    assert_int_equal(ns.n_msg_rx1, 1); /* the monitor saw it too */
    if (len <= 8) {
        /* One frame; DM1 is PDU2, so it is broadcast whatever da was. */
        assert_int_equal(ns.meta[0].da, 0xFF);
        assert_int_equal(b.n_log, 1);
        return;
    }
    assert_int_equal(ns.meta[0].da, 0xF9);
    assert_int_equal(dl.n, 1);
    assert_int_equal(dl.result, RS_TP_TX_DONE);
    size_t packets = (len + 6) / 7;
    unsigned win = cts_max < tx_max ? cts_max : tx_max;
    size_t cts = 0, holds = 0, eoma = 0, dts = 0;
    for (size_t i = 0; i < b.n_log; i++) {
        const rs_can_frame *f = &b.log[i];
        if ((f->id & 0x3FF0000u) == 0x0EB0000u)
            dts++;
        else if (f->data[0] == RS_TP_CM_CTS && f->data[1] == 0)
            holds++;
        else if (f->data[0] == RS_TP_CM_CTS) {
            cts++;
            assert_true(f->data[1] <= win);
            assert_int_equal(f->id, 0x1CEC00F9u);
        } else if (f->data[0] == RS_TP_CM_EOMA) {
            eoma++;
            assert_int_equal(f->data[1] | f->data[2] << 8, len);
            assert_int_equal(f->data[3], packets);
        }
    }
    assert_int_equal(dts, packets);
    assert_int_equal(cts, (packets + win - 1) / win);
    assert_int_equal(eoma, 1);
    if (hold_us) {
        /* CTS 0 at once and then every Th until the hold ends. */
        assert_int_equal(holds, 1 + (hold_us - 1) / RS_TP_TH_US);
        assert_true(end >= hold_us);
    } else {
        assert_int_equal(holds, 0);
    }
    for (int d = 0; d < RS_TP_DROP_COUNT; d++) {
        assert_int_equal(rs_j1939_rx_stats(&rx)->drop[d], 0);
        assert_int_equal(rs_j1939_rx_stats(&mon)->drop[d], 0);
    }
    assert_int_equal(rs_j1939_rx_stats(&mon)->sent, 0);
}

static void test_rts_roundtrip(void **state)
{
    (void)state;
    static const uint8_t windows[] = {1, 3, 255};
    for (size_t w = 0; w < 3; w++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            rts_case(sizes[k], windows[w], 0xFF, 0);
    /* The sender's RTS limit (byte 5) caps the receiver's window. */
    rts_case(50, 255, 2, 0);
}

static void test_rts_hold(void **state)
{
    (void)state;
    rts_case(50, 3, 0xFF, 1200000); /* longer than T4: repeated holds keep it alive */
    rts_case(253, 255, 0xFF, 300000);
}

static void test_interleaved_bams(void **state)
{
    (void)state;
    static bus b;
    static uint8_t p1[RS_J1939_MAX_LEN], p2[RS_J1939_MAX_LEN];
    static rs_j1939_rx rx;
    memset(&b, 0, sizeof b);
    done_log d1 = {0}, d2 = {0};
    void *c1[2] = {&b, &d1}, *c2[2] = {&b, &d2};
    rs_tp_tx t1, t2;
    make_tx(&t1, 0x00, c1, 0xFF);
    make_tx(&t2, 0x3D, c2, 0xFF);
    make_rx(&rx, RS_J1939_NULL_ADDR, NULL, 255, 0);
    node_set ns = {.tx = {&t1, &t2}, .n_tx = 2, .rx = {&rx}, .n_rx = 1};
    size_t l1 = dm1_payload(50, p1, sizeof p1);
    size_t l2 = dm1_payload(4, p2, sizeof p2);
    assert_int_equal(rs_tp_tx_send(&t1, 0, 6, RS_PGN_DM1, 0xFF, p1, l1, NULL), RS_OK);
    assert_int_equal(rs_tp_tx_send(&t2, 20000, 6, RS_PGN_DM1, 0xFF, p2, l2, NULL), RS_OK);
    /* A second BAM from the same source while one runs is refused. */
    rs_err e;
    assert_int_equal(rs_tp_tx_send(&t1, 20000, 6, RS_PGN_VI, 0xFF, p2, 20, &e), RS_E_LIMIT);
    run(&b, &ns, UINT64_MAX - 1);
    assert_int_equal(ns.n_msg, 2);
    /* The short one finishes first although it started later. */
    assert_int_equal(ns.meta[0].sa, 0x3D);
    check_dm1(&ns.meta[0], 4, p2, l2);
    assert_int_equal(ns.meta[1].sa, 0x00);
    check_dm1(&ns.meta[1], 50, p1, l1);
    for (int d = 0; d < RS_TP_DROP_COUNT; d++)
        assert_int_equal(rs_j1939_rx_stats(&rx)->drop[d], 0);
}

/* ---- error paths with hand-made frames --------------------------------- */

static rs_can_frame fr(uint64_t ts, uint32_t id, const uint8_t *d, uint8_t len)
{
    rs_can_frame f;
    memset(&f, 0, sizeof f);
    f.ts_us = ts;
    f.id = id;
    f.flags = RS_CAN_EXT;
    f.len = len;
    memcpy(f.data, d, len);
    return f;
}

static rs_can_frame cm(uint64_t ts, uint8_t sa, uint8_t da, uint8_t c0, uint16_t size, uint8_t pk,
                       uint8_t b4, uint32_t pgn)
{
    uint8_t d[8] = {c0, (uint8_t)size, (uint8_t)(size >> 8), pk, b4, (uint8_t)pgn,
                    (uint8_t)(pgn >> 8), (uint8_t)(pgn >> 16)};
    return fr(ts, 0x1CEC0000u | (uint32_t)da << 8 | sa, d, 8);
}

static rs_can_frame dt(uint64_t ts, uint8_t sa, uint8_t da, uint8_t seq)
{
    uint8_t d[8] = {seq, seq, seq, seq, seq, seq, seq, seq};
    return fr(ts, 0x1CEB0000u | (uint32_t)da << 8 | sa, d, 8);
}

static int feed(rs_j1939_rx *rx, rs_can_frame f)
{
    rs_j1939_msg m;
    return rs_j1939_rx_feed(rx, &f, &m);
}

static const rs_can_frame *last_sent(bus *b)
{
    assert_true(b->n_log > 0);
    return &b->log[b->n_log - 1];
}

static void test_rx_timeouts(void **state)
{
    (void)state;
    static bus b;
    static rs_j1939_rx rx;
    memset(&b, 0, sizeof b);
    make_rx(&rx, 0xF9, &b, 255, 0);
    /* BAM that stops after packet 2: dropped after T1, no abort (broadcast). */
    assert_int_equal(feed(&rx, cm(0, 0x00, 0xFF, RS_TP_CM_BAM, 20, 3, 0xFF, RS_PGN_DM1)), 0);
    feed(&rx, dt(50000, 0x00, 0xFF, 1));
    feed(&rx, dt(100000, 0x00, 0xFF, 2));
    assert_int_equal(rs_tp_rx_deadline(&rx.tp), 100000 + RS_TP_T1_US + 1);
    rs_tp_rx_tick(&rx.tp, 100000 + RS_TP_T1_US); /* exactly T1: still alive */
    assert_int_equal(rs_tp_rx_open(&rx.tp), 1);
    rs_tp_rx_tick(&rx.tp, 100000 + RS_TP_T1_US + 1);
    assert_int_equal(rs_tp_rx_open(&rx.tp), 0);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_TIMEOUT], 1);
    assert_int_equal(b.n_log, 0);
    /* The late packet 3 is an orphan, counted. */
    feed(&rx, dt(2000000, 0x00, 0xFF, 3));
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_ORPHAN_DT], 1);

    /* RTS to us, CTS sent, no data: abort 3 after T2. */
    feed(&rx, cm(3000000, 0x00, 0xF9, RS_TP_CM_RTS, 20, 3, 0xFF, RS_PGN_DM19));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_CTS);
    assert_int_equal(last_sent(&b)->data[1], 3);
    assert_int_equal(last_sent(&b)->data[2], 1);
    rs_tp_rx_tick(&rx.tp, 3000000 + RS_TP_T2_US + 1);
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_ABORT);
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_TIMEOUT);
    assert_int_equal(last_sent(&b)->id, 0x1CEC00F9u);
    assert_int_equal(last_sent(&b)->data[5] | last_sent(&b)->data[6] << 8, RS_PGN_DM19);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_TIMEOUT], 2);
    assert_int_equal(rx.tp.stats.aborts_sent, 1);
}

/* rs_tp_tx_run_out: a BAM of 20 bytes goes out whole (announce + 3 data
 * packets, bam_gap_us apart) and the call returns the last packet's time;
 * an RTS nobody answers ends in its timeout abort. */
static void test_tx_run_out(void **state)
{
    (void)state;
    static bus b;
    memset(&b, 0, sizeof b);
    done_log dl = {0};
    void *ctx[2] = {&b, &dl};
    rs_tp_tx tx;
    make_tx(&tx, 0x00, ctx, 0xFF);
    uint8_t pay[20] = {0};
    assert_int_equal(rs_tp_tx_run_out(&tx, 1000), 1000); /* nothing open */
    assert_int_equal(rs_tp_tx_send(&tx, 1000, 6, RS_PGN_DM19, 0xFF, pay, 20, NULL), RS_OK);
    uint64_t last = rs_tp_tx_run_out(&tx, 1000);
    assert_int_equal(rs_tp_tx_open(&tx), 0);
    assert_int_equal(b.n_log, 4);
    assert_int_equal(b.log[0].data[0], RS_TP_CM_BAM);
    assert_int_equal(last, b.log[3].ts_us);
    assert_true(last >= 1000 + 3 * (uint64_t)RS_TP_BAM_GAP_MIN_US);
    assert_int_equal(dl.n, 1);
    assert_int_equal(rs_tp_tx_send(&tx, last, 6, RS_PGN_DM19, 0xF9, pay, 20, NULL), RS_OK);
    assert_int_equal(rs_tp_tx_run_out(&tx, last), last + RS_TP_T3_US + 1);
    assert_int_equal(dl.result, RS_TP_TX_TIMEOUT);
}

static void test_tx_timeouts(void **state)
{
    (void)state;
    static bus b;
    memset(&b, 0, sizeof b);
    done_log dl = {0};
    void *ctx[2] = {&b, &dl};
    rs_tp_tx tx;
    make_tx(&tx, 0x00, ctx, 0xFF);
    uint8_t pay[20] = {0};
    /* Nobody answers the RTS: abort 3 after T3. */
    assert_int_equal(rs_tp_tx_send(&tx, 0, 6, RS_PGN_DM19, 0xF9, pay, 20, NULL), RS_OK);
    assert_int_equal(rs_tp_tx_deadline(&tx), RS_TP_T3_US + 1);
    rs_tp_tx_tick(&tx, RS_TP_T3_US + 1);
    assert_int_equal(dl.n, 1);
    assert_int_equal(dl.result, RS_TP_TX_TIMEOUT);
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_ABORT);
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_TIMEOUT);
    /* A hold, then silence: abort after T4. */
    assert_int_equal(rs_tp_tx_send(&tx, 5000000, 6, RS_PGN_DM19, 0xF9, pay, 20, NULL), RS_OK);
    rs_can_frame hold = cm(5100000, 0xF9, 0x00, RS_TP_CM_CTS, 0, 0xFF, 0xFF, RS_PGN_DM19);
    hold.data[1] = 0;
    rs_tp_tx_feed(&tx, &hold);
    assert_int_equal(rs_tp_tx_deadline(&tx), 5100000 + RS_TP_T4_US + 1);
    rs_tp_tx_tick(&tx, 5100000 + RS_TP_T4_US + 1);
    assert_int_equal(dl.n, 2);
    assert_int_equal(dl.result, RS_TP_TX_TIMEOUT);
    /* The receiver aborts: the sender stops and reports the reason. */
    assert_int_equal(rs_tp_tx_send(&tx, 9000000, 6, RS_PGN_DM19, 0xF9, pay, 20, NULL), RS_OK);
    rs_can_frame ab = cm(9000100, 0xF9, 0x00, RS_TP_CM_ABORT, 0, 0, 0xFF, RS_PGN_DM19);
    ab.data[1] = RS_TP_ABORT_RESOURCES;
    rs_tp_tx_feed(&tx, &ab);
    assert_int_equal(dl.n, 3);
    assert_int_equal(dl.result, RS_TP_TX_ABORTED);
    assert_int_equal(dl.reason, RS_TP_ABORT_RESOURCES);
    assert_int_equal(rs_tp_tx_open(&tx), 0);
    /* Too long for TP. */
    static uint8_t big[RS_J1939_MAX_LEN + 1];
    rs_err e;
    assert_int_equal(rs_tp_tx_send(&tx, 0, 6, RS_PGN_DM1, 0xFF, big, sizeof big, &e), RS_E_LENGTH);
}

static void test_rx_abort_received(void **state)
{
    (void)state;
    static bus b;
    static rs_j1939_rx rx;
    memset(&b, 0, sizeof b);
    make_rx(&rx, 0xF9, &b, 255, 0);
    feed(&rx, cm(0, 0x00, 0xF9, RS_TP_CM_RTS, 30, 5, 0xFF, RS_PGN_DM19));
    feed(&rx, dt(1000, 0x00, 0xF9, 1));
    rs_can_frame ab = cm(2000, 0x00, 0xF9, RS_TP_CM_ABORT, 0, 0, 0xFF, RS_PGN_DM19);
    ab.data[1] = RS_TP_ABORT_RESOURCES;
    feed(&rx, ab);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_ABORTED], 1);
    assert_int_equal(rs_tp_rx_open(&rx.tp), 0);
    size_t sent = b.n_log;
    feed(&rx, dt(3000, 0x00, 0xF9, 2));
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_ORPHAN_DT], 1);
    assert_int_equal(b.n_log, sent); /* no abort sent back for an abort */
}

static void test_rx_sequence(void **state)
{
    (void)state;
    static bus b;
    static rs_j1939_rx rx;
    memset(&b, 0, sizeof b);
    make_rx(&rx, 0xF9, &b, 255, 0);
    /* BAM gap. */
    feed(&rx, cm(0, 0x00, 0xFF, RS_TP_CM_BAM, 20, 3, 0xFF, RS_PGN_DM1));
    feed(&rx, dt(50000, 0x00, 0xFF, 1));
    assert_int_equal(feed(&rx, dt(100000, 0x00, 0xFF, 3)), 0);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_SEQ], 1);
    assert_int_equal(rs_tp_rx_open(&rx.tp), 0);
    /* RTS gap: abort 7. */
    feed(&rx, cm(200000, 0x00, 0xF9, RS_TP_CM_RTS, 20, 3, 0xFF, RS_PGN_DM19));
    feed(&rx, dt(201000, 0x00, 0xF9, 1));
    feed(&rx, dt(202000, 0x00, 0xF9, 3));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_ABORT);
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_BAD_SEQ);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_SEQ], 2);
    /* RTS duplicate: abort 8. */
    feed(&rx, cm(300000, 0x00, 0xF9, RS_TP_CM_RTS, 20, 3, 0xFF, RS_PGN_DM19));
    feed(&rx, dt(301000, 0x00, 0xF9, 1));
    feed(&rx, dt(302000, 0x00, 0xF9, 1));
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_DUP_SEQ);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_SEQ], 3);
    /* Data while we hold (no window granted): abort 6. */
    static rs_j1939_rx holding;
    make_rx(&holding, 0xF9, &b, 255, 1000000);
    feed(&holding, cm(400000, 0x00, 0xF9, RS_TP_CM_RTS, 20, 3, 0xFF, RS_PGN_DM19));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_CTS);
    assert_int_equal(last_sent(&b)->data[1], 0);
    feed(&holding, dt(401000, 0x00, 0xF9, 1));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_ABORT);
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_UNEXPECTED_DT);
    assert_int_equal(holding.tp.stats.drop[RS_TP_DROP_SEQ], 1);
}

static void test_rx_size_and_busy(void **state)
{
    (void)state;
    static bus b;
    static rs_j1939_rx rx;
    memset(&b, 0, sizeof b);
    make_rx(&rx, 0xF9, &b, 255, 0);
    /* Too large: abort 9 to an RTS, silent drop (counted) for a BAM. */
    feed(&rx, cm(0, 0x00, 0xF9, RS_TP_CM_RTS, 1786, 255, 0xFF, RS_PGN_DM19));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_ABORT);
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_TOO_BIG);
    size_t sent = b.n_log;
    feed(&rx, cm(1000, 0x00, 0xFF, RS_TP_CM_BAM, 2000, 255, 0xFF, RS_PGN_DM1));
    feed(&rx, cm(2000, 0x01, 0xFF, RS_TP_CM_BAM, 8, 2, 0xFF, RS_PGN_DM1)); /* too small */
    assert_int_equal(b.n_log, sent);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_SIZE], 3);
    /* Packet count that does not match the size. */
    feed(&rx, cm(3000, 0x02, 0xFF, RS_TP_CM_BAM, 20, 4, 0xFF, RS_PGN_DM1));
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_BAD_CM], 1);
    /* Largest size is fine. */
    feed(&rx, cm(4000, 0x03, 0xFF, RS_TP_CM_BAM, 1785, 255, 0xFF, RS_PGN_DM1));
    assert_int_equal(rs_tp_rx_open(&rx.tp), 1);
    /* Duplicate RTS from a source already in a session with us: abort 1. */
    feed(&rx, cm(5000, 0x00, 0xF9, RS_TP_CM_RTS, 20, 3, 0xFF, RS_PGN_DM19));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_CTS);
    feed(&rx, cm(6000, 0x00, 0xF9, RS_TP_CM_RTS, 40, 6, 0xFF, RS_PGN_DM19));
    assert_int_equal(last_sent(&b)->data[0], RS_TP_CM_ABORT);
    assert_int_equal(last_sent(&b)->data[1], RS_TP_ABORT_BUSY);
    assert_true(rx.tp.stats.drop[RS_TP_DROP_BUSY] >= 1);
    /* A new BAM from the same source replaces the unfinished one. */
    feed(&rx, cm(7000, 0x03, 0xFF, RS_TP_CM_BAM, 9, 2, 0xFF, RS_PGN_DM1));
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_REPLACED], 1);
    /* Short CM and non-J1939 frames are counted too. */
    uint8_t d3[3] = {0x20, 1, 2};
    feed(&rx, fr(8000, 0x1CECFF05u, d3, 3));
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_SHORT], 1);
    rs_can_frame sff = fr(8000, 0x123, d3, 3);
    sff.flags = 0;
    assert_int_equal(feed(&rx, sff), 0);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_NOT_J1939], 1);
    /* A single-frame PGN passes straight through. */
    uint8_t eec1[8] = {0xF0, 0x7D, 0x84, 0x48, 0x14, 0x00, 0xF0, 0x84};
    rs_j1939_msg m;
    rs_can_frame ef = fr(9000, 0x0CF00400u, eec1, 8);
    assert_int_equal(rs_j1939_rx_feed(&rx, &ef, &m), 1);
    assert_int_equal(m.pgn, 61444);
    assert_int_equal(m.prio, 3);
    assert_memory_equal(m.data, eec1, 8);
}

static void test_rx_no_slot(void **state)
{
    (void)state;
    rs_tp_rx rx;
    rs_tp_rx_session slot[1];
    rs_tp_rx_cfg c;
    rs_tp_rx_cfg_default(&c);
    assert_int_equal(rs_tp_rx_init(&rx, &c, slot, 1, NULL), RS_OK);
    rs_j1939_msg m;
    rs_can_frame a = cm(0, 0x00, 0xFF, RS_TP_CM_BAM, 10, 2, 0xFF, RS_PGN_DM1);
    rs_can_frame b2 = cm(10, 0x3D, 0xFF, RS_TP_CM_BAM, 10, 2, 0xFF, RS_PGN_DM1);
    assert_int_equal(rs_tp_rx_feed(&rx, &a, &m), 0);
    assert_int_equal(rs_tp_rx_feed(&rx, &b2, &m), 0);
    assert_int_equal(rx.stats.drop[RS_TP_DROP_NO_SLOT], 1);
    rs_can_frame d1 = dt(20, 0x00, 0xFF, 1), d2 = dt(30, 0x00, 0xFF, 2);
    assert_int_equal(rs_tp_rx_feed(&rx, &d1, &m), 0);
    assert_int_equal(rs_tp_rx_feed(&rx, &d2, &m), 1);
    assert_int_equal(m.len, 10);
    assert_int_equal(rs_tp_drop_name(RS_TP_DROP_NO_SLOT)[0], 'n');
    rs_err e;
    assert_int_equal(rs_tp_rx_init(&rx, &c, slot, 0, &e), RS_E_OPTION);
}

/* Loses the first DT with sequence 2 so the receiver sees a gap. */
static bool lose_dt2(bus *b, const rs_can_frame *f)
{
    if ((f->id & 0x3FF0000u) == 0x0EB0000u && f->data[0] == 2 && b->lose_state == 0) {
        b->lose_state = 1;
        return true;
    }
    return false;
}

static void test_rts_gap_end_to_end(void **state)
{
    (void)state;
    static bus b;
    static uint8_t pay[RS_J1939_MAX_LEN];
    static rs_j1939_rx rx;
    memset(&b, 0, sizeof b);
    b.lose = lose_dt2;
    done_log dl = {0};
    void *ctx[2] = {&b, &dl};
    rs_tp_tx tx;
    make_tx(&tx, 0x00, ctx, 0xFF);
    make_rx(&rx, 0xF9, &b, 255, 0);
    node_set ns = {.tx = {&tx}, .n_tx = 1, .rx = {&rx}, .n_rx = 1};
    size_t len = dm1_payload(10, pay, sizeof pay);
    assert_int_equal(rs_tp_tx_send(&tx, 0, 6, RS_PGN_DM1, 0xF9, pay, len, NULL), RS_OK);
    run(&b, &ns, UINT64_MAX - 1);
    assert_int_equal(ns.n_msg, 0);
    assert_int_equal(dl.n, 1);
    assert_int_equal(dl.result, RS_TP_TX_ABORTED);
    assert_int_equal(dl.reason, RS_TP_ABORT_BAD_SEQ);
    assert_int_equal(rx.tp.stats.drop[RS_TP_DROP_SEQ], 1);
    /* The rest of the burst arrives after the abort: orphans, counted. */
    assert_true(rx.tp.stats.drop[RS_TP_DROP_ORPHAN_DT] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bam_roundtrip),
        cmocka_unit_test(test_rts_roundtrip),
        cmocka_unit_test(test_rts_hold),
        cmocka_unit_test(test_interleaved_bams),
        cmocka_unit_test(test_rx_timeouts),
        cmocka_unit_test(test_tx_run_out),
        cmocka_unit_test(test_tx_timeouts),
        cmocka_unit_test(test_rx_abort_received),
        cmocka_unit_test(test_rx_sequence),
        cmocka_unit_test(test_rx_size_and_busy),
        cmocka_unit_test(test_rx_no_slot),
        cmocka_unit_test(test_rts_gap_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
