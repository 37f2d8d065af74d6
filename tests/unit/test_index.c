/* The open-addressing index (remsim/index.h): every entry put in is found
 * again after the table grows, misses end at an empty slot, and probing
 * wraps around the end of the table, also when every key collides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "remsim/index.h"

typedef struct table {
    uint32_t *keys;
    uint32_t n;
    uint32_t (*hash)(uint32_t key);
    rs_index ix;
} table;

static uint32_t spread(uint32_t key) { return rs_hash_bytes(&key, sizeof key); }
static uint32_t collide(uint32_t key) { return (void)key, 0xFFFFFFFFu; } /* the last slot: probing wraps at once */

static uint32_t entry_hash(const void *ctx, uint32_t i)
{
    const table *t = ctx;
    return t->hash(t->keys[i]);
}

/* The position of key, or UINT32_MAX. */
static uint32_t find(const table *t, uint32_t key)
{
    uint32_t *s = rs_index_probe(&t->ix, t->hash(key));
    for (; s && *s; s = rs_index_step(&t->ix, s))
        if (t->keys[*s - 1] == key)
            return *s - 1;
    return UINT32_MAX;
}

static void add(table *t, uint32_t key)
{
    assert_true(rs_index_reserve(&t->ix, t->n, entry_hash, t));
    uint32_t *s = rs_index_probe(&t->ix, t->hash(key));
    for (; *s; s = rs_index_step(&t->ix, s))
        assert_true(t->keys[*s - 1] != key); /* the test adds each key once */
    t->keys[t->n] = key;
    *s = ++t->n;
}

static void fill_and_check(uint32_t (*hash)(uint32_t), uint32_t n)
{
    table t = { calloc(n, sizeof(uint32_t)), 0, hash, { NULL, 0 } };
    assert_non_null(t.keys);
    assert_int_equal(find(&t, 7), UINT32_MAX); /* empty, never reserved */
    for (uint32_t i = 0; i < n; i++) {
        add(&t, i * 7919u + 3);
        assert_true((uint64_t)t.n * 2 <= t.ix.cap); /* at most half full */
    }
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(find(&t, i * 7919u + 3), i);
    assert_int_equal(find(&t, 5), UINT32_MAX);  /* not a key: 5 != i * 7919 + 3 for i < n */
    assert_int_equal(rs_index_bytes(&t.ix), (size_t)t.ix.cap * sizeof(uint32_t));
    rs_index_free(&t.ix);
    assert_int_equal(t.ix.cap, 0);
    free(t.keys);
}

static void test_many_keys(void **state)
{
    (void)state;
    fill_and_check(spread, 20000);
}

static void test_all_collide(void **state)
{
    (void)state;
    fill_and_check(collide, 300);
}

static void test_reserve_is_idempotent(void **state)
{
    (void)state;
    table t = { NULL, 0, spread, { NULL, 0 } };
    assert_true(rs_index_reserve(&t.ix, 0, entry_hash, &t));
    assert_int_equal(t.ix.cap, 64);
    uint32_t *before = t.ix.slot;
    assert_true(rs_index_reserve(&t.ix, 31, entry_hash, &t)); /* 32 entries fit 64 slots: no growth */
    assert_ptr_equal(t.ix.slot, before);
    rs_index_free(&t.ix);
}

static void test_hash_bytes(void **state)
{
    (void)state;
    /* FNV-1a reference values */
    assert_int_equal(rs_hash_bytes("", 0), 2166136261u);
    assert_int_equal(rs_hash_bytes("a", 1), 0xE40C292Cu);
    assert_int_equal(rs_hash_bytes("foobar", 6), 0xBF9CF968u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_all_collide),
        cmocka_unit_test(test_reserve_is_idempotent),
        cmocka_unit_test(test_hash_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
