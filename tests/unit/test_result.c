/* The result document: built by ticks, JSON round trip to identical bytes,
 * strict reading with offsets, the per-VIN checks, and the exact merge of
 * shard results against one run fed with both shards. */
#include "testutil.h"

#include <unistd.h>

#include "remsim/json_read.h"
#include "remsim/result.h"

#define T0 1716170000   /* Unix seconds */

static uint64_t rng_state = 12345;
static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return rng_state >> 17;
}

/* One shard's workload for one second, added to its cumulative total. */
static void shard_second(rs_metrics *m, int k, int last, unsigned terminals)
{
    for (unsigned i = 0; i < terminals; i++) {
        rs_metrics_tx(m, 0x02, 180 + rng() % 40);
        rs_metrics_count(m, RS_C_SAMPLES_GENERATED, 1);
        rs_metrics_count(m, RS_C_SAMPLES_LIVE, 1);
        if (rng() % 50 == 0) {
            rs_metrics_tx(m, 0x05, 24);
            rs_metrics_rx(m, 0x05, 31);
            rs_metrics_time(m, RS_H_LATENCY_TIMECAL, 200 + rng() % 30000);
        }
        if (rng() % 10 == 0)
            rs_metrics_time(m, RS_H_LATENCY_ECHO, 50 + rng() % 5000);
    }
    if (k == 0) {
        rs_metrics_count(m, RS_C_CONNECTIONS_ATTEMPTED, terminals + 2);
        rs_metrics_conn_failed(m, RS_CONN_FAIL_REFUSED);
        rs_metrics_conn_failed(m, RS_CONN_FAIL_ADDR_IN_USE);
        for (unsigned i = 0; i < terminals; i++) {
            rs_metrics_tx(m, 0x01, 53);
            rs_metrics_time(m, RS_H_CONNECT, 80 + rng() % 900);
        }
    }
    if (rng() % 7 == 0)
        rs_metrics_dropped(m, RS_DROP_CONN_LOST_UNSENT, 1 + rng() % 3);
    /* gauges: all up while running, back to 0 at the last second */
    rs_metrics_set(m, RS_G_CONNECTIONS_UP, k == last ? 0 : (int64_t)terminals - (int64_t)(rng() % 3));
    rs_metrics_set(m, RS_G_TERMINALS, k == last ? 0 : terminals);
    rs_metrics_set(m, RS_G_REISSUE_BACKLOG, k == last ? 0 : (int64_t)(rng() % 20));
}

static void shard_checks(rs_checks *c, char prefix, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char vin[18];
        snprintf(vin, sizeof vin, "LTEST%c%011u", prefix, i);
        uint64_t gen = 200, rec = 200;
        uint64_t dropped[RS_DROP_COUNT] = { 0 };
        if (i % 3 == 0) {
            rec = 200 - (i % 11);
            dropped[RS_DROP_CONN_LOST_UNSENT] = i % 4;
        }
        if (i % 17 == 5)
            rec = 203;   /* duplicates */
        rs_checks_add(c, vin, gen, rec, dropped);
    }
}

typedef struct world {
    rs_result a, b, both;
} world;

/* Shard a runs seconds 0..199, shard b 50..249; 'both' is one coordinator
 * that sees the sum of both each second. */
static void build(world *w, uint32_t cap)
{
    rs_metrics ta, tb, sum;
    rs_metrics_init(&ta);
    rs_metrics_init(&tb);
    assert_int_equal(rs_result_init(&w->a, cap, NULL), RS_OK);
    assert_int_equal(rs_result_init(&w->b, cap, NULL), RS_OK);
    assert_int_equal(rs_result_init(&w->both, cap, NULL), RS_OK);
    for (int k = 0; k < 250; k++) {
        if (k < 200) {
            shard_second(&ta, k, 199, 40);
            rs_result_tick(&w->a, T0 + k, &ta);
        }
        if (k >= 50) {
            shard_second(&tb, k - 50, 199, 30);
            rs_result_tick(&w->b, T0 + k, &tb);
        }
        sum = ta;
        rs_metrics_merge(&sum, &tb);
        rs_result_tick(&w->both, T0 + k, &sum);
    }
    shard_checks(&w->a.checks, 'A', 60);
    shard_checks(&w->b.checks, 'B', 70);
    shard_checks(&w->both.checks, 'A', 60);
    shard_checks(&w->both.checks, 'B', 70);
    const char *addrs[] = { "127.0.0.2", "127.0.0.3" };
    rs_result *rs[] = { &w->a, &w->b, &w->both };
    for (int i = 0; i < 3; i++) {
        rs_run_info *run = &rs[i]->run;
        snprintf(run->profile, sizeof run->profile, "hj1239");
        snprintf(run->scenario, sizeof run->scenario, "scenarios/highway.lua");
        run->seed = 42;
        run->workers = i == 2 ? 4 : 2;
        run->terminals = i == 0 ? 40 : i == 1 ? 30 : 70;
        run->start_ms = (int64_t)(i == 1 ? T0 + 50 : T0) * 1000;
        run->end_ms = (int64_t)(i == 0 ? T0 + 200 : T0 + 250) * 1000;
        if (i != 1)
            rs_run_add_addr(run, addrs[0]);
        if (i != 0)
            rs_run_add_addr(run, addrs[1]);
    }
    snprintf(w->a.run.shard, sizeof w->a.run.shard, "1/2");
    snprintf(w->b.run.shard, sizeof w->b.run.shard, "2/2");
}

static void unbuild(world *w)
{
    rs_result_free(&w->a);
    rs_result_free(&w->b);
    rs_result_free(&w->both);
}

static char *to_json(const rs_result *r, bool pretty)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rs_json j;
    rs_json_init_file(&j, f, pretty);
    rs_result_json(&j, r);
    assert_int_equal(rs_json_status(&j, NULL), RS_OK);
    fclose(f);
    return text;
}

/* The raw text of member key of the root object. */
static char *section(const char *text, const char *key)
{
    rs_jr_doc d;
    assert_int_equal(rs_jr_parse_alloc(&d, text, strlen(text), 1u << 22, NULL), RS_OK);
    uint32_t v = rs_jr_get(&d, 0, key);
    assert_int_not_equal(v, RS_JR_NONE);
    char *out = strndup(text + d.nodes[v].start, d.nodes[v].len);
    rs_jr_free(&d);
    return out;
}

static void same_section(const char *x, const char *y, const char *key)
{
    char *a = section(x, key), *b = section(y, key);
    if (strcmp(a, b) != 0) {
        print_message("section %s differs\n", key);
        fail();
    }
    free(a);
    free(b);
}

static void test_round_trip(void **state)
{
    (void)state;
    world w;
    build(&w, 0);
    rs_threshold t[2];
    assert_int_equal(rs_threshold_parse(&t[0], "p99_latency_ms>20", NULL), RS_OK);
    assert_int_equal(rs_threshold_parse(&t[1], "frames_per_s<1", NULL), RS_OK);
    assert_int_equal(rs_result_evaluate(&w.both, t, 2, NULL), RS_OK);
    rs_run_set_command_line(&w.both.run, 3, (char *[]){ "remsim", "run", "--fail-if=p99_latency_ms>20" });
    snprintf(w.both.run.endpoint, sizeof w.both.run.endpoint, "127.0.0.1:7000");

    char *a = to_json(&w.both, true);
    rs_result back;
    rs_err err;
    assert_int_equal(rs_result_init(&back, 0, NULL), RS_OK);
    assert_int_equal(rs_result_parse(&back, a, strlen(a), &err), RS_OK);
    char *b = to_json(&back, true);
    assert_string_equal(a, b);   /* identical bytes */
    /* and the stored values are the same */
    assert_memory_equal(&back.metrics, &w.both.metrics, sizeof back.metrics);
    assert_memory_equal(back.gauge_max, w.both.gauge_max, sizeof back.gauge_max);
    assert_memory_equal(&back.checks, &w.both.checks, sizeof back.checks);
    assert_int_equal(back.series.len, w.both.series.len);
    assert_memory_equal(back.series.rows, w.both.series.rows, back.series.len * sizeof *back.series.rows);
    assert_int_equal(back.n_thresholds, 2);
    assert_int_equal(back.thresholds[0].failed, w.both.thresholds[0].failed);
    assert_true(back.thresholds[0].observed == w.both.thresholds[0].observed);

    /* compact layout too, and through a file */
    char *c = to_json(&w.both, false);
    assert_int_equal(rs_result_parse(&back, c, strlen(c), &err), RS_OK);
    char *d = to_json(&back, false);
    assert_string_equal(c, d);
    char path[] = "/tmp/remsim-test-result-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(rs_result_save(&w.both, path, &err), RS_OK);
    assert_int_equal(rs_result_load(&back, path, &err), RS_OK);
    size_t flen;
    char *file = (char *)rs_test_read_file(path, &flen);
    assert_non_null(file);
    assert_int_equal(flen, strlen(a) + 1);   /* pretty, with a final newline */
    assert_memory_equal(file, a, strlen(a));
    unlink(path);
    assert_int_equal(rs_result_load(&back, "/nonexistent/result.json", &err), RS_E_IO);
    free(file);
    free(a);
    free(b);
    free(c);
    free(d);
    rs_result_free(&back);
    unbuild(&w);
}

/* Merging the shard results gives what one coordinator fed with both
 * shards wrote: exactly for counts, histograms and checks; as an upper
 * bound for the peaks (documented). */
static void check_merge(uint32_t cap)
{
    world w;
    build(&w, cap);
    rs_result m;
    rs_err err;
    assert_int_equal(rs_result_init(&m, cap, NULL), RS_OK);
    /* through JSON, as `remsim report merge` does */
    char *ja = to_json(&w.a, true), *jb = to_json(&w.b, true);
    rs_result rb;
    assert_int_equal(rs_result_init(&rb, cap, NULL), RS_OK);
    assert_int_equal(rs_result_parse(&m, ja, strlen(ja), &err), RS_OK);
    assert_int_equal(rs_result_parse(&rb, jb, strlen(jb), &err), RS_OK);
    assert_int_equal(rs_result_merge(&m, &rb, &err), RS_OK);

    char *x = to_json(&m, true), *y = to_json(&w.both, true);
    same_section(x, y, "counters");
    same_section(x, y, "histograms");
    same_section(x, y, "checks");
    same_section(x, y, "summary");
    assert_memory_equal(m.metrics.gauge, w.both.metrics.gauge, sizeof m.metrics.gauge);
    for (unsigned g = 0; g < RS_G_COUNT; g++)
        assert_true(m.gauge_max[g] >= w.both.gauge_max[g]);   /* sum of peaks: an upper bound */

    assert_int_equal(m.series.span, w.both.series.span);
    assert_int_equal(m.series.len, w.both.series.len);
    for (uint32_t i = 0; i < m.series.len; i++) {
        const rs_series_row *p = &m.series.rows[i], *q = &w.both.series.rows[i];
        assert_true(p->t == q->t);
        assert_int_equal(p->seconds, q->seconds);
        assert_int_equal(p->frames_tx, q->frames_tx);
        assert_int_equal(p->bytes_tx, q->bytes_tx);
        assert_int_equal(p->frames_rx, q->frames_rx);
        assert_int_equal(p->samples, q->samples);
        assert_int_equal(p->samples_dropped, q->samples_dropped);
        assert_int_equal(p->conn_failed, q->conn_failed);
        assert_int_equal(p->connections_up, q->connections_up);
        assert_int_equal(p->latency_n, q->latency_n);
        assert_true(p->reissue_backlog >= q->reissue_backlog);
        assert_true(p->p99_latency_us >= q->p99_latency_us);
    }
    /* run information combines */
    assert_int_equal(m.run.terminals, 70);
    assert_int_equal(m.run.workers, 4);
    assert_int_equal(m.run.shards, 2);
    assert_string_equal(m.run.shard, "");
    assert_true(m.run.start_ms == (int64_t)T0 * 1000);
    assert_true(m.run.end_ms == (int64_t)(T0 + 250) * 1000);
    assert_int_equal(m.run.n_addrs, 2);
    free(ja);
    free(jb);
    free(x);
    free(y);
    rs_result_free(&m);
    rs_result_free(&rb);
    unbuild(&w);
}

static void test_merge_equals_one_run(void **state)
{
    (void)state;
    check_merge(0);    /* one row per second */
    check_merge(32);   /* downsampled: both end with rows of 8 s */
}

static void test_merge_rules(void **state)
{
    (void)state;
    world w;
    build(&w, 0);
    rs_err err;
    snprintf(w.b.run.profile, sizeof w.b.run.profile, "gb17691");
    assert_int_equal(rs_result_merge(&w.a, &w.b, &err), RS_E_VALUE);   /* not shards of one run */
    assert_string_equal(err.field, "run.profile");
    snprintf(w.b.run.profile, sizeof w.b.run.profile, "hj1239");
    /* thresholds of both shards are evaluated again on the sum */
    rs_threshold ta, tb;
    assert_int_equal(rs_threshold_parse(&ta, "terminals_stopped>0", NULL), RS_OK);
    assert_int_equal(rs_threshold_parse(&tb, "connections_failed>3", NULL), RS_OK);
    assert_int_equal(rs_result_evaluate(&w.a, &ta, 1, NULL), RS_OK);
    assert_int_equal(rs_result_evaluate(&w.a, &tb, 1, NULL), RS_OK);
    assert_int_equal(rs_result_evaluate(&w.b, &tb, 1, NULL), RS_OK);
    assert_false(w.a.thresholds[1].failed);   /* 2 failures in a alone */
    assert_int_equal(rs_result_merge(&w.a, &w.b, &err), RS_OK);
    assert_int_equal(w.a.n_thresholds, 2);
    assert_true(w.a.thresholds[1].failed);    /* 4 in the sum */
    assert_true(w.a.thresholds[1].observed == 4);
    unbuild(&w);
}

static void test_checks(void **state)
{
    (void)state;
    rs_checks c;
    memset(&c, 0, sizeof c);
    assert_false(rs_checks_failed(&c));   /* not run */
    uint64_t dropped[RS_DROP_COUNT] = { 0 };
    dropped[RS_DROP_STORE_OVERFLOW] = 2;
    dropped[RS_DROP_CONN_LOST_UNSENT] = 10;   /* more than the loss: explains only up to it */
    rs_checks_add(&c, "LTESTGB10A0000002", 100, 95, dropped);
    assert_true(c.ran);
    assert_int_equal(c.lost, 5);
    assert_int_equal(c.lost_by[RS_DROP_STORE_OVERFLOW], 2);
    assert_int_equal(c.lost_by[RS_DROP_CONN_LOST_UNSENT], 3);
    assert_int_equal(c.lost_by[RS_LOST_UNEXPLAINED], 0);
    rs_checks_add(&c, "LTESTGB10A0000001", 100, 99, NULL);   /* no drops known: unexplained */
    assert_int_equal(c.lost_by[RS_LOST_UNEXPLAINED], 1);
    rs_checks_add(&c, "LTESTGB10A0000003", 100, 100, NULL);  /* fine: not listed */
    rs_checks_add(&c, "LTESTGB10A0000004", 100, 102, NULL);  /* duplicates: listed, not failed */
    assert_int_equal(c.vins, 4);
    assert_int_equal(c.vins_with_loss, 2);
    assert_int_equal(c.vins_with_duplicates, 1);
    assert_int_equal(c.duplicates, 2);
    assert_int_equal(c.n_listed, 3);
    assert_string_equal(c.listed[0].vin, "LTESTGB10A0000002");   /* most lost first */
    assert_string_equal(c.listed[1].vin, "LTESTGB10A0000001");
    assert_string_equal(c.listed[2].vin, "LTESTGB10A0000004");
    assert_true(rs_checks_failed(&c));
    /* the list keeps the worst RS_CHECKS_LISTED */
    memset(&c, 0, sizeof c);
    for (unsigned i = 0; i < 3 * RS_CHECKS_LISTED; i++) {
        char vin[18];
        snprintf(vin, sizeof vin, "V%016u", i);
        rs_checks_add(&c, vin, 1000, 1000 - (i * 37) % 101, NULL);
    }
    assert_int_equal(c.n_listed, RS_CHECKS_LISTED);
    for (unsigned i = 1; i < c.n_listed; i++)
        assert_true(c.listed[i - 1].lost >= c.listed[i].lost);
    assert_int_equal(c.listed[0].lost, 100);
}

static void test_command_line(void **state)
{
    (void)state;
    rs_run_info run;
    memset(&run, 0, sizeof run);
    char *argv[] = { "remsim", "run", "--fail-if", "p99_latency_ms>500", "it's", "", "a b" };
    rs_run_set_command_line(&run, 7, argv);
    assert_string_equal(run.command_line, "remsim run --fail-if 'p99_latency_ms>500' 'it'\\''s' '' 'a b'");
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *many[8] = { big, big, big, big, big, big, big, big };
    rs_run_set_command_line(&run, 8, many);
    size_t n = strlen(run.command_line);
    assert_true(n < sizeof run.command_line);
    assert_string_equal(run.command_line + n - 3, "...");
    assert_true(rs_run_add_addr(&run, "127.0.0.2"));
    assert_true(rs_run_add_addr(&run, "127.0.0.2"));
    assert_int_equal(run.n_addrs, 1);
}

/* text (a valid document edited at 'from' -> 'to') fails with code, field,
 * at the offset of 'at' in the edited text. */
static void bad_doc(const char *doc, const char *from, const char *to, rs_code code, const char *field,
                    const char *at)
{
    const char *p = strstr(doc, from);
    assert_non_null(p);
    size_t n = strlen(doc) + strlen(to) + 1;
    char *edited = malloc(n);
    assert_non_null(edited);
    snprintf(edited, n, "%.*s%s%s", (int)(p - doc), doc, to, p + strlen(from));
    rs_result r;
    rs_err err;
    assert_int_equal(rs_result_init(&r, 0, NULL), RS_OK);
    memset(&err, 0, sizeof err);
    rs_code rc = rs_result_parse(&r, edited, strlen(edited), &err);
    size_t want = at ? (size_t)(strstr(edited, at) - edited) : strlen(edited);
    if (rc != code || err.offset != want || (field && strcmp(err.field, field) != 0)) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        print_message("edit '%s' -> '%s': rc %d (want %d) %s (want offset %zu)\n", from, to, rc, code, msg, want);
        fail();
    }
    assert_non_null(r.series.rows);   /* still usable */
    rs_series_row row = { .t = T0, .seconds = 1 };
    rs_series_add(&r.series, &row);
    rs_result_free(&r);
    free(edited);
}

static void test_strict_reading(void **state)
{
    (void)state;
    world w;
    build(&w, 0);
    rs_threshold t;
    assert_int_equal(rs_threshold_parse(&t, "lost>0", NULL), RS_OK);
    assert_int_equal(rs_result_evaluate(&w.a, &t, 1, NULL), RS_OK);
    char *doc = to_json(&w.a, true);
    bad_doc(doc, "\"remsim-result\"", "\"other\"", RS_E_SYNTAX, "format", "\"other\"");
    bad_doc(doc, "\"version\": 1", "\"version\": 2", RS_E_SYNTAX, "version", "2,\n  \"verdict");
    bad_doc(doc, "\"frames_tx_login\"", "\"frames_tx_logn\"", RS_E_SYNTAX, "counters", "\"frames_tx_logn\"");
    bad_doc(doc, "\"frames_tx_login\": 40", "\"frames_tx_login\": -40", RS_E_SYNTAX, "counters", "-40");
    bad_doc(doc, "\"workers\": 2", "\"workers\": \"2\"", RS_E_SYNTAX, "run.workers", "\"2\"");
    bad_doc(doc, "\"profile\": \"hj1239\"", "\"profil\": \"hj1239\"", RS_E_SYNTAX, "run.profile", "{\n    \"tool");
    bad_doc(doc, "\"expr\": \"lost>0\"", "\"expr\": \"lots>0\"", RS_E_OPTION, "threshold", "lots>0");
    bad_doc(doc, "\"expr\": \"lost>0\"", "\"expr\": \"lost>>0\"", RS_E_SYNTAX, "threshold", ">0\"");
    bad_doc(doc, "\"span_s\": 1", "\"span_s\": 3", RS_E_SYNTAX, "series.span_s", "3,\n    \"columns");
    bad_doc(doc, "\"sub_buckets\": 16", "\"sub_buckets\": 32", RS_E_SYNTAX, "latency_timecal_us", "{\n      \"count");
    bad_doc(doc, "\"ran\": true", "\"ran\": 1", RS_E_SYNTAX, "checks.ran", "1,\n    \"vins\"");
    bad_doc(doc, "\"format\"", "\"format\" \"", RS_E_SYNTAX, "json", "\": \"remsim");
    bad_doc(doc, "\"thresholds\": [", "\"thresholds\": [,", RS_E_SYNTAX, "json", ",\n    {\n      \"expr");
    /* a truncated file */
    rs_result r;
    rs_err err;
    assert_int_equal(rs_result_init(&r, 0, NULL), RS_OK);
    assert_int_equal(rs_result_parse(&r, doc, strlen(doc) / 2, &err), RS_E_SYNTAX);
    assert_true(err.offset <= strlen(doc) / 2);
    rs_result_free(&r);
    free(doc);
    unbuild(&w);
}

/* A worker restart makes the total go down: the second gets no counts,
 * the gauges still count, nothing wraps around. */
static void test_tick_backwards(void **state)
{
    (void)state;
    rs_result r;
    rs_metrics m;
    assert_int_equal(rs_result_init(&r, 0, NULL), RS_OK);
    rs_metrics_init(&m);
    m.counter[RS_C_FRAMES_TX + 1] = 100;
    m.gauge[RS_G_CONNECTIONS_UP] = 10;
    rs_result_tick(&r, T0, &m);
    m.counter[RS_C_FRAMES_TX + 1] = 40;
    m.gauge[RS_G_CONNECTIONS_UP] = 7;
    rs_result_tick(&r, T0 + 1, &m);
    m.counter[RS_C_FRAMES_TX + 1] = 45;
    rs_result_tick(&r, T0 + 2, &m);
    assert_int_equal(r.series.len, 3);
    assert_int_equal(r.series.rows[0].frames_tx, 100);
    assert_int_equal(r.series.rows[1].frames_tx, 0);
    assert_int_equal(r.series.rows[1].connections_up, 7);
    assert_int_equal(r.series.rows[2].frames_tx, 5);
    assert_int_equal(r.gauge_max[RS_G_CONNECTIONS_UP], 10);
    assert_int_equal(r.metrics.counter[RS_C_FRAMES_TX + 1], 45);
    rs_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_merge_equals_one_run),
        cmocka_unit_test(test_merge_rules),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_strict_reading),
        cmocka_unit_test(test_tick_backwards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
