/* Every vector in shared/spec/vectors: decodes to the values its README
 * lists, re-encodes to the same bytes, and the negative ones fail with the
 * right error at the right offset.  A vector file the table does not know
 * fails the suite, so new vectors cannot be skipped silently. */
#include <dirent.h>
#include <math.h>

#include "testutil.h"

#include "remsim/msg.h"

typedef void (*check_fn)(const rs_msg *m);

typedef struct vector {
    const char *file;
    rs_proto proto;
    check_fn check;
} vector;

static size_t load_hex(const char *file, uint8_t *out, size_t cap)
{
    char rel[256];
    snprintf(rel, sizeof rel, "spec/vectors/%s", file);
    char path[1024];
    assert_non_null(rs_test_shared(rel, path, sizeof path));
    size_t len = 0;
    uint8_t *text = rs_test_read_file(path, &len);
    assert_non_null(text);
    size_t n = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        if (text[i] == '\n' || text[i] == '\r')
            break;
        unsigned v;
        assert_int_equal(sscanf((char *)text + i, "%2x", &v), 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    free(text);
    return n;
}

/* --- helpers for the checks --- */

static void time_is(const rs_time *t, int y, int mo, int d, int h, int mi, int s)
{
    assert_int_equal(t->year + 2000, y);
    assert_int_equal(t->month, mo);
    assert_int_equal(t->day, d);
    assert_int_equal(t->hour, h);
    assert_int_equal(t->minute, mi);
    assert_int_equal(t->second, s);
}

static void text_is(const uint8_t *got, const char *want, size_t n)
{
    assert_memory_equal(got, want, n);
}

/* A valid value within half the field's resolution of want. */
static void val_is(const rs_item *it, int f, double want)
{
    const rs_val *v = &it->u.v[f];
    if (v->state != RS_VALID)
        fail_msg("%s: state %s, want valid %g", rs_fields[f].name, rs_state_name(v->state), want);
    double tol = rs_fields[f].scale / 2 + 1e-9;
    if (fabs(v->value - want) > tol)
        fail_msg("%s: %.9g, want %.9g (+-%g)", rs_fields[f].name, v->value, want, tol);
}

static void state_is(const rs_item *it, int f, rs_state s, uint32_t raw)
{
    assert_int_equal(it->u.v[f].state, s);
    assert_int_equal(it->u.v[f].raw, raw);
}

static void has_warning(const rs_msg *m, rs_code code)
{
    for (unsigned i = 0; i < m->n_warn; i++)
        if (m->warn[i].code == code)
            return;
    fail_msg("no warning %s among %u", rs_code_name(code), m->n_warn);
}

/* Stream 1 of realtime-gb17691-02, shared by several vectors. */
static void stream1_rest(const rs_item *it)
{
    val_is(it, RS_F_BARO, 100);
    val_is(it, RS_F_FRICTION, 10);
    val_is(it, RS_F_NOX_DOWN, 35.5);
    val_is(it, RS_F_REAGENT, 60.4);
    val_is(it, RS_F_AIR_FLOW, 850.25);
    val_is(it, RS_F_SCR_OUT, 298.0);
    val_is(it, RS_F_DPF_DP, 3.2);
    val_is(it, RS_F_COOLANT, 85);
    val_is(it, RS_F_FUEL_LEVEL, 75.2);
    val_is(it, RS_F_LON, 116.397128);
    val_is(it, RS_F_LAT, 39.916527);
}

static void stream1(const rs_item *it)
{
    assert_int_equal(it->type, RS_INFO_STREAM_DIESEL);
    val_is(it, RS_F_SPEED, 65.5);
    assert_int_equal(it->u.v[RS_F_SPEED].raw, 0x4180);
    val_is(it, RS_F_TORQUE, 50);
    val_is(it, RS_F_RPM, 1400);
    val_is(it, RS_F_FUEL_RATE, 25.5);
    val_is(it, RS_F_NOX_UP, 520.0);
    val_is(it, RS_F_SCR_IN, 320.5);
    val_is(it, RS_F_POS_STATUS, 0);
    val_is(it, RS_F_ODOMETER, 12345.6);
    stream1_rest(it);
}

static const uint16_t iupr_02[18] = { 100, 250, 0, 0, 40, 50, 0, 0, 35, 45, 30, 40, 20, 30, 25, 35, 0, 0 };

static void iupr_is(const rs_obd *o, const uint16_t want[18])
{
    for (int i = 0; i < 18; i++)
        assert_int_equal(o->iupr[2 * i] << 8 | o->iupr[2 * i + 1], want[i]);
}

/* --- GB 17691 --- */

static void check_logout_gb_01(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_LOGOUT);
    text_is(m->frame.vin, "LG6ZDANH7EY208182", 17);
    assert_int_equal(m->frame.sw_version, 0x02);
    assert_int_equal(m->frame.encryption, 0x01);
    assert_int_equal(m->frame.data_len, 8);
    time_is(&m->u.logout.time, 2020, 9, 17, 19, 46, 52);
    assert_int_equal(m->u.logout.serial, 26);
}

static void check_realtime_gb_03(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_REPORT);
    text_is(m->frame.vin, "LCIAMMBE4G0004671", 17);
    assert_int_equal(m->frame.sw_version, 0x02);
    assert_int_equal(m->frame.data_len, 105);
    const rs_report *r = &m->u.report;
    time_is(&r->time, 2020, 5, 29, 13, 52, 30);
    assert_int_equal(r->n_items, 1);
    assert_int_equal(r->item[0].type, RS_INFO_OBD);
    assert_int_equal(r->item[0].serial, 1);
    const rs_obd *o = &r->item[0].u.obd;
    assert_int_equal(o->protocol, 0);
    assert_int_equal(o->mil, 0);
    assert_int_equal(o->support, 0);
    assert_int_equal(o->readiness, 0);
    text_is(o->vin, "LCIAMMBE4G0004671", 17);
    text_is(o->calid, "000000000000000000", 18);
    text_is(o->cvn, "000000000000000000", 18);
    for (int i = 0; i < RS_IUPR_LEN; i++)
        assert_int_equal(o->iupr[i], 0x30);
    assert_int_equal(o->dtc_count, 0);
}

static void check_tiza_s6(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_REPORT);
    text_is(m->frame.vin, "LWHTEST1234567895", 17);
    assert_int_equal(m->frame.sw_version, 0x11);
    assert_int_equal(m->frame.data_len, 275);
    const rs_report *r = &m->u.report;
    assert_int_equal(r->layout, RS_LAYOUT_S6);
    has_warning(m, RS_E_VARIANT);
    time_is(&r->time, 2019, 6, 3, 15, 25, 59);
    assert_int_equal(r->serial, 4);
    assert_int_equal(r->n_items, 2);
    const rs_obd *o = &r->item[0].u.obd;
    assert_int_equal(r->item[0].type, RS_INFO_OBD);
    assert_int_equal(o->protocol, 1);
    assert_int_equal(o->mil, 0);
    assert_int_equal(o->support, 0x00EB);
    assert_int_equal(o->readiness, 0x0080);
    text_is(o->calid, "601603-E2000000000", 18);
    text_is(o->cvn, "TZWH0000X000000000", 18);
    text_is(o->iupr, "10201020", 8);
    assert_int_equal(o->dtc_count, 0);
    assert_non_null(r->item[0].s6_block);
    const rs_item *s = &r->item[1];
    assert_int_equal(s->type, RS_INFO_STREAM_DIESEL);
    val_is(s, RS_F_SPEED, 38.12890625); /* README: 38.129 */
    val_is(s, RS_F_BARO, 101);
    val_is(s, RS_F_TORQUE, 27);
    val_is(s, RS_F_FRICTION, 55);
    val_is(s, RS_F_RPM, 874.75);
    val_is(s, RS_F_FUEL_RATE, 17.75);
    val_is(s, RS_F_NOX_UP, 166.8);
    val_is(s, RS_F_NOX_DOWN, 12.5);
    val_is(s, RS_F_REAGENT, 68);
    val_is(s, RS_F_AIR_FLOW, 1.15);
    val_is(s, RS_F_SCR_IN, 76.3125);  /* README: 76.31 */
    val_is(s, RS_F_SCR_OUT, 64.0625); /* README: 64.06 */
    val_is(s, RS_F_DPF_DP, 118.6);
    val_is(s, RS_F_COOLANT, 51);
    val_is(s, RS_F_FUEL_LEVEL, 33.6);
    val_is(s, RS_F_POS_STATUS, 0);
    val_is(s, RS_F_LON, 109.494743);
    val_is(s, RS_F_LAT, 34.407487);
    val_is(s, RS_F_ODOMETER, 1100.5);
    assert_non_null(s->s6_block);
}

static void check_login_gb_02(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_LOGIN);
    text_is(m->frame.vin, "LTESTGB10A0000001", 17);
    assert_int_equal(m->frame.sw_version, 1);
    time_is(&m->u.login.time, 2024, 5, 20, 8, 0, 0);
    assert_int_equal(m->u.login.serial, 1);
    text_is(m->u.login.iccid, "89860123456789012345", 20);
}

static void check_timing_req(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_TIMECAL_REQ);
    assert_int_equal(m->frame.cmd, RS_CMD_TIMECAL);
    assert_int_equal(m->frame.data_len, 0);
}

static void check_timing_resp(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_TIMECAL_ANS);
    time_is(&m->u.time, 2024, 5, 20, 8, 0, 1);
}

static void check_realtime_gb_02(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_REPORT);
    assert_int_equal(m->frame.data_len, 193);
    const rs_report *r = &m->u.report;
    assert_int_equal(r->layout, RS_LAYOUT_GB);
    time_is(&r->time, 2024, 5, 20, 10, 30, 0);
    assert_int_equal(r->n_items, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r->item[i].serial, 5);
    const rs_obd *o = &r->item[0].u.obd;
    assert_int_equal(r->item[0].type, RS_INFO_OBD);
    assert_int_equal(o->protocol, 2);
    assert_int_equal(o->mil, 0);
    assert_int_equal(o->support, 0xFEA0);
    assert_int_equal(o->readiness, 0x0400);
    text_is(o->vin, "LTESTGB10A0000001", 17);
    text_is(o->calid, "ECU123456780000000", 18);
    text_is(o->cvn, "1A2B3C4D0000000000", 18);
    iupr_is(o, iupr_02);
    assert_int_equal(o->dtc_count, 2);
    static const uint8_t dtc[8] = { 0x9A, 0x0C, 0x02, 0x01, 0x0C, 0x11, 0x12, 0x03 };
    assert_memory_equal(o->dtc, dtc, 8);
    stream1(&r->item[1]);
    const rs_item *s2 = &r->item[2];
    state_is(s2, RS_F_SPEED, RS_INVALID, 0xFFFF);
    state_is(s2, RS_F_NOX_UP, RS_ABNORMAL, 0xFFFE);
    state_is(s2, RS_F_SCR_IN, RS_OUT_OF_RANGE, 0xFEFF);
    val_is(s2, RS_F_POS_STATUS, 1);
    val_is(s2, RS_F_ODOMETER, 12345.7);
    val_is(s2, RS_F_TORQUE, 50);
    val_is(s2, RS_F_RPM, 1400);
    stream1_rest(s2);
    /* the abnormal and out-of-range values are reported, not hidden */
    assert_int_equal(m->n_warn, 2);
    assert_int_equal(m->warn[0].code, RS_E_RANGE);
    assert_int_equal(m->warn[0].offset, RS_HEADER_LEN + 6 + 3 + (96 + 2 * 4) + 3 + 37 + 3 + 9);
}

static void check_reissue_gb_01(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_REPORT);
    assert_int_equal(m->frame.cmd, RS_CMD_REISSUE);
    assert_int_equal(m->frame.data_len, 46);
    const rs_report *r = &m->u.report;
    time_is(&r->time, 2024, 5, 20, 8, 30, 0);
    assert_int_equal(r->n_items, 1);
    const rs_item *s = &r->item[0];
    assert_int_equal(s->serial, 3);
    val_is(s, RS_F_SPEED, 0);
    val_is(s, RS_F_RPM, 650);
    val_is(s, RS_F_TORQUE, 5);
    val_is(s, RS_F_FUEL_RATE, 2.1);
    stream1_rest(s);
}

static void check_logout_gb_02(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_LOGOUT);
    time_is(&m->u.logout.time, 2024, 5, 20, 18, 0, 5);
    assert_int_equal(m->u.logout.serial, 1);
}

/* --- HJ 1239 --- */

static void check_activation_01(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ACTIVATION);
    assert_int_equal(m->frame.start[0], 0x23);
    has_warning(m, RS_E_START); /* ## on an HJ link */
    text_is(m->frame.vin, "LN0KD0949KK190009", 17);
    assert_int_equal(m->frame.sw_version, 0);
    assert_int_equal(m->frame.data_len, 169);
    const rs_activation *a = &m->u.act;
    time_is(&a->time, 2019, 11, 25, 18, 17, 35);
    text_is(a->chip_id, "XDO0001908200999", 16);
    static const uint8_t x0[4] = { 0x16, 0x0E, 0x12, 0x89 };
    assert_memory_equal(a->pubkey, x0, 4);
    text_is(a->vin, "LN0KD0949KK190009", 17);
    assert_true(a->has_sig);
    assert_int_equal(a->sig.r_len, 32);
    assert_int_equal(a->sig.s_len, 32);
}

static void check_login_hj(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_LOGIN);
    assert_int_equal(m->frame.start[0], 0x7E);
    assert_int_equal(m->n_warn, 0);
    time_is(&m->u.login.time, 2024, 5, 20, 8, 0, 0);
    assert_int_equal(m->u.login.serial, 1);
    text_is(m->u.login.iccid, "89860123456789012345", 20);
}

static void check_activation_02(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ACTIVATION);
    assert_int_equal(m->frame.data_len, 169);
    const rs_activation *a = &m->u.act;
    time_is(&a->time, 2024, 5, 20, 7, 59, 0);
    text_is(a->chip_id, "TESTCHIP00000001", 16);
    static const uint8_t key[64] = {
        0x09, 0xF9, 0xDF, 0x31, 0x1E, 0x54, 0x21, 0xA1, 0x50, 0xDD, 0x7D, 0x16, 0x1E, 0x4B, 0xC5, 0xC6,
        0x72, 0x17, 0x9F, 0xAD, 0x18, 0x33, 0xFC, 0x07, 0x6B, 0xB0, 0x8F, 0xF3, 0x56, 0xF3, 0x50, 0x20,
        0xCC, 0xEA, 0x49, 0x0C, 0xE2, 0x67, 0x75, 0xA5, 0x2D, 0xC6, 0xEA, 0x71, 0x8C, 0xC1, 0xAA, 0x60,
        0x0A, 0xED, 0x05, 0xFB, 0xF3, 0x5E, 0x08, 0x4A, 0x66, 0x32, 0xF6, 0x07, 0x2D, 0xA9, 0xAD, 0x13,
    };
    assert_memory_equal(a->pubkey, key, 64);
    text_is(a->vin, "LTESTHJ16N0000002", 17);
    assert_true(a->has_sig);
    const uint8_t *span;
    size_t n;
    assert_true(rs_msg_signed_span(m, &span, &n));
    assert_int_equal(n, 103);
}

static void check_act_resp_01(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ACTIVATION_ANS);
    assert_int_equal(m->u.act_ans.status, RS_ACT_OK);
    assert_int_equal(m->u.act_ans.info, RS_ACT_INFO_NONE);
}

static void check_act_resp_02(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ACTIVATION_ANS);
    assert_int_equal(m->u.act_ans.status, RS_ACT_FAILED);
    assert_int_equal(m->u.act_ans.info, RS_ACT_INFO_VIN);
}

static void check_realtime_hj_01(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_REPORT);
    assert_int_equal(m->frame.data_len, 289);
    const rs_report *r = &m->u.report;
    assert_int_equal(r->layout, RS_LAYOUT_HJ);
    time_is(&r->time, 2024, 5, 20, 10, 30, 2);
    assert_int_equal(r->serial, 18);
    assert_int_equal(r->n_items, 4);
    const rs_obd *o = &r->item[0].u.obd;
    assert_int_equal(r->item[0].type, RS_INFO_OBD);
    time_is(&r->item[0].collect, 2024, 5, 20, 10, 30, 0);
    assert_int_equal(o->protocol, 2);
    assert_int_equal(o->mil, 0);
    assert_int_equal(o->support, 0xFEA0);
    assert_int_equal(o->readiness, 0);
    text_is(o->calid, "HJCAL0000000000000", 18);
    text_is(o->cvn, "ABCD12340000000000", 18);
    iupr_is(o, iupr_02);
    assert_int_equal(o->dtc_count, 0);
    time_is(&r->item[1].collect, 2024, 5, 20, 10, 30, 0);
    stream1(&r->item[1]);
    const rs_item *s2 = &r->item[2];
    time_is(&s2->collect, 2024, 5, 20, 10, 30, 1);
    val_is(s2, RS_F_SPEED, 66.0);
    val_is(s2, RS_F_RPM, 1410);
    stream1_rest(s2);
    const rs_item *x = &r->item[3];
    assert_int_equal(x->type, RS_INFO_SUPPLEMENT);
    time_is(&x->collect, 2024, 5, 20, 10, 30, 1);
    val_is(x, RS_F_TORQUE_MODE, 2);
    val_is(x, RS_F_PEDAL, 40);
    val_is(x, RS_F_TOTAL_FUEL, 123456.5);
    val_is(x, RS_F_UREA_TEMP, 25);
    val_is(x, RS_F_UREA_DOSE, 1234.56);
    val_is(x, RS_F_UREA_TOTAL, 5678);
    val_is(x, RS_F_DPF_EXH_TEMP, 450);
    assert_true(r->has_sig);
    assert_int_equal(r->sig_offset, 289 - 66);
}

static void check_realtime_hj_02(const rs_msg *m)
{
    assert_int_equal(m->frame.start[0], 0x23);
    has_warning(m, RS_E_START);
    check_realtime_hj_01(m);
}

static void twc_common(const rs_item *s)
{
    val_is(s, RS_F_SPEED, 40);
    val_is(s, RS_F_BARO, 99);
    val_is(s, RS_F_TORQUE, 30);
    val_is(s, RS_F_FRICTION, 8);
    val_is(s, RS_F_RPM, 1800);
    val_is(s, RS_F_FUEL_RATE, 18);
    assert_int_equal(s->u.v[RS_F_O2_UP].raw, 0x8000);
    val_is(s, RS_F_O2_UP, 0x8000 * 0.0000305);
    assert_int_equal(s->u.v[RS_F_O2_DOWN].raw, 0x8C);
    val_is(s, RS_F_O2_DOWN, 1.40);
    val_is(s, RS_F_AIR_FLOW, 600);
    val_is(s, RS_F_COOLANT, 90);
    val_is(s, RS_F_TWC_TEMP, 650);
    val_is(s, RS_F_POS_STATUS, 0);
    val_is(s, RS_F_LON, 121.473701);
    val_is(s, RS_F_LAT, 31.230416);
    val_is(s, RS_F_ODOMETER, 8888.8);
}

static void check_realtime_hj_03(const rs_msg *m)
{
    const rs_report *r = &m->u.report;
    assert_int_equal(m->frame.data_len, 128);
    time_is(&r->time, 2024, 5, 21, 9, 0, 1);
    assert_int_equal(r->serial, 1);
    assert_int_equal(r->n_items, 2);
    const rs_item *s = &r->item[0];
    assert_int_equal(s->type, RS_INFO_STREAM_TWC_NOX);
    time_is(&s->collect, 2024, 5, 21, 9, 0, 0);
    twc_common(s);
    val_is(s, RS_F_NOX_DOWN, 12);
    const rs_item *h = &r->item[1];
    assert_int_equal(h->type, RS_INFO_HYBRID);
    val_is(h, RS_F_MOTOR_SPEED, 3000);
    val_is(h, RS_F_MOTOR_LOAD, 45);
    val_is(h, RS_F_BATT_VOLTAGE, 600.0);
    val_is(h, RS_F_BATT_CURRENT, -50.0);
    val_is(h, RS_F_SOC, 80);
    assert_true(r->has_sig);
}

static void check_realtime_hj_04(const rs_msg *m)
{
    const rs_report *r = &m->u.report;
    assert_int_equal(m->frame.data_len, 111);
    time_is(&r->time, 2024, 5, 21, 9, 0, 2);
    assert_int_equal(r->serial, 2);
    assert_int_equal(r->n_items, 1);
    assert_int_equal(r->item[0].type, RS_INFO_STREAM_TWC);
    time_is(&r->item[0].collect, 2024, 5, 21, 9, 0, 1);
    twc_common(&r->item[0]);
    assert_true(r->has_sig);
}

static void check_reissue_hj_01(const rs_msg *m)
{
    const rs_report *r = &m->u.report;
    assert_int_equal(m->frame.cmd, RS_CMD_REISSUE);
    assert_int_equal(m->frame.data_len, 118);
    time_is(&r->time, 2024, 5, 20, 10, 31, 0);
    assert_int_equal(r->serial, 19);
    assert_int_equal(r->n_items, 1);
    const rs_item *s = &r->item[0];
    time_is(&s->collect, 2024, 5, 20, 7, 0, 0);
    val_is(s, RS_F_SPEED, 0);
    val_is(s, RS_F_RPM, 650);
    val_is(s, RS_F_TORQUE, 5);
    val_is(s, RS_F_FUEL_RATE, 2.1);
    stream1_rest(s);
    assert_true(r->has_sig);
}

static void check_tamper(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_TAMPER);
    assert_int_equal(m->frame.data_len, 17);
    time_is(&m->u.tamper.time, 2024, 5, 20, 19, 0, 0);
    assert_int_equal(m->u.tamper.serial, 1);
    assert_int_equal(m->u.tamper.pos_status, 1);
    assert_int_equal(m->u.tamper.lon.raw, 116397128);
    assert_int_equal(m->u.tamper.lat.raw, 39916527);
}

/* --- GB/T 32960 --- */

static void check_login_32960(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_LOGIN);
    assert_int_equal(m->frame.resp, RS_RESP_REQUEST);
    text_is(m->frame.vin, "LEWWDB331JN427774", 17);
    assert_int_equal(m->frame.data_len, 30);
    time_is(&m->u.login.time, 2019, 3, 27, 13, 47, 16);
    assert_int_equal(m->u.login.serial, 34);
    text_is(m->u.login.iccid, "89860401101701066707", 20);
    assert_int_equal(m->u.login.n_subsys, 1);
    assert_int_equal(m->u.login.code_len, 0);
}

static void check_echo_134716(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ECHO);
    assert_int_equal(m->frame.resp, RS_RESP_SUCCESS);
    time_is(&m->u.time, 2019, 3, 27, 13, 47, 16);
}

static void check_realtime_32960(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_EV_REPORT);
    assert_int_equal(m->frame.cmd, RS_CMD_REALTIME);
    time_is(&m->u.opaque.time, 2019, 3, 27, 13, 47, 17);
    assert_int_equal(m->u.opaque.len, m->frame.data_len - 6);
    assert_int_equal(m->u.opaque.p[0], 0x01); /* first EV info type: vehicle */
}

static void check_realtime_resp_32960(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ECHO);
    time_is(&m->u.time, 2019, 3, 27, 13, 47, 17);
}

static void check_heartbeat(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_HEARTBEAT);
    assert_int_equal(m->frame.data_len, 0);
}

static void check_heartbeat_resp(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_ECHO);
    assert_int_equal(m->frame.cmd, RS_CMD32960_HEARTBEAT);
    time_is(&m->u.time, 2019, 3, 27, 13, 47, 19);
}

static void check_plat_login(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_PLAT_LOGIN);
    assert_memory_equal(m->frame.vin, "123456789\0\0\0\0\0\0\0\0", 17);
    assert_int_equal(m->frame.data_len, 41);
    const rs_plat_login *l = &m->u.plat_login;
    time_is(&l->time, 2019, 1, 23, 23, 55, 56);
    assert_int_equal(l->serial, 6666);
    assert_memory_equal(l->user, "SmallChi518\0", 12);
    assert_memory_equal(l->password, "1234567890123456789\0", 20);
    assert_int_equal(l->enc_rule, 1);
    assert_int_equal(m->n_warn, 0); /* a platform id is not checked as a VIN */
}

static void check_plat_logout(const rs_msg *m)
{
    assert_int_equal(m->kind, RS_MSG_PLAT_LOGOUT);
    time_is(&m->u.logout.time, 2019, 1, 23, 23, 55, 56);
    assert_int_equal(m->u.logout.serial, 1);
}

static const vector vectors[] = {
    { "logout-gb17691-01.hex", RS_PROTO_GB17691, check_logout_gb_01 },
    { "realtime-gb17691-03.hex", RS_PROTO_GB17691, check_realtime_gb_03 },
    { "login-gb17691-02.hex", RS_PROTO_GB17691, check_login_gb_02 },
    { "timing-req-gb17691-01.hex", RS_PROTO_GB17691, check_timing_req },
    { "timing-resp-gb17691-01.hex", RS_PROTO_GB17691, check_timing_resp },
    { "realtime-gb17691-02.hex", RS_PROTO_GB17691, check_realtime_gb_02 },
    { "reissue-gb17691-01.hex", RS_PROTO_GB17691, check_reissue_gb_01 },
    { "logout-gb17691-02.hex", RS_PROTO_GB17691, check_logout_gb_02 },
    { "activation-hj1239-01.hex", RS_PROTO_HJ1239, check_activation_01 },
    { "login-hj1239-01.hex", RS_PROTO_HJ1239, check_login_hj },
    { "timing-req-hj1239-01.hex", RS_PROTO_HJ1239, check_timing_req },
    { "timing-resp-hj1239-01.hex", RS_PROTO_HJ1239, check_timing_resp },
    { "activation-hj1239-02.hex", RS_PROTO_HJ1239, check_activation_02 },
    { "activation-resp-hj1239-01.hex", RS_PROTO_HJ1239, check_act_resp_01 },
    { "activation-resp-hj1239-02.hex", RS_PROTO_HJ1239, check_act_resp_02 },
    { "realtime-hj1239-01.hex", RS_PROTO_HJ1239, check_realtime_hj_01 },
    { "realtime-hj1239-02.hex", RS_PROTO_HJ1239, check_realtime_hj_02 },
    { "realtime-hj1239-03.hex", RS_PROTO_HJ1239, check_realtime_hj_03 },
    { "realtime-hj1239-04.hex", RS_PROTO_HJ1239, check_realtime_hj_04 },
    { "reissue-hj1239-01.hex", RS_PROTO_HJ1239, check_reissue_hj_01 },
    { "tamper-hj1239-01.hex", RS_PROTO_HJ1239, check_tamper },
    { "logout-hj1239-01.hex", RS_PROTO_HJ1239, check_logout_gb_02 },
    { "login-gb32960-01.hex", RS_PROTO_GB32960, check_login_32960 },
    { "login-resp-gb32960-01.hex", RS_PROTO_GB32960, check_echo_134716 },
    { "realtime-gb32960-01.hex", RS_PROTO_GB32960, check_realtime_32960 },
    { "realtime-resp-gb32960-01.hex", RS_PROTO_GB32960, check_realtime_resp_32960 },
    { "heartbeat-gb32960-01.hex", RS_PROTO_GB32960, check_heartbeat },
    { "heartbeat-resp-gb32960-01.hex", RS_PROTO_GB32960, check_heartbeat_resp },
    { "platform-login-gb32960-01.hex", RS_PROTO_GB32960, check_plat_login },
    { "platform-logout-gb32960-01.hex", RS_PROTO_GB32960, check_plat_logout },
};

/* Negative or opt-in vectors have their own tests below. */
static const char *const special[] = { "bad-bcc-gb17691-01.hex", "realtime-variant-tiza-01.hex" };

static uint8_t buf[RS_MAX_FRAME_LEN], out[RS_MAX_FRAME_LEN];
static rs_msg msg;

static void test_every_vector_decodes_and_reencodes(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(dir, "spec/vectors/README.md");
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vector *v = &vectors[i];
        rs_profile p;
        rs_profile_init(&p, v->proto);
        size_t n = load_hex(v->file, buf, sizeof buf);
        rs_err err;
        rs_code rc = rs_msg_decode(&p, buf, n, &msg, &err);
        if (rc) {
            char text[256];
            rs_err_format(&err, text, sizeof text);
            fail_msg("%s: %s", v->file, text);
        }
        print_message("%s: %s, %u warning(s)\n", v->file, rs_msg_kind_name(msg.kind), msg.n_warn_total);
        v->check(&msg);
        size_t len = 0;
        rc = rs_msg_encode(&p, &msg, out, sizeof out, &len, &err);
        if (rc) {
            char text[256];
            rs_err_format(&err, text, sizeof text);
            fail_msg("%s: re-encode: %s", v->file, text);
        }
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);
    }
}

static void test_no_vector_is_forgotten(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(dir, "spec/vectors");
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".hex"))
            continue;
        seen++;
        bool known = false;
        for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
            known |= !strcmp(vectors[i].file, e->d_name);
        for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
            known |= !strcmp(special[i], e->d_name);
        if (!known)
            fail_msg("vector %s has no entry in test_vectors.c", e->d_name);
    }
    closedir(d);
    assert_int_equal(seen, (int)(sizeof vectors / sizeof vectors[0] + sizeof special / sizeof special[0]));
}

static void test_bad_bcc_is_rejected_at_its_offset(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(dir, "spec/vectors/bad-bcc-gb17691-01.hex");
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    size_t n = load_hex("bad-bcc-gb17691-01.hex", buf, sizeof buf);
    assert_int_equal(n, 218);
    rs_err err;
    assert_int_equal(rs_msg_decode(&p, buf, n, &msg, &err), RS_E_BCC);
    assert_int_equal(err.offset, 217);
    assert_int_equal(err.got, 0xC2);
    assert_int_equal(err.want, 0x3D);
    assert_string_equal(err.field, "bcc");
    char text[256];
    rs_err_format(&err, text, sizeof text);
    assert_non_null(strstr(text, "byte 217"));
    assert_non_null(strstr(text, "0xC2"));
    assert_non_null(strstr(text, "0x3D"));
}

static void test_s6_variant_rejected_by_default_accepted_opt_in(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(dir, "spec/vectors/realtime-variant-tiza-01.hex");
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    size_t n = load_hex("realtime-variant-tiza-01.hex", buf, sizeof buf);
    rs_err err;
    /* type byte 0x00 right after the time: reserved */
    assert_int_equal(rs_msg_decode(&p, buf, n, &msg, &err), RS_E_INFO_TYPE);
    assert_int_equal(err.offset, RS_HEADER_LEN + 6);
    assert_int_equal(err.got, 0x00);
    assert_int_equal(rs_profile_set_kv(&p, "s6_variant=on", &err), RS_OK);
    assert_int_equal(rs_msg_decode(&p, buf, n, &msg, &err), RS_OK);
    check_tiza_s6(&msg);
    size_t len = 0;
    assert_int_equal(rs_msg_encode(&p, &msg, out, sizeof out, &len, &err), RS_OK);
    assert_int_equal(len, n);
    assert_memory_equal(out, buf, n);
    /* strict turns the tolerated variant back into an error */
    assert_int_equal(rs_profile_set_kv(&p, "strict=on", &err), RS_OK);
    assert_int_not_equal(rs_msg_decode(&p, buf, n, &msg, &err), RS_OK);
}

static void test_hash_start_rejected_when_hj_strict(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(dir, "spec/vectors/realtime-hj1239-02.hex");
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    size_t n = load_hex("realtime-hj1239-02.hex", buf, sizeof buf);
    rs_err err;
    assert_int_equal(rs_profile_set_kv(&p, "hash_in_hj=reject", &err), RS_OK);
    assert_int_equal(rs_msg_decode(&p, buf, n, &msg, &err), RS_E_START);
    assert_int_equal(err.offset, 0);
    /* and a GB 17691 link does not take ~~ at all */
    rs_profile_init(&p, RS_PROTO_GB17691);
    n = load_hex("login-hj1239-01.hex", buf, sizeof buf);
    assert_int_equal(rs_msg_decode(&p, buf, n, &msg, &err), RS_E_START);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector_decodes_and_reencodes),
        cmocka_unit_test(test_no_vector_is_forgotten),
        cmocka_unit_test(test_bad_bcc_is_rejected_at_its_offset),
        cmocka_unit_test(test_s6_variant_rejected_by_default_accepted_opt_in),
        cmocka_unit_test(test_hash_start_rejected_when_hj_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
