/* A small, strict JSON reader (RFC 8259).
 *
 * The text is parsed once into a flat array of nodes in document order
 * (a value, then its children); nodes point into the caller's text, so
 * nothing is copied.  Memory is bounded: either the caller hands in the
 * node array, or rs_jr_parse_alloc() grows one up to a node limit the
 * caller names.  Nesting is limited to RS_JR_MAX_DEPTH and objects to
 * RS_JR_MAX_MEMBERS members (duplicate keys are checked pairwise, so the
 * cost stays bounded too).
 *
 * Strict means: exactly one value and only whitespace around it; no
 * comments, no trailing commas, no single quotes, no leading zeros, no
 * NaN; strings are valid UTF-8 without raw control characters, escapes are
 * the eight of RFC 8259 plus \uXXXX with surrogates in pairs; duplicate
 * keys in one object (compared as written) are an error.  Every error is
 * an rs_err with the byte offset and the rule broken.
 *
 * Navigation uses node indexes: the root is 0; an object's children are
 * key, value, key, value...; a node's 'end' is the index after its
 * subtree, which is where its next sibling starts. */
#ifndef REMSIM_JSON_READ_H
#define REMSIM_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"

#define RS_JR_MAX_DEPTH 64
#define RS_JR_MAX_MEMBERS 4096
#define RS_JR_NONE UINT32_MAX   /* "no such node" */

typedef enum rs_jr_type {
    RS_JR_NULL = 0,
    RS_JR_FALSE,
    RS_JR_TRUE,
    RS_JR_NUMBER,
    RS_JR_STRING,
    RS_JR_ARRAY,
    RS_JR_OBJECT
} rs_jr_type;

typedef struct rs_jr_node {
    uint32_t start;   /* byte offset of the value's first character */
    uint32_t len;     /* bytes of its text (a string's include the quotes) */
    uint32_t end;     /* index one past this node's subtree */
    uint32_t count;   /* arrays: elements; objects: members; else 0 */
    uint8_t type;     /* rs_jr_type */
} rs_jr_node;

typedef struct rs_jr_doc {
    const char *text;
    size_t len;
    rs_jr_node *nodes;
    uint32_t n;        /* nodes used */
    uint32_t cap;      /* nodes available */
    uint32_t max;      /* rs_jr_parse_alloc: the limit it may grow to */
    bool owned;        /* nodes were allocated by rs_jr_parse_alloc */
} rs_jr_doc;

/* Parses text[0..len) into the caller's nodes.  RS_E_SYNTAX with the offset
 * and rule; RS_E_LIMIT when the nodes, the depth or an object's members run
 * out.  Texts of 4 GiB or more are refused (offsets are 32 bits). */
rs_code rs_jr_parse(rs_jr_doc *d, const char *text, size_t len, rs_jr_node *nodes, size_t cap,
                    rs_err *err);

/* Same, with a node array that grows (doubling) up to max_nodes.  Call
 * rs_jr_free() afterwards, whatever the result. */
rs_code rs_jr_parse_alloc(rs_jr_doc *d, const char *text, size_t len, size_t max_nodes, rs_err *err);
void rs_jr_free(rs_jr_doc *d);

static inline rs_jr_type rs_jr_type_of(const rs_jr_doc *d, uint32_t i) { return (rs_jr_type)d->nodes[i].type; }
static inline uint32_t rs_jr_count(const rs_jr_doc *d, uint32_t i) { return d->nodes[i].count; }
static inline uint32_t rs_jr_offset(const rs_jr_doc *d, uint32_t i) { return d->nodes[i].start; }
/* First child (first element, or first key), and the sibling after i. */
static inline uint32_t rs_jr_first(const rs_jr_doc *d, uint32_t i) { return d->nodes[i].count ? i + 1 : RS_JR_NONE; }
static inline uint32_t rs_jr_next(const rs_jr_doc *d, uint32_t i) { return d->nodes[i].end; }

const char *rs_jr_type_name(rs_jr_type t);

/* The value of member 'key' of object obj, or RS_JR_NONE (also when obj is
 * not an object). */
uint32_t rs_jr_get(const rs_jr_doc *d, uint32_t obj, const char *key);

/* True when string node i, unescaped, equals s. */
bool rs_jr_str_eq(const rs_jr_doc *d, uint32_t i, const char *s);

/* Typed reads.  'field' (static text) names the value in the error, which
 * carries the node's offset: RS_E_SYNTAX for a wrong type or a number that
 * does not fit.  rs_jr_u64 and rs_jr_i64 take integers only (no fraction,
 * no exponent) and read them exactly. */
rs_code rs_jr_u64(const rs_jr_doc *d, uint32_t i, const char *field, uint64_t *out, rs_err *err);
rs_code rs_jr_i64(const rs_jr_doc *d, uint32_t i, const char *field, int64_t *out, rs_err *err);
rs_code rs_jr_double(const rs_jr_doc *d, uint32_t i, const char *field, double *out, rs_err *err);
rs_code rs_jr_bool(const rs_jr_doc *d, uint32_t i, const char *field, bool *out, rs_err *err);

/* Unescapes string node i into buf (NUL-terminated); *n (may be NULL) gets
 * its length.  RS_E_SPACE when it does not fit; RS_E_SYNTAX when i is not a
 * string.  A \u0000 escape is refused (RS_E_SYNTAX): C strings cannot hold it. */
rs_code rs_jr_str(const rs_jr_doc *d, uint32_t i, const char *field, char *buf, size_t cap, size_t *n,
                  rs_err *err);

/* Member lookups that must succeed: RS_E_SYNTAX naming 'field' when the key
 * is missing (offset of the object) or has another type (RS_JR_TRUE stands
 * for "true or false").  *out gets the node index. */
rs_code rs_jr_need(const rs_jr_doc *d, uint32_t obj, const char *key, rs_jr_type type, const char *field,
                   uint32_t *out, rs_err *err);

#endif
