/* Stream reassembly (§3.5): frames out of arbitrary chunks, resync after
 * garbage, every byte accounted for (a frame or counted as skipped). */
#include <dirent.h>

#include "testutil.h"

#include "remsim/msg.h"
#include "remsim/reasm.h"

#define MAXV 64
typedef struct corpus {
    int n;
    uint8_t *frame[MAXV];
    size_t len[MAXV];
} corpus;

static int parse_hex(const uint8_t *t, size_t tl, uint8_t *out)
{
    int n = 0;
    for (size_t i = 0; i + 1 < tl && t[i] != '\n' && t[i] != '\r'; i += 2) {
        unsigned v;
        if (sscanf((const char *)t + i, "%2x", &v) != 1)
            return -1;
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* GB 17691 and HJ 1239 vectors (both read under the HJ profile, which
 * accepts ## and ~~), or the GB/T 32960 ones; the negative vector is left out. */
static void load_corpus(corpus *c, const char *dir, bool gb32960)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    c->n = 0;
    char names[MAXV][128];
    int nn = 0;
    while ((e = readdir(d)) && nn < MAXV) {
        if (!strstr(e->d_name, ".hex") || strstr(e->d_name, "bad-bcc"))
            continue;
        if ((strstr(e->d_name, "gb32960") != NULL) != gb32960)
            continue;
        if (strlen(e->d_name) >= 128)
            continue;
        memcpy(names[nn++], e->d_name, strlen(e->d_name) + 1);
    }
    closedir(d);
    qsort(names, (size_t)nn, 128, (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < nn; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%.1000s/%.127s", dir, names[i]);
        size_t tl = 0;
        uint8_t *t = rs_test_read_file(path, &tl);
        assert_non_null(t);
        c->frame[c->n] = malloc(tl / 2 + 1);
        int n = parse_hex(t, tl, c->frame[c->n]);
        free(t);
        assert_true(n >= 25);
        c->len[c->n++] = (size_t)n;
    }
}

static void free_corpus(corpus *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->frame[i]);
}

static uint8_t rbuf[RS_MAX_FRAME_LEN];

/* Feeds stream in chunks of the sizes given (cycled) and checks that exactly
 * the corpus frames come out, in order, and that skipped == garbage. */
static void run_stream(const rs_profile *p, const uint8_t *stream, size_t n, const size_t *chunks, int nchunks,
                       const corpus *c, uint64_t garbage)
{
    rs_reasm r;
    rs_reasm_init(&r, p, rbuf, sizeof rbuf);
    size_t pos = 0;
    int got = 0, ci = 0;
    for (;;) {
        const uint8_t *f;
        size_t fl;
        rs_err err;
        rs_reasm_event ev;
        while ((ev = rs_reasm_next(&r, &f, &fl, &err)) != RS_REASM_NEED_MORE) {
            if (ev == RS_REASM_FRAME) {
                assert_true(got < c->n);
                assert_int_equal(fl, c->len[got]);
                assert_memory_equal(f, c->frame[got], fl);
                got++;
            }
        }
        if (pos >= n)
            break;
        size_t want = chunks[ci++ % nchunks];
        while (want > 0 && pos < n) {
            size_t take = want < n - pos ? want : n - pos;
            size_t fed = rs_reasm_feed(&r, stream + pos, take);
            pos += fed;
            want -= fed;
            if (fed < take)
                break;
        }
    }
    rs_err err;
    assert_int_equal(rs_reasm_finish(&r, &err), RS_REASM_NEED_MORE);
    assert_int_equal(got, c->n);
    assert_int_equal(r.frames, (uint64_t)c->n);
    assert_int_equal(r.skipped, garbage);
    assert_int_equal(r.consumed, n);
}

static size_t concat(const corpus *c, uint8_t *out, const uint8_t *gap, size_t gap_len, uint64_t *garbage)
{
    size_t n = 0;
    *garbage = 0;
    for (int i = 0; i < c->n; i++) {
        if (gap_len)
            memcpy(out + n, gap, gap_len);
        n += gap_len;
        *garbage += gap_len;
        memcpy(out + n, c->frame[i], c->len[i]);
        n += c->len[i];
    }
    return n;
}

static void each_profile(void (*fn)(const rs_profile *, const corpus *))
{
    RS_REQUIRE_SHARED(dir, "spec/vectors");
    for (int gb32960 = 0; gb32960 <= 1; gb32960++) {
        corpus c;
        load_corpus(&c, dir, gb32960);
        assert_true(c.n >= 8);
        rs_profile p;
        rs_profile_init(&p, gb32960 ? RS_PROTO_GB32960 : RS_PROTO_HJ1239);
        fn(&p, &c);
        free_corpus(&c);
    }
}

static uint8_t stream[1 << 18];

static void one_byte_at_a_time(const rs_profile *p, const corpus *c)
{
    uint64_t g;
    size_t n = concat(c, stream, NULL, 0, &g);
    static const size_t one[] = { 1 };
    run_stream(p, stream, n, one, 1, c, 0);
}

static void test_every_vector_one_byte_at_a_time(void **s)
{
    (void)s;
    each_profile(one_byte_at_a_time);
}

static void all_in_one_buffer(const rs_profile *p, const corpus *c)
{
    uint64_t g;
    size_t n = concat(c, stream, NULL, 0, &g);
    size_t whole[] = { n };
    run_stream(p, stream, n, whole, 1, c, 0);
    /* and in odd chunk sizes that split headers, lengths and BCCs */
    static const size_t odd[] = { 3, 25, 1, 7, 200, 2, 24, 31, 1000 };
    run_stream(p, stream, n, odd, 9, c, 0);
}

static void test_all_vectors_concatenated(void **s)
{
    (void)s;
    each_profile(all_in_one_buffer);
}

static void with_garbage(const rs_profile *p, const corpus *c)
{
    /* Garbage that holds start bytes and a plausible header with a wrong BCC:
     * the parser must resync a byte at a time, not lose the next frame. */
    uint8_t gap[80];
    for (size_t i = 0; i < sizeof gap; i++)
        gap[i] = (uint8_t)(i * 37 + 11);
    gap[5] = gap[6] = 0x23;
    gap[20] = gap[21] = 0x7E;
    memset(gap + 40, 0x23, 2);
    gap[42] = 0x02;
    memset(gap + 43, 'A', 17);
    gap[60] = 0x01;
    gap[61] = 0x01;
    gap[62] = 0x00; /* length 5 ... */
    gap[63] = 0x05;
    gap[79] = 0x23; /* a lone start byte right before the real frame */
    uint64_t garbage;
    size_t n = concat(c, stream, gap, sizeof gap, &garbage);
    static const size_t chunks[] = { 13, 1, 64, 5 };
    run_stream(p, stream, n, chunks, 4, c, garbage);
}

static void test_vectors_with_garbage_between(void **s)
{
    (void)s;
    each_profile(with_garbage);
}

static void test_start_bytes_inside_data_do_not_split(void **s)
{
    (void)s;
    /* A login whose ICCID holds "##": one frame, not two. */
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    rs_msg m;
    rs_msg_init(&m, &p, RS_MSG_LOGIN, (const uint8_t *)"LTESTGB10A0000001");
    m.u.login.time = (rs_time){ 24, 5, 20, 8, 0, 0 };
    m.u.login.serial = 0x2323;
    memcpy(m.u.login.iccid, "8986##23232323##2345", 20);
    uint8_t f[64];
    size_t fl;
    rs_err err;
    assert_int_equal(rs_msg_encode(&p, &m, f, sizeof f, &fl, &err), RS_OK);
    corpus c = { 1, { f }, { fl } };
    static const size_t chunks[] = { 1 };
    run_stream(&p, f, fl, chunks, 1, &c, 0);
}

static void test_oversized_length_is_rejected_and_counted(void **s)
{
    (void)s;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB17691);
    uint8_t small[64];
    rs_reasm r;
    rs_reasm_init(&r, &p, small, sizeof small);
    uint8_t hdr[24] = { 0x23, 0x23, 0x02 };
    memset(hdr + 3, 'A', 17);
    hdr[20] = 1;
    hdr[21] = 1;
    hdr[22] = 0x01; /* 256 bytes: more than this receiver holds */
    assert_int_equal(rs_reasm_feed(&r, hdr, sizeof hdr), sizeof hdr);
    const uint8_t *f;
    size_t fl;
    rs_err err;
    assert_int_equal(rs_reasm_next(&r, &f, &fl, &err), RS_REASM_ERROR);
    assert_int_equal(err.code, RS_E_HEADER);
    assert_int_equal(err.offset, 22);
    assert_int_equal(r.rejected, 1);
    while (rs_reasm_next(&r, &f, &fl, &err) != RS_REASM_NEED_MORE)
        ;
    assert_int_equal(r.skipped, 24);
}

static void test_truncated_stream_is_reported(void **s)
{
    (void)s;
    RS_REQUIRE_SHARED(dir, "spec/vectors");
    corpus c;
    load_corpus(&c, dir, false);
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    rs_reasm r;
    rs_reasm_init(&r, &p, rbuf, sizeof rbuf);
    rs_reasm_feed(&r, c.frame[0], c.len[0] - 1);
    const uint8_t *f;
    size_t fl;
    rs_err err;
    assert_int_equal(rs_reasm_next(&r, &f, &fl, &err), RS_REASM_NEED_MORE);
    assert_int_equal(rs_reasm_finish(&r, &err), RS_REASM_ERROR);
    assert_int_equal(err.code, RS_E_SHORT);
    assert_int_equal(err.got, (long long)c.len[0] - 1);
    assert_int_equal(r.skipped, c.len[0] - 1);
    free_corpus(&c);
}

static void test_zero_copy_feeding(void **s)
{
    (void)s;
    RS_REQUIRE_SHARED(dir, "spec/vectors");
    corpus c;
    load_corpus(&c, dir, false);
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    rs_reasm r;
    rs_reasm_init(&r, &p, rbuf, sizeof rbuf);
    int got = 0;
    for (int i = 0; i < c.n; i++) {
        size_t room;
        uint8_t *dst = rs_reasm_space(&r, &room);
        assert_true(room >= c.len[i]);
        memcpy(dst, c.frame[i], c.len[i]);
        rs_reasm_commit(&r, c.len[i]);
        const uint8_t *f;
        size_t fl;
        rs_err err;
        while (rs_reasm_next(&r, &f, &fl, &err) == RS_REASM_FRAME) {
            assert_memory_equal(f, c.frame[got], fl);
            got++;
        }
    }
    assert_int_equal(got, c.n);
    assert_int_equal(r.coalesced, 0);
    free_corpus(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector_one_byte_at_a_time),
        cmocka_unit_test(test_all_vectors_concatenated),
        cmocka_unit_test(test_vectors_with_garbage_between),
        cmocka_unit_test(test_start_bytes_inside_data_do_not_split),
        cmocka_unit_test(test_oversized_length_is_rejected_and_counted),
        cmocka_unit_test(test_truncated_stream_is_reported),
        cmocka_unit_test(test_zero_copy_feeding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
