/* One frame from one line of text.
 *
 * Frame logs put the hex last: the fleet writes "virtual-time VIN HEX", the
 * endpoint "receive-time peer VIN HEX", the vectors just "HEX".  So the
 * frame is the last whitespace-separated token, and whatever columns come
 * before it are ignored.  A line made only of two-digit tokens is read as
 * spaced hex ("23 23 01 ..."), every token a byte.  A token starting with
 * '#' begins a comment that runs to the end of the line; blank and comment
 * lines hold no frame. */
#ifndef REMSIM_HEXLINE_H
#define REMSIM_HEXLINE_H

#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"

typedef struct rs_hexline {
    size_t n;      /* bytes written to out; 0 for a blank or comment line */
    size_t col;    /* 0-based column of the first hex digit */
} rs_hexline;

/* Reads line[0..len) (a trailing "\n" or "\r\n" may be included) into
 * out[0..cap).  Errors, with err->offset = the 0-based column:
 *   RS_E_SYNTAX  a character that is not a hex digit (got = the byte), or an
 *                odd number of digits (got = the count);
 *   RS_E_LENGTH  more bytes than cap (got = bytes, want = cap). */
rs_code rs_hexline_parse(const char *line, size_t len, uint8_t *out, size_t cap,
                         rs_hexline *res, rs_err *err);

#endif
