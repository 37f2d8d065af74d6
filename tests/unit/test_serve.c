/* The reference endpoint in-process (serve.h): workers on 127.0.0.1, a
 * kernel-chosen port, plain sockets on the test's side, frames from the
 * codec.  Answers, the frame log, per-VIN counts merged over workers,
 * duplicates, gateway mode, faults, and robustness: garbage, oversized
 * lengths, a slow drip, a flood with a peer that does not read, idle and
 * half-open connections, connection and rate limits. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>

#include "conformance/serve_int.h"
#include "remsim/framelog.h"
#include "remsim/msg.h"
#include "remsim/reasm.h"
#include "remsim/serve.h"

static rs_msg scratch, dec;

/* --- frames --- */

static const rs_time T0 = { 26, 11, 22, 16, 0, 0 }; /* GMT+8 */

static void vin_of(int k, uint8_t vin[17])
{
    char s[18];
    snprintf(s, sizeof s, "LTESTSRV0%08u", (unsigned)k % 100000000u);
    memcpy(vin, s, 17);
}

static rs_time plus(rs_time t, int64_t s) { return rs_time_from_unix(rs_time_to_unix(&t) + s); }

static size_t enc(const rs_profile *p, uint8_t *out, size_t cap)
{
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode(p, &scratch, out, cap, &len, &err), RS_OK);
    return len;
}

static size_t f_login(const rs_profile *p, const uint8_t *vin, uint16_t serial, uint8_t *out, size_t cap)
{
    rs_msg_init(&scratch, p, RS_MSG_LOGIN, vin);
    scratch.u.login.time = T0;
    scratch.u.login.serial = serial;
    memcpy(scratch.u.login.iccid, "89860123456789012345", RS_ICCID_LEN);
    return enc(p, out, cap);
}

static size_t f_logout(const rs_profile *p, const uint8_t *vin, uint16_t serial, uint8_t *out, size_t cap)
{
    rs_msg_init(&scratch, p, RS_MSG_LOGOUT, vin);
    scratch.u.logout.time = plus(T0, 3000);
    scratch.u.logout.serial = serial;
    return enc(p, out, cap);
}

static size_t f_timecal(const rs_profile *p, const uint8_t *vin, uint8_t *out, size_t cap)
{
    rs_msg_init(&scratch, p, RS_MSG_TIMECAL_REQ, vin);
    return enc(p, out, cap);
}

/* A report of n samples collected at T0 + first .. + first + n - 1. */
static size_t f_report(const rs_profile *p, const uint8_t *vin, uint8_t cmd, int first, int n, uint16_t serial,
                       uint8_t *out, size_t cap)
{
    rs_msg_init(&scratch, p, RS_MSG_REPORT, vin);
    scratch.frame.cmd = cmd;
    rs_report *r = &scratch.u.report;
    bool hj = p->proto == RS_PROTO_HJ1239;
    r->time = hj ? plus(T0, first + n) : plus(T0, first);
    r->serial = serial;
    rs_sample s;
    rs_sample_init(&s);
    s.v[RS_F_SPEED] = rs_val_ok(60);
    s.v[RS_F_RPM] = rs_val_ok(1200);
    for (int i = 0; i < n; i++) {
        rs_item_from_sample(&r->item[i], RS_INFO_STREAM_DIESEL, &s);
        r->item[i].serial = serial;
        r->item[i].collect = plus(T0, first + i);
    }
    r->n_items = (uint8_t)n;
    return enc(p, out, cap);
}

/* --- the endpoint --- */

typedef struct srv {
    rs_serve h;
    rs_serve_opts o;
    char log[64], summary[64];
} srv;

static void temp_name(char *buf, size_t cap, const char *what)
{
    snprintf(buf, cap, "/tmp/remsim-test-serve-%s-XXXXXX", what);
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
}

static void srv_opts(srv *s, rs_proto proto, unsigned workers)
{
    memset(s, 0, sizeof *s);
    rs_serve_opts_init(&s->o);
    rs_profile_init(&s->o.profile, proto);
    s->o.host = "127.0.0.1";
    s->o.workers = workers;
    s->o.stop_timeout = 20;
    temp_name(s->log, sizeof s->log, "log");
    temp_name(s->summary, sizeof s->summary, "sum");
    s->o.log_path = s->log;
    s->o.summary_path = s->summary;
}

/* Servers running, so a test that fails half-way does not leave its
 * workers to the next one (cleanup() runs after every test). */
static srv *live[4];

static void srv_start(srv *s)
{
    for (unsigned i = 0; i < 4; i++)
        if (!live[i]) {
            live[i] = s;
            break;
        }
    rs_err err;
    if (rs_serve_start(&s->o, &s->h, &err) != RS_OK) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        fail_msg("serve did not start: %s", msg);
    }
    assert_true(s->h.port > 0);
    assert_int_equal(s->h.workers, s->o.workers);
}

static const rs_serve_totals *srv_stop(srv *s)
{
    rs_err err;
    assert_int_equal(rs_serve_stop(&s->h, &err), RS_OK);
    assert_int_equal(rs_serve_worker_failures(&s->h), 0);
    return rs_serve_result(&s->h);
}

static void srv_free(srv *s)
{
    for (unsigned i = 0; i < 4; i++)
        if (live[i] == s)
            live[i] = NULL;
    rs_serve_free(&s->h);
    unlink(s->log);
    unlink(s->summary);
}

/* --- the client side --- */

/* rcvbuf > 0: the receive buffer, set before the connect (window scaling
 * is agreed in the handshake; shrinking it later stalls the stream). */
static int dial_buf(uint16_t port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static int dial(uint16_t port) { return dial_buf(port, 0); }

static void send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        assert_true(k > 0);
        p += k;
        n -= (size_t)k;
    }
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Reads answer frames until `want` arrived (with `closed`: until the peer
 * closed), or `secs` passed; returns how many; their bytes back to back in
 * out. */
static unsigned read_answers_for(int fd, unsigned want, const rs_profile *p, uint8_t *out, size_t cap,
                                 bool *closed, double secs)
{
    static uint8_t rb[4096];
    rs_reasm r;
    rs_reasm_init(&r, p, rb, sizeof rb);
    unsigned got = 0;
    size_t used = 0;
    double end = mono() + secs;
    if (closed)
        *closed = false;
    while (got < want || closed) {
        struct pollfd pf = { fd, POLLIN, 0 };
        int left = (int)((end - mono()) * 1000);
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            break;
        uint8_t buf[4096];
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0) {
            if (closed)
                *closed = true;
            break;
        }
        size_t off = 0;
        while (off < (size_t)k) {
            off += rs_reasm_feed(&r, buf + off, (size_t)k - off);
            const uint8_t *f;
            size_t len;
            rs_err err;
            rs_reasm_event ev;
            while ((ev = rs_reasm_next(&r, &f, &len, &err)) != RS_REASM_NEED_MORE) {
                assert_int_equal(ev, RS_REASM_FRAME);
                assert_true(used + len <= cap);
                memcpy(out + used, f, len);
                used += len;
                got++;
            }
        }
    }
    return got;
}

static unsigned read_answers(int fd, unsigned want, const rs_profile *p, uint8_t *out, size_t cap, bool *closed)
{
    return read_answers_for(fd, want, p, out, cap, closed, 5);
}

/* The peer closed within 5 s (recv returned 0 or an error). */
static bool closed_by_peer(int fd)
{
    double end = mono() + 5;
    for (;;) {
        struct pollfd pf = { fd, POLLIN, 0 };
        int left = (int)((end - mono()) * 1000);
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            return false;
        uint8_t b[512];
        ssize_t k = recv(fd, b, sizeof b, 0);
        if (k <= 0)
            return true;
    }
}

/* Frame lines of the log, per VIN text (or all with NULL), and the lines
 * whose text contains `needle`. */
static unsigned log_count(const char *path, const char *vin_text, rs_framelog_kind kind, const char *needle)
{
    size_t n;
    char *text = (char *)rs_test_read_file(path, &n);
    assert_non_null(text);
    unsigned count = 0;
    static uint8_t out[RS_MAX_FRAME_LEN];
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        rs_framelog_rec rec;
        rs_err err;
        assert_int_equal(rs_framelog_parse(line, (size_t)(end - line), out, sizeof out, &rec, &err), RS_OK);
        char vt[18];
        rs_framelog_vin_text(rec.has_vin ? rec.vin : NULL, vt);
        if (rec.kind == kind && (!vin_text || !strcmp(vt, vin_text)) &&
            (!needle || memmem(line, (size_t)(end - line), needle, strlen(needle))))
            count++;
        line = end + 1;
    }
    free(text);
    return count;
}

/* --- tests --- */

/* Four terminals, two workers: answers in echo mode, the log, the summary. */
static void test_session_answers_log_summary(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 2);
    s.o.answer.mode = RS_ANSWER_ECHO;
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    enum { N = 4 };
    int fd[N];
    uint8_t vin[N][17];
    uint8_t buf[4096];
    static uint8_t sent[N][4096];
    size_t sent_len[N];
    for (int k = 0; k < N; k++) {
        vin_of(k, vin[k]);
        fd[k] = dial(s.h.port);
        size_t n = 0;
        n += f_login(p, vin[k], 1, sent[k] + n, sizeof sent[k] - n);
        n += f_report(p, vin[k], RS_CMD_REALTIME, 0, 10, 1, sent[k] + n, sizeof sent[k] - n);
        n += f_report(p, vin[k], RS_CMD_REALTIME, 10, 10, 2, sent[k] + n, sizeof sent[k] - n);
        n += f_timecal(p, vin[k], sent[k] + n, sizeof sent[k] - n);
        n += f_logout(p, vin[k], 1, sent[k] + n, sizeof sent[k] - n);
        sent_len[k] = n;
        send_all(fd[k], sent[k], n);
    }
    for (int k = 0; k < N; k++) {
        unsigned got = read_answers(fd[k], 5, p, buf, sizeof buf, NULL);
        assert_int_equal(got, 5);
        static const uint8_t cmds[5] = { 1, 2, 2, 5, 4 };
        size_t off = 0, soff = 0;
        for (int i = 0; i < 5; i++) {
            assert_int_equal(rs_msg_decode(p, buf + off, 31, &dec, NULL), RS_OK);
            assert_int_equal(dec.frame.cmd, cmds[i]);
            assert_memory_equal(dec.frame.vin, vin[k], 17);
            assert_int_equal(dec.kind, i == 3 ? RS_MSG_TIMECAL_ANS : RS_MSG_ECHO);
            size_t flen = RS_FRAME_OVERHEAD + ((size_t)sent[k][soff + 22] << 8 | sent[k][soff + 23]);
            if (i != 3) /* an echo carries the request's time */
                assert_memory_equal(buf + off + 24, sent[k] + soff + 24, 6);
            off += 31;
            soff += flen;
        }
        assert_int_equal(soff, sent_len[k]);
        close(fd[k]);
    }
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->conn_accepted, N);
    assert_int_equal(t->conn_open, 0);
    assert_int_equal(t->frames, 5 * N);
    assert_int_equal(t->frames_by_cmd[RS_CMD_REALTIME], 2 * N);
    assert_int_equal(t->answers, 5 * N);
    assert_int_equal(t->rejected, 0);
    assert_int_equal(t->vins, N);
    assert_int_equal(t->samples_live, 20 * N);
    assert_int_equal(t->samples_distinct, 20 * N);
    assert_int_equal(t->duplicates, 0);
    for (int i = 0; i < RS_SERVE_FIND_COUNT; i++)
        assert_int_equal(t->findings[i], 0);
    size_t nv;
    const rs_serve_vin *v = rs_serve_vins(&s.h, &nv);
    assert_int_equal(nv, N);
    for (int k = 0; k < N; k++) {
        assert_memory_equal(v[k].vin, vin[k], 17); /* sorted by VIN */
        assert_int_equal(v[k].logins, 1);
        assert_int_equal(v[k].logouts, 1);
        assert_int_equal(v[k].frames[1], 1);
        assert_int_equal(v[k].frames[2], 2);
        assert_int_equal(v[k].frames[4], 1);
        assert_int_equal(v[k].frames[5], 1);
        assert_int_equal(v[k].samples_live, 20);
        assert_int_equal(v[k].samples_distinct, 20);
        assert_int_equal(v[k].first_collect, rs_time_to_unix(&T0));
        assert_int_equal(v[k].last_collect, rs_time_to_unix(&T0) + 19);
        assert_ptr_equal(rs_serve_vin_find(&s.h, vin[k]), &v[k]);
        char vt[18];
        rs_framelog_vin_text(vin[k], vt);
        assert_int_equal(log_count(s.log, vt, RS_FRAMELOG_FRAME, NULL), 5);
    }
    assert_int_equal(log_count(s.log, NULL, RS_FRAMELOG_EVENT, " open "), N);
    /* peer_closed, or shutdown when the stop came before the EOF was read */
    assert_int_equal(log_count(s.log, NULL, RS_FRAMELOG_EVENT, " close "), N);
    assert_int_equal(t->conn_closed[RS_SERVE_CLOSE_PEER] + t->conn_closed[RS_SERVE_CLOSE_SHUTDOWN], N);
    /* the summary file says the same */
    size_t n;
    char *sum = (char *)rs_test_read_file(s.summary, &n);
    assert_non_null(sum);
    assert_non_null(strstr(sum, "\"samples_distinct\": 20"));
    assert_non_null(strstr(sum, "\"vin\": \"LTESTSRV000000003\""));
    assert_non_null(strstr(sum, "\"first_collect\": \"2026-11-22 16:00:00\""));
    free(sum);
    srv_free(&s);
}

/* One VIN over sixteen connections (spread over both workers by the
 * kernel): overlapping live packets and a full reissue of each.  The
 * merged distinct count must be the union, exactly. */
static void test_duplicates_merged_exactly(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 2);
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[2048], ans[256];
    vin_of(99, vin);
    enum { C = 16 };
    for (int i = 0; i < C; i++) {
        int fd = dial(s.h.port);
        size_t n = 0;
        n += f_login(p, vin, (uint16_t)(i + 1), buf + n, sizeof buf - n);
        n += f_report(p, vin, RS_CMD_REALTIME, 5 * i, 10, (uint16_t)(i + 1), buf + n, sizeof buf - n);
        n += f_report(p, vin, RS_CMD_REISSUE, 5 * i, 10, (uint16_t)(i + 1), buf + n, sizeof buf - n);
        n += f_timecal(p, vin, buf + n, sizeof buf - n);
        send_all(fd, buf, n);
        /* the time answer says the frames before it were read */
        assert_int_equal(read_answers(fd, 1, p, ans, sizeof ans, NULL), 1);
        close(fd);
    }
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->samples_live, 10 * C);
    assert_int_equal(t->samples_reissue, 10 * C);
    assert_int_equal(t->samples_distinct, 5 * C + 5);
    assert_int_equal(t->duplicates, 20 * C - (5 * C + 5));
    const rs_serve_vin *v = rs_serve_vin_find(&s.h, vin);
    assert_non_null(v);
    assert_int_equal(v->samples_distinct, 5 * C + 5);
    assert_int_equal(v->duplicates, 20 * C - (5 * C + 5));
    assert_int_equal(v->logins, C);
    assert_int_equal(v->frames[3], C);
    assert_int_equal(v->last_collect - v->first_collect + 1, 5 * C + 5);
    srv_free(&s);
}

/* Garbage, a bad BCC, an oversized length, a body that does not decode:
 * each counted under its reason, none stops the good frame behind it. */
static void test_bad_input_counted_not_fatal(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 2);
    s.o.profile.max_data_len = 1000;
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[4096], ans[256];
    vin_of(1, vin);
    int fd = dial(s.h.port);
    size_t n = 0;
    memcpy(buf, "HELLO GARBAGE\r\n", 15);
    n = 15;
    size_t bad_bcc = f_login(p, vin, 1, buf + n, sizeof buf - n);
    buf[n + bad_bcc - 1] ^= 0x55;
    n += bad_bcc;
    /* a header announcing 64000 bytes (above max_data_len) */
    size_t big = f_timecal(p, vin, buf + n, sizeof buf - n);
    buf[n + 22] = 0xFA;
    buf[n + 23] = 0x00;
    n += big;
    /* a login whose body is two bytes short: the envelope is fine */
    size_t body = f_login(p, vin, 1, buf + n, sizeof buf - n);
    uint8_t *f = buf + n;
    f[23] = (uint8_t)(f[23] - 2);
    f[body - 3] = rs_bcc(f + 2, body - 5);
    n += body - 2;
    n += f_timecal(p, vin, buf + n, sizeof buf - n);
    send_all(fd, buf, n);
    assert_int_equal(read_answers(fd, 1, p, ans, sizeof ans, NULL), 1);
    assert_int_equal(ans[2], RS_CMD_TIMECAL);
    close(fd);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->frames, 1);
    assert_int_equal(t->answers, 1);
    assert_int_equal(t->rejected_by[RS_E_BCC], 1);
    assert_true(t->rejected_by[RS_E_HEADER] >= 1);
    assert_int_equal(t->rejected_by[RS_E_BODY], 1);
    assert_true(t->garbage_bytes >= 15 + bad_bcc);
    const rs_serve_vin *v = rs_serve_vin_find(&s.h, vin);
    assert_non_null(v);
    assert_int_equal(v->rejected, 2); /* the bad BCC and the bad body */
    assert_int_equal(v->frames[5], 1);
    /* the bad-BCC frame is one rejection: its tail is garbage, not another */
    assert_int_equal(t->rejected_by[RS_E_START], 1);
    /* rejections are comment lines: the log still decodes */
    assert_int_equal(log_count(s.log, NULL, RS_FRAMELOG_FRAME, NULL), 1);
    char where[64]; /* the BCC byte of the frame that began at stream byte 15 */
    snprintf(where, sizeof where, " rejected bcc stream %zu ", 15 + bad_bcc - 1);
    assert_int_equal(log_count(s.log, "LTESTSRV000000001", RS_FRAMELOG_REJECT, where), 1);
    assert_int_equal(log_count(s.log, "LTESTSRV000000001", RS_FRAMELOG_REJECT, " rejected body frame "), 1);
    assert_true(log_count(s.log, NULL, RS_FRAMELOG_REJECT, " rejected start stream 0 ") == 1);
    srv_free(&s);
}

/* One byte at a time: the frames still come through whole. */
static void test_slow_drip(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 2);
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[1024], ans[256];
    vin_of(2, vin);
    size_t n = f_login(p, vin, 1, buf, sizeof buf);
    n += f_report(p, vin, RS_CMD_REALTIME, 0, 3, 1, buf + n, sizeof buf - n);
    n += f_timecal(p, vin, buf + n, sizeof buf - n);
    int fd = dial(s.h.port);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (size_t i = 0; i < n; i++) {
        send_all(fd, buf + i, 1);
        if (i % 8 == 0)
            usleep(500);
    }
    assert_int_equal(read_answers(fd, 1, p, ans, sizeof ans, NULL), 1);
    close(fd);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->frames, 3);
    assert_int_equal(t->samples_live, 3);
    assert_int_equal(t->rejected, 0);
    assert_int_equal(t->bytes_in, n);
    srv_free(&s);
}

/* A flood of time requests from a peer that does not read its answers:
 * reading pauses (backpressure) instead of queueing without bound, and
 * once the peer reads, every answer arrives. */
static void test_flood_with_backpressure(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 1);
    s.o.max_buffered = 4096;
    s.o.log_path = NULL;
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17];
    vin_of(3, vin);
    uint8_t req[64];
    size_t rl = f_timecal(p, vin, req, sizeof req);
    enum { MAXREQ = 400000 };
    size_t total = (size_t)MAXREQ * rl;
    uint8_t *out = malloc(total);
    assert_non_null(out);
    for (size_t i = 0; i < MAXREQ; i++)
        memcpy(out + i * rl, req, rl);
    int fd = dial_buf(s.h.port, 4096);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    /* Phase 1: send, never read, until the endpoint says it paused reading
     * (counters are published once a second). */
    size_t off = 0;
    rs_serve_totals snap;
    double give_up = mono() + 60, next_look = mono() + 0.2;
    rs_serve_snapshot(&s.h, &snap);
    while (snap.read_pauses == 0 && mono() < give_up && off < total) {
        ssize_t k = send(fd, out + off, total - off, MSG_NOSIGNAL);
        if (k > 0)
            off += (size_t)k;
        else
            assert_true(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        if (k <= 0) {
            struct pollfd pf = { fd, POLLOUT, 0 };
            poll(&pf, 1, 50);
        }
        if (mono() >= next_look) {
            rs_serve_snapshot(&s.h, &snap);
            next_look = mono() + 0.2;
        }
    }
    assert_true(snap.read_pauses >= 1); /* the endpoint stopped reading */
    /* Phase 2: read everything; send the rest of a frame cut in half. */
    size_t frames_sent = (off + rl - 1) / rl;
    size_t want_bytes = frames_sent * 31, got_bytes = 0;
    size_t end = frames_sent * rl;
    uint8_t rb[65536];
    double deadline = mono() + 60;
    while (got_bytes < want_bytes && mono() < deadline) {
        struct pollfd pf = { fd, (short)(POLLIN | (off < end ? POLLOUT : 0)), 0 };
        poll(&pf, 1, 100);
        if (pf.revents & POLLOUT) {
            ssize_t k = send(fd, out + off, end - off, MSG_NOSIGNAL);
            if (k > 0)
                off += (size_t)k;
        }
        ssize_t k = recv(fd, rb, sizeof rb, 0);
        if (k > 0)
            got_bytes += (size_t)k;
        else
            assert_true(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
    if (got_bytes != want_bytes) {
        sleep(1);
        rs_serve_snapshot(&s.h, &snap);
        print_message("sent %zu of %zu bytes (%zu frames), answers %zu of %zu bytes; server: frames %llu answers "
                      "%llu bytes_in %llu bytes_out %llu pauses %llu rejected %llu open %llu\n",
                      off, end, frames_sent, got_bytes, want_bytes, (unsigned long long)snap.frames,
                      (unsigned long long)snap.answers, (unsigned long long)snap.bytes_in,
                      (unsigned long long)snap.bytes_out, (unsigned long long)snap.read_pauses,
                      (unsigned long long)snap.rejected, (unsigned long long)snap.conn_open);
    }
    assert_int_equal(got_bytes, want_bytes);
    close(fd);
    free(out);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->frames, frames_sent);
    assert_int_equal(t->answers, frames_sent);
    assert_true(t->read_pauses >= 1);
    assert_int_equal(t->rejected, 0);
    srv_free(&s);
}

/* Silent, half-sent, half-closed: idle timeout and graceful half-close. */
static void test_idle_and_half_open(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 2);
    s.o.idle_timeout = 0.3;
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[512], ans[256];
    vin_of(4, vin);
    /* silent: closed by the idle timeout */
    int quiet = dial(s.h.port);
    double t0 = mono();
    assert_true(closed_by_peer(quiet));
    assert_true(mono() - t0 >= 0.25);
    close(quiet);
    /* half a frame, then nothing: closed too, the bytes counted */
    size_t n = f_login(p, vin, 1, buf, sizeof buf);
    int half = dial(s.h.port);
    send_all(half, buf, n / 2);
    assert_true(closed_by_peer(half));
    close(half);
    /* half-closed after a request: the answer still comes, then the close */
    int hc = dial(s.h.port);
    n += f_timecal(p, vin, buf + n, sizeof buf - n);
    send_all(hc, buf, n);
    send_all(hc, buf, 10); /* a frame cut short by the end of the stream */
    shutdown(hc, SHUT_WR);
    bool closed;
    assert_int_equal(read_answers(hc, 1, p, ans, sizeof ans, &closed), 1);
    assert_true(closed);
    close(hc);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->conn_closed[RS_SERVE_CLOSE_IDLE], 2);
    assert_int_equal(t->conn_closed[RS_SERVE_CLOSE_PEER], 1);
    assert_int_equal(t->rejected_by[RS_E_SHORT], 2);
    assert_int_equal(t->frames, 2);
    assert_int_equal(log_count(s.log, NULL, RS_FRAMELOG_EVENT, " close idle"), 2);
    srv_free(&s);
}

static void test_connection_and_rate_limits(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 1);
    s.o.max_conns = 2;
    s.o.max_fps = 5;
    srv_start(&s);
    assert_int_equal(s.h.max_conns, 2);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[1024], ans[256];
    vin_of(5, vin);
    int a = dial(s.h.port), b = dial(s.h.port);
    size_t one = f_timecal(p, vin, buf, sizeof buf);
    send_all(a, buf, one);
    send_all(b, buf, one);
    assert_int_equal(read_answers(a, 1, p, ans, sizeof ans, NULL), 1);
    assert_int_equal(read_answers(b, 1, p, ans, sizeof ans, NULL), 1);
    int c = dial(s.h.port); /* the third: over the limit */
    assert_true(closed_by_peer(c));
    close(c);
    /* ten frames in one go: the sixth breaks the 5/s limit */
    size_t n = 0;
    for (int i = 0; i < 10; i++)
        n += f_timecal(p, vin, buf + n, sizeof buf - n);
    send_all(a, buf, n);
    bool closed;
    unsigned got = read_answers(a, 10, p, ans, sizeof ans, &closed);
    assert_true(closed);
    assert_true(got >= 4 && got <= 5); /* one may have fallen in the second before */
    close(a);
    close(b);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->conn_refused[RS_SERVE_REFUSE_LIMIT], 1);
    assert_int_equal(t->conn_closed[RS_SERVE_CLOSE_RATE], 1);
    assert_int_equal(t->rejected_by[RS_E_LIMIT], 1);
    assert_int_equal(t->frames, 2 + got);
    srv_free(&s);
}

static void test_faults(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_GB17691, 1);
    s.o.answer.mode = RS_ANSWER_ECHO;
    rs_err err;
    assert_int_equal(rs_serve_fault_set(&s.o, "drop-every=3", &err), RS_OK);
    assert_int_equal(rs_serve_fault_set(&s.o, "wrong-time", &err), RS_OK);
    assert_int_equal(rs_serve_fault_set(&s.o, "drop-every=0", &err), RS_E_OPTION);
    assert_int_equal(rs_serve_fault_set(&s.o, "explode", &err), RS_E_OPTION);
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[2048], ans[512];
    vin_of(6, vin);
    size_t n = 0;
    for (int i = 0; i < 6; i++)
        n += f_timecal(p, vin, buf + n, sizeof buf - n);
    int fd = dial(s.h.port);
    send_all(fd, buf, n);
    assert_int_equal(read_answers(fd, 4, p, ans, sizeof ans, NULL), 4);
    assert_int_equal(rs_msg_decode(p, ans, 31, &dec, NULL), RS_OK);
    int64_t skew = rs_time_to_unix(&dec.u.time) - (int64_t)time(NULL);
    assert_true(skew >= 3598 && skew <= 3602); /* wrong-time: an hour ahead */
    assert_int_equal(read_answers_for(fd, 1, p, ans, sizeof ans, NULL, 0.3), 0); /* nothing more */
    close(fd);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->fault_dropped, 2);
    assert_int_equal(t->frames, 4);
    assert_int_equal(log_count(s.log, NULL, RS_FRAMELOG_FRAME, NULL), 4);
    srv_free(&s);

    /* close-on-valid=2: answers for two frames, then the close */
    srv_opts(&s, RS_PROTO_GB17691, 1);
    assert_int_equal(rs_serve_fault_set(&s.o, "close-on-valid=2", &err), RS_OK);
    assert_int_equal(rs_serve_fault_set(&s.o, "wrong-answer-cmd", &err), RS_OK);
    srv_start(&s);
    fd = dial(s.h.port);
    send_all(fd, buf, n);
    bool closed;
    assert_int_equal(read_answers(fd, 6, p, ans, sizeof ans, &closed), 2);
    assert_true(closed);
    assert_int_equal(ans[2], RS_CMD_TIMECAL + 0x10);
    close(fd);
    t = srv_stop(&s);
    assert_int_equal(t->conn_closed[RS_SERVE_CLOSE_FAULT], 1);
    assert_int_equal(t->frames, 2);
    srv_free(&s);
}

/* Gateway: frames pass upstream byte for byte, also when the upstream
 * comes up late; a backlog too small drops and counts. */
static void test_forward(void **state)
{
    (void)state;
    /* a port nobody listens on (yet) */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(probe, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(probe, (struct sockaddr *)&a, &al);
    uint16_t up_port = ntohs(a.sin_port);
    close(probe);
    char fwd[32];
    snprintf(fwd, sizeof fwd, "127.0.0.1:%u", (unsigned)up_port);

    srv gw, up;
    srv_opts(&gw, RS_PROTO_GB17691, 2);
    gw.o.forward = fwd;
    srv_start(&gw);
    const rs_profile *p = &gw.o.profile;
    uint8_t vin[17], buf[4096], ans[256];
    size_t n = 0;
    for (int k = 0; k < 3; k++) {
        vin_of(10 + k, vin);
        n = f_login(p, vin, 1, buf, sizeof buf);
        n += f_report(p, vin, RS_CMD_REALTIME, 0, 10, 1, buf + n, sizeof buf - n);
        n += f_timecal(p, vin, buf + n, sizeof buf - n);
        int fd = dial(gw.h.port);
        send_all(fd, buf, n);
        assert_int_equal(read_answers(fd, 1, p, ans, sizeof ans, NULL), 1);
        close(fd);
    }
    /* the upstream starts now, on the port the gateway keeps trying */
    srv_opts(&up, RS_PROTO_GB17691, 1);
    up.o.port = up_port;
    srv_start(&up);
    rs_serve_totals snap;
    double end = mono() + 15;
    do {
        usleep(100000);
        rs_serve_snapshot(&up.h, &snap);
    } while (snap.frames < 9 && mono() < end);
    const rs_serve_totals *g = srv_stop(&gw);
    assert_int_equal(g->frames, 9);
    assert_int_equal(g->fwd_frames, 9);
    assert_int_equal(g->fwd_dropped, 0);
    assert_true(g->fwd_connects >= 1);
    assert_true(g->fwd_connect_failures >= 1);
    const rs_serve_totals *u = srv_stop(&up);
    assert_int_equal(u->frames, 9);
    assert_int_equal(u->bytes_in, g->bytes_in);
    /* the same frames, byte for byte, in both logs */
    size_t ln;
    char *gl = (char *)rs_test_read_file(gw.log, &ln), *ul = (char *)rs_test_read_file(up.log, &ln);
    unsigned checked = 0;
    for (char *line = gl; *line;) {
        char *eol = strchr(line, '\n');
        if (line[0] != '#') {
            char *hex = strrchr(line, ' ') + 1;
            *eol = 0;
            assert_non_null(strstr(ul, hex));
            checked++;
        }
        line = eol + 1;
    }
    assert_int_equal(checked, 9);
    free(gl);
    free(ul);
    srv_free(&gw);
    srv_free(&up);

    /* a backlog of 100 bytes and no upstream: frames dropped, counted */
    srv_opts(&gw, RS_PROTO_GB17691, 1);
    gw.o.forward = fwd;
    gw.o.forward_backlog = 100;
    gw.o.stop_timeout = 5;
    srv_start(&gw);
    vin_of(20, vin);
    n = f_timecal(p, vin, buf, sizeof buf);
    n += f_login(p, vin, 1, buf + n, sizeof buf - n);
    n += f_timecal(p, vin, buf + n, sizeof buf - n);
    int fd = dial(gw.h.port);
    send_all(fd, buf, n);
    assert_int_equal(read_answers(fd, 2, p, ans, sizeof ans, NULL), 2);
    close(fd);
    g = srv_stop(&gw);
    assert_int_equal(g->frames, 3);
    assert_int_equal(g->fwd_dropped, 1); /* 25 + 53 fit, the last 25 do not */
    assert_int_equal(g->fwd_frames, 0);
    srv_free(&gw);
}

static void test_hj_and_gb32960_profiles(void **state)
{
    (void)state;
    srv s;
    srv_opts(&s, RS_PROTO_HJ1239, 2);
    s.o.answer.role = RS_ROLE_NATIONAL;
    srv_start(&s);
    const rs_profile *p = &s.o.profile;
    uint8_t vin[17], buf[4096], ans[256];
    vin_of(30, vin);
    size_t n = f_login(p, vin, 1, buf, sizeof buf);
    n += f_report(p, vin, RS_CMD_REALTIME, 0, 10, 1, buf + n, sizeof buf - n);
    n += f_report(p, vin, RS_CMD_REISSUE, 5, 10, 2, buf + n, sizeof buf - n);
    for (int i = 0; i < 2; i++) { /* alarm serials 5 then 3 on one day: a finding */
        rs_msg_init(&scratch, p, RS_MSG_TAMPER, vin);
        scratch.u.tamper.time = plus(T0, 100 + i);
        scratch.u.tamper.serial = (uint16_t)(5 - 2 * i);
        scratch.u.tamper.pos_status = 0;
        scratch.u.tamper.lon = rs_val_ok(116.4);
        scratch.u.tamper.lat = rs_val_ok(39.9);
        n += enc(p, buf + n, sizeof buf - n);
    }
    rs_msg_init(&scratch, p, RS_MSG_ACTIVATION, vin);
    scratch.u.act.time = T0;
    scratch.u.act.has_sig = false;
    memcpy(scratch.u.act.chip_id, "TESTCHIP00000001", 16);
    memcpy(scratch.u.act.vin, vin, 17);
    n += enc(p, buf + n, sizeof buf - n);
    int fd = dial(s.h.port);
    send_all(fd, buf, n);
    assert_int_equal(read_answers(fd, 1, p, ans, sizeof ans, NULL), 1);
    assert_int_equal(rs_msg_decode(p, ans, 27, &dec, NULL), RS_OK);
    assert_int_equal(dec.kind, RS_MSG_ACTIVATION_ANS);
    /* unsigned: the national platform cannot register it (02 03); the
     * decisions are in test_serve_keys.c */
    assert_int_equal(dec.u.act_ans.status, RS_ACT_FAILED);
    assert_int_equal(dec.u.act_ans.info, RS_ACT_INFO_OTHER);
    close(fd);
    const rs_serve_totals *t = srv_stop(&s);
    assert_int_equal(t->samples_live, 10);
    assert_int_equal(t->samples_reissue, 10);
    assert_int_equal(t->samples_distinct, 15);
    assert_int_equal(t->duplicates, 5);
    assert_true(t->warnings_by[RS_E_SIGNATURE] >= 2); /* unsigned HJ reports: tolerated, counted */
    assert_int_equal(t->sig_missing, 3);              /* two reports and the activation */
    assert_int_equal(t->activations[RS_SERVE_ACT_OTHER], 1);
    assert_int_equal(t->frames_by_cmd[RS_CMD_TAMPER], 2);
    assert_int_equal(t->findings[RS_SERVE_FIND_TAMPER_SERIAL], 1);
    assert_int_equal(t->findings[RS_SERVE_FIND_NO_SESSION], 0);
    srv_free(&s);

    srv_opts(&s, RS_PROTO_GB32960, 1);
    srv_start(&s);
    p = &s.o.profile;
    n = f_login(p, vin, 1, buf, sizeof buf);
    fd = dial(s.h.port);
    send_all(fd, buf, n);
    assert_int_equal(read_answers(fd, 1, p, ans, sizeof ans, NULL), 1);
    assert_int_equal(ans[2], RS_CMD_LOGIN);
    assert_int_equal(ans[3], RS_RESP_SUCCESS);
    assert_memory_equal(ans + 4, vin, 17);
    close(fd);
    t = srv_stop(&s);
    assert_int_equal(t->answers, 1);
    srv_free(&s);
}

static void test_start_errors(void **state)
{
    (void)state;
    srv s;
    rs_err err;
    /* a port held by a socket without SO_REUSEPORT */
    int held = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(held, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(held, 4), 0);
    socklen_t al = sizeof a;
    getsockname(held, (struct sockaddr *)&a, &al);
    srv_opts(&s, RS_PROTO_GB17691, 2);
    s.o.port = ntohs(a.sin_port);
    assert_int_equal(rs_serve_start(&s.o, &s.h, &err), RS_E_IO);
    assert_int_equal(err.got, EADDRINUSE);
    assert_null(s.h.st);
    close(held);
    /* a log that cannot be written */
    s.o.port = 0;
    s.o.log_path = "/nonexistent-dir/frames.log";
    assert_int_equal(rs_serve_start(&s.o, &s.h, &err), RS_E_IO);
    assert_null(s.h.st);
    /* options */
    s.o.log_path = NULL;
    s.o.idle_timeout = 0;
    assert_int_equal(rs_serve_start(&s.o, &s.h, &err), RS_E_OPTION);
    s.o.idle_timeout = 1;
    s.o.forward = "nohostport";
    assert_int_equal(rs_serve_start(&s.o, &s.h, &err), RS_E_OPTION);
    s.o.forward = NULL;
    s.o.host = "not an address";
    assert_int_equal(rs_serve_start(&s.o, &s.h, &err), RS_E_OPTION);
    unlink(s.log);
    unlink(s.summary);
}

/* The interval sets behind samples_distinct, against a bitmap: random
 * ranges in random order, in two tables, written to memory files and
 * merged the way the coordinator does. */
static void check_iv(const serve_vin_entry *e, const uint8_t *bits, uint32_t base, uint32_t span)
{
    uint64_t covered = 0;
    for (uint32_t k = 0; k < e->n_iv; k++) {
        assert_true(e->iv[k].lo <= e->iv[k].hi);
        if (k > 0) /* sorted, disjoint, not even touching */
            assert_true((uint64_t)e->iv[k - 1].hi + 1 < e->iv[k].lo);
        for (uint32_t x = e->iv[k].lo; x <= e->iv[k].hi; x++)
            assert_true(bits[x - base]);
        covered += (uint64_t)e->iv[k].hi - e->iv[k].lo + 1;
    }
    uint64_t set = 0;
    for (uint32_t x = 0; x < span; x++)
        set += bits[x];
    assert_int_equal(covered, set);
}

static void test_sample_intervals_and_merge(void **state)
{
    (void)state;
    enum { SPAN = 4000 };
    const uint32_t base = 1795334400u;
    static uint8_t bits[2][SPAN], both[SPAN];
    memset(bits, 0, sizeof bits);
    memset(both, 0, sizeof both);
    serve_vtab t[3];
    uint8_t vin[17];
    vin_of(7, vin);
    uint64_t seed = 12345;
    for (int w = 0; w < 2; w++) {
        serve_vtab_init(&t[w]);
        serve_vin_entry *e = serve_vtab_get(&t[w], vin);
        assert_non_null(e);
        for (int i = 0; i < 3000; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t lo = (uint32_t)(seed >> 33) % SPAN, len = 1 + (uint32_t)(seed >> 20) % (i % 7 == 0 ? 40 : 3);
            uint32_t hi = lo + len - 1 < SPAN ? lo + len - 1 : SPAN - 1;
            int64_t fresh = 0;
            for (uint32_t x = lo; x <= hi; x++)
                fresh += !bits[w][x];
            assert_int_equal(serve_iv_add(&t[w], e, base + lo, base + hi), fresh);
            for (uint32_t x = lo; x <= hi; x++)
                bits[w][x] = both[x] = 1;
        }
        check_iv(e, bits[w], base, SPAN);
        /* many other VINs, so the index grows and rehashes */
        for (int k = 100; k < 400; k++) {
            uint8_t other[17];
            vin_of(k * (w + 1), other);
            serve_vin_entry *o = serve_vtab_get(&t[w], other);
            assert_non_null(o);
            o->pub.logins++;
        }
        assert_non_null(serve_vtab_find(&t[w], vin));
    }
    serve_vtab_init(&t[2]);
    for (int w = 0; w < 2; w++) {
        int fd = memfd_create("test", 0);
        assert_true(fd >= 0);
        assert_true(serve_vtab_write(&t[w], fd));
        assert_true(serve_vtab_merge_fd(&t[2], fd));
        close(fd);
    }
    serve_vtab_finish(&t[2]);
    serve_vin_entry *m = serve_vtab_find(&t[2], vin);
    assert_non_null(m);
    check_iv(m, both, base, SPAN);
    uint64_t set = 0;
    for (uint32_t x = 0; x < SPAN; x++)
        set += both[x];
    assert_int_equal(m->pub.samples_distinct, set);
    assert_int_equal(t[2].n, 1 + 300 + 300 - 100); /* VINs 200..398 (even) are in both */
    uint8_t shared_vin[17];
    vin_of(200, shared_vin);
    assert_int_equal(serve_vtab_find(&t[2], shared_vin)->pub.logins, 2);
    /* a truncated file is refused */
    int fd = memfd_create("test", 0);
    assert_true(serve_vtab_write(&t[0], fd));
    assert_int_equal(ftruncate(fd, 100), 0);
    serve_vtab bad;
    serve_vtab_init(&bad);
    assert_false(serve_vtab_merge_fd(&bad, fd));
    close(fd);
    serve_vtab_free(&bad);
    for (int w = 0; w < 3; w++)
        serve_vtab_free(&t[w]);
}

static int cleanup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 4; i++)
        if (live[i])
            srv_free(live[i]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_session_answers_log_summary, cleanup),
        cmocka_unit_test_teardown(test_duplicates_merged_exactly, cleanup),
        cmocka_unit_test_teardown(test_bad_input_counted_not_fatal, cleanup),
        cmocka_unit_test_teardown(test_slow_drip, cleanup),
        cmocka_unit_test_teardown(test_flood_with_backpressure, cleanup),
        cmocka_unit_test_teardown(test_idle_and_half_open, cleanup),
        cmocka_unit_test_teardown(test_connection_and_rate_limits, cleanup),
        cmocka_unit_test_teardown(test_faults, cleanup),
        cmocka_unit_test_teardown(test_forward, cleanup),
        cmocka_unit_test_teardown(test_hj_and_gb32960_profiles, cleanup),
        cmocka_unit_test_teardown(test_start_errors, cleanup),
        cmocka_unit_test(test_sample_intervals_and_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
