/* Helpers shared by the cmocka suites (header-only: each suite is one binary).
 *
 * Shared data (../shared) is never copied into the project: suites find it
 * at $REMSIM_SHARED or ../shared and skip, saying so, when it is absent. */
#ifndef REMSIM_TESTUTIL_H
#define REMSIM_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

/* Path of a file under shared/, or NULL when shared/ is not there. */
static inline const char *rs_test_shared(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("REMSIM_SHARED");
    if (!root || !*root)
        root = "../shared";
    snprintf(buf, cap, "%s/%s", root, rel);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

/* Skips the current test with a message naming what is missing. */
#define RS_REQUIRE_SHARED(var, rel)                                                         \
    char var##_buf[1024];                                                                   \
    const char *var = rs_test_shared(rel, var##_buf, sizeof var##_buf);                      \
    if (!var) {                                                                             \
        print_message("skipped: shared data '%s' not found (set REMSIM_SHARED or put shared/ " \
                      "beside the project)\n", rel);                                        \
        skip();                                                                             \
    }

/* Reads a whole file; returns malloc'd bytes (caller frees) or NULL. */
static inline uint8_t *rs_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = 0;
        *len = (size_t)n;
    }
    return p;
}

#endif
