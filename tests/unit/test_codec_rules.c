/* Profile options, value states, VIN rules, time, and the encoder's
 * refusals: the rules of the codec apart from the vectors. */
#include <math.h>

#include "testutil.h"

#include "remsim/msg.h"
#include "remsim/vin.h"

static void test_options_documented(void **s)
{
    (void)s;
    size_t len;
    uint8_t *doc = rs_test_read_file("docs/protocol.md", &len);
    assert_non_null(doc);
    unsigned n;
    const rs_option_desc *o = rs_profile_options(&n);
    assert_true(n >= 15);
    for (unsigned i = 0; i < n; i++) {
        char cell[80];
        snprintf(cell, sizeof cell, "| `%s` |", o[i].key);
        if (!strstr((char *)doc, cell))
            fail_msg("docs/protocol.md lacks a row for option %s", o[i].key);
    }
    for (int f = 0; f < RS_F_COUNT; f++) {
        char cell[80];
        snprintf(cell, sizeof cell, "| `%s` |", rs_fields[f].name);
        if (!strstr((char *)doc, cell))
            fail_msg("docs/protocol.md field table lacks %s", rs_fields[f].name);
    }
    free(doc);
}

static void test_option_parsing(void **s)
{
    (void)s;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    rs_err err;
    assert_int_equal(p.start_tx[0], 0x7E);
    assert_true(p.accept_hash && p.accept_tilde);
    assert_int_equal(rs_profile_set_kv(&p, "start=hash", &err), RS_OK);
    assert_int_equal(p.start_tx[0], 0x23);
    assert_int_equal(rs_profile_set_kv(&p, "vin_check=reject", &err), RS_OK);
    assert_int_equal(p.vin_check, RS_TOL_REJECT);
    assert_int_equal(rs_profile_set_kv(&p, "sw_version=0x11", &err), RS_OK);
    assert_int_equal(p.sw_version, 0x11);
    assert_int_equal(rs_profile_set_kv(&p, "total_fuel.scale=0.001", &err), RS_OK);
    assert_true(fabs(p.scale[RS_F_TOTAL_FUEL].scale - 0.001) < 1e-12);
    assert_int_equal(rs_profile_set_kv(&p, "dpf_exh_temp.offset=0", &err), RS_OK);
    assert_true(p.scale[RS_F_DPF_EXH_TEMP].offset == 0);
    /* refusals name what is wrong */
    assert_int_equal(rs_profile_set_kv(&p, "nonsense=1", &err), RS_E_OPTION);
    assert_int_equal(rs_profile_set_kv(&p, "vin_check=maybe", &err), RS_E_OPTION);
    assert_non_null(strstr(err.rule, "accept, warn or reject"));
    assert_int_equal(rs_profile_set_kv(&p, "sw_version=256", &err), RS_E_OPTION);
    assert_int_equal(rs_profile_set_kv(&p, "nofield.scale=1", &err), RS_E_OPTION);
    assert_int_equal(rs_profile_set_kv(&p, "speed.scale=-1", &err), RS_E_OPTION);
    assert_int_equal(rs_profile_set_kv(&p, "speed.gain=1", &err), RS_E_OPTION);
    assert_int_equal(rs_profile_set_kv(&p, "novalue", &err), RS_E_OPTION);
    rs_proto pr;
    assert_true(rs_proto_parse("gb32960", &pr));
    assert_int_equal(pr, RS_PROTO_GB32960);
    assert_false(rs_proto_parse("gb3296", &pr));
}

static void test_value_states(void **s)
{
    (void)s;
    const rs_field_desc *f = &rs_fields[RS_F_NOX_UP];
    rs_scaling sc = { f->scale, f->offset };
    rs_val v = rs_val_from_raw(f, &sc, 0xFAFF);
    assert_int_equal(v.state, RS_VALID);
    assert_true(fabs(v.value - 3012.75) < 1e-9); /* not 3212.75: the offset counts */
    assert_int_equal(rs_val_from_raw(f, &sc, 0xFFFF).state, RS_INVALID);
    assert_int_equal(rs_val_from_raw(f, &sc, 0xFFFE).state, RS_ABNORMAL);
    assert_int_equal(rs_val_from_raw(f, &sc, 0xFEFF).state, RS_OUT_OF_RANGE);
    assert_int_equal(rs_val_from_raw(f, &sc, 0xFFF0).state, RS_OUT_OF_RANGE);
    uint32_t raw;
    rs_val x = rs_val_ok(-200);
    assert_true(rs_val_to_raw(f, &sc, &x, &raw));
    assert_int_equal(raw, 0);
    x = rs_val_ok(520.024); /* rounds to the nearest 0.05 step */
    assert_true(rs_val_to_raw(f, &sc, &x, &raw));
    assert_int_equal(raw, 14400);
    x = rs_val_ok(3012.8);
    assert_false(rs_val_to_raw(f, &sc, &x, &raw)); /* never clamped */
    x = rs_val_ok(-200.1);
    assert_false(rs_val_to_raw(f, &sc, &x, &raw));
    x = rs_val_ok(NAN);
    assert_false(rs_val_to_raw(f, &sc, &x, &raw));
    x = rs_val_invalid();
    assert_true(rs_val_to_raw(f, &sc, &x, &raw));
    assert_int_equal(raw, 0xFFFF);
    x.state = RS_ABNORMAL;
    assert_true(rs_val_to_raw(&rs_fields[RS_F_BARO], &sc, &x, &raw));
    assert_int_equal(raw, 0xFE);
    assert_int_equal(rs_scale_decimals(1.0 / 256), 8);
    assert_int_equal(rs_scale_decimals(0.05), 2);
    assert_int_equal(rs_scale_decimals(1), 0);
    assert_int_equal(rs_field_by_name("nox_down"), RS_F_NOX_DOWN);
    assert_int_equal(rs_field_by_name("nox"), -1);
}

static void test_vin_rules(void **s)
{
    (void)s;
    rs_err err;
    /* a well-known valid example (ISO 3779 check digit) */
    assert_int_equal(rs_vin_check((const uint8_t *)"1M8GDM9AXKP042788", 3, &err), RS_OK);
    assert_int_equal(rs_vin_check((const uint8_t *)"1M8GDM9A1KP042788", 3, &err), RS_E_VIN);
    assert_int_equal(err.offset, 3 + 8);
    assert_int_equal(rs_vin_check((const uint8_t *)"1M8GDM9AXKP04278O", 3, &err), RS_E_VIN);
    assert_int_equal(err.offset, 3 + 16);
    uint8_t vin[17];
    assert_true(rs_vin_make("LTE", "STGB1", 'A', 'B', 123, vin));
    assert_int_equal(rs_vin_check(vin, 0, &err), RS_OK);
    assert_memory_equal(vin + 11, "000123", 6);
    assert_false(rs_vin_make("LIO", "STGB1", 'A', 'B', 1, vin));
}

static void test_time_conversion(void **s)
{
    (void)s;
    rs_time t = { 24, 5, 20, 0, 0, 0 }; /* midnight GMT+8 = 16:00 UTC the day before */
    int64_t u = rs_time_to_unix(&t);
    assert_int_equal(u, 1716134400); /* 2024-05-19 16:00:00 UTC */
    rs_time back = rs_time_from_unix(u);
    assert_memory_equal(&back, &t, sizeof t);
    assert_int_equal(rs_time_day(u) - rs_time_day(u - 1), 1);
    rs_time feb29 = { 24, 2, 29, 12, 0, 0 };
    assert_true(rs_time_valid(&feb29));
    rs_time feb29b = { 23, 2, 29, 12, 0, 0 };
    assert_false(rs_time_valid(&feb29b));
    rs_time zero = { 0, 0, 0, 0, 0, 0 };
    assert_false(rs_time_valid(&zero));
    char text[RS_TIME_TEXT];
    rs_time odd = { 200, 13, 40, 25, 61, 99 };
    rs_time_format(&odd, text);
    assert_string_equal(text, "2200-13-40 25:61:99"); /* raw values stay visible */
    for (int64_t x = 1700000000; x < 1700000000 + 400 * 86400; x += 86399) {
        rs_time a = rs_time_from_unix(x);
        assert_int_equal(rs_time_to_unix(&a), x);
    }
}

static const uint8_t VIN[17] = "LTESTGB10A0000001";

static void make_report(const rs_profile *p, rs_msg *m)
{
    rs_msg_init(m, p, RS_MSG_REPORT, VIN);
    m->u.report.time = (rs_time){ 24, 5, 20, 10, 30, 0 };
    rs_sample smp;
    rs_sample_init(&smp);
    smp.v[RS_F_SPEED] = rs_val_ok(65.5);
    rs_item_from_sample(&m->u.report.item[0], RS_INFO_STREAM_DIESEL, &smp);
    m->u.report.item[0].serial = 5;
    m->u.report.n_items = 1;
}

static void test_encoder_refuses_with_reasons(void **s)
{
    (void)s;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    static rs_msg m;
    make_report(&p, &m);
    uint8_t out[256];
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode(&p, &m, out, sizeof out, &len, &err), RS_OK);
    assert_int_equal(len, 25 + 6 + 3 + 37);
    assert_int_equal(rs_msg_encode(&p, &m, out, 60, &len, &err), RS_E_SPACE);
    m.u.report.item[0].u.v[RS_F_SPEED] = rs_val_ok(300); /* above 250.996 km/h */
    assert_int_equal(rs_msg_encode(&p, &m, out, sizeof out, &len, &err), RS_E_VALUE);
    assert_string_equal(err.field, "speed");
    assert_int_equal(err.offset, RS_HEADER_LEN + 6 + 3);
}

static void test_strict_turns_warnings_into_errors(void **s)
{
    (void)s;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    static rs_msg m, d;
    make_report(&p, &m);
    m.u.report.item[0].u.v[RS_F_NOX_UP].state = RS_OUT_OF_RANGE;
    m.u.report.item[0].u.v[RS_F_NOX_UP].raw = 0xFEFF;
    uint8_t out[256];
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode(&p, &m, out, sizeof out, &len, &err), RS_OK);
    assert_int_equal(rs_msg_decode(&p, out, len, &d, &err), RS_OK);
    assert_int_equal(d.n_warn, 1);
    assert_int_equal(d.warn[0].code, RS_E_RANGE);
    assert_int_equal(d.warn[0].severity, RS_SEV_WARN);
    assert_string_equal(d.warn[0].field, "nox_up");
    p.strict = true;
    assert_int_equal(rs_msg_decode(&p, out, len, &d, &err), RS_E_RANGE);
    assert_int_equal(err.offset, RS_HEADER_LEN + 6 + 3 + 9);
    /* a tolerance set to accept stays quiet even when warnings are on */
    p.strict = false;
    p.range_check = RS_TOL_ACCEPT;
    assert_int_equal(rs_msg_decode(&p, out, len, &d, &err), RS_OK);
    assert_int_equal(d.n_warn_total, 0);
}

static void test_truncations_never_crash_and_name_offsets(void **s)
{
    (void)s;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    static rs_msg m, d;
    make_report(&p, &m);
    uint8_t out[256], cut[256];
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode(&p, &m, out, sizeof out, &len, &err), RS_OK);
    /* every shorter data unit, with length and BCC fixed up: a body error, never a crash */
    for (size_t n = 0; n < len - 25; n++) {
        memcpy(cut, out, 24 + n);
        cut[22] = (uint8_t)(n >> 8);
        cut[23] = (uint8_t)n;
        cut[24 + n] = rs_bcc(cut + 2, 22 + n);
        rs_code rc = rs_msg_decode(&p, cut, 25 + n, &d, &err);
        if (n == 6) { /* a 6-byte real-time body is an echo answer (§5) */
            assert_int_equal(rc, RS_OK);
            assert_int_equal(d.kind, RS_MSG_ECHO);
            continue;
        }
        assert_int_not_equal(rc, RS_OK);
        assert_true(err.offset <= 24 + n);
    }
    /* a frame cut anywhere is a short or length error */
    for (size_t n = 0; n < len; n++) {
        rs_code rc = rs_msg_decode(&p, out, n, &d, &err);
        assert_true(rc == RS_E_SHORT || rc == RS_E_LENGTH);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_documented),
        cmocka_unit_test(test_option_parsing),
        cmocka_unit_test(test_value_states),
        cmocka_unit_test(test_vin_rules),
        cmocka_unit_test(test_time_conversion),
        cmocka_unit_test(test_encoder_refuses_with_reasons),
        cmocka_unit_test(test_strict_turns_warnings_into_errors),
        cmocka_unit_test(test_truncations_never_crash_and_name_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
