/* The signal table: consistency, decode rules (markers, gate, conversions),
 * the source-address configuration, and docs/can.md listing every row. */
#include "testutil.h"

#include <math.h>

#include "remsim/signals.h"

static void test_table_consistent(void **state)
{
    (void)state;
    assert_true(rs_signal_count > 0 && rs_signal_count <= RS_SIG_MAX_ROWS);
    for (size_t i = 0; i < rs_signal_count; i++) {
        const rs_signal *s = &rs_signals[i];
        assert_int_equal(rs_signal_by_name(s->name), (int)i); /* unique names */
        assert_true(rs_field_by_name(s->name) < 0);           /* no clash with field keys */
        assert_true(s->field < RS_F_COUNT);
        assert_true(s->byte >= 1 && s->bit >= 1 && s->bit <= 8 && s->len >= 1 && s->len <= 32);
        assert_true((s->byte - 1) * 8 + (s->bit - 1) + s->len <= 64); /* inside 8 bytes */
        assert_true(s->scale > 0 && s->rate_ms > 0);
        /* jmax (documentation column) agrees with the raw limits */
        uint32_t ones = s->len >= 32 ? 0xFFFFFFFFu : (1u << s->len) - 1u;
        uint32_t rmax = (s->flags & RS_SIG_NOMARKERS) ? ones
                      : s->len >= 8 ? ((0xFBu << (s->len - 8)) - 1u) & ones : ones - 2u;
        double jmax = (double)rmax * s->scale + s->offset;
        if (fabs(jmax - s->jmax) > 1e-6 * fmax(1, fabs(jmax)))
            fail_msg("%s: jmax %.9f, raw limits give %.9f", s->name, s->jmax, jmax);
        if (!(s->flags & RS_SIG_STD11)) {
            assert_true(s->pgn <= 0x3FFFF && s->prio <= 7);
            assert_true(s->sa[0] != RS_SIG_SA_END);
        }
        /* alternatives come after the primary row of their field */
        int p = rs_sig_primary_row((rs_field_id)s->field);
        assert_true(p >= 0 && (size_t)p <= i);
    }
    /* every field of §2 rows 1-19 and of §2.1 has a source */
    static const rs_field_id need[] = {
        RS_F_SPEED, RS_F_BARO, RS_F_TORQUE, RS_F_FRICTION, RS_F_RPM, RS_F_FUEL_RATE,
        RS_F_NOX_UP, RS_F_NOX_DOWN, RS_F_REAGENT, RS_F_AIR_FLOW, RS_F_SCR_IN, RS_F_SCR_OUT,
        RS_F_DPF_DP, RS_F_COOLANT, RS_F_FUEL_LEVEL, RS_F_LON, RS_F_LAT, RS_F_ODOMETER,
        RS_F_PEDAL, RS_F_TOTAL_FUEL, RS_F_UREA_TEMP, RS_F_UREA_DOSE, RS_F_UREA_TOTAL,
        RS_F_DPF_EXH_TEMP,
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (rs_sig_primary_row(need[i]) < 0)
            fail_msg("no signal row feeds %s", rs_fields[need[i]].name);
}

static const rs_signal *row(const char *name)
{
    int i = rs_signal_by_name(name);
    assert_true(i >= 0);
    return &rs_signals[i];
}

static void test_decode_rules(void **state)
{
    (void)state;
    rs_sig_cfg c;
    rs_sig_cfg_init(&c);
    /* idle truck AT1OG1: 0xFAFF with every status "not available" */
    static const uint8_t og[8] = { 0xFF, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    assert_int_equal(rs_sig_decode(row("at1og1_nox"), &c, og, 8).state, RS_INVALID);
    /* idle truck AT1IG1 from the engine: a real reading, status not reported */
    static const uint8_t ig[8] = { 0x82, 0x16, 0x39, 0xC4, 0xFF, 0xFF, 0xFF, 0xFF };
    rs_val v = rs_sig_decode(row("at1ig1_nox"), &c, ig, 8);
    assert_int_equal(v.state, RS_VALID);
    assert_true(fabs(v.value - 88.1) < 1e-9);
    /* status explicit: at temperature 00 -> invalid; all 01 -> valid, even 3012.75 */
    uint8_t d[8] = { 0xFF, 0xFA, 0xFF, 0xFF, 0x51, 0xFF, 0xFF, 0xFF };
    assert_int_equal(rs_sig_decode(row("at1og1_nox"), &c, d, 8).state, RS_INVALID);
    d[4] = 0x55;
    v = rs_sig_decode(row("at1og1_nox"), &c, d, 8);
    assert_int_equal(v.state, RS_VALID);
    assert_true(fabs(v.value - 3012.75) < 1e-9);
    /* error indicator (0xFExx) -> abnormal; reserved 0xFBxx -> invalid */
    uint8_t e[8] = { 0xFF, 0xFE, 0xFF, 0xFF, 0x55, 0xFF, 0xFF, 0xFF };
    assert_int_equal(rs_sig_decode(row("at1og1_nox"), &c, e, 8).state, RS_ABNORMAL);
    e[1] = 0xFB;
    assert_int_equal(rs_sig_decode(row("at1og1_nox"), &c, e, 8).state, RS_INVALID);
    /* key-on truck: speed 0xFEFF and coolant 0xFE are errors */
    static const uint8_t cc[8] = { 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    assert_int_equal(rs_sig_decode(row("ccvs1_speed"), &c, cc, 8).state, RS_ABNORMAL);
    static const uint8_t et[1] = { 0xFE };
    assert_int_equal(rs_sig_decode(row("et1_coolant"), &c, et, 1).state, RS_ABNORMAL);
    /* short payload: invalid, no read past the end */
    assert_int_equal(rs_sig_decode(row("vd_odometer"), &c, cc, 4).state, RS_INVALID);
    /* odometer 0.125 km: 13 832.875 km -> report raw 138329 (0.1 km) */
    static const uint8_t vd[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x47, 0xB0, 0x01, 0x00 };
    v = rs_sig_decode(row("vd_odometer"), &c, vd, 8);
    assert_true(fabs(v.value - 13832.875) < 1e-9);
    assert_int_equal(rs_sig_to_report(RS_F_ODOMETER, v).raw, 138329);
    /* urea: 0.3 g/h per bit -> ml/h with 1.09 g/ml; 0.5 L per bit -> g */
    static const uint8_t ds[2] = { 0x6D, 0x00 }; /* 109 * 0.3 = 32.7 g/h */
    v = rs_sig_decode(row("a1scrdsi1_dose"), &c, ds, 2);
    assert_true(fabs(v.value - 30.0) < 1e-9);
    static const uint8_t ut[4] = { 0x02, 0, 0, 0 }; /* 1 L */
    v = rs_sig_decode(row("a1scrsi2_total"), &c, ut, 4);
    assert_true(fabs(v.value - 1090.0) < 1e-9);
    /* CANmod.gps: the idle truck's first fix (bit 0 valid) */
    static const uint8_t gp[8] = { 0x8F, 0x67, 0xAA, 0x2F, 0xC7, 0x2B, 0xA6, 0x10 };
    v = rs_sig_decode(row("canmod_lat"), &c, gp, 8);
    assert_true(fabs(v.value - 41.412935) < 1e-9);
    v = rs_sig_decode(row("canmod_lon"), &c, gp, 8);
    assert_true(fabs(v.value + 92.878535) < 1e-9);
    rs_val r = rs_sig_to_report(RS_F_LON, v);
    assert_int_equal(r.raw, 92878535u);
    uint8_t gp0[8];
    memcpy(gp0, gp, 8);
    gp0[0] &= 0xFE; /* PositionValid 0 */
    assert_int_equal(rs_sig_decode(row("canmod_lat"), &c, gp0, 8).state, RS_INVALID);
    /* |lat| > 90 from VP1: out of the report's range, never a wrong number */
    rs_val big = rs_val_ok(-120.0);
    assert_int_equal(rs_sig_to_report(RS_F_LAT, big).state, RS_OUT_OF_RANGE);
}

static void test_encode_bits(void **state)
{
    (void)state;
    rs_sig_cfg c;
    rs_sig_cfg_init(&c);
    uint8_t d[8];
    memset(d, 0xFF, 8);
    rs_val v = rs_val_ok(650);
    assert_true(rs_sig_encode(row("eec1_rpm"), &c, &v, d));
    assert_int_equal(d[3], 0x50);
    assert_int_equal(d[4], 0x14);
    assert_int_equal(d[2], 0xFF); /* neighbours untouched */
    v = rs_val_ok(9000);             /* beyond 8031.875: refused, not clamped */
    assert_false(rs_sig_encode(row("eec1_rpm"), &c, &v, d));
    v = (rs_val){ 0, 0, RS_ABNORMAL };
    assert_true(rs_sig_encode(row("eec1_rpm"), &c, &v, d));
    assert_int_equal(d[4], 0xFE);
    /* NOx valid sets the status bits the gate wants */
    memset(d, 0xFF, 8);
    v = rs_val_ok(88.1);
    assert_true(rs_sig_encode(row("at1ig1_nox"), &c, &v, d));
    assert_int_equal(d[4] & 0x3C, 0x14);
    assert_int_equal(rs_sig_decode(row("at1ig1_nox"), &c, d, 8).state, RS_VALID);
    /* bit fields that do not start on a byte: CANmod latitude round trip */
    memset(d, 0, 8);
    v = rs_val_ok(-12.345678);
    assert_true(rs_sig_encode(row("canmod_lat"), &c, &v, d));
    rs_val back = rs_sig_decode(row("canmod_lat"), &c, d, 8);
    assert_int_equal(back.state, RS_VALID);
    assert_true(fabs(back.value + 12.345678) < 1e-9);
    v = rs_val_invalid();
    assert_true(rs_sig_encode(row("canmod_lat"), &c, &v, d));
    assert_int_equal(rs_sig_decode(row("canmod_lat"), &c, d, 8).state, RS_INVALID);
}

static void test_config(void **state)
{
    (void)state;
    rs_sig_cfg c;
    rs_sig_cfg_init(&c);
    rs_err err;
    int in = rs_signal_by_name("a1scregt1_in"), out = rs_signal_by_name("a1scregt1_out");
    assert_int_equal(c.sa[in][0], 0x00);
    assert_int_equal(c.sa[in][1], 0x55);
    /* by field: every row of the field; by row: that row only */
    assert_int_equal(rs_sig_cfg_set(&c, "scr_in=0x3D,85", &err), RS_OK);
    assert_int_equal(c.sa[in][0], 0x3D);
    assert_int_equal(c.sa[in][1], 85);
    assert_int_equal(c.sa[in][2], RS_SIG_SA_END);
    assert_int_equal(c.sa[out][0], 0x00);
    assert_int_equal(rs_sig_cfg_set(&c, "vdhr_odometer=0x17", &err), RS_OK);
    assert_int_equal(c.sa[rs_signal_by_name("vdhr_odometer")][0], 0x17);
    assert_int_equal(c.sa[rs_signal_by_name("vd_odometer")][0], 0x00);
    assert_int_equal(rs_sig_cfg_set(&c, "fallback=any", &err), RS_OK);
    assert_int_equal(c.fallback, RS_SA_ANY);
    assert_int_equal(rs_sig_cfg_set(&c, "def_density=1.0875", &err), RS_OK);
    assert_true(fabs(c.def_density - 1.0875) < 1e-12);
    assert_int_equal(rs_sig_cfg_set(&c, "torque_mode=2", &err), RS_OK);
    assert_int_equal(c.torque_mode, 2);
    assert_int_equal(rs_sig_cfg_set(&c, "gnss=off", &err), RS_OK);
    assert_false(c.gnss);
    assert_int_equal(rs_sig_cfg_set(&c, "gnss_base=0x100", &err), RS_OK);
    assert_int_equal(c.gnss_base, 0x100);
    /* bad input: an error value, the config unchanged */
    static const char *bad[] = {
        "scr_in=0xFF", "scr_in=254", "scr_in=", "scr_in=1,,2", "scr_in=1,2,3,4,5", "scr_in=x",
        "nosuch=1", "=1", "scr_in", "fallback=maybe", "def_density=9", "torque_mode=300",
        "gnss=yes", "torque_mode=1e999", "pos_status=0x00", NULL,
    };
    for (int i = 0; bad[i]; i++) {
        rs_sig_cfg before = c;
        if (rs_sig_cfg_set(&c, bad[i], &err) != RS_E_OPTION)
            fail_msg("'%s' accepted", bad[i]);
        assert_memory_equal(&before, &c, sizeof c);
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        assert_true(strlen(msg) > 10);
    }
    assert_int_equal(rs_sig_cfg_set(&c, NULL, &err), RS_E_OPTION);
}

/* docs/can.md carries the table: every row name appears in it. */
static void test_doc_lists_every_row(void **state)
{
    (void)state;
    size_t len;
    char *doc = (char *)rs_test_read_file("docs/can.md", &len);
    if (!doc) {
        print_message("skipped: docs/can.md not found (run from the project root)\n");
        skip();
    }
    for (size_t i = 0; i < rs_signal_count; i++) {
        char key[64];
        snprintf(key, sizeof key, "`%s`", rs_signals[i].name);
        if (!strstr(doc, key))
            fail_msg("docs/can.md does not list signal row %s", key);
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_consistent),
        cmocka_unit_test(test_decode_rules),
        cmocka_unit_test(test_encode_bits),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_doc_lists_every_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
