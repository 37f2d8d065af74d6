/* The frames the platform suite sends (conformance/platform_wire.c): each
 * decodes under the codec to what the case asked for; HJ frames carry an
 * SM2 signature that verifies with the played terminal's key; requests the
 * profile cannot carry are refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conformance/platform_int.h"
#include "remsim/time.h"
#include "remsim/vin.h"

typedef struct fx {
    rs_platform_opts o;
    pf_suite s;
    rs_msg m;
    pf_built f;
} fx;

static fx *fx_new(rs_proto proto)
{
    fx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    rs_platform_opts_init(&x->o);
    rs_profile_init(&x->o.profile, proto);
    x->o.seed = 7;
    x->s.o = &x->o;
    x->s.scratch = malloc(sizeof *x->s.scratch);
    assert_non_null(x->s.scratch);
    rs_profile_init(&x->s.plat_profile, RS_PROTO_GB32960);
    x->s.sm2 = rs_sm2_new(NULL);
    assert_non_null(x->s.sm2);
    x->s.vin_base = 4200;
    return x;
}

static void fx_free(fx *x)
{
    rs_sm2_free(x->s.sm2);
    free(x->s.scratch);
    free(x);
}

static void decode(fx *x, const rs_profile *p)
{
    rs_err err;
    assert_int_equal(rs_msg_decode(p, x->f.b, x->f.len, &x->m, &err), RS_OK);
}

static void test_vins_fresh_and_valid(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_GB17691);
    x->o.vin_prefix = "LZZ1";
    uint8_t a[RS_VIN_LEN], b[RS_VIN_LEN];
    pf_wire_vin(&x->s, a);
    pf_wire_vin(&x->s, b);
    rs_err err;
    assert_int_equal(rs_vin_check(a, 0, &err), RS_OK);
    assert_int_equal(rs_vin_check(b, 0, &err), RS_OK);
    assert_memory_equal(a, "LZZ1PPPP", 8); /* the prefix, padded with P */
    assert_memory_not_equal(a, b, RS_VIN_LEN);
    fx_free(x);
}

static void test_login_logout(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_GB17691);
    uint8_t vin[RS_VIN_LEN];
    pf_wire_vin(&x->s, vin);
    const int64_t t = 1767225600;
    assert_true(pf_wire_login(&x->s, vin, 3, t, &x->f));
    decode(x, &x->o.profile);
    assert_int_equal(x->m.kind, RS_MSG_LOGIN);
    assert_memory_equal(x->m.frame.vin, vin, RS_VIN_LEN);
    assert_int_equal(x->m.u.login.serial, 3);
    assert_int_equal(rs_time_to_unix(&x->m.u.login.time), t);
    assert_true(pf_wire_logout(&x->s, vin, 3, t + 60, &x->f));
    decode(x, &x->o.profile);
    assert_int_equal(x->m.kind, RS_MSG_LOGOUT);
    assert_int_equal(x->m.u.logout.serial, 3);
    assert_int_equal(rs_time_to_unix(&x->m.u.logout.time), t + 60);
    fx_free(x);
}

static void test_gb_report(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_GB17691);
    uint8_t vin[RS_VIN_LEN];
    pf_wire_vin(&x->s, vin);
    pf_report_spec r = { RS_CMD_REISSUE, 1767225600, 10, 41, true, 63.5 };
    assert_true(pf_wire_report(&x->s, vin, &r, &x->f));
    decode(x, &x->o.profile);
    const rs_report *rep = &x->m.u.report;
    assert_int_equal(x->m.frame.cmd, RS_CMD_REISSUE);
    assert_int_equal(rep->n_items, 11); /* the OBD item, then ten samples */
    assert_int_equal(rep->item[0].type, RS_INFO_OBD);
    assert_memory_equal(rep->item[0].u.obd.vin, vin, RS_VIN_LEN);
    assert_false(rep->has_sig);
    /* GB 17691: the packet time is the first sample's (§7.1) */
    assert_int_equal(rs_time_to_unix(&rep->time), r.first_s);
    for (int i = 1; i <= 10; i++) {
        assert_int_equal(rep->item[i].type, RS_INFO_STREAM_DIESEL);
        assert_float_equal(rep->item[i].u.v[RS_F_SPEED].value, 63.5, 1.0 / 256);
        assert_int_equal(rep->item[i].u.v[RS_F_RPM].value, 1200 + 10 * (i - 1));
        uint16_t want = x->o.profile.serial_style == RS_SERIAL_PER_ITEM ? (uint16_t)(41 + i - 1) : 41;
        assert_int_equal(rep->item[i].serial, want);
    }
    fx_free(x);
}

/* An HJ report: signed with the key derived for (seed, VIN) under the chip
 * ID "PF" + VIN[3..16]; the signature covers what the codec says it does,
 * and one flipped byte breaks it. */
static void test_hj_report_signed(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_HJ1239);
    uint8_t vin[RS_VIN_LEN];
    pf_wire_vin(&x->s, vin);
    pf_report_spec r = { RS_CMD_REALTIME, 1767225600, 5, 9, false, 50 };
    assert_true(pf_wire_report(&x->s, vin, &r, &x->f));
    decode(x, &x->o.profile);
    const rs_report *rep = &x->m.u.report;
    assert_true(rep->has_sig);
    assert_int_equal(rep->serial, 9);
    assert_int_equal(rep->n_items, 5);
    /* HJ: the send time, here the last sample's second (§7.2) */
    assert_int_equal(rs_time_to_unix(&rep->time), r.first_s + 4);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rs_time_to_unix(&rep->item[i].collect), r.first_s + i);

    uint8_t chip[RS_CHIP_ID_LEN];
    memcpy(chip, "PF", 2);
    memcpy(chip + 2, vin + 3, RS_CHIP_ID_LEN - 2);
    rs_sm2_key k;
    assert_true(pf_wire_key(&x->s, vin, chip, x->o.seed, &k));
    const uint8_t *span;
    size_t n;
    assert_true(rs_msg_signed_span(&x->m, &span, &n));
    rs_sm2_idmatch which;
    rs_err err;
    assert_int_equal(rs_sm2_verify(x->s.sm2, &k, span, n, &rep->sig, &which, &err), RS_OK);
    assert_int_equal(which, RS_SM2_ID_CHIP);
    /* another seed is another key: the same frame does not verify */
    rs_sm2_key other;
    assert_true(pf_wire_key(&x->s, vin, chip, x->o.seed + 1, &other));
    assert_int_equal(rs_sm2_verify(x->s.sm2, &other, span, n, &rep->sig, &which, &err), RS_E_SIGNATURE);
    fx_free(x);
}

static void test_activation(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_HJ1239);
    uint8_t vin[RS_VIN_LEN], body[RS_VIN_LEN];
    pf_wire_vin(&x->s, vin);
    pf_wire_vin(&x->s, body);
    pf_act_spec a = { body, "PFCHIP0000000001", 99, false };
    assert_true(pf_wire_activation(&x->s, vin, &a, 1767225600, &x->f));
    decode(x, &x->o.profile);
    assert_int_equal(x->m.kind, RS_MSG_ACTIVATION);
    const rs_activation *act = &x->m.u.act;
    assert_memory_equal(x->m.frame.vin, vin, RS_VIN_LEN);
    assert_memory_equal(act->vin, body, RS_VIN_LEN); /* a body VIN unlike the header's (the VIN-error case) */
    assert_memory_equal(act->chip_id, "PFCHIP0000000001", RS_CHIP_ID_LEN);
    rs_sm2_key k;
    assert_true(pf_wire_key(&x->s, vin, a.chip, 99, &k));
    assert_memory_equal(act->pubkey, k.pub, RS_PUBKEY_LEN);
    assert_true(act->has_sig);
    const uint8_t *span;
    size_t n;
    rs_sm2_idmatch which;
    rs_err err;
    assert_true(rs_msg_signed_span(&x->m, &span, &n));
    assert_int_equal(rs_sm2_verify(x->s.sm2, &k, span, n, &act->sig, &which, &err), RS_OK);

    a.no_sig = true;
    a.body_vin = NULL;
    assert_true(pf_wire_activation(&x->s, vin, &a, 1767225600, &x->f));
    decode(x, &x->o.profile);
    assert_false(x->m.u.act.has_sig);
    assert_memory_equal(x->m.u.act.vin, vin, RS_VIN_LEN);
    fx_free(x);
}

static void test_plat_login(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_GB17691);
    assert_true(pf_wire_plat_login(&x->s, "PLAT01", 2, "user", "secret", 1767225600, &x->f));
    decode(x, &x->s.plat_profile);
    assert_int_equal(x->m.kind, RS_MSG_PLAT_LOGIN);
    const rs_plat_login *pl = &x->m.u.plat_login;
    assert_int_equal(pl->serial, 2);
    assert_memory_equal(x->m.frame.vin, "PLAT01\0\0\0\0\0\0\0\0\0\0\0", RS_VIN_LEN); /* 0x00-padded (§11.1) */
    assert_memory_equal(pl->user, "user\0\0\0\0\0\0\0\0", sizeof pl->user);
    assert_memory_equal(pl->password, "secret", 6);
    assert_int_equal(pl->password[6], 0);
    fx_free(x);
}

static void test_any_frame(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_GB17691);
    uint8_t vin[RS_VIN_LEN], out[64];
    pf_wire_vin(&x->s, vin);
    size_t len;
    char why[PF_ERR_TEXT];
    assert_true(pf_wire_frame(&x->o.profile, 0x6E, 0xFE, vin, (const uint8_t *)"abc", 3, out, sizeof out, &len,
                              why, sizeof why));
    assert_int_equal(len, 3 + RS_FRAME_OVERHEAD);
    rs_frame f;
    rs_err err;
    assert_int_equal(rs_frame_parse(&x->o.profile, out, len, &f, &err, NULL), RS_OK);
    assert_int_equal(f.cmd, 0x6E);
    assert_memory_equal(out + RS_HEADER_LEN, "abc", 3);
    /* too big for the buffer given: refused with the reason */
    assert_false(pf_wire_frame(&x->o.profile, 0x02, 0xFE, vin, out, 60, out, sizeof out, &len, why, sizeof why));
    assert_non_null(strstr(why, "at most"));
    fx_free(x);
}

/* What a profile cannot carry is refused with a reason, not made up. */
static void test_refusals(void **state)
{
    (void)state;
    fx *x = fx_new(RS_PROTO_GB17691);
    uint8_t vin[RS_VIN_LEN];
    pf_wire_vin(&x->s, vin);
    pf_report_spec r = { RS_CMD_REALTIME, 1767225600, 11, 1, false, 50 };
    assert_false(pf_wire_report(&x->s, vin, &r, &x->f));
    assert_non_null(strstr(x->f.why, "1 to 10 samples"));
    r.samples = 0;
    assert_false(pf_wire_report(&x->s, vin, &r, &x->f));
    r.samples = 1;
    r.cmd = 0x05;
    assert_false(pf_wire_report(&x->s, vin, &r, &x->f));
    assert_false(pf_wire_heartbeat(&x->s, vin, &x->f));
    assert_non_null(strstr(x->f.why, "gb32960"));
    pf_act_spec a = { NULL, "PFCHIP0000000001", 1, false };
    assert_false(pf_wire_activation(&x->s, vin, &a, 1767225600, &x->f));
    assert_non_null(strstr(x->f.why, "hj1239"));
    fx_free(x);

    x = fx_new(RS_PROTO_GB32960);
    r.cmd = RS_CMD_REALTIME;
    assert_false(pf_wire_report(&x->s, vin, &r, &x->f));
    assert_non_null(strstr(x->f.why, "gb32960"));
    assert_true(pf_wire_heartbeat(&x->s, vin, &x->f));
    decode(x, &x->o.profile);
    assert_int_equal(x->m.kind, RS_MSG_HEARTBEAT);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vins_fresh_and_valid),
        cmocka_unit_test(test_login_logout),
        cmocka_unit_test(test_gb_report),
        cmocka_unit_test(test_hj_report_signed),
        cmocka_unit_test(test_activation),
        cmocka_unit_test(test_plat_login),
        cmocka_unit_test(test_any_frame),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
