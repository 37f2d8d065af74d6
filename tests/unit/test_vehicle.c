/* The vehicle model: physical consistency over a whole urban cycle, engine
 * off and idle, DPF regeneration, faults and the OBD snapshot, every type's
 * fields, determinism, and the size of the per-vehicle state. */
#include "testutil.h"

#include <math.h>

#include "remsim/scenario.h"
#include "remsim/vehicle.h"
#include "remsim/vin.h"

/* Every valid value encodes and is inside the field's range. */
static void check_ranges(const rs_sample *s, unsigned t)
{
    for (int f = 0; f < RS_F_COUNT; f++) {
        const rs_val *v = &s->v[f];
        if (v->state != RS_VALID)
            continue;
        rs_scaling sc = { rs_fields[f].scale, rs_fields[f].offset };
        uint32_t raw;
        if (!rs_val_to_raw(&rs_fields[f], &sc, v, &raw) || raw > rs_fields[f].raw_max) {
            print_message("t=%u %s = %g out of range\n", t, rs_fields[f].name, v->value);
            fail();
        }
    }
}

/* The fields of the type's streams, all valid (no fault injected). */
static void assert_all_valid(const rs_sample *s, unsigned t)
{
    unsigned n;
    const uint8_t *l = rs_info_layout(s->stream, &n);
    for (unsigned i = 0; i < n; i++)
        if (s->v[l[i]].state != RS_VALID) {
            print_message("t=%u %s not valid\n", t, rs_fields[l[i]].name);
            fail();
        }
}

static rs_scenario *load(const char *path, uint64_t seed)
{
    rs_scn_opts o;
    rs_scn_opts_init(&o);
    o.seed = seed;
    char msg[1024];
    rs_code code;
    rs_scenario *s = rs_scenario_load(NULL, path, &o, &code, msg, sizeof msg);
    if (!s)
        print_message("%s\n", msg);
    assert_non_null(s);
    return s;
}

static void test_urban_physics(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(csv, "traces/drive-cycles/vecto_truck_40t_speed_1hz.csv");
    (void)csv;
    rs_scenario *scn = load("scenarios/urban.lua", 7);
    rs_scn_vehicle v;
    assert_int_equal(rs_scn_vehicle_init(scn, &v, 0, NULL), RS_OK);
    uint32_t n = rs_scenario_duration(scn);
    assert_int_equal(n, 3413);
    rs_sample s;
    rs_vehicle_status st0, st;
    rs_vehicle_status_get(&v.car, &st0);
    double dist = 0, prev_speed = 0, prev_fuel = -1, prev_urea = -1, prev_total = st0.total_fuel_l;
    double fuel0 = -1, reagent0 = -1;
    unsigned idle = 0, warm = 0, warm_better = 0;
    double idle_min = 1e9, idle_max = 0;
    for (uint32_t t = 0; t < n; t++) {
        assert_true(rs_scn_step(scn, &v, &s, NULL));
        assert_int_equal(s.stream, 0x02);
        assert_true(s.has_supplement);
        assert_false(s.has_hybrid);
        assert_all_valid(&s, t);
        check_ranges(&s, t);
        double sp = s.v[RS_F_SPEED].value;
        dist += (sp + prev_speed) / 2 / 3600;
        prev_speed = sp;
        if (sp == 0 && v.car.gear == 0) {
            idle++;
            idle_min = fmin(idle_min, s.v[RS_F_RPM].value);
            idle_max = fmax(idle_max, s.v[RS_F_RPM].value);
        }
        /* totals never go back */
        assert_true(s.v[RS_F_TOTAL_FUEL].value >= prev_fuel);
        assert_true(s.v[RS_F_UREA_TOTAL].value >= prev_urea);
        prev_fuel = s.v[RS_F_TOTAL_FUEL].value;
        prev_urea = s.v[RS_F_UREA_TOTAL].value;
        rs_vehicle_status_get(&v.car, &st);
        assert_true(st.total_fuel_l >= prev_total);
        prev_total = st.total_fuel_l;
        if (fuel0 < 0) {
            fuel0 = s.v[RS_F_FUEL_LEVEL].value;
            reagent0 = s.v[RS_F_REAGENT].value;
        }
        /* warm SCR: tailpipe below engine-out */
        if (s.v[RS_F_SCR_IN].value > 250 && st.nox_eo > 100) {
            warm++;
            warm_better += st.nox_tp < st.nox_eo && s.v[RS_F_NOX_DOWN].value < s.v[RS_F_NOX_UP].value;
        }
    }
    double odo = st.odometer_km - st0.odometer_km;
    print_message("urban: %.3f km driven, odometer %.3f km, fuel %.2f L, urea %.0f g, idle %u s at %.0f..%.0f "
                  "rpm, warm SCR %u s (tailpipe < engine-out in %u)\n",
                  dist, odo, st.total_fuel_l - st0.total_fuel_l, st.urea_total_g - st0.urea_total_g, idle,
                  idle_min, idle_max, warm, warm_better);
    assert_true(fabs(odo - dist) <= 0.01 * dist);
    assert_true(dist > 27 && dist < 29); /* traces/README.md: 27.8 km */
    assert_true(idle > 100);
    assert_true(idle_min >= 600 && idle_max <= 700);
    assert_true(warm > 500);
    assert_int_equal(warm_better, warm);
    assert_true(s.v[RS_F_FUEL_LEVEL].value < fuel0);
    assert_true(s.v[RS_F_REAGENT].value < reagent0);
    assert_true(s.v[RS_F_COOLANT].value > 80);
    assert_true(st.urea_total_g > st0.urea_total_g);
    rs_scn_vehicle_free(scn, &v);
    rs_scenario_free(scn);
}

/* Mean DPF differential pressure at idle, before and after a regeneration. */
static void test_dpf_regeneration(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(csv, "traces/drive-cycles/vecto_truck_40t_speed_1hz.csv");
    (void)csv;
    rs_scenario *scn = load("scenarios/coldstart_dpf.lua", 3);
    rs_scn_vehicle v;
    assert_int_equal(rs_scn_vehicle_init(scn, &v, 0, NULL), RS_OK);
    rs_sample s;
    int phase = 0; /* 0 before, 1 during, 2 after */
    double before = 0, after = 0, peak_t = 0;
    unsigned nb = 0, na = 0;
    for (uint32_t t = 0; t < 3000; t++) {
        assert_true(rs_scn_step(scn, &v, &s, NULL));
        check_ranges(&s, t);
        bool idle = s.v[RS_F_SPEED].value == 0 && v.car.gear == 0;
        if (phase == 0 && v.car.regen)
            phase = 1;
        if (phase == 1 && !v.car.regen)
            phase = 2;
        peak_t = fmax(peak_t, s.v[RS_F_DPF_EXH_TEMP].value);
        if (idle && phase == 0 && t > 60) {
            before += s.v[RS_F_DPF_DP].value;
            nb++;
        }
        if (idle && phase == 2) {
            after += s.v[RS_F_DPF_DP].value;
            na++;
        }
    }
    assert_int_equal(phase, 2);
    assert_true(nb > 10 && na > 10);
    before /= nb;
    after /= na;
    print_message("DPF: idle dp %.2f kPa before regeneration, %.2f after; peak DPF temperature %.0f degC\n",
                  before, after, peak_t);
    assert_true(after < 0.7 * before);
    assert_true(peak_t > 550);
    rs_scn_vehicle_free(scn, &v);
    rs_scenario_free(scn);
}

static void test_engine_off_and_idle(void **state)
{
    (void)state;
    rs_vehicle_cfg c;
    rs_vehicle_cfg_init(&c, RS_VEH_DIESEL);
    rs_vehicle v;
    rs_vehicle_init(&v, &c);
    rs_sample s;
    for (int t = 0; t < 30; t++) {
        rs_vehicle_step(&v, 0, 0, &s);
        assert_true(s.v[RS_F_RPM].value >= 600 && s.v[RS_F_RPM].value <= 700);
        assert_true(s.v[RS_F_FUEL_RATE].value > 1);
    }
    rs_vehicle_ignition(&v, false);
    for (int t = 0; t < 30; t++) {
        rs_vehicle_step(&v, 50, 0, &s); /* the cycle says 50 km/h: a truck with its engine off stands */
        assert_int_equal(s.v[RS_F_RPM].state, RS_VALID);
        assert_true(s.v[RS_F_RPM].value == 0);
        assert_true(s.v[RS_F_SPEED].value == 0);
        assert_true(s.v[RS_F_FUEL_RATE].value == 0);
        assert_true(s.v[RS_F_TORQUE].value == 0);
        assert_int_equal(s.v[RS_F_NOX_UP].state, RS_INVALID); /* sensors unpowered */
        check_ranges(&s, (unsigned)t);
    }
    rs_vehicle_ignition(&v, true);
    rs_vehicle_step(&v, 0, 0, &s);
    assert_true(s.v[RS_F_RPM].value >= 600);
}

static void test_faults_and_obd(void **state)
{
    (void)state;
    rs_vehicle_cfg c;
    rs_vehicle_cfg_init(&c, RS_VEH_DIESEL);
    c.vin_serial = 42;
    rs_vehicle v;
    rs_vehicle_init(&v, &c);
    rs_obd o;
    rs_vehicle_obd(&v, &o);
    assert_int_equal(o.protocol, 2);
    assert_int_equal(o.mil, 0);
    assert_int_equal(o.dtc_count, 0);
    assert_int_equal(rs_vin_check(o.vin, 0, NULL), RS_OK);
    assert_true(o.support & (1u << 10)); /* DPF */
    assert_true(o.support & (1u << 11)); /* SCR */
    assert_true(o.readiness & (1u << 11)); /* not complete yet */

    assert_int_equal(rs_vehicle_dtc_set(&v, 3226, 12, true, NULL), RS_OK);
    assert_int_equal(rs_vehicle_dtc_set(&v, 3226, 12, true, NULL), RS_OK); /* second occurrence */
    assert_int_equal(rs_vehicle_dtc_set(&v, 520192, 31, false, NULL), RS_OK); /* SPN high bits */
    rs_vehicle_obd(&v, &o);
    assert_int_equal(o.mil, 1);
    assert_int_equal(o.dtc_count, 2);
    const uint8_t want[8] = { 0x9A, 0x0C, 0x0C, 0x02, 0x00, 0xF0, 0xFF, 0x01 };
    assert_memory_equal(o.dtc, want, 8);
    rs_vehicle_dtc_clear(&v, 3226, -1);
    rs_vehicle_obd(&v, &o);
    assert_int_equal(o.mil, 0); /* the remaining DTC does not ask for the MIL */
    assert_int_equal(o.dtc_count, 1);
    for (int i = 0; i < RS_VEH_DTC_MAX - 1; i++)
        assert_int_equal(rs_vehicle_dtc_set(&v, 100 + (uint32_t)i, 1, false, NULL), RS_OK);
    rs_err e;
    assert_int_equal(rs_vehicle_dtc_set(&v, 999, 1, false, &e), RS_E_LIMIT);
    rs_vehicle_dtc_clear(&v, 0, -1);
    assert_int_equal(v.dtc_count, 0);

    /* sensors: not available, stuck, GNSS fix lost */
    rs_sample s;
    for (int t = 0; t < 200; t++)
        rs_vehicle_step(&v, t < 100 ? t * 0.5 : 50, 0, &s);
    assert_int_equal(rs_vehicle_sensor(&v, RS_F_NOX_DOWN, RS_SENSOR_NA, NULL), RS_OK);
    assert_int_equal(rs_vehicle_sensor(&v, RS_F_SCR_IN, RS_SENSOR_STUCK, NULL), RS_OK);
    assert_int_equal(rs_vehicle_sensor(&v, RS_F_LAT, RS_SENSOR_NA, NULL), RS_OK);
    rs_vehicle_step(&v, 50, 0, &s);
    double stuck = s.v[RS_F_SCR_IN].value, lat = s.v[RS_F_LAT].value;
    for (int t = 0; t < 100; t++) {
        rs_vehicle_step(&v, 50, 0, &s);
        assert_int_equal(s.v[RS_F_NOX_DOWN].state, RS_INVALID);
        assert_true(s.v[RS_F_SCR_IN].value == stuck);
        assert_true(s.v[RS_F_LAT].value == lat);
        assert_int_equal((int)s.v[RS_F_POS_STATUS].value & 1, 1);
    }
    assert_true(fabs(v.t_scr_in - stuck) > 1); /* the truth moved on */
    rs_vehicle_sensor(&v, RS_F_NOX_DOWN, RS_SENSOR_OK, NULL);
    rs_vehicle_sensor(&v, RS_F_SCR_IN, RS_SENSOR_OK, NULL);
    rs_vehicle_sensor(&v, RS_F_LAT, RS_SENSOR_OK, NULL);
    rs_vehicle_step(&v, 50, 0, &s);
    assert_int_equal(s.v[RS_F_NOX_DOWN].state, RS_VALID);
    assert_true(s.v[RS_F_SCR_IN].value != stuck);
    assert_int_equal((int)s.v[RS_F_POS_STATUS].value & 1, 0);
}

/* Every type: its stream, its fields valid, the others invalid, in range. */
static void test_types(void **state)
{
    (void)state;
    for (int type = 0; type < RS_VEH_TYPE_COUNT; type++) {
        rs_vehicle_cfg c;
        rs_vehicle_cfg_init(&c, (rs_veh_type)type);
        c.lat = -33.86; /* south and west: sign bits */
        c.lon = -70.6;
        rs_vehicle v;
        rs_vehicle_init(&v, &c);
        rs_sample s;
        for (unsigned t = 0; t < 900; t++) {
            double x = t % 300, sp = x < 60 ? x : x < 200 ? 60 : x < 260 ? 60 - (x - 200) : 0;
            rs_vehicle_step(&v, sp, t < 450 ? 3 : -3, &s);
            check_ranges(&s, t);
            assert_all_valid(&s, t);
        }
        assert_int_equal(s.stream, rs_veh_type_stream((rs_veh_type)type));
        assert_int_equal(s.has_hybrid, type == RS_VEH_HYBRID);
        assert_int_equal((int)s.v[RS_F_POS_STATUS].value, 6);
        bool gas = type == RS_VEH_GAS || type == RS_VEH_GAS_NOX;
        assert_int_equal(s.v[RS_F_UREA_DOSE].state, gas ? RS_INVALID : RS_VALID);
        assert_int_equal(s.v[RS_F_O2_UP].state, gas ? RS_VALID : RS_INVALID);
        assert_int_equal(s.v[RS_F_NOX_DOWN].state, type == RS_VEH_GAS ? RS_INVALID : RS_VALID);
        assert_int_equal(s.v[RS_F_SOC].state, type == RS_VEH_HYBRID ? RS_VALID : RS_INVALID);
        rs_veh_type back;
        assert_true(rs_veh_type_parse(rs_veh_type_name((rs_veh_type)type), &back));
        assert_int_equal(back, type);
        print_message("%-8s stream 0x%02X: after 900 s coolant %.0f degC, odometer +%.2f km\n",
                      rs_veh_type_name((rs_veh_type)type), s.stream, s.v[RS_F_COOLANT].value,
                      v.odometer_km - c.odometer_km);
    }
}

static void test_determinism_and_size(void **state)
{
    (void)state;
    rs_vehicle_cfg c;
    rs_vehicle_cfg_init(&c, RS_VEH_HYBRID);
    c.seed = 99;
    rs_vehicle a, b, d;
    rs_vehicle_init(&a, &c);
    rs_vehicle_init(&b, &c);
    c.seed = 100;
    rs_vehicle_init(&d, &c);
    rs_sample sa, sb, sd;
    unsigned differ = 0;
    for (unsigned t = 0; t < 600; t++) {
        double sp = 40 + 30 * sin(t / 50.0);
        rs_vehicle_step(&a, sp, 0, &sa);
        rs_vehicle_step(&b, sp, 0, &sb);
        rs_vehicle_step(&d, sp, 0, &sd);
        assert_memory_equal(&sa, &sb, sizeof sa);
        differ += memcmp(&sa, &sd, sizeof sa) != 0;
    }
    assert_true(differ > 500); /* another seed, other sensor noise */
    print_message("state per vehicle: rs_vehicle %zu bytes, rs_scn_vehicle %zu bytes (target <= 1024)\n",
                  sizeof(rs_vehicle), sizeof(rs_scn_vehicle));
    assert_true(sizeof(rs_scn_vehicle) <= 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urban_physics),
        cmocka_unit_test(test_dpf_regeneration),
        cmocka_unit_test(test_engine_off_and_idle),
        cmocka_unit_test(test_faults_and_obd),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_determinism_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
