/* Frames from text lines: plain hex, log columns, spaced hex, comments,
 * errors with their column. */
#include "testutil.h"

#include "remsim/hexline.h"

static rs_code parse(const char *line, uint8_t *out, size_t cap, rs_hexline *res, rs_err *err)
{
    return rs_hexline_parse(line, strlen(line), out, cap, res, err);
}

static void test_plain(void **state)
{
    (void)state;
    uint8_t out[16];
    rs_hexline res;
    assert_int_equal(parse("2323010aFF\n", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 5);
    assert_int_equal(res.col, 0);
    assert_memory_equal(out, "\x23\x23\x01\x0a\xff", 5);
    assert_int_equal(parse("  7E7E\r\n", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 2);
    assert_int_equal(res.col, 2);
    /* A single byte pair is a (very short) frame, not spaced hex. */
    assert_int_equal(parse("23", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 1);
}

static void test_columns(void **state)
{
    (void)state;
    uint8_t out[16];
    rs_hexline res;
    /* fleet log: virtual-time VIN HEX */
    assert_int_equal(parse("12.500 LTESTGB10A0000001 23230102", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 4);
    assert_int_equal(res.col, 25);
    assert_memory_equal(out, "\x23\x23\x01\x02", 4);
    /* endpoint log: receive-time peer VIN HEX, tabs, a numeric first column */
    assert_int_equal(parse("1716172200\t127.0.0.1:5000\tLTESTGB10A0000001\tABCD\n", out, sizeof out,
                           &res, NULL), RS_OK);
    assert_int_equal(res.n, 2);
    assert_memory_equal(out, "\xab\xcd", 2);
    /* Columns that happen to be byte pairs do not make the line spaced hex
     * when the last token is longer. */
    assert_int_equal(parse("01 02 232301", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 3);
    assert_int_equal(res.col, 6);
}

static void test_spaced(void **state)
{
    (void)state;
    uint8_t out[16];
    rs_hexline res;
    assert_int_equal(parse("23 23 01  4c\t54 ", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 5);
    assert_int_equal(res.col, 0);
    assert_memory_equal(out, "\x23\x23\x01\x4c\x54", 5);
    assert_int_equal(parse(" 7e 7e # trailing comment", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 2);
    assert_int_equal(res.col, 1);
}

static void test_skipped(void **state)
{
    (void)state;
    uint8_t out[16];
    rs_hexline res;
    const char *lines[] = { "", "\n", "   \t \r\n", "# a comment", "   # indented 2323", "#2323" };
    for (unsigned i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        res.n = 99;
        assert_int_equal(parse(lines[i], out, sizeof out, &res, NULL), RS_OK);
        assert_int_equal(res.n, 0);
    }
    /* '#' inside a token is text, a '#' token starts a comment */
    assert_int_equal(parse("peer#1 2323 #note", out, sizeof out, &res, NULL), RS_OK);
    assert_int_equal(res.n, 2);
}

static void test_errors(void **state)
{
    (void)state;
    uint8_t out[4];
    rs_hexline res;
    rs_err err;

    assert_int_equal(parse("232", out, sizeof out, &res, &err), RS_E_SYNTAX);
    assert_int_equal(err.offset, 0);
    assert_int_equal(err.got, 3);
    assert_non_null(strstr(err.rule, "even"));

    assert_int_equal(parse("12.5 VIN 23G3", out, sizeof out, &res, &err), RS_E_SYNTAX);
    assert_int_equal(err.code, RS_E_SYNTAX);
    assert_int_equal(err.offset, 11);
    assert_int_equal(err.got, 'G');
    assert_string_equal(err.field, "hex");
    assert_non_null(strstr(err.rule, "hex digits"));

    /* "0x" is not accepted: the 'x' is named */
    assert_int_equal(parse("0x2323", out, sizeof out, &res, &err), RS_E_SYNTAX);
    assert_int_equal(err.offset, 1);

    /* spaced hex with one bad pair: the last token decides */
    assert_int_equal(parse("23 23 0g", out, sizeof out, &res, &err), RS_E_SYNTAX);
    assert_int_equal(err.offset, 7);

    /* a NUL byte in the line is a bad digit, not an end */
    assert_int_equal(rs_hexline_parse("23\0" "3", 4, out, sizeof out, &res, &err), RS_E_SYNTAX);
    assert_int_equal(err.offset, 2);
    assert_int_equal(err.got, 0);

    /* longer than the buffer, both forms */
    assert_int_equal(parse("x 0102030405", out, sizeof out, &res, &err), RS_E_LENGTH);
    assert_int_equal(err.got, 5);
    assert_int_equal(err.want, 4);
    assert_int_equal(parse("01 02 03 04 05", out, sizeof out, &res, &err), RS_E_LENGTH);
    assert_int_equal(err.got, 5);

    /* the message names the column and the rule */
    char msg[256];
    assert_int_equal(parse("12.5 VIN 23G3", out, sizeof out, &res, &err), RS_E_SYNTAX);
    rs_err_format(&err, msg, sizeof msg);
    assert_non_null(strstr(msg, "byte 11"));
    assert_non_null(strstr(msg, "hex digits"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_spaced),
        cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
