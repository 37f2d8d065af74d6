/* Stream reassembly (§3.5).  Bytes live in buf[head..len); a returned frame
 * is consumed on the next call, so it stays valid until then without a copy. */
#include "remsim/reasm.h"

#include <string.h>

#include "remsim/frame.h"

void rs_reasm_init(rs_reasm *r, const rs_profile *p, uint8_t *buf, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->profile = p;
    r->buf = buf;
    r->cap = cap;
}

static size_t held(const rs_reasm *r) { return r->len - r->head; }

static void compact(rs_reasm *r)
{
    if (r->head == 0)
        return;
    memmove(r->buf, r->buf + r->head, held(r));
    r->len -= r->head;
    r->head = 0;
}

static void drop(rs_reasm *r, size_t n)
{
    r->head += n;
    r->consumed += n;
    if (r->head == r->len)
        r->head = r->len = 0;
}

size_t rs_reasm_feed(rs_reasm *r, const uint8_t *data, size_t n)
{
    size_t room;
    uint8_t *dst = rs_reasm_space(r, &room);
    if (n > room)
        n = room;
    memcpy(dst, data, n);
    rs_reasm_commit(r, n);
    return n;
}

uint8_t *rs_reasm_space(rs_reasm *r, size_t *room)
{
    if (r->pending) { /* the frame returned last is done with */
        drop(r, r->pending);
        r->pending = 0;
    }
    if (r->len == r->cap)
        compact(r);
    *room = r->cap - r->len;
    return r->buf + r->len;
}

void rs_reasm_commit(rs_reasm *r, size_t n)
{
    r->len += n;
    r->feed_frames = 0;
}

static bool start_byte(const rs_profile *p, uint8_t c)
{
    return (c == 0x23 && p->accept_hash) || (c == 0x7E && p->accept_tilde);
}

/* Header plausibility before waiting for a length: a false start inside
 * garbage must not make us wait for 64 KiB while real frames queue behind. */
static const char *implausible(const rs_reasm *r, const uint8_t *h, size_t *field_off)
{
    const rs_profile *p = r->profile;
    size_t n = (size_t)h[22] << 8 | h[23];
    if (n > p->max_data_len || n + RS_FRAME_OVERHEAD > r->cap) {
        *field_off = 22;
        return "data-unit length above the receive limit";
    }
    uint8_t enc = h[21];
    if (!(enc >= 0x01 && enc <= 0x05) && enc != 0xFE && enc != 0xFF) {
        *field_off = 21;
        return "encryption byte is not 0x01-0x05, 0xFE or 0xFF";
    }
    if (h[2] == 0x00 || h[2] == 0xFF) {
        *field_off = 2;
        return "command id 0x00 or 0xFF";
    }
    size_t vin_at = p->proto == RS_PROTO_GB32960 ? 4 : 3;
    for (size_t i = vin_at; i < vin_at + RS_VIN_LEN; i++) {
        if (h[i] != 0x00 && (h[i] < 0x20 || h[i] > 0x7E)) {
            *field_off = i;
            return "VIN bytes are ASCII (or 0x00 padding)";
        }
    }
    return NULL;
}

rs_reasm_event rs_reasm_next(rs_reasm *r, const uint8_t **frame, size_t *len, rs_err *err)
{
    const rs_profile *p = r->profile;
    if (r->pending) {
        drop(r, r->pending);
        r->pending = 0;
    }
    for (;;) {
        size_t n = held(r);
        const uint8_t *b = r->buf + r->head;
        /* Find two equal start bytes. */
        size_t i = 0;
        while (i + 1 < n && !(b[i] == b[i + 1] && start_byte(p, b[i])))
            i++;
        if (i + 1 >= n) /* no pair: keep a trailing start byte, its twin may come next */
            i = (n > 0 && start_byte(p, b[n - 1])) ? n - 1 : n;
        if (i > 0) {
            uint64_t at = r->consumed;
            drop(r, i);
            r->skipped += i;
            rs_fail(err, RS_E_START, (size_t)at, "stream",
                    "bytes before the start bytes are not part of any frame (§3.5); found = bytes skipped",
                    (long long)i, 0, RS_NUM_GOT_ONLY);
            return RS_REASM_ERROR;
        }
        if (n < RS_HEADER_LEN)
            return RS_REASM_NEED_MORE;
        size_t fo;
        const char *why = implausible(r, b, &fo);
        if (why) {
            uint64_t at = r->consumed;
            drop(r, 1);
            r->skipped += 1;
            r->rejected++;
            rs_fail(err, RS_E_HEADER, (size_t)(at + fo), "header", why, b[fo], 0, RS_NUM_HEX);
            return RS_REASM_ERROR;
        }
        size_t need = rs_frame_needed(b, n);
        if (n < need)
            return RS_REASM_NEED_MORE;
        uint8_t bcc = rs_bcc(b + 2, need - 3);
        if (bcc != b[need - 1]) {
            uint64_t at = r->consumed;
            uint8_t got = b[need - 1];
            drop(r, 1);
            r->skipped += 1;
            r->rejected++;
            rs_fail(err, RS_E_BCC, (size_t)(at + need - 1), "bcc",
                    "BCC is the XOR of every byte from the command to the last data byte; "
                    "one byte skipped and the search goes on (§3.5)",
                    got, bcc, RS_NUM_HEX);
            return RS_REASM_ERROR;
        }
        *frame = b;
        *len = need;
        r->pending = need;
        r->frames++;
        if (r->feed_frames++ > 0)
            r->coalesced++;
        return RS_REASM_FRAME;
    }
}

rs_reasm_event rs_reasm_finish(rs_reasm *r, rs_err *err)
{
    if (r->pending) {
        drop(r, r->pending);
        r->pending = 0;
    }
    size_t n = held(r);
    if (n == 0)
        return RS_REASM_NEED_MORE;
    uint64_t at = r->consumed;
    r->skipped += n;
    drop(r, n);
    rs_fail(err, RS_E_SHORT, (size_t)at, "stream", "the stream ended inside a frame; found = bytes left",
            (long long)n, 0, RS_NUM_GOT_ONLY);
    return RS_REASM_ERROR;
}
