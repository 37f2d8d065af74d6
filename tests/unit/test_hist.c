/* Histograms: the bucket layout, percentiles against exact quantiles of
 * known distributions, exact merge and diff, JSON round trip and the
 * checks of the reader. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

#include "remsim/hist.h"

/* A small deterministic generator (64-bit LCG, upper bits). */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return rng_state >> 11;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The exact value of rank ceil(q/100 * n) in sorted v. */
static uint64_t exact_quantile(const uint64_t *v, size_t n, double q)
{
    size_t rank = (size_t)ceil(q / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

static void test_layout(void **state)
{
    (void)state;
    assert_int_equal(RS_HIST_BUCKETS, 464);
    for (uint64_t v = 0; v < 32; v++) {   /* exact below 32 us */
        unsigned i = rs_hist_index(v);
        assert_int_equal(rs_hist_lo(i), v);
        assert_int_equal(rs_hist_hi(i), v);
    }
    for (unsigned i = 0; i < RS_HIST_BUCKETS; i++) {
        uint64_t lo = rs_hist_lo(i), hi = rs_hist_hi(i);
        assert_true(lo <= hi);
        assert_int_equal(rs_hist_index(lo), i);
        assert_int_equal(rs_hist_index(hi), i);
        if (i + 1 < RS_HIST_BUCKETS)
            assert_int_equal(rs_hist_lo(i + 1), hi + 1);   /* contiguous, no gaps */
        if (lo > 0)   /* the stated relative width */
            assert_true((double)(hi - lo) / (double)lo < RS_HIST_REL_ERROR);
    }
    assert_int_equal(rs_hist_hi(RS_HIST_BUCKETS - 1), RS_HIST_LIMIT - 1);
    assert_true(RS_HIST_LIMIT - 1 >= UINT64_C(3600) * 1000000);   /* at least one hour */
    assert_int_equal(rs_hist_index(RS_HIST_LIMIT), RS_HIST_OVERFLOW);
    assert_int_equal(rs_hist_index(UINT64_MAX), RS_HIST_OVERFLOW);
    assert_int_equal(rs_hist_index(1000), rs_hist_index(1023));   /* [992, 1023] */
    assert_int_equal(rs_hist_lo(rs_hist_index(1000)), 992);
}

/* Percentiles of a distribution never fall below the exact quantile and
 * are at most RS_HIST_REL_ERROR above it. */
static void check_distribution(uint64_t *v, size_t n)
{
    rs_hist h;
    rs_hist_init(&h);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        rs_hist_record(&h, v[i]);
        sum += v[i];
    }
    qsort(v, n, sizeof *v, cmp_u64);
    assert_int_equal(rs_hist_count(&h), n);
    assert_int_equal(rs_hist_min(&h), v[0]);
    assert_int_equal(rs_hist_max(&h), v[n - 1]);
    assert_true(fabs(rs_hist_mean(&h) - (double)sum / (double)n) < 1e-6);
    static const double qs[] = { 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99 };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        uint64_t exact = exact_quantile(v, n, qs[k]);
        uint64_t got = rs_hist_percentile(&h, qs[k]);
        if (got < exact || (double)got > (double)exact * (1 + RS_HIST_REL_ERROR)) {
            print_message("q=%g exact=%llu got=%llu\n", qs[k], (unsigned long long)exact, (unsigned long long)got);
            fail();
        }
    }
    assert_int_equal(rs_hist_percentile(&h, 0), v[0]);
    assert_int_equal(rs_hist_percentile(&h, 100), v[n - 1]);
}

static void test_percentiles_uniform(void **state)
{
    (void)state;
    enum { N = 100000 };
    uint64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < N; i++)
        v[i] = i + 1;   /* 1..100000 us */
    check_distribution(v, N);
    /* the median of 1..100000 is 50000; its bucket is [49152, 51199] */
    rs_hist h;
    rs_hist_init(&h);
    for (uint64_t i = 1; i <= N; i++)
        rs_hist_record(&h, i);
    assert_int_equal(rs_hist_percentile(&h, 50), 51199);
    free(v);
}

static void test_percentiles_skewed(void **state)
{
    (void)state;
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    /* exponential with mean 20 ms, plus a 1 % tail around 2 s */
    for (size_t i = 0; i < N; i++) {
        double u = ((double)(rng() % 1000000) + 0.5) / 1e6;
        v[i] = (uint64_t)(-log(u) * 20000.0);
        if (rng() % 100 == 0)
            v[i] = 2000000 + rng() % 500000;
    }
    check_distribution(v, N);
    /* a few large values, beyond an hour */
    for (size_t i = 0; i < 100; i++)
        v[i] = 100 + rng() % (UINT64_C(1) << 31);
    check_distribution(v, N);
    free(v);
}

static void test_empty_and_overflow(void **state)
{
    (void)state;
    rs_hist h;
    rs_hist_init(&h);
    assert_int_equal(rs_hist_percentile(&h, 99), 0);
    assert_true(rs_hist_mean(&h) == 0);
    rs_hist_record(&h, UINT64_C(5000000000));   /* 83 min: overflow */
    rs_hist_record(&h, UINT64_C(6000000000));
    assert_int_equal(h.bucket[RS_HIST_OVERFLOW], 2);
    assert_int_equal(rs_hist_percentile(&h, 50), UINT64_C(6000000000));   /* clamped to the exact max */
    rs_hist_record(&h, 7);
    assert_int_equal(rs_hist_percentile(&h, 10), 7);
    assert_int_equal(rs_hist_min(&h), 7);
    /* record_n is n records; the sum saturates instead of wrapping */
    rs_hist a, b;
    rs_hist_init(&a);
    rs_hist_init(&b);
    rs_hist_record_n(&a, 1234, 5);
    rs_hist_record_n(&a, 99, 0);
    for (int i = 0; i < 5; i++)
        rs_hist_record(&b, 1234);
    assert_memory_equal(&a, &b, sizeof a);
    rs_hist_record_n(&a, UINT64_MAX / 2, 4);
    assert_int_equal(a.sum, UINT64_MAX);
}

static void test_merge_exact(void **state)
{
    (void)state;
    rs_hist a, b, all;
    rs_hist_init(&a);
    rs_hist_init(&b);
    rs_hist_init(&all);
    for (int i = 0; i < 50000; i++) {
        uint64_t v = rng() % 3000000;
        if (i % 1000 == 0)
            v = UINT64_C(1) << 33;   /* overflow too */
        rs_hist_record(rng() % 3 ? &a : &b, v);
        rs_hist_record(&all, v);
    }
    rs_hist m = a;
    rs_hist_merge(&m, &b);
    assert_memory_equal(&m, &all, sizeof m);   /* byte for byte: buckets, count, sum, min, max */
    rs_hist m2 = b;
    rs_hist_merge(&m2, &a);
    assert_memory_equal(&m2, &all, sizeof m2);
    rs_hist e;
    rs_hist_init(&e);
    rs_hist_merge(&m2, &e);   /* merging an empty one changes nothing */
    assert_memory_equal(&m2, &all, sizeof m2);
    rs_hist_merge(&e, &a);
    assert_memory_equal(&e, &a, sizeof e);
}

static void test_diff(void **state)
{
    (void)state;
    rs_hist prev, cur, between, d;
    rs_hist_init(&prev);
    rs_hist_init(&between);
    for (int i = 0; i < 1000; i++)
        rs_hist_record(&prev, 10 + rng() % 100000);
    cur = prev;
    for (int i = 0; i < 500; i++) {
        uint64_t v = 5000 + rng() % 20000;
        rs_hist_record(&cur, v);
        rs_hist_record(&between, v);
    }
    assert_true(rs_hist_diff(&d, &cur, &prev));
    assert_memory_equal(d.bucket, between.bucket, sizeof d.bucket);
    assert_int_equal(d.count, between.count);
    assert_int_equal(d.sum, between.sum);
    /* min and max are bounds from the buckets: around the true ones */
    assert_true(d.min <= between.min && rs_hist_index(d.min) == rs_hist_index(between.min));
    assert_true(d.max >= between.max && rs_hist_index(d.max) == rs_hist_index(between.max));
    /* same bucket; the diff only knows the bucket's top, not the exact max */
    assert_int_equal(rs_hist_index(rs_hist_percentile(&d, 99)), rs_hist_index(rs_hist_percentile(&between, 99)));
    assert_true(rs_hist_percentile(&d, 99) >= rs_hist_percentile(&between, 99));
    /* going backwards is refused */
    assert_false(rs_hist_diff(&d, &prev, &cur));
    assert_int_equal(d.count, 0);
}

/* Writes h as compact JSON into a malloc'd string. */
static char *to_json(const rs_hist *h)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rs_json j;
    rs_json_init_file(&j, f, false);
    rs_hist_json(&j, h);
    assert_int_equal(rs_json_status(&j, NULL), RS_OK);
    fclose(f);
    return text;
}

static rs_code from_text(rs_hist *h, const char *text, rs_err *err)
{
    rs_jr_doc d;
    rs_code rc = rs_jr_parse_alloc(&d, text, strlen(text), 100000, err);
    if (rc == RS_OK)
        rc = rs_hist_from_json(h, &d, 0, "h", err);
    rs_jr_free(&d);
    return rc;
}

static void test_json_round_trip(void **state)
{
    (void)state;
    rs_hist h, back;
    rs_hist_init(&h);
    for (int i = 0; i < 20000; i++)
        rs_hist_record(&h, rng() % 5000000);
    rs_hist_record(&h, 0);
    rs_hist_record(&h, UINT64_C(9000000000));
    char *a = to_json(&h);
    rs_err err;
    assert_int_equal(from_text(&back, a, &err), RS_OK);
    assert_memory_equal(&back, &h, sizeof h);
    char *b = to_json(&back);
    assert_string_equal(a, b);   /* identical bytes */
    assert_non_null(strstr(a, "\"sub_buckets\":16"));
    assert_non_null(strstr(a, "[0,0,1]"));          /* the value 0 */
    assert_non_null(strstr(a, "\"overflow\":1}"));
    free(a);
    free(b);

    rs_hist_init(&h);   /* empty */
    a = to_json(&h);
    assert_string_equal(a, "{\"count\":0,\"sum_us\":0,\"min_us\":0,\"max_us\":0,\"mean_us\":0,\"p50_us\":0,"
                           "\"p90_us\":0,\"p99_us\":0,\"p999_us\":0,\"sub_buckets\":16,\"buckets\":[],\"overflow\":0}");
    assert_int_equal(from_text(&back, a, &err), RS_OK);
    assert_memory_equal(&back, &h, sizeof h);
    free(a);
}

static void expect_bad(const char *text, const char *fragment_at_offset)
{
    rs_hist h;
    rs_err err;
    assert_int_equal(from_text(&h, text, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, "h");
    const char *at = strstr(text, fragment_at_offset);
    assert_non_null(at);
    if (err.offset != (uint32_t)(at - text)) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        print_message("%s -> %s\n", text, msg);
        fail();
    }
}

static void test_json_reader_checks(void **state)
{
    (void)state;
#define H(count, buckets, over) \
    "{\"count\":" #count ",\"sum_us\":3000,\"min_us\":1000,\"max_us\":1000,\"sub_buckets\":16,\"buckets\":" buckets \
    ",\"overflow\":" #over "}"
    rs_hist h;
    rs_err err;
    assert_int_equal(from_text(&h, H(3, "[[992,1023,3]]", 0), &err), RS_OK);
    assert_int_equal(h.count, 3);
    assert_int_equal(h.bucket[rs_hist_index(1000)], 3);
    expect_bad(H(3, "[[992,1022,3]]", 0), "[992,1022");        /* not this layout's bounds */
    expect_bad(H(3, "[[990,1023,3]]", 0), "[990");
    expect_bad(H(4, "[[992,1023,3]]", 0), "{");                 /* counts do not add up */
    expect_bad(H(3, "[[992,1023,1],[992,1023,2]]", 0), "[992,1023,2]");   /* repeated */
    expect_bad(H(3, "[[992,1023,0],[1024,1087,3]]", 0), "[992");          /* empty bucket listed */
    expect_bad(H(3, "[[992,1023]]", 0), "[992");                          /* two numbers */
    expect_bad("{\"count\":1,\"sum_us\":5,\"min_us\":5,\"max_us\":5,\"sub_buckets\":8,\"buckets\":[[5,5,1]],"
               "\"overflow\":0}",
               "{");                                                       /* another layout */
    expect_bad("{\"count\":1,\"sum_us\":5,\"min_us\":6,\"max_us\":6,\"sub_buckets\":16,\"buckets\":[[5,5,1]],"
               "\"overflow\":0}",
               "{");                                                       /* min outside its bucket */
    expect_bad("{\"count\":1,\"sum_us\":5,\"min_us\":5,\"max_us\":5,\"sub_buckets\":16,\"buckets\":[[5,5,1]]}",
               "{");                                                       /* overflow missing */
    expect_bad("{\"count\":-1,\"sum_us\":5,\"min_us\":5,\"max_us\":5,\"sub_buckets\":16,\"buckets\":[],"
               "\"overflow\":0}",
               "-1");                                                      /* negative */
#undef H
}

/* The struct has no pointers: it survives a trip through a pipe as bytes. */
static void test_pod(void **state)
{
    (void)state;
    rs_hist h, back;
    rs_hist_init(&h);
    for (int i = 0; i < 100; i++)
        rs_hist_record(&h, rng() % 100000);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    assert_int_equal(write(fd[1], &h, sizeof h), (ssize_t)sizeof h);
    size_t got = 0;
    while (got < sizeof back) {
        ssize_t n = read(fd[0], (char *)&back + got, sizeof back - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fd[0]);
    close(fd[1]);
    assert_memory_equal(&h, &back, sizeof h);
    assert_int_equal(rs_hist_percentile(&back, 90), rs_hist_percentile(&h, 90));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_percentiles_uniform),
        cmocka_unit_test(test_percentiles_skewed),
        cmocka_unit_test(test_empty_and_overflow),
        cmocka_unit_test(test_merge_exact),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_reader_checks),
        cmocka_unit_test(test_pod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
