/* candump log reader (candump.h, can-signals.md §6.1).
 *
 * The parser walks each line once with a pointer; hex digits go through a
 * 256-entry table.  Lines are found with memchr in a large buffer that is
 * refilled with read(2), so there is no stdio, no scanf and no allocation
 * after open. */
#include "remsim/candump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char KIND_IN[] = "candump-in";

#define LABEL_LEN 128
#define FD_MAX_DLEN 64
#define TS_MAX_SEC_DIGITS 12   /* keeps sec * 1e6 far inside uint64_t */

typedef struct candump_in {
    rs_can_port port;          /* first member: the port is the reader */
    int fd;                    /* -1 for text in memory */
    bool own_fd;
    bool eof;                  /* no more bytes will arrive after end */
    bool skipping;             /* discarding the rest of an over-long line */
    unsigned opts;
    const char *buf;           /* the text window: caller memory or rbuf */
    char *rbuf;                /* read buffer (fd sources), inside this allocation */
    size_t cap, pos, end;
    uint64_t line;             /* number of the line last returned */
    uint64_t prev_ts;
    bool have_prev;
    int last_iface;            /* cache: consecutive lines mostly share a name */
    rs_candump_stats stats;
    char label[LABEL_LEN];
} candump_in;

typedef enum { LINE_FRAME, LINE_SKIP, LINE_BAD } line_result;

/* 0 = not a hex digit; otherwise 0x10 | value, so one load answers both. */
static const uint8_t hexv[256] = {
    ['0'] = 0x10, ['1'] = 0x11, ['2'] = 0x12, ['3'] = 0x13, ['4'] = 0x14,
    ['5'] = 0x15, ['6'] = 0x16, ['7'] = 0x17, ['8'] = 0x18, ['9'] = 0x19,
    ['A'] = 0x1A, ['B'] = 0x1B, ['C'] = 0x1C, ['D'] = 0x1D, ['E'] = 0x1E, ['F'] = 0x1F,
    ['a'] = 0x1A, ['b'] = 0x1B, ['c'] = 0x1C, ['d'] = 0x1D, ['e'] = 0x1E, ['f'] = 0x1F,
};

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10u;
}

/* A syntax error at pointer at of the line starting at s; offset is the
 * 1-based column so that "line:column" and "at byte" agree in messages. */
static line_result bad(rs_err *err, const char *s, const char *at, const char *field,
                       const char *rule, long long got, int numbers)
{
    rs_fail(err, RS_E_SYNTAX, (size_t)(at - s) + 1, field, rule, got, 0, numbers);
    return LINE_BAD;
}

static line_result parse_ts(const char *s, const char **pp, const char *e, uint64_t *ts, rs_err *err)
{
    const char *p = *pp;
    if (p == e || *p != '(')
        return bad(err, s, p, "timestamp", "a line starts with the timestamp '(sec.usec)' (§6.1)", 0,
                   RS_NUM_NONE);
    p++;
    const char *d0 = p;
    uint64_t sec = 0;
    while (p < e && is_digit(*p)) {
        if (p - d0 == TS_MAX_SEC_DIGITS)
            return bad(err, s, p, "timestamp", "seconds have at most 12 digits", 0, RS_NUM_NONE);
        sec = sec * 10 + (uint64_t)(*p++ - '0');
    }
    if (p == d0)
        return bad(err, s, p, "timestamp", "decimal seconds expected after '('", 0, RS_NUM_NONE);
    uint64_t us = 0;
    if (p < e && *p == '.') {
        p++;
        const char *f0 = p;
        uint64_t scale = 100000;
        while (p < e && is_digit(*p)) {
            /* Digits past the sixth are finer than a microsecond: dropped. */
            us += (uint64_t)(*p++ - '0') * scale;
            scale /= 10;
        }
        if (p == f0)
            return bad(err, s, p, "timestamp", "digits expected after the decimal point", 0,
                       RS_NUM_NONE);
    }
    if (p == e || *p != ')')
        return bad(err, s, p, "timestamp", "')' expected after the timestamp digits", 0, RS_NUM_NONE);
    *ts = sec * 1000000u + us;
    *pp = p + 1;
    return LINE_FRAME;
}

static line_result parse_iface(candump_in *r, const char *s, const char **pp, const char *e,
                               rs_can_frame *f, rs_err *err)
{
    const char *p = *pp;
    const char *n0 = p;
    while (p < e && !is_blank(*p)) {
        /* Names are printed back into logs and messages: no NUL or controls. */
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E)
            return bad(err, s, p, "interface", "interface names are printable ASCII", (unsigned char)*p,
                       RS_NUM_GOT_ONLY);
        p++;
    }
    size_t n = (size_t)(p - n0);
    if (n == 0)
        return bad(err, s, p, "interface", "interface name expected after the timestamp", 0,
                   RS_NUM_NONE);
    if (n >= RS_CAN_IFNAME_LEN)
        return bad(err, s, n0, "interface", "interface names have at most 15 characters (IFNAMSIZ)",
                   (long long)n, RS_NUM_GOT_ONLY);
    rs_can_ifaces *t = &r->port.ifaces;
    int i = r->last_iface;
    if (i < 0 || memcmp(t->name[i], n0, n) != 0 || t->name[i][n] != '\0') {
        i = rs_can_iface_intern(t, n0, n);
        if (i < 0) {
            rs_fail(err, RS_E_LIMIT, (size_t)(n0 - s) + 1, "interface",
                    "a source holds at most 32 interface names (RS_CAN_MAX_IFACES)",
                    RS_CAN_MAX_IFACES, 0, RS_NUM_GOT_ONLY);
            return LINE_BAD;
        }
        r->last_iface = i;
    }
    f->iface = (uint8_t)i;
    *pp = p;
    return LINE_FRAME;
}

static line_result parse_id(const char *s, const char **pp, const char *e, rs_can_frame *f, rs_err *err)
{
    const char *p = *pp;
    const char *i0 = p;
    uint32_t v = 0;
    uint8_t h;
    /* Nine digits are enough to know the id is too long. */
    while (p < e && p - i0 < 9 && (h = hexv[(unsigned char)*p]) != 0) {
        v = (v << 4) | (h & 0x0Fu);
        p++;
    }
    size_t nd = (size_t)(p - i0);
    if (nd != 9 && (p == e || *p != '#')) {
        if (p == e || is_blank(*p))
            return bad(err, s, p, "can_id", "'#' expected after the id (frame is ID#DATA)", 0,
                       RS_NUM_NONE);
        return bad(err, s, p, "can_id", "non-hex character in the id", 0, RS_NUM_NONE);
    }
    if (nd == 3) {
        if (v > RS_CAN_SFF_MASK)
            return bad(err, s, i0, "can_id", "a 3-digit (11-bit) id is at most 7FF", v, RS_NUM_GOT_ONLY);
        f->id = v;
        f->flags = 0;
    } else if (nd == 8) {
        /* Logs never carry CAN_EFF_FLAG/CAN_RTR_FLAG in the id: bits 31-30 set
         * means the line was not written by candump. */
        if (v > 0x3FFFFFFFu)
            return bad(err, s, i0, "can_id",
                       "an 8-digit id is at most 1FFFFFFF, or 3FFFFFFF with the error-frame bit",
                       v, RS_NUM_GOT_ONLY);
        f->id = v & RS_CAN_EFF_MASK;
        f->flags = (v & 0x20000000u) ? RS_CAN_ERR : RS_CAN_EXT;
    } else {
        return bad(err, s, i0, "can_id", "the id has 3 hex digits (11-bit) or 8 (29-bit) (§6.1)",
                   (long long)nd, RS_NUM_GOT_ONLY);
    }
    *pp = p + 1;
    return LINE_FRAME;
}

/* "_<dlc>" after exactly 8 classic data bytes (len8_dlc, DLC 9..15). */
static line_result parse_raw_dlc(const char *s, const char **pp, const char *e, unsigned len, rs_err *err)
{
    const char *p = *pp;
    if (p == e || *p != '_')
        return LINE_FRAME;
    if (len != RS_CAN_MAX_DLEN)
        return bad(err, s, p, "dlc", "'_<dlc>' follows exactly 8 data bytes", (long long)len,
                   RS_NUM_GOT_ONLY);
    uint8_t h = (p + 1 < e) ? hexv[(unsigned char)p[1]] : 0;
    if (!h || (h & 0x0F) < 9)
        return bad(err, s, p + 1, "dlc", "'_<dlc>' is one hex digit 9..F", 0, RS_NUM_NONE);
    *pp = p + 2;   /* rs_can_frame has no field for the raw DLC: not kept */
    return LINE_FRAME;
}

static line_result parse_remote(const char *s, const char **pp, const char *e, rs_can_frame *f, rs_err *err)
{
    const char *p = *pp + 1;   /* past 'R' */
    if (f->flags & RS_CAN_ERR)
        return bad(err, s, *pp, "data", "error frames are never remote frames", 0, RS_NUM_NONE);
    f->flags |= RS_CAN_RTR;
    f->len = 0;
    if (p < e && is_digit(*p)) {
        if (*p > '8')
            return bad(err, s, p, "dlc", "a remote frame's length is 0..8", *p - '0', RS_NUM_GOT_ONLY);
        f->len = (uint8_t)(*p++ - '0');
    }
    *pp = p;
    return parse_raw_dlc(s, pp, e, f->len, err);
}

/* Data bytes as hex pairs, optional '.' between bytes.  Keeps at most 8;
 * counts up to max.  Stops at the first character that is not data. */
static line_result parse_data(const char *s, const char **pp, const char *e, rs_can_frame *f,
                              unsigned max, unsigned *count, rs_err *err)
{
    const char *p = *pp;
    unsigned n = 0;
    while (p < e) {
        uint8_t hi = hexv[(unsigned char)*p];
        if (!hi) {
            if (*p == '.' && n > 0) {   /* cansend-style separator */
                p++;
                continue;
            }
            break;
        }
        uint8_t lo = (p + 1 < e) ? hexv[(unsigned char)p[1]] : 0;
        if (!lo) {
            if (p + 1 == e || is_blank(p[1]))
                return bad(err, s, p, "data", "data bytes are two hex digits each (odd digit count)",
                           0, RS_NUM_NONE);
            return bad(err, s, p + 1, "data", "non-hex character in the data", 0, RS_NUM_NONE);
        }
        if (n == max)
            return bad(err, s, p, "data",
                       max == RS_CAN_MAX_DLEN ? "classic CAN carries at most 8 data bytes"
                                              : "CAN FD carries at most 64 data bytes",
                       (long long)n + 1, RS_NUM_GOT_ONLY);
        if (n < RS_CAN_MAX_DLEN)
            f->data[n] = (uint8_t)(((hi & 0x0F) << 4) | (lo & 0x0F));
        n++;
        p += 2;
    }
    if (p < e && !is_blank(*p) && *p != '_')
        return bad(err, s, p, "data", "non-hex character in the data", 0, RS_NUM_NONE);
    *count = n;
    *pp = p;
    return LINE_FRAME;
}

static line_result parse_frame(candump_in *r, const char *s, const char **pp, const char *e,
                               rs_can_frame *f, rs_err *err)
{
    const char *p = *pp;
    if (parse_id(s, &p, e, f, err) != LINE_FRAME)
        return LINE_BAD;
    if (p < e && (*p == 'R' || *p == 'r')) {
        *pp = p;
        return parse_remote(s, pp, e, f, err);
    }
    unsigned n = 0;
    if (p < e && *p == '#') {
        /* CAN FD: "##<flags nibble><data up to 64 bytes>". */
        if (f->flags & RS_CAN_ERR)
            return bad(err, s, p, "data", "error frames are classic CAN, not FD ('##')", 0, RS_NUM_NONE);
        p++;
        if (p == e || !hexv[(unsigned char)*p])
            return bad(err, s, p, "fd_flags", "one hex flags digit follows '##' (1 BRS, 2 ESI)", 0,
                       RS_NUM_NONE);
        p++;
        if (parse_data(s, &p, e, f, FD_MAX_DLEN, &n, err) != LINE_FRAME)
            return LINE_BAD;
        f->flags |= RS_CAN_FD;
        f->len = (uint8_t)(n < RS_CAN_MAX_DLEN ? n : RS_CAN_MAX_DLEN);
        *pp = p;
        if (!(r->opts & RS_CANDUMP_KEEP_FD)) {
            r->stats.fd_skipped++;
            return LINE_SKIP;
        }
        if (n > RS_CAN_MAX_DLEN)
            r->stats.fd_truncated++;
        return LINE_FRAME;
    }
    if (parse_data(s, &p, e, f, RS_CAN_MAX_DLEN, &n, err) != LINE_FRAME)
        return LINE_BAD;
    f->len = (uint8_t)n;
    *pp = p;
    return parse_raw_dlc(s, pp, e, n, err);
}

static line_result parse_line(candump_in *r, const char *s, size_t n, rs_can_frame *f, rs_err *err)
{
    const char *e = s + n;
    if (e > s && e[-1] == '\r')
        e--;
    const char *p = s;
    while (p < e && is_blank(*p))
        p++;
    if (p == e)
        return LINE_SKIP;
    if (parse_ts(s, &p, e, &f->ts_us, err) != LINE_FRAME)
        return LINE_BAD;
    if (p == e || !is_blank(*p))
        return bad(err, s, p, "interface", "a space separates the timestamp and the interface", 0,
                   RS_NUM_NONE);
    while (p < e && is_blank(*p))
        p++;
    if (parse_iface(r, s, &p, e, f, err) != LINE_FRAME)
        return LINE_BAD;
    while (p < e && is_blank(*p))
        p++;
    if (p == e)
        return bad(err, s, p, "can_id", "the frame (ID#DATA) follows the interface", 0, RS_NUM_NONE);
    line_result res = parse_frame(r, s, &p, e, f, err);
    if (res == LINE_BAD)
        return LINE_BAD;
    /* Other writers append tokens (direction R/T, ...): ignored after a blank. */
    if (p < e && !is_blank(*p))
        return bad(err, s, p, "data", "unexpected character after the frame", 0, RS_NUM_NONE);
    return res;
}

static void note_time(candump_in *r, uint64_t ts)
{
    if (r->have_prev && ts < r->prev_ts) {
        uint64_t back = r->prev_ts - ts;
        if (r->stats.backwards++ == 0)
            r->stats.first_backwards_line = r->line;
        if (back > r->stats.max_backwards_us)
            r->stats.max_backwards_us = back;
    }
    r->prev_ts = ts;
    r->have_prev = true;
}

/* Makes room and reads more bytes.  RS_CAN_OK when bytes (or EOF) came. */
static rs_can_status fill(candump_in *r, rs_err *err)
{
    if (r->pos > 0) {
        memmove(r->rbuf, r->rbuf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->end == r->cap) {
        /* A whole buffer without a newline: report the line once, then drop
         * bytes up to its end so the next line is read normally. */
        r->end = 0;
        if (!r->skipping) {
            r->skipping = true;
            r->line++;
            r->stats.lines++;
            r->stats.bad_lines++;
            rs_fail(err, RS_E_SYNTAX, r->cap, "line", "a line is at most 256 KiB (no newline found)",
                    (long long)r->cap, 0, RS_NUM_NONE);
            return RS_CAN_ERROR;
        }
    }
    for (;;) {
        ssize_t k = read(r->fd, r->rbuf + r->end, r->cap - r->end);
        if (k > 0) {
            r->end += (size_t)k;
            return RS_CAN_OK;
        }
        if (k == 0) {
            r->eof = true;
            return RS_CAN_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return RS_CAN_AGAIN;
        rs_fail(err, RS_E_IO, r->end, "read", "read(2) on the candump source failed (errno in 'found')",
                errno, 0, RS_NUM_GOT_ONLY);
        return RS_CAN_ERROR;
    }
}

static rs_can_status in_read(rs_can_port *port, rs_can_frame *out, rs_err *err)
{
    candump_in *r = (candump_in *)port;
    for (;;) {
        const char *start = r->buf + r->pos;
        size_t avail = r->end - r->pos;
        const char *nl = avail ? memchr(start, '\n', avail) : NULL;
        size_t n;
        if (nl) {
            n = (size_t)(nl - start);
            r->pos += n + 1;
        } else if (r->eof) {
            if (avail == 0)
                return RS_CAN_END;
            n = avail;
            r->pos = r->end;
        } else {
            rs_can_status st = fill(r, err);
            if (st != RS_CAN_OK)
                return st;
            continue;
        }
        if (r->skipping) {
            r->skipping = false;   /* that was the tail of an over-long line */
            continue;
        }
        r->line++;
        r->stats.lines++;
        rs_can_frame f;
        f.flags = 0;
        line_result res = parse_line(r, start, n, &f, err);
        if (res == LINE_SKIP)
            continue;
        if (res == LINE_BAD) {
            r->stats.bad_lines++;
            return RS_CAN_ERROR;
        }
        /* Remote frames carry no data; never hand out stale bytes. */
        if (f.flags & RS_CAN_RTR)
            memset(f.data, 0, sizeof f.data);
        else if (f.len < RS_CAN_MAX_DLEN)
            memset(f.data + f.len, 0, RS_CAN_MAX_DLEN - f.len);
        note_time(r, f.ts_us);
        r->stats.frames++;
        *out = f;
        return RS_CAN_OK;
    }
}

static void in_close(rs_can_port *port)
{
    candump_in *r = (candump_in *)port;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    free(r);
}

static candump_in *in_new(size_t bufcap, const char *label, unsigned opts, rs_err *err)
{
    candump_in *r = calloc(1, sizeof *r + bufcap);
    if (!r) {
        rs_fail(err, RS_E_IO, 0, "malloc", "out of memory opening a candump reader", ENOMEM, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    r->port.kind = KIND_IN;
    r->port.read = in_read;
    r->port.close = in_close;
    r->port.fd = -1;
    r->fd = -1;
    r->opts = opts;
    r->last_iface = -1;
    r->rbuf = bufcap ? (char *)(r + 1) : NULL;
    r->buf = r->rbuf;
    r->cap = bufcap;
    snprintf(r->label, sizeof r->label, "%s", label ? label : "candump");
    return r;
}

rs_can_port *rs_candump_open_fd(int fd, bool own, const char *label, unsigned opts, rs_err *err)
{
    candump_in *r = in_new(RS_CANDUMP_READ_BUF, label, opts, err);
    if (!r) {
        if (own)
            close(fd);
        return NULL;
    }
    r->fd = fd;
    r->own_fd = own;
    r->port.fd = fd;
    return &r->port;
}

rs_can_port *rs_candump_open(const char *path, unsigned opts, rs_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rs_fail(err, RS_E_IO, 0, "open", "cannot open the candump file (errno in 'found')", errno, 0,
                RS_NUM_GOT_ONLY);
        return NULL;
    }
    return rs_candump_open_fd(fd, true, path, opts, err);
}

rs_can_port *rs_candump_open_mem(const char *text, size_t len, unsigned opts, rs_err *err)
{
    candump_in *r = in_new(0, "memory", opts, err);
    if (!r)
        return NULL;
    r->buf = text;
    r->end = len;
    r->cap = len;
    r->eof = true;
    return &r->port;
}

const rs_candump_stats *rs_candump_stats_of(const rs_can_port *p)
{
    return (p && p->kind == KIND_IN) ? &((const candump_in *)p)->stats : NULL;
}

uint64_t rs_candump_line(const rs_can_port *p)
{
    return (p && p->kind == KIND_IN) ? ((const candump_in *)p)->line : 0;
}

int rs_candump_err_format(const rs_can_port *p, const rs_err *e, char *buf, size_t cap)
{
    char msg[512];
    rs_err_format(e, msg, sizeof msg);
    if (!p || p->kind != KIND_IN)
        return snprintf(buf, cap, "%s", msg);
    const candump_in *r = (const candump_in *)p;
    if (e->code == RS_E_SYNTAX || e->code == RS_E_LIMIT)
        return snprintf(buf, cap, "%s:%llu:%u: %s", r->label, (unsigned long long)r->line,
                        (unsigned)e->offset, msg);
    return snprintf(buf, cap, "%s: %s", r->label, msg);
}
