/* Streaming JSON writer (json.h). */
#include "remsim/json.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void set_code(rs_json *j, rs_code code)
{
    if (j->code == RS_OK)
        j->code = code;
}

/* Every byte goes through here.  A chunk is written whole or not at all,
 * so a buffer that runs full is never cut inside an escape or a UTF-8
 * sequence; len keeps counting so the caller learns the size needed. */
static void put(rs_json *j, const char *s, size_t n)
{
    if (j->code != RS_OK || n == 0)
        return;
    if (j->fp) {
        if (fwrite(s, 1, n, j->fp) != n) {
            j->io_errno = errno;
            set_code(j, RS_E_IO);
            return;
        }
    } else if (!j->full) {
        if (j->len + n < j->cap) {
            memcpy(j->buf + j->len, s, n);
            j->buf[j->len + n] = '\0';
        } else {
            j->full = true;
        }
    }
    j->len += n;
}

static void init(rs_json *j, bool pretty)
{
    memset(j, 0, sizeof *j);
    j->pretty = pretty;
}

void rs_json_init_file(rs_json *j, FILE *fp, bool pretty)
{
    init(j, pretty);
    j->fp = fp;
}

void rs_json_init_buf(rs_json *j, char *buf, size_t cap, bool pretty)
{
    init(j, pretty);
    j->buf = buf;
    j->cap = buf ? cap : 0;
    if (j->cap > 0)
        buf[0] = '\0';
}

static void indent(rs_json *j, unsigned depth)
{
    static const char spaces[] = "                                ";
    put(j, "\n", 1);
    for (size_t n = 2u * depth; n > 0;) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        put(j, spaces, k);
        n -= k;
    }
}

/* Comma and (pretty) line break before a member of the open container. */
static void separator(rs_json *j)
{
    if (j->used[j->depth - 1])
        put(j, ",", 1);
    j->used[j->depth - 1] = true;
    if (j->pretty && !(j->flat && j->depth >= j->flat))
        indent(j, j->depth);
}

/* Checks that a value may come now and writes what precedes it. */
static bool before_value(rs_json *j)
{
    if (j->code != RS_OK)
        return false;
    if (j->depth == 0) {
        if (j->done) {          /* two top-level values would run together */
            set_code(j, RS_E_SYNTAX);
            return false;
        }
        return true;
    }
    if (j->after_key) {
        j->after_key = false;
        return true;
    }
    if (j->kind[j->depth - 1] == '{') { /* object member without a key */
        set_code(j, RS_E_SYNTAX);
        return false;
    }
    separator(j);
    return true;
}

static void after_value(rs_json *j)
{
    if (j->depth == 0)
        j->done = true;
}

void rs_json_newline(rs_json *j)
{
    if (j->code != RS_OK)
        return;
    if (j->depth != 0 || j->after_key) {
        set_code(j, RS_E_SYNTAX);
        return;
    }
    put(j, "\n", 1);
    j->done = false;
}

static void begin(rs_json *j, char kind)
{
    if (!before_value(j))
        return;
    if (j->depth >= RS_JSON_MAX_DEPTH) {
        set_code(j, RS_E_LIMIT);
        return;
    }
    j->kind[j->depth] = (uint8_t)kind;
    j->used[j->depth] = false;
    j->depth++;
    put(j, &kind, 1);
}

static void end(rs_json *j, char kind, char close)
{
    if (j->code != RS_OK)
        return;
    if (j->depth == 0 || j->kind[j->depth - 1] != (uint8_t)kind || j->after_key) {
        set_code(j, RS_E_SYNTAX);
        return;
    }
    if (j->pretty && j->used[j->depth - 1] && !(j->flat && j->depth >= j->flat))
        indent(j, j->depth - 1u);
    j->depth--;
    if (j->depth < j->flat)   /* the one-line container is closed */
        j->flat = 0;
    put(j, &close, 1);
    after_value(j);
}

void rs_json_inline_next(rs_json *j)
{
    if (j->pretty && !j->flat && j->depth < RS_JSON_MAX_DEPTH)
        j->flat = (uint8_t)(j->depth + 1);
}

void rs_json_obj_begin(rs_json *j) { begin(j, '{'); }
void rs_json_obj_end(rs_json *j) { end(j, '{', '}'); }
void rs_json_arr_begin(rs_json *j) { begin(j, '['); }
void rs_json_arr_end(rs_json *j) { end(j, '[', ']'); }

/* Length of the valid UTF-8 sequence at p, or 0 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
size_t rs_utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;   /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

/* Escape for one byte that cannot be written as it is; returns its length. */
static size_t escape(unsigned char c, char out[8])
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': memcpy(out, "\\\"", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '\b': memcpy(out, "\\b", 2); return 2;
    case '\f': memcpy(out, "\\f", 2); return 2;
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    default:
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
}

/* The body of a JSON string.  utf8: copy valid UTF-8 sequences; otherwise
 * every byte >= 0x80 is escaped on its own. */
static void string_body(rs_json *j, const unsigned char *p, size_t n, bool utf8)
{
    size_t run = 0;   /* start of the pending stretch copied as it is */
    size_t i = 0;
    put(j, "\"", 1);
    while (i < n) {
        unsigned char c = p[i];
        size_t seq = 0;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            seq = 1;
        else if (c >= 0x80 && utf8)
            seq = rs_utf8_len(p + i, n - i);
        if (seq > 0) {
            i += seq;
            continue;
        }
        char e[8];
        put(j, (const char *)p + run, i - run);
        put(j, e, escape(c, e));
        run = ++i;
    }
    put(j, (const char *)p + run, n - run);
    put(j, "\"", 1);
}

void rs_json_key(rs_json *j, const char *key)
{
    if (j->code != RS_OK)
        return;
    if (j->depth == 0 || j->kind[j->depth - 1] != '{' || j->after_key || !key) {
        set_code(j, RS_E_SYNTAX);
        return;
    }
    separator(j);
    string_body(j, (const unsigned char *)key, strlen(key), true);
    put(j, ": ", j->pretty && !(j->flat && j->depth >= j->flat) ? 2 : 1);
    j->after_key = true;
}

void rs_json_strn(rs_json *j, const char *s, size_t n)
{
    if (!before_value(j))
        return;
    string_body(j, (const unsigned char *)s, n, true);
    after_value(j);
}

void rs_json_str(rs_json *j, const char *s)
{
    if (!s)
        rs_json_null(j);
    else
        rs_json_strn(j, s, strlen(s));
}

void rs_json_bytes(rs_json *j, const uint8_t *p, size_t n)
{
    if (!before_value(j))
        return;
    string_body(j, p, n, false);
    after_value(j);
}

void rs_json_hex(rs_json *j, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char chunk[64];
    if (!before_value(j))
        return;
    put(j, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k < sizeof chunk; i++) {
            chunk[k++] = hex[p[i] >> 4];
            chunk[k++] = hex[p[i] & 15];
        }
        put(j, chunk, k);
    }
    put(j, "\"", 1);
    after_value(j);
}

static void number(rs_json *j, const char *text)
{
    if (!before_value(j))
        return;
    put(j, text, strlen(text));
    after_value(j);
}

void rs_json_int(rs_json *j, long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", v);
    number(j, t);
}

void rs_json_uint(rs_json *j, unsigned long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%llu", v);
    number(j, t);
}

void rs_json_double(rs_json *j, double v, int decimals)
{
    char t[64];
    if (!isfinite(v)) {
        rs_json_null(j);
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 17)
        decimals = 17;
    /* %f of a huge number has hundreds of digits; %g keeps it short and is
     * still a JSON number ("1e+20"). */
    if (fabs(v) >= 1e15) {
        snprintf(t, sizeof t, "%.17g", v);
    } else {
        snprintf(t, sizeof t, "%.*f", decimals, v);
        if (strchr(t, '.')) {
            size_t n = strlen(t);
            while (t[n - 1] == '0')
                t[--n] = '\0';
            if (t[n - 1] == '.')
                t[--n] = '\0';
        }
        if (strcmp(t, "-0") == 0)   /* -0.0001 at 2 decimals */
            strcpy(t, "0");
    }
    number(j, t);
}

void rs_json_bool(rs_json *j, bool v) { number(j, v ? "true" : "false"); }
void rs_json_null(rs_json *j) { number(j, "null"); }

void rs_json_kstr(rs_json *j, const char *key, const char *s) { rs_json_key(j, key); rs_json_str(j, s); }
void rs_json_kint(rs_json *j, const char *key, long long v) { rs_json_key(j, key); rs_json_int(j, v); }
void rs_json_kuint(rs_json *j, const char *key, unsigned long long v) { rs_json_key(j, key); rs_json_uint(j, v); }
void rs_json_kbool(rs_json *j, const char *key, bool v) { rs_json_key(j, key); rs_json_bool(j, v); }

void rs_json_kdouble(rs_json *j, const char *key, double v, int decimals)
{
    rs_json_key(j, key);
    rs_json_double(j, v, decimals);
}

void rs_json_khex(rs_json *j, const char *key, const uint8_t *p, size_t n)
{
    rs_json_key(j, key);
    rs_json_hex(j, p, n);
}

void rs_json_kbytes(rs_json *j, const char *key, const uint8_t *p, size_t n)
{
    rs_json_key(j, key);
    rs_json_bytes(j, p, n);
}

rs_code rs_json_status(rs_json *j, rs_err *err)
{
    if (j->fp && j->code == RS_OK && (fflush(j->fp) != 0 || ferror(j->fp))) {
        j->io_errno = errno;
        set_code(j, RS_E_IO);
    }
    switch (j->code) {
    case RS_OK:
        break;
    case RS_E_IO:
        return rs_fail(err, RS_E_IO, j->len, "json", "output written completely", j->io_errno, 0,
                       RS_NUM_GOT_ONLY);
    case RS_E_LIMIT:
        return rs_fail(err, RS_E_LIMIT, j->len, "json", "nesting at most RS_JSON_MAX_DEPTH deep",
                       j->depth, RS_JSON_MAX_DEPTH, RS_NUM_DEC);
    default:
        return rs_fail(err, j->code, j->len, "json",
                       "calls in JSON order: key before each object member, ends match begins",
                       0, 0, RS_NUM_NONE);
    }
    if (j->full)
        return rs_fail(err, RS_E_SPACE, j->len, "json", "output fits the buffer (with its NUL)",
                       (long long)j->len + 1, (long long)j->cap, RS_NUM_DEC);
    return RS_OK;
}
