/* Private to the rules (rules.c, rules_seq.c, rules_sig.c): the checker's
 * state and the per-VIN records of the sequence rules. */
#ifndef REMSIM_RULES_INT_H
#define REMSIM_RULES_INT_H

#include "remsim/conform_rules.h"
#include "remsim/index.h"

#define RULES_MAX_GAPS 16
#define RULES_NO_TIME INT64_MIN

/* A missing run of report serials, with where the jump was seen (its
 * source as an index into rs_rules.sources: a gap is judged at the end of
 * the input, when the frame's own source text is long gone). */
typedef struct rules_gap {
    uint16_t lo, hi;
    uint32_t source;              /* index into rs_rules.sources, UINT32_MAX: none */
    uint64_t line, packet, offset;
    int64_t time_ms;
} rules_gap;

/* A daily counter (§10): the day it is on and the highest serial seen. */
typedef struct rules_counter {
    bool any;
    int32_t day;
    uint16_t hi;
} rules_counter;

typedef struct rules_iv {
    uint32_t lo, hi;      /* collect seconds, Unix time */
} rules_iv;

typedef struct rules_vin {
    uint8_t vin[RS_VIN_LEN];
    char text[18];
    /* session (§6) */
    bool in_session;
    uint32_t session_conn;
    uint16_t session_serial;
    /* serials */
    rules_counter login, report, tamper;
    uint8_t n_gaps;
    rules_gap gaps[RULES_MAX_GAPS];
    /* timing of live packets */
    int64_t last_live_t;          /* terminal time (Unix s) of the last live packet */
    bool session_has_live;        /* a live packet in the current session */
    /* collect seconds seen */
    uint32_t n_iv, cap_iv;
    rules_iv *iv;
    /* requests waiting for their answer: receive time by command 1..8 */
    int64_t asked_ms[9];
    bool sig_nokey;               /* a signature could not be checked: no key */
} rules_vin;

struct rs_rules {
    rs_conf_run *run;
    const rs_profile *p;
    rs_msg *msg;                  /* decode scratch (large) */
    bool have_keys, segments_known, finished;
    rs_rules_keys keys;
    uint64_t frames_up, frames_down;
    uint64_t sig_nokey_frames;
    uint32_t n_vins, cap_vins;
    rules_vin *vins;
    rs_index vin_ix;              /* VIN -> vins[] */
    /* source texts kept for findings judged later (gaps): few, one per
     * input or flow that had one, so a linear search is enough */
    char **sources;
    uint32_t n_sources, cap_sources;
};

rules_vin *rules_vin_get(rs_rules *r, const uint8_t vin[RS_VIN_LEN]);

/* The index of a kept copy of `text` (added when new); UINT32_MAX when
 * memory runs out (the finding then names no source). */
uint32_t rules_source_keep(rs_rules *r, const char *text);
const char *rules_source_text(const rs_rules *r, uint32_t id);

/* Evidence for a finding at this frame. */
void rules_ref(const rs_rules *r, rs_conf_ref *ref, const uint8_t *frame, size_t len, const rs_rules_src *src);

/* Sequence rules of one decoded uplink frame (rules_seq.c). */
void rules_seq_frame(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_conf_ref *ref, const rs_rules_src *src);
/* A downlink frame: answer latency. */
void rules_seq_answer(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_rules_src *src);
/* End of input for a VIN: open gaps become findings. */
void rules_seq_finish(rs_rules *r, rules_vin *v);

/* Signature rules of one decoded HJ frame (rules_sig.c). */
void rules_sig_frame(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_conf_ref *ref);
void rules_sig_finish(rs_rules *r);

#endif
