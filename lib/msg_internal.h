/* Private to the codec: byte order helpers and the tolerance funnel. */
#ifndef REMSIM_MSG_INTERNAL_H
#define REMSIM_MSG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "remsim/msg.h"

static inline uint16_t rs_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rs_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void rs_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void rs_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t rs_read_be(const uint8_t *p, unsigned width)
{
    return width == 1 ? p[0] : width == 2 ? rs_be16(p) : rs_be32(p);
}
static inline void rs_write_be(uint8_t *p, unsigned width, uint32_t v)
{
    if (width == 1)
        p[0] = (uint8_t)v;
    else if (width == 2)
        rs_put16(p, (uint16_t)v);
    else
        rs_put32(p, v);
}

/* A finding under a tolerance: reject -> *err and its code; warn -> kept in
 * m->warn (counted even when the array is full); accept -> nothing. */
rs_code rs_msg_tolerate(rs_msg *m, const rs_profile *p, uint8_t tol, const rs_err *finding, rs_err *err);

/* Report body (0x02/0x03) of GB17691/HJ1239, in any layout. */
rs_code rs_report_decode(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err);

/* Checks a time field under the profile's time_check. */
rs_code rs_check_time(rs_msg *m, const rs_profile *p, const rs_time *t, size_t offset, const char *field,
                      rs_err *err);

/* Checks printable text under the profile's string_check. */
rs_code rs_check_text(rs_msg *m, const rs_profile *p, const uint8_t *s, size_t n, size_t offset,
                      const char *field, const char *rule, rs_err *err);

/* True when rem bytes at d are exactly one signature block (§9.1). */
bool rs_sig_block_fits(const uint8_t *d, size_t rem);
void rs_sig_read(rs_sig *s, const uint8_t *d);
size_t rs_sig_write(const rs_sig *s, uint8_t *d);

#define RS_SIG_TOTAL(s) (2u + (s)->r_len + (s)->s_len)

#endif
