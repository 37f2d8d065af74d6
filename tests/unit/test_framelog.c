/* The frame log (framelog.h): line format, what hexline (remsim decode)
 * makes of it, the reader, flush timing, errors, and whole lines when
 * several processes append to one file. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remsim/framelog.h"
#include "remsim/hexline.h"

static const uint8_t VIN[17] = "LTESTGB10A0000001";
static const uint8_t FRAME[] = { 0x23, 0x23, 0x05, 'L', 'T', 'E', 'S', 'T', 'G', 'B', '1', '0', 'A',
                                 '0',  '0',  '0',  '0', '0', '0', '1', 0x01, 0x01, 0x00, 0x00, 0x2B };

static char *temp_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/remsim-test-framelog-XXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
    return buf;
}

static char *slurp(const char *path)
{
    size_t n;
    uint8_t *p = rs_test_read_file(path, &n);
    assert_non_null(p);
    return (char *)p;
}

static void test_time_and_vin_text(void **state)
{
    (void)state;
    char t[RS_FRAMELOG_TIME_LEN + 1];
    rs_framelog_time(1795334400123, t);
    assert_string_equal(t, "2026-11-22T08:00:00.123Z");
    rs_framelog_time(946684799999, t);
    assert_string_equal(t, "1999-12-31T23:59:59.999Z");
    rs_framelog_time(0, t);
    assert_string_equal(t, "1970-01-01T00:00:00.000Z");

    char v[18];
    rs_framelog_vin_text(VIN, v);
    assert_string_equal(v, "LTESTGB10A0000001");
    static const uint8_t plat[17] = "123456789";      /* GB/T 32960 platform id, 0x00-padded */
    rs_framelog_vin_text(plat, v);
    assert_string_equal(v, "123456789");
    static const uint8_t spaced[17] = "LTEST GB10A000001";
    rs_framelog_vin_text(spaced, v);
    assert_string_equal(v, "-");
    static const uint8_t zero[17] = { 0 };
    rs_framelog_vin_text(zero, v);
    assert_string_equal(v, "-");
    rs_framelog_vin_text(NULL, v);
    assert_string_equal(v, "-");
}

static void test_lines_written_and_read_back(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    rs_framelog w;
    rs_err err;
    assert_int_equal(rs_framelog_open(&w, path, false, 1024, &err), RS_OK);
    int64_t t0 = 1795334400123;
    assert_int_equal(rs_framelog_event(&w, t0, "10.0.0.7:40312", NULL, "open", NULL), RS_OK);
    assert_int_equal(rs_framelog_frame(&w, t0, "10.0.0.7:40312", VIN, FRAME, sizeof FRAME), RS_OK);
    rs_err bad;
    rs_fail(&bad, RS_E_BCC, 24, "bcc", "BCC is the XOR (§3.1)", 0x2C, 0x2B, RS_NUM_HEX);
    uint8_t broken[sizeof FRAME];
    memcpy(broken, FRAME, sizeof FRAME);
    broken[24] = 0x2C;
    assert_int_equal(rs_framelog_reject(&w, t0 + 1, "[::1]:9000", VIN, &bad, true, broken, sizeof broken), RS_OK);
    rs_fail(&bad, RS_E_START, 7, "stream", "bytes before the start", 5, 0, RS_NUM_GOT_ONLY);
    assert_int_equal(rs_framelog_reject(&w, t0 + 2, "10.0.0.7:40312", NULL, &bad, false, NULL, 0), RS_OK);
    assert_int_equal(rs_framelog_event(&w, t0 + 1002, "10.0.0.7:40312", VIN, "close", "idle"), RS_OK);
    assert_int_equal(rs_framelog_comment(&w, "two\nlines"), RS_OK);
    assert_int_equal(w.lines, 6);
    assert_int_equal(rs_framelog_close(&w, &err), RS_OK);

    char *text = slurp(path);
    const char *want =
        "# 2026-11-22T08:00:00.123Z 10.0.0.7:40312 - open -\n"
        "2026-11-22T08:00:00.123Z 10.0.0.7:40312 LTESTGB10A0000001 "
        "2323054C54455354474231304130303030303031010100002B\n";
    assert_memory_equal(text, want, strlen(want));

    /* Line by line: the reader gets every column back, hexline (what
     * remsim decode uses) finds the frame only on frame lines. */
    uint8_t out[256];
    rs_framelog_rec rec;
    unsigned kinds[8] = { 0 }, n = 0;
    for (char *line = text; *line; n++) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        size_t len = (size_t)(end - line);
        assert_int_equal(rs_framelog_parse(line, len, out, sizeof out, &rec, &err), RS_OK);
        kinds[n] = rec.kind;
        rs_hexline hl;
        uint8_t hb[256];
        assert_int_equal(rs_hexline_parse(line, len, hb, sizeof hb, &hl, &err), RS_OK);
        if (rec.kind == RS_FRAMELOG_FRAME) {
            assert_int_equal(rec.time_ms, t0);
            assert_string_equal(rec.peer, "10.0.0.7:40312");
            assert_true(rec.has_vin);
            assert_memory_equal(rec.vin, VIN, 17);
            assert_int_equal(rec.n, sizeof FRAME);
            assert_memory_equal(out, FRAME, sizeof FRAME);
            assert_int_equal(hl.n, sizeof FRAME);
            assert_memory_equal(hb, FRAME, sizeof FRAME);
        } else {
            assert_int_equal(hl.n, 0); /* a comment: decoders skip it */
        }
        if (rec.kind == RS_FRAMELOG_REJECT && rec.in_frame) {
            assert_int_equal(rec.time_ms, t0 + 1);
            assert_string_equal(rec.peer, "[::1]:9000");
            assert_string_equal(rec.reason, "bcc");
            assert_int_equal(rec.offset, 24);
            assert_int_equal(rec.n, sizeof broken);
            assert_memory_equal(out, broken, sizeof broken);
            assert_true(rec.message_len > 10 && memmem(rec.message, rec.message_len, "BCC", 3));
        } else if (rec.kind == RS_FRAMELOG_REJECT) {
            assert_string_equal(rec.reason, "start");
            assert_int_equal(rec.offset, 7);
            assert_false(rec.has_vin);
            assert_int_equal(rec.n, 0);
        }
        if (rec.kind == RS_FRAMELOG_EVENT && !strcmp(rec.event, "close")) {
            assert_string_equal(rec.reason, "idle");
            assert_int_equal(rec.time_ms, t0 + 1002);
            assert_true(rec.has_vin);
        }
        line = end + 1;
    }
    assert_int_equal(n, 6);
    static const unsigned want_kinds[6] = { RS_FRAMELOG_EVENT, RS_FRAMELOG_FRAME, RS_FRAMELOG_REJECT,
                                            RS_FRAMELOG_REJECT, RS_FRAMELOG_EVENT, RS_FRAMELOG_COMMENT };
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(kinds[i], want_kinds[i]);
    assert_non_null(strstr(text, "# two lines\n"));
    free(text);
    unlink(path);
}

static void test_parse_errors(void **state)
{
    (void)state;
    uint8_t out[8];
    rs_framelog_rec rec;
    rs_err err;
    const char *l;
    l = "2026-11-22 08:00:00 10.0.0.1:1 VIN 2323";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, "time");
    l = "2026-11-22T08:00:00.000Z 10.0.0.1:1 LTESTGB10A0000001";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, "hex");
    l = "2026-11-22T08:00:00.000Z 10.0.0.1:1 LTESTGB10A00000011 2323";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, "vin");
    l = "2026-11-22T08:00:00.000Z 10.0.0.1:1 - 23Z3";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_E_SYNTAX);
    assert_int_equal(err.offset, strlen("2026-11-22T08:00:00.000Z 10.0.0.1:1 - 23"));
    l = "2026-11-22T08:00:00.000Z 10.0.0.1:1 - 232323232323232323";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_E_LENGTH);
    l = "2026-11-22T08:00:00.000Z 10.0.0.1:1 - 2323 extra";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_E_SYNTAX);
    /* a short id: padded with 0x00 as the header had it */
    l = "2026-11-22T08:00:00.000Z 10.0.0.1:1 123456789 2323\r\n";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_OK);
    static const uint8_t plat[17] = "123456789";
    assert_memory_equal(rec.vin, plat, 17);
    assert_int_equal(rec.n, 2);
    /* blank and free comments */
    l = "   \n";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_OK);
    assert_int_equal(rec.kind, RS_FRAMELOG_BLANK);
    l = "# started by hand";
    assert_int_equal(rs_framelog_parse(l, strlen(l), out, sizeof out, &rec, &err), RS_OK);
    assert_int_equal(rec.kind, RS_FRAMELOG_COMMENT);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void test_flush_timing(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    rs_framelog w;
    assert_int_equal(rs_framelog_open(&w, path, true, 64, NULL), RS_OK);
    assert_int_equal(w.cap, RS_FRAMELOG_MIN_BUF);
    assert_int_equal(rs_framelog_tick(&w, 10000), RS_OK);
    rs_framelog_frame(&w, 0, "1.2.3.4:5", VIN, FRAME, sizeof FRAME);
    assert_int_equal(rs_framelog_tick(&w, 10999), RS_OK);
    assert_int_equal(file_size(path), 0);         /* less than a second: still buffered */
    assert_int_equal(rs_framelog_tick(&w, 11000), RS_OK);
    off_t one = file_size(path);
    assert_true(one > 0);
    assert_int_equal(w.flushes, 1);
    assert_int_equal(w.bytes, (uint64_t)one);
    rs_framelog_frame(&w, 0, "1.2.3.4:5", VIN, FRAME, sizeof FRAME);
    assert_int_equal(rs_framelog_tick(&w, 11500), RS_OK);
    assert_int_equal(file_size(path), one);
    assert_int_equal(rs_framelog_close(&w, NULL), RS_OK); /* the close flushes */
    assert_int_equal(file_size(path), 2 * one);
    /* a full buffer flushes by itself */
    assert_int_equal(rs_framelog_open(&w, path, false, 64, NULL), RS_OK);
    unsigned lines = 0;
    while (w.flushes == 0) {
        rs_framelog_frame(&w, 0, "1.2.3.4:5", VIN, FRAME, sizeof FRAME);
        lines++;
    }
    assert_true(lines > 100);
    assert_int_equal(file_size(path), (off_t)(2 + lines - 1) * one);
    rs_framelog_close(&w, NULL);
    unlink(path);
}

static void test_long_lines_and_errors(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    rs_framelog w;
    /* the largest frame fits a buffer sized for it */
    size_t big = 65556;
    uint8_t *f = calloc(1, big);
    assert_non_null(f);
    f[0] = f[1] = 0x23;
    assert_int_equal(rs_framelog_open(&w, path, false, big, NULL), RS_OK);
    assert_int_equal(rs_framelog_frame(&w, 0, "p:1", NULL, f, big), RS_OK);
    assert_int_equal(rs_framelog_close(&w, NULL), RS_OK);
    assert_true(file_size(path) > (off_t)(2 * big));
    /* a frame longer than the buffer was sized for: counted, not written */
    assert_int_equal(rs_framelog_open(&w, path, false, 1024, NULL), RS_OK);
    assert_int_equal(rs_framelog_frame(&w, 0, "p:1", NULL, f, big), RS_E_IO);
    assert_int_equal(w.errors, 1);
    rs_framelog_close(&w, NULL);
    free(f);
    /* writes that fail are counted, with errno */
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(rs_framelog_init_fd(&w, fd, false, 64, NULL), RS_OK);
    rs_framelog_frame(&w, 0, "p:1", VIN, FRAME, sizeof FRAME);
    assert_int_equal(rs_framelog_flush(&w), RS_E_IO);
    assert_int_equal(w.errors, 1);
    assert_int_equal(w.last_errno, EBADF);
    assert_int_equal(w.len, 0);
    rs_err err;
    assert_int_equal(rs_framelog_close(&w, &err), RS_OK); /* nothing left to write */
    assert_int_equal(fcntl(fd, F_GETFD), 0);              /* the caller's fd stays open */
    close(fd);
    /* a file that cannot be opened */
    assert_int_equal(rs_framelog_open(&w, "/nonexistent-dir/x.log", false, 64, &err), RS_E_IO);
    assert_int_equal(err.got, ENOENT);
    unlink(path);
}

/* Several processes append to one O_APPEND file, flushing often: every
 * line must come out whole. */
static void test_shared_file_whole_lines(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    enum { WRITERS = 4, LINES = 3000 };
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    for (int k = 0; k < WRITERS; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            rs_framelog w;
            if (rs_framelog_init_fd(&w, fd, false, 64, NULL) != RS_OK)
                _exit(1);
            char peer[32];
            snprintf(peer, sizeof peer, "10.0.0.%d:%d", k + 1, 1000 + k);
            for (int i = 0; i < LINES; i++) {
                rs_framelog_frame(&w, (int64_t)i, peer, VIN, FRAME, sizeof FRAME);
                if (i % 97 == 0)
                    rs_framelog_flush(&w);
            }
            int rc = rs_framelog_close(&w, NULL) == RS_OK && w.errors == 0 ? 0 : 1;
            _exit(rc);
        }
    }
    for (int k = 0; k < WRITERS; k++) {
        int status;
        assert_true(wait(&status) > 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    close(fd);
    char *text = slurp(path);
    unsigned per[WRITERS] = { 0 }, total = 0;
    uint8_t out[64];
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        rs_framelog_rec rec;
        rs_err err;
        assert_int_equal(rs_framelog_parse(line, (size_t)(end - line), out, sizeof out, &rec, &err), RS_OK);
        assert_int_equal(rec.kind, RS_FRAMELOG_FRAME);
        assert_memory_equal(out, FRAME, sizeof FRAME);
        int who = rec.peer[7] - '1';
        assert_true(who >= 0 && who < WRITERS);
        /* a writer's own lines stay in order */
        assert_int_equal(rec.time_ms, (int64_t)per[who]);
        per[who]++;
        total++;
        line = end + 1;
    }
    assert_int_equal(total, WRITERS * LINES);
    free(text);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_and_vin_text),
        cmocka_unit_test(test_lines_written_and_read_back),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_flush_timing),
        cmocka_unit_test(test_long_lines_and_errors),
        cmocka_unit_test(test_shared_file_whole_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
