/* The frame envelope: start bytes, header, data unit, BCC (§3).
 *
 * rs_frame_parse() checks one complete frame and points into the caller's
 * buffer; it never copies the data unit.  rs_frame_seal() writes the header
 * and BCC around a data unit the caller has already written at
 * out + RS_HEADER_LEN, so encoders build frames in place. */
#ifndef REMSIM_FRAME_H
#define REMSIM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/profile.h"

#define RS_HEADER_LEN 24
#define RS_FRAME_OVERHEAD 25          /* header + BCC */
#define RS_MAX_DATA_LEN 65531         /* §3.1 */
#define RS_MAX_FRAME_LEN (RS_MAX_DATA_LEN + RS_FRAME_OVERHEAD)
#define RS_VIN_LEN 17

/* Command ids. */
enum {
    RS_CMD_LOGIN = 0x01,
    RS_CMD_REALTIME = 0x02,
    RS_CMD_REISSUE = 0x03,
    RS_CMD_LOGOUT = 0x04,
    RS_CMD_TIMECAL = 0x05,         /* GB17691 / HJ1239 */
    RS_CMD_TAMPER = 0x06,          /* HJ1239 */
    RS_CMD_ACTIVATION = 0x07,      /* HJ1239 */
    RS_CMD_ACTIVATION_ANS = 0x08,  /* HJ1239 */
    /* GB/T 32960 */
    RS_CMD32960_PLAT_LOGIN = 0x05,
    RS_CMD32960_PLAT_LOGOUT = 0x06,
    RS_CMD32960_HEARTBEAT = 0x07,
    RS_CMD32960_TIMECAL = 0x08
};

/* GB/T 32960 response flags (§3.2). */
enum {
    RS_RESP_SUCCESS = 0x01,
    RS_RESP_ERROR = 0x02,
    RS_RESP_VIN_DUP = 0x03,
    RS_RESP_REQUEST = 0xFE
};

typedef struct rs_frame {
    uint8_t proto;            /* rs_proto the frame was read as */
    uint8_t start[2];
    uint8_t cmd;
    uint8_t resp;             /* GB32960 response flag; 0 on terminal frames */
    uint8_t vin[RS_VIN_LEN];  /* VIN, or a platform id padded with 0x00 */
    uint8_t sw_version;       /* terminal frames: byte 20 */
    uint8_t encryption;
    uint16_t data_len;
    const uint8_t *data;      /* the data unit, inside the parsed buffer */
    uint8_t bcc;
    uint32_t frame_len;       /* 25 + data_len */
} rs_frame;

/* XOR of p[0..n). */
uint8_t rs_bcc(const uint8_t *p, size_t n);

/* Parses exactly one frame in buf[0..len).  Checks: start bytes against the
 * profile, length field == len - 25, length limit, BCC, encryption byte.
 * Does not look inside the data unit.  Warnings (e.g. "##" on HJ) go to
 * warn when it is not NULL. */
rs_code rs_frame_parse(const rs_profile *p, const uint8_t *buf, size_t len,
                       rs_frame *out, rs_err *err, rs_err *warn);

/* Bytes a frame starting at buf needs in all, from its header, or 0 when
 * fewer than RS_HEADER_LEN bytes are there. */
size_t rs_frame_needed(const uint8_t *buf, size_t len);

/* Writes start, header and BCC around a data unit of data_len bytes already
 * at out + RS_HEADER_LEN.  hdr supplies cmd, resp, vin, sw_version,
 * encryption; start bytes come from hdr->start when non-zero, else from the
 * profile.  Returns the frame length in *len. */
rs_code rs_frame_seal(const rs_profile *p, const rs_frame *hdr, uint8_t *out,
                      size_t cap, size_t data_len, size_t *len, rs_err *err);

/* Name of an encryption byte under the profile's table, NULL when the
 * table does not define it. */
const char *rs_encryption_name(const rs_profile *p, uint8_t enc);
const char *rs_command_name(rs_proto proto, uint8_t cmd);

#endif
