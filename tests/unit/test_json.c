/* The JSON writer: escaping, numbers, nesting, layout, errors. */
#include "testutil.h"

#include <math.h>

#include "remsim/json.h"

/* The writer finished cleanly and produced exactly want. */
static void expect_text(const char *want, char *buf, rs_json *j)
{
    rs_err err;
    assert_int_equal(rs_json_status(j, &err), RS_OK);
    assert_string_equal(buf, want);
    assert_int_equal(rs_json_len(j), strlen(want));
}

static void test_escapes(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_arr_begin(&j);
    rs_json_str(&j, "a\"b\\c/d");
    rs_json_str(&j, "\b\f\n\r\t\x01\x1f\x7f");
    rs_json_str(&j, NULL);
    rs_json_arr_end(&j);
    expect_text("[\"a\\\"b\\\\c/d\",\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\",null]", buf, &j);
}

static void test_utf8_text(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_arr_begin(&j);
    rs_json_str(&j, "\xC2\xA7" "7.4 \xE8\xBD\xA6\xE9\x80\x9F \xF0\x9F\x9A\x9A");  /* valid: kept */
    rs_json_str(&j, "x\xC2y");            /* truncated sequence */
    rs_json_str(&j, "\xC0\x80");          /* overlong NUL */
    rs_json_str(&j, "\xED\xA0\x80");      /* surrogate */
    rs_json_str(&j, "\xF4\x90\x80\x80");  /* above U+10FFFF */
    rs_json_str(&j, "\xFF");
    rs_json_arr_end(&j);
    expect_text("[\"\xC2\xA7" "7.4 \xE8\xBD\xA6\xE9\x80\x9F \xF0\x9F\x9A\x9A\","
                "\"x\\u00c2y\",\"\\u00c0\\u0080\",\"\\u00ed\\u00a0\\u0080\","
                "\"\\u00f4\\u0090\\u0080\\u0080\",\"\\u00ff\"]", buf, &j);
}

static void test_frame_bytes(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    /* Frame strings are not UTF-8: even a valid-looking sequence is escaped
     * byte by byte so the exact bytes come back. */
    static const uint8_t cvn[] = { 'T', 'Z', 0x00, 0xC2, 0xA7, 0x80, 0xFF, '"', 0x7E };
    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_bytes(&j, cvn, sizeof cvn);
    expect_text("\"TZ\\u0000\\u00c2\\u00a7\\u0080\\u00ff\\\"~\"", buf, &j);
    for (const char *p = buf; *p; p++)
        assert_true((unsigned char)*p < 0x80);
}

static void test_hex(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    uint8_t big[100];
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_obj_begin(&j);
    rs_json_khex(&j, "a", (const uint8_t *)"\x23\x23\x01\xab", 4);
    rs_json_khex(&j, "empty", NULL, 0);
    rs_json_khex(&j, "big", big, sizeof big);  /* longer than one chunk */
    rs_json_obj_end(&j);
    assert_int_equal(rs_json_status(&j, NULL), RS_OK);
    assert_memory_equal(buf, "{\"a\":\"232301AB\",\"empty\":\"\",\"big\":\"00070E151C", 44);
    assert_int_equal(strlen(buf), 34 + 200 + 2);
    assert_string_equal(buf + strlen(buf) - 4, "B5\"}");  /* 99 * 7 = 693 = 0x2B5 */
}

static void test_numbers(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_arr_begin(&j);
    rs_json_double(&j, 65.5, 8);          /* speed at 1/256 km/h */
    rs_json_double(&j, 100.0, 1);
    rs_json_double(&j, 116.397128, 6);
    rs_json_double(&j, 0.1 + 0.2, 2);     /* binary noise rounded away */
    rs_json_double(&j, -273.0 + 0.03125, 5);
    rs_json_double(&j, -0.0001, 2);       /* no "-0" */
    rs_json_double(&j, 2.5, 0);
    rs_json_double(&j, 12345.6, 1);
    rs_json_double(&j, NAN, 2);
    rs_json_double(&j, INFINITY, 2);
    rs_json_double(&j, 1e20, 2);          /* exponent form, still a JSON number */
    rs_json_double(&j, 1.5, -3);          /* decimals clamped to 0 */
    rs_json_int(&j, -9223372036854775807LL - 1);
    rs_json_uint(&j, 18446744073709551615ULL);
    rs_json_bool(&j, true);
    rs_json_bool(&j, false);
    rs_json_null(&j);
    rs_json_arr_end(&j);
    expect_text("[65.5,100,116.397128,0.3,-272.96875,0,2,12345.6,null,null,1e+20,2,"
                "-9223372036854775808,18446744073709551615,true,false,null]", buf, &j);
}

static void build_nested(rs_json *j)
{
    rs_json_obj_begin(j);
    rs_json_kbool(j, "ok", true);
    rs_json_key(j, "items");
    rs_json_arr_begin(j);
    rs_json_obj_begin(j);
    rs_json_kint(j, "type", 2);
    rs_json_key(j, "empty_obj");
    rs_json_obj_begin(j);
    rs_json_obj_end(j);
    rs_json_obj_end(j);
    rs_json_int(j, 7);
    rs_json_arr_begin(j);
    rs_json_arr_end(j);
    rs_json_arr_end(j);
    rs_json_kstr(j, "k", "v");
    rs_json_obj_end(j);
}

static void test_compact_and_pretty(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    rs_json_init_buf(&j, buf, sizeof buf, false);
    build_nested(&j);
    expect_text("{\"ok\":true,\"items\":[{\"type\":2,\"empty_obj\":{}},7,[]],\"k\":\"v\"}", buf, &j);

    rs_json_init_buf(&j, buf, sizeof buf, true);
    build_nested(&j);
    expect_text("{\n"
                "  \"ok\": true,\n"
                "  \"items\": [\n"
                "    {\n"
                "      \"type\": 2,\n"
                "      \"empty_obj\": {}\n"
                "    },\n"
                "    7,\n"
                "    []\n"
                "  ],\n"
                "  \"k\": \"v\"\n"
                "}", buf, &j);
}

static void test_json_lines(void **state)
{
    (void)state;
    char buf[512];
    rs_json j;
    rs_json_init_buf(&j, buf, sizeof buf, false);
    for (int i = 0; i < 3; i++) {
        rs_json_obj_begin(&j);
        rs_json_kint(&j, "n", i);
        rs_json_obj_end(&j);
        rs_json_newline(&j);
    }
    expect_text("{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n", buf, &j);
}

static void test_buffer_too_small(void **state)
{
    (void)state;
    char buf[16];
    rs_json j;
    rs_err err;
    memset(buf, 'X', sizeof buf);
    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_arr_begin(&j);
    rs_json_str(&j, "abcdef");            /* [ "abcdef" -> 9 bytes so far */
    rs_json_str(&j, "\x01\x02");          /* ,"\u0001 would need 15 + 6 > 15 */
    rs_json_arr_end(&j);
    assert_int_equal(rs_json_status(&j, &err), RS_E_SPACE);
    assert_int_equal(err.code, RS_E_SPACE);
    assert_int_equal(err.got, (long long)strlen("[\"abcdef\",\"\\u0001\\u0002\"]") + 1);
    assert_int_equal(err.want, 16);
    /* Cut at a chunk boundary, never inside the escape, and terminated. */
    assert_string_equal(buf, "[\"abcdef\",\"");

    /* No room at all: nothing written, size still reported. */
    rs_json_init_buf(&j, NULL, 0, false);
    rs_json_int(&j, 12345);
    assert_int_equal(rs_json_status(&j, &err), RS_E_SPACE);
    assert_int_equal(err.got, 6);

    /* Exactly enough room: text plus NUL. */
    rs_json_init_buf(&j, buf, 6, false);
    rs_json_int(&j, 12345);
    assert_int_equal(rs_json_status(&j, NULL), RS_OK);
    assert_string_equal(buf, "12345");
    rs_json_init_buf(&j, buf, 5, false);
    rs_json_int(&j, 12345);
    assert_int_equal(rs_json_status(&j, NULL), RS_E_SPACE);
    assert_string_equal(buf, "");
}

static void test_misuse(void **state)
{
    (void)state;
    char buf[64];
    rs_json j;
    rs_err err;

    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_obj_begin(&j);
    rs_json_int(&j, 1);                   /* value without key */
    assert_int_equal(rs_json_status(&j, &err), RS_E_SYNTAX);

    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_arr_begin(&j);
    rs_json_key(&j, "k");                 /* key in an array */
    assert_int_equal(rs_json_status(&j, NULL), RS_E_SYNTAX);

    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_arr_begin(&j);
    rs_json_obj_end(&j);                  /* mismatched end */
    assert_int_equal(rs_json_status(&j, NULL), RS_E_SYNTAX);

    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_obj_begin(&j);
    rs_json_key(&j, "k");
    rs_json_obj_end(&j);                  /* key without value */
    assert_int_equal(rs_json_status(&j, NULL), RS_E_SYNTAX);

    rs_json_init_buf(&j, buf, sizeof buf, false);
    rs_json_int(&j, 1);
    rs_json_int(&j, 2);                   /* two top-level values run together */
    assert_int_equal(rs_json_status(&j, NULL), RS_E_SYNTAX);
    assert_string_equal(buf, "1");

    rs_json_init_buf(&j, buf, sizeof buf, false);
    for (int i = 0; i < RS_JSON_MAX_DEPTH + 1; i++)
        rs_json_arr_begin(&j);
    assert_int_equal(rs_json_status(&j, &err), RS_E_LIMIT);
    assert_int_equal(strlen(buf), RS_JSON_MAX_DEPTH);
}

static void test_file(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    rs_json j;
    rs_json_init_file(&j, f, true);
    rs_json_obj_begin(&j);
    rs_json_kbytes(&j, "vin", (const uint8_t *)"LTESTGB10A0000001", 17);
    rs_json_obj_end(&j);
    rs_json_newline(&j);
    assert_int_equal(rs_json_status(&j, NULL), RS_OK);
    fclose(f);
    assert_string_equal(text, "{\n  \"vin\": \"LTESTGB10A0000001\"\n}\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8_text),
        cmocka_unit_test(test_frame_bytes),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_compact_and_pretty),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
