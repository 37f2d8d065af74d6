/* The J1939 signal table (can-signals.md §2, §2.1) and its decode / encode.
 *
 * Every position, scaling, sender and gate is a row of rs_signals[]; the
 * functions below are generic over a row.  Positions are J1939 1-based
 * (byte.bit), little-endian, as written in can-signals.md, so a row can be
 * checked against the spec by eye. */
#include "remsim/signals.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SA1(a) { (a), RS_SIG_SA_END, RS_SIG_SA_END, RS_SIG_SA_END }
#define SA2(a, b) { (a), (b), RS_SIG_SA_END, RS_SIG_SA_END }
#define SA3(a, b, c) { (a), (b), (c), RS_SIG_SA_END }
#define SA4(a, b, c, d) { (a), (b), (c), (d) }
#define NOGATE { 0, 0, 0 }
/* NOx sensor status, byte 5: bits 3-4 "at temperature" and bits 5-6
 * "reading stable" must be 01 (can-signals.md §2); 00/10 make the value
 * invalid, 11 (not reported) is read as gate_ok() explains: the idle truck
 * sends 0xFAFF with status 11 for an absent sensor, not 3012.75 ppm. */
#define NOX_GATE { 5, 0x3C, 0x14 }
/* CANmod.gps PositionValid, bit 0 of byte 1. */
#define GNSS_GATE { 1, 0x01, 0x01 }

/*  name, acronym, pgn, spn, byte, bit, len, scale, offset, unit, jmax,
 *  field, conv, prio, rate_ms, flags, senders, gate */
const rs_signal rs_signals[] = {
    /* §2 rows 1-19: the 0x02 stream */
    { "ccvs1_speed", "CCVS1", 65265, 84, 2, 1, 16, 1.0 / 256, 0, "km/h", 250.99609375,
      RS_F_SPEED, RS_CONV_NONE, 6, 100, 0, SA1(0x00), NOGATE },
    { "tco1_speed", "TCO1", 65132, 1624, 7, 1, 16, 1.0 / 256, 0, "km/h", 250.99609375,
      RS_F_SPEED, RS_CONV_NONE, 3, 50, RS_SIG_ALT, SA1(0xEE), NOGATE },
    { "amb_baro", "AMB", 65269, 108, 1, 1, 8, 0.5, 0, "kPa", 125,
      RS_F_BARO, RS_CONV_NONE, 6, 1000, 0, SA1(0x00), NOGATE },
    { "eec1_torque", "EEC1", 61444, 513, 3, 1, 8, 1, -125, "%", 125,
      RS_F_TORQUE, RS_CONV_NONE, 3, 10, 0, SA1(0x00), NOGATE },
    { "eec3_friction", "EEC3", 65247, 514, 1, 1, 8, 1, -125, "%", 125,
      RS_F_FRICTION, RS_CONV_NONE, 6, 20, 0, SA1(0x00), NOGATE },
    { "eec1_rpm", "EEC1", 61444, 190, 4, 1, 16, 0.125, 0, "rpm", 8031.875,
      RS_F_RPM, RS_CONV_NONE, 3, 10, 0, SA1(0x00), NOGATE },
    { "lfe1_fuel_rate", "LFE1", 65266, 183, 1, 1, 16, 0.05, 0, "L/h", 3212.75,
      RS_F_FUEL_RATE, RS_CONV_NONE, 6, 100, 0, SA1(0x00), NOGATE },
    { "at1ig1_nox", "AT1IG1", 61454, 3216, 1, 1, 16, 0.05, -200, "ppm", 3012.75,
      RS_F_NOX_UP, RS_CONV_NONE, 6, 50, 0, SA2(0x51, 0x00), NOX_GATE },
    { "at1og1_nox", "AT1OG1", 61455, 3226, 1, 1, 16, 0.05, -200, "ppm", 3012.75,
      RS_F_NOX_DOWN, RS_CONV_NONE, 6, 50, 0, SA2(0x52, 0x00), NOX_GATE },
    { "at1t1i1_level", "AT1T1I1", 65110, 1761, 1, 1, 8, 0.4, 0, "%", 100,
      RS_F_REAGENT, RS_CONV_NONE, 6, 1000, 0, SA2(0x00, 0xA3), NOGATE },
    { "egf1_air", "EGF1", 61450, 132, 3, 1, 16, 0.05, 0, "kg/h", 3212.75,
      RS_F_AIR_FLOW, RS_CONV_NONE, 3, 50, 0, SA1(0x00), NOGATE },
    { "a1scregt1_in", "A1SCREGT1", 64830, 4360, 1, 1, 16, 0.03125, -273, "degC", 1734.96875,
      RS_F_SCR_IN, RS_CONV_NONE, 6, 500, 0, SA3(0x00, 0x55, 0x3D), NOGATE },
    { "a1scregt1_out", "A1SCREGT1", 64830, 4363, 4, 1, 16, 0.03125, -273, "degC", 1734.96875,
      RS_F_SCR_OUT, RS_CONV_NONE, 6, 500, 0, SA3(0x00, 0x55, 0x3D), NOGATE },
    { "at1img_dpf_dp", "AT1IMG", 64946, 3251, 5, 1, 16, 0.1, 0, "kPa", 6425.5,
      RS_F_DPF_DP, RS_CONV_NONE, 6, 500, 0, SA3(0x00, 0x55, 0x3D), NOGATE },
    { "et1_coolant", "ET1", 65262, 110, 1, 1, 8, 1, -40, "degC", 210,
      RS_F_COOLANT, RS_CONV_NONE, 6, 1000, 0, SA1(0x00), NOGATE },
    { "dd1_fuel_level", "DD1", 65276, 96, 2, 1, 8, 0.4, 0, "%", 100,
      RS_F_FUEL_LEVEL, RS_CONV_NONE, 6, 1000, 0, SA2(0x00, 0x17), NOGATE },
    { "vp1_lat", "VP1", 65267, 584, 1, 1, 32, 1e-7, -210, "deg", 211.1081215,
      RS_F_LAT, RS_CONV_SIGNED_DEG, 6, 1000, 0, SA4(0x1C, 0x4A, 0xFB, 0x00), NOGATE },
    { "vp1_lon", "VP1", 65267, 585, 5, 1, 32, 1e-7, -210, "deg", 211.1081215,
      RS_F_LON, RS_CONV_SIGNED_DEG, 6, 1000, 0, SA4(0x1C, 0x4A, 0xFB, 0x00), NOGATE },
    /* CSS CANmod.gps 'gnss_pos' (canmod-gps.dbc): 11-bit id base+3,
     * Latitude 1|28@1+ (1e-6,-90), Longitude 29|29@1+ (1e-6,-180). */
    { "canmod_lat", "CANmod.gps", 3, 0, 1, 2, 28, 1e-6, -90, "deg", 178.435455,
      RS_F_LAT, RS_CONV_SIGNED_DEG, 0, 1000, RS_SIG_ALT | RS_SIG_STD11 | RS_SIG_NOMARKERS,
      SA1(RS_SIG_SA_END), GNSS_GATE },
    { "canmod_lon", "CANmod.gps", 3, 0, 4, 6, 29, 1e-6, -180, "deg", 356.870911,
      RS_F_LON, RS_CONV_SIGNED_DEG, 0, 1000, RS_SIG_ALT | RS_SIG_STD11 | RS_SIG_NOMARKERS,
      SA1(RS_SIG_SA_END), GNSS_GATE },
    { "vd_odometer", "VD", 65248, 245, 5, 1, 32, 0.125, 0, "km", 526385151.875,
      RS_F_ODOMETER, RS_CONV_NONE, 6, 100, 0, SA3(0x00, 0x17, 0xEE), NOGATE },
    { "vdhr_odometer", "VDHR", 65217, 917, 1, 1, 32, 0.005, 0, "km", 21055406.075,
      RS_F_ODOMETER, RS_CONV_NONE, 6, 1000, RS_SIG_ALT, SA3(0x00, 0x17, 0xEE), NOGATE },
    /* §2.1: the 0x80 supplement (torque mode is a constant, rs_sig_cfg) */
    { "eec2_pedal", "EEC2", 61443, 91, 2, 1, 8, 0.4, 0, "%", 100,
      RS_F_PEDAL, RS_CONV_NONE, 3, 50, 0, SA1(0x00), NOGATE },
    { "lfc1_total_fuel", "LFC1", 65257, 250, 5, 1, 32, 0.5, 0, "L", 2105540607.5,
      RS_F_TOTAL_FUEL, RS_CONV_NONE, 6, 1000, 0, SA1(0x00), NOGATE },
    { "at1t1i1_temp", "AT1T1I1", 65110, 3031, 2, 1, 8, 1, -40, "degC", 210,
      RS_F_UREA_TEMP, RS_CONV_NONE, 6, 1000, 0, SA2(0x00, 0xA3), NOGATE },
    { "a1scrdsi1_dose", "A1SCRDSI1", 61475, 4331, 1, 1, 16, 0.3, 0, "g/h", 19276.5,
      RS_F_UREA_DOSE, RS_CONV_GH_TO_MLH, 6, 50, 0, SA2(0x3D, 0x00), NOGATE },
    { "a1scrsi2_total", "A1SCRSI2", 64701, 5963, 1, 1, 32, 0.5, 0, "L", 2105540607.5,
      RS_F_UREA_TOTAL, RS_CONV_L_TO_G, 6, 1000, 0, SA2(0x3D, 0x00), NOGATE },
    { "at1ig2_dpf_temp", "AT1IG2", 64948, 3242, 3, 1, 16, 0.03125, -273, "degC", 1734.96875,
      RS_F_DPF_EXH_TEMP, RS_CONV_NONE, 6, 500, 0, SA3(0x00, 0x55, 0x3D), NOGATE },
    { "at1og2_dpf_temp", "AT1OG2", 64947, 3246, 3, 1, 16, 0.03125, -273, "degC", 1734.96875,
      RS_F_DPF_EXH_TEMP, RS_CONV_NONE, 6, 500, RS_SIG_ALT, SA3(0x00, 0x55, 0x3D), NOGATE },
    /* HJ 1239 TWC streams 0x03 / 0x05 (protocol.md §7.6, §7.7; docs/j1939.md
     * "TWC and hybrid sources" has the evidence behind each row).
     * No J1939 SPN carries a switching O2 sensor's lambda or voltage, so the
     * two O2 rows are ours [U]: proprietary B PGN 0xFFA0 from the engine,
     * each scaled to cover its report field. */
    { "propb_o2_up", "PROPB_FFA0", 65440, 0, 1, 1, 16, 0.0000305, 0, "lambda", 1.9597775,
      RS_F_O2_UP, RS_CONV_NONE, 6, 100, 0, SA1(0x00), NOGATE },
    { "propb_o2_down", "PROPB_FFA0", 65440, 0, 3, 1, 16, 0.001, 0, "V", 64.255,
      RS_F_O2_DOWN, RS_CONV_NONE, 6, 100, 0, SA1(0x00), NOGATE },
    /* AT1TWC: intake temperature first, the outlet when the intake is absent. */
    { "at1twc_in", "AT1TWC", 64838, 4289, 1, 1, 16, 0.03125, -273, "degC", 1734.96875,
      RS_F_TWC_TEMP, RS_CONV_NONE, 6, 500, 0, SA2(0x00, 0x3D), NOGATE },
    { "at1twc_out", "AT1TWC", 64838, 4290, 3, 1, 16, 0.03125, -273, "degC", 1734.96875,
      RS_F_TWC_TEMP, RS_CONV_NONE, 6, 500, RS_SIG_ALT, SA2(0x00, 0x3D), NOGATE },
    /* HJ 1239 hybrid stream 0x04 (§7.8).  MG1IS1 carries speed and torque as
     * percentages (of the reference speed / torque in MG1IR1); byte 1 is a
     * CRC and byte 2 bits 1-4 a counter, which we neither check nor send. */
    { "mg1is1_speed", "MG1IS1", 64372, 9057, 4, 1, 16, 0.00390625, -125, "%", 125.99609375,
      RS_F_MOTOR_SPEED, RS_CONV_PCT_REF_SPEED, 3, 10, 0, SA2(0xEF, 0x5A), NOGATE },
    { "mg1is1_torque", "MG1IS1", 64372, 9061, 2, 5, 12, 0.0625, -125, "%", 125.9375,
      RS_F_MOTOR_LOAD, RS_CONV_MAGNITUDE, 3, 10, 0, SA2(0xEF, 0x5A), NOGATE },
    { "hvessd1_voltage", "HVESSD1", 61584, 5919, 5, 1, 16, 0.05, 0, "V", 3212.75,
      RS_F_BATT_VOLTAGE, RS_CONV_NONE, 3, 20, 0, SA3(0xF3, 0x5A, 0x5B), NOGATE },
    { "hvessd1_current", "HVESSD1", 61584, 5920, 7, 1, 16, 0.05, -1600, "A", 1612.75,
      RS_F_BATT_CURRENT, RS_CONV_NONE, 3, 20, 0, SA3(0xF3, 0x5A, 0x5B), NOGATE },
    { "hvessd2_soc", "HVESSD2", 61585, 5921, 1, 1, 16, 0.0015625, 0, "%", 100.3984375,
      RS_F_SOC, RS_CONV_NONE, 3, 20, 0, SA3(0xF3, 0x5A, 0x5B), NOGATE },
};

const size_t rs_signal_count = sizeof rs_signals / sizeof rs_signals[0];
_Static_assert(sizeof rs_signals / sizeof rs_signals[0] <= RS_SIG_MAX_ROWS,
               "raise RS_SIG_MAX_ROWS: per-row arrays in rs_sig_cfg and the sampler use it");

int rs_signal_by_name(const char *name)
{
    for (size_t i = 0; i < rs_signal_count; i++)
        if (strcmp(rs_signals[i].name, name) == 0)
            return (int)i;
    return -1;
}

int rs_sig_primary_row(rs_field_id f)
{
    for (size_t i = 0; i < rs_signal_count; i++)
        if (rs_signals[i].field == f && !(rs_signals[i].flags & RS_SIG_ALT))
            return (int)i;
    return -1;
}

void rs_sig_cfg_init(rs_sig_cfg *c)
{
    memset(c, 0, sizeof *c);
    memset(c->sa, RS_SIG_SA_END, sizeof c->sa);
    for (size_t i = 0; i < rs_signal_count; i++)
        memcpy(c->sa[i], rs_signals[i].sa, RS_SIG_MAX_SA);
    c->fallback = RS_SA_STRICT;
    c->def_density = 1.09;
    /* Chosen so -125..126 % spans the whole report range (-20000..45531
     * rpm) at 1.5625 rpm a step; a real inverter announces its own. */
    c->mg_ref_speed = 40000;
    c->torque_mode = 9;
    c->gnss = true;
    c->gnss_base = 0;
}

/* ---- bits ---------------------------------------------------------------- */

static inline unsigned start_bit(const rs_signal *s)
{
    return (unsigned)(s->byte - 1) * 8u + (unsigned)(s->bit - 1);
}

static inline uint32_t ones(unsigned len)
{
    return len >= 32 ? 0xFFFFFFFFu : (1u << len) - 1u;
}

bool rs_sig_extract(const rs_signal *s, const uint8_t *data, size_t len, uint32_t *raw)
{
    unsigned sb = start_bit(s), eb = sb + s->len; /* end, exclusive */
    if (s->byte == 0 || s->bit == 0 || s->len == 0 || s->len > 32 || (size_t)(eb + 7) / 8 > len)
        return false;
    uint64_t w = 0;
    for (unsigned i = sb / 8, k = 0; i <= (eb - 1) / 8; i++, k++)
        w |= (uint64_t)data[i] << (8 * k);
    *raw = (uint32_t)(w >> (sb % 8)) & ones(s->len);
    return true;
}

void rs_sig_insert(const rs_signal *s, uint8_t *data, uint32_t raw)
{
    /* A byte at a time over the span: at most 39 bits (7 of offset + 32). */
    unsigned sb = start_bit(s), sh = sb % 8;
    uint64_t mask = (uint64_t)ones(s->len) << sh;
    uint64_t val = ((uint64_t)(raw & ones(s->len))) << sh;
    for (unsigned i = sb / 8, k = 0; i <= (sb + s->len - 1) / 8; i++, k += 8) {
        uint8_t m = (uint8_t)(mask >> k);
        data[i] = (uint8_t)((data[i] & ~m) | ((uint8_t)(val >> k) & m));
    }
}

/* ---- J1939 markers (can-signals.md §1.2) --------------------------------- */

/* Largest valid raw: 0xFA.. in the most significant byte; 2-bit fields 01. */
static uint32_t raw_valid_max(const rs_signal *s)
{
    if (s->flags & RS_SIG_NOMARKERS)
        return ones(s->len);
    if (s->len >= 8)
        return ((0xFBu << (s->len - 8)) - 1u) & ones(s->len);
    return ones(s->len) - 2u;
}

static uint32_t raw_error(const rs_signal *s)
{
    return ones(s->len) - (s->len >= 8 ? 1u << (s->len - 8) : 1u);
}

static double to_field_unit(const rs_signal *s, const rs_sig_cfg *c, double phys)
{
    switch (s->conv) {
    case RS_CONV_GH_TO_MLH: return phys / c->def_density;
    case RS_CONV_L_TO_G: return phys * c->def_density * 1000.0;
    case RS_CONV_PCT_REF_SPEED: return phys * c->mg_ref_speed / 100.0;
    case RS_CONV_MAGNITUDE: return fabs(phys);
    default: return phys;
    }
}

static double from_field_unit(const rs_signal *s, const rs_sig_cfg *c, double v)
{
    switch (s->conv) {
    case RS_CONV_GH_TO_MLH: return v * c->def_density;
    case RS_CONV_L_TO_G: return v / (c->def_density * 1000.0);
    case RS_CONV_PCT_REF_SPEED: return v * 100.0 / c->mg_ref_speed;
    default: return v; /* a magnitude goes out as the positive value */
    }
}

/* The gate, read as 2-bit J1939 status fields (can-signals.md §1.2):
 * a field equal to the wanted pattern passes; a field that is all ones
 * ("not available": the sender does not report that status) neither passes
 * nor fails; anything else (00 not ready, 10 error) fails.  A value whose
 * status is not reported is believed, except the largest valid raw: the
 * idle truck fills its absent outlet sensor with 0xFAFF and status 11
 * (§1.2), while its inlet sensor sends real readings with status 11 too. */
static bool gate_ok(const rs_signal *s, const uint8_t *data, size_t len, uint32_t raw)
{
    if (s->gate.byte == 0)
        return true;
    if (s->gate.byte > len)
        return false;
    uint8_t b = data[s->gate.byte - 1];
    bool unknown = false;
    for (unsigned sh = 0; sh < 8; sh += 2) {
        unsigned m = (s->gate.mask >> sh) & 3u;
        if (!m)
            continue;
        unsigned got = (b >> sh) & m, want = (s->gate.value >> sh) & m;
        if (got == want)
            continue;
        if (got != m)
            return false;
        unknown = true;
    }
    return !(unknown && raw == raw_valid_max(s));
}

rs_val rs_sig_decode(const rs_signal *s, const rs_sig_cfg *c, const uint8_t *data, size_t len)
{
    rs_val v = { 0, 0, RS_INVALID };
    uint32_t raw;
    if (!rs_sig_extract(s, data, len, &raw))
        return v;
    v.raw = raw;
    if (!(s->flags & RS_SIG_NOMARKERS) && raw > raw_valid_max(s)) {
        /* Only the top code is "error"; 0xFB..0xFD are parameter-specific or
         * reserved: no number either way. */
        uint32_t top = s->len >= 8 ? raw >> (s->len - 8) : raw;
        uint32_t err = s->len >= 8 ? 0xFEu : ones(s->len) - 1u;
        v.state = top == err ? RS_ABNORMAL : RS_INVALID;
        return v;
    }
    if (!gate_ok(s, data, len, raw))
        return v;
    v.state = RS_VALID;
    v.value = to_field_unit(s, c, (double)raw * s->scale + s->offset);
    return v;
}

bool rs_sig_encode(const rs_signal *s, const rs_sig_cfg *c, const rs_val *v, uint8_t *data)
{
    if (v->state != RS_VALID) {
        if (s->flags & RS_SIG_NOMARKERS) {
            if (s->gate.byte == 0)
                return false;
            /* No marker exists: say so through the gate instead. */
            rs_sig_insert(s, data, 0);
            uint8_t *g = &data[s->gate.byte - 1];
            *g = (uint8_t)((*g & ~s->gate.mask) | (~s->gate.value & s->gate.mask));
            return true;
        }
        rs_sig_insert(s, data, v->state == RS_INVALID ? ones(s->len) : raw_error(s));
        return true;
    }
    double x = (from_field_unit(s, c, v->value) - s->offset) / s->scale;
    if (!(x > -0.5 && x < (double)raw_valid_max(s) + 0.5)) /* also false for NaN */
        return false;
    rs_sig_insert(s, data, (uint32_t)(x + 0.5)); /* x > -0.5 */
    if (s->gate.byte) {
        uint8_t *g = &data[s->gate.byte - 1];
        *g = (uint8_t)((*g & ~s->gate.mask) | s->gate.value);
    }
    return true;
}

rs_val rs_sig_to_report(rs_field_id f, rs_val v)
{
    const rs_field_desc *fd = &rs_fields[f];
    uint32_t all = rs_all_ones(fd->width);
    if (v.state == RS_INVALID || v.state == RS_ABNORMAL) {
        v.raw = v.state == RS_INVALID ? all : all - 1;
        v.value = 0;
        return v;
    }
    if (f == RS_F_LAT || f == RS_F_LON)
        v.value = fabs(v.value);
    v.state = RS_VALID;
    rs_scaling sc = { fd->scale, fd->offset };
    uint32_t raw;
    if (rs_val_to_raw(fd, &sc, &v, &raw)) {
        v.raw = raw;
        return v;
    }
    /* A J1939 value the report cannot carry (e.g. |latitude| > 90): keep the
     * number for people, mark it with the first raw above the range, or as
     * abnormal when the field has no room above its range. */
    if ((uint64_t)fd->raw_max + 1 < (uint64_t)all - 1) {
        v.state = RS_OUT_OF_RANGE;
        v.raw = fd->raw_max + 1;
    } else {
        v.state = RS_ABNORMAL;
        v.raw = all - 1;
    }
    return v;
}

bool rs_sig_field_range(rs_field_id f, const rs_sig_cfg *c, double *lo, double *hi, double *step)
{
    int r = rs_sig_primary_row(f);
    if (r < 0)
        return false;
    const rs_signal *s = &rs_signals[r];
    const rs_field_desc *fd = &rs_fields[f];
    double plo = s->offset, phi = (double)raw_valid_max(s) * s->scale + s->offset;
    if (s->conv == RS_CONV_MAGNITUDE)
        plo = fmax(plo, 0); /* only the positive half is ever sent */
    double jlo = to_field_unit(s, c, plo);
    double jhi = to_field_unit(s, c, phi);
    double glo = fd->offset, ghi = (double)fd->raw_max * fd->scale + fd->offset;
    if (s->conv == RS_CONV_SIGNED_DEG) {
        jhi = fmin(fabs(jlo), fabs(jhi));
        jlo = 0;
    }
    /* Where the report's range is the tighter one, keep a J1939 step away
     * from its edge: a value rounded to the J1939 grid must still fit. */
    double jstep = fabs(to_field_unit(s, c, s->scale));
    *lo = glo > jlo ? glo + jstep : jlo;
    *hi = ghi < jhi ? ghi - jstep : jhi;
    *step = fmax(jstep, fd->scale);
    return *lo <= *hi;
}

/* ---- configuration -------------------------------------------------------- */

static rs_code bad(rs_err *err, const char *rule, long long got)
{
    return rs_fail(err, RS_E_OPTION, 0, "signals", rule, got, 0, got ? RS_NUM_GOT_ONLY : RS_NUM_NONE);
}

static rs_code parse_sa_list(const char *v, uint8_t out[RS_SIG_MAX_SA], rs_err *err)
{
    uint8_t tmp[RS_SIG_MAX_SA];
    memset(tmp, RS_SIG_SA_END, sizeof tmp);
    unsigned n = 0;
    const char *p = v;
    for (;;) {
        char *end;
        errno = 0;
        unsigned long x = strtoul(p, &end, 0);
        if (end == p || errno || x > 253)
            return bad(err, "source address: 0..253, decimal or 0x hex, comma separated", 0);
        if (n == RS_SIG_MAX_SA)
            return bad(err, "at most 4 source addresses per signal", (long long)n + 1);
        tmp[n++] = (uint8_t)x;
        if (*end == '\0')
            break;
        if (*end != ',')
            return bad(err, "source address list: SA[,SA...]", 0);
        p = end + 1;
    }
    memcpy(out, tmp, sizeof tmp);
    return RS_OK;
}

static rs_code parse_num(const char *v, double lo, double hi, double *out, rs_err *err, const char *rule)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= lo && x <= hi))
        return bad(err, rule, 0);
    *out = x;
    return RS_OK;
}

rs_code rs_sig_cfg_set(rs_sig_cfg *c, const char *kv, rs_err *err)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq || eq == kv || !eq[1])
        return bad(err, "signal setting: key=value (docs/can.md)", 0);
    char key[48];
    size_t kl = (size_t)(eq - kv);
    if (kl >= sizeof key)
        return bad(err, "signal setting: key too long", (long long)kl);
    memcpy(key, kv, kl);
    key[kl] = '\0';
    const char *v = eq + 1;
    double x;
    rs_code rc;

    if (strcmp(key, "fallback") == 0) {
        if (strcmp(v, "strict") == 0)
            c->fallback = RS_SA_STRICT;
        else if (strcmp(v, "any") == 0)
            c->fallback = RS_SA_ANY;
        else
            return bad(err, "fallback: strict|any", 0);
        return RS_OK;
    }
    if (strcmp(key, "def_density") == 0) {
        if ((rc = parse_num(v, 0.5, 2.0, &x, err, "def_density: g/ml, 0.5..2")) != RS_OK)
            return rc;
        c->def_density = x;
        return RS_OK;
    }
    if (strcmp(key, "mg_ref_speed") == 0) {
        /* MG1IR1 SPN 10171 is 4 rpm/bit: 257020 rpm is its largest value. */
        if ((rc = parse_num(v, 1, 257020, &x, err, "mg_ref_speed: rpm, 1..257020")) != RS_OK)
            return rc;
        c->mg_ref_speed = x;
        return RS_OK;
    }
    if (strcmp(key, "torque_mode") == 0) {
        if ((rc = parse_num(v, 0, 255, &x, err, "torque_mode: 0..255 (9 normal)")) != RS_OK)
            return rc;
        c->torque_mode = (uint8_t)x;
        return RS_OK;
    }
    if (strcmp(key, "gnss") == 0) {
        if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0) {
            c->gnss = v[1] == 'n';
            return RS_OK;
        }
        return bad(err, "gnss: on|off", 0);
    }
    if (strcmp(key, "gnss_base") == 0) {
        char *end;
        unsigned long b = strtoul(v, &end, 0);
        if (end == v || *end || b > 0x7F8)
            return bad(err, "gnss_base: 11-bit id 0..0x7F8", 0);
        c->gnss_base = (uint16_t)b;
        return RS_OK;
    }

    uint8_t sa[RS_SIG_MAX_SA] = { RS_SIG_SA_END, RS_SIG_SA_END, RS_SIG_SA_END, RS_SIG_SA_END };
    int row = rs_signal_by_name(key);
    int field = row < 0 ? rs_field_by_name(key) : -1;
    if (row < 0 && field < 0)
        return bad(err, "unknown signal setting: a field or row name, fallback, def_density, "
                        "mg_ref_speed, torque_mode, gnss, gnss_base", 0);
    if ((rc = parse_sa_list(v, sa, err)) != RS_OK)
        return rc;
    bool any = false;
    for (size_t i = 0; i < rs_signal_count; i++) {
        const rs_signal *s = &rs_signals[i];
        if (s->flags & RS_SIG_STD11)
            continue; /* no source address on 11-bit ids */
        if ((row >= 0 && (size_t)row == i) || (row < 0 && s->field == field)) {
            memcpy(c->sa[i], sa, RS_SIG_MAX_SA);
            any = true;
        }
    }
    if (!any)
        return bad(err, "no J1939 signal feeds that field", 0);
    return RS_OK;
}
