/* The strict JSON reader: navigation, exact numbers, unescaping, and every
 * rule it enforces, each with the byte offset it reports. */
#include "testutil.h"

#include "remsim/json_read.h"

static rs_code parse(rs_jr_doc *d, const char *text, rs_err *err)
{
    return rs_jr_parse_alloc(d, text, strlen(text), 100000, err);
}

static void test_navigation(void **state)
{
    (void)state;
    const char *text = " {\"a\": [1, 2, {\"x\": null}], \"b\": {\"c\": true, \"d\": false}, \"e\": \"s\", \"f\": []} ";
    rs_jr_doc d;
    rs_err err;
    assert_int_equal(parse(&d, text, &err), RS_OK);
    assert_int_equal(rs_jr_type_of(&d, 0), RS_JR_OBJECT);
    assert_int_equal(rs_jr_count(&d, 0), 4);
    assert_int_equal(rs_jr_offset(&d, 0), 1);
    uint32_t a = rs_jr_get(&d, 0, "a");
    assert_int_equal(rs_jr_type_of(&d, a), RS_JR_ARRAY);
    assert_int_equal(rs_jr_count(&d, a), 3);
    uint32_t e0 = rs_jr_first(&d, a), e1 = rs_jr_next(&d, e0), e2 = rs_jr_next(&d, e1);
    uint64_t v;
    assert_int_equal(rs_jr_u64(&d, e0, "a", &v, &err), RS_OK);
    assert_int_equal(v, 1);
    assert_int_equal(rs_jr_u64(&d, e1, "a", &v, &err), RS_OK);
    assert_int_equal(v, 2);
    assert_int_equal(rs_jr_type_of(&d, rs_jr_get(&d, e2, "x")), RS_JR_NULL);
    uint32_t b = rs_jr_get(&d, 0, "b");
    bool t = false, f = true;
    assert_int_equal(rs_jr_bool(&d, rs_jr_get(&d, b, "c"), "c", &t, &err), RS_OK);
    assert_int_equal(rs_jr_bool(&d, rs_jr_get(&d, b, "d"), "d", &f, &err), RS_OK);
    assert_true(t);
    assert_false(f);
    assert_true(rs_jr_str_eq(&d, rs_jr_get(&d, 0, "e"), "s"));
    assert_int_equal(rs_jr_count(&d, rs_jr_get(&d, 0, "f")), 0);
    assert_int_equal(rs_jr_first(&d, rs_jr_get(&d, 0, "f")), RS_JR_NONE);
    assert_int_equal(rs_jr_get(&d, 0, "nope"), RS_JR_NONE);
    assert_int_equal(rs_jr_get(&d, a, "x"), RS_JR_NONE);   /* not an object */
    uint32_t out;
    assert_int_equal(rs_jr_need(&d, 0, "b", RS_JR_ARRAY, "b", &out, &err), RS_E_SYNTAX);
    assert_int_equal(err.offset, rs_jr_offset(&d, b));
    assert_int_equal(rs_jr_need(&d, 0, "zz", RS_JR_ARRAY, "zz", &out, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, "zz");
    assert_int_equal(err.offset, 1);
    assert_int_equal(rs_jr_need(&d, b, "c", RS_JR_TRUE, "c", &out, &err), RS_OK);
    assert_int_equal(rs_jr_need(&d, b, "d", RS_JR_TRUE, "d", &out, &err), RS_OK);   /* "a bool" */
    rs_jr_free(&d);
}

static void test_numbers(void **state)
{
    (void)state;
    rs_jr_doc d;
    rs_err err;
    uint64_t u;
    int64_t i;
    double x;
    assert_int_equal(parse(&d, "[18446744073709551615, -9223372036854775808, 9223372036854775807, 1.5e3, -0, "
                               "18446744073709551616, 1.5, -1, 0.000001]",
                           &err),
                     RS_OK);
    uint32_t n = rs_jr_first(&d, 0);
    assert_int_equal(rs_jr_u64(&d, n, "n", &u, &err), RS_OK);
    assert_true(u == UINT64_MAX);                             /* exact, not through a double */
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_i64(&d, n, "n", &i, &err), RS_OK);
    assert_true(i == INT64_MIN);
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_i64(&d, n, "n", &i, &err), RS_OK);
    assert_true(i == INT64_MAX);
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_double(&d, n, "n", &x, &err), RS_OK);
    assert_true(x == 1500.0);
    assert_int_equal(rs_jr_u64(&d, n, "n", &u, &err), RS_E_SYNTAX);   /* exponent: not an integer */
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_i64(&d, n, "n", &i, &err), RS_OK);
    assert_true(i == 0);
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_u64(&d, n, "big", &u, &err), RS_E_SYNTAX);   /* 2^64 */
    assert_string_equal(err.field, "big");
    assert_int_equal(err.offset, rs_jr_offset(&d, n));
    assert_int_equal(rs_jr_i64(&d, n, "big", &i, &err), RS_E_SYNTAX);
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_u64(&d, n, "n", &u, &err), RS_E_SYNTAX);     /* 1.5 */
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_u64(&d, n, "n", &u, &err), RS_E_SYNTAX);     /* -1 */
    assert_int_equal(rs_jr_i64(&d, n, "n", &i, &err), RS_OK);
    assert_true(i == -1);
    n = rs_jr_next(&d, n);
    assert_int_equal(rs_jr_double(&d, n, "n", &x, &err), RS_OK);
    assert_true(x == 0.000001);
    assert_int_equal(rs_jr_u64(&d, 0, "arr", &u, &err), RS_E_SYNTAX);  /* an array is not a number */
    rs_jr_free(&d);
}

static void test_strings(void **state)
{
    (void)state;
    rs_jr_doc d;
    rs_err err;
    char buf[64];
    size_t n;
    /* escapes, a BMP character, a surrogate pair, raw UTF-8 */
    const char *text = "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u4e2d\\ud83d\\ude9a\", \"\xc2\xa7" "7\", \"\\u0000\"]";
    assert_int_equal(parse(&d, text, &err), RS_OK);
    uint32_t s = rs_jr_first(&d, 0);
    assert_int_equal(rs_jr_str(&d, s, "s", buf, sizeof buf, &n, &err), RS_OK);
    assert_string_equal(buf, "a\"b\\c/d\b\f\n\r\t");
    assert_int_equal(n, 12);
    s = rs_jr_next(&d, s);
    assert_int_equal(rs_jr_str(&d, s, "s", buf, sizeof buf, &n, &err), RS_OK);
    assert_string_equal(buf, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x9a\x9a");
    assert_true(rs_jr_str_eq(&d, s, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x9a\x9a"));
    s = rs_jr_next(&d, s);
    assert_int_equal(rs_jr_str(&d, s, "s", buf, 3, &n, &err), RS_E_SPACE);   /* "§7" needs 4 bytes */
    assert_int_equal(err.got, 4);
    assert_int_equal(rs_jr_str(&d, s, "s", buf, 4, &n, &err), RS_OK);
    assert_string_equal(buf, "\xc2\xa7" "7");
    s = rs_jr_next(&d, s);
    assert_int_equal(rs_jr_str(&d, s, "s", buf, sizeof buf, &n, &err), RS_E_SYNTAX);   /* \u0000 */
    assert_int_equal(rs_jr_str(&d, 0, "s", buf, sizeof buf, &n, &err), RS_E_SYNTAX);   /* not a string */
    rs_jr_free(&d);
    /* keys with escapes are found by their unescaped text */
    assert_int_equal(parse(&d, "{\"k\\u0065y\": 5}", &err), RS_OK);
    assert_int_not_equal(rs_jr_get(&d, 0, "key"), RS_JR_NONE);
    rs_jr_free(&d);
}

/* text fails with code at the offset of the first occurrence of 'at'
 * (or at the end when at is NULL). */
static void expect_error(const char *text, rs_code code, const char *at)
{
    rs_jr_doc d;
    rs_err err;
    memset(&err, 0, sizeof err);
    rs_code rc = parse(&d, text, &err);
    rs_jr_free(&d);
    size_t want = at ? (size_t)(strstr(text, at) - text) : strlen(text);
    if (rc != code || err.offset != want) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        print_message("'%s': rc %d (want %d), %s (want offset %zu)\n", text, rc, code, msg, want);
        fail();
    }
    assert_non_null(err.rule);
}

static void test_strict_rules(void **state)
{
    (void)state;
    expect_error("", RS_E_SYNTAX, NULL);
    expect_error("   ", RS_E_SYNTAX, NULL);
    expect_error("[1,2,]", RS_E_SYNTAX, "]");                    /* trailing comma */
    expect_error("{\"a\":1,}", RS_E_SYNTAX, "}");
    expect_error("[01]", RS_E_SYNTAX, "1]");                     /* leading zero */
    expect_error("[1.]", RS_E_SYNTAX, "]");
    expect_error("[1e]", RS_E_SYNTAX, "]");
    expect_error("[-]", RS_E_SYNTAX, "]");
    expect_error("[+1]", RS_E_SYNTAX, "+");
    expect_error("[NaN]", RS_E_SYNTAX, "N");
    expect_error("['a']", RS_E_SYNTAX, "'");
    expect_error("[1] // c", RS_E_SYNTAX, "/");                   /* comments, text after the value */
    expect_error("[1] [2]", RS_E_SYNTAX, "[2]");
    expect_error("{\"a\" 1}", RS_E_SYNTAX, "1}");                /* missing colon */
    expect_error("{a:1}", RS_E_SYNTAX, "a");                      /* unquoted key */
    expect_error("{\"a\":1,\"b\":2,\"a\":3}", RS_E_SYNTAX, "\"a\":3");   /* duplicate key */
    expect_error("[\"abc", RS_E_SYNTAX, "\"abc");                 /* unterminated string */
    expect_error("[\"a\tb\"]", RS_E_SYNTAX, "\tb");               /* raw control character */
    expect_error("[\"a\xff\"]", RS_E_SYNTAX, "\xff");             /* not UTF-8 */
    expect_error("[\"\xc0\x80\"]", RS_E_SYNTAX, "\xc0");          /* overlong */
    expect_error("[\"\\x\"]", RS_E_SYNTAX, "x\"");                /* unknown escape */
    expect_error("[\"\\u12G4\"]", RS_E_SYNTAX, "\\u");
    expect_error("[\"\\ud800\"]", RS_E_SYNTAX, "\\u");           /* lone high surrogate */
    expect_error("[\"\\udc00\"]", RS_E_SYNTAX, "\\u");           /* lone low surrogate */
    expect_error("[tru]", RS_E_SYNTAX, "tru");
    expect_error("[1 2]", RS_E_SYNTAX, "2]");
    expect_error("[1\x00]", RS_E_SYNTAX, NULL);                   /* strlen stops: "[1" */
}

static void test_limits(void **state)
{
    (void)state;
    rs_jr_doc d;
    rs_err err;
    /* nesting: 64 levels pass, 65 do not */
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = '\0';
    assert_int_equal(parse(&d, deep, &err), RS_OK);
    assert_int_equal(d.n, 64);
    rs_jr_free(&d);
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    assert_int_equal(parse(&d, deep, &err), RS_E_LIMIT);
    assert_int_equal(err.offset, 64);
    rs_jr_free(&d);

    /* caller-owned nodes: the limit is the array */
    rs_jr_node nodes[4];
    assert_int_equal(rs_jr_parse(&d, "[1,2,3]", 7, nodes, 4, &err), RS_OK);
    assert_int_equal(d.n, 4);
    assert_int_equal(rs_jr_parse(&d, "[1,2,3,4]", 9, nodes, 4, &err), RS_E_LIMIT);
    assert_int_equal(err.offset, 7);

    /* growing: many nodes, bounded by max_nodes */
    enum { N = 5000 };
    char *big = malloc(2 * N + 2);
    assert_non_null(big);
    big[0] = '[';
    for (int i = 0; i < N; i++) {
        big[1 + 2 * i] = '7';
        big[2 + 2 * i] = i + 1 < N ? ',' : ']';
    }
    big[2 * N + 1] = '\0';
    assert_int_equal(rs_jr_parse_alloc(&d, big, strlen(big), N + 1, &err), RS_OK);
    assert_int_equal(rs_jr_count(&d, 0), N);
    assert_true(d.cap <= N + 1);
    rs_jr_free(&d);
    assert_int_equal(rs_jr_parse_alloc(&d, big, strlen(big), N, &err), RS_E_LIMIT);
    rs_jr_free(&d);
    free(big);

    /* object members are limited, so duplicate checks stay bounded */
    size_t cap = (RS_JR_MAX_MEMBERS + 2) * 16u;
    char *obj = malloc(cap);
    assert_non_null(obj);
    size_t at = 0;
    obj[at++] = '{';
    for (int i = 0; i <= RS_JR_MAX_MEMBERS; i++)
        at += (size_t)snprintf(obj + at, cap - at, "%s\"k%d\":0", i ? "," : "", i);
    obj[at++] = '}';
    obj[at] = '\0';
    assert_int_equal(rs_jr_parse_alloc(&d, obj, at, 100000, &err), RS_E_LIMIT);
    rs_jr_free(&d);
    free(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_navigation),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_strict_rules),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
