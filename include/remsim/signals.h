/* J1939 signals <-> report fields: the signal table and source addresses.
 *
 * One row per signal (can-signals.md §2, §2.1): where it sits in its
 * parameter group, how it scales, which report field it feeds, which source
 * addresses send it and what gates its validity.  The sampler (sampler.h)
 * decodes with this table and the vehicle encoder (vehicle_can.h) encodes
 * with it, so a scaling or a unit conversion lives in exactly one place.
 * Adding a PGN is one row in lib/signals.c plus a test (docs/can.md).
 *
 * Row order matters: among the rows feeding one field, an earlier row is
 * preferred (primary source first, RS_SIG_ALT alternatives after). */
#ifndef REMSIM_SIGNALS_H
#define REMSIM_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/field.h"

#define RS_SIG_MAX_ROWS 48       /* capacity of per-row arrays (table has rs_signal_count) */
#define RS_SIG_MAX_SA 4          /* source addresses per row, in order of preference */
#define RS_SIG_SA_END 0xFF       /* ends an SA list (0xFF is never a sender) */

/* Unit conversion from the J1939 physical unit to the report field's unit. */
typedef enum rs_sig_conv {
    RS_CONV_NONE = 0,            /* same unit (km/h, kPa, %, degC, km, L, ...) */
    RS_CONV_SIGNED_DEG,          /* signed degrees kept signed: the sampler turns the sign
                                    into the hemisphere bits of pos_status (§7.5) */
    RS_CONV_GH_TO_MLH,           /* urea g/h -> ml/h: divide by the DEF density */
    RS_CONV_L_TO_G,              /* urea litres -> grams: multiply by density * 1000 */
    RS_CONV_PCT_REF_SPEED,       /* % of the motor/generator reference speed -> rpm:
                                    multiply by rs_sig_cfg.mg_ref_speed / 100 */
    RS_CONV_MAGNITUDE            /* signed J1939 value, the report keeps its size
                                    (motor torque -> motor load); sent positive */
} rs_sig_conv;

enum {
    RS_SIG_ALT = 1u << 0,        /* alternative source: decoded, never sent by the encoder */
    RS_SIG_STD11 = 1u << 1,      /* 'pgn' is an 11-bit CAN id (CANmod.gps), no SA */
    RS_SIG_NOMARKERS = 1u << 2   /* no J1939 n/a / error codes: every raw is a value */
};

/* Validity gate: the value counts only when (data[byte-1] & mask) == value.
 * byte 0 = no gate.  E.g. NOx: byte 5, bits 3-4 and 5-6 must be 01. */
typedef struct rs_sig_gate {
    uint8_t byte;                /* J1939 1-based byte, 0 = none */
    uint8_t mask;
    uint8_t value;
} rs_sig_gate;

typedef struct rs_signal {
    const char *name;            /* row name, unique; also a config key ("at1ig1_nox") */
    const char *acronym;         /* J1939 PG acronym, "AT1IG1" */
    uint32_t pgn;                /* 18-bit PGN, or the 11-bit id with RS_SIG_STD11 */
    uint32_t spn;                /* 0 when not a J1939 SPN */
    uint8_t byte, bit;           /* J1939 1-based start position, little-endian */
    uint8_t len;                 /* bits, 1..32 */
    double scale, offset;        /* J1939 physical = raw * scale + offset */
    const char *unit;            /* J1939 physical unit */
    double jmax;                 /* J1939 largest valid physical value (docs, checked by a test) */
    uint8_t field;               /* rs_field_id fed */
    uint8_t conv;                /* rs_sig_conv */
    uint8_t prio;                /* priority we send it with (J1939DA default) */
    uint16_t rate_ms;            /* period a real ECU sends it at (full fidelity) */
    uint8_t flags;               /* RS_SIG_* */
    uint8_t sa[RS_SIG_MAX_SA];   /* default senders, preferred first, RS_SIG_SA_END-terminated */
    rs_sig_gate gate;
} rs_signal;

extern const rs_signal rs_signals[];
extern const size_t rs_signal_count;

/* Row by name, or -1. */
int rs_signal_by_name(const char *name);

/* What happens when none of a row's configured senders has spoken lately. */
typedef enum rs_sa_fallback {
    RS_SA_STRICT = 0,            /* the field is invalid */
    RS_SA_ANY                    /* lock onto the first other SA heard; keep it while it talks */
} rs_sa_fallback;

/* Source-address configuration and the few constants the conversions need.
 * Plain data: rs_sig_cfg_init() sets the defaults of the table. */
typedef struct rs_sig_cfg {
    uint8_t sa[RS_SIG_MAX_ROWS][RS_SIG_MAX_SA]; /* per row, RS_SIG_SA_END-terminated */
    uint8_t fallback;            /* rs_sa_fallback */
    double def_density;          /* g/ml, DEF (AUS 32) at about 20 degC: 1.09 */
    double mg_ref_speed;         /* rpm, motor/generator 1 reference speed (MG1IR1
                                    SPN 10171) that MG1IS1 speeds are a percentage
                                    of: 40000 (docs/j1939.md says why) */
    uint8_t torque_mode;         /* 0x80 torque mode constant (can-signals.md §2.1): 9 */
    bool gnss;                   /* decode the CANmod.gps module (11-bit ids) */
    uint16_t gnss_base;          /* CANmod base id: position is base + 3 */
} rs_sig_cfg;

void rs_sig_cfg_init(rs_sig_cfg *c);

/* One setting, "key=value":
 *   <field>=SA[,SA...]   every row feeding the field (e.g. "nox_up=0x51,0x00")
 *   <row>=SA[,SA...]     one row (e.g. "ccvs1_speed=0x17")
 *   fallback=strict|any  def_density=1.09  torque_mode=9  gnss=on|off  gnss_base=0x100
 *   mg_ref_speed=40000 (rpm, 1..257020)
 * SAs are 0..253, decimal or 0x-hex, at most RS_SIG_MAX_SA. */
rs_code rs_sig_cfg_set(rs_sig_cfg *c, const char *kv, rs_err *err);

/* Bits [byte.bit, len) of a little-endian payload; false when the payload is short. */
bool rs_sig_extract(const rs_signal *s, const uint8_t *data, size_t len, uint32_t *raw);
/* Writes raw into those bits (len >= row's end assumed by caller). */
void rs_sig_insert(const rs_signal *s, uint8_t *data, uint32_t raw);

/* Decodes one row from a payload into the field's unit: markers first
 * (n/a -> RS_INVALID, error -> RS_ABNORMAL, reserved -> RS_INVALID), then the
 * gate, then scale and conversion.  value is signed degrees for
 * RS_CONV_SIGNED_DEG.  A short payload is RS_INVALID. */
rs_val rs_sig_decode(const rs_signal *s, const rs_sig_cfg *c, const uint8_t *data, size_t len);

/* Encodes a value (field unit) into the row's raw: RS_VALID rounds to the
 * J1939 step; RS_INVALID -> n/a; anything else -> error.  False when a valid
 * value is outside the J1939 range (never clamped).  Sets the gate bits when
 * the value is valid. */
bool rs_sig_encode(const rs_signal *s, const rs_sig_cfg *c, const rs_val *v, uint8_t *data);

/* A sample value from a decoded row value: fills raw with the report raw
 * (default scaling) and turns a value the report field cannot hold into
 * RS_OUT_OF_RANGE.  Signed degrees become magnitudes here. */
rs_val rs_sig_to_report(rs_field_id f, rs_val v);

/* The range a field survives both ways in (report field and its primary
 * J1939 row, a J1939 step inside the report's edge where that is the tighter
 * limit), and the coarser of the two steps, in field units.  False when no
 * row feeds the field. */
bool rs_sig_field_range(rs_field_id f, const rs_sig_cfg *c, double *lo, double *hi, double *step);

/* The primary (first non-alternative) row of a field, or -1. */
int rs_sig_primary_row(rs_field_id f);

#endif
