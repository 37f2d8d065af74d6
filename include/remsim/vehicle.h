/* Vehicle model: the physical truth of one simulated China VI truck.
 *
 * Stepped once per second from the road speed (drive cycle) and grade, it
 * produces one rs_sample (every field of its type's streams, physical units,
 * always inside each field's valid range) and, on request, an OBD snapshot
 * (rs_obd).  A later glue layer turns these into J1939 frames
 * (vehicle_can.h); the model itself knows nothing about CAN.
 *
 * The model is deliberately simple but consistent: longitudinal dynamics ->
 * gear and engine speed -> torque -> fuel, air, engine-out NOx -> first-order
 * thermal lags of exhaust, DPF and SCR -> SCR conversion, urea dosing, soot
 * load and regeneration; integrators for odometer, total fuel and urea.
 * docs/scenarios.md gives the equations.
 *
 * Deterministic: everything random comes from the seed in the config (a
 * per-vehicle xorshift state), so the same config gives the same samples.
 * The struct is plain data, small (a few hundred bytes), no allocation. */
#ifndef REMSIM_VEHICLE_H
#define REMSIM_VEHICLE_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/field.h"
#include "remsim/msg.h"

typedef enum rs_veh_type {
    RS_VEH_DIESEL = 0,   /* DPF + SCR: stream 0x02 + supplement 0x80 */
    RS_VEH_GAS,          /* stoichiometric gas engine, TWC: stream 0x03 + 0x80 */
    RS_VEH_GAS_NOX,      /* as GAS with a TWC downstream NOx sensor: stream 0x05 + 0x80 */
    RS_VEH_HYBRID,       /* diesel parallel hybrid: 0x02 + hybrid 0x04 + 0x80 */
    RS_VEH_TYPE_COUNT
} rs_veh_type;

/* "diesel", "gas", "gas_nox", "hybrid". */
const char *rs_veh_type_name(rs_veh_type t);
bool rs_veh_type_parse(const char *name, rs_veh_type *out);
/* Stream info type the vehicle reports (RS_INFO_STREAM_*). */
uint8_t rs_veh_type_stream(rs_veh_type t);
/* Bit per rs_field_id the type reports (its stream, hybrid and supplement
 * items): what its ECUs have sensors for. */
uint64_t rs_veh_type_fields(rs_veh_type t);

/* Starting point of one vehicle.  rs_vehicle_cfg_init() sets plain defaults;
 * the scenario layer draws the per-vehicle variation into these numbers. */
typedef struct rs_vehicle_cfg {
    uint8_t type;            /* rs_veh_type */
    bool ignition;           /* ignition on at t = 0 */
    bool warm;               /* start at operating temperature (else ambient) */
    uint64_t seed;           /* per-vehicle seed: noise, heading drift */
    uint32_t vin_serial;     /* last six VIN digits (mod 1e6) */
    double mass_kg;          /* gross mass */
    double lat, lon;         /* start, signed degrees (south / west negative) */
    double heading_deg;      /* 0 north, 90 east */
    double ambient_c;        /* air temperature */
    double altitude_m;       /* sets the barometric pressure */
    double fuel_level;       /* % of tank */
    double reagent;          /* % of urea tank */
    double soot;             /* DPF load, 0 clean .. 1 regeneration due */
    double soc;              /* hybrid battery, % */
    double odometer_km, total_fuel_l, urea_total_g;
    double noise;            /* sensor noise factor: 0 none, 1 typical */
} rs_vehicle_cfg;

void rs_vehicle_cfg_init(rs_vehicle_cfg *c, rs_veh_type type);

typedef enum rs_sensor_state {
    RS_SENSOR_OK = 0,
    RS_SENSOR_STUCK,         /* keeps reporting the value it had when it stuck */
    RS_SENSOR_NA             /* not available: the field is RS_INVALID */
} rs_sensor_state;

#define RS_VEH_DTC_MAX 8     /* DTCs a vehicle holds at once */
#define RS_VEH_STUCK_MAX 4   /* sensors stuck at once */

/* The state.  Public so fleets can keep vehicles in flat arrays; treat the
 * members as private and use the functions below. */
typedef struct rs_vehicle {
    /* integrators and position need double precision: 1e-6 deg, 0.1 km of 1e6 km */
    double lat, lon, odometer_km, total_fuel_l, urea_total_g;
    uint64_t rng;
    uint64_t na_mask;        /* bit per rs_field_id: sensor not available */
    uint64_t field_mask;     /* bit per rs_field_id: the vehicle has the sensor */
    uint32_t t;              /* seconds stepped */
    uint32_t vin_serial;
    uint32_t warm_s;         /* seconds run warm this ignition cycle (readiness) */
    float mass_kg, heading_deg, ambient_c, baro_kpa, noise;
    float speed_kmh;         /* previous step's speed (acceleration) */
    float rpm;
    float t_exh, t_dpf, t_scr_in, t_scr_out, t_twc, t_coolant, t_urea;
    float fuel_l, reagent_l; /* tank contents */
    float soot;              /* DPF load, 0..~1.2 */
    float soc;               /* hybrid battery, 0..1 */
    float lambda_phase;      /* TWC closed-loop dither */
    float nox_eo, nox_tp, scr_eff; /* last step, for status */
    uint8_t type;
    uint8_t gear;            /* 0 neutral, 1..12 */
    bool ignition;
    bool regen;              /* active DPF regeneration */
    bool regen_request;
    bool gnss_fix_lost;
    uint8_t dtc_count;
    uint8_t dtc_mil;         /* bit i: DTC i lights the MIL */
    uint8_t dtc[4 * RS_VEH_DTC_MAX]; /* J1939 DM1 form, §7.13 */
    uint16_t ign_cycles, obd_cond, mon_scr, mon_pm, mon_egs, mon_boost;
    uint8_t stuck_field[RS_VEH_STUCK_MAX]; /* rs_field_id + 1, 0 = slot free */
    bool stuck_have[RS_VEH_STUCK_MAX];
    float stuck_value[RS_VEH_STUCK_MAX];
    double lat_fix, lon_fix; /* last valid GNSS fix */
} rs_vehicle;

void rs_vehicle_init(rs_vehicle *v, const rs_vehicle_cfg *c);

/* One second: the road speed at the end of the second (km/h, >= 0) and the
 * grade (%, uphill positive).  With the ignition off the truck stands
 * (speed 0) whatever the cycle says.  out is filled completely: fields of
 * the vehicle's streams valid (unless a sensor fault says otherwise), every
 * other field RS_INVALID.  out->collect is left zero (the caller's clock). */
void rs_vehicle_step(rs_vehicle *v, double speed_kmh, double grade_pct, rs_sample *out);

/* Faults and driver actions; each takes effect at the next step. */
void rs_vehicle_ignition(rs_vehicle *v, bool on);
/* Adds (or, when present, counts another occurrence of) SPN/FMI.  RS_E_LIMIT
 * when RS_VEH_DTC_MAX are already held. */
rs_code rs_vehicle_dtc_set(rs_vehicle *v, uint32_t spn, uint8_t fmi, bool mil, rs_err *err);
/* spn 0: every DTC; else the DTCs of that SPN (fmi < 0: any FMI).  The MIL
 * goes off when no remaining DTC asks for it; readiness restarts. */
void rs_vehicle_dtc_clear(rs_vehicle *v, uint32_t spn, int fmi);
/* Sensor state of a field.  "lat"/"lon"/"pos_status" act on the GNSS
 * receiver: NA loses the fix (status bit 0, last coordinates kept).
 * RS_E_LIMIT when RS_VEH_STUCK_MAX sensors are already stuck. */
rs_code rs_vehicle_sensor(rs_vehicle *v, rs_field_id f, rs_sensor_state st, rs_err *err);
/* Requests an active DPF regeneration (done when the engine runs). */
void rs_vehicle_dpf_regen(rs_vehicle *v);

/* OBD information of §7.10 as the ECU would answer now: J1939 protocol,
 * MIL, support and readiness words of the type, VIN, CALID, CVN, IUPR.
 * o->dtc points into *v (valid until the next change of v). */
void rs_vehicle_obd(const rs_vehicle *v, rs_obd *o);
/* The part DM1 carries, each second: protocol, MIL and the DTC list
 * (o->dtc points into v); other fields are left as they are. */
void rs_vehicle_obd_dtc(const rs_vehicle *v, rs_obd *o);

/* Internal quantities the sample does not carry, for tests and tools. */
typedef struct rs_vehicle_status {
    bool ignition, regen;
    uint8_t gear;
    double soot, scr_eff;    /* 0..1 */
    double nox_eo, nox_tp;   /* ppm, engine-out and tailpipe (before sensor noise) */
    double odometer_km, total_fuel_l, urea_total_g;
} rs_vehicle_status;

void rs_vehicle_status_get(const rs_vehicle *v, rs_vehicle_status *st);

/* The model's random source (xorshift64*), exposed so hooks draw from the
 * vehicle's own deterministic stream: uniform in [0, 1). */
double rs_vehicle_random(rs_vehicle *v);

#endif
