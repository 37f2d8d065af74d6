/* An open-addressing index over a caller's dense array of entries.
 *
 * The caller keeps its entries in one array (their positions are stable)
 * and the index keeps, in a power-of-two table at most half full, the
 * position + 1 of each (0: an empty slot).  The caller hashes and compares
 * its own keys; the index only probes and grows.  A lookup, and an insert
 * where the lookup ended:
 *
 *     if (!rs_index_reserve(&ix, n, hash_of_entry, entries))  // room for one more
 *         return NULL;
 *     uint32_t *s;
 *     for (s = rs_index_probe(&ix, h); *s; s = rs_index_step(&ix, s))
 *         if (same_key(&entries[*s - 1], key))
 *             return &entries[*s - 1];
 *     *s = n + 1;                                           // entries[n] is the new one
 *
 * rs_index_probe returns NULL while the index is empty and unreserved
 * (cap 0): a find-only path checks for that. */
#ifndef REMSIM_INDEX_H
#define REMSIM_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rs_index {
    uint32_t *slot;      /* entry position + 1, 0 empty */
    uint32_t cap;        /* slots: a power of two, 0 before the first reserve */
} rs_index;

/* The hash of the caller's entry at position i (to rebuild when growing). */
typedef uint32_t (*rs_index_hash_fn)(const void *ctx, uint32_t i);

void rs_index_free(rs_index *ix);

/* Room for count + 1 entries at load 1/2: grows (doubling, 64 slots at
 * least) and re-enters entries 0..count-1.  false: out of memory (the
 * index is left as it was).  Slot pointers from before are invalid after. */
bool rs_index_reserve(rs_index *ix, uint32_t count, rs_index_hash_fn hash, const void *ctx);

/* The first slot for hash h, and the next one after s (wrapping). */
uint32_t *rs_index_probe(const rs_index *ix, uint32_t h);
uint32_t *rs_index_step(const rs_index *ix, uint32_t *s);

/* Bytes of the slot table. */
size_t rs_index_bytes(const rs_index *ix);

/* FNV-1a over n bytes: the hash the VIN-keyed tables use. */
uint32_t rs_hash_bytes(const void *p, size_t n);

#endif
