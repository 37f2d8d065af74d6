/* Signature verification in the reference endpoint: signed HJ 1239
 * packets verified per second by one worker, against the same packets with
 * --verify off, and rs_sm2_verify alone.
 *
 * 32 connections, one VIN and one key each: an activation (role national,
 * which registers the key), then signed ten-sample real-time packets, then
 * a time request whose answer says everything before it was handled.  The
 * worker's CPU (getrusage of the reaped child) is the figure to plan with;
 * the wall rate includes the client on the same machine. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "remsim/msg.h"
#include "remsim/serve.h"
#include "remsim/sm2.h"
#include "remsim/vin.h"

#define CONNS 32
#define PACKETS 60
#define SAMPLES 10

static rs_msg msg;
static rs_sm2 *g_sm2;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double child_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static void die(const char *what, const rs_err *err)
{
    char m[256] = "";
    if (err)
        rs_err_format(err, m, sizeof m);
    fprintf(stderr, "bench_serve_sig: %s %s\n", what, m);
    exit(1);
}

static size_t put_signed(const rs_profile *p, const rs_sm2_key *k, uint8_t *out, size_t cap)
{
    rs_sm2_signer sg = { g_sm2, k };
    size_t len = 0;
    rs_err err;
    if (rs_msg_encode_signed(p, &msg, rs_sm2_sign_hook, &sg, out, cap, &len, &err) != RS_OK)
        die("encode", &err);
    return len;
}

/* One connection's bytes: activation, packets, a time request. */
static size_t session(const rs_profile *p, int k, uint8_t *out, size_t cap)
{
    uint8_t vin[17];
    char chip[17];
    if (!rs_vin_make("LBS", "SGBEN", 'N', '0', (uint32_t)k, vin))
        die("vin", NULL);
    snprintf(chip, sizeof chip, "BENCHCHIP%07d", k);
    rs_sm2_key key;
    rs_err err;
    if (rs_sm2_key_derive(g_sm2, &key, 1, vin, 17, (const uint8_t *)chip, 16, &err) != RS_OK)
        die("key", &err);
    rs_time t0 = { 26, 11, 22, 8, 0, 0 };
    int64_t base = rs_time_to_unix(&t0);
    size_t n = 0;
    rs_msg_init(&msg, p, RS_MSG_ACTIVATION, vin);
    msg.u.act.time = t0;
    memcpy(msg.u.act.chip_id, chip, 16);
    memcpy(msg.u.act.pubkey, key.pub, 64);
    memcpy(msg.u.act.vin, vin, 17);
    msg.u.act.has_sig = true;
    n += put_signed(p, &key, out + n, cap - n);
    rs_sample s;
    rs_sample_init(&s);
    s.v[RS_F_SPEED] = rs_val_ok(65.5);
    s.v[RS_F_RPM] = rs_val_ok(1400);
    for (int i = 0; i < PACKETS; i++) {
        rs_msg_init(&msg, p, RS_MSG_REPORT, vin);
        msg.frame.cmd = RS_CMD_REALTIME;
        msg.u.report.time = rs_time_from_unix(base + (int64_t)(i + 1) * SAMPLES);
        msg.u.report.serial = (uint16_t)(i + 1);
        for (int j = 0; j < SAMPLES; j++) {
            rs_item_from_sample(&msg.u.report.item[j], RS_INFO_STREAM_DIESEL, &s);
            msg.u.report.item[j].collect = rs_time_from_unix(base + (int64_t)i * SAMPLES + j);
        }
        msg.u.report.n_items = SAMPLES;
        msg.u.report.has_sig = true;
        n += put_signed(p, &key, out + n, cap - n);
    }
    rs_msg_init(&msg, p, RS_MSG_TIMECAL_REQ, vin);
    size_t len;
    if (rs_msg_encode(p, &msg, out + n, cap - n, &len, &err) != RS_OK)
        die("encode", &err);
    return n + len;
}

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS))
        die("connect", NULL);
    return fd;
}

static void run(const char *name, uint8_t *const *buf, const size_t *len, bool verify)
{
    rs_serve_opts o;
    rs_serve_opts_init(&o);
    rs_profile_init(&o.profile, RS_PROTO_HJ1239);
    o.host = "127.0.0.1";
    o.workers = 1;
    o.answer.role = RS_ROLE_NATIONAL;
    o.verify = verify;
    rs_serve h;
    rs_err err;
    if (rs_serve_start(&o, &h, &err) != RS_OK)
        die("start", &err);
    double cpu0 = child_cpu();
    int fd[CONNS];
    size_t off[CONNS];
    size_t got[CONNS]; /* answer bytes: the 0x08 (27) and the time answer (31) */
    bool done[CONNS];
    for (int k = 0; k < CONNS; k++) {
        fd[k] = dial(h.port);
        off[k] = got[k] = 0;
        done[k] = false;
    }
    double t0 = now();
    int left = CONNS;
    struct pollfd pf[CONNS];
    while (left > 0 && now() - t0 < 300) {
        for (int k = 0; k < CONNS; k++) {
            pf[k].fd = done[k] ? -1 : fd[k];
            pf[k].events = (short)(POLLIN | (off[k] < len[k] ? POLLOUT : 0));
            pf[k].revents = 0;
        }
        if (poll(pf, CONNS, 1000) <= 0)
            continue;
        for (int k = 0; k < CONNS; k++) {
            if ((pf[k].revents & POLLOUT) && off[k] < len[k]) {
                ssize_t w = send(fd[k], buf[k] + off[k], len[k] - off[k], MSG_NOSIGNAL);
                if (w > 0)
                    off[k] += (size_t)w;
            }
            if (pf[k].revents & POLLIN) {
                uint8_t a[128];
                ssize_t r = recv(fd[k], a, sizeof a, 0);
                if (r > 0 && (got[k] += (size_t)r) >= 27 + 31) {
                    done[k] = true;
                    left--;
                }
            }
        }
    }
    double wall = now() - t0;
    for (int k = 0; k < CONNS; k++)
        close(fd[k]);
    if (rs_serve_stop(&h, &err) != RS_OK)
        die("stop", &err);
    double cpu = child_cpu() - cpu0;
    const rs_serve_totals *t = rs_serve_result(&h);
    uint64_t reports = t->frames_by_cmd[RS_CMD_REALTIME];
    uint64_t checked = t->sig_verified + t->sig_verified_default + t->sig_failed;
    if (left > 0 || reports != (uint64_t)CONNS * PACKETS || (verify && t->sig_verified != (uint64_t)CONNS * (PACKETS + 1)))
        fprintf(stderr, "bench_serve_sig: %s: %d connections unanswered, %llu reports, %llu verified, %llu failed\n",
                name, left, (unsigned long long)reports, (unsigned long long)t->sig_verified,
                (unsigned long long)t->sig_failed);
    printf("serve %-28s %6llu signed packets: %7.0f packets/s wall, worker CPU %7.1f us/packet (%6.0f per "
           "CPU-second)%s",
           name, (unsigned long long)reports, (double)reports / wall, cpu / (double)reports * 1e6,
           (double)reports / cpu, checked ? "" : "\n");
    if (checked)
        printf(", %.0f us per verification (endpoint's own clock)\n", (double)t->sig_verify_ns / (double)checked / 1e3);
    rs_serve_free(&h);
}

/* rs_sm2_verify alone, in this process. */
static void verify_alone(void)
{
    rs_sm2_key key;
    rs_err err;
    if (rs_sm2_key_derive(g_sm2, &key, 7, (const uint8_t *)"LBSSGBENCH0000001", 17,
                          (const uint8_t *)"BENCHCHIP0000001", 16, &err) != RS_OK)
        die("key", &err);
    uint8_t m[300];
    memset(m, 0x5A, sizeof m);
    rs_sig sig;
    if (rs_sm2_sign(g_sm2, &key, m, sizeof m, &sig, &err) != RS_OK)
        die("sign", &err);
    int n = 0;
    double t0 = now(), t;
    do {
        rs_sm2_idmatch which;
        if (rs_sm2_verify(g_sm2, &key, m, sizeof m, &sig, &which, &err) != RS_OK)
            die("verify", &err);
        n++;
    } while ((t = now() - t0) < 1.0);
    int ns = 0;
    double s0 = now();
    do {
        m[0]++;
        if (rs_sm2_sign(g_sm2, &key, m, sizeof m, &sig, &err) != RS_OK)
            die("sign", &err);
        ns++;
    } while (now() - s0 < 1.0);
    printf("rs_sm2_verify alone: %.0f verifications/s (%.0f us each); rs_sm2_sign %.0f/s\n", n / t, t / n * 1e6,
           ns / (now() - s0));
}

int main(void)
{
    rs_err err;
    g_sm2 = rs_sm2_new(&err);
    if (!g_sm2)
        die("rs_sm2_new", &err);
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    size_t per = (size_t)(PACKETS + 2) * (RS_FRAME_OVERHEAD + 8 + SAMPLES * 44 + RS_SIG_BLOCK_LEN) + 4096;
    uint8_t *buf[CONNS];
    size_t len[CONNS];
    for (int k = 0; k < CONNS; k++) {
        if (!(buf[k] = malloc(per)))
            die("memory", NULL);
        len[k] = session(&p, k, buf[k], per);
    }
    printf("serve: one worker, %d connections, loopback, HJ 1239 ten-sample packets signed with SM2, no log\n",
           CONNS);
    verify_alone();
    run("verify on", buf, len, true);
    run("verify off", buf, len, false);
    for (int k = 0; k < CONNS; k++)
        free(buf[k]);
    rs_sm2_free(g_sm2);
    return 0;
}
