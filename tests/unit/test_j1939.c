/* J1939 identifiers (PDU1/PDU2), single frames, request and ACKM. */
#include "testutil.h"

#include "remsim/j1939.h"

static void test_id_decode_examples(void **state)
{
    (void)state;
    rs_j1939_id id;
    /* BAM from the engine: TP.CM, PDU1, DA global (can-signals.md §4). */
    rs_j1939_id_decode(0x1CECFF00u, &id);
    assert_int_equal(id.prio, 7);
    assert_true(id.pdu1);
    assert_int_equal(id.pf, 0xEC);
    assert_int_equal(id.ps, 0xFF);
    assert_int_equal(id.pgn, RS_PGN_TP_CM);
    assert_int_equal(id.da, 0xFF);
    assert_int_equal(id.sa, 0x00);
    /* Request from tool 0xF9 to the engine (§1.3). */
    rs_j1939_id_decode(0x18EA00F9u, &id);
    assert_int_equal(id.prio, 6);
    assert_int_equal(id.pgn, RS_PGN_REQUEST);
    assert_int_equal(id.da, 0x00);
    assert_int_equal(id.sa, 0xF9);
    /* EEC1: PDU2, PS is part of the PGN. */
    rs_j1939_id_decode(0x0CF00400u, &id);
    assert_int_equal(id.prio, 3);
    assert_false(id.pdu1);
    assert_int_equal(id.pgn, 61444);
    assert_int_equal(id.ps, 0x04);
    assert_int_equal(id.da, 0xFF);
    /* CCVS1 from the engine and from SA 0x47. */
    rs_j1939_id_decode(0x18FEF100u, &id);
    assert_int_equal(id.pgn, 65265);
    assert_int_equal(id.sa, 0);
    rs_j1939_id_decode(0x18FEF147u, &id);
    assert_int_equal(id.pgn, 65265);
    assert_int_equal(id.sa, 0x47);
    /* TP.DT to the tool, and the data-page bit. */
    rs_j1939_id_decode(0x1CEBF900u, &id);
    assert_int_equal(id.pgn, RS_PGN_TP_DT);
    assert_int_equal(id.da, 0xF9);
    rs_j1939_id_decode(0x19FECA00u, &id);
    assert_int_equal(id.dp, 1);
    assert_int_equal(id.edp, 0);
    assert_int_equal(id.pgn, 0x1FECA);
    /* Flag bits above 28 are ignored. */
    rs_j1939_id_decode(0x80000000u | 0x18FEF100u, &id);
    assert_int_equal(id.pgn, 65265);
    assert_int_equal(id.prio, 6);
}

static void test_id_encode(void **state)
{
    (void)state;
    uint32_t id;
    assert_int_equal(rs_j1939_id_encode(7, RS_PGN_TP_CM, 0x00, 0xFF, &id, NULL), RS_OK);
    assert_int_equal(id, 0x1CECFF00u);
    assert_int_equal(rs_j1939_id_encode(6, RS_PGN_REQUEST, 0xF9, 0x00, &id, NULL), RS_OK);
    assert_int_equal(id, 0x18EA00F9u);
    /* PDU2: da ignored. */
    assert_int_equal(rs_j1939_id_encode(3, 61444, 0x00, 0x17, &id, NULL), RS_OK);
    assert_int_equal(id, 0x0CF00400u);
    assert_int_equal(rs_j1939_id_encode(6, 65265, 0x00, 0xFF, &id, NULL), RS_OK);
    assert_int_equal(id, 0x18FEF100u);
    /* Round trip over every PF for one SA/DA. */
    for (uint32_t pf = 0; pf < 256; pf++) {
        uint32_t pgn = pf << 8 | (pf >= 240 ? 0x5A : 0);
        assert_int_equal(rs_j1939_id_encode(5, pgn, 0x3D, 0x21, &id, NULL), RS_OK);
        rs_j1939_id d;
        rs_j1939_id_decode(id, &d);
        assert_int_equal(d.pgn, pgn);
        assert_int_equal(d.sa, 0x3D);
        assert_int_equal(d.da, pf < 240 ? 0x21 : 0xFF);
        assert_int_equal(d.prio, 5);
    }
    rs_err e;
    assert_int_equal(rs_j1939_id_encode(8, 65265, 0, 0, &id, &e), RS_E_VALUE);
    assert_string_equal(e.field, "prio");
    assert_int_equal(rs_j1939_id_encode(6, 0x40000, 0, 0, &id, &e), RS_E_VALUE);
    /* A PDU1 PGN with a low byte would collide with the DA. */
    assert_int_equal(rs_j1939_id_encode(6, 0xEA12, 0, 0, &id, &e), RS_E_VALUE);
    assert_true(rs_j1939_pgn_is_pdu1(RS_PGN_DM19));
    assert_false(rs_j1939_pgn_is_pdu1(RS_PGN_DM1));
}

static void test_frames(void **state)
{
    (void)state;
    rs_can_frame f;
    memset(&f, 0, sizeof f);
    f.id = 0x18FECA03u;
    f.flags = RS_CAN_EXT;
    f.len = 8;
    f.ts_us = 42;
    static const uint8_t nodtc[8] = {0x00, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF};
    memcpy(f.data, nodtc, 8);
    rs_j1939_msg m;
    assert_int_equal(rs_j1939_from_frame(&f, &m, NULL), RS_OK);
    assert_int_equal(m.pgn, RS_PGN_DM1);
    assert_int_equal(m.sa, 3);
    assert_int_equal(m.ts_us, 42);
    rs_can_frame g;
    assert_int_equal(rs_j1939_to_frame(&m, &g, NULL), RS_OK);
    assert_int_equal(g.id, f.id);
    assert_memory_equal(g.data, f.data, 8);
    f.flags = 0;
    rs_err e;
    assert_int_equal(rs_j1939_from_frame(&f, &m, &e), RS_E_HEADER);
    f.flags = RS_CAN_EXT | RS_CAN_RTR;
    assert_int_equal(rs_j1939_from_frame(&f, &m, &e), RS_E_HEADER);
    m.len = 9;
    assert_int_equal(rs_j1939_to_frame(&m, &g, &e), RS_E_LENGTH);
}

static void test_request(void **state)
{
    (void)state;
    rs_can_frame f;
    assert_int_equal(rs_j1939_request_frame(0xF9, 0x00, RS_PGN_VI, &f, NULL), RS_OK);
    /* 18EA00F9#ECFE00 (can-signals.md §1.3). */
    assert_int_equal(f.id, 0x18EA00F9u);
    assert_int_equal(f.len, 3);
    assert_int_equal(f.data[0], 0xEC);
    assert_int_equal(f.data[1], 0xFE);
    assert_int_equal(f.data[2], 0x00);
    assert_true(f.flags & RS_CAN_EXT);
    rs_j1939_msg m;
    assert_int_equal(rs_j1939_from_frame(&f, &m, NULL), RS_OK);
    uint32_t pgn = 0;
    assert_int_equal(rs_j1939_request_parse(&m, &pgn, NULL), RS_OK);
    assert_int_equal(pgn, RS_PGN_VI);
    /* DLC 8 requests (padded) are accepted as well. */
    f.len = 8;
    memset(f.data + 3, 0xFF, 5);
    assert_int_equal(rs_j1939_from_frame(&f, &m, NULL), RS_OK);
    assert_int_equal(rs_j1939_request_parse(&m, &pgn, NULL), RS_OK);
    assert_int_equal(pgn, RS_PGN_VI);
    rs_err e;
    m.len = 2;
    assert_int_equal(rs_j1939_request_parse(&m, &pgn, &e), RS_E_SHORT);
    m.len = 3;
    m.pgn = RS_PGN_DM1;
    assert_int_equal(rs_j1939_request_parse(&m, &pgn, &e), RS_E_COMMAND);
    /* Global request. */
    assert_int_equal(rs_j1939_request_frame(0x17, 0xFF, RS_PGN_DM5, &f, NULL), RS_OK);
    assert_int_equal(f.id, 0x18EAFF17u);
}

static void test_ack(void **state)
{
    (void)state;
    rs_can_frame f;
    rs_j1939_ack a = {RS_J1939_NACK, 0xFF, 0xF9, RS_PGN_DM20};
    assert_int_equal(rs_j1939_ack_frame(0x00, 0xFF, &a, &f, NULL), RS_OK);
    assert_int_equal(f.id, 0x18E8FF00u);
    static const uint8_t want[8] = {0x01, 0xFF, 0xFF, 0xFF, 0xF9, 0x00, 0xC2, 0x00};
    assert_memory_equal(f.data, want, 8);
    rs_j1939_msg m;
    assert_int_equal(rs_j1939_from_frame(&f, &m, NULL), RS_OK);
    rs_j1939_ack b;
    assert_int_equal(rs_j1939_ack_parse(&m, &b, NULL), RS_OK);
    assert_int_equal(b.control, RS_J1939_NACK);
    assert_int_equal(b.addr, 0xF9);
    assert_int_equal(b.pgn, RS_PGN_DM20);
    rs_err e;
    m.len = 5;
    assert_int_equal(rs_j1939_ack_parse(&m, &b, &e), RS_E_SHORT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_decode_examples),
        cmocka_unit_test(test_id_encode),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
