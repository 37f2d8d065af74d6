/* Vehicle model: one-second physics step (vehicle.h, docs/scenarios.md).
 *
 * Units inside: SI (m/s, N, W, kg/s) until the sample is written in the
 * field units.  Lags are first-order with per-second coefficients
 * k = 1 - exp(-1/tau) written as constants, because exp() per lag per
 * vehicle-second would cost more than the rest of the step. */
#include "remsim/vehicle.h"

#include <math.h>
#include <string.h>

#define G 9.81
#define RHO_AIR 1.2
#define CDA 5.6           /* m^2, tractor-trailer */
#define CRR 0.0062
#define ETA_DRIVELINE 0.93
#define P_AUX 4000.0      /* W: alternator, compressor, fan */
#define WHEEL_R 0.49      /* m */
#define FINAL_DRIVE 2.64
#define N_GEARS 12
#define DEF_DENSITY 1.09  /* g/ml, AUS 32 */
#define UREA_TANK_L 70.0
#define SOOT_CAP_G 60.0
#define MOTOR_P_MAX 120e3 /* W, hybrid */
#define BATT_J 72e6       /* 20 kWh */
#define TWO_PI 6.283185307179586

/* 1 - exp(-1/tau) for the lags below */
#define K_EXH 0.064493    /* tau 15 s: manifold / turbine out */
#define K_DPF 0.016529    /* tau 60 s */
#define K_SCR_IN 0.011050 /* tau 90 s */
#define K_SCR_OUT 0.016529
#define K_TWC 0.032784    /* tau 30 s */
#define K_OFF 0.002497    /* tau 400 s: after-treatment cooling, engine off */
#define K_COOL_OFF 0.000333 /* tau 3000 s */
#define K_UREA 0.000555   /* tau 1800 s */

typedef struct engine {
    double disp_m3, t_ref, p_max, idle, lhv, density, tank_l, afr, eta_scale;
} engine;

static const engine k_engine[RS_VEH_TYPE_COUNT] = {
    [RS_VEH_DIESEL] = { 0.0120, 2300, 350e3, 650, 42.8e6, 0.835, 400, 14.5, 1.0 },
    /* LNG: fuel flow in litres of liquid */
    [RS_VEH_GAS] = { 0.0110, 2000, 300e3, 650, 50.0e6, 0.450, 500, 17.2, 0.9 },
    [RS_VEH_GAS_NOX] = { 0.0110, 2000, 300e3, 650, 50.0e6, 0.450, 500, 17.2, 0.9 },
    [RS_VEH_HYBRID] = { 0.0110, 2100, 300e3, 650, 42.8e6, 0.835, 400, 14.5, 1.0 },
};

static const double k_ratio[N_GEARS + 1] = {
    0, 14.94, 11.73, 9.04, 7.09, 5.54, 4.35, 3.44, 2.70, 2.08, 1.63, 1.27, 1.00,
};

double rs_vehicle_random(rs_vehicle *v)
{
    uint64_t x = v->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    v->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

/* About N(0, 1): four uniforms are enough for sensor noise and cheap. */
static double gauss(rs_vehicle *v)
{
    return (rs_vehicle_random(v) + rs_vehicle_random(v) + rs_vehicle_random(v) +
            rs_vehicle_random(v) - 2.0) * 1.732;
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static uint64_t fields_of(uint8_t info)
{
    unsigned n;
    const uint8_t *l = rs_info_layout(info, &n);
    uint64_t m = 0;
    for (unsigned i = 0; i < n; i++)
        m |= 1ULL << l[i];
    return m;
}

void rs_vehicle_cfg_init(rs_vehicle_cfg *c, rs_veh_type type)
{
    memset(c, 0, sizeof *c);
    c->type = (uint8_t)type;
    c->ignition = true;
    c->seed = 1;
    c->mass_kg = 40000;
    c->lat = 31.2304;
    c->lon = 121.4737;
    c->ambient_c = 20;
    c->altitude_m = 10;
    c->fuel_level = 80;
    c->reagent = 80;
    c->soot = 0.2;
    c->soc = 60;
    c->odometer_km = 100000;
    c->total_fuel_l = 30000;
    c->urea_total_g = 1500000;
    c->noise = 1;
}

void rs_vehicle_init(rs_vehicle *v, const rs_vehicle_cfg *c)
{
    memset(v, 0, sizeof *v);
    uint8_t type = c->type < RS_VEH_TYPE_COUNT ? c->type : RS_VEH_DIESEL;
    const engine *e = &k_engine[type];
    v->type = type;
    /* splitmix64 of the seed: xorshift must not start at 0 */
    uint64_t z = c->seed + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    v->rng = (z ^ (z >> 31)) | 1;
    v->lat = v->lat_fix = clampd(c->lat, -89.9, 89.9);
    v->lon = v->lon_fix = clampd(c->lon, -180, 180);
    v->odometer_km = fmax(0, c->odometer_km);
    v->total_fuel_l = fmax(0, c->total_fuel_l);
    v->urea_total_g = fmax(0, c->urea_total_g);
    v->vin_serial = c->vin_serial % 1000000u;
    v->mass_kg = (float)clampd(c->mass_kg, 5000, 80000);
    v->heading_deg = (float)c->heading_deg;
    v->ambient_c = (float)clampd(c->ambient_c, -40, 50);
    v->baro_kpa = (float)clampd(101.325 * exp(-c->altitude_m / 8434.0), 50, 125);
    v->noise = (float)clampd(c->noise, 0, 10);
    v->fuel_l = (float)(clampd(c->fuel_level, 0, 100) / 100 * e->tank_l);
    v->reagent_l = (float)(clampd(c->reagent, 0, 100) / 100 * UREA_TANK_L);
    v->soot = (float)clampd(c->soot, 0, 1.2);
    v->soc = (float)clampd(c->soc / 100, 0.05, 0.95);
    double t0 = v->ambient_c;
    v->t_exh = v->t_dpf = v->t_scr_in = v->t_scr_out = v->t_twc = (float)t0;
    v->t_coolant = v->t_urea = (float)t0;
    if (c->warm) {
        v->t_exh = v->t_dpf = (float)(t0 + 230);
        v->t_scr_in = v->t_scr_out = (float)(t0 + 220);
        v->t_twc = (float)(t0 + 480);
        v->t_coolant = 85;
        v->t_urea = (float)(t0 + 15);
    }
    v->ignition = c->ignition;
    v->ign_cycles = c->ignition ? 1 : 0;
    v->obd_cond = v->ign_cycles;

    uint64_t m = fields_of(rs_veh_type_stream((rs_veh_type)type)) | fields_of(RS_INFO_SUPPLEMENT);
    if (type == RS_VEH_HYBRID)
        m |= fields_of(RS_INFO_HYBRID);
    if (type == RS_VEH_GAS || type == RS_VEH_GAS_NOX)
        m &= ~((1ULL << RS_F_UREA_TEMP) | (1ULL << RS_F_UREA_DOSE) | (1ULL << RS_F_UREA_TOTAL) |
               (1ULL << RS_F_DPF_EXH_TEMP));
    v->field_mask = m;
}

/* Full-load torque: turbo lag below 1000 rpm, plateau to 1400, then the
 * power limit. */
static double t_max(const engine *e, double rpm)
{
    double f = rpm < 1000 ? 0.55 + 0.45 * (rpm - 600) / 400 : rpm <= 1400 ? 1 : 1 - 0.35 * (rpm - 1400) / 600;
    double t = e->t_ref * clampd(f, 0.4, 1);
    double tp = e->p_max / (fmax(rpm, 300) * TWO_PI / 60);
    return t < tp ? t : tp;
}

static double gear_rpm(double vms, unsigned g)
{
    return vms / WHEEL_R * k_ratio[g] * FINAL_DRIVE * 60 / TWO_PI;
}

/* Economy shifting: the highest gear that keeps the engine above 1000 rpm
 * and still delivers the power; the current gear is kept while it is
 * comfortable (hysteresis, so the gear does not hunt). */
static unsigned pick_gear(const rs_vehicle *v, const engine *e, double vms, double p_need, double *rpm)
{
    if (vms < 0.3) {
        *rpm = e->idle;
        return 0;
    }
    unsigned g0 = v->gear;
    if (g0 >= 1 && g0 <= N_GEARS) {
        double r = gear_rpm(vms, g0);
        if (r >= 950 && r <= 1750 &&
            p_need <= 0.9 * t_max(e, r) * r * TWO_PI / 60) {
            *rpm = r;
            return g0;
        }
    }
    for (unsigned g = N_GEARS; g >= 1; g--) {
        double r = gear_rpm(vms, g);
        if (r < 1000 || r > 1900)
            continue;
        if (p_need <= 0.9 * t_max(e, r) * r * TWO_PI / 60) {
            *rpm = r;
            return g;
        }
    }
    /* launching (clutch slips) or power-limited: gear 1 or the fastest allowed */
    double r1 = gear_rpm(vms, 1);
    if (r1 < 1000) {
        *rpm = fmax(r1, 800);
        return 1;
    }
    for (unsigned g = 1; g <= N_GEARS; g++) {
        double r = gear_rpm(vms, g);
        if (r <= 1900) {
            *rpm = r;
            return g;
        }
    }
    *rpm = 1900;
    return N_GEARS;
}

typedef struct out_ctx {
    rs_vehicle *v;
    rs_sample *s;
} out_ctx;

/* Writes one field: only when the vehicle has the sensor, clamped into the
 * field's valid range (so every valid value encodes), then the sensor
 * faults: not available -> invalid, stuck -> the value captured first. */
static void put(out_ctx *o, rs_field_id f, double x)
{
    rs_vehicle *v = o->v;
    if (!((v->field_mask >> f) & 1))
        return;
    if ((v->na_mask >> f) & 1) {
        o->s->v[f] = rs_val_invalid();
        return;
    }
    const rs_field_desc *d = &rs_fields[f];
    if (d->kind == RS_KIND_SCALED)
        x = clampd(x, d->offset, (double)d->raw_max * d->scale + d->offset);
    for (unsigned i = 0; i < RS_VEH_STUCK_MAX; i++)
        if (v->stuck_field[i] == (uint8_t)(f + 1)) {
            if (!v->stuck_have[i]) {
                v->stuck_value[i] = (float)x;
                v->stuck_have[i] = true;
            }
            x = v->stuck_value[i];
        }
    o->s->v[f] = rs_val_ok(x);
}

static void move_gnss(rs_vehicle *v, double dist_m)
{
    if (dist_m > 0) {
        v->heading_deg += (float)((rs_vehicle_random(v) - 0.5) * 6);
        if (v->heading_deg >= 360)
            v->heading_deg -= 360;
        if (v->heading_deg < 0)
            v->heading_deg += 360;
        double h = v->heading_deg * (TWO_PI / 360);
        v->lat += dist_m * cos(h) / 111320.0;
        v->lon += dist_m * sin(h) / (111320.0 * cos(v->lat * (TWO_PI / 360)));
        v->lat = clampd(v->lat, -89.9, 89.9);
        if (v->lon > 180)
            v->lon -= 360;
        if (v->lon < -180)
            v->lon += 360;
    }
    if (!v->gnss_fix_lost) {
        v->lat_fix = v->lat;
        v->lon_fix = v->lon;
    }
}

void rs_vehicle_step(rs_vehicle *v, double speed_kmh, double grade_pct, rs_sample *out)
{
    const engine *e = &k_engine[v->type];
    const bool diesel = v->type == RS_VEH_DIESEL || v->type == RS_VEH_HYBRID;
    const bool hybrid = v->type == RS_VEH_HYBRID;
    const double amb = v->ambient_c;
    const double nz = v->noise;

    if (!v->ignition || !(speed_kmh > 0))
        speed_kmh = 0;
    speed_kmh = fmin(speed_kmh, 250);
    const double v1 = speed_kmh / 3.6, v0 = v->speed_kmh / 3.6;
    const double va = (v0 + v1) / 2, acc = v1 - v0;
    const double m = v->mass_kg;
    double p_wheel = 0;
    if (va > 0.01) {
        double grade = clampd(grade_pct, -30, 30) / 100;
        double f = m * 1.05 * acc + m * G * (CRR + grade) + 0.5 * RHO_AIR * CDA * va * va;
        p_wheel = f * va;
    }

    double rpm = 0, t_ind = 0, t_fric = 0, load = 0, mdot = 0, p_motor = 0, pedal = 0;
    double air_kgh = 0, nox_eo = 0, lambda = 1;
    bool cut = false;
    unsigned gear = 0;
    if (v->ignition) {
        double p_need = p_wheel > 0 ? p_wheel / ETA_DRIVELINE : 0;
        gear = pick_gear(v, e, v1 > 0 ? v1 : va, p_need, &rpm);
        if (gear == 0)
            rpm += gauss(v) * 3 * nz; /* idle governor ripple */
        double omega = rpm * TWO_PI / 60;
        t_fric = e->t_ref * (0.04 + 0.03 * (rpm / 1000) * (rpm / 1000));
        if (hybrid && gear > 0) {
            if (p_wheel > 0 && v->soc > 0.35)
                p_motor = fmin(0.4 * p_need, MOTOR_P_MAX);
            else if (p_wheel < 0 && v->soc < 0.85)
                p_motor = fmax(p_wheel * 0.7, -MOTOR_P_MAX);
        }
        cut = gear > 0 && p_wheel < 0 && rpm > 1000;
        double tmax = t_max(e, rpm);
        double t_brake = 0;
        if (!cut) {
            double p_eng = fmax(p_need - fmax(p_motor, 0), 0) + P_AUX;
            t_brake = fmin(p_eng / omega, tmax);
            t_ind = t_brake + t_fric;
            load = t_ind / (tmax + t_fric);
            double eta = (0.30 + 0.16 * fmin(1, load / 0.4)) * e->eta_scale;
            mdot = t_ind * omega / (eta * e->lhv);
            if (v->regen)
                mdot *= 1.08; /* post-injection for the DOC exotherm */
            if (gear > 0)
                pedal = 100 * fmax(0, t_brake - P_AUX / omega) / tmax;
        }
        if (diesel) {
            double rho = v->baro_kpa * 1000 / (287.0 * (amb + 273.15));
            double pr = 1 + 2.2 * load * (rpm / 1800);
            air_kgh = rho * pr * e->disp_m3 / 2 * rpm / 60 * 0.92 * 3600;
            nox_eo = cut ? 0 : (180 + 1000 * load + 200 * load * rpm / 1800) * (v->t_coolant < 60 ? 1.15 : 1);
        } else {
            bool closed = v->t_coolant > 40 && v->t_twc > 300;
            v->lambda_phase += 2.1f;
            if (v->lambda_phase > TWO_PI)
                v->lambda_phase -= (float)TWO_PI;
            lambda = cut ? 1.95 : closed ? 1 + 0.012 * sin(v->lambda_phase) : 0.96;
            air_kgh = cut ? 1.19 * e->disp_m3 / 2 * rpm / 60 * 0.3 * 3600 : mdot * 3600 * e->afr * lambda;
            nox_eo = cut ? 0 : fmin(600 + 2400 * load, 3000);
        }
    }
    double exh_kgh = air_kgh + mdot * 3600;
    double p_ind_kw = t_ind * rpm * TWO_PI / 60 / 1000;

    /* temperatures */
    if (v->ignition) {
        double t_target = diesel ? (cut ? amb + 60 : amb + 120 + 380 * load + 60 * rpm / 1800)
                                 : (cut ? amb + 80 : amb + 330 + 380 * load);
        v->t_exh += (float)((t_target - v->t_exh) * K_EXH);
        double dpf_target = v->regen ? fmax(v->t_exh, 600) : v->t_exh;
        v->t_dpf += (float)((dpf_target - v->t_dpf) * K_DPF);
        v->t_scr_in += (float)((v->t_dpf - 10 - v->t_scr_in) * K_SCR_IN);
        v->t_scr_out += (float)((v->t_scr_in - 8 - v->t_scr_out) * K_SCR_OUT);
        v->t_twc += (float)((v->t_exh + (v->t_twc > 300 ? 30 : 0) - v->t_twc) * K_TWC);
        double q_kw = mdot * e->lhv / 1000 * 0.28; /* heat into the coolant */
        double dt = q_kw / 700 - (v->t_coolant - amb) / 4000;
        if (v->t_coolant > 85)
            dt -= (v->t_coolant - 85) * 0.08; /* thermostat open */
        v->t_coolant += (float)dt;
        double urea_target = amb + fmax(0, v->t_coolant - amb) * 0.3;
        v->t_urea += (float)((urea_target - v->t_urea) * K_UREA);
    } else {
        v->t_exh += (float)((amb - v->t_exh) * K_OFF);
        v->t_dpf += (float)((amb - v->t_dpf) * K_OFF);
        v->t_scr_in += (float)((amb - v->t_scr_in) * K_OFF);
        v->t_scr_out += (float)((amb - v->t_scr_out) * K_OFF);
        v->t_twc += (float)((amb - v->t_twc) * K_OFF);
        v->t_coolant += (float)((amb - v->t_coolant) * K_COOL_OFF);
        v->t_urea += (float)((amb - v->t_urea) * K_UREA);
    }

    /* after-treatment */
    double eff = 0, dose_gh = 0, nox_tp = nox_eo;
    if (diesel) {
        double tm = (v->t_scr_in + v->t_scr_out) / 2;
        eff = clampd((tm - 180) / 80, 0, 1) * 0.97;
        if (tm > 450)
            eff = fmax(0, eff - (tm - 450) * 0.002);
        bool dosing = v->ignition && v->t_scr_in >= 190 && v->reagent_l > 0.5;
        if (!dosing)
            eff = 0.02; /* NO2 storage only */
        nox_tp = nox_eo * (1 - eff);
        if (dosing) {
            double nox_mol_h = nox_eo * 1e-6 * exh_kgh * 1000 / 28.9;
            dose_gh = nox_mol_h * eff * 92.3; /* 0.5 mol urea per mol NOx, AUS 32 */
        }
        v->reagent_l = (float)fmax(0, v->reagent_l - dose_gh / 3600 / (DEF_DENSITY * 1000));
        v->urea_total_g += dose_gh / 3600;

        /* soot: loading with work, passive oxidation when hot, active regeneration */
        if (v->ignition && !cut)
            v->soot += (float)(p_ind_kw * 0.04 / 3600 / SOOT_CAP_G);
        if (v->t_dpf > 350)
            v->soot -= (float)(v->soot * (v->t_dpf - 350) * 1.4e-7);
        if (v->ignition && !v->regen && (v->soot >= 1.0f || (v->regen_request && v->soot > 0.05f)))
            v->regen = true;
        v->regen_request = false;
        if (v->regen && v->t_dpf > 550)
            v->soot -= (float)(0.0035 * (v->t_dpf - 500) / 100);
        if (v->soot < 0)
            v->soot = 0;
        if (v->soot > 1.5f)
            v->soot = 1.5f;
        if (v->regen && (v->soot < 0.08f || !v->ignition))
            v->regen = false;
    } else {
        eff = clampd((v->t_twc - 250) / 100, 0, 1) * 0.985;
        nox_tp = nox_eo * (1 - eff);
    }
    v->nox_eo = (float)nox_eo;
    v->nox_tp = (float)nox_tp;
    v->scr_eff = (float)eff;

    /* integrators */
    double fuel_l = mdot / e->density; /* L in this second */
    v->fuel_l = (float)fmax(0, v->fuel_l - fuel_l);
    v->total_fuel_l += fuel_l;
    v->odometer_km += va / 1000;
    move_gnss(v, va);

    /* hybrid battery: positive current discharges */
    double batt_v = 600 + 100 * v->soc, batt_i = 0;
    if (hybrid) {
        double p_batt = p_motor >= 0 ? p_motor / 0.92 : p_motor * 0.92;
        batt_i = p_batt / batt_v;
        v->soc = (float)clampd(v->soc - p_batt / BATT_J, 0.05, 0.95);
        batt_v -= batt_i * 0.05;
    }

    /* IUPR: a warm driving second opens the general denominator of the
     * cycle; 300 of them complete the monitors (numerators) */
    if (v->ignition && gear > 0 && !cut && load > 0.15 && v->t_coolant > 70) {
        v->warm_s++;
        if (v->warm_s == 1)
            v->obd_cond++;
        if (v->warm_s == 300) {
            v->mon_scr++;
            v->mon_pm++;
            v->mon_egs++;
            v->mon_boost++;
        }
    }

    v->speed_kmh = (float)speed_kmh;
    v->rpm = (float)rpm;
    v->gear = (uint8_t)gear;
    v->t++;

    /* the sample */
    rs_sample_init(out);
    out->stream = rs_veh_type_stream((rs_veh_type)v->type);
    out->has_hybrid = hybrid;
    out->has_supplement = true;
    out_ctx o = { v, out };
    put(&o, RS_F_SPEED, speed_kmh);
    put(&o, RS_F_BARO, v->baro_kpa);
    put(&o, RS_F_TORQUE, e->t_ref > 0 ? 100 * t_ind / e->t_ref : 0);
    put(&o, RS_F_FRICTION, v->ignition ? 100 * t_fric / e->t_ref : 0);
    put(&o, RS_F_RPM, rpm);
    put(&o, RS_F_FUEL_RATE, fuel_l * 3600);
    put(&o, RS_F_AIR_FLOW, air_kgh * (1 + 0.01 * gauss(v) * nz));
    if (v->ignition) {
        /* NOx sensors are unpowered with the ignition off */
        put(&o, RS_F_NOX_UP, nox_eo * (1 + 0.02 * gauss(v) * nz) + 2 * gauss(v) * nz);
        put(&o, RS_F_NOX_DOWN, fmax(0, nox_tp * (1 + 0.03 * gauss(v) * nz) + 1.5 * gauss(v) * nz));
    }
    put(&o, RS_F_REAGENT, 100 * v->reagent_l / UREA_TANK_L);
    put(&o, RS_F_SCR_IN, v->t_scr_in + 0.5 * gauss(v) * nz);
    put(&o, RS_F_SCR_OUT, v->t_scr_out + 0.5 * gauss(v) * nz);
    double q = exh_kgh / 1500 * (v->t_dpf + 273) / 673;
    put(&o, RS_F_DPF_DP, v->ignition ? fmax(0, 3.0 * q * (1 + 3 * v->soot) + 0.03 * gauss(v) * nz) : 0);
    put(&o, RS_F_COOLANT, v->t_coolant);
    put(&o, RS_F_FUEL_LEVEL, 100 * v->fuel_l / e->tank_l);
    bool fix = !v->gnss_fix_lost;
    put(&o, RS_F_POS_STATUS, (fix ? 0 : 1) | (v->lat_fix < 0 ? 2 : 0) | (v->lon_fix < 0 ? 4 : 0));
    put(&o, RS_F_LAT, fabs(v->lat_fix));
    put(&o, RS_F_LON, fabs(v->lon_fix));
    put(&o, RS_F_ODOMETER, v->odometer_km);
    if (!diesel) {
        double o2 = cut ? 1.95 : lambda + 0.003 * gauss(v) * nz;
        put(&o, RS_F_O2_UP, o2);
        double o2d = cut ? 0.05 : eff > 0.5 ? 0.65 + 0.02 * gauss(v) * nz : lambda < 1 ? 0.8 : 0.1;
        put(&o, RS_F_O2_DOWN, v->ignition ? o2d : 0);
        put(&o, RS_F_TWC_TEMP, v->t_twc + 0.5 * gauss(v) * nz);
    }
    if (hybrid) {
        put(&o, RS_F_MOTOR_SPEED, gear > 0 ? rpm : 0);
        put(&o, RS_F_MOTOR_LOAD, 100 * fabs(p_motor) / MOTOR_P_MAX);
        put(&o, RS_F_BATT_VOLTAGE, batt_v);
        put(&o, RS_F_BATT_CURRENT, batt_i);
        put(&o, RS_F_SOC, floor(100 * v->soc + 0.5));
    }
    put(&o, RS_F_TORQUE_MODE, 9); /* "normal", as vehicle_can sends it (signals.h) */
    put(&o, RS_F_PEDAL, pedal);
    put(&o, RS_F_TOTAL_FUEL, v->total_fuel_l);
    put(&o, RS_F_UREA_TEMP, v->t_urea);
    put(&o, RS_F_UREA_DOSE, dose_gh / DEF_DENSITY); /* g/h -> ml/h */
    put(&o, RS_F_UREA_TOTAL, v->urea_total_g);
    put(&o, RS_F_DPF_EXH_TEMP, v->t_dpf + 0.5 * gauss(v) * nz);
}
