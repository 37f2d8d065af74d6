/* J1939-73 diagnostic messages and identification, parsed and built, and
 * the OBD state that turns them into the GB OBD info item (rs_obd).
 *
 * Parse and build functions are pure functions over byte buffers: no
 * allocation, no state, bad input gives an rs_err, never a read past the
 * end.  Builders produce payloads; send them with rs_tp_tx_send() (which
 * picks one frame or TP by length).
 *
 * can-signals.md §3 has the layouts; docs/j1939.md the mappings to GB
 * fields and how sure we are of each. */
#ifndef REMSIM_J1939_DM_H
#define REMSIM_J1939_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/j1939.h"
#include "remsim/msg.h"

/* ---- DM1 / DM2 / DM6 / DM12 / DM23 (same layout) ----------------------- */

/* Lamp states (2 bits): 0 off, 1 on, 2 reserved, 3 not available.
 * Flash: 0 slow, 1 fast, 2 reserved, 3 off / not available. */
enum { RS_LAMP_OFF = 0, RS_LAMP_ON = 1, RS_LAMP_RESERVED = 2, RS_LAMP_NA = 3 };

typedef struct rs_dm_lamps {
    uint8_t mil, red_stop, amber, protect;              /* byte 1 */
    uint8_t mil_flash, red_flash, amber_flash, protect_flash; /* byte 2 */
} rs_dm_lamps;

/* One DTC; raw[] is the 4 bytes as sent, which the GB report copies
 * unchanged (protocol.md §7.13). */
typedef struct rs_dm_dtc {
    uint32_t spn;                /* 19 bits */
    uint8_t fmi;                 /* 0..31 */
    uint8_t cm;                  /* conversion method bit */
    uint8_t oc;                  /* occurrence count, 127 = n/a */
    uint8_t raw[4];
} rs_dm_dtc;

#define RS_DM_SPN_NONE_HI 524287u  /* SPN 0 and 0x7FFFF both mean "no DTC" */

void rs_dm_lamps_decode(uint8_t lamp, uint8_t flash, rs_dm_lamps *out);
void rs_dm_lamps_encode(const rs_dm_lamps *l, uint8_t *lamp, uint8_t *flash);

/* DTC from its 4 wire bytes, and the 4 bytes from spn/fmi/cm/oc
 * (RS_E_VALUE when a field does not fit: spn > 19 bits, fmi > 31, oc > 127). */
void rs_dm_dtc_decode(const uint8_t b[4], rs_dm_dtc *out);
rs_code rs_dm_dtc_make(uint32_t spn, uint8_t fmi, uint8_t cm, uint8_t oc, rs_dm_dtc *out,
                       rs_err *err);

/* True when the entry is a real fault (SPN neither 0 nor 524287). */
bool rs_dm_dtc_is_fault(const rs_dm_dtc *d);

/* Parses a DM1-layout payload.  Entries whose SPN is 0 or 524287 (the "no
 * DTC" form `00 FF 00 00 00 00 FF FF` and 0xFF padding) are not counted;
 * a tail of fewer than 4 bytes is padding.  *n = number of faults.  dtc may
 * be NULL (count only); otherwise more faults than cap give RS_E_LIMIT with
 * the first cap stored.  RS_E_SHORT under 2 bytes. */
rs_code rs_dm_dtcs_parse(const uint8_t *p, size_t len, rs_dm_lamps *lamps,
                         rs_dm_dtc *dtc, size_t cap, size_t *n, rs_err *err);

/* Builds a DM1-layout payload from lamps and n faults (encoded from
 * spn/fmi/cm/oc, not raw).  0 faults: `lamp flash 00 00 00 00 FF FF`;
 * 1 fault: 8 bytes padded with 0xFF; 2+: 2 + 4n bytes (needs TP).
 * RS_E_SPACE when cap is too small, RS_E_LIMIT above 445 faults. */
rs_code rs_dm_dtcs_build(const rs_dm_lamps *lamps, const rs_dm_dtc *dtc, size_t n,
                         uint8_t *out, size_t cap, size_t *len, rs_err *err);

/* ---- DM5 diagnostic readiness ------------------------------------------ */

typedef struct rs_dm5 {
    uint8_t active;              /* active DTC count (SPN 1218) */
    uint8_t previous;            /* previously active count (SPN 1219) */
    uint8_t compliance;          /* OBD compliance (SPN 1220), 5 = not OBD */
    uint16_t support;            /* GB support word (can-signals.md §3.2) */
    uint16_t readiness;          /* GB readiness word, 1 = not complete */
} rs_dm5;

/* RS_E_SHORT under 8 bytes. */
rs_code rs_dm5_parse(const uint8_t *p, size_t len, rs_dm5 *out, rs_err *err);

/* The 8-byte DM5 whose parse gives back *in; reserved bits are 0. */
void rs_dm5_build(const rs_dm5 *in, uint8_t out[8]);

/* ---- DM19 calibration information -------------------------------------- */

#define RS_DM19_ENTRY_LEN 20
#define RS_DM19_CALID_LEN 16

typedef struct rs_dm19_entry {
    uint32_t cvn;                            /* as the little-endian integer */
    uint8_t calid[RS_DM19_CALID_LEN];        /* as sent (tail 0x00 or 0xFF) */
} rs_dm19_entry;

/* *n = number of whole 20-byte entries; RS_E_LENGTH when len is not a
 * multiple of 20 or 0 (the whole entries are still stored), RS_E_LIMIT
 * when more than cap (first cap stored). */
rs_code rs_dm19_parse(const uint8_t *p, size_t len, rs_dm19_entry *e, size_t cap,
                      size_t *n, rs_err *err);

rs_code rs_dm19_build(const rs_dm19_entry *e, size_t n, uint8_t *out, size_t cap,
                      size_t *len, rs_err *err);

/* Convenience: an entry from a CAL ID string (up to 16 chars; the tail is
 * filled with 0x00) and a CVN. */
void rs_dm19_entry_set(rs_dm19_entry *e, const char *calid, uint32_t cvn);

/* GB 18-byte CALID and CVN (can-signals.md §3.3, confidence C): CAL ID
 * characters up to the first 0x00/0xFF, non-printable ones replaced by
 * pad, then padded on the right with pad to 18; CVN as 8 upper-case hex
 * digits of the integer, padded the same way.  pad 0 means '0'. */
void rs_dm19_to_gb(const rs_dm19_entry *e, char pad, uint8_t calid[RS_CALID_LEN],
                   uint8_t cvn[RS_CVN_LEN]);

/* ---- DM20 monitor performance ratios and the GB IUPR ------------------- */

typedef struct rs_dm20_ratio {
    uint32_t spn;                /* monitor SPN, 19 bits */
    uint16_t num, den;
} rs_dm20_ratio;

typedef struct rs_dm20 {
    uint16_t ign_cycles;         /* ignition cycle counter */
    uint16_t obd_cond;           /* OBD monitoring conditions encountered */
} rs_dm20;

/* RS_E_SHORT under 4 bytes; a tail of fewer than 7 bytes is ignored;
 * RS_E_LIMIT when more ratios than cap (first cap stored). */
rs_code rs_dm20_parse(const uint8_t *p, size_t len, rs_dm20 *hdr, rs_dm20_ratio *r,
                      size_t cap, size_t *n, rs_err *err);

rs_code rs_dm20_build(const rs_dm20 *hdr, const rs_dm20_ratio *r, size_t n, uint8_t *out,
                      size_t cap, size_t *len, rs_err *err);

/* GB IUPR counter groups, in protocol.md §7.12 order after the two
 * general counters: group g gives counters 2+2g (numerator) and 3+2g. */
typedef enum rs_iupr_group {
    RS_IUPR_NMHC = 0,
    RS_IUPR_NOX_CAT,             /* NOx / SCR catalyst */
    RS_IUPR_NOX_ADS,             /* NOx adsorber */
    RS_IUPR_PM,                  /* PM filter (DPF) */
    RS_IUPR_EGS,                 /* exhaust gas sensor */
    RS_IUPR_EGR,                 /* EGR / VVT */
    RS_IUPR_BOOST,               /* boost pressure */
    RS_IUPR_FUEL,                /* fuel monitor */
    RS_IUPR_GROUPS
} rs_iupr_group;

typedef struct rs_iupr_map_entry {
    uint32_t spn;
    uint8_t group;               /* rs_iupr_group */
} rs_iupr_map_entry;

/* The default DM20 SPN -> group table [U] (docs/j1939.md lists it). */
const rs_iupr_map_entry *rs_iupr_map_default(size_t *n);

/* Fills the 36-byte GB IUPR (18 big-endian WORDs): OBDCOND, IGNCNTR, then
 * numerator/denominator per group.  Ratios whose SPN is not in the map
 * are skipped; when several ratios map to one group the one with the
 * lowest num/den ratio wins (the J1979 rule for a group's reported monitor);
 * groups with none stay zero.  map NULL = default. */
void rs_dm20_to_gb(const rs_dm20 *hdr, const rs_dm20_ratio *r, size_t n,
                   const rs_iupr_map_entry *map, size_t map_n, uint8_t iupr[RS_IUPR_LEN]);

/* ---- VI vehicle identification (65260) --------------------------------- */

/* Characters before the first '*', at most 17 (the engine-off trace sends
 * 17 characters, 10 binary bytes, then '*').  *n = characters taken.
 * RS_E_VIN when there are none. */
rs_code rs_vi_parse(const uint8_t *p, size_t len, uint8_t vin[RS_VIN_LEN], size_t *n,
                    rs_err *err);

/* vin (n characters, no '*') followed by '*'.  RS_E_SPACE when cap < n+1. */
rs_code rs_vi_build(const char *vin, size_t n, uint8_t *out, size_t cap, size_t *len,
                    rs_err *err);

/* ---- OBD state: diagnostic messages in, rs_obd out --------------------- */

#define RS_DM_OBD_ECUS 8
#define RS_DM_DTC_PER_ECU 64     /* faults kept per ECU; more are counted, not stored */

enum { RS_DM_DTC_FROM_DM1 = 0, RS_DM_DTC_FROM_DM12 = 1 };

typedef struct rs_dm_obd_cfg {
    uint64_t dm1_timeout_us;     /* no DM1 for this long: MIL and DTCs unknown (default 3 s) */
    uint8_t dtc_source;          /* RS_DM_DTC_FROM_DM1 (default) or _DM12 */
    uint8_t cal_sa;              /* whose DM19 gives CALID/CVN; 0xFF = lowest SA seen (default 0x00) */
    uint8_t vin_sa;              /* whose VI gives the VIN; 0xFF = any (default) */
    uint8_t iupr_sa;             /* whose DM20 gives IUPR; 0xFF = lowest SA seen (default 0x00) */
    char pad;                    /* CALID/CVN pad character (default '0') */
    const uint8_t *obd_sa;       /* SAs that are OBD ECUs; NULL = every SA sending DTCs */
    size_t n_obd_sa;
    const rs_iupr_map_entry *iupr_map; /* NULL = default */
    size_t iupr_map_n;
} rs_dm_obd_cfg;

void rs_dm_obd_cfg_default(rs_dm_obd_cfg *cfg);

typedef struct rs_dm_obd_ecu {
    bool used;
    uint8_t sa;
    bool has_dtc;                /* a DM1 (or DM12) arrived */
    uint64_t dtc_ts;             /* time of the last one */
    uint8_t mil;                 /* lamp state 0..3 */
    uint16_t n_dtc;              /* faults in the last message (may exceed stored) */
    uint8_t dtc[RS_DM_DTC_PER_ECU][4];
    bool has_dm5;
    rs_dm5 dm5;
    bool has_cal;
    rs_dm19_entry cal;           /* first DM19 entry */
    bool has_iupr;
    uint8_t iupr[RS_IUPR_LEN];
} rs_dm_obd_ecu;

typedef struct rs_dm_obd {
    rs_dm_obd_cfg cfg;
    rs_dm_obd_ecu ecu[RS_DM_OBD_ECUS];
    bool has_vin;
    uint8_t vin[RS_VIN_LEN];
    uint64_t ignored;            /* messages for full ECU table or unparsable */
    uint8_t dtc_out[RS_DTC_MAX * 4]; /* what rs_obd.dtc points to after fill */
} rs_dm_obd;

/* cfg NULL = defaults.  The struct is self-contained (copyable, no pointers
 * into itself except after fill). */
void rs_dm_obd_init(rs_dm_obd *st, const rs_dm_obd_cfg *cfg);

/* Forgets every ECU and the VIN (the configuration stays): O(ECUs). */
void rs_dm_obd_forget(rs_dm_obd *st);

/* Takes any message; DM1, DM12, DM5, DM19, DM20 and VI update the state,
 * others are ignored (RS_OK).  A message that does not parse returns its
 * error and leaves the state as it was. */
rs_code rs_dm_obd_feed(rs_dm_obd *st, const rs_j1939_msg *m, rs_err *err);

/* What rs_dm_obd_fill knew. */
enum {
    RS_OBD_HAVE_MIL = 1u << 0,
    RS_OBD_HAVE_DTC = 1u << 1,
    RS_OBD_HAVE_DM5 = 1u << 2,
    RS_OBD_HAVE_VIN = 1u << 3,
    RS_OBD_HAVE_CAL = 1u << 4,
    RS_OBD_HAVE_IUPR = 1u << 5
};

/* Fills *out for time now_us and returns the RS_OBD_HAVE_* bits.
 * protocol 2 (J1939).  MIL: 1 if any OBD ECU with a fresh DM1 says on;
 * otherwise 0 if every OBD ECU seen has a fresh DM1 and at least one says
 * off; otherwise 0xFE (stale or never seen is unknown, not "no fault").
 * DTCs: the stored faults of every OBD ECU (SA order, up to 253) when all
 * are fresh, else dtc_count RS_DTC_INVALID.  support/readiness: OR over
 * DM5s (0 when none).  VIN/CALID/CVN: 0xFF bytes when unknown; IUPR zeros
 * when unknown.  out->dtc points into st and is valid until the next feed
 * or fill. */
unsigned rs_dm_obd_fill(rs_dm_obd *st, uint64_t now_us, rs_obd *out);

#endif
