/* The per-frame rules (conform_rules.h): for each rule a frame sequence
 * that triggers it and one that does not; tolerant versus --strict. */
#include "testutil.h"

#include "remsim/conform.h"
#include "remsim/conform_rules.h"
#include "remsim/msg.h"
#include "remsim/sm2.h"

static const char VIN_A[] = "LTESTGB10A0000001";

typedef struct fx {
    rs_profile p;
    rs_conf_run *run;
    rs_rules *rules;
    rs_msg m;
    uint8_t buf[4096];
    size_t len;
    rs_rules_src src;
} fx;

static fx *fx_new(rs_proto proto, bool strict)
{
    fx *f = calloc(1, sizeof *f);
    rs_profile_init(&f->p, proto);
    f->p.strict = strict;
    rs_err err;
    f->run = rs_conf_new(RS_ROLE_CAPTURE, &f->p, &err);
    assert_non_null(f->run);
    f->rules = rs_rules_new(f->run, &err);
    assert_non_null(f->rules);
    f->src.source = "test";
    f->src.conn = 1;
    return f;
}

static void fx_free(fx *f)
{
    rs_rules_free(f->rules);
    rs_conf_free(f->run);
    free(f);
}

static rs_time at(int64_t unix_s) { return rs_time_from_unix(unix_s); }

#define T0 1767225600 /* 2026-01-01 08:00:00 GMT+8 */

static void feed(fx *f)
{
    f->src.line++;
    rs_rules_frame(f->rules, f->buf, f->len, &f->src);
}

static void encode(fx *f)
{
    rs_err err;
    assert_int_equal(rs_msg_encode(&f->p, &f->m, f->buf, sizeof f->buf, &f->len, &err), RS_OK);
}

static void login(fx *f, int64_t t, uint16_t serial)
{
    rs_msg_init(&f->m, &f->p, RS_MSG_LOGIN, (const uint8_t *)VIN_A);
    f->m.u.login.time = at(t);
    f->m.u.login.serial = serial;
    memcpy(f->m.u.login.iccid, "89860000000000000001", RS_ICCID_LEN);
    encode(f);
    feed(f);
}

static void logout(fx *f, int64_t t, uint16_t serial)
{
    rs_msg_init(&f->m, &f->p, RS_MSG_LOGOUT, (const uint8_t *)VIN_A);
    f->m.u.logout.time = at(t);
    f->m.u.logout.serial = serial;
    encode(f);
    feed(f);
}

/* A report of n samples (stream items, values invalid) starting at t. */
static void build_report(fx *f, uint8_t cmd, int64_t t, uint16_t serial, unsigned n)
{
    rs_msg_init(&f->m, &f->p, RS_MSG_REPORT, (const uint8_t *)VIN_A);
    f->m.frame.cmd = cmd;
    rs_report *r = &f->m.u.report;
    r->time = at(t);
    r->serial = serial;
    r->n_items = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        rs_item *it = &r->item[i];
        memset(it, 0, sizeof *it);
        it->type = f->p.proto == RS_PROTO_HJ1239 ? RS_INFO_STREAM_TWC : RS_INFO_STREAM_DIESEL;
        it->serial = serial;
        it->collect = at(t + i);
        for (unsigned k = 0; k < RS_F_COUNT; k++)
            it->u.v[k].state = RS_INVALID;
    }
}

static void report(fx *f, uint8_t cmd, int64_t t, uint16_t serial, unsigned n)
{
    build_report(f, cmd, t, serial, n);
    encode(f);
    feed(f);
}

static void reseal(fx *f)
{
    uint8_t x = 0;
    for (size_t i = 2; i + 1 < f->len; i++)
        x ^= f->buf[i];
    f->buf[f->len - 1] = x;
}

static const rs_conf_case_result *finish(fx *f, rs_case_id id)
{
    rs_rules_finish(f->rules);
    rs_conf_finish(f->run);
    return &f->run->cases[id];
}

/* A clean day: login, packets every 10 s with serials +1, logout. */
static void clean_session(fx *f)
{
    login(f, T0, 1);
    for (unsigned k = 0; k < 5; k++)
        report(f, RS_CMD_REALTIME, T0 + 1 + 10 * k, (uint16_t)(k + 1), 10);
    logout(f, T0 + 60, 1);
}

static void test_clean_session_passes(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, true);
    clean_session(f);
    finish(f, RS_CASE_BCC);
    static const rs_case_id pass[] = { RS_CASE_BCC, RS_CASE_LENGTH, RS_CASE_REPORT_SERIAL, RS_CASE_LOGOUT_SERIAL,
                                       RS_CASE_SESSION, RS_CASE_PACKET_INTERVAL, RS_CASE_TIME_ORDER,
                                       RS_CASE_DUPLICATE, RS_CASE_LOGIN_SERIAL };
    for (unsigned i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        const rs_conf_case_result *c = &f->run->cases[pass[i]];
        if (c->verdict != RS_VERDICT_PASS || c->n_sev[RS_SEV_WARN] || c->n_sev[RS_SEV_ERROR])
            fail_msg("%s: %s (%s)", rs_conf_case_get(pass[i])->id, rs_verdict_name(c->verdict), c->reason);
    }
    assert_int_equal(f->run->cases[RS_CASE_SIG_VERIFY].verdict, RS_VERDICT_NA);
    assert_int_equal(f->run->cases[RS_CASE_COALESCED].verdict, RS_VERDICT_SKIP);
    assert_int_equal(f->run->cases[RS_CASE_SERIAL_RESET].verdict, RS_VERDICT_NA); /* no day change seen */
    assert_int_equal(rs_conf_exit_code(f->run), 0);
    assert_int_equal(f->run->n_vins, 1);
    assert_int_equal(f->run->vins[0].frames, 7);
    fx_free(f);
}

static void test_bcc_and_length(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 1);
    build_report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    encode(f);
    f->buf[f->len - 1] ^= 0xFF;
    feed(f);
    build_report(f, RS_CMD_REALTIME, T0 + 11, 2, 10);
    encode(f);
    f->buf[23] ^= 0x01; /* length field */
    reseal(f);
    feed(f);
    assert_int_equal(finish(f, RS_CASE_BCC)->verdict, RS_VERDICT_FAIL);
    assert_int_equal(f->run->cases[RS_CASE_BCC].evidence[0].ref.line, 2);
    assert_string_equal(f->run->cases[RS_CASE_BCC].evidence[0].ref.vin, VIN_A);
    assert_int_equal(f->run->cases[RS_CASE_LENGTH].verdict, RS_VERDICT_FAIL);
    assert_int_equal(f->run->cases[RS_CASE_LENGTH].evidence[0].ref.line, 3);
    assert_int_equal(rs_conf_exit_code(f->run), 1);
    assert_int_equal(f->run->vins[0].verdict, RS_VERDICT_FAIL);
    fx_free(f);
}

static void test_report_serial_gap(void **state)
{
    (void)state;
    for (int strict = 0; strict < 2; strict++) {
        fx *f = fx_new(RS_PROTO_GB17691, strict);
        login(f, T0, 1);
        report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
        report(f, RS_CMD_REALTIME, T0 + 11, 2, 10);
        /* the gap is judged at the end: its evidence must still name the
         * source of the jump, though the caller's text has changed since */
        char source[] = "jump.log";
        f->src.source = source;
        report(f, RS_CMD_REALTIME, T0 + 21, 4, 10); /* 3 skipped */
        memcpy(source, "next", 4);
        report(f, RS_CMD_REALTIME, T0 + 31, 5, 10);
        const rs_conf_case_result *c = finish(f, RS_CASE_REPORT_SERIAL);
        assert_int_equal(c->n_sev[strict ? RS_SEV_ERROR : RS_SEV_WARN], 1);
        assert_int_equal(c->verdict, strict ? RS_VERDICT_FAIL : RS_VERDICT_PASS);
        assert_non_null(strstr(c->evidence[0].text, "serial 3 was skipped"));
        assert_int_equal(c->evidence[0].ref.line, 4);
        assert_string_equal(c->evidence[0].ref.source, "jump.log");
        fx_free(f);
    }
    /* the gap filled by a reissued packet: no finding */
    fx *f = fx_new(RS_PROTO_GB17691, true);
    login(f, T0, 1);
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    report(f, RS_CMD_REALTIME, T0 + 21, 3, 10);
    report(f, RS_CMD_REISSUE, T0 + 11, 2, 10);
    const rs_conf_case_result *c = finish(f, RS_CASE_REPORT_SERIAL);
    assert_int_equal(c->n_sev[RS_SEV_ERROR] + c->n_sev[RS_SEV_WARN], 0);
    assert_int_equal(c->verdict, RS_VERDICT_PASS);
    fx_free(f);
}

static void test_report_serial_repeated(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 1);
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    report(f, RS_CMD_REALTIME, T0 + 11, 1, 10);
    const rs_conf_case_result *c = finish(f, RS_CASE_REPORT_SERIAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    assert_non_null(strstr(c->evidence[0].text, "repeated"));
    fx_free(f);
}

static void test_logout_serial(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 5);
    logout(f, T0 + 30, 6);
    const rs_conf_case_result *c = finish(f, RS_CASE_LOGOUT_SERIAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    assert_non_null(strstr(c->evidence[0].text, "logout serial 6"));
    fx_free(f);
    f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 5);
    logout(f, T0 + 30, 5);
    c = finish(f, RS_CASE_LOGOUT_SERIAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 0);
    assert_int_equal(c->verdict, RS_VERDICT_PASS);
    fx_free(f);
}

static void test_session_pairing(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10); /* before any login */
    login(f, T0 + 5, 1);
    f->src.conn = 2;                           /* the link changed: the session did not follow */
    report(f, RS_CMD_REALTIME, T0 + 11, 2, 10);
    logout(f, T0 + 20, 1);
    const rs_conf_case_result *c = finish(f, RS_CASE_SESSION);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 3);
    assert_non_null(strstr(c->evidence[0].text, "without a login"));
    fx_free(f);
}

static void test_login_serial_and_daily_reset(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 3);
    login(f, T0 + 100, 5);                 /* 4 skipped */
    login(f, T0 + 86400, 6);               /* next day: must restart at 1 */
    const rs_conf_case_result *c = finish(f, RS_CASE_LOGIN_SERIAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    assert_int_equal(f->run->cases[RS_CASE_SERIAL_RESET].n_sev[RS_SEV_WARN], 1);
    fx_free(f);
    f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 3);
    login(f, T0 + 100, 4);
    login(f, T0 + 86400, 1);
    report(f, RS_CMD_REALTIME, T0 + 86401, 1, 10);
    c = finish(f, RS_CASE_LOGIN_SERIAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 0);
    assert_int_equal(f->run->cases[RS_CASE_SERIAL_RESET].n_sev[RS_SEV_WARN], 0);
    assert_int_equal(f->run->cases[RS_CASE_SERIAL_RESET].verdict, RS_VERDICT_PASS);
    fx_free(f);
    /* report serials that go on across midnight */
    f = fx_new(RS_PROTO_GB17691, false);
    int64_t late = T0 + 16 * 3600 - 15; /* 23:59:45 */
    login(f, late - 10, 1);
    report(f, RS_CMD_REALTIME, late, 40, 10);
    report(f, RS_CMD_REALTIME, late + 10, 41, 10);
    report(f, RS_CMD_REALTIME, late + 20, 42, 10); /* first of the new day */
    c = finish(f, RS_CASE_SERIAL_RESET);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    assert_non_null(strstr(c->evidence[0].text, "continues"));
    fx_free(f);
}

static void test_packet_interval_and_time_order(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 1);
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    report(f, RS_CMD_REALTIME, T0 + 11, 2, 10);
    report(f, RS_CMD_REALTIME, T0 + 36, 3, 10);    /* 25 s later */
    report(f, RS_CMD_REALTIME, T0 + 16, 4, 10);    /* back in time */
    const rs_conf_case_result *c = finish(f, RS_CASE_PACKET_INTERVAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    assert_non_null(strstr(c->evidence[0].text, "25 s"));
    assert_int_equal(f->run->cases[RS_CASE_TIME_ORDER].n_sev[RS_SEV_WARN], 1);
    assert_true(rs_hist_count(&f->run->traffic.packet_interval) >= 2);
    fx_free(f);
    /* a new session starts the interval afresh */
    f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 1);
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    logout(f, T0 + 11, 1);
    login(f, T0 + 300, 2);
    report(f, RS_CMD_REALTIME, T0 + 301, 2, 10);
    c = finish(f, RS_CASE_PACKET_INTERVAL);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 0);
    fx_free(f);
}

static void test_duplicate_samples(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    login(f, T0, 1);
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    report(f, RS_CMD_REISSUE, T0 + 6, 1, 10); /* seconds 6..10 again */
    const rs_conf_case_result *c = finish(f, RS_CASE_DUPLICATE);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    assert_non_null(strstr(c->evidence[0].text, "5 samples"));
    fx_free(f);
}

static void test_coalesced_and_garbage(void **state)
{
    (void)state;
    fx *f = fx_new(RS_PROTO_GB17691, false);
    rs_rules_segments_known(f->rules, true);
    login(f, T0, 1);
    f->src.coalesced = true;
    report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
    rs_err e;
    rs_fail(&e, RS_E_START, 100, "start", "bytes before the start bytes", 7, 0, RS_NUM_GOT_ONLY);
    rs_rules_stream_error(f->rules, &e, NULL, 0, &f->src);
    const rs_conf_case_result *c = finish(f, RS_CASE_COALESCED);
    assert_int_equal(c->verdict, RS_VERDICT_PASS);
    assert_int_equal(c->n_sev[RS_SEV_INFO], 1);
    assert_int_equal(f->run->cases[RS_CASE_GARBAGE].verdict, RS_VERDICT_FAIL);
    fx_free(f);
}

static void test_unknown_command(void **state)
{
    (void)state;
    for (int strict = 0; strict < 2; strict++) {
        fx *f = fx_new(RS_PROTO_GB17691, strict);
        login(f, T0, 1);
        f->buf[2] = 0x81; /* vendor command, a login-sized body */
        reseal(f);
        feed(f);
        const rs_conf_case_result *c = finish(f, RS_CASE_COMMAND);
        assert_int_equal(c->n_sev[strict ? RS_SEV_ERROR : RS_SEV_WARN], 1);
        assert_int_equal(c->verdict, strict ? RS_VERDICT_FAIL : RS_VERDICT_PASS);
        fx_free(f);
    }
}

static void test_hj_signature_missing_and_unexpected(void **state)
{
    (void)state;
    for (int strict = 0; strict < 2; strict++) {
        fx *f = fx_new(RS_PROTO_HJ1239, strict);
        login(f, T0, 1);
        report(f, RS_CMD_REALTIME, T0 + 1, 1, 10); /* unsigned */
        const rs_conf_case_result *c = finish(f, RS_CASE_SIG_MISSING);
        assert_int_equal(c->n_sev[strict ? RS_SEV_ERROR : RS_SEV_WARN], 1);
        assert_int_equal(c->verdict, strict ? RS_VERDICT_FAIL : RS_VERDICT_PASS);
        fx_free(f);
    }
    /* a login with a signature block appended */
    fx *f = fx_new(RS_PROTO_HJ1239, false);
    rs_msg_init(&f->m, &f->p, RS_MSG_LOGIN, (const uint8_t *)VIN_A);
    f->m.u.login.time = at(T0);
    f->m.u.login.serial = 1;
    memcpy(f->m.u.login.iccid, "89860000000000000001", RS_ICCID_LEN);
    encode(f);
    f->len -= 1;
    f->buf[f->len++] = 0x20;
    memset(f->buf + f->len, 0x11, 32);
    f->len += 32;
    f->buf[f->len++] = 0x20;
    memset(f->buf + f->len, 0x22, 32);
    f->len += 32;
    f->buf[22] = 0;
    f->buf[23] = (uint8_t)(f->len - 24);
    f->len++;
    reseal(f);
    feed(f);
    const rs_conf_case_result *c = finish(f, RS_CASE_SIG_UNEXPECTED);
    assert_int_equal(c->n_sev[RS_SEV_WARN], 1);
    fx_free(f);
}

static void test_hj_signature_verify(void **state)
{
    (void)state;
    rs_err err;
    rs_sm2 *c2 = rs_sm2_new(&err);
    assert_non_null(c2);
    static const uint8_t chip[] = "TESTCHIP00000001";
    rs_sm2_key key;
    assert_int_equal(rs_sm2_key_derive(c2, &key, 7, (const uint8_t *)VIN_A, 17, chip, 16, &err), RS_OK);
    rs_sm2_signer signer = { c2, &key };
    for (int variant = 0; variant < 3; variant++) { /* 0 good, 1 bad signature, 2 no key */
        fx *f = fx_new(RS_PROTO_HJ1239, false);
        rs_rules_sm2_keys *ks = rs_rules_sm2_keys_new(&err);
        assert_non_null(ks);
        if (variant != 2)
            assert_int_equal(rs_rules_sm2_keys_add(ks, (const uint8_t *)VIN_A, key.pub, chip, true, &err), RS_OK);
        rs_rules_keys hook;
        rs_rules_sm2_keys_hook(ks, &hook);
        rs_rules_set_keys(f->rules, &hook);
        login(f, T0, 1);
        build_report(f, RS_CMD_REALTIME, T0 + 1, 1, 10);
        assert_int_equal(rs_msg_encode_signed(&f->p, &f->m, rs_sm2_sign_hook, &signer, f->buf, sizeof f->buf,
                                              &f->len, &err),
                         RS_OK);
        if (variant == 1) {
            f->buf[f->len - 10] ^= 0x01; /* inside s */
            reseal(f);
        }
        feed(f);
        const rs_conf_case_result *c = finish(f, RS_CASE_SIG_VERIFY);
        static const rs_verdict want[] = { RS_VERDICT_PASS, RS_VERDICT_FAIL, RS_VERDICT_SKIP };
        if (c->verdict != want[variant])
            fail_msg("variant %d: %s (%s)", variant, rs_verdict_name(c->verdict), c->reason);
        assert_int_equal(f->run->cases[RS_CASE_SIG_MISSING].n_sev[RS_SEV_WARN], 0);
        rs_rules_free(f->rules);
        f->rules = NULL;
        rs_rules_sm2_keys_free(ks);
        fx_free(f);
    }
    rs_sm2_free(c2);
}

static void test_case_of_codes(void **state)
{
    (void)state;
    rs_err e;
    memset(&e, 0, sizeof e);
    e.code = RS_E_BCC;
    assert_int_equal(rs_rules_case_of(&e, 2), RS_CASE_BCC);
    e.code = RS_E_SIGNATURE;
    assert_int_equal(rs_rules_case_of(&e, RS_CMD_REALTIME), RS_CASE_SIG_MISSING);
    assert_int_equal(rs_rules_case_of(&e, RS_CMD_LOGIN), RS_CASE_SIG_UNEXPECTED);
    e.code = RS_E_VARIANT;
    assert_int_equal(rs_rules_case_of(&e, 2), RS_CASE_S6);
    e.code = RS_E_RANGE;
    assert_int_equal(rs_rules_case_of(&e, 2), RS_CASE_RANGE);
    e.code = RS_E_HEADER;
    e.field = "encryption";
    assert_int_equal(rs_rules_case_of(&e, 2), RS_CASE_ENCRYPTION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_session_passes),
        cmocka_unit_test(test_bcc_and_length),
        cmocka_unit_test(test_report_serial_gap),
        cmocka_unit_test(test_report_serial_repeated),
        cmocka_unit_test(test_logout_serial),
        cmocka_unit_test(test_session_pairing),
        cmocka_unit_test(test_login_serial_and_daily_reset),
        cmocka_unit_test(test_packet_interval_and_time_order),
        cmocka_unit_test(test_duplicate_samples),
        cmocka_unit_test(test_coalesced_and_garbage),
        cmocka_unit_test(test_unknown_command),
        cmocka_unit_test(test_hj_signature_missing_and_unexpected),
        cmocka_unit_test(test_hj_signature_verify),
        cmocka_unit_test(test_case_of_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
