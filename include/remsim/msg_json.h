/* Decoded frames as JSON objects (the `remsim decode` output, one per frame).
 *
 * A decoded frame:
 *   {"ok":true,"source":{...},"profile":"gb17691","kind":"report",
 *    "header":{...},"body":{...},"warnings":[...],"warnings_total":0,
 *    "frame_len":218,"hex":"2323..."}
 * A frame that failed:
 *   {"ok":false,"source":{...},"profile":"gb17691","error":{...},
 *    "header":{... as far as the bytes go ...},"frame_len":218,"hex":"..."}
 * docs/cli.md describes every key.  Values of report fields come out as
 *   "speed":{"value":65.5,"unit":"km/h","state":"valid","raw":16768}
 * with value null unless the state is valid. */
#ifndef REMSIM_MSG_JSON_H
#define REMSIM_MSG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/json.h"
#include "remsim/msg.h"
#include "remsim/profile.h"

/* Where a frame came from, so a user can find it again. */
typedef struct rs_msg_src {
    const char *file;       /* input name ("-" for stdin); NULL: no "file" key */
    uint64_t line;          /* 1-based line of hex input; 0 for raw input */
    uint64_t offset;        /* byte offset in the input: the line's or the frame's */
} rs_msg_src;

/* {"file":"x.hex","line":3,"offset":120} */
void rs_msg_src_json(rs_json *j, const rs_msg_src *src);

/* {"code":"bcc","severity":"error","offset":217,"field":"bcc","message":"..."} */
void rs_err_json(rs_json *j, const rs_err *e);

/* Pieces, also for other documents (results, frame logs):
 *   "time":"2024-05-20 10:30:00","time_valid":true  (key and key_valid) */
void rs_time_json(rs_json *j, const char *key, const char *valid_key, const rs_time *t);
/* {"value":65.5,"unit":"km/h","state":"valid","raw":16768}, printed with the
 * decimals of the profile's resolution; bit fields add "flags", enums "text". */
void rs_val_json(rs_json *j, const rs_profile *p, rs_field_id id, const rs_val *v);
/* {"offset":..,"r_len":32,"r":"..","s_len":32,"s":".."}; offset in the data unit. */
void rs_sig_json(rs_json *j, const rs_sig *s, uint32_t offset);
/* The body object of a real-time / reissue report (§7). */
void rs_report_json(rs_json *j, const rs_profile *p, const rs_report *r);

/* A decoded frame; frame/len are the bytes it was decoded from. */
void rs_msg_json(rs_json *j, const rs_profile *p, const rs_msg *m, const uint8_t *frame, size_t len,
                 const rs_msg_src *src);

/* A frame (or a stretch of bytes) that did not decode.  The header keys
 * are read from the bytes themselves, as far as they go, since the decoder
 * may have stopped before filling them. */
void rs_msg_json_error(rs_json *j, const rs_profile *p, const rs_err *err, const uint8_t *bytes,
                       size_t len, const rs_msg_src *src);

#endif
