/* Thresholds: the expression syntax and its errors (with offsets), known
 * and unknown names with suggestions, and the values they read from a
 * result. */
#include "testutil.h"

#include <math.h>

#include "remsim/result.h"
#include "remsim/threshold.h"

static void parses(const char *text, const char *metric, rs_cmp op, double limit, const char *expr)
{
    rs_threshold t;
    rs_err err;
    if (rs_threshold_parse(&t, text, &err) != RS_OK) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        print_message("'%s': %s\n", text, msg);
        fail();
    }
    assert_string_equal(t.metric, metric);
    assert_int_equal(t.op, op);
    assert_true(t.limit == limit);
    assert_string_equal(t.expr, expr);
}

static void test_parse_ok(void **state)
{
    (void)state;
    parses("p99_latency_ms>500", "p99_latency_ms", RS_CMP_GT, 500, "p99_latency_ms>500");
    parses("lost>0", "lost", RS_CMP_GT, 0, "lost>0");
    parses("  frames_per_s <= 1e3 ", "frames_per_s", RS_CMP_LE, 1000, "frames_per_s<=1e3");
    parses("errors>=1", "errors", RS_CMP_GE, 1, "errors>=1");
    parses("frames_per_s<99.5", "frames_per_s", RS_CMP_LT, 99.5, "frames_per_s<99.5");
    parses("connections_up==0", "connections_up", RS_CMP_EQ, 0, "connections_up==0");
    parses("terminals_stopped!=0", "terminals_stopped", RS_CMP_NE, 0, "terminals_stopped!=0");
    parses("max_reissue_backlog>-1.5", "max_reissue_backlog", RS_CMP_GT, -1.5, "max_reissue_backlog>-1.5");
    parses("p999_latency_echo_us>.5", "p999_latency_echo_us", RS_CMP_GT, 0.5, "p999_latency_echo_us>.5");
    parses("mean_connect_ms>1", "mean_connect_ms", RS_CMP_GT, 1, "mean_connect_ms>1");
    parses("max_tls_handshake_ms>1", "max_tls_handshake_ms", RS_CMP_GT, 1, "max_tls_handshake_ms>1");
    assert_string_equal(rs_cmp_text(RS_CMP_NE), "!=");
}

/* text fails with code at offset. */
static void fails(const char *text, rs_code code, uint32_t offset)
{
    rs_threshold t;
    rs_err err;
    memset(&err, 0, sizeof err);
    rs_code rc = rs_threshold_parse(&t, text, &err);
    if (rc != code || err.offset != offset) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        print_message("'%s': rc %d (want %d): %s (want offset %u)\n", text, rc, code, msg, offset);
        fail();
    }
    assert_string_equal(err.field, "threshold");
}

static void test_parse_errors(void **state)
{
    (void)state;
    fails("", RS_E_SYNTAX, 0);               /* no name */
    fails(">5", RS_E_SYNTAX, 0);
    fails("  >5", RS_E_SYNTAX, 2);
    fails("lost", RS_E_SYNTAX, 4);           /* no operator */
    fails("lost=0", RS_E_SYNTAX, 4);         /* '=' alone is not an operator */
    fails("lost=>0", RS_E_SYNTAX, 4);
    fails("lost>", RS_E_SYNTAX, 5);          /* no number */
    fails("lost>>5", RS_E_SYNTAX, 5);
    fails("lost>abc", RS_E_SYNTAX, 5);
    fails("lost>0x10", RS_E_SYNTAX, 6);      /* text after the number */
    fails("lost>5ms", RS_E_SYNTAX, 6);
    fails("lost > 5 6", RS_E_SYNTAX, 9);
    fails("lost>nan", RS_E_SYNTAX, 5);
    fails("lost-5", RS_E_SYNTAX, 4);
    fails("p99_latency_ms>500;lost>0", RS_E_SYNTAX, 18);
    fails("p99_latncy_ms>500", RS_E_OPTION, 0);   /* unknown name: offset of the name */
    fails("  frames_per_second>1", RS_E_OPTION, 2);
    fails("P99_LATENCY_MS>1", RS_E_OPTION, 0);    /* names are lower case */
    char long_name[100];
    memset(long_name, 'a', 80);
    strcpy(long_name + 80, ">1");
    fails(long_name, RS_E_SYNTAX, 0);
}

static void test_suggestions(void **state)
{
    (void)state;
    char buf[512];
    assert_true(rs_metric_suggest("p99_latncy_ms", buf, sizeof buf) >= 1);
    assert_true(!strncmp(buf, "p99_latency_ms", 14));   /* the closest first */
    assert_true(rs_metric_suggest("frames_per_second", buf, sizeof buf) >= 1);
    assert_non_null(strstr(buf, "frames_per_s"));
    assert_true(rs_metric_suggest("losts", buf, sizeof buf) >= 1);
    assert_non_null(strstr(buf, "lost"));
    assert_true(rs_metric_suggest("frames_tx_realtme", buf, sizeof buf) >= 1);
    assert_true(!strncmp(buf, "frames_tx_realtime", 18));
    assert_int_equal(rs_metric_suggest("zzzzzzzzzzzzzzzzzzzz", buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    /* at most five, comma separated */
    unsigned n = rs_metric_suggest("p99", buf, sizeof buf);
    assert_int_equal(n, 5);
    unsigned commas = 0;
    for (char *p = buf; *p; p++)
        commas += *p == ',';
    assert_int_equal(commas, 4);
    /* a small buffer is cut cleanly, at a name */
    assert_true(rs_metric_suggest("p99_latncy_ms", buf, 20) >= 1);
    assert_string_equal(buf, "p99_latency_ms");
}

/* A small result to evaluate against. */
static void make_result(rs_result *r)
{
    assert_int_equal(rs_result_init(r, 16, NULL), RS_OK);
    r->run.start_ms = 1716170000000;
    r->run.end_ms = 1716170010000;    /* 10 s */
    r->metrics.counter[RS_C_FRAMES_TX + 1] = 900;   /* realtime */
    r->metrics.counter[RS_C_FRAMES_TX + 0] = 100;   /* login */
    r->metrics.counter[RS_C_BYTES_TX + 1] = 200000;
    r->metrics.counter[RS_C_SAMPLES_GENERATED] = 5000;
    r->metrics.counter[RS_C_CONN_FAILED + RS_CONN_FAIL_REFUSED] = 3;
    r->metrics.counter[RS_C_CONN_FAILED + RS_CONN_FAIL_TLS] = 1;
    r->metrics.counter[RS_C_TERMINALS_STOPPED] = 2;
    r->metrics.counter[RS_C_SAMPLES_DROPPED + RS_DROP_ENCODE] = 5;
    r->metrics.counter[RS_C_SAMPLES_DROPPED + RS_DROP_STORE_OVERFLOW] = 7;
    r->metrics.gauge[RS_G_REISSUE_BACKLOG] = 4;
    r->gauge_max[RS_G_REISSUE_BACKLOG] = 40;
    for (uint64_t v = 1; v <= 1000; v++) {
        rs_hist_record(&r->metrics.hist[RS_H_LATENCY_TIMECAL], v * 1000);    /* 1..1000 ms */
        rs_hist_record(&r->metrics.hist[RS_H_LATENCY_ECHO], v);              /* 1..1000 us */
    }
}

static double value(const rs_result *r, const char *name)
{
    double v = -12345;
    if (!rs_metric_value(r, name, &v)) {
        print_message("no value for %s\n", name);
        fail();
    }
    return v;
}

static void test_values(void **state)
{
    (void)state;
    rs_result r;
    make_result(&r);
    assert_true(value(&r, "frames_tx_realtime") == 900);
    assert_true(value(&r, "frames_tx") == 1000);
    assert_true(value(&r, "frames_per_s") == 100);          /* 1000 frames / 10 s */
    assert_true(value(&r, "bytes_per_s") == 20000);
    assert_true(value(&r, "samples_per_s") == 500);
    assert_true(value(&r, "duration_s") == 10);
    assert_true(value(&r, "connections_failed") == 4);
    assert_true(value(&r, "errors") == 4 + 2 + 5);
    assert_true(value(&r, "samples_dropped") == 12);
    assert_true(value(&r, "lost") == 12);                   /* no per-VIN check: the drops */
    assert_true(value(&r, "reissue_backlog") == 4);
    assert_true(value(&r, "max_reissue_backlog") == 40);
    /* timecal 1..1000 ms: p99 is 990 ms, its bucket top at most 1/16 above */
    double p99 = value(&r, "p99_latency_timecal_ms");
    assert_true(p99 >= 990 && p99 <= 990 * (1 + RS_HIST_REL_ERROR));
    assert_true(value(&r, "p99_latency_timecal_us") == p99 * 1000);
    assert_true(value(&r, "max_latency_timecal_ms") == 1000);
    assert_true(value(&r, "min_latency_echo_us") == 1);
    assert_true(fabs(value(&r, "mean_latency_echo_us") - 500.5) < 1e-9);
    /* all latencies: 2000 values, the lower half in microseconds */
    double p50 = value(&r, "p50_latency_ms");
    assert_true(p50 >= 1.0 && p50 <= 1.0 * (1 + RS_HIST_REL_ERROR));   /* rank 1000 = 1000 us */
    assert_true(value(&r, "p99_latency_ms") >= 980);
    double v;
    assert_false(rs_metric_value(&r, "p99_latency_activation_ms", &v));   /* empty: no data */
    assert_false(rs_metric_value(&r, "p99_connect_ms", &v));
    assert_false(rs_metric_value(&r, "nope", &v));

    /* with the per-VIN check, lost is what it found */
    uint64_t dropped[RS_DROP_COUNT] = { 0 };
    rs_checks_add(&r.checks, "LTESTGB10A0000001", 100, 97, dropped);
    assert_true(value(&r, "lost") == 3);
    assert_true(value(&r, "vins_with_loss") == 1);

    /* no duration: rates have no value */
    r.run.end_ms = r.run.start_ms;
    assert_false(rs_metric_value(&r, "frames_per_s", &v));
    rs_result_free(&r);
}

static void test_eval(void **state)
{
    (void)state;
    rs_result r;
    make_result(&r);
    static const struct { const char *expr; bool has; bool failed; } cases[] = {
        { "lost>0", true, true },
        { "lost>12", true, false },
        { "lost>=12", true, true },
        { "lost<12", true, false },
        { "lost<=12", true, true },
        { "lost==12", true, true },
        { "lost!=12", true, false },
        { "frames_per_s<100", true, false },
        { "frames_per_s<100.5", true, true },
        { "p99_latency_timecal_ms>500", true, true },
        { "p99_latency_activation_ms>500", false, false },   /* no data passes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rs_threshold t;
        rs_threshold_verdict v;
        assert_int_equal(rs_threshold_parse(&t, cases[i].expr, NULL), RS_OK);
        rs_threshold_eval(&t, &r, &v);
        if (v.has_value != cases[i].has || v.failed != cases[i].failed) {
            print_message("%s: has %d failed %d observed %g\n", cases[i].expr, v.has_value, v.failed, v.observed);
            fail();
        }
        assert_string_equal(v.t.expr, cases[i].expr);
    }
    /* stored verdicts: the same text replaces, new ones append */
    rs_threshold t[3];
    assert_int_equal(rs_threshold_parse(&t[0], "lost>0", NULL), RS_OK);
    assert_int_equal(rs_threshold_parse(&t[1], "errors>100", NULL), RS_OK);
    assert_int_equal(rs_threshold_parse(&t[2], "lost > 0", NULL), RS_OK);   /* same text once normalised */
    assert_int_equal(rs_result_evaluate(&r, t, 3, NULL), RS_OK);
    assert_int_equal(r.n_thresholds, 2);
    assert_int_equal(rs_result_failed_thresholds(&r), 1);
    assert_true(rs_result_failed(&r));
    r.metrics.counter[RS_C_SAMPLES_DROPPED + RS_DROP_ENCODE] = 0;
    r.metrics.counter[RS_C_SAMPLES_DROPPED + RS_DROP_STORE_OVERFLOW] = 0;
    rs_result_reevaluate(&r);
    assert_int_equal(rs_result_failed_thresholds(&r), 0);
    assert_false(rs_result_failed(&r));
    rs_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
