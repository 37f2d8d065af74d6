/* The reference endpoint through one worker: frames per second and worker
 * CPU time per frame, for the whole path (read, reassemble, decode, check,
 * per-VIN state, frame log line), over loopback.
 *
 * 64 connections, one VIN each, send a login, then real-time packets of
 * consecutive seconds, then a time request; the time answers say every
 * frame before them was handled.  Wall rate includes the client (same
 * machine); the CPU figure is the worker's alone (getrusage of the reaped
 * child), so it is the number to plan with. */
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

#define CONNS 64

static rs_msg msg;

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

static size_t put(const rs_profile *p, uint8_t *out, size_t cap)
{
    size_t len = 0;
    rs_err err;
    if (rs_msg_encode(p, &msg, out, cap, &len, &err) != RS_OK) {
        fprintf(stderr, "bench_serve: encode failed\n");
        exit(1);
    }
    return len;
}

/* One connection's bytes: login, `packets` packets of `samples` seconds,
 * a time request.  Returns the length; *frames counts them. */
static size_t session(const rs_profile *p, int k, int packets, int samples, uint8_t *out, size_t cap,
                      unsigned *frames)
{
    uint8_t vin[17];
    char v[18];
    snprintf(v, sizeof v, "LBENCH000%08u", (unsigned)k % 100000000u);
    memcpy(vin, v, 17);
    rs_time t0 = { 26, 11, 22, 8, 0, 0 };
    int64_t base = rs_time_to_unix(&t0);
    size_t n = 0;
    rs_msg_init(&msg, p, RS_MSG_LOGIN, vin);
    msg.u.login.time = t0;
    msg.u.login.serial = 1;
    memcpy(msg.u.login.iccid, "89860123456789012345", RS_ICCID_LEN);
    n += put(p, out + n, cap - n);
    rs_sample s;
    rs_sample_init(&s);
    s.v[RS_F_SPEED] = rs_val_ok(65.5);
    s.v[RS_F_RPM] = rs_val_ok(1400);
    s.v[RS_F_NOX_UP] = rs_val_ok(520);
    s.v[RS_F_ODOMETER] = rs_val_ok(12345.6);
    for (int i = 0; i < packets; i++) {
        rs_msg_init(&msg, p, RS_MSG_REPORT, vin);
        msg.frame.cmd = RS_CMD_REALTIME;
        msg.u.report.time = rs_time_from_unix(base + (int64_t)i * samples);
        msg.u.report.serial = (uint16_t)(i % 65531 + 1);
        for (int j = 0; j < samples; j++) {
            rs_item_from_sample(&msg.u.report.item[j], RS_INFO_STREAM_DIESEL, &s);
            msg.u.report.item[j].serial = msg.u.report.serial;
        }
        msg.u.report.n_items = (uint8_t)samples;
        n += put(p, out + n, cap - n);
    }
    rs_msg_init(&msg, p, RS_MSG_TIMECAL_REQ, vin);
    n += put(p, out + n, cap - n);
    *frames += (unsigned)packets + 2;
    return n;
}

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)) {
        perror("bench_serve: connect");
        exit(1);
    }
    return fd;
}

static void run(const char *name, int packets, int samples, bool with_log)
{
    rs_serve_opts o;
    rs_serve_opts_init(&o);
    o.host = "127.0.0.1";
    o.workers = 1;
    char log[] = "/tmp/remsim-bench-serve-XXXXXX";
    int lfd = mkstemp(log);
    if (lfd < 0) {
        perror("bench_serve: mkstemp");
        exit(1);
    }
    close(lfd);
    o.log_path = with_log ? log : NULL;
    o.log_events = false;

    unsigned frames = 0;
    size_t per = (size_t)(packets + 2) * (RS_FRAME_OVERHEAD + 6 + (size_t)samples * 40) + 4096;
    uint8_t *buf[CONNS];
    size_t len[CONNS], off[CONNS];
    for (int k = 0; k < CONNS; k++) {
        buf[k] = malloc(per);
        if (!buf[k])
            exit(1);
        len[k] = session(&o.profile, k, packets, samples, buf[k], per, &frames);
        off[k] = 0;
    }
    rs_serve h;
    rs_err err;
    if (rs_serve_start(&o, &h, &err) != RS_OK) {
        char m[256];
        rs_err_format(&err, m, sizeof m);
        fprintf(stderr, "bench_serve: %s\n", m);
        exit(1);
    }
    double cpu0 = child_cpu();
    int fd[CONNS];
    bool answered[CONNS];
    for (int k = 0; k < CONNS; k++) {
        fd[k] = dial(h.port);
        answered[k] = false;
    }
    double t0 = now();
    int left = CONNS;
    struct pollfd pf[CONNS];
    while (left > 0 && now() - t0 < 120) {
        for (int k = 0; k < CONNS; k++) {
            pf[k].fd = answered[k] ? -1 : fd[k];
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
                uint8_t a[64];
                if (recv(fd[k], a, sizeof a, 0) > 0) {
                    answered[k] = true;
                    left--;
                }
            }
        }
    }
    double wall = now() - t0;
    for (int k = 0; k < CONNS; k++) {
        close(fd[k]);
        free(buf[k]);
    }
    if (rs_serve_stop(&h, &err) != RS_OK) {
        fprintf(stderr, "bench_serve: stop failed\n");
        exit(1);
    }
    double cpu = child_cpu() - cpu0;
    const rs_serve_totals *t = rs_serve_result(&h);
    if (left > 0 || t->frames != frames || t->rejected != 0)
        fprintf(stderr, "bench_serve: %s: %d connections unanswered, %llu of %u frames, %llu rejected\n", name, left,
                (unsigned long long)t->frames, frames, (unsigned long long)t->rejected);
    printf("serve %-34s %7u frames %7.2f MB: %8.0f frames/s wall, %7.0f samples/s, worker CPU %5.2f us/frame "
           "(%.0f frames per CPU-second)\n",
           name, frames, (double)t->bytes_in / 1e6, frames / wall, (double)(t->samples_live) / wall,
           cpu / frames * 1e6, frames / cpu);
    rs_serve_free(&h);
    unlink(log);
}

/* Memory of the per-VIN table: VINs logins and one packet each, over one
 * connection (as a gateway's upstream link carries them). */
static void vins(int n)
{
    rs_serve_opts o;
    rs_serve_opts_init(&o);
    o.host = "127.0.0.1";
    o.workers = 1;
    size_t cap = (size_t)n * 600 + 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        exit(1);
    unsigned frames = 0;
    for (int k = 0; k < n; k++) {
        len += session(&o.profile, k, 1, 10, buf + len, cap - len, &frames);
        len -= RS_FRAME_OVERHEAD; /* drop each time request but the last: one answer at the end */
    }
    len += RS_FRAME_OVERHEAD;
    frames -= (unsigned)n - 1;
    rs_serve h;
    rs_err err;
    if (rs_serve_start(&o, &h, &err) != RS_OK)
        exit(1);
    int fd = dial(h.port);
    size_t off = 0;
    double t0 = now();
    for (bool done = false; !done && now() - t0 < 120;) {
        struct pollfd pf = { fd, (short)(POLLIN | (off < len ? POLLOUT : 0)), 0 };
        poll(&pf, 1, 1000);
        if ((pf.revents & POLLOUT) && off < len) {
            ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
            if (w > 0)
                off += (size_t)w;
        }
        uint8_t a[64];
        if ((pf.revents & POLLIN) && recv(fd, a, sizeof a, 0) > 0)
            done = true;
    }
    close(fd);
    free(buf);
    rs_serve_stop(&h, &err);
    const rs_serve_totals *t = rs_serve_result(&h);
    printf("serve per-VIN table: %llu VINs in one worker: %.1f MiB, %.0f bytes per VIN (entry, index, "
           "sample intervals); frames %llu of %u\n",
           (unsigned long long)t->vins, (double)t->vin_bytes / (1024.0 * 1024.0),
           t->vins ? (double)t->vin_bytes / (double)t->vins : 0.0, (unsigned long long)t->frames, frames);
    rs_serve_free(&h);
}

int main(void)
{
    printf("serve: one worker, %d connections, loopback, GB 17691 (decode + check + per-VIN + log)\n", CONNS);
    run("1-sample packets, frame log", 3000, 1, true);
    run("10-sample packets, frame log", 1500, 10, true);
    run("10-sample packets, no log", 1500, 10, false);
    vins(50000);
    return 0;
}
