/* Codec rates on one core: encode, and decode + validate, for
 *   - a one-sample GB 17691 real-time packet (time + one 0x02 item), and
 *   - a ten-sample HJ 1239 packet (ten 0x02 items + a signature block).
 * Targets (issue 2): >= 2,000,000 decodes+validations/s and >= 4,000,000
 * encodes/s for the one-sample packet. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "remsim/msg.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill_sample(rs_sample *s, int i)
{
    rs_sample_init(s);
    s->collect = (rs_time){ 24, 5, 20, 10, 30, (uint8_t)(i % 60) };
    s->v[RS_F_SPEED] = rs_val_ok(65.5 + i * 0.1);
    s->v[RS_F_BARO] = rs_val_ok(100);
    s->v[RS_F_TORQUE] = rs_val_ok(50);
    s->v[RS_F_FRICTION] = rs_val_ok(10);
    s->v[RS_F_RPM] = rs_val_ok(1400);
    s->v[RS_F_FUEL_RATE] = rs_val_ok(25.5);
    s->v[RS_F_NOX_UP] = rs_val_ok(520);
    s->v[RS_F_NOX_DOWN] = rs_val_ok(35.5);
    s->v[RS_F_REAGENT] = rs_val_ok(60.4);
    s->v[RS_F_AIR_FLOW] = rs_val_ok(850.25);
    s->v[RS_F_SCR_IN] = rs_val_ok(320.5);
    s->v[RS_F_SCR_OUT] = rs_val_ok(298);
    s->v[RS_F_DPF_DP] = rs_val_ok(3.2);
    s->v[RS_F_COOLANT] = rs_val_ok(85);
    s->v[RS_F_FUEL_LEVEL] = rs_val_ok(75.2);
    s->v[RS_F_POS_STATUS] = rs_val_ok(0);
    s->v[RS_F_LON] = rs_val_ok(116.397128);
    s->v[RS_F_LAT] = rs_val_ok(39.916527);
    s->v[RS_F_ODOMETER] = rs_val_ok(12345.6);
}

static rs_msg msg, dec;
static volatile size_t sink;

static void bench(const char *name, const rs_profile *p, int samples)
{
    static const uint8_t vin[17] = "LTESTHJ16N0000002";
    rs_msg_init(&msg, p, RS_MSG_REPORT, vin);
    rs_report *r = &msg.u.report;
    r->time = (rs_time){ 24, 5, 20, 10, 30, 10 };
    r->serial = 18;
    rs_sample s;
    for (int i = 0; i < samples; i++) {
        fill_sample(&s, i);
        rs_item_from_sample(&r->item[i], RS_INFO_STREAM_DIESEL, &s);
        r->item[i].serial = 18;
    }
    r->n_items = (uint8_t)samples;
    if (p->proto == RS_PROTO_HJ1239) {
        r->has_sig = true;
        r->sig.r_len = r->sig.s_len = 32;
        memset(r->sig.r, 0x5A, 32);
        memset(r->sig.s, 0xA5, 32);
    }
    uint8_t out[1024];
    size_t len = 0;
    rs_err err;
    if (rs_msg_encode(p, &msg, out, sizeof out, &len, &err)) {
        fprintf(stderr, "bench: encode failed\n");
        return;
    }
    long iters = 200000;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        rs_msg_encode(p, &msg, out, sizeof out, &len, &err);
        sink += out[len - 1];
    }
    double enc = iters / (now() - t0);
    t0 = now();
    for (long i = 0; i < iters; i++) {
        if (rs_msg_decode(p, out, len, &dec, &err) != RS_OK) {
            fprintf(stderr, "bench: decode failed\n");
            return;
        }
        sink += dec.u.report.n_items;
    }
    double decr = iters / (now() - t0);
    printf("codec %-28s %4zu bytes: encode %6.2f M/s, decode+validate %6.2f M/s (one core)\n", name, len,
           enc / 1e6, decr / 1e6);
}

int main(void)
{
    rs_profile gb, hj;
    rs_profile_init(&gb, RS_PROTO_GB17691);
    rs_profile_init(&hj, RS_PROTO_HJ1239);
    for (int round = 0; round < 2; round++) { /* the first round warms caches and clocks */
        if (round)
            printf("codec targets: one-sample GB 17691 encode >= 4 M/s, decode+validate >= 2 M/s\n");
        bench("gb17691 one-sample packet", &gb, 1);
        bench("hj1239 ten-sample packet", &hj, 10);
    }
    return 0;
}
