/* Compact records and the reissue store (docs/terminal.md "Reissue store").
 *
 * Samples are kept wire-encoded: the raw values the codec would write, so a
 * record is 45 or 70 bytes and decoding it back through rs_val_from_raw()
 * re-encodes to the same bytes. */
#include <string.h>

#include "sim/terminal_internal.h"

static uint32_t get_be(const uint8_t *p, unsigned w)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, unsigned w, uint32_t v)
{
    for (unsigned i = w; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

uint32_t rs_tm_rec_collect(const uint8_t *rec) { return get_be(rec, 4); }
uint16_t rs_tm_rec_serial(const uint8_t *rec) { return (uint16_t)get_be(rec + 4, 2); }
void rs_tm_rec_set_serial(uint8_t *rec, uint16_t serial) { put_be(rec + 4, 2, serial); }

void rs_tm_rec_set_formed(uint8_t *rec, int64_t formed_s)
{
    int64_t d = formed_s - (int64_t)rs_tm_rec_collect(rec);
    rec[8] = (uint8_t)(d < 0 ? 0 : d > 255 ? 255 : d); /* a clock jump between the two is clamped */
}

uint32_t rs_tm_rec_formed(const uint8_t *rec) { return rs_tm_rec_collect(rec) + rec[8]; }

unsigned rs_tm_rec_n_items(const uint8_t *rec)
{
    return 1u + !!(rec[7] & REC_HYBRID) + !!(rec[7] & REC_SUPPLEMENT);
}

/* One item body: each field of the type's layout as its raw value. */
static void body_encode(const rs_profile *p, uint8_t type, const rs_sample *s, uint8_t *out, uint32_t *n_invalid)
{
    unsigned n;
    const uint8_t *layout = rs_info_layout(type, &n);
    for (unsigned i = 0; i < n; i++) {
        const rs_field_desc *fd = &rs_fields[layout[i]];
        uint32_t raw;
        if (!rs_val_to_raw(fd, &p->scale[layout[i]], &s->v[layout[i]], &raw)) {
            /* A vehicle value the field cannot carry: the codec would refuse
             * the whole packet, so this one value goes as "invalid". */
            raw = rs_all_ones(fd->width);
            (*n_invalid)++;
        }
        put_be(out, fd->width, raw);
        out += fd->width;
    }
}

static void body_decode(const rs_profile *p, uint8_t type, const uint8_t *b, rs_item *it)
{
    unsigned n;
    const uint8_t *layout = rs_info_layout(type, &n);
    it->type = type;
    it->s6_block = NULL;
    for (unsigned i = 0; i < n; i++) {
        const rs_field_desc *fd = &rs_fields[layout[i]];
        it->u.v[layout[i]] = rs_val_from_raw(fd, &p->scale[layout[i]], get_be(b, fd->width));
        b += fd->width;
    }
}

void rs_tm_rec_encode(const rs_profile *p, const rs_sample *s, uint32_t collect, uint8_t *rec, size_t rec_size,
                      uint32_t *n_invalid)
{
    memset(rec, 0, rec_size);
    put_be(rec, 4, collect);
    uint8_t stream = s->stream;
    if (stream != RS_INFO_STREAM_TWC && stream != RS_INFO_STREAM_TWC_NOX)
        stream = RS_INFO_STREAM_DIESEL;
    rec[6] = stream;
    body_encode(p, stream, s, rec + REC_HDR, n_invalid);
    if (rec_size < REC_SIZE_FULL)
        return;
    if (s->has_hybrid) {
        rec[7] |= REC_HYBRID;
        body_encode(p, RS_INFO_HYBRID, s, rec + REC_OFF_HYBRID, n_invalid);
    }
    if (s->has_supplement) {
        rec[7] |= REC_SUPPLEMENT;
        body_encode(p, RS_INFO_SUPPLEMENT, s, rec + REC_OFF_SUPPLEMENT, n_invalid);
    }
}

unsigned rs_tm_rec_items(const rs_profile *p, const uint8_t *rec, bool per_item, rs_item *items)
{
    rs_time collect = rs_time_from_unix(rs_tm_rec_collect(rec));
    uint16_t serial = rs_tm_rec_serial(rec);
    unsigned n = 0;
    body_decode(p, rec[6], rec + REC_HDR, &items[n++]);
    if (rec[7] & REC_HYBRID)
        body_decode(p, RS_INFO_HYBRID, rec + REC_OFF_HYBRID, &items[n++]);
    if (rec[7] & REC_SUPPLEMENT)
        body_decode(p, RS_INFO_SUPPLEMENT, rec + REC_OFF_SUPPLEMENT, &items[n++]);
    for (unsigned k = 0; k < n; k++) {
        items[k].collect = collect;
        items[k].serial = per_item ? rs_tm_serial_add(serial, k) : serial;
        items[k].offset = 0;
    }
    return n;
}

void rs_tm_rec_copy(uint8_t *dst, size_t dst_size, const uint8_t *src)
{
    memcpy(dst, src, dst_size);
    if (dst_size < REC_SIZE_FULL)
        dst[7] = 0; /* extras do not fit a short record */
}

void rs_tm_store_init(rs_term_store *s, void *mem, size_t bytes, uint16_t rec_size)
{
    s->mem = mem;
    s->rec_size = rec_size;
    size_t cap = mem ? bytes / rec_size : 0;
    s->cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
    s->head = s->count = 0;
}

bool rs_tm_store_push(rs_term_store *s, const uint8_t *rec)
{
    if (s->cap == 0)
        return true; /* nowhere to keep it: the caller counts the drop */
    bool dropped = false;
    if (s->count == s->cap) {
        s->head = (s->head + 1) % s->cap;
        s->count--;
        dropped = true;
    }
    uint32_t i = (uint32_t)(((uint64_t)s->head + s->count) % s->cap);
    rs_tm_rec_copy(s->mem + (size_t)i * s->rec_size, s->rec_size, rec);
    s->count++;
    return dropped;
}

const uint8_t *rs_tm_store_at(const rs_term_store *s, uint32_t i)
{
    uint32_t k = (uint32_t)(((uint64_t)s->head + i) % s->cap);
    return s->mem + (size_t)k * s->rec_size;
}

void rs_tm_store_pop(rs_term_store *s, uint32_t n)
{
    if (n > s->count)
        n = s->count;
    s->head = s->cap ? (s->head + n) % s->cap : 0;
    s->count -= n;
}
