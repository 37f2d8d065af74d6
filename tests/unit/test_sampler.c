/* The 1 Hz sampler on the recorded traces (shared/traces/README.md) and on
 * hand-made messages: values, markers, sender selection, timeouts, clock. */
#include "testutil.h"
#include "sigtrace.h"

#include <math.h>

#include "remsim/sampler.h"
#include "remsim/time.h"

#define IDLE "traces/css-electronics/truck_idle_2021-10-25.candump"
#define ENGINE_OFF "traces/css-electronics/truck_engine_off_vin_2021-06-01.candump"
#define ETI "traces/eti-j1939-84/j1939_840.candump"

static sigtrace g_t;
static rs_sampler g_s;

static double vmin[RS_F_COUNT], vmax[RS_F_COUNT];
static unsigned nvalid[RS_F_COUNT];

/* Min/max of valid values of every field over samples [from, n). */
static void scan(const sigtrace *t, size_t from)
{
    for (int f = 0; f < RS_F_COUNT; f++) {
        vmin[f] = INFINITY;
        vmax[f] = -INFINITY;
        nvalid[f] = 0;
    }
    for (size_t i = from; i < t->n; i++)
        for (int f = 0; f < RS_F_COUNT; f++)
            if (t->s[i].v[f].state == RS_VALID) {
                vmin[f] = fmin(vmin[f], t->s[i].v[f].value);
                vmax[f] = fmax(vmax[f], t->s[i].v[f].value);
                nvalid[f]++;
            }
}

static void print_ranges(const char *what, const sigtrace *t)
{
    print_message("%s: %zu frames, %zu samples\n", what, t->frames, t->n);
    for (int f = 0; f < RS_F_COUNT; f++)
        if (nvalid[f])
            print_message("  %-13s %u valid  %.6f .. %.6f\n", rs_fields[f].name, nvalid[f],
                          vmin[f], vmax[f]);
}

/* Every sample of [from, n) has the field valid within [lo, hi]. */
static void all_in(const sigtrace *t, size_t from, rs_field_id f, double lo, double hi)
{
    for (size_t i = from; i < t->n; i++) {
        const rs_val *v = &t->s[i].v[f];
        if (v->state != RS_VALID || v->value < lo - 1e-9 || v->value > hi + 1e-9)
            fail_msg("sample %zu: %s = %.6f (%s), want %.4f .. %.4f", i, rs_fields[f].name,
                     v->value, rs_state_name((rs_state)v->state), lo, hi);
    }
}

static void all_state(const sigtrace *t, size_t from, rs_field_id f, rs_state st)
{
    for (size_t i = from; i < t->n; i++)
        if (t->s[i].v[f].state != st)
            fail_msg("sample %zu: %s is %s, want %s", i, rs_fields[f].name,
                     rs_state_name((rs_state)t->s[i].v[f].state), rs_state_name(st));
}

static void test_idle_truck(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, IDLE);
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    scan(&g_t, 0);
    print_ranges("idle truck", &g_t);

    /* 127.2 s of trace: one sample per whole second inside it. */
    assert_in_range(g_t.n, 126, 128);
    assert_int_equal(g_s.stats.gaps, 0);

    /* Sample k is taken at whole second 1635188456 + k (UTC), in GMT+8. */
    assert_int_equal(rs_time_to_unix(&g_t.s[0].collect), 1635188456);
    assert_int_equal(g_t.s[0].collect.year, 21);
    assert_int_equal(g_t.s[0].collect.month, 10);
    assert_int_equal(g_t.s[0].collect.day, 26);
    assert_int_equal(g_t.s[0].collect.hour, 3);
    assert_int_equal(rs_time_to_unix(&g_t.s[100].collect), 1635188556);

    all_in(&g_t, 0, RS_F_RPM, 630, 670);
    all_in(&g_t, 0, RS_F_COOLANT, 71, 72);
    all_in(&g_t, 0, RS_F_NOX_UP, 85.65, 91.0);
    all_state(&g_t, 0, RS_F_NOX_DOWN, RS_INVALID);   /* 0xFAFF + status 11, not 3012.75 */
    all_state(&g_t, 0, RS_F_SCR_IN, RS_INVALID);     /* 0xFFFF from SA 0x55 */
    all_in(&g_t, 0, RS_F_FUEL_LEVEL, 74.8, 74.8);
    all_in(&g_t, 0, RS_F_BARO, 98.5, 99);
    all_in(&g_t, 0, RS_F_TORQUE, 6, 8);
    all_in(&g_t, 0, RS_F_FRICTION, 4, 6);
    all_in(&g_t, 0, RS_F_FUEL_RATE, 2.45, 2.85);
    all_in(&g_t, 0, RS_F_AIR_FLOW, 96, 106);
    /* 1 s PGNs: the first may come after the first instant */
    all_in(&g_t, 1, RS_F_REAGENT, 100, 100);
    all_in(&g_t, 0, RS_F_SCR_OUT, 85, 100);          /* "~93 degC" */
    all_in(&g_t, 0, RS_F_DPF_DP, 0.2, 0.2);
    all_in(&g_t, 0, RS_F_SPEED, 0, 0);               /* vehicle stopped */
    all_in(&g_t, 1, RS_F_UREA_TEMP, 18, 18);         /* "DEF at 18 degC" */
    all_in(&g_t, 0, RS_F_TORQUE_MODE, 9, 9);         /* the configured constant */

    /* Odometer 13 832.875 km (VD, 0.125 km) -> 0.1 km: raw 138329. */
    for (size_t i = 0; i < g_t.n; i++) {
        const rs_val *o = &g_t.s[i].v[RS_F_ODOMETER];
        assert_int_equal(o->state, RS_VALID);
        assert_true(fabs(o->value - 13832.875) < 0.1);
        assert_int_equal(o->raw, 138329);
    }

    /* Position from the CANmod.gps on can1 (first fix ~12 s in): Iowa, so
     * north (bit 1 clear) and west (bit 2 set); no fix before it. */
    size_t first = 0;
    while (first < g_t.n && (g_t.s[first].v[RS_F_POS_STATUS].raw & 1u))
        first++;
    print_message("  first GNSS fix in sample %zu\n", first);
    assert_in_range(first, 5, 20);
    assert_int_equal(g_t.s[0].v[RS_F_LAT].state, RS_INVALID);
    for (size_t i = first; i < g_t.n; i++) {
        const rs_sample *s = &g_t.s[i];
        assert_int_equal(s->v[RS_F_POS_STATUS].raw, 4u);
        assert_int_equal(s->v[RS_F_LAT].state, RS_VALID);
        assert_true(s->v[RS_F_LAT].value > 40.37 && s->v[RS_F_LAT].value < 43.51);
        assert_true(s->v[RS_F_LON].value > 90.14 && s->v[RS_F_LON].value < 96.64);
        /* magnitudes on the 1e-6 grid */
        assert_int_equal(s->v[RS_F_LAT].raw, (uint32_t)llround(s->v[RS_F_LAT].value * 1e6));
    }
    print_message("  position %.6f N %.6f W\n", g_t.s[first].v[RS_F_LAT].value,
                  g_t.s[first].v[RS_F_LON].value);
    /* OBD from the DM1 BAM (18 bytes, every second): MIL on, 4 faults
     * SPN 980/9, 3216/20, 609/9, 609/12, once the first DM1 is complete. */
    size_t last = g_t.n - 1;
    assert_int_equal(g_t.mil[last], 1);
    assert_int_equal(g_t.ndtc[last], 4);
    rs_dm_dtc d;
    rs_dm_dtc_decode(&g_t.dtc[last][0], &d);
    assert_int_equal(d.spn, 980);
    assert_int_equal(d.fmi, 9);
    rs_dm_dtc_decode(&g_t.dtc[last][4], &d);
    assert_int_equal(d.spn, 3216);
    assert_int_equal(d.fmi, 20);
    print_message("  OBD: MIL %u, %u DTCs (have 0x%x)\n", g_t.mil[last], g_t.ndtc[last], g_t.have[last]);
    print_message("  messages %llu, used %llu, ignored (sender) %llu\n", (unsigned long long)g_s.stats.msgs,
                  (unsigned long long)g_s.stats.used, (unsigned long long)g_s.stats.ignored_sa);
    assert_in_range(g_s.stats.used, 34000, 35000);
}

static void test_engine_off_truck(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, ENGINE_OFF);
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    scan(&g_t, 0);
    print_ranges("engine-off truck (defaults)", &g_t);
    assert_in_range(g_t.n, 184, 187);

    /* Sensors at 0x51/0x52 send NOx 0xFFFF: not available, never a number. */
    all_state(&g_t, 0, RS_F_NOX_UP, RS_INVALID);
    all_state(&g_t, 0, RS_F_NOX_DOWN, RS_INVALID);
    /* CCVS1 only from 0x47, which is not configured for speed. */
    all_state(&g_t, 0, RS_F_SPEED, RS_INVALID);
    assert_true(g_s.stats.ignored_sa > 100);
    /* The logger was filtered: the engine is heard 830-870 s and 999-1016 s
     * only; in between its fields time out to invalid, never stay stale. */
    assert_in_range(nvalid[RS_F_RPM], 55, 65);
    assert_true(vmin[RS_F_RPM] == 0 && vmax[RS_F_RPM] == 0);
    assert_true(vmin[RS_F_UREA_DOSE] == 0 && vmax[RS_F_UREA_DOSE] == 0); /* A1SCRDSI1 from 0x00 */
    /* DEF tank from 0xA3 (second configured sender), every 10 s: level
     * n/a, 37-38 degC, fresh with a 12 s timeout. */
    all_state(&g_t, 0, RS_F_REAGENT, RS_INVALID);
    assert_true(vmin[RS_F_UREA_TEMP] >= 37 && vmax[RS_F_UREA_TEMP] <= 38);
    cfg.timeout_ms = 12000;
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    all_in(&g_t, 1, RS_F_UREA_TEMP, 37, 38);
    cfg.timeout_ms = 5000;

    /* Configured: "speed=0x47" makes the cluster's CCVS1 the source. */
    rs_err err;
    assert_int_equal(rs_sig_cfg_set(&cfg.sig, "speed=0x47", &err), RS_OK);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    all_in(&g_t, 0, RS_F_SPEED, 0, 0);

    /* Fallback "any": the same, without naming the sender. */
    rs_sampler_cfg_init(&cfg);
    assert_int_equal(rs_sig_cfg_set(&cfg.sig, "fallback=any", &err), RS_OK);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    all_in(&g_t, 0, RS_F_SPEED, 0, 0);
}

static void test_eti_multi_ecu(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(path, ETI);
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    scan(&g_t, 0);
    print_ranges("ETI j1939_840 (defaults)", &g_t);
    assert_in_range(g_t.n, 3, 4);

    /* CCVS1 from 0x00 (0 km/h), 0x0B (0 km/h) and 0x21 (0xFFFF), 0x21 last
     * in every round: the configured 0x00 wins, "last one wins" would give
     * invalid. */
    all_in(&g_t, 0, RS_F_SPEED, 0, 0);
    /* EEC1 all 0xFF from 0x21 does not touch the engine's values. */
    all_in(&g_t, 0, RS_F_RPM, 0, 0);
    all_in(&g_t, 0, RS_F_TORQUE, 0, 0);
    /* Odometer from VD: 57 088.875 km; total fuel from LFC1: 19 945 L. */
    all_in(&g_t, 0, RS_F_ODOMETER, 57088.875, 57088.875);
    assert_int_equal(g_t.s[0].v[RS_F_ODOMETER].raw, 570889);
    all_in(&g_t, 0, RS_F_TOTAL_FUEL, 19945, 19945);
    all_state(&g_t, 0, RS_F_NOX_UP, RS_INVALID);
    /* AT1TWC from the engine, 18FD4600#FFFFE034FFFFFFFF every 500 ms: intake
     * n/a, outlet 150 degC, so the TWC temperature comes from the outlet row. */
    all_in(&g_t, 0, RS_F_TWC_TEMP, 150, 150);
    /* no hybrid ECUs on this bus */
    all_state(&g_t, 0, RS_F_BATT_VOLTAGE, RS_INVALID);
    all_state(&g_t, 0, RS_F_MOTOR_SPEED, RS_INVALID);
    /* DM1 "no DTC" from five ECUs: MIL off, no faults. */
    assert_int_equal(g_t.mil[g_t.n - 1], 0);
    assert_int_equal(g_t.ndtc[g_t.n - 1], 0);

    /* Speed from the body controller (0x21) is n/a: the configuration decides. */
    rs_err err;
    assert_int_equal(rs_sig_cfg_set(&cfg.sig, "ccvs1_speed=0x21", &err), RS_OK);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    all_state(&g_t, 0, RS_F_SPEED, RS_INVALID);
    /* And rpm from 0x21 likewise. */
    rs_sampler_cfg_init(&cfg);
    assert_int_equal(rs_sig_cfg_set(&cfg.sig, "rpm=0x21", &err), RS_OK);
    assert_true(sigtrace_run(path, &cfg, &g_t, &g_s));
    all_state(&g_t, 0, RS_F_RPM, RS_INVALID);
}

/* ---- hand-made messages ---------------------------------------------------- */

static rs_sample g_last;
static unsigned g_count;
static void keep(void *ctx, const rs_sample *s)
{
    (void)ctx;
    g_last = *s;
    g_count++;
}

static void feed(rs_sampler *s, uint64_t ts, uint32_t pgn, uint8_t sa, const char *hex)
{
    uint8_t d[8];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)(sigtrace_hex(hex[2 * i]) * 16 + sigtrace_hex(hex[2 * i + 1]));
    rs_j1939_msg m = { ts, pgn, 6, sa, 0xFF, 0, (uint16_t)n, d };
    rs_sampler_feed(s, &m);
}

#define T0 1700000000000000ull

static void test_markers_and_timeout(void **state)
{
    (void)state;
    rs_sampler s;
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    cfg.timeout_ms = 2000;
    rs_sampler_init(&s, &cfg, keep, NULL);
    g_count = 0;
    /* rpm 800, torque error (0xFE), coolant n/a */
    feed(&s, T0 + 100, 61444, 0x00, "FFFFFE0019FFFFFF");
    feed(&s, T0 + 200, 65262, 0x00, "FFFFFFFFFFFFFFFF");
    feed(&s, T0 + 1000100, 65269, 0x00, "C5FFFFFFFFFFFFFF");
    assert_int_equal(g_count, 1);
    assert_int_equal(g_last.v[RS_F_RPM].state, RS_VALID);
    assert_true(fabs(g_last.v[RS_F_RPM].value - 800) < 1e-9);
    assert_int_equal(g_last.v[RS_F_TORQUE].state, RS_ABNORMAL);
    assert_int_equal(g_last.v[RS_F_TORQUE].raw, 0xFE);
    assert_int_equal(g_last.v[RS_F_COOLANT].state, RS_INVALID);
    assert_int_equal(g_last.v[RS_F_COOLANT].raw, 0xFF);
    assert_int_equal(g_last.v[RS_F_BARO].state, RS_INVALID); /* came after the instant */
    /* Silent 2.5 s later: rpm has timed out, baro (1.4 s old) not yet. */
    rs_sampler_advance(&s, T0 + 3500000);
    assert_int_equal(g_count, 3);
    assert_int_equal(g_last.v[RS_F_RPM].state, RS_INVALID);
    assert_int_equal(g_last.v[RS_F_BARO].state, RS_VALID);
    assert_true(fabs(g_last.v[RS_F_BARO].value - 98.5) < 1e-9);
    /* A long jump restarts the clock instead of emitting hours of samples. */
    feed(&s, T0 + 4000000000ull * 1000, 65269, 0x00, "C5");
    assert_int_equal(g_count, 3);
    assert_int_equal(s.stats.gaps, 1);
    /* Stamps going backwards are clamped, not a crash or a rewind. */
    feed(&s, T0 + 100, 65269, 0x00, "C6");
    assert_int_equal(g_count, 3);
}

static void test_sender_preference(void **state)
{
    (void)state;
    rs_sampler s;
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    rs_err err;
    assert_int_equal(rs_sig_cfg_set(&cfg.sig, "nox_up=0x51,0x00", &err), RS_OK);
    rs_sampler_init(&s, &cfg, keep, NULL);
    /* engine re-broadcast valid (status 11), sensor says "not at temperature" */
    feed(&s, T0 + 10, 61454, 0x00, "821639C4FFFFFFFF");
    feed(&s, T0 + 20, 61454, 0x51, "9016FFFF00FFFFFF");
    rs_sampler_advance(&s, T0 + 1000000);
    assert_int_equal(g_last.v[RS_F_NOX_UP].state, RS_VALID);
    assert_true(fabs(g_last.v[RS_F_NOX_UP].value - 88.1) < 1e-6);
    /* sensor ready (status 01/01/01): preferred over the engine */
    feed(&s, T0 + 1000010, 61454, 0x51, "9016FFFF55FFFFFF");
    feed(&s, T0 + 1000020, 61454, 0x00, "821639C4FFFFFFFF");
    rs_sampler_advance(&s, T0 + 2000000);
    assert_true(fabs(g_last.v[RS_F_NOX_UP].value - 88.8) < 1e-6);
    /* an unlisted sender is ignored in strict mode */
    feed(&s, T0 + 2000010, 65265, 0x17, "FF0010FFFFFFFFFF");
    rs_sampler_advance(&s, T0 + 3000000);
    assert_int_equal(g_last.v[RS_F_SPEED].state, RS_INVALID);

    /* fallback any: the first unlisted sender is kept while it talks */
    rs_sampler_cfg_init(&cfg);
    cfg.sig.fallback = RS_SA_ANY;
    rs_sampler_init(&s, &cfg, keep, NULL);
    for (int k = 0; k < 10; k++) {
        feed(&s, T0 + (uint64_t)k * 100000 + 1, 65265, 0x17, "FF0010FFFFFFFFFF"); /* 16 km/h */
        feed(&s, T0 + (uint64_t)k * 100000 + 2, 65265, 0x21, "FF0020FFFFFFFFFF"); /* 32 km/h */
    }
    rs_sampler_advance(&s, T0 + 1000000);
    assert_true(fabs(g_last.v[RS_F_SPEED].value - 16) < 1e-9);
    /* the configured sender, once it speaks, wins */
    feed(&s, T0 + 1000001, 65265, 0x00, "FF0030FFFFFFFFFF");
    rs_sampler_advance(&s, T0 + 2000000);
    assert_true(fabs(g_last.v[RS_F_SPEED].value - 48) < 1e-9);
}

static void test_vp1_position(void **state)
{
    (void)state;
    rs_sampler s;
    rs_sampler_init(&s, NULL, keep, NULL);
    /* VP1 from 0x1C: lat -33.865143 (south), lon 151.2099 (east).
     * raw = (deg + 210) / 1e-7 */
    uint8_t d[8];
    uint32_t la = (uint32_t)llround((-33.865143 + 210) / 1e-7);
    uint32_t lo = (uint32_t)llround((151.2099 + 210) / 1e-7);
    for (int i = 0; i < 4; i++) {
        d[i] = (uint8_t)(la >> (8 * i));
        d[4 + i] = (uint8_t)(lo >> (8 * i));
    }
    rs_j1939_msg m = { T0 + 5, 65267, 6, 0x1C, 0xFF, 0, 8, d };
    rs_sampler_feed(&s, &m);
    rs_sampler_advance(&s, T0 + 1000000);
    assert_int_equal(g_last.v[RS_F_POS_STATUS].raw, 2u); /* valid, south, east */
    assert_int_equal(g_last.v[RS_F_LAT].raw, 33865143u);
    assert_int_equal(g_last.v[RS_F_LON].raw, 151209900u);
    /* fix lost (n/a): last fix repeated with bit 0 set */
    memset(d, 0xFF, 8);
    m.ts_us = T0 + 1000005;
    rs_sampler_feed(&s, &m);
    rs_sampler_advance(&s, T0 + 2000000);
    assert_int_equal(g_last.v[RS_F_POS_STATUS].raw, 3u);
    assert_int_equal(g_last.v[RS_F_LAT].raw, 33865143u);
}

/* The TWC and hybrid groups (docs/j1939.md "TWC and hybrid sources") into
 * the sample: values, report raws, senders and markers. */
static void test_twc_hybrid_messages(void **state)
{
    (void)state;
    rs_sampler s;
    rs_sampler_init(&s, NULL, keep, NULL);
    /* HVESSD1 from battery pack monitor 0xF3: 650.0 V, -120.5 A */
    feed(&s, T0 + 10, 61584, 0xF3, "FFFFFFFFC8329673");
    /* the same PGN from an unlisted sender: ignored (strict) */
    feed(&s, T0 + 20, 61584, 0x27, "FFFFFFFF00100010");
    /* HVESSD2: SOC 55 % */
    feed(&s, T0 + 30, 61585, 0xF3, "8089FFFFFFFFFFFF");
    /* MG1IS1 from 0xEF: speed 3.75 % of 40000 rpm = 1500 rpm, torque -30 %
     * (raw 1520 = 0x5F0: byte 2 high nibble 0, byte 3 0x5F) -> load 30 % */
    feed(&s, T0 + 40, 64372, 0xEF, "FF0F5FC080FFFFFF");
    /* AT1TWC from the engine: intake 480 degC (0x5E20), outlet 150 degC */
    feed(&s, T0 + 50, 64838, 0x00, "205EE034FFFFFFFF");
    /* proprietary B 0xFFA0 from the engine: lambda 1.0000035, 0.65 V */
    feed(&s, T0 + 60, 65440, 0x00, "13808A02FFFFFFFF");
    rs_sampler_advance(&s, T0 + 1000000);
    static const struct {
        rs_field_id f;
        double value;
        uint32_t raw;
    } want[] = {
        { RS_F_BATT_VOLTAGE, 650.0, 6500 },    /* 0.1 V */
        { RS_F_BATT_CURRENT, -120.5, 8795 },   /* 0.1 A, -1000 */
        { RS_F_SOC, 55, 55 },
        { RS_F_MOTOR_SPEED, 1500, 21500 },     /* 1 rpm, -20000 */
        { RS_F_MOTOR_LOAD, 30, 30 },
        { RS_F_TWC_TEMP, 480, 0x5E20 },        /* the intake row wins */
        { RS_F_O2_UP, 32787 * 0.0000305, 32787 },
        { RS_F_O2_DOWN, 0.65, 65 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const rs_val *v = &g_last.v[want[i].f];
        if (v->state != RS_VALID || fabs(v->value - want[i].value) > 1e-9 || v->raw != want[i].raw)
            fail_msg("%s: %.7f raw %u (%s), want %.7f raw %u", rs_fields[want[i].f].name, v->value,
                     v->raw, rs_state_name((rs_state)v->state), want[i].value, want[i].raw);
    }
    assert_true(s.stats.ignored_sa >= 1);
    /* voltage n/a, current "error"; SOC silent past the timeout */
    feed(&s, T0 + 1000010, 61584, 0xF3, "FFFFFFFFFFFFFFFE");
    rs_sampler_advance(&s, T0 + 2000000);
    assert_int_equal(g_last.v[RS_F_BATT_VOLTAGE].state, RS_INVALID);
    assert_int_equal(g_last.v[RS_F_BATT_VOLTAGE].raw, 0xFFFF);
    assert_int_equal(g_last.v[RS_F_BATT_CURRENT].state, RS_ABNORMAL);
    assert_int_equal(g_last.v[RS_F_BATT_CURRENT].raw, 0xFFFE);
    rs_sampler_advance(&s, T0 + 7000000);
    assert_int_equal(g_last.v[RS_F_SOC].state, RS_INVALID);
    assert_int_equal(g_last.v[RS_F_SOC].raw, 0xFF);
    /* the reference speed is the sampler's setting */
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    rs_err err;
    assert_int_equal(rs_sig_cfg_set(&cfg.sig, "mg_ref_speed=12000", &err), RS_OK);
    rs_sampler_init(&s, &cfg, keep, NULL);
    feed(&s, T0 + 40, 64372, 0xEF, "FF0F5FC080FFFFFF");
    rs_sampler_advance(&s, T0 + 1000000);
    assert_true(fabs(g_last.v[RS_F_MOTOR_SPEED].value - 450) < 1e-9);
}

static void test_bad_input(void **state)
{
    (void)state;
    rs_sampler s;
    rs_sampler_init(&s, NULL, keep, NULL);
    /* short payloads, no data, odd frames: no crash, fields invalid */
    rs_j1939_msg m = { T0, 61444, 3, 0, 0xFF, 0, 2, (const uint8_t *)"\x01\x02" };
    rs_sampler_feed(&s, &m);
    m.data = NULL;
    m.len = 5;
    rs_sampler_feed(&s, &m);
    rs_can_frame f = { .ts_us = T0 + 10, .id = 0x003, .len = 3, .data = { 1, 2, 3 } };
    rs_sampler_feed_frame(&s, &f);
    f.flags = RS_CAN_ERR;
    rs_sampler_feed_frame(&s, &f);
    f.flags = RS_CAN_EXT;
    f.id = 0x1CECFF00; /* TP.CM: the transport layer's business */
    rs_sampler_feed_frame(&s, &f);
    rs_sampler_advance(&s, T0 + 1000000);
    assert_int_equal(g_last.v[RS_F_RPM].state, RS_INVALID);
    assert_int_equal(g_last.v[RS_F_LAT].state, RS_INVALID);
    assert_int_equal(g_last.v[RS_F_POS_STATUS].raw, 1u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_truck),
        cmocka_unit_test(test_engine_off_truck),
        cmocka_unit_test(test_eti_multi_ecu),
        cmocka_unit_test(test_markers_and_timeout),
        cmocka_unit_test(test_sender_preference),
        cmocka_unit_test(test_vp1_position),
        cmocka_unit_test(test_twc_hybrid_messages),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
