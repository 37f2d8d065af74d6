/* The conformance catalogue and verdict model (conform.h): the table is
 * well formed, docs/conformance.md carries it exactly, verdicts are
 * distinct, and the JSON and JUnit views say what the run found. */
#include "testutil.h"

#include <ctype.h>

#include "remsim/conform.h"
#include "remsim/json_read.h"

static void test_catalogue_rows(void **state)
{
    (void)state;
    const rs_conf_case *c = rs_conf_catalogue();
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        assert_non_null(c[i].id);
        assert_non_null(c[i].title);
        assert_non_null(c[i].clause);
        assert_non_null(c[i].checks);
        assert_true(c[i].profiles && !(c[i].profiles & ~RS_PROF_ALL));
        assert_true(c[i].roles && !(c[i].roles & ~RS_ROLE_ALL));
        assert_int_equal(rs_conf_case_find(c[i].id), (int)i);
        /* "9.1/sig-verify": the section before the slash is cited in the clause */
        const char *slash = strchr(c[i].id, '/');
        assert_non_null(slash);
        char sec[16];
        snprintf(sec, sizeof sec, "§%.*s", (int)(slash - c[i].id), c[i].id);
        if (!strstr(c[i].clause, sec) && !(strchr(c[i].clause, '-') && sec[2] >= '6' && sec[2] <= '9'))
            fail_msg("%s: clause '%s' does not cite %s", c[i].id, c[i].clause, sec);
        for (const char *p = slash + 1; *p; p++)
            assert_true(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-');
        for (unsigned k = 0; k < i; k++)
            assert_string_not_equal(c[k].id, c[i].id);
    }
    assert_int_equal(rs_conf_case_find("no/such-case"), -1);
    unsigned role;
    assert_true(rs_conf_role_parse("terminal", &role) && role == RS_ROLE_TERMINAL);
    assert_false(rs_conf_role_parse("gateway", &role));
}

/* docs/conformance.md holds the table `remsim conform --list --markdown`
 * prints, row for row: edit catalogue.c, then regenerate the doc's table. */
static void test_doc_matches_catalogue(void **state)
{
    (void)state;
    size_t len;
    char *doc = (char *)rs_test_read_file("docs/conformance.md", &len);
    if (!doc)
        doc = (char *)rs_test_read_file("../docs/conformance.md", &len);
    if (!doc) {
        print_message("docs/conformance.md not found (run from the project root)\n");
        fail();
    }
    char *table = NULL;
    size_t tlen = 0;
    FILE *m = open_memstream(&table, &tlen);
    assert_non_null(m);
    rs_conf_catalogue_markdown(m, 0, 0);
    fclose(m);
    /* line by line, so the message names the row that drifted */
    char *save = NULL;
    for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strstr(doc, line))
            fail_msg("docs/conformance.md lacks the catalogue row:\n%s\n(regenerate with remsim conform --list "
                     "--markdown)",
                     line);
    /* and no stale row: every `id` row of the doc's catalogue section (the
     * other tables of the page list options) is a case */
    const char *section = strstr(doc, "\n## The catalogue");
    assert_non_null(section);
    unsigned rows = 0;
    for (const char *p = strstr(section, "\n| `"); p; p = strstr(p + 1, "\n| `")) {
        char id[64];
        if (sscanf(p, "\n| `%63[^`]`", id) == 1) {
            if (rs_conf_case_find(id) < 0)
                fail_msg("docs/conformance.md lists '%s', which the catalogue does not have", id);
            rows++;
        }
    }
    assert_int_equal(rows, RS_CASE_COUNT);
    free(table);
    free(doc);
}

static rs_conf_run *sample_run(bool strict)
{
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    p.strict = strict;
    rs_err err;
    rs_conf_run *run = rs_conf_new(RS_ROLE_CAPTURE, &p, &err);
    assert_non_null(run);
    rs_conf_add_input(run, "frames <&> \"log\"");
    rs_conf_exercise(run, RS_CASE_BCC, "LTESTGB10A0000001");
    rs_conf_exercise(run, RS_CASE_LENGTH, "LTESTGB10A0000001");
    rs_conf_ref ref;
    rs_conf_ref_init(&ref);
    static const uint8_t frame[] = { 0x23, 0x23, 0x05, 'L', 'T', 'E', 'S', 'T', 'G', 'B', '1', '0', 'A', '0',
                                     '0', '0', '0', '0', '0', '1', 0x01, 0x01, 0x00, 0x00, 0x00 };
    rs_conf_ref_frame(&ref, &p, frame, sizeof frame);
    ref.line = 12;
    rs_conf_fail(run, RS_CASE_LENGTH, RS_SEV_ERROR, NULL, &ref, "length %d <bad>", 3);
    rs_conf_exercise(run, RS_CASE_REPORT_SERIAL, NULL);
    rs_conf_fail(run, RS_CASE_REPORT_SERIAL, rs_conf_severity(run, RS_CASE_REPORT_SERIAL), "LTESTGB10A0000002",
                 NULL, "serial 3 skipped");
    rs_conf_skip(run, RS_CASE_COALESCED, "no segments");
    rs_conf_not_applicable(run, RS_CASE_LOGOUT_SERIAL, "no logout seen");
    rs_conf_finish(run);
    return run;
}

static void test_verdicts_distinct(void **state)
{
    (void)state;
    rs_conf_run *run = sample_run(false);
    assert_int_equal(run->cases[RS_CASE_BCC].verdict, RS_VERDICT_PASS);
    assert_int_equal(run->cases[RS_CASE_LENGTH].verdict, RS_VERDICT_FAIL);
    assert_non_null(strstr(run->cases[RS_CASE_LENGTH].reason, "length 3"));
    assert_int_equal(run->cases[RS_CASE_REPORT_SERIAL].verdict, RS_VERDICT_PASS); /* a warning */
    assert_int_equal(run->cases[RS_CASE_COALESCED].verdict, RS_VERDICT_SKIP);
    assert_string_equal(run->cases[RS_CASE_COALESCED].reason, "no segments");
    assert_int_equal(run->cases[RS_CASE_LOGOUT_SERIAL].verdict, RS_VERDICT_NA);
    assert_int_equal(run->cases[RS_CASE_P_LOGIN].verdict, RS_VERDICT_NA); /* platform case in a capture run */
    assert_int_equal(run->cases[RS_CASE_SIG_VERIFY].verdict, RS_VERDICT_NA); /* HJ case under gb17691 */
    assert_int_equal(run->counts[RS_VERDICT_FAIL], 1);
    assert_int_equal(run->counts[RS_VERDICT_PASS] + run->counts[RS_VERDICT_FAIL] + run->counts[RS_VERDICT_NA] +
                         run->counts[RS_VERDICT_SKIP],
                     RS_CASE_COUNT);
    assert_int_equal(rs_conf_exit_code(run), 1);
    assert_int_equal(run->n_vins, 2);
    assert_int_equal(run->vins[0].verdict, RS_VERDICT_FAIL);
    assert_int_equal(run->vins[1].verdict, RS_VERDICT_PASS);
    rs_conf_free(run);
    run = sample_run(true);
    assert_int_equal(rs_conf_severity(run, RS_CASE_REPORT_SERIAL), RS_SEV_ERROR);
    assert_int_equal(run->cases[RS_CASE_REPORT_SERIAL].verdict, RS_VERDICT_FAIL);
    assert_int_equal(run->vins_by_verdict[1], 2);
    rs_conf_free(run);
}

static void test_json_view(void **state)
{
    (void)state;
    rs_conf_run *run = sample_run(false);
    size_t cap = 4u << 20;
    char *buf = malloc(cap);
    rs_json j;
    rs_json_init_buf(&j, buf, cap, true);
    rs_conf_json(&j, run);
    assert_int_equal(rs_json_status(&j, NULL), RS_OK);
    rs_jr_doc d;
    rs_err err;
    assert_int_equal(rs_jr_parse_alloc(&d, buf, strlen(buf), 1u << 20, &err), RS_OK);
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, 0, "format"), RS_CONF_FORMAT));
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, 0, "verdict"), "fail"));
    uint32_t counts = rs_jr_get(&d, 0, "counts");
    uint64_t v;
    assert_int_equal(rs_jr_u64(&d, rs_jr_get(&d, counts, "fail"), "fail", &v, &err), RS_OK);
    assert_int_equal(v, 1);
    assert_int_equal(rs_jr_u64(&d, rs_jr_get(&d, counts, "skipped"), "skipped", &v, &err), RS_OK);
    assert_int_equal(v, 1);
    uint32_t cases = rs_jr_get(&d, 0, "cases");
    assert_int_equal(rs_jr_count(&d, cases), RS_CASE_COUNT);
    uint32_t c = rs_jr_first(&d, cases);
    for (unsigned i = 0; i < RS_CASE_LENGTH; i++)
        c = rs_jr_next(&d, c);
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, c, "id"), "3.1/length"));
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, c, "verdict"), "fail"));
    uint32_t ev = rs_jr_first(&d, rs_jr_get(&d, c, "evidence"));
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, ev, "vin"), "LTESTGB10A0000001"));
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, ev, "hex"), "232305" "4C54455354474231304130303030303031"
                                                             "0101000000"));
    assert_int_equal(rs_jr_u64(&d, rs_jr_get(&d, ev, "line"), "line", &v, &err), RS_OK);
    assert_int_equal(v, 12);
    uint32_t vins = rs_jr_get(&d, 0, "vins");
    assert_int_equal(rs_jr_u64(&d, rs_jr_get(&d, vins, "failed"), "failed", &v, &err), RS_OK);
    assert_int_equal(v, 1);
    rs_jr_free(&d);
    free(buf);
    rs_conf_free(run);
}

static void test_junit_view(void **state)
{
    (void)state;
    rs_conf_run *run = sample_run(false);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_int_equal(rs_conf_junit(m, run, NULL), RS_OK);
    fclose(m);
    unsigned testcases = 0, failures = 0, skipped = 0;
    for (char *p = text; (p = strstr(p, "<testcase ")); p++)
        testcases++;
    for (char *p = text; (p = strstr(p, "<failure ")); p++)
        failures++;
    for (char *p = text; (p = strstr(p, "<skipped ")); p++)
        skipped++;
    assert_int_equal(testcases, RS_CASE_COUNT);
    assert_int_equal(failures, 1);
    assert_int_equal(skipped, run->counts[RS_VERDICT_SKIP] + run->counts[RS_VERDICT_NA]);
    assert_non_null(strstr(text, "name=\"3.1/length: length field matches the frame\""));
    assert_non_null(strstr(text, "length 3 &lt;bad&gt;"));          /* escaped */
    assert_non_null(strstr(text, "frames &lt;&amp;&gt; &quot;log&quot;"));
    assert_non_null(strstr(text, "skipped: no segments"));
    assert_non_null(strstr(text, "not applicable: no logout seen"));
    free(text);
    /* the console: summary last */
    m = open_memstream(&text, &len);
    assert_int_equal(rs_conf_console(m, run, false, NULL), RS_OK);
    fclose(m);
    char *last = text + len - 1;
    while (last > text && last[-1] != '\n')
        last--;
    assert_true(!strncmp(last, "FAIL: ", 6));
    free(text);
    rs_conf_free(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_rows),
        cmocka_unit_test(test_doc_matches_catalogue),
        cmocka_unit_test(test_verdicts_distinct),
        cmocka_unit_test(test_json_view),
        cmocka_unit_test(test_junit_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
