/* Sample -> J1939 frames (vehicle_can) -> J1939 RX -> sampler -> sample:
 * the round trip, the two fidelities, DM1 through the TP sender. */
#include "testutil.h"

#include <math.h>

#include "remsim/j1939.h"
#include "remsim/j1939_dm.h"
#include "remsim/j1939_tp.h"
#include "remsim/sampler.h"
#include "remsim/vehicle.h"
#include "remsim/vehicle_can.h"

#define T0 1700000000000000ull
#define N_ROUND 3000

static uint64_t g_rng = 0x9E3779B97F4A7C15ull; /* fixed seed */
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static double urand(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static bool fed(int f)
{
    return rs_sig_primary_row((rs_field_id)f) >= 0;
}

/* A random sample: every CAN-fed field valid (in its common range), invalid
 * or abnormal; position valid or not, any hemisphere. */
static void random_sample(rs_sample *s, const rs_sig_cfg *c)
{
    rs_sample_init(s);
    s->has_supplement = true;
    for (int f = 0; f < RS_F_COUNT; f++) {
        if (!fed(f) || f == RS_F_LAT || f == RS_F_LON)
            continue;
        unsigned k = (unsigned)(rnd() % 10);
        if (k == 0) {
            s->v[f] = rs_val_invalid();
        } else if (k == 1) {
            s->v[f] = (rs_val){ 0, 0, RS_ABNORMAL };
        } else {
            double lo, hi, step;
            assert_true(rs_sig_field_range((rs_field_id)f, c, &lo, &hi, &step));
            double v = k == 2 ? lo : k == 3 ? hi : lo + urand() * (hi - lo);
            s->v[f] = rs_val_ok(v);
        }
    }
    if (rnd() % 5 == 0) {
        s->v[RS_F_POS_STATUS] = rs_val_ok(1);
    } else {
        unsigned st = (unsigned)(rnd() % 4) << 1;
        s->v[RS_F_POS_STATUS] = rs_val_ok(st);
        s->v[RS_F_LAT] = rs_val_ok(0.001 + urand() * 89.998);
        s->v[RS_F_LON] = rs_val_ok(0.001 + urand() * 179.998);
    }
}

typedef struct rt {
    rs_sample got[N_ROUND + 2];
    size_t n;
} rt;

static void collect(void *ctx, const rs_sample *s)
{
    rt *r = ctx;
    if (r->n < N_ROUND + 2)
        r->got[r->n++] = *s;
}

static rs_sample g_in[N_ROUND];
static rt g_rt;
static rs_j1939_rx g_rx;
static rs_can_frame g_frames[1024];

static void feed_all(rs_sampler *smp, const rs_can_frame *f, size_t n)
{
    rs_j1939_msg m;
    for (size_t i = 0; i < n; i++)
        if (rs_j1939_rx_feed(&g_rx, &f[i], &m) == 1)
            rs_sampler_feed(smp, &m);
}

static void compare(size_t i, const rs_sample *in, const rs_sample *out, const rs_sig_cfg *c)
{
    for (int f = 0; f < RS_F_COUNT; f++) {
        if (!fed(f) || f == RS_F_LAT || f == RS_F_LON)
            continue;
        const rs_val *a = &in->v[f], *b = &out->v[f];
        if (a->state != b->state)
            fail_msg("sample %zu %s: state %s -> %s", i, rs_fields[f].name,
                     rs_state_name((rs_state)a->state), rs_state_name((rs_state)b->state));
        if (a->state != RS_VALID)
            continue;
        double lo, hi, step;
        rs_sig_field_range((rs_field_id)f, c, &lo, &hi, &step);
        if (fabs(a->value - b->value) > step / 2 + 1e-9 * fmax(1, fabs(a->value)))
            fail_msg("sample %zu %s: %.9f -> %.9f (step %.6g)", i, rs_fields[f].name, a->value,
                     b->value, step);
    }
    unsigned st_in = (unsigned)in->v[RS_F_POS_STATUS].value;
    unsigned st_out = (unsigned)out->v[RS_F_POS_STATUS].value;
    if (st_in & 1u) {
        assert_true(st_out & 1u);
        return;
    }
    assert_int_equal(st_in, st_out);
    for (int f = RS_F_LON; f <= RS_F_LAT; f++) {
        assert_int_equal(out->v[f].state, RS_VALID);
        if (fabs(in->v[f].value - out->v[f].value) > 0.5e-6 + 1e-12)
            fail_msg("sample %zu %s: %.9f -> %.9f", i, rs_fields[f].name, in->v[f].value,
                     out->v[f].value);
    }
}

static void round_trip(rs_fidelity fid, size_t n)
{
    rs_vcan_cfg vc;
    rs_vcan_cfg_init(&vc);
    vc.fidelity = (uint8_t)fid;
    rs_sampler_cfg sc;
    rs_sampler_cfg_init(&sc);
    rs_sampler smp;
    g_rt.n = 0;
    rs_sampler_init(&smp, &sc, collect, &g_rt);
    assert_int_equal(rs_j1939_rx_init(&g_rx, NULL, NULL), RS_OK);
    rs_vcan_out out = { .frames = g_frames, .cap = sizeof g_frames / sizeof g_frames[0] };
    rs_err err;
    for (size_t i = 0; i < n; i++) {
        random_sample(&g_in[i], &vc.sig);
        assert_int_equal(rs_vcan_encode(&vc, &g_in[i], NULL, T0 + i * 1000000ull, &out, &err), RS_OK);
        assert_int_equal(out.unencodable, 0);
        feed_all(&smp, out.frames, out.n);
    }
    rs_sampler_advance(&smp, T0 + n * 1000000ull);
    assert_int_equal(g_rt.n, n);
    for (size_t i = 0; i < n; i++)
        compare(i, &g_in[i], &g_rt.got[i], &sc.sig);
}

static void test_round_trip_sampled(void **state)
{
    (void)state;
    round_trip(RS_FIDELITY_SAMPLED, N_ROUND);
}

static void test_round_trip_full(void **state)
{
    (void)state;
    round_trip(RS_FIDELITY_FULL, 200);
}

static size_t count_id(const rs_vcan_out *o, uint32_t id)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += o->frames[i].id == id;
    return n;
}

static void test_full_fidelity_frames(void **state)
{
    (void)state;
    rs_vcan_cfg vc;
    rs_vcan_cfg_init(&vc);
    vc.fidelity = RS_FIDELITY_FULL;
    rs_sample s;
    rs_sample_init(&s);
    s.v[RS_F_RPM] = rs_val_ok(650);
    s.v[RS_F_TORQUE] = rs_val_ok(7);
    rs_vcan_out out = { .frames = g_frames, .cap = sizeof g_frames / sizeof g_frames[0] };
    rs_obd obd = { .protocol = 2, .mil = 0, .dtc_count = 0 };
    assert_int_equal(rs_vcan_encode(&vc, &s, &obd, T0, &out, NULL), RS_OK);
    print_message("full fidelity: %zu frames per second (sampled: ", out.n);
    assert_int_equal(out.n, rs_vcan_frames_per_second(&vc));
    /* rates: EEC1 10 ms, EEC3 20 ms, EGF1 50 ms, CCVS1 100 ms, ET1 1 s */
    assert_int_equal(count_id(&out, 0x0CF00400), 100);
    assert_int_equal(count_id(&out, 0x18FEDF00), 50);
    assert_int_equal(count_id(&out, 0x0CF00A00), 20);
    assert_int_equal(count_id(&out, 0x18FEF100), 10);
    assert_int_equal(count_id(&out, 0x18FEEE00), 1);
    assert_int_equal(count_id(&out, 0x18F00E51), 20);   /* NOx from the sensor's address */
    assert_int_equal(count_id(&out, 0x18FEF31C), 1);    /* VP1 from navigation 0x1C */
    assert_int_equal(count_id(&out, 0x18FECA00), 1);    /* DM1, no fault: one frame */
    /* TWC and hybrid groups: AT1TWC 500 ms and the proprietary O2 group
     * 100 ms from the engine; MG1IS1 10 ms from the electric propulsion
     * unit 0xEF; HVESSD1/2 20 ms from battery pack monitor 0xF3. */
    assert_int_equal(count_id(&out, 0x18FD4600), 2);
    assert_int_equal(count_id(&out, 0x18FFA000), 10);
    assert_int_equal(count_id(&out, 0x0CFB74EF), 100);
    assert_int_equal(count_id(&out, 0x0CF090F3), 50);
    assert_int_equal(count_id(&out, 0x0CF091F3), 50);
    for (size_t i = 0; i < out.n; i++) {
        const rs_can_frame *f = &out.frames[i];
        assert_true(f->ts_us >= T0 && f->ts_us < T0 + 1000000);
        if (i)
            assert_true(f->ts_us >= out.frames[i - 1].ts_us);
        assert_int_equal(f->flags, RS_CAN_EXT);
        assert_int_equal(f->len, 8);
        if (f->id == 0x0CF00400) {
            /* EEC1: bytes 1, 2, 6, 7, 8 unmodelled -> 0xFF, never 0x00 */
            static const uint8_t want[8] = { 0xFF, 0xFF, 132, 0x50, 0x14, 0xFF, 0xFF, 0xFF };
            assert_memory_equal(f->data, want, 8);
        }
        if (f->id == 0x18FECA00) {
            static const uint8_t none[8] = { 0x00, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF };
            assert_memory_equal(f->data, none, 8);
        }
    }
    vc.fidelity = RS_FIDELITY_SAMPLED;
    assert_int_equal(rs_vcan_encode(&vc, &s, NULL, T0, &out, NULL), RS_OK);
    print_message("%zu)\n", out.n);
    assert_int_equal(count_id(&out, 0x0CF00400), 1);
    assert_int_equal(out.n + 1, rs_vcan_frames_per_second(&vc));
    /* too little room: an error, nothing written past cap */
    rs_vcan_out small = { .frames = g_frames, .cap = 3 };
    rs_err err;
    assert_int_equal(rs_vcan_encode(&vc, &s, NULL, T0, &small, &err), RS_E_SPACE);
}

/* The vehicle model of every type (sim/vehicle.c) -> frames -> J1939 RX ->
 * sampler: every field of the type's streams comes back as the model set
 * it, within the coarser of the report and CAN steps, and the TWC and
 * hybrid fields are really there (valid), not merely equally invalid. */
static void vehicle_round_trip(rs_veh_type type, size_t n)
{
    rs_vehicle_cfg vcfg;
    rs_vehicle_cfg_init(&vcfg, type);
    vcfg.warm = true;
    vcfg.ignition = true;
    vcfg.seed = 1000u + (unsigned)type;
    vcfg.noise = 1;
    static rs_vehicle veh;
    rs_vehicle_init(&veh, &vcfg);

    rs_vcan_cfg vc;
    rs_vcan_cfg_init(&vc);
    rs_sampler_cfg sc;
    rs_sampler_cfg_init(&sc);
    rs_sampler smp;
    g_rt.n = 0;
    rs_sampler_init(&smp, &sc, collect, &g_rt);
    assert_int_equal(rs_j1939_rx_init(&g_rx, NULL, NULL), RS_OK);
    rs_vcan_out out = { .frames = g_frames, .cap = sizeof g_frames / sizeof g_frames[0] };
    rs_err err;
    for (size_t i = 0; i < n; i++) {
        /* stop, pull away, cruise, brake (the hybrid recuperates), again;
         * the last minute with the ignition off: sensors that lose power
         * must turn invalid in the sample at once, never stay stale */
        double v = 45 + 45 * sin((double)i / 40.0);
        if (i == n - 60)
            rs_vehicle_ignition(&veh, false);
        rs_vehicle_step(&veh, v < 3 ? 0 : v, (i / 100) % 2 ? 2.0 : -1.0, &g_in[i]);
        assert_int_equal(rs_vcan_encode(&vc, &g_in[i], NULL, T0 + i * 1000000ull, &out, &err), RS_OK);
        if (out.unencodable)
            fail_msg("%s second %zu: %u values outside their J1939 range", rs_veh_type_name(type), i,
                     out.unencodable);
        feed_all(&smp, out.frames, out.n);
    }
    rs_sampler_advance(&smp, T0 + n * 1000000ull);
    assert_int_equal(g_rt.n, n);
    for (size_t i = 0; i < n; i++)
        compare(i, &g_in[i], &g_rt.got[i], &sc.sig);

    /* the streams' fields came back valid in (nearly) every second */
    uint8_t types[2] = { g_in[0].stream, g_in[0].has_hybrid ? RS_INFO_HYBRID : 0 };
    for (unsigned t = 0; t < 2 && types[t]; t++) {
        unsigned nl;
        const uint8_t *l = rs_info_layout(types[t], &nl);
        for (unsigned k = 0; k < nl; k++) {
            size_t valid = 0;
            for (size_t i = 0; i < n; i++)
                valid += g_rt.got[i].v[l[k]].state == RS_VALID;
            if (valid < (n - 60) * 9 / 10)
                fail_msg("%s: %s valid in %zu of %zu seconds", rs_veh_type_name(type),
                         rs_fields[l[k]].name, valid, n);
        }
    }
}

static void test_vehicle_model_types(void **state)
{
    (void)state;
    for (int t = 0; t < RS_VEH_TYPE_COUNT; t++)
        if (t != RS_VEH_HYBRID)
            vehicle_round_trip((rs_veh_type)t, 600);
    vehicle_round_trip(RS_VEH_HYBRID, 600); /* last: its samples stay in g_rt */
    /* the hybrid really recuperated: negative battery current came through */
    bool charging = false;
    for (size_t i = 0; i < 600; i++)
        charging |= g_rt.got[i].v[RS_F_BATT_CURRENT].state == RS_VALID &&
                    g_rt.got[i].v[RS_F_BATT_CURRENT].value < -1;
    assert_true(charging);
}

/* TP sender output, captured. */
static rs_can_frame g_tp[64];
static size_t g_ntp;
static void tp_out(void *user, const rs_can_frame *f)
{
    (void)user;
    if (g_ntp < 64)
        g_tp[g_ntp++] = *f;
}

static void test_dm1_via_tp(void **state)
{
    (void)state;
    /* The idle truck's faults: SPN 980/9, 3216/20, 609/9, 609/12. */
    static const uint32_t spn[4] = { 980, 3216, 609, 609 };
    static const uint8_t fmi[4] = { 9, 20, 9, 12 };
    uint8_t dtc[16];
    for (int i = 0; i < 4; i++) {
        rs_dm_dtc d;
        assert_int_equal(rs_dm_dtc_make(spn[i], fmi[i], 0, 1, &d, NULL), RS_OK);
        memcpy(dtc + 4 * i, d.raw, 4);
    }
    rs_obd obd = { .protocol = 2, .mil = 1, .dtc_count = 4, .dtc = dtc };
    rs_vcan_cfg vc;
    rs_vcan_cfg_init(&vc);
    rs_sample s;
    rs_sample_init(&s);
    rs_vcan_out out = { .frames = g_frames, .cap = sizeof g_frames / sizeof g_frames[0] };
    assert_int_equal(rs_vcan_encode(&vc, &s, &obd, T0, &out, NULL), RS_OK);
    assert_true(out.dm1_tp);
    assert_int_equal(out.dm1_len, 18);
    assert_int_equal(out.dm1[0], 0x40); /* MIL on, other lamps off */
    assert_int_equal(count_id(&out, 0x18FECA00), 0);

    /* Through the TP sender (BAM), then RX and the sampler's OBD state. */
    rs_tp_tx_cfg tc;
    rs_tp_tx_cfg_default(&tc);
    tc.self_addr = vc.dm1_sa;
    tc.send = tp_out;
    static rs_tp_tx tx;
    assert_int_equal(rs_tp_tx_init(&tx, &tc, NULL), RS_OK);
    g_ntp = 0;
    assert_int_equal(rs_tp_tx_send(&tx, T0, 6, RS_PGN_DM1, 0xFF, out.dm1, out.dm1_len, NULL), RS_OK);
    for (uint64_t t = T0; t < T0 + 1000000; t += 10000)
        rs_tp_tx_tick(&tx, t);
    assert_int_equal(g_ntp, 4); /* BAM + 3 packets */
    assert_int_equal(g_tp[0].id, 0x1CECFF00);

    rs_sampler smp;
    rs_sampler_init(&smp, NULL, NULL, NULL);
    assert_int_equal(rs_j1939_rx_init(&g_rx, NULL, NULL), RS_OK);
    feed_all(&smp, g_tp, g_ntp);
    rs_sampler_advance(&smp, T0 + 1000000);
    smp.instant_us = T0 + 1000000;
    rs_obd got;
    unsigned have = rs_sampler_obd(&smp, &got);
    assert_true(have & RS_OBD_HAVE_DTC);
    assert_int_equal(got.mil, 1);
    assert_int_equal(got.dtc_count, 4);
    assert_memory_equal(got.dtc, dtc, 16);

    /* one fault: a single 8-byte frame, padded with 0xFF */
    obd.dtc_count = 1;
    assert_int_equal(rs_vcan_encode(&vc, &s, &obd, T0, &out, NULL), RS_OK);
    assert_false(out.dm1_tp);
    assert_int_equal(count_id(&out, 0x18FECA00), 1);
    assert_int_equal(out.dm1[6], 0xFF);
    assert_int_equal(out.dm1[7], 0xFF);
    /* MIL unknown: lamp bits 11 */
    obd.mil = 0xFE;
    assert_int_equal(rs_vcan_dm1_payload(&obd, out.dm1), 8);
    assert_int_equal(out.dm1[0] >> 6, 3);
}

static void test_fidelity_names(void **state)
{
    (void)state;
    rs_fidelity f;
    assert_true(rs_fidelity_parse("full", &f));
    assert_int_equal(f, RS_FIDELITY_FULL);
    assert_true(rs_fidelity_parse("sampled", &f));
    assert_int_equal(f, RS_FIDELITY_SAMPLED);
    assert_false(rs_fidelity_parse("fast", &f));
    assert_string_equal(rs_fidelity_name(RS_FIDELITY_FULL), "full");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_sampled),
        cmocka_unit_test(test_round_trip_full),
        cmocka_unit_test(test_full_fidelity_frames),
        cmocka_unit_test(test_vehicle_model_types),
        cmocka_unit_test(test_dm1_via_tp),
        cmocka_unit_test(test_fidelity_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
