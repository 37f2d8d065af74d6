/* Open-addressing index (index.h): linear probing in a power-of-two table
 * at most half full, so a miss ends at an empty slot after a few steps. */
#include <stdlib.h>

#include "remsim/index.h"

void rs_index_free(rs_index *ix)
{
    free(ix->slot);
    ix->slot = NULL;
    ix->cap = 0;
}

bool rs_index_reserve(rs_index *ix, uint32_t count, rs_index_hash_fn hash, const void *ctx)
{
    if ((uint64_t)(count + 1) * 2 <= ix->cap)
        return true;
    uint64_t cap = ix->cap ? (uint64_t)ix->cap * 2 : 64;
    while ((uint64_t)(count + 1) * 2 > cap)
        cap *= 2;
    if (cap > UINT32_MAX / 2 + 1)
        return false;
    uint32_t *slot = calloc((size_t)cap, sizeof *slot);
    if (!slot)
        return false;
    uint32_t mask = (uint32_t)cap - 1;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t s = hash(ctx, i) & mask;
        while (slot[s])
            s = (s + 1) & mask;
        slot[s] = i + 1;
    }
    free(ix->slot);
    ix->slot = slot;
    ix->cap = (uint32_t)cap;
    return true;
}

uint32_t *rs_index_probe(const rs_index *ix, uint32_t h)
{
    return ix->cap ? &ix->slot[h & (ix->cap - 1)] : NULL;
}

uint32_t *rs_index_step(const rs_index *ix, uint32_t *s)
{
    return &ix->slot[(uint32_t)(s - ix->slot + 1) & (ix->cap - 1)];
}

size_t rs_index_bytes(const rs_index *ix) { return (size_t)ix->cap * sizeof *ix->slot; }

uint32_t rs_hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}
