/* Trace -> samples -> report packets, per profile, decoded back. */
#include "testutil.h"

#include <math.h>

#include "remsim/candump.h"
#include "remsim/msg.h"
#include "remsim/trace_pack.h"

#define IDLE "traces/css-electronics/truck_idle_2021-10-25.candump"

typedef struct got {
    const rs_profile *p;
    size_t packets, items, streams, supplements, obds;
    uint16_t last_serial;
    bool serial_ok;
    double rpm_min, rpm_max;
    unsigned dtc_count;
    size_t first_items;
} got;

static rs_msg g_dec;

static void on_packet(void *ctx, const uint8_t *frame, size_t len, const rs_msg *msg)
{
    got *g = ctx;
    (void)msg;
    rs_err err;
    /* what was sent decodes back with the same profile */
    if (rs_msg_decode(g->p, frame, len, &g_dec, &err) != RS_OK) {
        char b[256];
        rs_err_format(&err, b, sizeof b);
        fail_msg("packet %zu does not decode: %s", g->packets, b);
    }
    assert_int_equal(g_dec.kind, RS_MSG_REPORT);
    const rs_report *r = &g_dec.u.report;
    uint16_t sn = r->layout == RS_LAYOUT_GB ? r->item[0].serial : r->serial;
    if (sn != g->last_serial + 1)
        g->serial_ok = false;
    g->last_serial = sn;
    if (g->packets == 0)
        g->first_items = r->n_items;
    g->packets++;
    for (unsigned i = 0; i < r->n_items; i++) {
        const rs_item *it = &r->item[i];
        g->items++;
        if (it->type == RS_INFO_STREAM_DIESEL) {
            g->streams++;
            if (r->layout == RS_LAYOUT_GB)
                assert_int_equal(it->serial, sn);
            const rs_val *v = &it->u.v[RS_F_RPM];
            assert_int_equal(v->state, RS_VALID);
            g->rpm_min = fmin(g->rpm_min, v->value);
            g->rpm_max = fmax(g->rpm_max, v->value);
            assert_int_equal(it->u.v[RS_F_NOX_DOWN].state, RS_INVALID);
        } else if (it->type == RS_INFO_SUPPLEMENT) {
            g->supplements++;
        } else if (it->type == RS_INFO_OBD) {
            g->obds++;
            g->dtc_count = it->u.obd.dtc_count;
            assert_int_equal(it->u.obd.mil, 1);
        }
    }
}

static void run(rs_proto proto, got *g, const char *path)
{
    static rs_profile p;
    rs_profile_init(&p, proto);
    memset(g, 0, sizeof *g);
    g->p = &p;
    g->serial_ok = true;
    g->rpm_min = INFINITY;
    g->rpm_max = -INFINITY;
    static rs_packer k;
    rs_packer_init(&k, &p, (const uint8_t *)"LZZ1CLVB7MD000001", on_packet, g);
    rs_err err;
    rs_can_port *src = rs_candump_open(path, 0, &err);
    assert_non_null(src);
    assert_int_equal(rs_trace_to_packets(src, NULL, &k, &err), RS_OK);
    rs_can_close(src);
    print_message("%s: %zu packets, %zu items (%zu streams, %zu supplements, %zu OBD), "
                  "rpm %.3f..%.3f, %u DTCs\n", rs_proto_name(proto), g->packets, g->items,
                  g->streams, g->supplements, g->obds, g->rpm_min, g->rpm_max, g->dtc_count);
}

static void test_idle_gb17691(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, IDLE);
    got g;
    run(RS_PROTO_GB17691, &g, path);
    assert_int_equal(g.packets, 127); /* one packet per sample */
    assert_int_equal(g.streams, 127);
    assert_true(g.serial_ok);        /* 1, 2, 3, ... (same day) */
    assert_int_equal(g.last_serial, 127);
    assert_true(g.rpm_min >= 630 && g.rpm_max <= 670);
    assert_true(g.obds >= 12);       /* first packet, then every 10 s */
    assert_int_equal(g.dtc_count, 4);
}

static void test_idle_hj1239(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, IDLE);
    got g;
    run(RS_PROTO_HJ1239, &g, path);
    assert_int_equal(g.packets, 13);  /* 12 x 10 samples + the last 7 */
    assert_int_equal(g.streams, 127);
    assert_int_equal(g.supplements, 127);
    assert_true(g.serial_ok);
    assert_true(g.first_items >= 20); /* 10 x (0x02 + 0x80), + OBD */
    assert_true(g.obds >= 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_gb17691),
        cmocka_unit_test(test_idle_hj1239),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
