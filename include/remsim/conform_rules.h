/* The rules applied to every frame (protocol.md §13): frames in, findings
 * out, into a conformance run (conform.h).
 *
 * The checker is pure: no I/O, no clock.  A reader (a frame log, a hex dump,
 * a pcap flow, a live link of a suite) hands it each frame with where it
 * came from; the checker decodes it under the run's profile, maps every
 * codec finding (rs_err: error or tolerated warning) to its catalogue case
 * and severity, and keeps per-VIN state for the sequence rules:
 *
 *   serials     login +1 per login, report +1 per packet (a gap must be
 *               filled by reissued packets by the end), tamper +1, all
 *               restarting at 1 when the GMT+8 day changes (§10)
 *   sessions    reports, tamper alarms and logouts after a login on the
 *               same connection; logout serial = the session's login serial
 *   timing      live packets at most 10 s apart within a session (terminal
 *               time), never going back; HJ items one second apart
 *   samples     each collect second of a VIN reported once
 *   signatures  HJ 0x02/0x03/0x07 signed (sig_missing tolerance), no
 *               signature on 0x01/0x04/0x06, and each signature verified
 *               through the key hook (skipped when no key is known); keys
 *               in 0x07 activation frames are passed to the hook to learn
 *
 * Frames going to the terminal (answers, `downlink`) get the envelope and
 * body rules only.
 *
 *     rs_rules *r = rs_rules_new(run, &err);       // run: rs_conf_new(...)
 *     rs_rules_set_keys(r, &keys);                   // optional
 *     for each frame:   rs_rules_frame(r, bytes, len, &src);
 *     for each bad run of bytes the reassembler reports:
 *                       rs_rules_stream_error(r, &err, bytes, n, &src);
 *     on a closed connection: rs_rules_conn_close(r, conn);
 *     rs_rules_finish(r);                            // end-of-input rules
 *     rs_rules_free(r);  rs_conf_finish(run); ...
 *
 * A suite that drives a link (platform, terminal) may feed the frames it
 * sends and receives through the same checker, so the per-frame cases are
 * judged the same way everywhere. */
#ifndef REMSIM_CONFORM_RULES_H
#define REMSIM_CONFORM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/conform.h"
#include "remsim/error.h"
#include "remsim/msg.h"

/* Where a frame came from. */
typedef struct rs_rules_src {
    const char *source;      /* file name or flow text; NULL: "" */
    uint64_t line;           /* 1-based line, 0 if none */
    uint64_t packet;         /* 1-based capture packet number, 0 if none */
    uint64_t offset;         /* stream offset of the frame, when known */
    int64_t time_ms;         /* receive time (Unix ms), 0 unknown */
    uint32_t conn;           /* connection id: sessions do not cross connections */
    bool downlink;           /* platform -> terminal */
    bool coalesced;          /* arrived in one TCP read with another frame */
} rs_rules_src;

/* The key hook.  verify: RS_OK when the signature over msg verifies for the
 * VIN (*which: "chip" or "default", the ID that matched); RS_E_SIGNATURE
 * when it does not (err says why); RS_E_OPTION when no key is known for the
 * VIN (the case is then skipped for that frame).  learn (may be NULL): an
 * activation frame was seen with this chip ID and public key. */
typedef struct rs_rules_keys {
    void *ctx;
    rs_code (*verify)(void *ctx, const uint8_t vin[RS_VIN_LEN], const uint8_t *msg, size_t len, const rs_sig *sig,
                      const char **which, rs_err *err);
    void (*learn)(void *ctx, const uint8_t vin[RS_VIN_LEN], const uint8_t chip_id[RS_CHIP_ID_LEN],
                  const uint8_t pub[RS_PUBKEY_LEN]);
} rs_rules_keys;

typedef struct rs_rules rs_rules;

/* The checker for a run (its profile, its role); NULL and RS_E_LIMIT when
 * out of memory. */
rs_rules *rs_rules_new(rs_conf_run *run, rs_err *err);
void rs_rules_free(rs_rules *r);
/* Keys for 9.1/sig-verify (copied).  Without keys the case is skipped. */
void rs_rules_set_keys(rs_rules *r, const rs_rules_keys *keys);
/* True when src.coalesced is meaningful for the input (pcap, live links);
 * otherwise 3.5/coalesced is skipped ("segment boundaries not recorded"). */
void rs_rules_segments_known(rs_rules *r, bool known);

/* One frame (a complete candidate: the envelope is checked here too). */
void rs_rules_frame(rs_rules *r, const uint8_t *frame, size_t len, const rs_rules_src *src);
/* Bytes that did not make a frame, as the reassembler (or a log's
 * rejection line) reported them: RS_E_BCC, RS_E_LENGTH, RS_E_START,
 * RS_E_SHORT, RS_E_SYNTAX (a line that is no frame) ... bytes may be NULL. */
void rs_rules_stream_error(rs_rules *r, const rs_err *e, const uint8_t *bytes, size_t n, const rs_rules_src *src);
/* A connection ended: its sessions end without logout (legal: an outage). */
void rs_rules_conn_close(rs_rules *r, uint32_t conn);
/* End of input: unfilled serial gaps become findings.  Idempotent. */
void rs_rules_finish(rs_rules *r);

/* The catalogue case of a codec finding on a frame with command cmd. */
rs_case_id rs_rules_case_of(const rs_err *e, uint8_t cmd);

/* Frames checked, by direction. */
uint64_t rs_rules_frames(const rs_rules *r);

/* --- an SM2 key source for the hook (conformance/rules_keys.c) ---
 *
 * VIN -> public key and chip ID: from a key store directory
 * (keystore.h: DIR/<VIN>.pub.pem + DIR/<VIN>.chip) and from the 0x07
 * activation frames the checker sees (a stored key is never replaced by a
 * learned one).  Verification tries the chip ID, then the default ID.
 *
 *     rs_rules_sm2_keys *ks = rs_rules_sm2_keys_new(&err);
 *     rs_rules_sm2_keys_load_dir(ks, "keys/", &n, &err);   // optional
 *     rs_rules_keys hook; rs_rules_sm2_keys_hook(ks, &hook);
 *     rs_rules_set_keys(rules, &hook);
 *     ...  rs_rules_free(rules); rs_rules_sm2_keys_free(ks); */
typedef struct rs_rules_sm2_keys rs_rules_sm2_keys;
rs_rules_sm2_keys *rs_rules_sm2_keys_new(rs_err *err);
void rs_rules_sm2_keys_free(rs_rules_sm2_keys *ks);
/* Every key of the directory (rs_keystore_scan errors pass through). */
rs_code rs_rules_sm2_keys_load_dir(rs_rules_sm2_keys *ks, const char *dir, size_t *count, rs_err *err);
/* Adds one key (public part and chip ID); replace: over an existing one. */
rs_code rs_rules_sm2_keys_add(rs_rules_sm2_keys *ks, const uint8_t vin[RS_VIN_LEN],
                              const uint8_t pub[RS_PUBKEY_LEN], const uint8_t chip_id[RS_CHIP_ID_LEN], bool replace,
                              rs_err *err);
size_t rs_rules_sm2_keys_count(const rs_rules_sm2_keys *ks);
void rs_rules_sm2_keys_hook(rs_rules_sm2_keys *ks, rs_rules_keys *out);

#endif
