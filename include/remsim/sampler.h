/* The 1 Hz sampler: J1939 messages in, one rs_sample per second out.
 *
 * Policy (docs/can.md): every signal row keeps the latest decoded value per
 * configured source address (last value, no averaging).  At each whole
 * second of message time the sampler takes a sample: for each field, the
 * first row (table order) and the first configured sender (config order)
 * that has spoken within the timeout and holds a valid value wins; failing
 * that, the first fresh marker (invalid / abnormal); failing that, invalid.
 * Senders that are not configured are ignored (or, with fallback=any, the
 * first one heard is locked onto while the configured ones are silent), so
 * the answer never depends on which of several senders spoke last.
 *
 * Time is message time: the sampler never reads a clock.  A live source calls
 * rs_sampler_advance() from its timer so samples keep coming on a silent bus.
 * Nothing here allocates; the state is one plain struct. */
#ifndef REMSIM_SAMPLER_H
#define REMSIM_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/field.h"
#include "remsim/j1939.h"
#include "remsim/j1939_dm.h"
#include "remsim/msg.h"
#include "remsim/signals.h"

typedef struct rs_sampler_cfg {
    rs_sig_cfg sig;              /* rows' senders, fallback, DEF density, torque mode, GNSS */
    uint32_t timeout_ms;         /* a sender silent longer than this no longer counts: 5000 */
    int64_t rel_base_unix;       /* stamps before 2000-01-01 are relative: added to them
                                    (default 1577836800 = 2020-01-01T00:00Z) */
    uint32_t max_gap_s;          /* a time jump longer than this restarts the clock
                                    without emitting the gap: 3600 */
    bool supplement;             /* samples carry the 0x80 supplement: true */
    rs_dm_obd_cfg obd;           /* OBD state options (j1939_dm.h defaults) */
} rs_sampler_cfg;

void rs_sampler_cfg_init(rs_sampler_cfg *c);

typedef void (*rs_sample_fn)(void *ctx, const rs_sample *s);

typedef struct rs_sampler_slot {
    rs_val v;                    /* decoded, in the field's unit (degrees signed) */
    uint64_t ts_us;
    uint8_t sa;
    uint32_t epoch;              /* holds a value while equal to the sampler's epoch */
} rs_sampler_slot;

typedef struct rs_sampler_stats {
    uint64_t msgs;               /* messages fed */
    uint64_t used;               /* messages that updated at least one slot */
    uint64_t ignored_sa;         /* a known PGN from a sender not configured for it */
    uint64_t samples;            /* samples emitted */
    uint64_t gaps;               /* clock restarts (jumps > max_gap_s) */
} rs_sampler_stats;

#define RS_SAMPLER_KEYS 128         /* > 2 x rows: short probe chains */

typedef struct rs_sampler {
    rs_sampler_cfg cfg;
    rs_sample_fn emit;
    void *ctx;
    bool started;
    uint64_t now_us;             /* latest message time; stamps going backwards are clamped */
    int64_t next_s;              /* next sample instant, seconds of message time */
    bool have_fix;               /* last valid position, reported with pos_status bit 0 set */
    double fix_lat, fix_lon;     /* signed degrees */
    rs_sampler_stats stats;
    uint32_t epoch;              /* 1 after init; rs_sampler_forget() increments it */
    uint64_t instant_us;         /* instant of the sample being emitted (inside emit) */
    rs_dm_obd obd;               /* DM1/DM5/DM19/DM20/VI state (j1939_dm.h) */
    /* Index of the signal table, built at init so a message touches only
     * its own rows: rows by message key (open addressing on the PGN, or the
     * 11-bit id), and rows by field, both chained in table order (-1 ends). */
    uint32_t key[RS_SAMPLER_KEYS];
    int8_t key_first[RS_SAMPLER_KEYS];
    int8_t key_next[RS_SIG_MAX_ROWS];
    int8_t field_first[RS_F_COUNT];
    int8_t field_next[RS_SIG_MAX_ROWS];
    bool field_primary[RS_F_COUNT];  /* the field has a non-alternative row */
    rs_sampler_slot slot[RS_SIG_MAX_ROWS][RS_SIG_MAX_SA + 1]; /* last: fallback=any */
} rs_sampler;

/* cfg is copied.  emit is called for every sample, in time order. */
void rs_sampler_init(rs_sampler *s, const rs_sampler_cfg *cfg, rs_sample_fn emit, void *ctx);

/* One whole parameter group (single frame or reassembled TP). */
void rs_sampler_feed(rs_sampler *s, const rs_j1939_msg *m);

/* One CAN frame: 29-bit frames are taken as single-frame J1939 messages
 * (TP.CM/TP.DT are left to the transport layer and ignored here), 11-bit
 * frames feed the CANmod.gps rows, error/remote/FD frames are ignored. */
void rs_sampler_feed_frame(rs_sampler *s, const rs_can_frame *f);

/* Emits the samples due up to t_us (message time base) without new data. */
void rs_sampler_advance(rs_sampler *s, uint64_t t_us);

/* OBD information at the current instant (call it from emit for the sample
 * being emitted): rs_dm_obd_fill() over the diagnostic messages fed so far.
 * Returns its RS_OBD_HAVE_* bits; out->dtc points into s. */
unsigned rs_sampler_obd(rs_sampler *s, rs_obd *out);

/* Forgets what one vehicle left: every signal value (at once, by epoch),
 * the OBD state and the last GNSS fix.  A decoder shared by many simulated
 * vehicles starts each vehicle's second clean with it. */
void rs_sampler_forget(rs_sampler *s);

/* The sample the sampler would take at t_us (seconds), without emitting. */
void rs_sampler_peek(rs_sampler *s, uint64_t t_us, rs_sample *out);

#endif
