/* Answers (answer.h): every answer vector of shared/spec/vectors rebuilt
 * byte for byte from its request, the modes and roles, GB/T 32960 flags,
 * the activation hook, the faults, and what is never answered. */
#include "testutil.h"

#include "remsim/answer.h"
#include "remsim/msg.h"
#include "remsim/time.h"

static rs_msg req;

static size_t read_vector(const char *path, uint8_t *out, size_t cap)
{
    size_t tl = 0;
    uint8_t *t = rs_test_read_file(path, &tl);
    assert_non_null(t);
    size_t n = 0;
    for (size_t i = 0; i + 1 < tl && t[i] != '\n' && t[i] != '\r'; i += 2) {
        unsigned v;
        assert_int_equal(sscanf((const char *)t + i, "%2x", &v), 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    free(t);
    return n;
}

/* ms since the epoch of a GMT+8 protocol time. */
static int64_t at(uint8_t y, uint8_t mo, uint8_t d, uint8_t h, uint8_t mi, uint8_t s)
{
    rs_time t = { y, mo, d, h, mi, s };
    return rs_time_to_unix(&t) * 1000;
}

/* Decodes the request vector `req_name`, answers it at now_ms and compares
 * with the answer vector `ans_name`. */
static void vector_pair(rs_proto proto, const rs_answer_cfg *c, const char *req_name, const char *ans_name,
                        int64_t now_ms)
{
    char rel[128];
    snprintf(rel, sizeof rel, "spec/vectors/%s.hex", req_name);
    RS_REQUIRE_SHARED(rq, rel);
    snprintf(rel, sizeof rel, "spec/vectors/%s.hex", ans_name);
    RS_REQUIRE_SHARED(an, rel);
    rs_profile p;
    rs_profile_init(&p, proto);
    uint8_t in[512], want[64], out[RS_ANSWER_MAX_LEN];
    size_t n_in = read_vector(rq, in, sizeof in), n_want = read_vector(an, want, sizeof want);
    rs_err err;
    assert_int_equal(rs_msg_decode(&p, in, n_in, &req, &err), RS_OK);
    size_t len = 99;
    assert_int_equal(rs_answer_build(&p, c, &req, now_ms, out, sizeof out, &len, &err), RS_OK);
    assert_int_equal(len, n_want);
    assert_memory_equal(out, want, n_want);
}

static void test_vectors_rebuilt(void **state)
{
    (void)state;
    rs_answer_cfg c;
    rs_answer_cfg_init(&c);
    /* GB 17691 and HJ 1239 (~~) time calibration at 2024-05-20 08:00:01 */
    vector_pair(RS_PROTO_GB17691, &c, "timing-req-gb17691-01", "timing-resp-gb17691-01", at(24, 5, 20, 8, 0, 1) + 999);
    vector_pair(RS_PROTO_HJ1239, &c, "timing-req-hj1239-01", "timing-resp-hj1239-01", at(24, 5, 20, 8, 0, 1));
    /* GB/T 32960 real log: login and real-time echo the request's time,
     * the heartbeat answer carries the platform's time */
    vector_pair(RS_PROTO_GB32960, &c, "login-gb32960-01", "login-resp-gb32960-01", 0);
    vector_pair(RS_PROTO_GB32960, &c, "realtime-gb32960-01", "realtime-resp-gb32960-01", 0);
    vector_pair(RS_PROTO_GB32960, &c, "heartbeat-gb32960-01", "heartbeat-resp-gb32960-01", at(19, 3, 27, 13, 47, 19));
    /* HJ activation at the national platform: 01 00 */
    c.role = RS_ROLE_NATIONAL;
    vector_pair(RS_PROTO_HJ1239, &c, "activation-hj1239-02", "activation-resp-hj1239-01", 0);
}

static bool vin_error(void *ctx, const rs_msg *m, rs_activation_ans *ans)
{
    int *calls = ctx;
    (*calls)++;
    assert_int_equal(m->kind, RS_MSG_ACTIVATION);
    ans->status = RS_ACT_FAILED;
    ans->info = RS_ACT_INFO_VIN;
    return true;
}

static bool silent(void *ctx, const rs_msg *m, rs_activation_ans *ans)
{
    (void)ctx;
    (void)m;
    (void)ans;
    return false;
}

static void test_activation_hook(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(rq, "spec/vectors/activation-hj1239-02.hex");
    RS_REQUIRE_SHARED(an, "spec/vectors/activation-resp-hj1239-02.hex");
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    uint8_t in[512], want[64], out[64];
    size_t n_in = read_vector(rq, in, sizeof in), n_want = read_vector(an, want, sizeof want);
    assert_int_equal(rs_msg_decode(&p, in, n_in, &req, NULL), RS_OK);
    rs_answer_cfg c;
    rs_answer_cfg_init(&c);
    size_t len = 99;
    /* an enterprise platform does not answer activation */
    assert_int_equal(rs_answer_build(&p, &c, &req, 0, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(len, 0);
    c.role = RS_ROLE_NATIONAL;
    int calls = 0;
    c.activation = vin_error;
    c.activation_ctx = &calls;
    assert_int_equal(rs_answer_build(&p, &c, &req, 0, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(calls, 1);
    assert_int_equal(len, n_want);
    assert_memory_equal(out, want, n_want);
    c.activation = silent;
    assert_int_equal(rs_answer_build(&p, &c, &req, 0, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(len, 0);
    /* mode none silences everything, the national role too */
    c.activation = NULL;
    c.mode = RS_ANSWER_NONE;
    assert_int_equal(rs_answer_build(&p, &c, &req, 0, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(len, 0);
}

static const uint8_t VIN[17] = "LTESTGB10A0000001";

static size_t encode(const rs_profile *p, rs_msg_kind kind, uint8_t cmd, uint8_t *out, size_t cap)
{
    rs_msg_init(&req, p, kind, VIN);
    if (cmd)
        req.frame.cmd = cmd;
    rs_time t = { 24, 5, 20, 10, 30, 0 };
    switch (kind) {
    case RS_MSG_LOGIN:
        req.u.login.time = t;
        req.u.login.serial = 7;
        memset(req.u.login.iccid, '8', RS_ICCID_LEN);
        break;
    case RS_MSG_LOGOUT:
        req.u.logout.time = t;
        req.u.logout.serial = 7;
        break;
    case RS_MSG_REPORT: {
        /* one stream item: a report of the time alone would read as an echo */
        rs_sample smp;
        rs_sample_init(&smp);
        req.u.report.time = t;
        rs_item_from_sample(&req.u.report.item[0], RS_INFO_STREAM_DIESEL, &smp);
        req.u.report.item[0].serial = 1;
        req.u.report.n_items = 1;
        break;
    }
    case RS_MSG_TAMPER:
        req.u.tamper.time = t;
        req.u.tamper.serial = 1;
        req.u.tamper.pos_status = 0;
        req.u.tamper.lon = rs_val_ok(116.0);
        req.u.tamper.lat = rs_val_ok(39.0);
        break;
    default:
        break;
    }
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode(p, &req, out, cap, &len, &err), RS_OK);
    assert_int_equal(rs_msg_decode(p, out, len, &req, &err), RS_OK);
    return len;
}

/* The answer to the frame in `in` under c: its length, bytes in out. */
static size_t answer(const rs_profile *p, const rs_answer_cfg *c, int64_t now_ms, uint8_t *out)
{
    size_t len = 99;
    rs_err err;
    assert_int_equal(rs_answer_build(p, c, &req, now_ms, out, RS_ANSWER_MAX_LEN, &len, &err), RS_OK);
    return len;
}

static void test_modes(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    rs_answer_cfg c;
    rs_answer_cfg_init(&c);
    assert_int_equal(c.mode, RS_ANSWER_TIMECAL);
    uint8_t in[256], out[RS_ANSWER_MAX_LEN];
    static const rs_msg_kind echoed[] = { RS_MSG_LOGIN, RS_MSG_REPORT, RS_MSG_REPORT, RS_MSG_LOGOUT };
    static const uint8_t cmds[] = { 0, RS_CMD_REALTIME, RS_CMD_REISSUE, 0 };
    for (unsigned i = 0; i < 4; i++) {
        encode(&p, echoed[i], cmds[i], in, sizeof in);
        c.mode = RS_ANSWER_TIMECAL;
        assert_int_equal(answer(&p, &c, 0, out), 0);
        c.mode = RS_ANSWER_ECHO;
        size_t n = answer(&p, &c, 0, out);
        assert_int_equal(n, 31);
        /* same start, command, VIN, version; data = the request's time */
        assert_memory_equal(out, in, 21);
        assert_int_equal(out[21], 0x01);
        assert_int_equal(out[23], 6);
        assert_memory_equal(out + 24, in + 24, 6);
        rs_msg ans;
        assert_int_equal(rs_msg_decode(&p, out, n, &ans, NULL), RS_OK);
        assert_int_equal(ans.kind, RS_MSG_ECHO);
        /* an echo is never answered */
        memcpy(&req, &ans, sizeof ans);
        assert_int_equal(answer(&p, &c, 0, out), 0);
    }
    /* time calibration in every mode but none */
    encode(&p, RS_MSG_TIMECAL_REQ, 0, in, sizeof in);
    int64_t now = at(26, 11, 22, 16, 0, 0) + 123;
    for (int m = RS_ANSWER_NONE; m <= RS_ANSWER_ECHO; m++) {
        c.mode = (uint8_t)m;
        size_t n = answer(&p, &c, now, out);
        if (m == RS_ANSWER_NONE) {
            assert_int_equal(n, 0);
            continue;
        }
        assert_int_equal(n, 31);
        rs_msg ans;
        assert_int_equal(rs_msg_decode(&p, out, n, &ans, NULL), RS_OK);
        assert_int_equal(ans.kind, RS_MSG_TIMECAL_ANS);
        assert_int_equal(rs_time_to_unix(&ans.u.time) * 1000, now - 123);
    }
}

static void test_hj_tamper_and_start_bytes(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    rs_answer_cfg c;
    rs_answer_cfg_init(&c);
    c.mode = RS_ANSWER_ECHO;
    uint8_t in[256], out[RS_ANSWER_MAX_LEN];
    encode(&p, RS_MSG_TAMPER, 0, in, sizeof in);
    assert_int_equal(answer(&p, &c, 0, out), 31);
    assert_int_equal(out[2], RS_CMD_TAMPER);
    assert_memory_equal(out + 24, in + 24, 6);
    assert_int_equal(out[0], 0x7E);
    /* a terminal speaking ## on an HJ link gets ## back */
    size_t n = encode(&p, RS_MSG_TIMECAL_REQ, 0, in, sizeof in);
    in[0] = in[1] = 0x23;
    assert_int_equal(rs_msg_decode(&p, in, n, &req, NULL), RS_OK);
    assert_int_equal(answer(&p, &c, 0, out), 31);
    assert_int_equal(out[0], 0x23);
    assert_int_equal(out[1], 0x23);
    /* GB 17691 has no 0x06: nothing to echo */
    rs_profile gb;
    rs_profile_init(&gb, RS_PROTO_GB17691);
    memcpy(in, out, 31);
    in[2] = RS_CMD_TAMPER;
    in[30] = rs_bcc(in + 2, 28);
    assert_int_equal(rs_msg_decode(&gb, in, 31, &req, NULL), RS_OK);
    assert_int_not_equal(req.kind, RS_MSG_TAMPER);
    assert_int_equal(answer(&gb, &c, 0, out), 0);
}

static void test_gb32960(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB32960);
    rs_answer_cfg c;
    rs_answer_cfg_init(&c);
    uint8_t in[256], out[RS_ANSWER_MAX_LEN];
    /* every request is answered under timecal (the default) */
    encode(&p, RS_MSG_LOGIN, 0, in, sizeof in);
    assert_int_equal(in[3], RS_RESP_REQUEST);
    assert_int_equal(answer(&p, &c, 0, out), 31);
    assert_int_equal(out[3], RS_RESP_SUCCESS);
    assert_memory_equal(out + 4, VIN, 17);
    assert_memory_equal(out + 24, in + 24, 6);
    /* answers are not answered */
    memcpy(in, out, 31);
    assert_int_equal(rs_msg_decode(&p, in, 31, &req, NULL), RS_OK);
    assert_int_equal(answer(&p, &c, 0, out), 0);
    /* none: silence */
    encode(&p, RS_MSG_HEARTBEAT, 0, in, sizeof in);
    c.mode = RS_ANSWER_NONE;
    assert_int_equal(answer(&p, &c, 0, out), 0);
    c.mode = RS_ANSWER_TIMECAL;
    assert_int_equal(answer(&p, &c, at(26, 1, 2, 3, 4, 5), out), 31);
    assert_int_equal(out[2], RS_CMD32960_HEARTBEAT);
    static const uint8_t t[6] = { 26, 1, 2, 3, 4, 5 };
    assert_memory_equal(out + 24, t, 6);

    /* a request whose body was rejected: flag 0x02 with its time */
    size_t n = encode(&p, RS_MSG_LOGOUT, 0, in, sizeof in);
    rs_frame f;
    assert_int_equal(rs_frame_parse(&p, in, n, &f, NULL, NULL), RS_OK);
    size_t len = 99;
    assert_int_equal(rs_answer_reject(&p, &c, &f, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(len, 31);
    assert_int_equal(out[3], RS_RESP_ERROR);
    assert_int_equal(out[2], RS_CMD_LOGOUT);
    assert_memory_equal(out + 24, in + 24, 6);
    /* ...only for GB/T 32960 requests */
    rs_profile gb;
    rs_profile_init(&gb, RS_PROTO_GB17691);
    assert_int_equal(rs_answer_reject(&gb, &c, &f, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(len, 0);
    f.resp = RS_RESP_SUCCESS;
    assert_int_equal(rs_answer_reject(&p, &c, &f, out, sizeof out, &len, NULL), RS_OK);
    assert_int_equal(len, 0);
}

static void test_faults_and_space(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    rs_answer_cfg c;
    rs_answer_cfg_init(&c);
    uint8_t in[256], out[RS_ANSWER_MAX_LEN];
    encode(&p, RS_MSG_TIMECAL_REQ, 0, in, sizeof in);
    int64_t now = at(26, 11, 22, 23, 30, 0);
    c.time_offset_s = 3600; /* wrong-time: into the next day */
    assert_int_equal(answer(&p, &c, now, out), 31);
    static const uint8_t later[6] = { 26, 11, 23, 0, 30, 0 };
    assert_memory_equal(out + 24, later, 6);
    assert_int_equal(out[30], rs_bcc(out + 2, 28));
    c.time_offset_s = 0;
    c.wrong_cmd = true;
    assert_int_equal(answer(&p, &c, now, out), 31);
    assert_int_equal(out[2], RS_CMD_TIMECAL + 0x10);
    assert_int_equal(out[30], rs_bcc(out + 2, 28));
    /* a buffer too small is an error, never a write past its end */
    rs_err err;
    size_t len = 99;
    assert_int_equal(rs_answer_build(&p, &c, &req, now, out, RS_ANSWER_MAX_LEN - 1, &len, &err), RS_E_SPACE);
    assert_int_equal(len, 0);
    assert_int_equal(err.code, RS_E_SPACE);
}

static void test_names(void **state)
{
    (void)state;
    rs_answer_mode m;
    rs_answer_role r;
    assert_true(rs_answer_mode_parse("echo", &m) && m == RS_ANSWER_ECHO);
    assert_true(rs_answer_mode_parse("none", &m) && m == RS_ANSWER_NONE);
    assert_false(rs_answer_mode_parse("all", &m));
    assert_true(rs_answer_role_parse("national", &r) && r == RS_ROLE_NATIONAL);
    assert_false(rs_answer_role_parse("mee", &r));
    assert_string_equal(rs_answer_mode_name(RS_ANSWER_TIMECAL), "timecal");
    assert_string_equal(rs_answer_role_name(RS_ROLE_PLATFORM), "platform");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_rebuilt),
        cmocka_unit_test(test_activation_hook),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_hj_tamper_and_start_bytes),
        cmocka_unit_test(test_gb32960),
        cmocka_unit_test(test_faults_and_space),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
