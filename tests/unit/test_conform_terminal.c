/* The terminal suite (conform_terminal.h) in virtual time, with the virtual
 * terminal as the device under test, on a scenario written here (no shared
 * data needed): every terminal case passes for GB 17691 and HJ 1239, and
 * each test fault fails its own case while the others pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "remsim/conform_terminal.h"
#include "remsim/field.h"

static char g_dir[64], g_diesel[128], g_gas[128];

static const char k_scn[] =
    "return {\n"
    "  vehicle = '%s',\n"
    "  cycle = function(t) local p = t %% 120\n"
    "    if p < 10 then return 0 elseif p < 40 then return (p - 10) * 2 else return 60 + 5 * math.sin(p / 9) end end,\n"
    "  duration = 120,\n"
    "  start = { lat = 31.23, lon = 121.47 },\n"
    "  profile = { profile = '%s' },\n"
    "}\n";

static void write_scn(const char *path, const char *type, const char *profile)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, k_scn, type, profile);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/remsim-hil-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_diesel, sizeof g_diesel, "%s/diesel.lua", g_dir);
    snprintf(g_gas, sizeof g_gas, "%s/gas.lua", g_dir);
    write_scn(g_diesel, "diesel", "gb17691");
    write_scn(g_gas, "gas_nox", "hj1239");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_diesel);
    unlink(g_gas);
    rmdir(g_dir);
    return 0;
}

static rs_conf_run *run_suite(const char *scn, const rs_hil_fault *fault, rs_hil_stats *st)
{
    rs_hil_opts o;
    rs_hil_opts_init(&o);
    o.scenario = scn;
    o.virtual_term = true;
    o.speed = 0;
    o.duration_s = 90;
    o.outage_at_s = 25;
    o.outage_s = 20;
    if (fault)
        o.fault = *fault;
    rs_conf_run *run = NULL;
    char msg[512];
    if (rs_hil_run(&o, &run, st, msg, sizeof msg) != RS_OK)
        fail_msg("rs_hil_run: %s", msg);
    return run;
}

/* Every terminal case passes or is not applicable, except `failing`. */
static void expect(const rs_conf_run *run, rs_case_id failing)
{
    for (int id = RS_CASE_T_SAMPLING; id <= RS_CASE_T_TIMECAL; id++) {
        const rs_conf_case_result *c = &run->cases[id];
        const char *name = rs_conf_case_get((rs_case_id)id)->id;
        if (id == (int)failing) {
            if (c->verdict != RS_VERDICT_FAIL)
                fail_msg("%s: %s, want fail", name, rs_verdict_name(c->verdict));
            assert_true(c->reason[0] != 0);
            print_message("%s fails: %s\n", name, c->reason);
        } else if (c->verdict != RS_VERDICT_PASS && c->verdict != RS_VERDICT_NA) {
            fail_msg("%s: %s (%s)", name, rs_verdict_name(c->verdict), c->reason);
        }
    }
}

static void test_gb_passes(void **state)
{
    (void)state;
    rs_hil_stats st;
    rs_conf_run *run = run_suite(g_diesel, NULL, &st);
    expect(run, RS_CASE_COUNT);
    assert_int_equal(rs_conf_exit_code(run), 0);
    assert_int_equal(run->cases[RS_CASE_T_REISSUE].verdict, RS_VERDICT_PASS);
    assert_int_equal(st.seconds, 90);
    assert_int_equal(st.samples_reported, 90);  /* every second, the outage's by reissue */
    assert_int_equal(st.connections, 2);        /* before and after the outage */
    assert_true(st.values_checked >= 90);
    rs_conf_free(run);
}

static void test_hj_passes(void **state)
{
    (void)state;
    rs_hil_stats st;
    rs_conf_run *run = run_suite(g_gas, NULL, &st);
    expect(run, RS_CASE_COUNT);
    assert_int_equal(run->cases[RS_CASE_T_SIGNATURE].verdict, RS_VERDICT_PASS);
    assert_int_equal(run->cases[RS_CASE_T_ACTIVATION].verdict, RS_VERDICT_PASS);
    rs_conf_free(run);
}

static void test_faults_fail_their_case(void **state)
{
    (void)state;
    struct { const char *fault; const char *scn; rs_case_id fails; } k[] = {
        { "wrong-scale=speed", g_diesel, RS_CASE_T_VALUES },
        { "skip-serial", g_diesel, RS_CASE_T_SERIALS },
        { "no-reissue", g_diesel, RS_CASE_T_REISSUE },
        { "bad-signature", g_gas, RS_CASE_T_SIGNATURE },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        rs_hil_fault f = { .wrong_scale = -1 };
        rs_err err;
        assert_int_equal(rs_hil_fault_parse(&f, k[i].fault, &err), RS_OK);
        rs_hil_stats st;
        rs_conf_run *run = run_suite(k[i].scn, &f, &st);
        assert_true(st.faults_applied > 0);
        expect(run, k[i].fails);
        assert_int_equal(rs_conf_exit_code(run), 1);
        rs_conf_free(run);
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    rs_hil_fault f = { .wrong_scale = -1 };
    rs_err err;
    assert_int_equal(rs_hil_fault_parse(&f, "wrong-scale=nosuchfield", &err), RS_E_OPTION);
    assert_string_equal(err.field, "wrong-scale");
    assert_int_equal(rs_hil_fault_parse(&f, "explode", &err), RS_E_OPTION);

    rs_hil_opts o;
    rs_hil_opts_init(&o);
    o.scenario = g_diesel;
    rs_conf_run *run = NULL;
    rs_hil_stats st;
    char msg[512];
    /* no CAN side chosen */
    assert_int_equal(rs_hil_run(&o, &run, &st, msg, sizeof msg), RS_E_OPTION);
    assert_non_null(strstr(msg, "exactly one of"));
    assert_null(run);
    /* hardware runs on the wall clock */
    o.can_out = "/dev/null";
    o.listen = "127.0.0.1:0";
    o.speed = 10;
    assert_int_equal(rs_hil_run(&o, &run, &st, msg, sizeof msg), RS_E_OPTION);
    assert_non_null(strstr(msg, "need --virtual"));
    /* faults only for the virtual terminal */
    o.speed = 1;
    o.fault.no_reissue = true;
    assert_int_equal(rs_hil_run(&o, &run, &st, msg, sizeof msg), RS_E_OPTION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gb_passes),
        cmocka_unit_test(test_hj_passes),
        cmocka_unit_test(test_faults_fail_their_case),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
