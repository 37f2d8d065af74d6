/* candump reader and writer (candump.h): every line type of §6.1 from
 * inline text, errors with their columns, write -> read round trips, and
 * the shared traces (counts, backwards timestamps, first and last frames). */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "remsim/can.h"
#include "remsim/candump.h"

/* Text is copied into a buffer of exactly its length (no NUL), so ASan
 * catches any read past the end of the input. */
typedef struct src {
    rs_can_port *p;
    char *text;
} src;

static src open_text(const char *s, unsigned opts)
{
    src r;
    size_t n = strlen(s);
    r.text = malloc(n ? n : 1);
    assert_non_null(r.text);
    memcpy(r.text, s, n);
    rs_err err;
    r.p = rs_candump_open_mem(r.text, n, opts, &err);
    assert_non_null(r.p);
    return r;
}

static void src_close(src *s)
{
    rs_can_close(s->p);
    free(s->text);
}

static rs_can_frame read_ok(rs_can_port *p)
{
    rs_can_frame f;
    rs_err err;
    memset(&f, 0xAA, sizeof f);
    rs_can_status st = rs_can_read(p, &f, &err);
    if (st == RS_CAN_ERROR) {
        char msg[512];
        rs_candump_err_format(p, &err, msg, sizeof msg);
        print_message("unexpected error: %s\n", msg);
    }
    assert_int_equal(st, RS_CAN_OK);
    return f;
}

static void expect_end(rs_can_port *p)
{
    rs_can_frame f;
    rs_err err;
    assert_int_equal(rs_can_read(p, &f, &err), RS_CAN_END);
    assert_int_equal(rs_can_read(p, &f, &err), RS_CAN_END);
}

static void test_extended_frame(void **state)
{
    (void)state;
    src s = open_text("(1635188455.029900) can0 0CF00400#607D84481400F084\n", 0);
    rs_can_frame f = read_ok(s.p);
    assert_true(f.ts_us == 1635188455029900ull);
    assert_int_equal(f.id, 0x0CF00400);
    assert_int_equal(f.flags, RS_CAN_EXT);
    assert_int_equal(f.len, 8);
    const uint8_t want[8] = { 0x60, 0x7D, 0x84, 0x48, 0x14, 0x00, 0xF0, 0x84 };
    assert_memory_equal(f.data, want, 8);
    assert_string_equal(rs_can_iface_name(&s.p->ifaces, f.iface), "can0");
    assert_int_equal(rs_candump_line(s.p), 1);
    expect_end(s.p);
    src_close(&s);
}

static void test_standard_and_relative(void **state)
{
    (void)state;
    /* Relative stamps, 1..9 fraction digits, lower-case hex, no final newline. */
    src s = open_text("(0.5) vcan0 123#deadBEEF\n"
                      "(12.0000015) vcan0 7FF#\n"
                      "(3) vcan0 000#00", 0);
    rs_can_frame f = read_ok(s.p);
    assert_true(f.ts_us == 500000);
    assert_int_equal(f.id, 0x123);
    assert_int_equal(f.flags, 0);
    assert_int_equal(f.len, 4);
    assert_int_equal(f.data[0], 0xDE);
    assert_int_equal(f.data[3], 0xEF);
    assert_int_equal(f.data[4], 0);   /* bytes past len are zero, not stale */
    f = read_ok(s.p);
    assert_true(f.ts_us == 12000001);   /* digits past the sixth dropped */
    assert_int_equal(f.id, 0x7FF);
    assert_int_equal(f.len, 0);
    f = read_ok(s.p);
    assert_true(f.ts_us == 3000000);
    assert_int_equal(f.len, 1);
    expect_end(s.p);
    src_close(&s);
}

static void test_eff_by_length(void **state)
{
    (void)state;
    src s = open_text("(1.000000) can0 00000123#11\n(1.000001) can0 123#11\n", 0);
    rs_can_frame f = read_ok(s.p);
    assert_int_equal(f.id, 0x123);
    assert_int_equal(f.flags, RS_CAN_EXT);   /* 8 digits: extended although the value fits 11 bits */
    f = read_ok(s.p);
    assert_int_equal(f.id, 0x123);
    assert_int_equal(f.flags, 0);
    src_close(&s);
}

static void test_remote_frames(void **state)
{
    (void)state;
    src s = open_text("(1.0) can0 123#R\n"
                      "(1.0) can0 123#R5\n"
                      "(1.0) can0 1ABCDEF0#r\n"
                      "(1.0) can0 123#R8_9\n", 0);
    rs_can_frame f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_RTR);
    assert_int_equal(f.len, 0);
    f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_RTR);
    assert_int_equal(f.len, 5);
    assert_int_equal(f.data[0], 0);
    f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_RTR | RS_CAN_EXT);
    assert_int_equal(f.id, 0x1ABCDEF0);
    f = read_ok(s.p);
    assert_int_equal(f.len, 8);
    expect_end(s.p);
    src_close(&s);
}

static void test_error_frame(void **state)
{
    (void)state;
    src s = open_text("(1.0) can0 20000080#0000000000000000\n"
                      "(1.0) can0 20000004#0004000000000000\n", 0);
    rs_can_frame f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_ERR);
    assert_int_equal(f.id, 0x80);   /* error class (bus error) */
    assert_int_equal(f.len, 8);
    f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_ERR);
    assert_int_equal(f.id, 0x04);   /* controller problem */
    assert_int_equal(f.data[1], 0x04);
    src_close(&s);
}

static void test_fd_skipped_by_default(void **state)
{
    (void)state;
    const char *text = "(1.0) can0 123##1112233\n"
                       "(1.0) can0 18FEF100##100102030405060708090A0B0\n"
                       "(2.0) can0 456#01\n";
    src s = open_text(text, 0);
    rs_can_frame f = read_ok(s.p);
    assert_int_equal(f.id, 0x456);   /* both FD lines skipped */
    expect_end(s.p);
    const rs_candump_stats *st = rs_candump_stats_of(s.p);
    assert_int_equal(st->fd_skipped, 2);
    assert_int_equal(st->frames, 1);
    assert_int_equal(st->lines, 3);
    assert_int_equal(st->bad_lines, 0);
    src_close(&s);

    s = open_text(text, RS_CANDUMP_KEEP_FD);
    f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_FD);
    assert_int_equal(f.len, 3);
    assert_int_equal(f.data[0], 0x11);
    assert_int_equal(f.data[2], 0x33);
    f = read_ok(s.p);
    assert_int_equal(f.flags, RS_CAN_FD | RS_CAN_EXT);
    assert_int_equal(f.len, 8);      /* 12 bytes, first 8 kept */
    assert_int_equal(f.data[7], 0x70);
    f = read_ok(s.p);
    assert_int_equal(f.id, 0x456);
    st = rs_candump_stats_of(s.p);
    assert_int_equal(st->fd_truncated, 1);
    assert_int_equal(st->fd_skipped, 0);
    src_close(&s);
}

static void test_tolerated_variants(void **state)
{
    (void)state;
    src s = open_text("\n"
                      "   \t\n"
                      "(1.000000) can0 123#1122334455667788_C\n"          /* len8_dlc */
                      "(1.000001)\tcan1\t\t18FEF100#01 R extra tokens\n"  /* tabs, trailing tokens */
                      "(1.000002) can0 123#11.22.33\r\n"                  /* cansend dots, CRLF */
                      "  (1.000003) can1 321#\n", 0);
    rs_can_frame f = read_ok(s.p);
    assert_int_equal(f.len, 8);
    assert_int_equal(f.data[7], 0x88);
    assert_int_equal(rs_candump_line(s.p), 3);
    f = read_ok(s.p);
    assert_int_equal(f.id, 0x18FEF100);
    assert_int_equal(f.len, 1);
    assert_string_equal(rs_can_iface_name(&s.p->ifaces, f.iface), "can1");
    assert_int_equal(f.iface, 1);
    f = read_ok(s.p);
    assert_int_equal(f.len, 3);
    assert_int_equal(f.data[2], 0x33);
    assert_int_equal(f.iface, 0);
    f = read_ok(s.p);
    assert_int_equal(f.iface, 1);
    assert_int_equal(s.p->ifaces.count, 2);
    expect_end(s.p);
    assert_int_equal(rs_candump_stats_of(s.p)->bad_lines, 0);
    src_close(&s);
}

static void test_backwards_timestamps(void **state)
{
    (void)state;
    src s = open_text("(10.000300) can0 123#\n"
                      "(10.000400) can0 123#\n"
                      "(10.000100) can0 123#\n"   /* 300 us back, line 3 */
                      "(10.000200) can0 123#\n"
                      "(10.000150) can0 123#\n",  /* 50 us back */
                      0);
    uint64_t ts[5];
    for (int i = 0; i < 5; i++)
        ts[i] = read_ok(s.p).ts_us;
    assert_true(ts[2] == 10000100);   /* returned as written, not clamped */
    expect_end(s.p);
    const rs_candump_stats *st = rs_candump_stats_of(s.p);
    assert_int_equal(st->backwards, 2);
    assert_int_equal(st->first_backwards_line, 3);
    assert_int_equal(st->max_backwards_us, 300);
    src_close(&s);
}

typedef struct bad_case {
    const char *line;
    const char *field;
    unsigned column;
} bad_case;

static const bad_case bad_cases[] = {
    { "1635188455.029900) can0 123#11", "timestamp", 1 },
    { "(x) can0 123#11", "timestamp", 2 },
    { "(1.) can0 123#11", "timestamp", 4 },
    { "(1.0 can0 123#11", "timestamp", 5 },
    { "(1234567890123.0) can0 123#11", "timestamp", 14 },
    { "(1.0)can0 123#11", "interface", 6 },
    { "(1.0) ", "interface", 7 },
    { "(1.0) averyveryverylongname 123#11", "interface", 7 },
    { "(1.0) ca\x01n0 123#11", "interface", 9 },
    { "(1.0) can\xC3\xA9" "0 123#11", "interface", 10 },
    { "(1.0) can0", "can_id", 11 },
    { "(1.0) can0 ", "can_id", 12 },
    { "(1.0) can0 1234#11", "can_id", 12 },
    { "(1.0) can0 123456789#11", "can_id", 12 },
    { "(1.0) can0 800#11", "can_id", 12 },
    { "(1.0) can0 C0000000#11", "can_id", 12 },
    { "(1.0) can0 123", "can_id", 15 },
    { "(1.0) can0 123 #11", "can_id", 15 },
    { "(1.0) can0 12X#11", "can_id", 14 },
    { "(1.0) can0 123#1G", "data", 17 },
    { "(1.0) can0 123#11x", "data", 18 },
    { "(1.0) can0 123#112", "data", 18 },
    { "(1.0) can0 123#112 R", "data", 18 },
    { "(1.0) can0 123#112233445566778899", "data", 32 },
    { "(1.0) can0 123#R9", "dlc", 17 },
    { "(1.0) can0 123#R2x", "data", 18 },
    { "(1.0) can0 123#11_9", "dlc", 18 },
    { "(1.0) can0 123#1122334455667788_3", "dlc", 33 },
    { "(1.0) can0 123#1122334455667788_", "dlc", 33 },
    { "(1.0) can0 123##G", "fd_flags", 17 },
    { "(1.0) can0 20000080#R", "data", 21 },
    { "(1.0) can0 20000080##0", "data", 21 },
};

static void test_errors_name_the_column(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        /* A good line after the bad one: the reader must continue there. */
        char text[256];
        snprintf(text, sizeof text, "%s\n(2.0) can0 321#AB\n", c->line);
        src s = open_text(text, 0);
        rs_can_frame f;
        rs_err err;
        memset(&err, 0, sizeof err);
        rs_can_status st = rs_can_read(s.p, &f, &err);
        char msg[512];
        rs_candump_err_format(s.p, &err, msg, sizeof msg);
        if (st != RS_CAN_ERROR || strcmp(err.field, c->field) != 0 || err.offset != c->column)
            print_message("case %zu '%s': status %s, got '%s'\n", i, c->line, rs_can_status_name(st),
                          msg);
        assert_int_equal(st, RS_CAN_ERROR);
        assert_int_equal(err.code, RS_E_SYNTAX);
        assert_string_equal(err.field, c->field);
        assert_int_equal(err.offset, c->column);
        assert_non_null(err.rule);
        char where[32];
        snprintf(where, sizeof where, "memory:1:%u: ", c->column);
        assert_non_null(strstr(msg, where));
        f = read_ok(s.p);
        assert_int_equal(f.id, 0x321);
        assert_int_equal(rs_candump_line(s.p), 2);
        expect_end(s.p);
        const rs_candump_stats *stats = rs_candump_stats_of(s.p);
        assert_int_equal(stats->bad_lines, 1);
        assert_int_equal(stats->frames, 1);
        src_close(&s);
    }
}

static void test_interface_table_full(void **state)
{
    (void)state;
    char text[64 * 40];
    size_t n = 0;
    for (int i = 0; i <= RS_CAN_MAX_IFACES; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "(1.0) vcan%d 123#\n", i);
    src s = open_text(text, 0);
    for (int i = 0; i < RS_CAN_MAX_IFACES; i++)
        assert_int_equal(read_ok(s.p).iface, i);
    rs_can_frame f;
    rs_err err;
    assert_int_equal(rs_can_read(s.p, &f, &err), RS_CAN_ERROR);
    assert_int_equal(err.code, RS_E_LIMIT);
    assert_string_equal(err.field, "interface");
    expect_end(s.p);
    src_close(&s);
}

static void test_format_exact(void **state)
{
    (void)state;
    char buf[RS_CANDUMP_LINE_MAX];
    rs_can_frame f = { .ts_us = 1635188455029900ull, .id = 0x0CF00400, .flags = RS_CAN_EXT, .len = 8,
                       .data = { 0x60, 0x7D, 0x84, 0x48, 0x14, 0x00, 0xF0, 0x84 } };
    assert_int_equal(rs_candump_format(&f, "can0", buf, sizeof buf), 51);
    assert_string_equal(buf, "(1635188455.029900) can0 0CF00400#607D84481400F084\n");
    rs_can_frame r = { .ts_us = 500000, .id = 0x123, .flags = RS_CAN_RTR, .len = 0 };
    rs_candump_format(&r, "vcan0", buf, sizeof buf);
    assert_string_equal(buf, "(0000000000.500000) vcan0 123#R\n");
    r.len = 3;
    rs_candump_format(&r, "vcan0", buf, sizeof buf);
    assert_string_equal(buf, "(0000000000.500000) vcan0 123#R3\n");
    rs_can_frame e = { .ts_us = 1, .id = 0x80, .flags = RS_CAN_ERR, .len = 8 };
    rs_candump_format(&e, "can1", buf, sizeof buf);
    assert_string_equal(buf, "(0000000000.000001) can1 20000080#0000000000000000\n");
    rs_can_frame d = { .ts_us = 2000000, .id = 0x7FF, .flags = RS_CAN_FD, .len = 2, .data = { 1, 2 } };
    rs_candump_format(&d, "can0", buf, sizeof buf);
    assert_string_equal(buf, "(0000000002.000000) can0 7FF##00102\n");
    rs_can_frame s = { .ts_us = 0, .id = 0x1, .flags = 0, .len = 0 };
    rs_candump_format(&s, "can0", buf, sizeof buf);
    assert_string_equal(buf, "(0000000000.000000) can0 001#\n");
    /* Refused: too small a buffer, 11-bit id above 7FF, bad names. */
    assert_int_equal(rs_candump_format(&f, "can0", buf, 51), 0);
    assert_int_equal(rs_candump_format(&f, "can0", buf, 52), 51);
    s.id = 0x800;
    assert_int_equal(rs_candump_format(&s, "can0", buf, sizeof buf), 0);
    assert_int_equal(rs_candump_format(&f, "", buf, sizeof buf), 0);
    assert_int_equal(rs_candump_format(&f, "abcdefghijklmnop", buf, sizeof buf), 0);
}

static const rs_can_frame round_trip_frames[] = {
    { .ts_us = 1635188455020850ull, .id = 0x18F00E00, .flags = RS_CAN_EXT, .len = 8,
      .data = { 0x82, 0x16, 0x39, 0xC4, 0xFF, 0xFF, 0xFF, 0xFF } },
    { .ts_us = 1635188455020851ull, .id = 0x009, .flags = 0, .len = 3, .data = { 1, 2, 3 }, .iface = 1 },
    { .ts_us = 1635188455020852ull, .id = 0x123, .flags = RS_CAN_RTR, .len = 0 },
    { .ts_us = 1635188455020853ull, .id = 0x1FFFFFFF, .flags = RS_CAN_RTR | RS_CAN_EXT, .len = 8 },
    { .ts_us = 1635188455020854ull, .id = 0x000, .flags = 0, .len = 0, .iface = 1 },
    { .ts_us = 12, .id = 0x00000004, .flags = RS_CAN_ERR, .len = 8, .data = { 0, 4, 0, 0, 0, 0, 0, 0 } },
    { .ts_us = 13, .id = 0x00000123, .flags = RS_CAN_EXT, .len = 1, .data = { 0xAB } },
    { .ts_us = 14, .id = 0x7FF, .flags = RS_CAN_FD, .len = 8, .data = { 9, 8, 7, 6, 5, 4, 3, 2 } },
};

static void test_round_trip_file(void **state)
{
    (void)state;
    char path[] = "/tmp/remsim-candump-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rs_err err;
    rs_can_port *w = rs_candump_writer_fd(fd, true, "can0", &err);
    assert_non_null(w);
    assert_int_equal(rs_can_iface_intern(&w->ifaces, "vcan12", 6), 1);
    size_t n = sizeof round_trip_frames / sizeof round_trip_frames[0];
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rs_can_write(w, &round_trip_frames[i], &err), RS_CAN_OK);
    /* A frame naming an interface the writer does not know is refused. */
    rs_can_frame bad = round_trip_frames[0];
    bad.iface = 7;
    assert_int_equal(rs_can_write(w, &bad, &err), RS_CAN_ERROR);
    assert_int_equal(err.code, RS_E_VALUE);
    bad.iface = 0;
    bad.flags = 0;   /* 29-bit value without RS_CAN_EXT */
    assert_int_equal(rs_can_write(w, &bad, &err), RS_CAN_ERROR);
    assert_string_equal(err.field, "id");
    /* A writer cannot be read. */
    rs_can_frame f;
    assert_int_equal(rs_can_read(w, &f, &err), RS_CAN_ERROR);
    assert_int_equal(err.code, RS_E_OPTION);
    assert_int_equal(rs_candump_flush(w, &err), RS_OK);
    rs_can_close(w);

    rs_can_port *r = rs_candump_open(path, RS_CANDUMP_KEEP_FD, &err);
    assert_non_null(r);
    assert_int_equal(r->write, NULL);
    for (size_t i = 0; i < n; i++) {
        f = read_ok(r);
        const rs_can_frame *want = &round_trip_frames[i];
        assert_true(f.ts_us == want->ts_us);
        assert_int_equal(f.id, want->id);
        assert_int_equal(f.flags, want->flags);
        assert_int_equal(f.len, want->len);
        if (!(want->flags & RS_CAN_RTR))
            assert_memory_equal(f.data, want->data, want->len);
        assert_string_equal(rs_can_iface_name(&r->ifaces, f.iface), want->iface ? "vcan12" : "can0");
    }
    expect_end(r);
    assert_int_equal(rs_candump_stats_of(r)->backwards, 1);   /* 1635...854 -> 12 */
    rs_can_close(r);
    unlink(path);
}

/* A reader copies names to a writer through tx_names: frames keep theirs. */
static void test_copy_with_tx_names(void **state)
{
    (void)state;
    src s = open_text("(1.0) can7 123#01\n(2.0) vcan3 456#02\n", 0);
    char path[] = "/tmp/remsim-candump-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    rs_err err;
    rs_can_port *w = rs_candump_writer_fd(fd, true, NULL, &err);
    assert_non_null(w);
    w->tx_names = &s.p->ifaces;
    rs_can_frame f;
    while (rs_can_read(s.p, &f, &err) == RS_CAN_OK)
        assert_int_equal(rs_can_write(w, &f, &err), RS_CAN_OK);
    rs_can_close(w);
    size_t len = 0;
    char *out = (char *)rs_test_read_file(path, &len);
    assert_non_null(out);
    assert_string_equal(out, "(0000000001.000000) can7 123#01\n(0000000002.000000) vcan3 456#02\n");
    free(out);
    unlink(path);
    src_close(&s);
}

/* A line longer than the read buffer is one error; the next line is read. */
static void test_overlong_line(void **state)
{
    (void)state;
    char path[] = "/tmp/remsim-candump-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs("(1.0) can0 111#\n(1.0) can0 123#", fp);
    for (unsigned i = 0; i < RS_CANDUMP_READ_BUF + 5000; i++)
        fputc('A', fp);
    fputs("\n(2.0) can0 222#\n", fp);
    fclose(fp);
    rs_err err;
    rs_can_port *r = rs_candump_open(path, 0, &err);
    assert_non_null(r);
    assert_int_equal(read_ok(r).id, 0x111);
    rs_can_frame f;
    assert_int_equal(rs_can_read(r, &f, &err), RS_CAN_ERROR);
    assert_string_equal(err.field, "line");
    assert_int_equal(rs_candump_line(r), 2);
    f = read_ok(r);
    assert_int_equal(f.id, 0x222);
    assert_int_equal(rs_candump_line(r), 3);
    expect_end(r);
    assert_int_equal(rs_candump_stats_of(r)->lines, 3);
    rs_can_close(r);
    unlink(path);
}

static void put(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* A pipe (stdin in the CLI): a partial line is RS_CAN_AGAIN on a
 * non-blocking fd, the rest completes it, closing the writer ends it. */
static void test_pipe_partial_lines(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    rs_err err;
    rs_can_port *p = rs_candump_open_fd(fds[0], true, "stdin", 0, &err);
    assert_non_null(p);
    assert_int_equal(p->fd, fds[0]);
    rs_can_frame f;
    assert_int_equal(rs_can_read(p, &f, &err), RS_CAN_AGAIN);
    put(fds[1], "(1.5) can0 12");
    assert_int_equal(rs_can_read(p, &f, &err), RS_CAN_AGAIN);
    put(fds[1], "3#AB\n(2.0) can0 1");
    assert_int_equal(rs_can_read(p, &f, &err), RS_CAN_OK);
    assert_int_equal(f.id, 0x123);
    assert_int_equal(f.data[0], 0xAB);
    assert_int_equal(rs_can_read(p, &f, &err), RS_CAN_AGAIN);
    put(fds[1], "23#");
    close(fds[1]);   /* the last line has no newline: EOF completes it */
    f = read_ok(p);
    assert_int_equal(f.id, 0x123);
    assert_true(f.ts_us == 2000000);
    expect_end(p);
    char msg[256];
    rs_err e = { .code = RS_E_SYNTAX, .offset = 4, .field = "can_id", .rule = "r" };
    rs_candump_err_format(p, &e, msg, sizeof msg);
    assert_non_null(strstr(msg, "stdin:2:4: "));
    rs_can_close(p);
}

static void test_open_missing_file(void **state)
{
    (void)state;
    rs_err err;
    assert_null(rs_candump_open("/nonexistent/remsim.log", 0, &err));
    assert_int_equal(err.code, RS_E_IO);
    assert_int_equal(err.got, ENOENT);
}

/* Random printable junk and mutated good lines: never a crash, and every
 * line is accounted for as a frame, a skip or an error. */
static void test_junk_never_crashes(void **state)
{
    (void)state;
    static const char alphabet[] = "()#.R_rx 0123456789ABCDEFabcdefG\t\r\n";
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        char text[300];
        size_t n = 0;
        if (round % 2)
            n = (size_t)snprintf(text, sizeof text, "(1635188455.029900) can0 0CF00400#607D84481400F084");
        size_t total = 40 + (size_t)(round % 200);
        while (n < total && n < sizeof text - 1) {
            seed = seed * 1103515245u + 12345u;
            char c = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
            if (round % 2 && n > 0 && ((seed >> 8) & 3) == 0)
                text[(seed >> 4) % n] = c;   /* mutate the good prefix */
            else
                text[n++] = c;
        }
        text[n] = '\0';
        src s = open_text(text, round % 3 == 0 ? RS_CANDUMP_KEEP_FD : 0);
        rs_can_frame f;
        rs_err err;
        rs_can_status st;
        int guard = 0;
        while ((st = rs_can_read(s.p, &f, &err)) != RS_CAN_END) {
            assert_true(st == RS_CAN_OK || st == RS_CAN_ERROR);
            if (st == RS_CAN_OK)
                assert_true(f.len <= 8);
            assert_true(++guard < 1000);
        }
        const rs_candump_stats *stats = rs_candump_stats_of(s.p);
        assert_true(stats->frames + stats->bad_lines <= stats->lines);
        src_close(&s);
    }
}

/* ---- shared traces ---- */

/* First and last non-empty lines of a file, without the newline. */
static void first_last_lines(const char *text, size_t len, char *first, char *last, size_t cap)
{
    const char *nl = memchr(text, '\n', len);
    size_t n = nl ? (size_t)(nl - text) : len;
    snprintf(first, cap, "%.*s", (int)n, text);
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(last, cap, "%.*s", (int)(end - start), text + start);
}

static void check_trace(const char *path, uint64_t want_frames, bool want_backwards)
{
    size_t len = 0;
    char *text = (char *)rs_test_read_file(path, &len);
    assert_non_null(text);
    rs_err err;
    /* Through a file (buffer refills across 256 KiB boundaries) and from
     * memory: both must give the same frames. */
    rs_can_port *pf = rs_candump_open(path, 0, &err);
    rs_can_port *pm = rs_candump_open_mem(text, len, 0, &err);
    assert_non_null(pf);
    assert_non_null(pm);
    rs_can_frame a, b, first = { 0 }, last = { 0 };
    uint64_t n = 0;
    for (;;) {
        rs_can_status sa = rs_can_read(pf, &a, &err);
        rs_can_status sb = rs_can_read(pm, &b, &err);
        assert_int_equal(sa, sb);
        if (sa == RS_CAN_END)
            break;
        assert_int_equal(sa, RS_CAN_OK);
        /* Field by field: struct padding is not part of a frame. */
        assert_true(a.ts_us == b.ts_us);
        assert_int_equal(a.id, b.id);
        assert_int_equal(a.flags, b.flags);
        assert_int_equal(a.len, b.len);
        assert_int_equal(a.iface, b.iface);
        assert_memory_equal(a.data, b.data, sizeof a.data);
        if (n++ == 0)
            first = a;
        last = a;
    }
    assert_true(n == want_frames);
    const rs_candump_stats *st = rs_candump_stats_of(pf);
    assert_true(st->frames == want_frames);
    assert_true(st->lines == want_frames);
    assert_int_equal(st->bad_lines, 0);
    assert_int_equal(st->fd_skipped, 0);
    if (want_backwards) {
        assert_true(st->backwards > 0);
        assert_true(st->first_backwards_line > 1);
        assert_true(st->max_backwards_us > 0);
        print_message("%s: %llu backwards timestamps, first at line %llu, largest %llu us\n", path,
                      (unsigned long long)st->backwards, (unsigned long long)st->first_backwards_line,
                      (unsigned long long)st->max_backwards_us);
    } else {
        assert_int_equal(st->backwards, 0);
    }
    /* The traces are canonical candump -l text: our writer's line for the
     * first and last frames is the file's text. */
    char want_first[256], want_last[256], got[RS_CANDUMP_LINE_MAX];
    first_last_lines(text, len, want_first, want_last, sizeof want_first);
    strcat(want_first, "\n");
    strcat(want_last, "\n");
    assert_true(rs_candump_format(&first, rs_can_iface_name(&pf->ifaces, first.iface), got, sizeof got) > 0);
    assert_string_equal(got, want_first);
    assert_true(rs_candump_format(&last, rs_can_iface_name(&pf->ifaces, last.iface), got, sizeof got) > 0);
    assert_string_equal(got, want_last);
    rs_can_close(pf);
    rs_can_close(pm);
    free(text);
}

static void test_trace_truck_idle(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, "traces/css-electronics/truck_idle_2021-10-25.candump");
    check_trace(path, 57849, false);
}

static void test_trace_engine_off(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, "traces/css-electronics/truck_engine_off_vin_2021-06-01.candump");
    check_trace(path, 1815, false);
}

static void test_trace_j1939_840(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, "traces/eti-j1939-84/j1939_840.candump");
    check_trace(path, 2645, true);
}

/* The idle trace has a GNSS module on can1: both names interned, in order. */
static void test_trace_two_interfaces(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, "traces/css-electronics/truck_idle_2021-10-25.candump");
    rs_err err;
    rs_can_port *p = rs_candump_open(path, 0, &err);
    assert_non_null(p);
    rs_can_frame f;
    uint64_t per[2] = { 0, 0 };
    while (rs_can_read(p, &f, &err) == RS_CAN_OK) {
        assert_true(f.iface < 2);
        per[f.iface]++;
    }
    assert_int_equal(p->ifaces.count, 2);
    assert_string_equal(p->ifaces.name[0], "can0");
    assert_string_equal(p->ifaces.name[1], "can1");
    assert_true(per[0] == 45571);   /* README: 45 571 J1939 frames on can0 */
    assert_true(per[1] == 12278);
    rs_can_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extended_frame),
        cmocka_unit_test(test_standard_and_relative),
        cmocka_unit_test(test_eff_by_length),
        cmocka_unit_test(test_remote_frames),
        cmocka_unit_test(test_error_frame),
        cmocka_unit_test(test_fd_skipped_by_default),
        cmocka_unit_test(test_tolerated_variants),
        cmocka_unit_test(test_backwards_timestamps),
        cmocka_unit_test(test_errors_name_the_column),
        cmocka_unit_test(test_interface_table_full),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_round_trip_file),
        cmocka_unit_test(test_copy_with_tx_names),
        cmocka_unit_test(test_overlong_line),
        cmocka_unit_test(test_pipe_partial_lines),
        cmocka_unit_test(test_open_missing_file),
        cmocka_unit_test(test_junk_never_crashes),
        cmocka_unit_test(test_trace_truck_idle),
        cmocka_unit_test(test_trace_engine_off),
        cmocka_unit_test(test_trace_j1939_840),
        cmocka_unit_test(test_trace_two_interfaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
