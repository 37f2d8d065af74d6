/* J1939 rates on one core: TP reassembly (frames and messages per second
 * through rs_j1939_rx) and DM1 parsing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "remsim/j1939.h"
#include "remsim/j1939_dm.h"
#include "remsim/j1939_tp.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct frames {
    rs_can_frame f[300];
    size_t n;
} frames;

static void collect(void *u, const rs_can_frame *f)
{
    frames *fs = u;
    if (fs->n < 300)
        fs->f[fs->n++] = *f;
}

/* The frames of one BAM for a DM1 with n DTCs, built by our sender. */
static void bam_frames(size_t n_dtc, frames *fs)
{
    static rs_dm_dtc d[300];
    static uint8_t pay[RS_J1939_MAX_LEN];
    rs_dm_lamps l = {1, 0, 1, 3, 3, 3, 3, 3};
    for (size_t i = 0; i < n_dtc; i++)
        rs_dm_dtc_make((uint32_t)(1000 + i), (uint8_t)(i % 32), 0, 1, &d[i], NULL);
    size_t len;
    rs_dm_dtcs_build(&l, d, n_dtc, pay, sizeof pay, &len, NULL);
    rs_tp_tx tx;
    rs_tp_tx_cfg c;
    rs_tp_tx_cfg_default(&c);
    c.self_addr = 0x00;
    c.send = collect;
    c.user = fs;
    rs_tp_tx_init(&tx, &c, NULL);
    fs->n = 0;
    rs_tp_tx_send(&tx, 0, 6, RS_PGN_DM1, 0xFF, pay, len, NULL);
    while (rs_tp_tx_open(&tx))
        rs_tp_tx_tick(&tx, rs_tp_tx_deadline(&tx));
}

static void bench_tp(size_t n_dtc, size_t iters)
{
    static frames fs;
    static rs_j1939_rx rx;
    bam_frames(n_dtc, &fs);
    rs_j1939_rx_init(&rx, NULL, NULL);
    size_t msgs = 0, bytes = 0;
    uint64_t t = 0;
    double t0 = now_s();
    for (size_t it = 0; it < iters; it++) {
        for (size_t i = 0; i < fs.n; i++) {
            rs_can_frame f = fs.f[i];
            f.ts_us = t;
            t += 1000;
            rs_j1939_msg m;
            if (rs_j1939_rx_feed(&rx, &f, &m) == 1) {
                msgs++;
                bytes += m.len;
            }
        }
    }
    double dt = now_s() - t0;
    printf("tp_reassembly dtc=%zu frames_per_msg=%zu msgs=%zu frames_per_s=%.0f msgs_per_s=%.0f "
           "bytes_per_s=%.0f\n",
           n_dtc, fs.n, msgs, (double)(fs.n * iters) / dt, (double)msgs / dt, (double)bytes / dt);
}

static void bench_dm1(size_t n_dtc, size_t iters)
{
    static rs_dm_dtc d[300], out[300];
    static uint8_t pay[RS_J1939_MAX_LEN];
    rs_dm_lamps l = {1, 0, 1, 3, 3, 3, 3, 3};
    for (size_t i = 0; i < n_dtc; i++)
        rs_dm_dtc_make((uint32_t)(1000 + i), (uint8_t)(i % 32), 0, 1, &d[i], NULL);
    size_t len, n, total = 0;
    rs_dm_dtcs_build(&l, d, n_dtc, pay, sizeof pay, &len, NULL);
    double t0 = now_s();
    for (size_t it = 0; it < iters; it++) {
        pay[2] = (uint8_t)it; /* keep the compiler from hoisting the parse */
        rs_dm_dtcs_parse(pay, len, &l, out, 300, &n, NULL);
        total += n;
    }
    double dt = now_s() - t0;
    printf("dm1_parse dtc=%zu bytes=%zu parses_per_s=%.0f dtcs_per_s=%.0f (check %zu)\n", n_dtc,
           len, (double)iters / dt, (double)total / dt, total % 7);
}

int main(void)
{
    bench_tp(4, 200000);
    bench_tp(97, 20000);
    bench_tp(253, 10000);
    bench_dm1(1, 5000000);
    bench_dm1(4, 5000000);
    bench_dm1(97, 500000);
    bench_dm1(253, 200000);
    return 0;
}
