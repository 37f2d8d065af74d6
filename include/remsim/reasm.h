/* Stream reassembly: frames out of arbitrary TCP chunks (§3.5).
 *
 * The reassembler works over a buffer the caller owns (its size is the
 * per-connection frame limit), so a connection costs what its caller
 * decides.  It finds start bytes, waits for the length the header names,
 * checks BCC, and on any failure skips one byte and searches again, since a
 * data unit may legally contain the start bytes.  It never drops a byte
 * silently: every byte is either part of a frame or counted as skipped,
 * with the reason reported as an event. */
#ifndef REMSIM_REASM_H
#define REMSIM_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/profile.h"

typedef struct rs_reasm {
    const rs_profile *profile;
    uint8_t *buf;
    size_t cap;              /* largest frame accepted */
    size_t head;             /* first byte not yet consumed */
    size_t len;              /* end of the bytes held: buf[head..len) */
    size_t pending;          /* length of the frame returned last, consumed on the next call */
    uint64_t consumed;       /* stream offset of buf[0] */
    uint64_t frames;         /* frames returned */
    uint64_t skipped;        /* bytes skipped as garbage */
    uint64_t rejected;       /* candidate frames rejected (BCC, length, header) */
    uint64_t coalesced;      /* frames that arrived in one feed with another */
    uint32_t feed_frames;    /* frames returned since the last feed */
} rs_reasm;

typedef enum rs_reasm_event {
    RS_REASM_NEED_MORE = 0,  /* nothing complete yet */
    RS_REASM_FRAME,          /* *frame, *len: one frame with a good envelope */
    RS_REASM_ERROR           /* *err: bytes skipped or a frame rejected, and why */
} rs_reasm_event;

void rs_reasm_init(rs_reasm *r, const rs_profile *p, uint8_t *buf, size_t cap);

/* Copies up to n bytes in; returns how many were taken (less when full:
 * call rs_reasm_next() until NEED_MORE, then feed the rest). */
size_t rs_reasm_feed(rs_reasm *r, const uint8_t *data, size_t n);

/* Zero-copy feeding: write into rs_reasm_space(), then rs_reasm_commit(). */
uint8_t *rs_reasm_space(rs_reasm *r, size_t *room);
void rs_reasm_commit(rs_reasm *r, size_t n);

/* Next event.  A returned frame stays valid until the next call. */
rs_reasm_event rs_reasm_next(rs_reasm *r, const uint8_t **frame, size_t *len, rs_err *err);

/* At end of stream: whatever is still held is an incomplete frame; reports
 * it as an error (RS_E_SHORT) and clears, or returns NEED_MORE when empty. */
rs_reasm_event rs_reasm_finish(rs_reasm *r, rs_err *err);

#endif
