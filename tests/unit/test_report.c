/* The views of a result (console, JUnit, HTML), human units, and the
 * progress line (formatting and when it prints, not the clock). */
#include "testutil.h"

#include "remsim/human.h"
#include "remsim/progress.h"
#include "remsim/report.h"
#include "remsim/result.h"

#define T0 1716170000

/* A run of 60 s: traffic, latencies, one lossy VIN, two thresholds of
 * which one fails. */
static void make(rs_result *r, bool with_check)
{
    assert_int_equal(rs_result_init(r, 0, NULL), RS_OK);
    rs_metrics m;
    rs_metrics_init(&m);
    for (int k = 0; k < 60; k++) {
        for (int i = 0; i < 100; i++) {
            rs_metrics_tx(&m, 0x02, 210);
            rs_metrics_count(&m, RS_C_SAMPLES_GENERATED, 1);
            rs_metrics_time(&m, RS_H_LATENCY_ECHO, 300 + (uint64_t)(i * 37 + k) % 4000);
        }
        rs_metrics_tx(&m, 0x05, 24);
        rs_metrics_rx(&m, 0x05, 31);
        rs_metrics_time(&m, RS_H_LATENCY_TIMECAL, 1500 + (uint64_t)k * 10);
        rs_metrics_set(&m, RS_G_CONNECTIONS_UP, 100);
        rs_result_tick(r, T0 + k, &m);
    }
    snprintf(r->run.scenario, sizeof r->run.scenario, "<script>alert(\"x\")</script> & co");
    snprintf(r->run.profile, sizeof r->run.profile, "gb17691");
    r->run.terminals = 100;
    r->run.workers = 2;
    r->run.start_ms = (int64_t)T0 * 1000;
    r->run.end_ms = (int64_t)(T0 + 60) * 1000;
    rs_run_add_addr(&r->run, "127.0.0.2");
    if (with_check) {
        rs_checks_add(&r->checks, "LTESTGB10A0000001", 60, 60, NULL);
        uint64_t dropped[RS_DROP_COUNT] = { 0 };
        dropped[RS_DROP_CONN_LOST_UNSENT] = 2;
        rs_checks_add(&r->checks, "LTESTGB10A0000002", 60, 57, dropped);
    }
    rs_threshold t[3];
    assert_int_equal(rs_threshold_parse(&t[0], "p99_latency_ms>500", NULL), RS_OK);
    assert_int_equal(rs_threshold_parse(&t[1], "frames_per_s<1000", NULL), RS_OK);   /* 100.x/s: fails */
    assert_int_equal(rs_threshold_parse(&t[2], "p99_connect_ms>100", NULL), RS_OK);  /* no data */
    assert_int_equal(rs_result_evaluate(r, t, 3, NULL), RS_OK);
}

typedef rs_code (*view_fn)(FILE *out, const rs_result *r, rs_err *err);

static char *render(view_fn fn, const rs_result *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(fn(f, r, NULL), RS_OK);
    fclose(f);
    return text;
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_console(void **state)
{
    (void)state;
    rs_result r;
    make(&r, true);
    char *t = render(rs_report_console, &r);
    /* the verdict is the last thing printed */
    const char *last = strstr(t, "\nRESULT: FAIL  1 of 3 thresholds failed (1 without data), per-VIN check failed\n");
    assert_non_null(last);
    assert_null(strstr(last + 1, "\nthresholds"));
    assert_non_null(strstr(t, "FAIL     frames_per_s<1000"));
    assert_non_null(strstr(t, "PASS     p99_latency_ms>500"));
    assert_non_null(strstr(t, "NO DATA  p99_connect_ms>100"));
    assert_non_null(strstr(t, "lost 3 (conn_lost_unsent 2, unexplained 1)"));
    assert_non_null(strstr(t, "  0x02 realtime                6000      1.26 MB            0\n"));   /* aligned columns */
    assert_null(strchr(t, '\033'));                                    /* no escapes */
    free(t);
    rs_result_free(&r);

    make(&r, false);
    r.n_thresholds = 0;
    t = render(rs_report_console, &r);
    assert_non_null(strstr(t, "RESULT: PASS  no thresholds, per-VIN check not run"));
    assert_non_null(strstr(t, "not run (no comparison"));
    free(t);
    rs_result_free(&r);
}

static void test_junit(void **state)
{
    (void)state;
    rs_result r;
    make(&r, true);
    char *t = render(rs_report_junit, &r);
    assert_true(!strncmp(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39));
    assert_int_equal(count(t, "<testsuite "), 1);
    assert_non_null(strstr(t, "<testsuite name=\"remsim run\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"0\""));
    assert_int_equal(count(t, "<testcase "), 4);
    assert_int_equal(count(t, "<failure "), 2);
    assert_non_null(strstr(t, "name=\"frames_per_s&lt;1000\""));   /* escaped in attributes */
    assert_non_null(strstr(t, "name=\"per-VIN check\""));
    assert_non_null(strstr(t, "LTESTGB10A0000002: generated 60, received 57, lost 3"));
    assert_non_null(strstr(t, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
    assert_null(strstr(t, "<script>"));
    free(t);
    rs_result_free(&r);

    make(&r, false);   /* the check did not run: skipped, not failed */
    t = render(rs_report_junit, &r);
    assert_non_null(strstr(t, "tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(t, "<skipped message="));
    free(t);
    rs_result_free(&r);
}

static void test_html(void **state)
{
    (void)state;
    rs_result r;
    make(&r, true);
    char *t = render(rs_report_html, &r);
    assert_true(!strncmp(t, "<!DOCTYPE html>\n", 16));
    assert_non_null(strstr(t, "data-verdict=\"fail\" data-thresholds=\"3\" data-failed=\"1\" data-passed=\"1\" "
                              "data-nodata=\"1\" data-check=\"fail\""));
    assert_non_null(strstr(t, "FAIL: 1 of 3 thresholds failed (1 without data), per-VIN check failed"));
    /* self-contained: no scripts, no external resources */
    assert_null(strstr(t, "<script"));
    assert_null(strstr(t, "src="));
    assert_null(strstr(t, "href="));
    assert_null(strstr(t, "url("));
    assert_int_equal(count(t, "http"), count(t, "xmlns=\"http://www.w3.org/2000/svg\""));   /* namespaces only */
    assert_non_null(strstr(t, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
    /* charts: frames/s line, a histogram per non-empty one, commands */
    assert_int_equal(count(t, "<polyline class=\"line\""), 1);
    assert_true(count(t, "<rect class=\"bar\"") > 10);
    assert_non_null(strstr(t, "aria-label=\"frames sent and answers received per command\""));
    assert_non_null(strstr(t, "connect_us: no data."));
    /* every counter is in the table */
    for (unsigned i = 0; i < RS_C_COUNT; i++) {
        char want[96];
        snprintf(want, sizeof want, "<tr><td><code>%s</code></td>", rs_counter_desc[i].name);
        assert_non_null(strstr(t, want));
    }
    assert_int_equal(count(t, "<svg"), count(t, "</svg>"));
    assert_int_equal(count(t, "<table"), count(t, "</table>"));
    assert_int_equal(count(t, "<tr"), count(t, "</tr>"));
    free(t);
    rs_result_free(&r);
}

/* Escaping keeps any document well-formed: bad UTF-8 and control bytes
 * become U+FFFD. */
static void test_escaping(void **state)
{
    (void)state;
    rs_result r;
    make(&r, false);
    snprintf(r.run.scenario, sizeof r.run.scenario, "a\xff" "b\x01" "c\xc3\xa9'");
    char *t = render(rs_report_html, &r);
    assert_non_null(strstr(t, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9&#39;"));
    free(t);
    t = render(rs_report_junit, &r);
    assert_non_null(strstr(t, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9&#39;"));
    free(t);
    t = render(rs_report_console, &r);
    assert_null(strchr(t, '\x01'));
    free(t);
    rs_result_free(&r);
}

static void test_human(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(rs_human_us(b, sizeof b, 0), "0 us");
    assert_string_equal(rs_human_us(b, sizeof b, 850), "850 us");
    assert_string_equal(rs_human_us(b, sizeof b, 12345), "12.3 ms");
    assert_string_equal(rs_human_us(b, sizeof b, 1250000), "1.25 s");
    assert_string_equal(rs_human_us(b, sizeof b, 200e6), "3 min 20 s");
    assert_string_equal(rs_human_us(b, sizeof b, 7500e6), "2 h 5 min");
    assert_string_equal(rs_human_bytes(b, sizeof b, 512), "512 B");
    assert_string_equal(rs_human_bytes(b, sizeof b, 54100), "54.1 kB");
    assert_string_equal(rs_human_bytes(b, sizeof b, 1.2e9), "1.20 GB");
    assert_string_equal(rs_human_count(b, sizeof b, 950), "950");
    assert_string_equal(rs_human_count(b, sizeof b, 12345), "12.3k");
    assert_string_equal(rs_human_count(b, sizeof b, 4.56e6), "4.56M");
    assert_string_equal(rs_human_clock(b, sizeof b, 3725), "01:02:05");
    assert_string_equal(rs_human_clock(b, sizeof b, 90000), "25:00:00");
}

static void test_progress_format(void **state)
{
    (void)state;
    char buf[256];
    rs_progress_line l = { .elapsed_s = 65, .duration_s = 600, .up = 998, .terminals = 1000,
                           .frames_per_s = 1234, .lost = 3, .backlog = 12, .has_p99 = true, .p99_us = 35200 };
    rs_progress_format(buf, sizeof buf, &l);
    assert_string_equal(buf, "00:01:05/00:10:00  up 998/1000  1.23k frames/s  lost 3  backlog 12  p99 35.2 ms");
    l.duration_s = 0;
    l.has_p99 = false;
    rs_progress_format(buf, sizeof buf, &l);
    assert_string_equal(buf, "00:01:05  up 998/1000  1.23k frames/s  lost 3  backlog 12  p99 -");

    /* from snapshots: the last interval's rate and p99, the run's losses */
    rs_metrics total, delta;
    rs_metrics_init(&total);
    rs_metrics_init(&delta);
    total.gauge[RS_G_CONNECTIONS_UP] = 7;
    total.gauge[RS_G_REISSUE_BACKLOG] = 5;
    total.counter[RS_C_SAMPLES_DROPPED + RS_DROP_STORE_OVERFLOW] = 2;
    total.counter[RS_C_SAMPLES_DROPPED + RS_DROP_ENCODE] = 1;
    delta.counter[RS_C_FRAMES_TX + 1] = 500;
    for (uint64_t v = 1; v <= 100; v++)
        rs_hist_record(&delta.hist[RS_H_LATENCY_ECHO], v * 100);   /* p99 = 9900 us: bucket top 10239, clamped to the max 10000 */
    rs_progress_fill(&l, 10, 60, 8, &total, &delta, 2.0);
    rs_progress_format(buf, sizeof buf, &l);
    assert_string_equal(buf, "00:00:10/00:01:00  up 7/8  250 frames/s  lost 3  backlog 5  p99 10.0 ms");
}

static char *drive(int tty)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rs_progress p;
    rs_progress_init(&p, f, tty, 10);
    rs_progress_line l = { .terminals = 4 };
    unsigned printed = 0;
    for (int s = 0; s <= 25; s++) {
        l.elapsed_s = s;
        l.up = s % 5;
        printed += rs_progress_update(&p, &l);
    }
    rs_progress_done(&p);
    fclose(f);
    assert_int_equal(printed, tty ? 26 : 3);   /* TTY: every second; else at 0, 10, 20 s */
    return text;
}

static void test_progress_output(void **state)
{
    (void)state;
    char *plain = drive(0);
    assert_int_equal(count(plain, "\n"), 3);
    assert_null(strchr(plain, '\r'));
    assert_null(strchr(plain, '\033'));
    assert_true(!strncmp(plain, "00:00:00  up 0/4", 16));
    assert_non_null(strstr(plain, "\n00:00:10  up 0/4"));
    assert_non_null(strstr(plain, "\n00:00:20  up 0/4"));
    free(plain);
    char *tty = drive(1);
    assert_int_equal(count(tty, "\r"), 26);            /* rewritten in place */
    assert_int_equal(count(tty, "\033[K"), 26);        /* cleared to the end of line */
    assert_int_equal(count(tty, "\n"), 1);             /* one newline, from done */
    assert_true(tty[strlen(tty) - 1] == '\n');
    assert_non_null(strstr(tty, "\r00:00:25  up 0/4"));
    free(tty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_human),
        cmocka_unit_test(test_progress_format),
        cmocka_unit_test(test_progress_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
