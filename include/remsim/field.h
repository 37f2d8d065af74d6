/* Report fields: one table for every value a data stream item carries.
 *
 * A field is described once (name, unit, width, scaling, valid raw range,
 * spec clause).  The codec, the CAN decoders, the JSON writer and the checker
 * all work from this table, so a field's scaling lives in exactly one place.
 * Scalings the spec marks [U] can be overridden per profile (profile.h). */
#ifndef REMSIM_FIELD_H
#define REMSIM_FIELD_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/time.h"

typedef enum rs_field_id {
    /* 0x02 diesel stream (§7.4), shared with 0x03/0x05 where the spec says "as 0x02" */
    RS_F_SPEED = 0,     /* km/h */
    RS_F_BARO,          /* kPa */
    RS_F_TORQUE,        /* % of reference torque, actual */
    RS_F_FRICTION,      /* % friction torque */
    RS_F_RPM,           /* engine speed */
    RS_F_FUEL_RATE,     /* L/h */
    RS_F_NOX_UP,        /* ppm, SCR upstream */
    RS_F_NOX_DOWN,      /* ppm, SCR downstream (also the TWC downstream NOx of 0x05) */
    RS_F_REAGENT,       /* % urea remaining */
    RS_F_AIR_FLOW,      /* kg/h */
    RS_F_SCR_IN,        /* degC */
    RS_F_SCR_OUT,       /* degC */
    RS_F_DPF_DP,        /* kPa */
    RS_F_COOLANT,       /* degC */
    RS_F_FUEL_LEVEL,    /* % */
    RS_F_POS_STATUS,    /* bit flags §7.5 */
    RS_F_LON,           /* degrees, magnitude */
    RS_F_LAT,           /* degrees, magnitude */
    RS_F_ODOMETER,      /* km */
    /* 0x03 / 0x05 TWC streams (§7.6, §7.7) */
    RS_F_O2_UP,         /* lambda */
    RS_F_O2_DOWN,       /* V */
    RS_F_TWC_TEMP,      /* degC */
    /* 0x04 hybrid (§7.8) */
    RS_F_MOTOR_SPEED,   /* rpm */
    RS_F_MOTOR_LOAD,    /* % */
    RS_F_BATT_VOLTAGE,  /* V */
    RS_F_BATT_CURRENT,  /* A */
    RS_F_SOC,           /* % */
    /* 0x80 supplement (§7.9) */
    RS_F_TORQUE_MODE,   /* enum */
    RS_F_PEDAL,         /* % */
    RS_F_TOTAL_FUEL,    /* L */
    RS_F_UREA_TEMP,     /* degC */
    RS_F_UREA_DOSE,     /* ml/h */
    RS_F_UREA_TOTAL,    /* g */
    RS_F_DPF_EXH_TEMP,  /* degC */
    RS_F_COUNT
} rs_field_id;

/* The states of §2.3, kept apart from the number. */
typedef enum rs_state {
    RS_VALID = 0,        /* raw <= raw_max: value is physical */
    RS_INVALID,          /* all ones: the terminal had no value */
    RS_ABNORMAL,         /* all ones minus one (GB/T 32960 "abnormal") */
    RS_OUT_OF_RANGE      /* any other raw above raw_max (e.g. J1939 0xFExx) */
} rs_state;

typedef enum rs_field_kind {
    RS_KIND_SCALED = 0,  /* physical = raw * scale + offset */
    RS_KIND_BITS,        /* a bit field; no markers (positioning status) */
    RS_KIND_ENUM         /* an enumeration; all ones invalid */
} rs_field_kind;

typedef struct rs_field_desc {
    const char *name;    /* JSON key and option name, e.g. "nox_up" */
    const char *unit;    /* "ppm", "" for bits and enums */
    const char *title;   /* for people: "SCR upstream NOx" */
    const char *spec;    /* clause in protocol.md, e.g. "§7.4" */
    uint8_t width;       /* bytes on the wire: 1, 2 or 4 */
    uint8_t kind;        /* rs_field_kind */
    double scale;        /* default resolution */
    double offset;       /* default offset */
    uint32_t raw_max;    /* largest valid raw value */
    double inv_scale;    /* 1 / scale, worked out by the compiler: encoding multiplies */
} rs_field_desc;

/* Resolution and offset in force (a profile may override the defaults). */
typedef struct rs_scaling {
    double scale;
    double offset;
} rs_scaling;

/* One value: the physical number, the raw it came from or goes to, its state.
 * Encoders use value when state is RS_VALID; otherwise the state's marker
 * (RS_OUT_OF_RANGE keeps raw as it is, so a decoded frame re-encodes exactly). */
typedef struct rs_val {
    double value;
    uint32_t raw;
    uint8_t state;       /* rs_state */
} rs_val;

extern const rs_field_desc rs_fields[RS_F_COUNT];

/* Field id by name, or -1. */
int rs_field_by_name(const char *name);
const char *rs_state_name(rs_state s);

/* Markers of a field of the given width. */
static inline uint32_t rs_all_ones(unsigned width)
{
    return width >= 4 ? 0xFFFFFFFFu : ((1u << (8 * width)) - 1u);
}

/* Raw -> value with state.  Never fails: every raw has a state. */
rs_val rs_val_from_raw(const rs_field_desc *f, const rs_scaling *sc, uint32_t raw);

/* Value -> raw.  RS_VALID values are rounded to the nearest step (§7.4);
 * a valid value outside the field's range is an error, never clamped. */
bool rs_val_to_raw(const rs_field_desc *f, const rs_scaling *sc, const rs_val *v, uint32_t *raw);

/* Decimals a resolution needs when printed (0.05 -> 2, 1/256 -> 8). */
int rs_scale_decimals(double scale);

/* Convenience constructors. */
static inline rs_val rs_val_ok(double value) { rs_val v = { value, 0, RS_VALID }; return v; }
static inline rs_val rs_val_invalid(void) { rs_val v = { 0, 0, RS_INVALID }; return v; }

/* A sample: one second of emission data in physical units (design.md).
 * 'stream' says which stream layout the vehicle reports (0x02 diesel,
 * 0x03 TWC, 0x05 TWC with NOx); has_hybrid / has_supplement add 0x04 / 0x80. */
typedef struct rs_sample {
    rs_time collect;
    uint8_t stream;          /* RS_INFO_STREAM_DIESEL, _TWC, _TWC_NOX */
    bool has_hybrid;
    bool has_supplement;
    rs_val v[RS_F_COUNT];
} rs_sample;

/* Every field invalid, stream = 0x02, no hybrid, no supplement. */
void rs_sample_init(rs_sample *s);

#endif
