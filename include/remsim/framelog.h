/* The frame log: one text line per frame an endpoint received.
 *
 *   <receive time> <peer> <VIN or -> <frame hex>
 *   2026-11-22T08:00:00.123Z 10.0.0.7:40312 LTESTGB10A0000001 232301...3D
 *
 * The time is UTC, ISO 8601 with milliseconds; the peer is "ip:port"
 * ("[v6]:port" for IPv6); the VIN is the header's, or "-" when its bytes are
 * not printable (a platform id padded with 0x00 loses the padding); the hex
 * is upper case.  The frame is the last column, so `remsim decode` (hexline.h)
 * reads the log as it is.
 *
 * Everything else is a comment line, which decoders skip:
 *   # <time> <peer> <VIN or -> rejected <reason> frame|stream <offset> <hex or -> <message>
 *   # <time> <peer> <VIN or -> open|close <reason or ->
 *   # any other text
 * <reason> is an rs_code name (rs_code_name()); the offset is a byte offset in
 * the frame ("frame") or in the connection's byte stream ("stream"); the hex
 * holds the bytes concerned (a frame that broke a rule, a candidate frame
 * with a bad BCC), "-" when there are none.
 *
 * The writer keeps whole lines in a buffer and writes the buffer with one
 * write() call, so several processes can share one file opened with
 * O_APPEND without tearing lines.  rs_framelog_tick() flushes when a second
 * has passed since the last flush; with `sync` every flush ends with
 * fdatasync(). */
#ifndef REMSIM_FRAMELOG_H
#define REMSIM_FRAMELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"

#define RS_FRAMELOG_TIME_LEN 24     /* "2026-11-22T08:00:00.123Z" */
#define RS_FRAMELOG_PEER_MAX 64     /* peer text with its NUL ("[v6 address]:port" fits) */
#define RS_FRAMELOG_MSG_MAX 320     /* longest message of a rejected line */
#define RS_FRAMELOG_MIN_BUF 65536

typedef struct rs_framelog {
    int fd;                  /* -1 when closed */
    bool own_fd;             /* closed by rs_framelog_close() */
    bool sync;               /* fdatasync() after every flush */
    char *buf;
    size_t cap, len;         /* whole lines only */
    int64_t last_flush_ms;
    int64_t stamp_sec;       /* second of the cached time text */
    char stamp[20];          /* "2026-11-22T08:00:00" */
    uint64_t lines, bytes, flushes;
    uint64_t errors;         /* failed writes or syncs (lines lost with them) */
    int last_errno;
} rs_framelog;

/* Opens (creates, appends to) path.  max_frame is the longest frame a line
 * must hold; the buffer is sized for it.  Errors: RS_E_IO (got = errno). */
rs_code rs_framelog_open(rs_framelog *w, const char *path, bool sync, size_t max_frame, rs_err *err);
/* Writes to fd, which stays the caller's (not closed).  Use an fd opened
 * with O_APPEND when several writers share the file. */
rs_code rs_framelog_init_fd(rs_framelog *w, int fd, bool sync, size_t max_frame, rs_err *err);

/* One received frame.  vin: 17 bytes or NULL ("-"). */
rs_code rs_framelog_frame(rs_framelog *w, int64_t t_ms, const char *peer, const uint8_t *vin,
                          const uint8_t *frame, size_t len);
/* A rejection as a comment line: e's code is the reason; in_frame says
 * whether e->offset counts in the frame (bytes given) or in the stream;
 * bytes may be NULL. */
rs_code rs_framelog_reject(rs_framelog *w, int64_t t_ms, const char *peer, const uint8_t *vin, const rs_err *e,
                           bool in_frame, const uint8_t *bytes, size_t n);
/* A connection event as a comment line: event "open" or "close", reason a
 * word or NULL. */
rs_code rs_framelog_event(rs_framelog *w, int64_t t_ms, const char *peer, const uint8_t *vin, const char *event,
                          const char *reason);
/* "# text" (text is one line; newlines are replaced by spaces). */
rs_code rs_framelog_comment(rs_framelog *w, const char *text);

/* Flushes what is buffered when a second has passed since the last tick
 * that flushed (the first call flushes).  now_ms: any clock, the same on
 * every call.  Call it at least twice a second for "at most a second". */
rs_code rs_framelog_tick(rs_framelog *w, int64_t now_ms);
/* Writes the buffer (one write() call), then fdatasync() with sync.
 * Errors: RS_E_IO, got = errno; the buffer is dropped and counted. */
rs_code rs_framelog_flush(rs_framelog *w);
/* Flushes, frees, closes an fd it opened.  Returns the flush's result. */
rs_code rs_framelog_close(rs_framelog *w, rs_err *err);

/* "2026-11-22T08:00:00.123Z" (UTC) into out, NUL-terminated. */
void rs_framelog_time(int64_t t_ms, char out[RS_FRAMELOG_TIME_LEN + 1]);
/* The VIN column: the 17 bytes when printable and without spaces, trailing
 * 0x00 padding removed; else "-".  out holds 18 bytes. */
void rs_framelog_vin_text(const uint8_t *vin, char out[18]);

/* --- reading --- */
typedef enum rs_framelog_kind {
    RS_FRAMELOG_BLANK = 0,   /* empty line */
    RS_FRAMELOG_FRAME,       /* time, peer, vin, frame bytes */
    RS_FRAMELOG_REJECT,      /* time, peer, vin, reason, in_frame, offset, bytes (n may be 0), message */
    RS_FRAMELOG_EVENT,       /* time, peer, vin, event, reason */
    RS_FRAMELOG_COMMENT      /* any other comment line */
} rs_framelog_kind;

typedef struct rs_framelog_rec {
    uint8_t kind;            /* rs_framelog_kind */
    int64_t time_ms;         /* ms since the Unix epoch */
    char peer[RS_FRAMELOG_PEER_MAX];
    bool has_vin;
    uint8_t vin[17];
    size_t n;                /* bytes written to out */
    char reason[24];         /* REJECT: code name; EVENT: reason ("" when "-") */
    char event[16];          /* EVENT: "open", "close" */
    bool in_frame;           /* REJECT: offset counts in the frame (else in the stream) */
    uint64_t offset;
    const char *message;     /* REJECT: points into the line; message_len bytes */
    size_t message_len;
} rs_framelog_rec;

/* Reads one line (a trailing "\n" or "\r\n" may be included).  Frame bytes
 * go to out[0..cap).  Errors, offset = 0-based column: RS_E_SYNTAX (a column
 * is missing or malformed), RS_E_LENGTH (frame longer than cap). */
rs_code rs_framelog_parse(const char *line, size_t len, uint8_t *out, size_t cap, rs_framelog_rec *rec,
                          rs_err *err);

#endif
