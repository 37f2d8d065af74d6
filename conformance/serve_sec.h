/* Private to the reference endpoint: HJ 1239 security (docs/security.md).
 *
 *   serve_keys.c   the registry of activated terminals, shared by every
 *                  worker process of one endpoint (VIN -> chip ID, key)
 *   serve_sig.c    SM2 signature checks on 0x02/0x03/0x07, their counts and
 *                  their log lines
 *   serve_act.c    the national platform's activation decision (0x08)
 *
 * The registry lives in one MAP_SHARED anonymous mapping the coordinator
 * makes before the fork, so an activation taken by one worker is seen by
 * the worker that gets the terminal's reports.  It only grows: slots are
 * claimed with compare-and-swap and published with release stores; readers
 * load with acquire, so an entry is either not there or whole. */
#ifndef REMSIM_CONFORMANCE_SERVE_SEC_H
#define REMSIM_CONFORMANCE_SERVE_SEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/msg.h"
#include "remsim/serve.h"
#include "remsim/sm2.h"

/* --- the registry (serve_keys.c) --- */

#define SERVE_KEYS_DEFAULT_CAPACITY 100000u
#define SERVE_KEYS_MAX_CAPACITY (1u << 24)

enum serve_key_state {
    SERVE_KEY_FREE = 0,       /* not claimed */
    SERVE_KEY_PENDING,        /* in the chip index, VIN not yet claimed: not a key for reports yet */
    SERVE_KEY_LIVE,           /* registered */
    SERVE_KEY_DEAD            /* lost a race for its VIN: ignored */
};

enum serve_key_source { SERVE_KEY_ACTIVATION = 0, SERVE_KEY_PREREGISTERED };

typedef struct serve_key_entry {
    _Atomic uint32_t state;   /* serve_key_state */
    uint8_t source;           /* serve_key_source */
    bool has_chip;            /* false: pre-registered without a chip file (default ID only) */
    uint8_t vin[RS_VIN_LEN];
    uint8_t chip[RS_CHIP_ID_LEN];
    int64_t registered_ms;    /* wall clock when it was registered */
    rs_time act_time;         /* the activation's own time field (zero when pre-registered) */
    rs_sm2_key key;           /* public key with ID = chip ID (Z_A computed once) */
} serve_key_entry;

typedef struct serve_keys serve_keys;   /* the shared mapping */

typedef enum serve_keys_add_result {
    SERVE_KEYS_ADDED = 0,
    SERVE_KEYS_CHIP_TAKEN,    /* the chip ID is registered (for this VIN or another) */
    SERVE_KEYS_VIN_TAKEN,     /* the VIN is registered with another chip */
    SERVE_KEYS_FULL           /* capacity reached (counted in the registry) */
} serve_keys_add_result;

/* Bytes the mapping for `capacity` terminals takes (virtual; pages become
 * resident as entries are written). */
size_t serve_keys_bytes(uint32_t capacity);
/* A registry for 1..SERVE_KEYS_MAX_CAPACITY terminals.  Errors: RS_E_OPTION
 * (capacity), RS_E_IO (mmap; got = errno). */
rs_code serve_keys_create(uint32_t capacity, serve_keys **out, rs_err *err);
void serve_keys_destroy(serve_keys *k);

/* Registers (vin, chip, key).  chip NULL: pre-registered without a chip ID
 * (not in the chip index).  On CHIP_TAKEN/VIN_TAKEN *existing (may be NULL)
 * points at the entry in the way.  Safe from any worker at any time. */
serve_keys_add_result serve_keys_add(serve_keys *k, const uint8_t vin[RS_VIN_LEN], const uint8_t *chip,
                                     const rs_sm2_key *key, const rs_time *act_time, int64_t now_ms, uint8_t source,
                                     const serve_key_entry **existing);
/* A registered (LIVE) entry, or NULL. */
const serve_key_entry *serve_keys_find_vin(const serve_keys *k, const uint8_t vin[RS_VIN_LEN]);
/* An entry holding the chip ID (PENDING or LIVE), or NULL. */
const serve_key_entry *serve_keys_find_chip(const serve_keys *k, const uint8_t chip[RS_CHIP_ID_LEN]);

typedef struct serve_keys_stats {
    uint32_t capacity;
    uint32_t live;            /* registered */
    uint32_t preregistered;   /* of those, from --keys */
    uint32_t dead;            /* entries lost to races (their slots are used up) */
    uint64_t full;            /* registrations refused: no slot left */
    size_t bytes;             /* size of the mapping */
} serve_keys_stats;
void serve_keys_stats_get(const serve_keys *k, serve_keys_stats *s);

/* Every public key in dir (a key store, keystore.h: <VIN>.pub.pem and
 * <VIN>.chip) registered as pre-registered (serve_keys_dir.c).  Errors:
 * rs_keystore_scan's (the directory, the first bad file, named in
 * err->field).  *loaded counts what was registered; *full what did not fit. */
rs_code serve_keys_load_dir(serve_keys *k, rs_sm2 *c, const char *dir, int64_t now_ms, uint32_t *loaded,
                            uint32_t *full, rs_err *err);

/* --- signature checks (serve_sig.c) --- */

typedef enum serve_sig_verdict {
    SERVE_SIG_NOT_CHECKED = 0,    /* not a signed command, not HJ, or --verify off */
    SERVE_SIG_VERIFIED,           /* with the chip ID */
    SERVE_SIG_VERIFIED_DEFAULT,   /* only with the default ID (WARN) */
    SERVE_SIG_FAILED,             /* neither ID (ERROR): the frame is not trusted */
    SERVE_SIG_UNKNOWN_KEY,        /* no key for the VIN: not verifiable (INFO) */
    SERVE_SIG_MISSING             /* no signature block (the codec tolerated it) */
} serve_sig_verdict;

typedef struct serve_sig_result {
    uint8_t verdict;              /* serve_sig_verdict */
    uint8_t reason;               /* rs_serve_sig_fail, when FAILED */
    bool from_activation;         /* the key was the one the 0x07 carries */
    bool key_preregistered;       /* the key came from --keys */
    bool has_key;                 /* 0x07: key is the one it carries (a curve point, Z_A for its chip ID) */
    rs_sm2_key key;
    uint64_t ns;                  /* time the verification took */
    rs_err err;                   /* FAILED: what the verifier said */
} serve_sig_result;

/* Checks the signature of a decoded frame: an HJ 0x07 against the key and
 * chip ID it carries, 0x02/0x03 against the key registered for the header
 * VIN (k may be NULL: every key unknown).  Pure but for the clock. */
void serve_sig_check(rs_sm2 *c, const serve_keys *k, const rs_profile *p, const rs_msg *m, serve_sig_result *out);
/* Adds one result to the totals and the VIN's record (v may be NULL). */
void serve_sig_count(const serve_sig_result *r, rs_serve_totals *st, rs_serve_vin *v);

/* --- activation (serve_act.c) --- */

/* The 0x08 decision for a decoded 0x07 whose signature check is *sig:
 * signature (02 03) -> VIN (02 02) -> chip registered (02 01) -> register
 * (01 00).  A VIN registered with the same public key (pre-registered,
 * say) is "already" too; with another key it is "other" (*vin_taken).  k
 * NULL: nothing can be registered (02 03, table full).  c builds the key
 * when the check did not (--verify off).  *ans is the answer; returns the
 * outcome to count.  fault (rs_serve_act_fault) forces the answer. */
rs_serve_act serve_act_decide(serve_keys *k, rs_sm2 *c, const rs_msg *m, const serve_sig_result *sig,
                              int64_t now_ms, uint8_t fault, rs_activation_ans *ans, bool *vin_taken);
/* The outcome's answer: false for UNANSWERED. */
bool serve_act_answer(rs_serve_act a, rs_activation_ans *ans);

/* --- a worker's side (serve_sec.c) --- */

struct serve_worker;
struct serve_conn;
struct serve_vin_entry;

/* At worker start: the verifier and the answer settings with the
 * endpoint's activation hook.  false: out of memory. */
bool serve_sec_worker_init(struct serve_worker *w);
void serve_sec_worker_free(struct serve_worker *w);
/* An accepted frame (logged already): checks its signature, counts, logs a
 * failure, decides an activation (role national).  Returns whether the
 * frame is trusted: false when its signature failed. */
bool serve_sec_on_frame(struct serve_conn *c, struct serve_vin_entry *e, const rs_msg *m, int64_t now_ms);
/* rs_activation_fn: the answer serve_sec_on_frame decided. */
bool serve_sec_activation_hook(void *ctx, const rs_msg *req, rs_activation_ans *ans);

#endif
