/* A small streaming JSON writer.
 *
 * Values go straight to a FILE* or into a caller buffer; nothing is
 * allocated.  The writer inserts commas, colons and (in pretty mode)
 * newlines and indentation itself, so callers only say what comes next.
 *
 * Output is always valid UTF-8, whatever the input bytes:
 *   - rs_json_str() takes UTF-8 text (program strings, rule texts with "§");
 *     valid sequences are copied as they are (people read them), invalid
 *     bytes become \u00XX (read as Latin-1).
 *   - rs_json_bytes() takes bytes from a frame (VIN, CALID, ...), which are
 *     ASCII or GB 18030, never UTF-8 by contract: every byte outside
 *     printable ASCII becomes \u00XX, so the exact bytes can be recovered.
 *
 * Errors are sticky: after the first one nothing more is written and
 * rs_json_status() reports it.  In buffer mode the text is NUL-terminated
 * and is never cut inside an escape; when it did not fit, status is
 * RS_E_SPACE and 'got' says how many bytes (with the NUL) were needed. */
#ifndef REMSIM_JSON_H
#define REMSIM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "remsim/error.h"

#define RS_JSON_MAX_DEPTH 32

typedef struct rs_json {
    FILE *fp;                 /* file mode when not NULL */
    char *buf;                /* buffer mode */
    size_t cap;
    size_t len;               /* bytes produced (also those that did not fit) */
    bool pretty;
    bool full;                /* buffer mode: a chunk did not fit, stop writing */
    bool after_key;           /* the next value belongs to the key just written */
    bool done;                /* a top-level value is complete */
    uint8_t depth;
    uint8_t flat;             /* pretty: containers this deep and deeper stay on one line (0: none) */
    rs_code code;             /* first error, RS_OK while none */
    int io_errno;             /* errno of a failed write */
    uint8_t kind[RS_JSON_MAX_DEPTH];   /* '{' or '[' per open container */
    bool used[RS_JSON_MAX_DEPTH];      /* the container already has a member */
} rs_json;

/* Compact output is one line with no spaces; pretty output indents by two
 * spaces.  Neither writes a newline after the top-level value: JSON Lines
 * writers add it with rs_json_newline(). */
void rs_json_init_file(rs_json *j, FILE *fp, bool pretty);
void rs_json_init_buf(rs_json *j, char *buf, size_t cap, bool pretty);

/* Starts the next top-level value: a newline, and the state is reset so a
 * second document can follow in the same stream. */
void rs_json_newline(rs_json *j);

/* Pretty mode: the next value, an object or array with all it holds, is
 * written on one line (a table row, a pair of numbers).  No effect in
 * compact mode or inside such a line already. */
void rs_json_inline_next(rs_json *j);

void rs_json_obj_begin(rs_json *j);
void rs_json_obj_end(rs_json *j);
void rs_json_arr_begin(rs_json *j);
void rs_json_arr_end(rs_json *j);

/* A key inside an object; the next call writes its value. */
void rs_json_key(rs_json *j, const char *key);

void rs_json_str(rs_json *j, const char *s);              /* UTF-8 text, NULL -> null */
void rs_json_strn(rs_json *j, const char *s, size_t n);   /* UTF-8 text of n bytes */
void rs_json_bytes(rs_json *j, const uint8_t *p, size_t n); /* frame bytes as text */
void rs_json_hex(rs_json *j, const uint8_t *p, size_t n); /* "23230102": upper case */
void rs_json_int(rs_json *j, long long v);
void rs_json_uint(rs_json *j, unsigned long long v);
/* decimals 0..17 after the point, trailing zeros trimmed ("65.5", "100");
 * NaN and infinities are written as null (JSON has no such numbers). */
void rs_json_double(rs_json *j, double v, int decimals);
void rs_json_bool(rs_json *j, bool v);
void rs_json_null(rs_json *j);

/* key + value in one call, for the common case. */
void rs_json_kstr(rs_json *j, const char *key, const char *s);
void rs_json_kint(rs_json *j, const char *key, long long v);
void rs_json_kuint(rs_json *j, const char *key, unsigned long long v);
void rs_json_kbool(rs_json *j, const char *key, bool v);
void rs_json_khex(rs_json *j, const char *key, const uint8_t *p, size_t n);
void rs_json_kbytes(rs_json *j, const char *key, const uint8_t *p, size_t n);
void rs_json_kdouble(rs_json *j, const char *key, double v, int decimals);

/* RS_OK; RS_E_SPACE (buffer too small: got = bytes needed with the NUL,
 * want = capacity);
 * RS_E_IO (write failed: got = errno); RS_E_SYNTAX (calls out of order, e.g.
 * a value in an object without a key); RS_E_LIMIT (nesting deeper than
 * RS_JSON_MAX_DEPTH).  Also flushes a FILE. */
rs_code rs_json_status(rs_json *j, rs_err *err);

/* Length of the text produced so far (buffer mode: may exceed cap - 1). */
static inline size_t rs_json_len(const rs_json *j) { return j->len; }

/* Length of the valid UTF-8 sequence at p[0..n) (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
size_t rs_utf8_len(const unsigned char *p, size_t n);

#endif
