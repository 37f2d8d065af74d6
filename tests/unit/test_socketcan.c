/* SocketCAN port (socketcan.h).  The pure parts (J1939 filters, frame
 * conversion to and from struct can_frame) run everywhere.  The live part
 * opens vcan0 when the kernel has AF_CAN and the interface exists, and
 * skips, saying why, otherwise. */
#include "testutil.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "remsim/can.h"
#include "remsim/socketcan.h"

/* What the kernel's CAN_RAW filter does with one filter. */
static bool passes(rs_can_filter f, canid_t can_id)
{
    return (can_id & f.mask) == (f.id & f.mask);
}

static void test_filter_pdu2_pgn(void **state)
{
    (void)state;
    rs_can_filter f = rs_socketcan_filter_pgn(61444);   /* EEC1, 0xF004 */
    assert_int_equal(f.id, 0x00F00400u | CAN_EFF_FLAG);
    assert_int_equal(f.mask, 0x03FFFF00u | CAN_EFF_FLAG | CAN_RTR_FLAG);
    assert_true(passes(f, 0x0CF00400u | CAN_EFF_FLAG));   /* prio 3, SA 0x00 */
    assert_true(passes(f, 0x18F00417u | CAN_EFF_FLAG));   /* prio 6, SA 0x17 */
    assert_false(passes(f, 0x0CF00500u | CAN_EFF_FLAG));  /* another PGN */
    assert_false(passes(f, 0x0DF00400u | CAN_EFF_FLAG));  /* data page 1 */
    assert_false(passes(f, 0x400u));                      /* 11-bit frame */
    assert_false(passes(f, 0x0CF00400u | CAN_EFF_FLAG | CAN_RTR_FLAG));
}

static void test_filter_pdu1_pgn(void **state)
{
    (void)state;
    /* TP.CM 60416 (0xEC00): any destination; a DA in the PGN is ignored. */
    rs_can_filter f = rs_socketcan_filter_pgn(0xECFF);
    rs_can_filter g = rs_socketcan_filter_pgn(60416);
    assert_int_equal(f.id, g.id);
    assert_int_equal(f.mask, g.mask);
    assert_true(passes(f, 0x1CECFF00u | CAN_EFF_FLAG));   /* BAM to global */
    assert_true(passes(f, 0x1CEC1700u | CAN_EFF_FLAG));   /* RTS to 0x17 */
    assert_false(passes(f, 0x1CEBFF00u | CAN_EFF_FLAG));  /* TP.DT */
    /* Request 59904 (0xEA00) from one SA. */
    rs_can_filter r = rs_socketcan_filter_pgn_sa(59904, 0x17);
    assert_true(passes(r, 0x18EA0017u | CAN_EFF_FLAG));
    assert_true(passes(r, 0x18EAFF17u | CAN_EFF_FLAG));
    assert_false(passes(r, 0x18EAFF21u | CAN_EFF_FLAG));
}

static void test_filter_pgn_sa(void **state)
{
    (void)state;
    rs_can_filter f = rs_socketcan_filter_pgn_sa(61455, 0x52);   /* AT1OG1 from the outlet NOx sensor */
    assert_true(passes(f, 0x18F00F52u | CAN_EFF_FLAG));
    assert_false(passes(f, 0x18F00F00u | CAN_EFF_FLAG));
    assert_false(passes(f, 0x18F00E52u | CAN_EFF_FLAG));
}

static void test_to_kernel(void **state)
{
    (void)state;
    struct can_frame k;
    rs_err err;
    rs_can_frame f = { .id = 0x0CF00400, .flags = RS_CAN_EXT, .len = 8,
                       .data = { 0x60, 0x7D, 0x84, 0x48, 0x14, 0x00, 0xF0, 0x84 } };
    assert_int_equal(rs_socketcan_to_kernel(&f, &k, &err), RS_OK);
    assert_int_equal(k.can_id, 0x0CF00400u | CAN_EFF_FLAG);
    assert_int_equal(k.len, 8);
    assert_memory_equal(k.data, f.data, 8);

    rs_can_frame s = { .id = 0x123, .flags = 0, .len = 2, .data = { 1, 2 } };
    assert_int_equal(rs_socketcan_to_kernel(&s, &k, &err), RS_OK);
    assert_int_equal(k.can_id, 0x123);
    assert_int_equal(k.len, 2);

    rs_can_frame r = { .id = 0x18EA00F9, .flags = RS_CAN_EXT | RS_CAN_RTR, .len = 3, .data = { 9, 9, 9 } };
    assert_int_equal(rs_socketcan_to_kernel(&r, &k, &err), RS_OK);
    assert_int_equal(k.can_id, 0x18EA00F9u | CAN_EFF_FLAG | CAN_RTR_FLAG);
    assert_int_equal(k.len, 3);
    assert_int_equal(k.data[0], 0);   /* remote frames carry no data */

    /* An 11-bit frame cannot carry a 29-bit id: refused, not truncated. */
    rs_can_frame bad = { .id = 0x0CF00400, .flags = 0, .len = 0 };
    assert_int_equal(rs_socketcan_to_kernel(&bad, &k, &err), RS_E_VALUE);
    assert_string_equal(err.field, "id");
    rs_can_frame longf = { .id = 1, .flags = 0, .len = 9 };
    assert_int_equal(rs_socketcan_to_kernel(&longf, &k, &err), RS_E_VALUE);
    assert_string_equal(err.field, "len");
    rs_can_frame fd = { .id = 1, .flags = RS_CAN_FD, .len = 1 };
    assert_int_equal(rs_socketcan_to_kernel(&fd, &k, &err), RS_E_VALUE);
}

static void test_from_kernel(void **state)
{
    (void)state;
    struct can_frame k;
    rs_can_frame f;
    memset(&k, 0, sizeof k);
    k.can_id = 0x18FEF100u | CAN_EFF_FLAG;
    k.len = 4;
    memcpy(k.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    rs_socketcan_from_kernel(&k, &f);
    assert_int_equal(f.id, 0x18FEF100);
    assert_int_equal(f.flags, RS_CAN_EXT);
    assert_int_equal(f.len, 4);
    assert_int_equal(f.data[3], 4);
    assert_int_equal(f.data[4], 0);   /* bytes past len not copied */

    k.can_id = 0x7FF | CAN_RTR_FLAG;
    k.len = 2;
    rs_socketcan_from_kernel(&k, &f);
    assert_int_equal(f.id, 0x7FF);
    assert_int_equal(f.flags, RS_CAN_RTR);
    assert_int_equal(f.len, 2);
    assert_int_equal(f.data[0], 0);

    k.can_id = CAN_ERR_FLAG | 0x80;   /* bus error */
    k.len = 8;
    rs_socketcan_from_kernel(&k, &f);
    assert_int_equal(f.flags, RS_CAN_ERR);
    assert_int_equal(f.id, 0x80);

    k.can_id = 0x100;
    k.len = 15;   /* malformed: never copy past data[8] */
    rs_socketcan_from_kernel(&k, &f);
    assert_int_equal(f.len, 8);

    struct canfd_frame fd;
    memset(&fd, 0, sizeof fd);
    fd.can_id = 0x123;
    fd.len = 12;
    fd.flags = CANFD_BRS;
    for (int i = 0; i < 12; i++)
        fd.data[i] = (uint8_t)(i + 1);
    rs_socketcan_from_kernel_fd(&fd, &f);
    assert_int_equal(f.flags, RS_CAN_FD);
    assert_int_equal(f.len, 8);
    assert_int_equal(f.data[7], 8);
}

/* Every conversion round-trips for frames that fit classic CAN. */
static void test_round_trip(void **state)
{
    (void)state;
    static const rs_can_frame frames[] = {
        { .id = 0, .flags = 0, .len = 0 },
        { .id = 0x7FF, .flags = 0, .len = 8, .data = { 1, 2, 3, 4, 5, 6, 7, 8 } },
        { .id = 0x1FFFFFFF, .flags = RS_CAN_EXT, .len = 1, .data = { 0xFF } },
        { .id = 0x00000123, .flags = RS_CAN_EXT | RS_CAN_RTR, .len = 8 },
        { .id = 0x04, .flags = RS_CAN_ERR, .len = 8, .data = { 0, 4 } },
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        struct can_frame k;
        rs_can_frame back;
        rs_err err;
        assert_int_equal(rs_socketcan_to_kernel(&frames[i], &k, &err), RS_OK);
        rs_socketcan_from_kernel(&k, &back);
        assert_int_equal(back.id, frames[i].id);
        assert_int_equal(back.flags, frames[i].flags);
        assert_int_equal(back.len, frames[i].len);
        assert_memory_equal(back.data, frames[i].data, sizeof back.data);
    }
}

static void test_stats_of_other_port_is_null(void **state)
{
    (void)state;
    rs_can_port fake;
    memset(&fake, 0, sizeof fake);
    fake.kind = "mem";
    assert_null(rs_socketcan_stats_of(&fake));
    rs_err err;
    assert_int_equal(rs_socketcan_set_filters(&fake, NULL, 0, &err), RS_E_OPTION);
}

/* Why the live tests cannot run here, or NULL when they can. */
static const char *live_unavailable(char *buf, size_t cap)
{
    int s = socket(PF_CAN, SOCK_RAW, CAN_RAW);
    if (s < 0) {
        int e = errno;
        snprintf(buf, cap, "AF_CAN not supported by this kernel (%s)",
                 e == EAFNOSUPPORT ? "EAFNOSUPPORT" : strerror(e));
        return buf;
    }
    close(s);
    if (if_nametoindex("vcan0") == 0) {
        snprintf(buf, cap, "no vcan0 interface (modprobe vcan; ip link add dev vcan0 type vcan; "
                           "ip link set up vcan0)");
        return buf;
    }
    return NULL;
}

/* Without AF_CAN the open fails clearly; with it, a missing interface does. */
static void test_open_reports_errors(void **state)
{
    (void)state;
    rs_err err;
    memset(&err, 0, sizeof err);
    int s = socket(PF_CAN, SOCK_RAW, CAN_RAW);
    int e = errno;
    if (s >= 0)
        close(s);
    rs_can_port *p = rs_socketcan_open("vcan0", 0, NULL, 0, &err);
    if (s < 0) {
        assert_null(p);
        assert_int_equal(err.code, RS_E_IO);
        assert_int_equal(err.got, e);
        assert_string_equal(err.field, "socket(AF_CAN)");
        char msg[512];
        rs_err_format(&err, msg, sizeof msg);
        print_message("open without AF_CAN: %s\n", msg);
        if (e == EAFNOSUPPORT)
            assert_non_null(strstr(err.rule, "AF_CAN not supported by this kernel (EAFNOSUPPORT)"));
        return;
    }
    rs_can_close(p);
    p = rs_socketcan_open("remsimnone0", 0, NULL, 0, &err);
    assert_null(p);
    assert_int_equal(err.code, RS_E_IO);
    assert_string_equal(err.field, "ifname");
    /* Names longer than IFNAMSIZ - 1 are refused before any syscall. */
    assert_null(rs_socketcan_open("abcdefghijklmnop", 0, NULL, 0, &err));
    assert_int_equal(err.code, RS_E_OPTION);
}

static rs_can_status read_wait(rs_can_port *p, rs_can_frame *f, rs_err *err)
{
    for (int tries = 0; tries < 20; tries++) {
        rs_can_status st = rs_can_read(p, f, err);
        if (st != RS_CAN_AGAIN)
            return st;
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
        poll(&pfd, 1, 100);   /* a guard against hanging, not a timing check */
    }
    return RS_CAN_AGAIN;
}

static void test_vcan_send_receive_filter(void **state)
{
    (void)state;
    char why[256];
    if (live_unavailable(why, sizeof why)) {
        print_message("skipped: %s\n", why);
        skip();
    }
    rs_err err;
    rs_can_filter eec1 = rs_socketcan_filter_pgn(61444);
    rs_can_port *tx = rs_socketcan_open("vcan0", RS_SOCKETCAN_NONBLOCK, NULL, 0, &err);
    rs_can_port *rx = rs_socketcan_open("vcan0", RS_SOCKETCAN_NONBLOCK, &eec1, 1, &err);
    assert_non_null(tx);
    assert_non_null(rx);
    assert_true(rx->fd >= 0);
    assert_string_equal(rs_can_iface_name(&rx->ifaces, 0), "vcan0");

    rs_can_frame other = { .id = 0x18FEF100, .flags = RS_CAN_EXT, .len = 8 };   /* CCVS1: filtered out */
    rs_can_frame want = { .id = 0x0CF00400, .flags = RS_CAN_EXT, .len = 8,
                          .data = { 0xF0, 0xFF, 0x7D, 0x00, 0x00, 0xFF, 0xFF, 0xFF } };
    assert_int_equal(rs_can_write(tx, &other, &err), RS_CAN_OK);
    assert_int_equal(rs_can_write(tx, &want, &err), RS_CAN_OK);

    struct timeval before;
    gettimeofday(&before, NULL);
    rs_can_frame got;
    assert_int_equal(read_wait(rx, &got, &err), RS_CAN_OK);
    assert_int_equal(got.id, want.id);
    assert_int_equal(got.flags, RS_CAN_EXT);
    assert_int_equal(got.len, 8);
    assert_memory_equal(got.data, want.data, 8);
    assert_int_equal(got.iface, 0);
    /* Kernel stamp: present, and within a minute of the wall clock. */
    const rs_socketcan_stats *st = rs_socketcan_stats_of(rx);
    assert_non_null(st);
    assert_int_equal(st->no_timestamp, 0);
    uint64_t now_us = (uint64_t)before.tv_sec * 1000000u + (uint64_t)before.tv_usec;
    assert_true(got.ts_us + 60000000u > now_us && got.ts_us < now_us + 60000000u);
    /* The filtered frame never arrives; a non-blocking read says so. */
    assert_int_equal(rs_can_read(rx, &got, &err), RS_CAN_AGAIN);
    assert_int_equal(st->rx, 1);
    assert_int_equal(rs_socketcan_stats_of(tx)->tx, 2);
    /* Our own frames are not looped back to the sender by default. */
    assert_int_equal(rs_can_read(tx, &got, &err), RS_CAN_AGAIN);
    rs_can_close(tx);
    rs_can_close(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_pdu2_pgn),
        cmocka_unit_test(test_filter_pdu1_pgn),
        cmocka_unit_test(test_filter_pgn_sa),
        cmocka_unit_test(test_to_kernel),
        cmocka_unit_test(test_from_kernel),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stats_of_other_port_is_null),
        cmocka_unit_test(test_open_reports_errors),
        cmocka_unit_test(test_vcan_send_receive_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
