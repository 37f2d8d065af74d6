/* Sampler and vehicle encoder rates on one core.
 *
 *   messages -> samples: full-fidelity J1939 traffic (what a real engine
 *                        sends, ~290 messages per second of vehicle time)
 *                        through rs_sampler_feed;
 *   samples -> frames:   rs_vcan_encode at sampled fidelity (fleet mode).
 * Plain lines: rates per second of CPU time on this machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remsim/j1939.h"
#include "remsim/sampler.h"
#include "remsim/vehicle_can.h"

#define SECONDS 2000
#define MAX_PER_S 640

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void a_sample(rs_sample *s, unsigned k)
{
    rs_sample_init(s);
    s->v[RS_F_SPEED] = rs_val_ok(40 + k % 40);
    s->v[RS_F_BARO] = rs_val_ok(99);
    s->v[RS_F_TORQUE] = rs_val_ok(30);
    s->v[RS_F_FRICTION] = rs_val_ok(5);
    s->v[RS_F_RPM] = rs_val_ok(1200 + k % 300);
    s->v[RS_F_FUEL_RATE] = rs_val_ok(20.5);
    s->v[RS_F_NOX_UP] = rs_val_ok(300);
    s->v[RS_F_NOX_DOWN] = rs_val_ok(25);
    s->v[RS_F_REAGENT] = rs_val_ok(80);
    s->v[RS_F_AIR_FLOW] = rs_val_ok(700);
    s->v[RS_F_SCR_IN] = rs_val_ok(280);
    s->v[RS_F_SCR_OUT] = rs_val_ok(260);
    s->v[RS_F_DPF_DP] = rs_val_ok(3.5);
    s->v[RS_F_COOLANT] = rs_val_ok(85);
    s->v[RS_F_FUEL_LEVEL] = rs_val_ok(60);
    s->v[RS_F_POS_STATUS] = rs_val_ok(0);
    s->v[RS_F_LAT] = rs_val_ok(31.2);
    s->v[RS_F_LON] = rs_val_ok(121.5);
    s->v[RS_F_ODOMETER] = rs_val_ok(120000 + k * 0.01);
    s->v[RS_F_PEDAL] = rs_val_ok(35);
    s->v[RS_F_TOTAL_FUEL] = rs_val_ok(50000);
    s->v[RS_F_UREA_TEMP] = rs_val_ok(20);
    s->v[RS_F_UREA_DOSE] = rs_val_ok(1500);
    s->v[RS_F_UREA_TOTAL] = rs_val_ok(900000);
    s->v[RS_F_DPF_EXH_TEMP] = rs_val_ok(300);
}

static unsigned long g_samples;
static void count(void *ctx, const rs_sample *s)
{
    (void)ctx;
    (void)s;
    g_samples++;
}

int main(void)
{
    static rs_can_frame frames[SECONDS * MAX_PER_S];
    static rs_j1939_msg msgs[SECONDS * MAX_PER_S];
    size_t nf = 0;
    rs_vcan_cfg vc;
    rs_vcan_cfg_init(&vc);
    vc.fidelity = RS_FIDELITY_FULL;
    rs_sample s;
    rs_vcan_out out = { 0 };
    for (unsigned k = 0; k < SECONDS; k++) {
        a_sample(&s, k);
        out.frames = frames + nf;
        out.cap = MAX_PER_S;
        if (rs_vcan_encode(&vc, &s, NULL, 1700000000000000ull + k * 1000000ull, &out, NULL) != RS_OK) {
            fprintf(stderr, "bench_sampler: encode failed\n");
            return 1;
        }
        nf += out.n;
    }
    for (size_t i = 0; i < nf; i++)
        rs_j1939_from_frame(&frames[i], &msgs[i], NULL);

    /* messages -> samples */
    rs_sampler smp;
    int reps = 5;
    double t0 = now_s();
    for (int r = 0; r < reps; r++) {
        rs_sampler_init(&smp, NULL, count, NULL);
        for (size_t i = 0; i < nf; i++)
            rs_sampler_feed(&smp, &msgs[i]);
    }
    double dt = now_s() - t0;
    printf("sampler: %.2f M J1939 messages/s -> %.0f samples/s (%zu msgs per vehicle-second, "
           "full fidelity; %lu samples)\n",
           (double)nf * reps / dt / 1e6, (double)g_samples / dt, nf / SECONDS, g_samples);

    /* frames -> samples, including the single-frame J1939 split */
    g_samples = 0;
    t0 = now_s();
    for (int r = 0; r < reps; r++) {
        rs_sampler_init(&smp, NULL, count, NULL);
        for (size_t i = 0; i < nf; i++)
            rs_sampler_feed_frame(&smp, &frames[i]);
    }
    dt = now_s() - t0;
    printf("sampler (from CAN frames): %.2f M frames/s -> %.0f samples/s\n",
           (double)nf * reps / dt / 1e6, (double)g_samples / dt);

    /* samples -> frames, sampled fidelity */
    vc.fidelity = RS_FIDELITY_SAMPLED;
    static rs_can_frame buf[MAX_PER_S];
    out.frames = buf;
    out.cap = MAX_PER_S;
    unsigned long n_samples = 0, n_frames = 0;
    t0 = now_s();
    for (unsigned k = 0; k < 200000; k++) {
        a_sample(&s, k);
        rs_vcan_encode(&vc, &s, NULL, 1700000000000000ull + k * 1000000ull, &out, NULL);
        n_samples++;
        n_frames += out.n;
    }
    dt = now_s() - t0;
    printf("vehicle encoder (sampled): %.0f samples/s -> %.2f M frames/s (%lu frames per sample)\n",
           (double)n_samples / dt, (double)n_frames / dt / 1e6, n_frames / n_samples);

    vc.fidelity = RS_FIDELITY_FULL;
    out.frames = frames;
    out.cap = MAX_PER_S;
    n_samples = n_frames = 0;
    t0 = now_s();
    for (unsigned k = 0; k < 50000; k++) {
        a_sample(&s, k);
        rs_vcan_encode(&vc, &s, NULL, 1700000000000000ull + k * 1000000ull, &out, NULL);
        n_samples++;
        n_frames += out.n;
    }
    dt = now_s() - t0;
    printf("vehicle encoder (full): %.0f samples/s -> %.2f M frames/s (%lu frames per sample)\n",
           (double)n_samples / dt, (double)n_frames / dt / 1e6, n_frames / n_samples);
    return 0;
}
