/* Vehicle model: type names, faults (DTCs, sensors, ignition) and the OBD
 * snapshot (§7.10, §7.12, §7.13).  Kept apart from the physics step. */
#include "remsim/vehicle.h"

#include <stdio.h>
#include <string.h>

#include "remsim/vin.h"

static const char *const k_type_names[RS_VEH_TYPE_COUNT] = {
    [RS_VEH_DIESEL] = "diesel",
    [RS_VEH_GAS] = "gas",
    [RS_VEH_GAS_NOX] = "gas_nox",
    [RS_VEH_HYBRID] = "hybrid",
};

const char *rs_veh_type_name(rs_veh_type t)
{
    return (unsigned)t < RS_VEH_TYPE_COUNT ? k_type_names[t] : "unknown";
}

bool rs_veh_type_parse(const char *name, rs_veh_type *out)
{
    for (int i = 0; i < RS_VEH_TYPE_COUNT; i++)
        if (strcmp(name, k_type_names[i]) == 0) {
            *out = (rs_veh_type)i;
            return true;
        }
    return false;
}

uint8_t rs_veh_type_stream(rs_veh_type t)
{
    switch (t) {
    case RS_VEH_GAS: return RS_INFO_STREAM_TWC;
    case RS_VEH_GAS_NOX: return RS_INFO_STREAM_TWC_NOX;
    default: return RS_INFO_STREAM_DIESEL;
    }
}

uint64_t rs_veh_type_fields(rs_veh_type t)
{
    uint8_t types[3] = { rs_veh_type_stream(t), RS_INFO_SUPPLEMENT, RS_INFO_HYBRID };
    unsigned nt = t == RS_VEH_HYBRID ? 3 : 2;
    uint64_t mask = 0;
    for (unsigned k = 0; k < nt; k++) {
        unsigned n;
        const uint8_t *layout = rs_info_layout(types[k], &n);
        for (unsigned i = 0; layout && i < n; i++)
            mask |= 1ull << layout[i];
    }
    return mask;
}

void rs_vehicle_ignition(rs_vehicle *v, bool on)
{
    if (on && !v->ignition) {
        v->ign_cycles++;
        v->warm_s = 0;
    }
    v->ignition = on;
}

rs_code rs_vehicle_dtc_set(rs_vehicle *v, uint32_t spn, uint8_t fmi, bool mil, rs_err *err)
{
    uint8_t b0 = (uint8_t)spn, b1 = (uint8_t)(spn >> 8);
    uint8_t b2 = (uint8_t)(((spn >> 16) & 7) << 5 | (fmi & 0x1F));
    for (unsigned i = 0; i < v->dtc_count; i++) {
        uint8_t *d = &v->dtc[4 * i];
        if (d[0] == b0 && d[1] == b1 && d[2] == b2) {
            if ((d[3] & 0x7F) < 126)
                d[3]++;
            if (mil)
                v->dtc_mil |= (uint8_t)(1u << i);
            return RS_OK;
        }
    }
    if (v->dtc_count >= RS_VEH_DTC_MAX)
        return rs_fail(err, RS_E_LIMIT, 0, "dtc", "a vehicle holds at most RS_VEH_DTC_MAX DTCs",
                       v->dtc_count + 1, RS_VEH_DTC_MAX, RS_NUM_DEC);
    uint8_t *d = &v->dtc[4 * v->dtc_count];
    d[0] = b0;
    d[1] = b1;
    d[2] = b2;
    d[3] = 1; /* conversion method 0, occurrence count 1 */
    if (mil)
        v->dtc_mil |= (uint8_t)(1u << v->dtc_count);
    v->dtc_count++;
    return RS_OK;
}

void rs_vehicle_dtc_clear(rs_vehicle *v, uint32_t spn, int fmi)
{
    unsigned n = 0;
    uint8_t mil = 0;
    for (unsigned i = 0; i < v->dtc_count; i++) {
        const uint8_t *d = &v->dtc[4 * i];
        uint32_t s = d[0] | (uint32_t)d[1] << 8 | (uint32_t)(d[2] >> 5) << 16;
        bool match = spn == 0 || (s == spn && (fmi < 0 || (d[2] & 0x1F) == fmi));
        if (match)
            continue;
        memmove(&v->dtc[4 * n], d, 4);
        if ((v->dtc_mil >> i) & 1)
            mil |= (uint8_t)(1u << n);
        n++;
    }
    v->dtc_count = (uint8_t)n;
    v->dtc_mil = mil;
    v->warm_s = 0; /* a clear resets the readiness monitors */
}

rs_code rs_vehicle_sensor(rs_vehicle *v, rs_field_id f, rs_sensor_state st, rs_err *err)
{
    if ((unsigned)f >= RS_F_COUNT)
        return rs_fail(err, RS_E_OPTION, 0, "sensor", "field id out of range", f, RS_F_COUNT, RS_NUM_DEC);
    if (f == RS_F_LAT || f == RS_F_LON || f == RS_F_POS_STATUS) {
        /* a GNSS receiver has no stuck value: it loses the fix and repeats the last one */
        v->gnss_fix_lost = st != RS_SENSOR_OK;
        return RS_OK;
    }
    uint8_t tag = (uint8_t)(f + 1);
    int slot = -1;
    for (int i = 0; i < RS_VEH_STUCK_MAX; i++)
        if (v->stuck_field[i] == tag)
            slot = i;
    if (st != RS_SENSOR_STUCK && slot >= 0)
        v->stuck_field[slot] = 0;
    if (st == RS_SENSOR_NA)
        v->na_mask |= 1ULL << f;
    else
        v->na_mask &= ~(1ULL << f);
    if (st == RS_SENSOR_STUCK && slot < 0) {
        for (int i = 0; i < RS_VEH_STUCK_MAX && slot < 0; i++)
            if (v->stuck_field[i] == 0)
                slot = i;
        if (slot < 0)
            return rs_fail(err, RS_E_LIMIT, 0, "sensor", "at most RS_VEH_STUCK_MAX sensors stuck at once",
                           RS_VEH_STUCK_MAX + 1, RS_VEH_STUCK_MAX, RS_NUM_DEC);
        v->stuck_field[slot] = tag;
        v->stuck_have[slot] = false; /* captures the next value */
    }
    return RS_OK;
}

void rs_vehicle_dpf_regen(rs_vehicle *v)
{
    v->regen_request = true;
}

/* Monitor bits of §7.10 */
enum {
    MON_CAT = 1u << 0, MON_EGS = 1u << 5, MON_EGS_HEAT = 1u << 6, MON_BOOST = 1u << 9, MON_DPF = 1u << 10,
    MON_SCR = 1u << 11, MON_MISFIRE = 1u << 13, MON_FUEL = 1u << 14, MON_CCM = 1u << 15
};

static void pad_copy(uint8_t *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    memset(dst, '0', cap);
    memcpy(dst, src, n < cap ? n : cap);
}

static void put_be16(uint8_t *p, unsigned x)
{
    p[0] = (uint8_t)(x >> 8);
    p[1] = (uint8_t)x;
}

void rs_vehicle_obd_dtc(const rs_vehicle *v, rs_obd *o)
{
    o->protocol = 2; /* SAE J1939 */
    uint8_t mask = (uint8_t)(v->dtc_count >= 8 ? 0xFF : (1u << v->dtc_count) - 1);
    o->mil = (v->dtc_mil & mask) ? 1 : 0;
    o->dtc_count = v->dtc_count;
    o->dtc = v->dtc;
}

void rs_vehicle_obd(const rs_vehicle *v, rs_obd *o)
{
    memset(o, 0, sizeof *o);
    bool diesel = v->type == RS_VEH_DIESEL || v->type == RS_VEH_HYBRID;
    rs_vehicle_obd_dtc(v, o);
    unsigned support = diesel ? MON_EGS | MON_EGS_HEAT | MON_BOOST | MON_DPF | MON_SCR | MON_FUEL | MON_CCM
                              : MON_CAT | MON_EGS | MON_EGS_HEAT | MON_MISFIRE | MON_FUEL | MON_CCM;
    unsigned continuous = MON_MISFIRE | MON_FUEL | MON_CCM;
    o->support = (uint16_t)support;
    o->readiness = (uint16_t)(v->warm_s >= 300 ? 0 : support & ~continuous);

    static const char *const vds[RS_VEH_TYPE_COUNT] = { "DS6C0", "NG6T0", "NG6N0", "HD6C0" };
    rs_vin_make("LRS", vds[v->type < RS_VEH_TYPE_COUNT ? v->type : 0], 'R', '1', v->vin_serial, o->vin);
    pad_copy(o->calid, RS_CALID_LEN, diesel ? "RSDSL24V0102" : "RSCNG24V0102");
    pad_copy(o->cvn, RS_CVN_LEN, diesel ? "5A17C3E1" : "3C0FFEE5");

    /* SAE J1979-DA InfoType 0x0B order (§7.12) */
    uint8_t *p = o->iupr;
    put_be16(p + 0, v->obd_cond);
    put_be16(p + 2, v->ign_cycles);
    if (diesel) {
        put_be16(p + 8, v->mon_scr);
        put_be16(p + 10, v->obd_cond);
        put_be16(p + 16, v->mon_pm);
        put_be16(p + 18, v->obd_cond);
        put_be16(p + 28, v->mon_boost);
        put_be16(p + 30, v->obd_cond);
    }
    put_be16(p + 20, v->mon_egs);
    put_be16(p + 22, v->obd_cond);
}

void rs_vehicle_status_get(const rs_vehicle *v, rs_vehicle_status *st)
{
    st->ignition = v->ignition;
    st->regen = v->regen;
    st->gear = v->gear;
    st->soot = v->soot;
    st->scr_eff = v->scr_eff;
    st->nox_eo = v->nox_eo;
    st->nox_tp = v->nox_tp;
    st->odometer_km = v->odometer_km;
    st->total_fuel_l = v->total_fuel_l;
    st->urea_total_g = v->urea_total_g;
}
