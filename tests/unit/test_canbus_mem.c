/* In-memory CAN bus (canbus_mem.h): delivery to the other ports and not to
 * the writer (unless asked), FIFO order through ring wrap-around, overflow
 * counted per port and per bus, and any close/release order. */
#include "testutil.h"

#include "remsim/can.h"
#include "remsim/canbus_mem.h"
#include "remsim/candump.h"

static rs_can_frame frame(uint32_t id, uint64_t ts)
{
    rs_can_frame f = { .ts_us = ts, .id = id, .flags = RS_CAN_EXT, .len = 8,
                       .data = { (uint8_t)id, 1, 2, 3, 4, 5, 6, 7 } };
    return f;
}

static void test_delivery_to_others_not_self(void **state)
{
    (void)state;
    rs_err err;
    rs_canbus_mem *bus = rs_canbus_mem_new("simcan0", &err);
    assert_non_null(bus);
    rs_can_port *a = rs_canbus_mem_attach(bus, 8, 0, &err);
    rs_can_port *b = rs_canbus_mem_attach(bus, 8, 0, &err);
    rs_can_port *c = rs_canbus_mem_attach(bus, 8, 0, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(a->fd, -1);

    rs_can_frame f = frame(0x0CF00400, 123456789), got;
    f.iface = 5;   /* the writer's own index means nothing to receivers */
    assert_int_equal(rs_can_write(a, &f, &err), RS_CAN_OK);
    assert_int_equal(rs_can_read(b, &got, &err), RS_CAN_OK);
    assert_true(got.ts_us == 123456789);   /* the bus keeps the writer's time */
    assert_int_equal(got.id, 0x0CF00400);
    assert_int_equal(got.flags, RS_CAN_EXT);
    assert_memory_equal(got.data, f.data, 8);
    assert_int_equal(got.iface, 0);
    assert_string_equal(rs_can_iface_name(&b->ifaces, got.iface), "simcan0");
    assert_int_equal(rs_can_read(c, &got, &err), RS_CAN_OK);
    assert_int_equal(got.id, 0x0CF00400);
    /* Not to the writer, and nothing more for anyone. */
    assert_int_equal(rs_can_read(a, &got, &err), RS_CAN_AGAIN);
    assert_int_equal(rs_can_read(b, &got, &err), RS_CAN_AGAIN);
    assert_int_equal(rs_can_read(c, &got, &err), RS_CAN_AGAIN);

    assert_int_equal(rs_canbus_mem_stats_of(a)->tx, 1);
    assert_int_equal(rs_canbus_mem_stats_of(a)->rx, 0);
    assert_int_equal(rs_canbus_mem_stats_of(b)->rx, 1);
    rs_can_close(a);
    rs_can_close(b);
    rs_can_close(c);
    rs_canbus_mem_release(bus);
}

static void test_recv_own_when_asked(void **state)
{
    (void)state;
    rs_err err;
    rs_canbus_mem *bus = rs_canbus_mem_new(NULL, &err);
    rs_can_port *own = rs_canbus_mem_attach(bus, 0, RS_CANBUS_MEM_RECV_OWN, &err);
    rs_can_port *other = rs_canbus_mem_attach(bus, 0, 0, &err);
    assert_int_equal(rs_canbus_mem_stats_of(own)->ring, RS_CANBUS_MEM_DEFAULT_RING);
    assert_string_equal(rs_can_iface_name(&own->ifaces, 0), "mem0");
    rs_can_frame f = frame(0x18FEF100, 1), got;
    assert_int_equal(rs_can_write(own, &f, &err), RS_CAN_OK);
    assert_int_equal(rs_can_read(own, &got, &err), RS_CAN_OK);
    assert_int_equal(got.id, 0x18FEF100);
    assert_int_equal(rs_can_read(other, &got, &err), RS_CAN_OK);
    /* The other port did not ask: its frames do not come back to it. */
    assert_int_equal(rs_can_write(other, &f, &err), RS_CAN_OK);
    assert_int_equal(rs_can_read(other, &got, &err), RS_CAN_AGAIN);
    assert_int_equal(rs_can_read(own, &got, &err), RS_CAN_OK);
    rs_canbus_mem_release(bus);   /* released first: ports keep it alive */
    rs_can_close(own);
    rs_can_close(other);
}

static void test_overflow_counted(void **state)
{
    (void)state;
    rs_err err;
    rs_canbus_mem *bus = rs_canbus_mem_new("vcan9", &err);
    rs_can_port *tx = rs_canbus_mem_attach(bus, 4, 0, &err);
    rs_can_port *slow = rs_canbus_mem_attach(bus, 4, 0, &err);
    rs_can_port *fast = rs_canbus_mem_attach(bus, 16, 0, &err);
    for (uint32_t i = 0; i < 10; i++) {
        rs_can_frame f = frame(0x100 + i, i);
        assert_int_equal(rs_can_write(tx, &f, &err), RS_CAN_OK);   /* the writer never waits */
    }
    const rs_canbus_mem_stats *s = rs_canbus_mem_stats_of(slow);
    assert_int_equal(s->dropped, 6);
    assert_int_equal(s->queued, 4);
    assert_int_equal(rs_canbus_mem_stats_of(fast)->dropped, 0);
    assert_int_equal(rs_canbus_mem_stats_of(tx)->dropped, 0);
    assert_true(rs_canbus_mem_dropped(bus) == 6);
    /* The oldest frames were kept: a full ring refuses new ones. */
    rs_can_frame got;
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(rs_can_read(slow, &got, &err), RS_CAN_OK);
        assert_int_equal(got.id, 0x100 + i);
    }
    assert_int_equal(rs_can_read(slow, &got, &err), RS_CAN_AGAIN);
    for (uint32_t i = 0; i < 10; i++) {
        assert_int_equal(rs_can_read(fast, &got, &err), RS_CAN_OK);
        assert_int_equal(got.id, 0x100 + i);
    }
    /* Drops of a closed port stay in the bus total. */
    rs_can_close(slow);
    assert_true(rs_canbus_mem_dropped(bus) == 6);
    rs_can_frame f = frame(0x200, 99);
    assert_int_equal(rs_can_write(tx, &f, &err), RS_CAN_OK);
    assert_int_equal(rs_can_read(fast, &got, &err), RS_CAN_OK);
    assert_int_equal(got.id, 0x200);
    rs_can_close(tx);
    rs_can_close(fast);
    rs_canbus_mem_release(bus);
}

static void test_fifo_through_wraparound(void **state)
{
    (void)state;
    rs_err err;
    rs_canbus_mem *bus = rs_canbus_mem_new("sim", &err);
    rs_can_port *tx = rs_canbus_mem_attach(bus, 1, 0, &err);
    rs_can_port *rx = rs_canbus_mem_attach(bus, 3, 0, &err);
    uint32_t next_in = 0, next_out = 0;
    rs_can_frame got;
    for (int round = 0; round < 50; round++) {
        int writes = 1 + round % 3, reads = 1 + (round + 1) % 3;
        for (int i = 0; i < writes; i++) {
            if (rs_canbus_mem_stats_of(rx)->queued == 3)
                break;   /* keep this test about order, not drops */
            rs_can_frame f = frame(next_in++, 0);
            assert_int_equal(rs_can_write(tx, &f, &err), RS_CAN_OK);
        }
        for (int i = 0; i < reads && next_out < next_in; i++) {
            assert_int_equal(rs_can_read(rx, &got, &err), RS_CAN_OK);
            assert_int_equal(got.id, next_out++);
        }
    }
    assert_int_equal(rs_canbus_mem_stats_of(rx)->dropped, 0);
    assert_true(next_in > 40);
    rs_can_close(rx);
    rs_can_close(tx);
    rs_canbus_mem_release(bus);
}

static void test_bad_frames_refused(void **state)
{
    (void)state;
    rs_err err;
    rs_canbus_mem *bus = rs_canbus_mem_new("sim", &err);
    rs_can_port *tx = rs_canbus_mem_attach(bus, 4, 0, &err);
    rs_can_port *rx = rs_canbus_mem_attach(bus, 4, 0, &err);
    rs_can_frame f = frame(0x0CF00400, 0), got;
    f.flags = 0;   /* 29-bit value marked 11-bit */
    assert_int_equal(rs_can_write(tx, &f, &err), RS_CAN_ERROR);
    assert_int_equal(err.code, RS_E_VALUE);
    f = frame(0x100, 0);
    f.len = 9;
    assert_int_equal(rs_can_write(tx, &f, &err), RS_CAN_ERROR);
    assert_int_equal(rs_can_read(rx, &got, &err), RS_CAN_AGAIN);
    assert_null(rs_canbus_mem_new("a-name-that-is-too-long", &err));
    assert_int_equal(err.code, RS_E_OPTION);
    assert_null(rs_canbus_mem_stats_of(NULL));
    rs_can_close(tx);
    rs_can_close(rx);
    rs_canbus_mem_release(bus);
}

/* Ports are interchangeable: a candump source feeds the bus through the
 * generic calls, and a listener gets the same frames. */
static void test_candump_through_bus(void **state)
{
    (void)state;
    static const char text[] = "(1.000000) can0 0CF00400#607D84481400F084\n"
                               "(1.000100) can1 123#R\n"
                               "(1.000200) can0 18FEF100#FF\n";
    rs_err err;
    rs_can_port *src = rs_candump_open_mem(text, sizeof text - 1, 0, &err);
    rs_canbus_mem *bus = rs_canbus_mem_new("vcan0", &err);
    rs_can_port *sim = rs_canbus_mem_attach(bus, 8, 0, &err);
    rs_can_port *term = rs_canbus_mem_attach(bus, 8, 0, &err);
    rs_can_frame f, got;
    unsigned n = 0;
    while (rs_can_read(src, &f, &err) == RS_CAN_OK) {
        assert_int_equal(rs_can_write(sim, &f, &err), RS_CAN_OK);
        assert_int_equal(rs_can_read(term, &got, &err), RS_CAN_OK);
        assert_true(got.ts_us == f.ts_us);
        assert_int_equal(got.id, f.id);
        assert_int_equal(got.flags, f.flags);
        assert_int_equal(got.len, f.len);
        n++;
    }
    assert_int_equal(n, 3);
    rs_can_close(src);
    rs_can_close(sim);
    rs_canbus_mem_release(bus);
    rs_can_close(term);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_to_others_not_self),
        cmocka_unit_test(test_recv_own_when_asked),
        cmocka_unit_test(test_overflow_counted),
        cmocka_unit_test(test_fifo_through_wraparound),
        cmocka_unit_test(test_bad_frames_refused),
        cmocka_unit_test(test_candump_through_bus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
