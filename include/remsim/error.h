/* Errors and warnings as values.
 *
 * Every failure in libremsim is reported as an rs_err: a code, the byte offset
 * where it was found, the field, the rule that was broken, and the numbers
 * that show how.  No function prints; rs_err_format() turns one into a
 * sentence a person can act on.  Field and rule strings are static, so
 * filling an rs_err never allocates. */
#ifndef REMSIM_ERROR_H
#define REMSIM_ERROR_H

#include <stddef.h>
#include <stdint.h>

typedef enum rs_code {
    RS_OK = 0,
    RS_E_SHORT,      /* the input ends before the field does */
    RS_E_START,      /* start bytes not accepted by the profile */
    RS_E_HEADER,     /* header field impossible (encryption byte, id bytes) */
    RS_E_LENGTH,     /* data-unit length field wrong or too large */
    RS_E_BCC,        /* checksum mismatch */
    RS_E_COMMAND,    /* command id unknown for the profile */
    RS_E_BODY,       /* body length wrong for its command or info type */
    RS_E_INFO_TYPE,  /* report info type reserved or unknown */
    RS_E_TIME,       /* time outside the calendar */
    RS_E_VIN,        /* VIN alphabet or check digit */
    RS_E_STRING,     /* ICCID, CALID, CVN, chip id content */
    RS_E_RANGE,      /* raw value above its valid range, not a marker */
    RS_E_SIGNATURE,  /* signature block missing, misplaced or malformed */
    RS_E_ENCRYPTED,  /* body is encrypted: not decoded */
    RS_E_VARIANT,    /* a known deviating layout (S6) was recognised */
    RS_E_SPACE,      /* output buffer too small */
    RS_E_LIMIT,      /* more items than the decoder's struct holds */
    RS_E_VALUE,      /* a value cannot be encoded in its field */
    RS_E_SERIAL,     /* serial number rule */
    RS_E_OPTION,     /* unknown option or bad option value */
    RS_E_IO,         /* file or socket error (errno in got) */
    RS_E_SYNTAX,     /* text input (hex, candump, CSV) malformed */
    RS_E_COUNT
} rs_code;

typedef enum rs_severity {
    RS_SEV_ERROR = 0,  /* the frame cannot be trusted */
    RS_SEV_WARN,       /* deviation seen in real terminals */
    RS_SEV_INFO
} rs_severity;

typedef struct rs_err {
    rs_code code;
    uint8_t severity;    /* rs_severity */
    uint8_t numbers;     /* RS_NUM_NONE, RS_NUM_DEC, RS_NUM_HEX: how got/want print */
    uint32_t offset;     /* byte offset in the frame (or stream, or line) */
    const char *field;   /* static: name of the field, e.g. "bcc", "items[2].speed" */
    const char *rule;    /* static: the rule broken, with its spec section */
    long long got;       /* what was found */
    long long want;      /* what the rule wants (RS_NUM_*: whether to print) */
} rs_err;

enum { RS_NUM_NONE = 0, RS_NUM_DEC = 1, RS_NUM_HEX = 2, RS_NUM_GOT_ONLY = 3, RS_NUM_HEX_GOT_ONLY = 4,
       RS_NUM_CHAR = 5 /* got (and want, when non-zero) are characters */ };

/* Fills *e (when e is not NULL) and returns code.  Use as
 *   return rs_fail(err, RS_E_BCC, off, "bcc", "XOR of bytes 2..23+N (§3.1)", got, want, RS_NUM_HEX); */
rs_code rs_fail(rs_err *e, rs_code code, size_t offset, const char *field,
                const char *rule, long long got, long long want, int numbers);

/* Short stable name of a code, e.g. "bcc", "length" (for JSON and metrics). */
const char *rs_code_name(rs_code code);
const char *rs_severity_name(rs_severity sev);

/* "BCC mismatch at byte 217 (bcc): found 0xC2, expected 0x3D; rule: ..."
 * Always NUL-terminates; returns what snprintf would. */
int rs_err_format(const rs_err *e, char *buf, size_t cap);

#endif
