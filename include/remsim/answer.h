/* Answers an endpoint sends to a terminal (protocol.md §5, §8, §9.3).
 *
 * rs_answer_build() is pure: given the profile, the answer settings, a
 * decoded request and the time now, it writes the answer frame into a
 * caller buffer, or says none is due.  No allocation and no state, so the
 * reference endpoint and the fleet's offline mode produce the same bytes.
 *
 * What is answered (§5):
 *   GB 17691 / HJ 1239
 *     timecal  0x05 request (empty)        -> 0x05 + current time (GMT+8)
 *     echo     the above, and 0x01-0x04, HJ 0x06
 *                                          -> same command + the request's
 *                                             first 6 data bytes (its time)
 *     any mode but none, role national: HJ 0x07 activation -> 0x08 + status,
 *                                          info (the activation hook decides;
 *                                          without one: 01 00, success)
 *   GB/T 32960 (every request, response flag 0xFE, is answered unless the
 *   mode is none; §5 makes the answer part of that protocol)
 *     0x07 heartbeat, 0x08 time calibration -> flag 0x01 + current time
 *     0x01-0x06 -> flag 0x01 + the request's first 6 data bytes
 *     a request whose body was rejected -> flag 0x02 (rs_answer_reject)
 * Answers keep the request's start bytes, VIN and software version byte, and
 * say "not encrypted" (0x01).  Answers are never answered. */
#ifndef REMSIM_ANSWER_H
#define REMSIM_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/frame.h"
#include "remsim/msg.h"
#include "remsim/profile.h"

typedef enum rs_answer_mode {
    RS_ANSWER_NONE = 0,   /* never answer */
    RS_ANSWER_TIMECAL,    /* only time calibration (and activation, GB/T 32960 requests) */
    RS_ANSWER_ECHO        /* also echo 0x01-0x04 and 0x06 */
} rs_answer_mode;

typedef enum rs_answer_role {
    RS_ROLE_PLATFORM = 0, /* an enterprise platform or a gateway: 0x07 is not ours */
    RS_ROLE_NATIONAL      /* the MEE national platform: answers activation 0x07 */
} rs_answer_role;

/* Decides the activation answer (0x08) to a decoded activation request
 * (0x07).  The security issue plugs signature and registration checks in
 * here.  Fill *ans (RS_ACT_* status, RS_ACT_INFO_* info) and return true, or
 * return false to send no answer. */
typedef bool (*rs_activation_fn)(void *ctx, const rs_msg *req, rs_activation_ans *ans);

typedef struct rs_answer_cfg {
    uint8_t mode;                /* rs_answer_mode */
    uint8_t role;                /* rs_answer_role */
    rs_activation_fn activation; /* NULL: every activation succeeds (01 00) */
    void *activation_ctx;
    /* Faults, only to test checkers (docs/serve.md): */
    int32_t time_offset_s;       /* added to the current time in time answers (wrong-time: 3600) */
    bool wrong_cmd;              /* answers carry the request's command + 0x10 (wrong-answer-cmd) */
} rs_answer_cfg;

/* Longest answer: header + 6-byte time + BCC. */
#define RS_ANSWER_MAX_LEN (RS_FRAME_OVERHEAD + RS_TIME_LEN)

/* mode timecal, role platform, no hook, no faults. */
void rs_answer_cfg_init(rs_answer_cfg *c);

bool rs_answer_mode_parse(const char *name, rs_answer_mode *out);   /* none|timecal|echo */
const char *rs_answer_mode_name(rs_answer_mode m);
bool rs_answer_role_parse(const char *name, rs_answer_role *out);   /* platform|national */
const char *rs_answer_role_name(rs_answer_role r);

/* The answer to req (decoded without error) received at now_ms, in
 * milliseconds since the Unix epoch.  Writes the frame to out[0..cap) and
 * its length to *len; *len = 0 when no answer is due.  Errors: RS_E_SPACE
 * when cap < RS_ANSWER_MAX_LEN. */
rs_code rs_answer_build(const rs_profile *p, const rs_answer_cfg *c, const rs_msg *req, int64_t now_ms,
                        uint8_t *out, size_t cap, size_t *len, rs_err *err);

/* GB/T 32960 only: the error answer (flag 0x02, the request's time) to a
 * request whose envelope parsed but whose body was rejected.  req is the
 * parsed envelope; *len = 0 when none is due (other profiles, mode none,
 * not a request, data unit shorter than 6 bytes). */
rs_code rs_answer_reject(const rs_profile *p, const rs_answer_cfg *c, const rs_frame *req, uint8_t *out,
                         size_t cap, size_t *len, rs_err *err);

#endif
