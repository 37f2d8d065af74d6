/* The metric registry, snapshot arithmetic, the bounded time series, and
 * the promise that docs/results.md names every metric. */
#include "testutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "remsim/metrics.h"
#include "remsim/series.h"
#include "remsim/threshold.h"

static bool snake_case(const char *s)
{
    if (!s || !islower((unsigned char)s[0]))
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return false;
    return s[-1] != '_';
}

static void check_table(const rs_metric_desc *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (!t[i].name || !snake_case(t[i].name) || !t[i].unit || !t[i].unit[0] || !t[i].help || !t[i].help[0]) {
            print_message("row %u: name '%s' unit '%s' help '%s'\n", i, t[i].name ? t[i].name : "(null)",
                          t[i].unit ? t[i].unit : "(null)", t[i].help ? t[i].help : "(null)");
            fail();
        }
        assert_null(strchr(t[i].help, '\n'));   /* one line */
    }
}

static void test_tables_complete(void **state)
{
    (void)state;
    check_table(rs_counter_desc, RS_C_COUNT);
    check_table(rs_gauge_desc, RS_G_COUNT);
    check_table(rs_hist_desc, RS_H_COUNT);
    for (unsigned i = 0; i < RS_C_COUNT; i++)
        assert_int_equal(rs_counter_find(rs_counter_desc[i].name), (int)i);
    for (unsigned i = 0; i < RS_G_COUNT; i++)
        assert_int_equal(rs_gauge_find(rs_gauge_desc[i].name), (int)i);
    for (unsigned i = 0; i < RS_H_COUNT; i++)
        assert_int_equal(rs_hist_find(rs_hist_desc[i].name), (int)i);
    assert_int_equal(rs_counter_find("no_such_metric"), -1);
}

/* The names the fleet and its users rely on. */
static void test_required_names(void **state)
{
    (void)state;
    static const char *const counters[] = {
        "connections_attempted", "connections_failed_refused", "connections_failed_timeout",
        "connections_failed_reset", "connections_failed_unreachable", "connections_failed_addr_in_use",
        "connections_failed_tls", "connections_failed_other", "reconnects", "frames_tx_login",
        "frames_tx_realtime", "frames_tx_reissue", "frames_tx_logout", "frames_tx_timecal", "frames_tx_tamper",
        "frames_tx_activation", "bytes_tx_login", "bytes_tx_activation", "frames_rx_timecal",
        "frames_rx_activation_answer", "samples_generated", "samples_live", "samples_reissued",
        "samples_dropped_store_overflow", "samples_dropped_ignition_off", "samples_dropped_encode",
        "samples_dropped_conn_lost_unsent", "terminals_stopped",
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if (rs_counter_find(counters[i]) < 0) {
            print_message("missing counter %s\n", counters[i]);
            fail();
        }
    assert_true(rs_gauge_find("connections_up") >= 0);
    assert_true(rs_gauge_find("reissue_backlog") >= 0);
    assert_true(rs_gauge_find("terminals") >= 0);
    static const char *const hists[] = { "latency_timecal_us", "latency_activation_us", "latency_echo_us",
                                         "connect_us", "tls_handshake_us" };
    for (size_t i = 0; i < 5; i++)
        assert_true(rs_hist_find(hists[i]) >= 0);
    /* per-command helpers land on the right rows */
    rs_metrics m;
    rs_metrics_init(&m);
    rs_metrics_tx(&m, 0x01, 53);
    rs_metrics_tx(&m, 0x07, 300);
    rs_metrics_tx(&m, 0x07, 300);
    rs_metrics_tx(&m, 0x09, 10);   /* outside 0x01..0x08: not counted */
    rs_metrics_rx(&m, 0x05, 31);
    assert_int_equal(m.counter[rs_counter_find("frames_tx_login")], 1);
    assert_int_equal(m.counter[rs_counter_find("bytes_tx_login")], 53);
    assert_int_equal(m.counter[rs_counter_find("frames_tx_activation")], 2);
    assert_int_equal(m.counter[rs_counter_find("bytes_tx_activation")], 600);
    assert_int_equal(m.counter[rs_counter_find("frames_rx_timecal")], 1);
    assert_int_equal(m.counter[rs_counter_find("bytes_rx")], 31);
    assert_int_equal(rs_metrics_frames_tx(&m), 3);
    assert_int_equal(rs_metrics_bytes_tx(&m), 653);
    for (unsigned c = 1; c <= RS_METRIC_CMDS; c++) {
        char want[64];
        snprintf(want, sizeof want, "frames_tx_%s", rs_metric_cmd_name(c));
        assert_string_equal(rs_counter_desc[RS_C_FRAMES_TX + c - 1].name, want);
        snprintf(want, sizeof want, "frames_rx_%s", rs_metric_cmd_name(c));
        assert_string_equal(rs_counter_desc[RS_C_FRAMES_RX + c - 1].name, want);
    }
    assert_null(rs_metric_cmd_name(0));
    assert_null(rs_metric_cmd_name(9));
    rs_metrics_conn_failed(&m, rs_conn_fail_from_errno(EADDRNOTAVAIL));
    assert_int_equal(m.counter[rs_counter_find("connections_failed_addr_in_use")], 1);
    assert_int_equal(rs_conn_fail_from_errno(ECONNREFUSED), RS_CONN_FAIL_REFUSED);
    assert_int_equal(rs_conn_fail_from_errno(ETIMEDOUT), RS_CONN_FAIL_TIMEOUT);
    assert_int_equal(rs_conn_fail_from_errno(ECONNRESET), RS_CONN_FAIL_RESET);
    assert_int_equal(rs_conn_fail_from_errno(EHOSTUNREACH), RS_CONN_FAIL_UNREACHABLE);
    assert_int_equal(rs_conn_fail_from_errno(EINVAL), RS_CONN_FAIL_OTHER);
    rs_metrics_dropped(&m, RS_DROP_CONN_LOST_UNSENT, 4);
    assert_int_equal(m.counter[rs_counter_find("samples_dropped_conn_lost_unsent")], 4);
}

/* Every name a threshold may use is unique across the whole namespace. */
static void test_names_unique(void **state)
{
    (void)state;
    enum { MAX = 400 };
    static char names[MAX][96];
    size_t n = 0;
    char help[256];
    while (n < MAX && rs_metric_name_at(n, names[n], sizeof names[n], help, sizeof help)) {
        assert_true(snake_case(names[n]));
        assert_true(help[0] != '\0');
        assert_true(rs_metric_known(names[n]));
        n++;
    }
    assert_true(n > RS_C_COUNT + RS_G_COUNT);
    assert_true(n < MAX);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (!strcmp(names[i], names[j])) {
                print_message("duplicate name %s\n", names[i]);
                fail();
            }
}

static void fill(rs_metrics *m, uint64_t seed)
{
    rs_metrics_init(m);
    for (unsigned i = 0; i < RS_C_COUNT; i++)
        m->counter[i] = (seed * 31 + i * 7) % 1000;
    for (unsigned i = 0; i < RS_G_COUNT; i++)
        m->gauge[i] = (int64_t)((seed + i) % 50);
    for (unsigned h = 0; h < RS_H_COUNT; h++)
        for (uint64_t k = 0; k < 200; k++)
            rs_hist_record(&m->hist[h], (seed * 1000 + k * 977 + h * 13) % 2000000);
}

static void test_merge_and_diff(void **state)
{
    (void)state;
    rs_metrics a, b, sum, d;
    fill(&a, 1);
    fill(&b, 2);
    sum = a;
    rs_metrics_merge(&sum, &b);
    for (unsigned i = 0; i < RS_C_COUNT; i++)
        assert_int_equal(sum.counter[i], a.counter[i] + b.counter[i]);
    for (unsigned i = 0; i < RS_G_COUNT; i++)
        assert_int_equal(sum.gauge[i], a.gauge[i] + b.gauge[i]);   /* gauges: summed over workers */
    for (unsigned h = 0; h < RS_H_COUNT; h++) {
        rs_hist both = a.hist[h];
        rs_hist_merge(&both, &b.hist[h]);
        assert_memory_equal(&sum.hist[h], &both, sizeof both);
    }
    /* diff undoes merge for counters and buckets; gauges are the current ones */
    assert_true(rs_metrics_diff(&d, &sum, &a));
    assert_memory_equal(d.counter, b.counter, sizeof d.counter);
    for (unsigned i = 0; i < RS_G_COUNT; i++)
        assert_int_equal(d.gauge[i], sum.gauge[i]);
    for (unsigned h = 0; h < RS_H_COUNT; h++) {
        assert_memory_equal(d.hist[h].bucket, b.hist[h].bucket, sizeof d.hist[h].bucket);
        assert_int_equal(d.hist[h].sum, b.hist[h].sum);
    }
    /* a snapshot that went backwards (a worker restarted) is refused */
    assert_false(rs_metrics_diff(&d, &a, &sum));
    assert_int_equal(d.counter[0], 0);
    /* the overall latency merges exactly the latency histograms */
    rs_hist lat, want;
    rs_metrics_latency(&sum, &lat);
    rs_hist_init(&want);
    rs_hist_merge(&want, &sum.hist[RS_H_LATENCY_TIMECAL]);
    rs_hist_merge(&want, &sum.hist[RS_H_LATENCY_ACTIVATION]);
    rs_hist_merge(&want, &sum.hist[RS_H_LATENCY_ECHO]);
    assert_memory_equal(&lat, &want, sizeof lat);
}

/* A worker writes its snapshot down a pipe; the coordinator reads the
 * same bytes back.  The struct is bigger than PIPE_BUF, so a reader loops
 * until it is complete.  (One process: the pipe is made big enough to hold
 * it, which keeps the test free of child processes.) */
static void test_snapshot_through_pipe(void **state)
{
    (void)state;
    rs_metrics m, back;
    fill(&m, 7);
    assert_true(sizeof m > PIPE_BUF);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    if (fcntl(fd[1], F_GETPIPE_SZ) < (int)sizeof m)
        assert_true(fcntl(fd[1], F_SETPIPE_SZ, (int)sizeof m * 2) >= (int)sizeof m);
    const char *p = (const char *)&m;
    size_t left = sizeof m;
    while (left) {
        ssize_t n = write(fd[1], p, left);
        assert_true(n > 0);
        p += n;
        left -= (size_t)n;
    }
    close(fd[1]);
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd[0], (char *)&back + got, sizeof back - got);
        assert_true(n >= 0);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd[0]);
    assert_int_equal(got, sizeof back);
    assert_memory_equal(&m, &back, sizeof m);
    rs_metrics sum;
    rs_metrics_init(&sum);
    rs_metrics_merge(&sum, &back);   /* usable as it is */
    assert_memory_equal(&sum, &m, sizeof m);
}

static rs_series_row second(int64_t t, uint64_t frames, int64_t up, int64_t backlog, uint64_t p99)
{
    rs_series_row r;
    memset(&r, 0, sizeof r);
    r.t = t;
    r.seconds = 1;
    r.frames_tx = frames;
    r.bytes_tx = frames * 200;
    r.samples = frames / 2;
    r.connections_up = up;
    r.reissue_backlog = backlog;
    r.latency_n = p99 ? 10 : 0;
    r.p99_latency_us = p99;
    return r;
}

static void check_grid(const rs_series *s)
{
    assert_true(s->len <= s->cap);
    assert_int_equal(s->span & (s->span - 1), 0);   /* a power of two */
    assert_int_equal(s->t0 % (int64_t)s->span, 0);  /* anchored at the epoch */
    for (uint32_t i = 0; i < s->len; i++)
        assert_true(s->rows[i].t == s->t0 + (int64_t)i * s->span);
}

static void test_series_downsampling(void **state)
{
    (void)state;
    rs_series s;
    assert_int_equal(rs_series_init(&s, 100, NULL), RS_OK);
    const int64_t start = 1716170000 + 3;   /* not a multiple of anything large */
    uint64_t total = 0;
    int64_t max_backlog = 0;
    uint64_t max_p99 = 0;
    for (int64_t k = 0; k < 10000; k++) {
        uint64_t frames = (uint64_t)(k % 17) + 1;
        int64_t backlog = (k * 7919) % 1000;
        uint64_t p99 = (uint64_t)((k * 104729) % 50000) + 1;
        rs_series_row r = second(start + k, frames, k, backlog, p99);
        rs_series_add(&s, &r);
        total += frames;
        if (backlog > max_backlog)
            max_backlog = backlog;
        if (p99 > max_p99)
            max_p99 = p99;
        check_grid(&s);
    }
    assert_true(s.span == 128);   /* 10000 s in at most 100 rows */
    uint64_t sum = 0, secs = 0;
    int64_t backlog = 0;
    uint64_t p99 = 0;
    for (uint32_t i = 0; i < s.len; i++) {
        sum += s.rows[i].frames_tx;
        secs += s.rows[i].seconds;
        if (s.rows[i].reissue_backlog > backlog)
            backlog = s.rows[i].reissue_backlog;
        if (s.rows[i].p99_latency_us > p99)
            p99 = s.rows[i].p99_latency_us;
    }
    assert_int_equal(sum, total);      /* counts survive downsampling exactly */
    assert_int_equal(secs, 10000);
    assert_int_equal(backlog, max_backlog);   /* the peak survives too */
    assert_int_equal(p99, max_p99);
    assert_int_equal(s.rows[s.len - 1].connections_up, 9999);   /* the last second's value */
    rs_series_free(&s);

    /* a day at one row per second stays within the default 3600 rows */
    assert_int_equal(rs_series_init(&s, 0, NULL), RS_OK);
    for (int64_t k = 0; k < 86400; k++) {
        rs_series_row r = second(1716163200 + k, 1, 1, 0, 0);
        rs_series_add(&s, &r);
    }
    check_grid(&s);
    assert_int_equal(s.cap, RS_SERIES_CAP);
    assert_int_equal(s.span, 32);
    assert_int_equal(s.len, 2700);
    rs_series_free(&s);
}

static void test_series_gaps(void **state)
{
    (void)state;
    rs_series s;
    assert_int_equal(rs_series_init(&s, 10, NULL), RS_OK);
    assert_int_equal(s.cap, RS_SERIES_MIN_CAP);
    rs_series_row r = second(1000, 5, 1, 0, 0);
    rs_series_add(&s, &r);
    r = second(1004, 7, 2, 0, 0);
    rs_series_add(&s, &r);
    assert_int_equal(s.len, 5);
    assert_int_equal(s.rows[2].seconds, 0);   /* a gap is a row without seconds */
    assert_true(rs_series_rate(&s.rows[2], s.rows[2].frames_tx) == 0);
    r = second(998, 3, 1, 0, 0);             /* earlier than the first row: rows move */
    rs_series_add(&s, &r);
    check_grid(&s);
    assert_int_equal(s.t0, 998);
    assert_int_equal(s.rows[0].frames_tx, 3);
    assert_int_equal(s.rows[2].frames_tx, 5);
    /* absurd times are ignored, the extremes of the range are not a problem */
    uint32_t len = s.len;
    r = second(-5, 1, 1, 0, 0);
    rs_series_add(&s, &r);
    r = second(RS_SERIES_T_MAX, 1, 1, 0, 0);
    rs_series_add(&s, &r);
    assert_int_equal(s.len, len);
    r = second(RS_SERIES_T_MAX - 1, 1, 1, 0, 0);
    rs_series_add(&s, &r);
    r = second(0, 1, 1, 0, 0);
    rs_series_add(&s, &r);
    check_grid(&s);
    assert_true(s.len <= s.cap);
    assert_true(s.span <= (UINT32_C(1) << 30));
    rs_series_free(&s);
}

/* Two shards, each its own series, merge into what one series fed with
 * both shards' seconds would hold. */
static void test_series_merge(void **state)
{
    (void)state;
    rs_series a, b, both;
    assert_int_equal(rs_series_init(&a, 64, NULL), RS_OK);
    assert_int_equal(rs_series_init(&b, 64, NULL), RS_OK);
    assert_int_equal(rs_series_init(&both, 64, NULL), RS_OK);
    for (int64_t k = 0; k < 300; k++) {   /* a: 300 s; b starts 40 s later and runs 100 s */
        rs_series_row ra = second(5000 + k, 10, 3, 1, 0);
        rs_series_add(&a, &ra);
        rs_series_row sum = ra;
        if (k >= 40 && k < 140) {
            rs_series_row rb = second(5000 + k, 4, 2, 0, 0);
            rs_series_add(&b, &rb);
            sum.frames_tx += rb.frames_tx;
            sum.bytes_tx += rb.bytes_tx;
            sum.samples += rb.samples;
            sum.connections_up += rb.connections_up;
        }
        rs_series_add(&both, &sum);
    }
    assert_true(a.span > b.span);   /* different spans before the merge */
    rs_err err;
    assert_int_equal(rs_series_merge(&a, &b, &err), RS_OK);
    check_grid(&a);
    assert_int_equal(a.span, both.span);
    assert_int_equal(a.t0, both.t0);
    assert_int_equal(a.len, both.len);
    for (uint32_t i = 0; i < a.len; i++) {
        assert_int_equal(a.rows[i].frames_tx, both.rows[i].frames_tx);
        assert_int_equal(a.rows[i].bytes_tx, both.rows[i].bytes_tx);
        assert_int_equal(a.rows[i].samples, both.rows[i].samples);
        assert_int_equal(a.rows[i].seconds, both.rows[i].seconds);
    }
    /* merging an empty series changes nothing */
    rs_series e;
    assert_int_equal(rs_series_init(&e, 8, NULL), RS_OK);
    assert_int_equal(rs_series_merge(&both, &e, &err), RS_OK);
    assert_int_equal(both.len, a.len);
    /* merging into an empty one gives the other */
    assert_int_equal(rs_series_merge(&e, &b, &err), RS_OK);
    check_grid(&e);
    uint64_t fb = 0, fe = 0;
    for (uint32_t i = 0; i < b.len; i++)
        fb += b.rows[i].frames_tx;
    for (uint32_t i = 0; i < e.len; i++)
        fe += e.rows[i].frames_tx;
    assert_int_equal(fb, fe);
    rs_series_free(&a);
    rs_series_free(&b);
    rs_series_free(&both);
    rs_series_free(&e);
}

/* docs/results.md lists every metric name: the registry is the
 * documentation's source. */
static void test_docs_list_every_name(void **state)
{
    (void)state;
    size_t len = 0;
    char *doc = (char *)rs_test_read_file("docs/results.md", &len);
    if (!doc)
        doc = (char *)rs_test_read_file("../docs/results.md", &len);
    if (!doc) {
        print_message("docs/results.md not found (run from the project root)\n");
        fail();
    }
    unsigned missing = 0;
    char name[96], quoted[100];
    const rs_metric_desc *tables[] = { rs_counter_desc, rs_gauge_desc, rs_hist_desc };
    const unsigned counts[] = { RS_C_COUNT, RS_G_COUNT, RS_H_COUNT };
    for (unsigned t = 0; t < 3; t++)
        for (unsigned i = 0; i < counts[t]; i++) {
            snprintf(quoted, sizeof quoted, "`%s`", tables[t][i].name);
            if (!strstr(doc, quoted)) {
                print_message("docs/results.md does not list %s\n", quoted);
                missing++;
            }
        }
    /* every threshold name that is not "<stat>_<histogram>_<unit>" (those
     * are described by their pattern and listed by --list-metrics) */
    for (size_t i = 0; rs_metric_name_at(i, name, sizeof name, NULL, 0); i++) {
        size_t n = strlen(name);
        bool stat = n > 3 && (!strcmp(name + n - 3, "_ms") || !strcmp(name + n - 3, "_us")) &&
                    (!strncmp(name, "p50_", 4) || !strncmp(name, "p90_", 4) || !strncmp(name, "p99_", 4) ||
                     !strncmp(name, "p999_", 5) || !strncmp(name, "min_", 4) || !strncmp(name, "max_", 4) ||
                     !strncmp(name, "mean_", 5));
        if (stat)
            continue;
        snprintf(quoted, sizeof quoted, "`%s`", name);
        if (!strstr(doc, quoted)) {
            print_message("docs/results.md does not list %s\n", quoted);
            missing++;
        }
    }
    free(doc);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_complete),
        cmocka_unit_test(test_required_names),
        cmocka_unit_test(test_names_unique),
        cmocka_unit_test(test_merge_and_diff),
        cmocka_unit_test(test_snapshot_through_pipe),
        cmocka_unit_test(test_series_downsampling),
        cmocka_unit_test(test_series_gaps),
        cmocka_unit_test(test_series_merge),
        cmocka_unit_test(test_docs_list_every_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
