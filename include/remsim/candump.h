/* The can-utils candump log format: reader and writer (can-signals.md §6.1).
 *
 *   (1635188455.029900) can0 0CF00400#607D84481400F084
 *
 * Both are rs_can_ports.  The reader is a hand-written parser over a large
 * read buffer (no scanf, no allocation per line): a port is one allocation,
 * made when it is opened.
 *
 * What the reader accepts (see docs/can-sources.md for the full list):
 *   - "(sec[.frac])": absolute or relative; fractions of 1..6 digits are
 *     scaled to microseconds, digits past the sixth are dropped.
 *   - 3 hex digits = 11-bit id, 8 = 29-bit (EFF by length, not by value);
 *     an 8-digit id with bit 0x20000000 is an error frame (RS_CAN_ERR, id =
 *     the error class, data kept).
 *   - "#R", "#R<len>", "#R8_<dlc>": remote frames.
 *   - "##<flags><data>": CAN FD.  Skipped and counted by default; with
 *     RS_CANDUMP_KEEP_FD returned with RS_CAN_FD and the first 8 bytes.
 *   - "_<dlc>" (9..F) after 8 data bytes: accepted, the raw DLC is not kept
 *     (rs_can_frame has no field for it).
 *   - '.' between data bytes (cansend style), tokens after the frame
 *     (direction "R"/"T"...), CRLF line ends, blank lines.
 *   - timestamps that go backwards: returned as they are, counted in the
 *     stats (count, first line, largest step back).
 * Anything else on a line is RS_CAN_ERROR with RS_E_SYNTAX: err->offset is
 * the 1-based column, err->field the part of the line ("timestamp",
 * "interface", "can_id", "data", "dlc"...), err->rule what was expected.
 * The reader has already moved to the next line, so calling read again
 * continues; stopping is the caller's choice. */
#ifndef REMSIM_CANDUMP_H
#define REMSIM_CANDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/error.h"

/* Reader options. */
enum {
    RS_CANDUMP_KEEP_FD = 1u << 0     /* return CAN FD frames (first 8 bytes) instead of skipping */
};

#define RS_CANDUMP_READ_BUF (256u * 1024u)   /* also the longest line accepted */
#define RS_CANDUMP_LINE_MAX 96               /* longest line the writer produces, with '\n' and NUL */

typedef struct rs_candump_stats {
    uint64_t lines;                /* lines read, blank and bad ones included */
    uint64_t frames;               /* frames returned */
    uint64_t bad_lines;            /* lines returned as RS_CAN_ERROR */
    uint64_t fd_skipped;           /* CAN FD frames skipped (no RS_CANDUMP_KEEP_FD) */
    uint64_t fd_truncated;         /* CAN FD frames returned with bytes past 8 cut */
    uint64_t backwards;            /* frames stamped earlier than the frame before */
    uint64_t first_backwards_line; /* line of the first such frame, 0 when none */
    uint64_t max_backwards_us;     /* largest step back */
} rs_candump_stats;

/* Opens a log file for reading.  NULL on failure (RS_E_IO, errno in got). */
rs_can_port *rs_candump_open(const char *path, unsigned opts, rs_err *err);

/* Reads from a descriptor (a pipe, stdin).  own: close fd with the port.
 * label names the source in messages ("stdin").  A non-blocking fd makes
 * read return RS_CAN_AGAIN when no whole line is buffered yet. */
rs_can_port *rs_candump_open_fd(int fd, bool own, const char *label, unsigned opts, rs_err *err);

/* Reads text already in memory (not copied: it must outlive the port). */
rs_can_port *rs_candump_open_mem(const char *text, size_t len, unsigned opts, rs_err *err);

/* Reader counters; NULL when p is not a candump reader. */
const rs_candump_stats *rs_candump_stats_of(const rs_can_port *p);

/* Line number (1-based) of the last frame or error returned; 0 before any. */
uint64_t rs_candump_line(const rs_can_port *p);

/* "truck.log:12:27: syntax error at byte 27 (data): ...; rule: ..." for an
 * error the reader returned.  Returns what snprintf would. */
int rs_candump_err_format(const rs_can_port *p, const rs_err *e, char *buf, size_t cap);

/* Creates (truncates) a log file for writing.  iface, when not NULL, is
 * interned as name 0 of the writer's table; frames are named through
 * tx_names or that table (can.h).  Output is buffered: call
 * rs_candump_flush() to see write errors before rs_can_close(). */
rs_can_port *rs_candump_create(const char *path, const char *iface, rs_err *err);

/* The same on a descriptor (stdout: fd 1, own false).  Blocking fds only. */
rs_can_port *rs_candump_writer_fd(int fd, bool own, const char *iface, rs_err *err);

/* Writes out the buffered lines.  RS_E_IO (errno in got) on failure. */
rs_code rs_candump_flush(rs_can_port *p, rs_err *err);

/* One log line as candump -l writes it: "(%010u.%06u) ifname frame\n".
 * Returns the length without the NUL, or 0 when cap is too small (cap >=
 * RS_CANDUMP_LINE_MAX always fits) or the frame fails rs_can_frame_check. */
size_t rs_candump_format(const rs_can_frame *f, const char *ifname, char *buf, size_t cap);

#endif
