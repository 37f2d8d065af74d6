/* Fleet planning: workers from the descriptor limit and the CPUs, source
 * addresses from the ephemeral port range (fleet.h, docs/run.md). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "remsim/fleet.h"

static rs_fleet_opts loopback_opts(uint32_t n)
{
    rs_fleet_opts o;
    rs_fleet_opts_init(&o);
    o.n = n;
    o.target.sin_addr.s_addr = htonl(0x7F000001u);
    o.target.sin_port = htons(9000);
    return o;
}

static void test_small_fleet_one_worker_one_source(void **state)
{
    (void)state;
    rs_fleet_opts o = loopback_opts(1000);
    rs_fleet_plan p;
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, NULL), RS_OK);
    assert_int_equal(p.workers, 1);
    assert_int_equal(p.count[0], 1000);
    assert_int_equal(p.n_sources, 1);
    assert_int_equal(ntohl(p.source[0].s_addr), 0x7F000001u);
}

static void test_100k_spreads_workers_and_sources(void **state)
{
    (void)state;
    rs_fleet_opts o = loopback_opts(100000);
    rs_fleet_plan p;
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, NULL), RS_OK);
    assert_int_equal(p.workers, 7); /* ceil(100000 / 15000) */
    uint32_t sum = 0;
    for (unsigned i = 0; i < p.workers; i++) {
        assert_true(p.count[i] <= 15000);
        assert_int_equal(p.first[i], sum);
        sum += p.count[i];
    }
    assert_int_equal(sum, 100000);
    assert_int_equal(p.n_sources, 20); /* one per 5,000 on loopback */
    assert_int_equal(ntohl(p.source[19].s_addr), 0x7F000014u);
    assert_true(p.per_source <= 5000);
}

static void test_cpus_used_above_2000(void **state)
{
    (void)state;
    rs_fleet_opts o = loopback_opts(5000);
    rs_fleet_plan p;
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, NULL), RS_OK);
    assert_int_equal(p.workers, 2);
    assert_int_equal(p.count[0] + p.count[1], 5000);
}

static void test_remote_target_needs_sources(void **state)
{
    (void)state;
    rs_fleet_opts o = loopback_opts(30000);
    o.target.sin_addr.s_addr = htonl(0x0A000005u); /* 10.0.0.5 */
    rs_fleet_plan p;
    rs_err err;
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, &err), RS_E_OPTION);
    assert_string_equal(err.field, "source");
    o.n_sources = 2;
    inet_pton(AF_INET, "10.0.0.100", &o.source[0]);
    inet_pton(AF_INET, "10.0.0.101", &o.source[1]);
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, &err), RS_OK);
    assert_int_equal(p.n_sources, 2);
    o.n = 60000; /* two sources are not enough for 60,000 */
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, &err), RS_E_OPTION);
}

static void test_too_many_per_worker_refused(void **state)
{
    (void)state;
    rs_fleet_opts o = loopback_opts(40000);
    o.workers = 2;
    rs_fleet_plan p;
    rs_err err;
    assert_int_equal(rs_fleet_plan_make(&o, 2, &p, &err), RS_E_OPTION);
    assert_string_equal(err.field, "workers");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_fleet_one_worker_one_source),
        cmocka_unit_test(test_100k_spreads_workers_and_sources),
        cmocka_unit_test(test_cpus_used_above_2000),
        cmocka_unit_test(test_remote_target_needs_sources),
        cmocka_unit_test(test_too_many_per_worker_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
