/* The registry of activated terminals, shared by the worker processes of
 * one endpoint: VIN -> chip ID, public key, state, registration time.
 *
 * One anonymous MAP_SHARED mapping, made by the coordinator before the
 * fork, holds a header, a fixed array of entries and two open-addressing
 * indexes of uint32 slots (entry index + 1, 0 empty): one by VIN (what
 * report verification looks up) and one by chip ID (what "already
 * activated" looks up).  Each index has at least twice as many slots as
 * there are entries, so probes stay short and an empty slot always exists.
 *
 * Nothing is ever removed, which is what makes it lock-free:
 *   1. an entry is handed out by a CAS on the header's counter (never past
 *      the capacity: a full registry is counted, not an error);
 *   2. it is written whole while no index points at it;
 *   3. it is published by a CAS of an empty slot to its number (release);
 *      a reader that loads the slot (acquire) sees every byte of it;
 *   4. an activation claims the chip slot first, then the VIN slot; losing
 *      the VIN race marks the entry DEAD (skipped by every lookup), winning
 *      it makes the entry LIVE.
 * Two processes registering the same chip or VIN at once: exactly one CAS
 * wins the slot, the other finds the winner's entry when it looks at the
 * slot it lost. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "conformance/serve_sec.h"

struct serve_keys {
    uint32_t capacity;
    uint32_t n_slots;             /* power of two, >= 2 * capacity */
    _Atomic uint32_t next;        /* entries handed out, <= capacity */
    _Atomic uint64_t full;        /* registrations refused for want of an entry */
    size_t bytes;
    size_t entries_off, vin_off, chip_off;
};

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static uint32_t slots_for(uint32_t capacity)
{
    uint32_t n = 64;
    while (n < 2 * capacity)
        n *= 2;
    return n;
}

size_t serve_keys_bytes(uint32_t capacity)
{
    size_t n = align64(sizeof(struct serve_keys));
    n += align64((size_t)capacity * sizeof(serve_key_entry));
    n += 2 * align64((size_t)slots_for(capacity) * sizeof(_Atomic uint32_t));
    return n;
}

rs_code serve_keys_create(uint32_t capacity, serve_keys **out, rs_err *err)
{
    *out = NULL;
    if (capacity == 0 || capacity > SERVE_KEYS_MAX_CAPACITY)
        return rs_fail(err, RS_E_OPTION, 0, "registry_size", "the registry holds 1 to 16777216 terminals",
                       (long long)capacity, SERVE_KEYS_MAX_CAPACITY, RS_NUM_DEC);
    size_t bytes = serve_keys_bytes(capacity);
    /* Zero-filled: every slot empty, every entry FREE.  Untouched pages
     * cost nothing, so a large capacity is cheap until it is used. */
    void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return rs_fail(err, RS_E_IO, 0, "registry", "the shared key registry can be mapped", errno, 0,
                       RS_NUM_GOT_ONLY);
    serve_keys *k = base;
    k->capacity = capacity;
    k->n_slots = slots_for(capacity);
    k->bytes = bytes;
    k->entries_off = align64(sizeof *k);
    k->vin_off = k->entries_off + align64((size_t)capacity * sizeof(serve_key_entry));
    k->chip_off = k->vin_off + align64((size_t)k->n_slots * sizeof(_Atomic uint32_t));
    atomic_init(&k->next, 0);
    atomic_init(&k->full, 0);
    *out = k;
    return RS_OK;
}

void serve_keys_destroy(serve_keys *k)
{
    if (k)
        munmap(k, k->bytes);
}

static serve_key_entry *entry(const serve_keys *k, uint32_t i)
{
    return (serve_key_entry *)((char *)k + k->entries_off) + i;
}

static _Atomic uint32_t *vin_slots(const serve_keys *k) { return (_Atomic uint32_t *)((char *)k + k->vin_off); }
static _Atomic uint32_t *chip_slots(const serve_keys *k) { return (_Atomic uint32_t *)((char *)k + k->chip_off); }

static uint32_t hash(const uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t h = 2166136261u ^ seed; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h ^ (h >> 15);
}

static uint32_t state_of(const serve_key_entry *e)
{
    return atomic_load_explicit(&((serve_key_entry *)e)->state, memory_order_acquire);
}

static bool matches(const serve_key_entry *e, bool by_chip, const uint8_t *key)
{
    if (by_chip)
        return e->has_chip && !memcmp(e->chip, key, RS_CHIP_ID_LEN);
    return !memcmp(e->vin, key, RS_VIN_LEN);
}

/* The first entry in an index that matches and is in one of the states
 * wanted (bit mask of 1 << state), or NULL. */
static const serve_key_entry *lookup(const serve_keys *k, bool by_chip, const uint8_t *key, unsigned states)
{
    _Atomic uint32_t *slots = by_chip ? chip_slots(k) : vin_slots(k);
    uint32_t mask = k->n_slots - 1;
    uint32_t i = hash(key, by_chip ? RS_CHIP_ID_LEN : RS_VIN_LEN, by_chip) & mask;
    for (uint32_t n = 0; n < k->n_slots; n++, i = (i + 1) & mask) {
        uint32_t v = atomic_load_explicit(&slots[i], memory_order_acquire);
        if (v == 0)
            return NULL;
        const serve_key_entry *e = entry(k, v - 1);
        if (matches(e, by_chip, key) && (states >> state_of(e) & 1u))
            return e;
    }
    return NULL;
}

const serve_key_entry *serve_keys_find_vin(const serve_keys *k, const uint8_t vin[RS_VIN_LEN])
{
    return k ? lookup(k, false, vin, 1u << SERVE_KEY_LIVE) : NULL;
}

const serve_key_entry *serve_keys_find_chip(const serve_keys *k, const uint8_t chip[RS_CHIP_ID_LEN])
{
    return k ? lookup(k, true, chip, 1u << SERVE_KEY_PENDING | 1u << SERVE_KEY_LIVE) : NULL;
}

/* Puts entry `mine` into an index, unless a live or pending entry with the
 * same key is there: then returns that one.  NULL: inserted. */
static const serve_key_entry *claim(serve_keys *k, bool by_chip, const uint8_t *key, uint32_t mine)
{
    _Atomic uint32_t *slots = by_chip ? chip_slots(k) : vin_slots(k);
    uint32_t mask = k->n_slots - 1;
    uint32_t i = hash(key, by_chip ? RS_CHIP_ID_LEN : RS_VIN_LEN, by_chip) & mask;
    for (uint32_t n = 0; n < k->n_slots; n++, i = (i + 1) & mask) {
        uint32_t v = atomic_load_explicit(&slots[i], memory_order_acquire);
        if (v == 0) {
            uint32_t want = 0;
            if (atomic_compare_exchange_strong_explicit(&slots[i], &want, mine + 1, memory_order_acq_rel,
                                                        memory_order_acquire))
                return NULL;
            v = want; /* another process took this slot first: look at its entry */
        }
        const serve_key_entry *e = entry(k, v - 1);
        uint32_t s = state_of(e);
        if (matches(e, by_chip, key) && (s == SERVE_KEY_PENDING || s == SERVE_KEY_LIVE))
            return e;
    }
    /* Every slot taken: cannot happen with twice as many slots as entries. */
    return entry(k, mine);
}

/* An unused entry, or UINT32_MAX when the registry is full. */
static uint32_t take_entry(serve_keys *k)
{
    uint32_t n = atomic_load_explicit(&k->next, memory_order_relaxed);
    do {
        if (n >= k->capacity)
            return UINT32_MAX;
    } while (!atomic_compare_exchange_weak_explicit(&k->next, &n, n + 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    return n;
}

/* The VIN is held by `e`.  When `e` holds our chip too, this is the same
 * terminal registering twice: say CHIP_TAKEN, as the chip lookup would
 * have, had the other process published its entry a moment earlier.
 * Without this the answer to a repeated activation raced on two workers
 * would depend on timing (already activated, or VIN error). */
static serve_keys_add_result vin_taken(const serve_key_entry *e, const uint8_t *chip)
{
    if (chip && matches(e, true, chip))
        return SERVE_KEYS_CHIP_TAKEN;
    return SERVE_KEYS_VIN_TAKEN;
}

serve_keys_add_result serve_keys_add(serve_keys *k, const uint8_t vin[RS_VIN_LEN], const uint8_t *chip,
                                     const rs_sm2_key *key, const rs_time *act_time, int64_t now_ms, uint8_t source,
                                     const serve_key_entry **existing)
{
    const serve_key_entry *dummy;
    if (!existing)
        existing = &dummy;
    *existing = NULL;
    /* Look first, so a repeated activation costs no entry. */
    if (chip && (*existing = serve_keys_find_chip(k, chip)))
        return SERVE_KEYS_CHIP_TAKEN;
    if ((*existing = lookup(k, false, vin, 1u << SERVE_KEY_PENDING | 1u << SERVE_KEY_LIVE)))
        return vin_taken(*existing, chip);
    uint32_t idx = take_entry(k);
    if (idx == UINT32_MAX) {
        atomic_fetch_add_explicit(&k->full, 1, memory_order_relaxed);
        return SERVE_KEYS_FULL;
    }
    serve_key_entry *e = entry(k, idx);
    e->source = source;
    e->has_chip = chip != NULL;
    memcpy(e->vin, vin, RS_VIN_LEN);
    if (chip)
        memcpy(e->chip, chip, RS_CHIP_ID_LEN);
    e->registered_ms = now_ms;
    if (act_time)
        e->act_time = *act_time;
    e->key = *key;
    atomic_store_explicit(&e->state, SERVE_KEY_PENDING, memory_order_relaxed);
    /* The claims below publish the entry (release). */
    if (chip && (*existing = claim(k, true, chip, idx))) {
        atomic_store_explicit(&e->state, SERVE_KEY_DEAD, memory_order_release);
        return SERVE_KEYS_CHIP_TAKEN;
    }
    if ((*existing = claim(k, false, vin, idx))) {
        atomic_store_explicit(&e->state, SERVE_KEY_DEAD, memory_order_release);
        return vin_taken(*existing, chip);
    }
    atomic_store_explicit(&e->state, SERVE_KEY_LIVE, memory_order_release);
    return SERVE_KEYS_ADDED;
}

void serve_keys_stats_get(const serve_keys *k, serve_keys_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!k)
        return;
    s->capacity = k->capacity;
    s->bytes = k->bytes;
    s->full = atomic_load_explicit(&((serve_keys *)k)->full, memory_order_relaxed);
    uint32_t n = atomic_load_explicit(&((serve_keys *)k)->next, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        const serve_key_entry *e = entry(k, i);
        uint32_t st = state_of(e);
        if (st == SERVE_KEY_LIVE) {
            s->live++;
            if (e->source == SERVE_KEY_PREREGISTERED)
                s->preregistered++;
        } else if (st == SERVE_KEY_DEAD) {
            s->dead++;
        }
    }
}
