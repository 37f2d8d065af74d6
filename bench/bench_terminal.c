/* Terminal-seconds simulated per CPU second: a fleet of virtual terminals,
 * each fed one sample a second through the state machine and the encoder
 * (login, ten-sample packets, OBD items, time calibration), for both
 * profiles.  The output queue is drained after every event as a worker
 * would, without sending anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remsim/terminal.h"

#define FLEET 1000
#define SECONDS 600

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Fixed r/s bytes: the HJ figure measures the state machine and the encoder,
 * not SM2 (the security issue benches signing on its own). */
static bool sign_fixed_bytes(void *ctx, const uint8_t *msg, size_t len, rs_sig *sig)
{
    (void)ctx;
    (void)msg;
    (void)len;
    sig->r_len = sig->s_len = 32;
    memset(sig->r, 1, 32);
    memset(sig->s, 2, 32);
    return true;
}

static void fill(rs_sample *s, int i)
{
    rs_sample_init(s);
    s->v[RS_F_SPEED] = rs_val_ok(60 + i % 20);
    s->v[RS_F_RPM] = rs_val_ok(1400);
    s->v[RS_F_NOX_UP] = rs_val_ok(520);
    s->v[RS_F_SCR_IN] = rs_val_ok(320.5);
    s->v[RS_F_POS_STATUS] = rs_val_ok(0);
    s->v[RS_F_LON] = rs_val_ok(116.397128);
    s->v[RS_F_LAT] = rs_val_ok(39.916527);
    s->v[RS_F_ODOMETER] = rs_val_ok(12345.6 + i * 0.01);
}

static int run(rs_proto proto)
{
    rs_profile prof;
    rs_profile_init(&prof, proto);
    rs_terminal_config cfg;
    rs_terminal_config_default(&cfg);
    cfg.store_records = 60;
    rs_terminal *fleet = calloc(FLEET, sizeof *fleet);
    uint8_t *stores = malloc(FLEET * rs_terminal_store_bytes(&cfg));
    rs_msg *scratch = malloc(sizeof *scratch);
    static uint8_t buf[RS_TERM_OUT_BYTES];
    if (!fleet || !stores || !scratch)
        return 1;
    rs_term_out out;
    rs_term_out_init(&out, buf, sizeof buf, scratch);
    rs_term_ident id;
    memset(&id, 0, sizeof id);
    memcpy(id.iccid, "89860012345678901234", 20);
    id.sign = proto == RS_PROTO_HJ1239 ? sign_fixed_bytes : NULL;
    int64_t t0 = 1716170400000LL; /* 2024-05-20 10:00 GMT+8 */
    for (int i = 0; i < FLEET; i++) {
        char vin[32];
        snprintf(vin, sizeof vin, "LTESTGB1%09d", i);
        memcpy(id.vin, vin, RS_VIN_LEN);
        rs_err err;
        if (rs_terminal_init(&fleet[i], &prof, &cfg, &id, stores + i * rs_terminal_store_bytes(&cfg),
                             rs_terminal_store_bytes(&cfg), &err) != RS_OK)
            return 1;
        rs_terminal_ignition(&fleet[i], t0, true, &out);
        rs_term_out_clear(&out);
        rs_terminal_connected(&fleet[i], t0, RS_TERM_LINK_PLATFORM, &out);
        rs_term_out_clear(&out);
    }
    rs_sample s;
    unsigned long long frames = 0, bytes = 0;
    double c0 = cpu_now();
    for (int sec = 0; sec < SECONDS; sec++) {
        int64_t now = t0 + sec * 1000LL;
        fill(&s, sec);
        for (int i = 0; i < FLEET; i++) {
            rs_terminal_sample(&fleet[i], now, &s, NULL, &out);
            frames += out.n;
            bytes += out.len;
            rs_term_out_clear(&out);
        }
    }
    double cpu = cpu_now() - c0;
    double ts = (double)FLEET * SECONDS;
    printf("%-8s %d terminals x %d s: %.0f terminal-seconds per CPU second (%.2f us each), %llu frames, "
           "%.1f MB; sizeof(rs_terminal) = %zu\n",
           rs_proto_name(proto), FLEET, SECONDS, ts / cpu, cpu / ts * 1e6, frames, bytes / 1e6,
           sizeof(rs_terminal));
    free(fleet);
    free(stores);
    free(scratch);
    return 0;
}

int main(void)
{
    return run(RS_PROTO_GB17691) || run(RS_PROTO_HJ1239);
}
