/* The field table (§7.4-§7.9) and raw <-> physical conversion (§2.3). */
#include "remsim/field.h"

#include <math.h>
#include <string.h>

#define SCALED(n, u, t, s, w, sc, off, max) { n, u, t, s, w, RS_KIND_SCALED, sc, off, max, 1.0 / (sc) }

/* Hybrid 2-byte fields follow GB/T 32960 (valid to 0xFFFB); the rest J1939 (0xFAFF). */
const rs_field_desc rs_fields[RS_F_COUNT] = {
    [RS_F_SPEED] = SCALED("speed", "km/h", "vehicle speed", "§7.4", 2, 1.0 / 256, 0, 0xFAFF),
    [RS_F_BARO] = SCALED("baro", "kPa", "barometric pressure", "§7.4", 1, 0.5, 0, 0xFA),
    [RS_F_TORQUE] = SCALED("torque", "%", "engine net output torque", "§7.4", 1, 1, -125, 0xFA),
    [RS_F_FRICTION] = SCALED("friction", "%", "friction torque", "§7.4", 1, 1, -125, 0xFA),
    [RS_F_RPM] = SCALED("rpm", "rpm", "engine speed", "§7.4", 2, 0.125, 0, 0xFAFF),
    [RS_F_FUEL_RATE] = SCALED("fuel_rate", "L/h", "engine fuel flow", "§7.4", 2, 0.05, 0, 0xFAFF),
    [RS_F_NOX_UP] = SCALED("nox_up", "ppm", "SCR upstream NOx", "§7.4", 2, 0.05, -200, 0xFAFF),
    [RS_F_NOX_DOWN] = SCALED("nox_down", "ppm", "SCR downstream NOx", "§7.4", 2, 0.05, -200, 0xFAFF),
    [RS_F_REAGENT] = SCALED("reagent", "%", "reagent remaining", "§7.4", 1, 0.4, 0, 0xFA),
    [RS_F_AIR_FLOW] = SCALED("air_flow", "kg/h", "intake air flow", "§7.4", 2, 0.05, 0, 0xFAFF),
    [RS_F_SCR_IN] = SCALED("scr_in", "degC", "SCR inlet temperature", "§7.4", 2, 0.03125, -273, 0xFAFF),
    [RS_F_SCR_OUT] = SCALED("scr_out", "degC", "SCR outlet temperature", "§7.4", 2, 0.03125, -273, 0xFAFF),
    [RS_F_DPF_DP] = SCALED("dpf_dp", "kPa", "DPF differential pressure", "§7.4", 2, 0.1, 0, 0xFAFF),
    [RS_F_COOLANT] = SCALED("coolant", "degC", "engine coolant temperature", "§7.4", 1, 1, -40, 0xFA),
    [RS_F_FUEL_LEVEL] = SCALED("fuel_level", "%", "fuel tank level", "§7.4", 1, 0.4, 0, 0xFA),
    [RS_F_POS_STATUS] = { "pos_status", "", "positioning status", "§7.5", 1, RS_KIND_BITS, 1, 0, 0xFF },
    [RS_F_LON] = SCALED("lon", "deg", "longitude", "§7.4", 4, 1e-6, 0, 180000000),
    [RS_F_LAT] = SCALED("lat", "deg", "latitude", "§7.4", 4, 1e-6, 0, 90000000),
    /* No upper bound is known [U]: everything below the two markers is valid. */
    [RS_F_ODOMETER] = SCALED("odometer", "km", "accumulated mileage", "§7.4", 4, 0.1, 0, 0xFFFFFFFDu),
    [RS_F_O2_UP] = SCALED("o2_up", "lambda", "TWC upstream oxygen sensor", "§7.6", 2, 0.0000305, 0, 0xFAFF),
    [RS_F_O2_DOWN] = SCALED("o2_down", "V", "TWC downstream oxygen sensor", "§7.6", 1, 0.01, 0, 0xFA),
    [RS_F_TWC_TEMP] = SCALED("twc_temp", "degC", "TWC temperature", "§7.6", 2, 0.03125, -273, 0xFAFF),
    [RS_F_MOTOR_SPEED] = SCALED("motor_speed", "rpm", "drive motor speed", "§7.8", 2, 1, -20000, 0xFFFB),
    [RS_F_MOTOR_LOAD] = SCALED("motor_load", "%", "motor load", "§7.8", 1, 1, 0, 0xFA),
    [RS_F_BATT_VOLTAGE] = SCALED("batt_voltage", "V", "traction battery voltage", "§7.8", 2, 0.1, 0, 0xFFFB),
    [RS_F_BATT_CURRENT] = SCALED("batt_current", "A", "traction battery current", "§7.8", 2, 0.1, -1000, 0xFFFB),
    [RS_F_SOC] = SCALED("soc", "%", "state of charge", "§7.8", 1, 1, 0, 100),
    [RS_F_TORQUE_MODE] = { "torque_mode", "", "engine torque mode", "§7.9", 1, RS_KIND_ENUM, 1, 0, 0xFA },
    [RS_F_PEDAL] = SCALED("pedal", "%", "accelerator pedal", "§7.9", 1, 0.4, 0, 0xFA),
    [RS_F_TOTAL_FUEL] = SCALED("total_fuel", "L", "total fuel used", "§7.9", 4, 0.5, 0, 0xFAFFFFFFu),
    [RS_F_UREA_TEMP] = SCALED("urea_temp", "degC", "urea tank temperature", "§7.9", 1, 1, -40, 0xFA),
    [RS_F_UREA_DOSE] = SCALED("urea_dose", "ml/h", "actual urea dosing", "§7.9", 4, 0.01, 0, 0xFAFFFFFFu),
    [RS_F_UREA_TOTAL] = SCALED("urea_total", "g", "total urea consumed", "§7.9", 4, 1, 0, 0xFAFFFFFFu),
    [RS_F_DPF_EXH_TEMP] = SCALED("dpf_exh_temp", "degC", "DPF exhaust temperature", "§7.9", 2, 0.03125, -273, 0xFAFF),
};

int rs_field_by_name(const char *name)
{
    for (int i = 0; i < RS_F_COUNT; i++)
        if (strcmp(rs_fields[i].name, name) == 0)
            return i;
    return -1;
}

const char *rs_state_name(rs_state s)
{
    switch (s) {
    case RS_VALID: return "valid";
    case RS_INVALID: return "invalid";
    case RS_ABNORMAL: return "abnormal";
    case RS_OUT_OF_RANGE: return "out_of_range";
    }
    return "unknown";
}

int rs_scale_decimals(double scale)
{
    double x = fabs(scale);
    for (int d = 0; d < 10; d++) {
        if (fabs(x - nearbyint(x)) < 1e-9 * (x > 1 ? x : 1))
            return d;
        x *= 10;
    }
    return 10;
}

rs_val rs_val_from_raw(const rs_field_desc *f, const rs_scaling *sc, uint32_t raw)
{
    rs_val v;
    v.raw = raw;
    v.value = 0;
    if (f->kind == RS_KIND_BITS || raw <= f->raw_max) {
        v.state = RS_VALID;
        v.value = f->kind == RS_KIND_SCALED ? (double)raw * sc->scale + sc->offset : (double)raw;
        return v;
    }
    uint32_t ones = rs_all_ones(f->width);
    v.state = raw == ones ? RS_INVALID : raw == ones - 1 ? RS_ABNORMAL : RS_OUT_OF_RANGE;
    return v;
}

bool rs_val_to_raw(const rs_field_desc *f, const rs_scaling *sc, const rs_val *v, uint32_t *raw)
{
    uint32_t ones = rs_all_ones(f->width);
    switch (v->state) {
    case RS_INVALID:
        *raw = ones;
        return true;
    case RS_ABNORMAL:
        *raw = ones - 1;
        return true;
    case RS_OUT_OF_RANGE:
        *raw = v->raw;
        return v->raw <= ones;
    default:
        break;
    }
    /* Multiplying by the compiled-in reciprocal instead of dividing: this
     * runs for every field of every sample.  The result differs from the
     * division by at most an ulp, which moves the rounding only for values
     * within an ulp of a half step. */
    double x = v->value;
    if (f->kind == RS_KIND_SCALED)
        x = sc->scale == f->scale ? (x - sc->offset) * f->inv_scale : (x - sc->offset) / sc->scale;
    if (!(x > -0.5 && x < (double)f->raw_max + 0.5)) /* also false for NaN */
        return false;
    *raw = (uint32_t)(x + 0.5); /* x > -0.5: rounds half up, like llround here, without the call */
    return true;
}

void rs_sample_init(rs_sample *s)
{
    memset(s, 0, sizeof *s);
    s->stream = 0x02;
    for (int i = 0; i < RS_F_COUNT; i++)
        s->v[i] = rs_val_invalid();
    s->v[RS_F_POS_STATUS] = rs_val_ok(1); /* position invalid until a fix */
}
