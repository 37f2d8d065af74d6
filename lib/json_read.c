/* Strict JSON reader (json_read.h): one recursive-descent pass that fills a
 * flat node array.  Recursion is bounded by RS_JR_MAX_DEPTH. */
#include "remsim/json_read.h"
#include "remsim/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    rs_jr_doc *d;
    const unsigned char *p;
    size_t len;
    size_t pos;
    rs_err *err;
} parser;

static rs_code syntax(parser *ps, size_t at, const char *rule)
{
    long long got = at < ps->len ? ps->p[at] : 0;
    return rs_fail(ps->err, RS_E_SYNTAX, at, "json", rule, got, 0, at < ps->len ? RS_NUM_CHAR : RS_NUM_NONE);
}

static void skip_ws(parser *ps)
{
    while (ps->pos < ps->len) {
        unsigned char c = ps->p[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ps->pos++;
    }
}

/* A new node at the end of the array, or RS_JR_NONE with the error set. */
static uint32_t new_node(parser *ps, rs_jr_type type)
{
    rs_jr_doc *d = ps->d;
    if (d->n == d->cap) {
        size_t want = d->cap ? 2u * (size_t)d->cap : 256u;
        if (want > d->max)
            want = d->max;
        if (!d->owned || want <= d->cap) {
            rs_fail(ps->err, RS_E_LIMIT, ps->pos, "json", "at most the node limit of values and keys",
                    (long long)d->n + 1, (long long)d->cap, RS_NUM_DEC);
            return RS_JR_NONE;
        }
        rs_jr_node *nn = realloc(d->nodes, want * sizeof *nn);
        if (!nn) {
            rs_fail(ps->err, RS_E_LIMIT, ps->pos, "json", "memory for the parsed nodes", (long long)want, 0,
                    RS_NUM_GOT_ONLY);
            return RS_JR_NONE;
        }
        d->nodes = nn;
        d->cap = (uint32_t)want;
    }
    uint32_t i = d->n++;
    rs_jr_node *n = &d->nodes[i];
    n->start = (uint32_t)ps->pos;
    n->len = 0;
    n->end = i + 1;
    n->count = 0;
    n->type = (uint8_t)type;
    return i;
}


static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], x;
        if (c >= '0' && c <= '9')
            x = c - '0';
        else if (c >= 'a' && c <= 'f')
            x = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            x = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + x;
    }
    return v;
}

/* Checks a string starting at the opening quote; leaves pos after the
 * closing one. */
static rs_code scan_string(parser *ps)
{
    size_t i = ps->pos + 1;
    for (;;) {
        if (i >= ps->len)
            return syntax(ps, ps->pos, "a string ends with '\"' before the end of the text (RFC 8259 §7)");
        unsigned char c = ps->p[i];
        if (c == '"') {
            ps->pos = i + 1;
            return RS_OK;
        }
        if (c < 0x20)
            return syntax(ps, i, "control characters in strings are escaped (RFC 8259 §7)");
        if (c >= 0x80) {
            size_t k = rs_utf8_len(ps->p + i, ps->len - i);
            if (!k)
                return syntax(ps, i, "strings are valid UTF-8 (RFC 8259 §8.1)");
            i += k;
            continue;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= ps->len)
            return syntax(ps, i, "an escape is complete (RFC 8259 §7)");
        c = ps->p[i + 1];
        if (strchr("\"\\/bfnrt", c) && c) {
            i += 2;
            continue;
        }
        if (c != 'u')
            return syntax(ps, i + 1, "escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX (RFC 8259 §7)");
        int u = i + 6 <= ps->len ? hex4(ps->p + i + 2) : -1;
        if (u < 0)
            return syntax(ps, i, "\\u is followed by four hex digits (RFC 8259 §7)");
        if (u >= 0xDC00 && u <= 0xDFFF)
            return syntax(ps, i, "a low surrogate follows a high one (RFC 8259 §7)");
        if (u >= 0xD800 && u <= 0xDBFF) {
            int lo = (i + 12 <= ps->len && ps->p[i + 6] == '\\' && ps->p[i + 7] == 'u') ? hex4(ps->p + i + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return syntax(ps, i, "a high surrogate is followed by a low one (RFC 8259 §7)");
            i += 12;
        } else {
            i += 6;
        }
    }
}

static bool digit(unsigned char c) { return c >= '0' && c <= '9'; }

static rs_code scan_number(parser *ps)
{
    size_t i = ps->pos;
    if (i < ps->len && ps->p[i] == '-')
        i++;
    if (i >= ps->len || !digit(ps->p[i]))
        return syntax(ps, i, "a number has digits after its sign (RFC 8259 §6)");
    if (ps->p[i] == '0') {
        i++;
        if (i < ps->len && digit(ps->p[i]))
            return syntax(ps, i, "no leading zeros in numbers (RFC 8259 §6)");
    } else {
        while (i < ps->len && digit(ps->p[i]))
            i++;
    }
    if (i < ps->len && ps->p[i] == '.') {
        i++;
        if (i >= ps->len || !digit(ps->p[i]))
            return syntax(ps, i, "a decimal point is followed by digits (RFC 8259 §6)");
        while (i < ps->len && digit(ps->p[i]))
            i++;
    }
    if (i < ps->len && (ps->p[i] == 'e' || ps->p[i] == 'E')) {
        i++;
        if (i < ps->len && (ps->p[i] == '+' || ps->p[i] == '-'))
            i++;
        if (i >= ps->len || !digit(ps->p[i]))
            return syntax(ps, i, "an exponent has digits (RFC 8259 §6)");
        while (i < ps->len && digit(ps->p[i]))
            i++;
    }
    ps->pos = i;
    return RS_OK;
}

static rs_code parse_value(parser *ps, unsigned depth);

/* Raw key text (between the quotes) of key node k. */
static bool same_key(const parser *ps, uint32_t a, uint32_t b)
{
    const rs_jr_node *x = &ps->d->nodes[a], *y = &ps->d->nodes[b];
    return x->len == y->len && memcmp(ps->p + x->start, ps->p + y->start, x->len) == 0;
}

static rs_code parse_object(parser *ps, uint32_t self, unsigned depth)
{
    rs_code rc;
    ps->pos++;   /* '{' */
    skip_ws(ps);
    if (ps->pos < ps->len && ps->p[ps->pos] == '}') {
        ps->pos++;
        return RS_OK;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->pos >= ps->len || ps->p[ps->pos] != '"')
            return syntax(ps, ps->pos, "an object member starts with a string key (RFC 8259 §4)");
        if (ps->d->nodes[self].count >= RS_JR_MAX_MEMBERS)
            return rs_fail(ps->err, RS_E_LIMIT, ps->pos, "json", "objects have at most RS_JR_MAX_MEMBERS members",
                           (long long)ps->d->nodes[self].count + 1, RS_JR_MAX_MEMBERS, RS_NUM_DEC);
        uint32_t key = new_node(ps, RS_JR_STRING);
        if (key == RS_JR_NONE)
            return ps->err ? ps->err->code : RS_E_LIMIT;
        size_t kstart = ps->pos;
        if ((rc = scan_string(ps)) != RS_OK)
            return rc;
        ps->d->nodes[key].len = (uint32_t)(ps->pos - kstart);
        /* Duplicate keys: compare with every earlier key of this object. */
        for (uint32_t k = self + 1; k < key; k = ps->d->nodes[k + 1].end)
            if (same_key(ps, k, key))
                return rs_fail(ps->err, RS_E_SYNTAX, kstart, "json", "keys of one object are unique (RFC 8259 §4)",
                               0, 0, RS_NUM_NONE);
        skip_ws(ps);
        if (ps->pos >= ps->len || ps->p[ps->pos] != ':')
            return syntax(ps, ps->pos, "a key is followed by ':' (RFC 8259 §4)");
        ps->pos++;
        skip_ws(ps);
        if ((rc = parse_value(ps, depth + 1)) != RS_OK)
            return rc;
        ps->d->nodes[self].count++;
        skip_ws(ps);
        if (ps->pos < ps->len && ps->p[ps->pos] == ',') {
            ps->pos++;
            continue;
        }
        if (ps->pos < ps->len && ps->p[ps->pos] == '}') {
            ps->pos++;
            return RS_OK;
        }
        return syntax(ps, ps->pos, "object members are separated by ',' and closed by '}' (RFC 8259 §4)");
    }
}

static rs_code parse_array(parser *ps, uint32_t self, unsigned depth)
{
    rs_code rc;
    ps->pos++;   /* '[' */
    skip_ws(ps);
    if (ps->pos < ps->len && ps->p[ps->pos] == ']') {
        ps->pos++;
        return RS_OK;
    }
    for (;;) {
        skip_ws(ps);
        if ((rc = parse_value(ps, depth + 1)) != RS_OK)
            return rc;
        ps->d->nodes[self].count++;
        skip_ws(ps);
        if (ps->pos < ps->len && ps->p[ps->pos] == ',') {
            ps->pos++;
            continue;
        }
        if (ps->pos < ps->len && ps->p[ps->pos] == ']') {
            ps->pos++;
            return RS_OK;
        }
        return syntax(ps, ps->pos, "array elements are separated by ',' and closed by ']' (RFC 8259 §5)");
    }
}

static rs_code literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
        return syntax(ps, ps->pos, "a value: object, array, string, number, true, false or null (RFC 8259 §3)");
    ps->pos += n;
    return RS_OK;
}

static rs_code parse_value(parser *ps, unsigned depth)
{
    if (depth > RS_JR_MAX_DEPTH)
        return rs_fail(ps->err, RS_E_LIMIT, ps->pos, "json", "nesting at most RS_JR_MAX_DEPTH deep",
                       (long long)depth, RS_JR_MAX_DEPTH, RS_NUM_DEC);
    if (ps->pos >= ps->len)
        return syntax(ps, ps->pos, "a value: object, array, string, number, true, false or null (RFC 8259 §3)");
    unsigned char c = ps->p[ps->pos];
    rs_jr_type type;
    switch (c) {
    case '{': type = RS_JR_OBJECT; break;
    case '[': type = RS_JR_ARRAY; break;
    case '"': type = RS_JR_STRING; break;
    case 't': type = RS_JR_TRUE; break;
    case 'f': type = RS_JR_FALSE; break;
    case 'n': type = RS_JR_NULL; break;
    default:
        if (c == '-' || digit(c)) {
            type = RS_JR_NUMBER;
            break;
        }
        return syntax(ps, ps->pos, "a value: object, array, string, number, true, false or null (RFC 8259 §3)");
    }
    uint32_t self = new_node(ps, type);
    if (self == RS_JR_NONE)
        return ps->err ? ps->err->code : RS_E_LIMIT;
    size_t start = ps->pos;
    rs_code rc;
    switch (type) {
    case RS_JR_OBJECT: rc = parse_object(ps, self, depth); break;
    case RS_JR_ARRAY: rc = parse_array(ps, self, depth); break;
    case RS_JR_STRING: rc = scan_string(ps); break;
    case RS_JR_TRUE: rc = literal(ps, "true"); break;
    case RS_JR_FALSE: rc = literal(ps, "false"); break;
    case RS_JR_NULL: rc = literal(ps, "null"); break;
    default: rc = scan_number(ps); break;
    }
    if (rc != RS_OK)
        return rc;
    ps->d->nodes[self].len = (uint32_t)(ps->pos - start);
    ps->d->nodes[self].end = ps->d->n;
    return RS_OK;
}

static rs_code parse(rs_jr_doc *d, const char *text, size_t len, rs_err *err)
{
    rs_err local;
    parser ps = { d, (const unsigned char *)text, len, 0, err ? err : &local };
    d->text = text;
    d->len = len;
    d->n = 0;
    if (len >= UINT32_MAX)
        return rs_fail(ps.err, RS_E_LIMIT, 0, "json", "texts under 4 GiB", 0, 0, RS_NUM_NONE);
    skip_ws(&ps);
    rs_code rc = parse_value(&ps, 1);
    if (rc != RS_OK)
        return rc;
    skip_ws(&ps);
    if (ps.pos != len)
        return syntax(&ps, ps.pos, "one value, then only whitespace (RFC 8259 §2)");
    return RS_OK;
}

rs_code rs_jr_parse(rs_jr_doc *d, const char *text, size_t len, rs_jr_node *nodes, size_t cap, rs_err *err)
{
    memset(d, 0, sizeof *d);
    d->nodes = nodes;
    d->cap = cap > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)cap;
    d->max = d->cap;
    return parse(d, text, len, err);
}

rs_code rs_jr_parse_alloc(rs_jr_doc *d, const char *text, size_t len, size_t max_nodes, rs_err *err)
{
    memset(d, 0, sizeof *d);
    d->owned = true;
    d->max = max_nodes > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)max_nodes;
    return parse(d, text, len, err);
}

void rs_jr_free(rs_jr_doc *d)
{
    if (d->owned)
        free(d->nodes);
    d->nodes = NULL;
    d->n = d->cap = 0;
}

const char *rs_jr_type_name(rs_jr_type t)
{
    switch (t) {
    case RS_JR_NULL: return "null";
    case RS_JR_FALSE: return "false";
    case RS_JR_TRUE: return "true";
    case RS_JR_NUMBER: return "number";
    case RS_JR_STRING: return "string";
    case RS_JR_ARRAY: return "array";
    case RS_JR_OBJECT: return "object";
    }
    return "unknown";
}

/* Decodes string node i.  Writes at most cap-1 bytes plus a NUL when buf is
 * not NULL; returns the full length, or -1 on \u0000. */
static long long unescape(const rs_jr_doc *d, uint32_t i, char *buf, size_t cap)
{
    const unsigned char *p = (const unsigned char *)d->text + d->nodes[i].start + 1;
    size_t n = d->nodes[i].len - 2, out = 0;
    for (size_t k = 0; k < n;) {
        unsigned char tmp[4];
        size_t m = 1;
        if (p[k] != '\\') {
            tmp[0] = p[k++];
        } else {
            unsigned char e = p[k + 1];
            k += 2;
            switch (e) {
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                /* The scan already checked digits and surrogate pairs. */
                unsigned long u = (unsigned long)hex4(p + k);
                k += 4;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned long lo = (unsigned long)hex4(p + k + 2);
                    k += 6;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (u == 0)
                    return -1;
                if (u < 0x80) {
                    tmp[0] = (unsigned char)u;
                } else if (u < 0x800) {
                    tmp[0] = (unsigned char)(0xC0 | (u >> 6));
                    tmp[1] = (unsigned char)(0x80 | (u & 0x3F));
                    m = 2;
                } else if (u < 0x10000) {
                    tmp[0] = (unsigned char)(0xE0 | (u >> 12));
                    tmp[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
                    tmp[2] = (unsigned char)(0x80 | (u & 0x3F));
                    m = 3;
                } else {
                    tmp[0] = (unsigned char)(0xF0 | (u >> 18));
                    tmp[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
                    tmp[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
                    tmp[3] = (unsigned char)(0x80 | (u & 0x3F));
                    m = 4;
                }
                break;
            }
            default: tmp[0] = e; break;   /* " \ / */
            }
        }
        if (buf && out + m < cap)
            memcpy(buf + out, tmp, m);
        out += m;
    }
    if (buf && cap > 0)
        buf[out < cap ? out : cap - 1] = '\0';
    return (long long)out;
}

bool rs_jr_str_eq(const rs_jr_doc *d, uint32_t i, const char *s)
{
    if (i >= d->n || d->nodes[i].type != RS_JR_STRING)
        return false;
    const char *raw = d->text + d->nodes[i].start + 1;
    size_t rn = d->nodes[i].len - 2, sn = strlen(s);
    if (!memchr(raw, '\\', rn))
        return rn == sn && memcmp(raw, s, sn) == 0;
    char buf[256];
    long long n = unescape(d, i, buf, sizeof buf);
    return n >= 0 && (size_t)n == sn && (size_t)n < sizeof buf && memcmp(buf, s, sn) == 0;
}

uint32_t rs_jr_get(const rs_jr_doc *d, uint32_t obj, const char *key)
{
    if (obj >= d->n || d->nodes[obj].type != RS_JR_OBJECT)
        return RS_JR_NONE;
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < d->nodes[obj].count; m++, k = d->nodes[k + 1].end)
        if (rs_jr_str_eq(d, k, key))
            return k + 1;
    return RS_JR_NONE;
}

static rs_code wrong_type(const rs_jr_doc *d, uint32_t i, const char *field, const char *rule, rs_err *err)
{
    size_t at = i < d->n ? d->nodes[i].start : d->len;
    return rs_fail(err, RS_E_SYNTAX, at, field, rule, 0, 0, RS_NUM_NONE);
}

rs_code rs_jr_u64(const rs_jr_doc *d, uint32_t i, const char *field, uint64_t *out, rs_err *err)
{
    if (i >= d->n || d->nodes[i].type != RS_JR_NUMBER)
        return wrong_type(d, i, field, "an unsigned integer (a JSON number)", err);
    const char *p = d->text + d->nodes[i].start;
    uint64_t v = 0;
    for (uint32_t k = 0; k < d->nodes[i].len; k++) {
        if (!digit((unsigned char)p[k]))
            return wrong_type(d, i, field, "an unsigned integer: digits only, no sign, fraction or exponent", err);
        unsigned dg = (unsigned)(p[k] - '0');
        if (v > (UINT64_MAX - dg) / 10)
            return wrong_type(d, i, field, "an unsigned integer below 2^64", err);
        v = v * 10 + dg;
    }
    *out = v;
    return RS_OK;
}

rs_code rs_jr_i64(const rs_jr_doc *d, uint32_t i, const char *field, int64_t *out, rs_err *err)
{
    if (i >= d->n || d->nodes[i].type != RS_JR_NUMBER)
        return wrong_type(d, i, field, "an integer (a JSON number)", err);
    const char *p = d->text + d->nodes[i].start;
    uint32_t n = d->nodes[i].len, k = 0;
    bool neg = p[0] == '-';
    if (neg)
        k = 1;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; k < n; k++) {
        if (!digit((unsigned char)p[k]))
            return wrong_type(d, i, field, "an integer: no fraction or exponent", err);
        unsigned dg = (unsigned)(p[k] - '0');
        if (v > (lim - dg) / 10)
            return wrong_type(d, i, field, "an integer that fits 64 bits", err);
        v = v * 10 + dg;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return RS_OK;
}

rs_code rs_jr_double(const rs_jr_doc *d, uint32_t i, const char *field, double *out, rs_err *err)
{
    if (i >= d->n || d->nodes[i].type != RS_JR_NUMBER)
        return wrong_type(d, i, field, "a number", err);
    char buf[64];
    uint32_t n = d->nodes[i].len;
    if (n >= sizeof buf)
        return wrong_type(d, i, field, "a number of at most 63 characters", err);
    memcpy(buf, d->text + d->nodes[i].start, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return wrong_type(d, i, field, "a number inside the range of a double", err);
    *out = v;
    return RS_OK;
}

rs_code rs_jr_bool(const rs_jr_doc *d, uint32_t i, const char *field, bool *out, rs_err *err)
{
    if (i >= d->n || (d->nodes[i].type != RS_JR_TRUE && d->nodes[i].type != RS_JR_FALSE))
        return wrong_type(d, i, field, "true or false", err);
    *out = d->nodes[i].type == RS_JR_TRUE;
    return RS_OK;
}

rs_code rs_jr_str(const rs_jr_doc *d, uint32_t i, const char *field, char *buf, size_t cap, size_t *n,
                  rs_err *err)
{
    if (i >= d->n || d->nodes[i].type != RS_JR_STRING)
        return wrong_type(d, i, field, "a string", err);
    long long len = unescape(d, i, buf, cap);
    if (len < 0)
        return wrong_type(d, i, field, "a string without \\u0000", err);
    if (n)
        *n = (size_t)len;
    if ((size_t)len >= cap)
        return rs_fail(err, RS_E_SPACE, d->nodes[i].start, field, "a string that fits its buffer (with its NUL)",
                       len + 1, (long long)cap, RS_NUM_DEC);
    return RS_OK;
}

rs_code rs_jr_need(const rs_jr_doc *d, uint32_t obj, const char *key, rs_jr_type type, const char *field,
                   uint32_t *out, rs_err *err)
{
    uint32_t v = rs_jr_get(d, obj, key);
    if (v == RS_JR_NONE)
        return rs_fail(err, RS_E_SYNTAX, obj < d->n ? d->nodes[obj].start : 0, field,
                       "a required member is present", 0, 0, RS_NUM_NONE);
    bool ok = d->nodes[v].type == type || (type == RS_JR_TRUE && d->nodes[v].type == RS_JR_FALSE);
    if (!ok)
        return rs_fail(err, RS_E_SYNTAX, d->nodes[v].start, field,
                       type == RS_JR_OBJECT   ? "an object"
                       : type == RS_JR_ARRAY  ? "an array"
                       : type == RS_JR_STRING ? "a string"
                       : type == RS_JR_NUMBER ? "a number"
                       : type == RS_JR_TRUE   ? "true or false"
                                              : "null",
                       0, 0, RS_NUM_NONE);
    *out = v;
    return RS_OK;
}
