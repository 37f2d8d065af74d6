/* The frame log (framelog.h): a line writer with a buffer of whole lines,
 * and the reader of the same lines. */
#include "remsim/framelog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remsim/frame.h"
#include "remsim/hexline.h"

static const char hexdig[] = "0123456789ABCDEF";

static size_t buffer_size(size_t max_frame)
{
    /* A line: "# " + time + peer + VIN + words + offset + hex + message. */
    size_t line = 2 * max_frame + RS_FRAMELOG_TIME_LEN + RS_FRAMELOG_PEER_MAX + RS_FRAMELOG_MSG_MAX + 128;
    return line > RS_FRAMELOG_MIN_BUF ? line : RS_FRAMELOG_MIN_BUF;
}

rs_code rs_framelog_init_fd(rs_framelog *w, int fd, bool sync, size_t max_frame, rs_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->cap = buffer_size(max_frame);
    w->buf = malloc(w->cap);
    if (!w->buf)
        return rs_fail(err, RS_E_IO, 0, "frame log", "memory for the log buffer", ENOMEM, 0, RS_NUM_GOT_ONLY);
    w->fd = fd;
    w->sync = sync;
    w->stamp_sec = INT64_MIN;
    w->last_flush_ms = INT64_MIN;
    return RS_OK;
}

rs_code rs_framelog_open(rs_framelog *w, const char *path, bool sync, size_t max_frame, rs_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        memset(w, 0, sizeof *w);
        w->fd = -1;
        return rs_fail(err, RS_E_IO, 0, "frame log", "the log file can be created or appended to", errno, 0,
                       RS_NUM_GOT_ONLY);
    }
    rs_code rc = rs_framelog_init_fd(w, fd, sync, max_frame, err);
    if (rc != RS_OK) {
        close(fd);
        return rc;
    }
    w->own_fd = true;
    return RS_OK;
}

static char *put_num(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void rs_framelog_time(int64_t t_ms, char out[RS_FRAMELOG_TIME_LEN + 1])
{
    int64_t sec = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
    unsigned ms = (unsigned)(t_ms - sec * 1000);
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        memset(&tm, 0, sizeof tm);
    char *p = put_num(out, (unsigned)(tm.tm_year + 1900) % 10000, 4);
    *p++ = '-';
    p = put_num(p, (unsigned)tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_num(p, (unsigned)tm.tm_mday, 2);
    *p++ = 'T';
    p = put_num(p, (unsigned)tm.tm_hour, 2);
    *p++ = ':';
    p = put_num(p, (unsigned)tm.tm_min, 2);
    *p++ = ':';
    p = put_num(p, (unsigned)tm.tm_sec, 2);
    *p++ = '.';
    p = put_num(p, ms, 3);
    *p++ = 'Z';
    *p = 0;
}

void rs_framelog_vin_text(const uint8_t *vin, char out[18])
{
    size_t n = RS_VIN_LEN;
    if (!vin)
        goto none;
    while (n > 0 && vin[n - 1] == 0x00)
        n--;
    if (n == 0)
        goto none;
    for (size_t i = 0; i < n; i++)
        if (vin[i] <= 0x20 || vin[i] >= 0x7F || vin[i] == '#')
            goto none;
    memcpy(out, vin, n);
    out[n] = 0;
    return;
none:
    out[0] = '-';
    out[1] = 0;
}

/* The time text, formatted once per second. */
static const char *stamp(rs_framelog *w, int64_t t_ms, char ms_out[5])
{
    int64_t sec = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
    int ms = (int)(t_ms - sec * 1000);
    if (sec != w->stamp_sec) {
        char full[RS_FRAMELOG_TIME_LEN + 1];
        rs_framelog_time(sec * 1000, full);
        memcpy(w->stamp, full, 19);
        w->stamp[19] = 0;
        w->stamp_sec = sec;
    }
    ms_out[0] = '.';
    ms_out[1] = (char)('0' + ms / 100);
    ms_out[2] = (char)('0' + ms / 10 % 10);
    ms_out[3] = (char)('0' + ms % 10);
    ms_out[4] = 'Z';
    return w->stamp;
}

static bool peer_ok(const char *peer)
{
    if (!peer || !*peer || strlen(peer) >= RS_FRAMELOG_PEER_MAX || peer[0] == '#')
        return false;
    for (const char *c = peer; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F)
            return false;
    return true;
}

/* Room for n more bytes, flushing first when needed. */
static bool reserve(rs_framelog *w, size_t n)
{
    if (w->fd < 0)
        return false;
    if (w->cap - w->len >= n)
        return true;
    rs_framelog_flush(w);
    if (w->cap - w->len >= n)
        return true;
    w->errors++; /* a line longer than the buffer: the caller's max_frame was too small */
    return false;
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

static char *put_hex(char *p, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *p++ = hexdig[b[i] >> 4];
        *p++ = hexdig[b[i] & 15];
    }
    return p;
}

/* time peer vin: the columns every line starts with. */
static char *put_head(rs_framelog *w, char *p, int64_t t_ms, const char *peer, const char *vin_text)
{
    char ms[5];
    p = put(p, stamp(w, t_ms, ms), 19);
    p = put(p, ms, 5);
    *p++ = ' ';
    p = peer_ok(peer) ? put(p, peer, strlen(peer)) : put(p, "-", 1);
    *p++ = ' ';
    p = put(p, vin_text, strlen(vin_text));
    return p;
}

static void end_line(rs_framelog *w, char *p)
{
    *p++ = '\n';
    size_t n = (size_t)(p - (w->buf + w->len));
    w->len += n;
    w->lines++;
}

rs_code rs_framelog_frame(rs_framelog *w, int64_t t_ms, const char *peer, const uint8_t *vin,
                          const uint8_t *frame, size_t len)
{
    char vt[18];
    rs_framelog_vin_text(vin, vt);
    size_t need = RS_FRAMELOG_TIME_LEN + RS_FRAMELOG_PEER_MAX + sizeof vt + 2 * len + 4;
    if (!reserve(w, need))
        return RS_E_IO;
    char *p = put_head(w, w->buf + w->len, t_ms, peer, vt);
    *p++ = ' ';
    p = put_hex(p, frame, len);
    end_line(w, p);
    return RS_OK;
}

rs_code rs_framelog_reject(rs_framelog *w, int64_t t_ms, const char *peer, const uint8_t *vin, const rs_err *e,
                           bool in_frame, const uint8_t *bytes, size_t n)
{
    char vt[18], msg[RS_FRAMELOG_MSG_MAX];
    rs_framelog_vin_text(vin, vt);
    rs_err_format(e, msg, sizeof msg);
    size_t ml = strlen(msg);
    for (size_t i = 0; i < ml; i++)
        if (msg[i] == '\n' || msg[i] == '\r')
            msg[i] = ' ';
    const char *reason = rs_code_name(e->code);
    size_t need = 2 + RS_FRAMELOG_TIME_LEN + RS_FRAMELOG_PEER_MAX + sizeof vt + 10 + strlen(reason) + 8 + 24 +
                  (bytes ? 2 * n : 1) + ml + 8;
    if (!reserve(w, need))
        return RS_E_IO;
    char *p = put(w->buf + w->len, "# ", 2);
    p = put_head(w, p, t_ms, peer, vt);
    p += snprintf(p, w->cap - (size_t)(p - w->buf), " rejected %s %s %lu ", reason, in_frame ? "frame" : "stream",
                  (unsigned long)e->offset);
    p = bytes && n ? put_hex(p, bytes, n) : put(p, "-", 1);
    *p++ = ' ';
    p = put(p, msg, ml);
    end_line(w, p);
    return RS_OK;
}

rs_code rs_framelog_event(rs_framelog *w, int64_t t_ms, const char *peer, const uint8_t *vin, const char *event,
                          const char *reason)
{
    char vt[18];
    rs_framelog_vin_text(vin, vt);
    if (!reason || !*reason)
        reason = "-";
    size_t need = 2 + RS_FRAMELOG_TIME_LEN + RS_FRAMELOG_PEER_MAX + sizeof vt + strlen(event) + strlen(reason) + 8;
    if (!reserve(w, need))
        return RS_E_IO;
    char *p = put(w->buf + w->len, "# ", 2);
    p = put_head(w, p, t_ms, peer, vt);
    *p++ = ' ';
    p = put(p, event, strlen(event));
    *p++ = ' ';
    p = put(p, reason, strlen(reason));
    end_line(w, p);
    return RS_OK;
}

rs_code rs_framelog_comment(rs_framelog *w, const char *text)
{
    size_t n = strlen(text);
    if (!reserve(w, n + 3))
        return RS_E_IO;
    char *p = put(w->buf + w->len, "# ", 2);
    char *start = p;
    p = put(p, text, n);
    for (char *c = start; c < p; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    end_line(w, p);
    return RS_OK;
}

rs_code rs_framelog_flush(rs_framelog *w)
{
    if (w->fd < 0 || w->len == 0)
        return RS_OK;
    size_t off = 0;
    rs_code rc = RS_OK;
    /* One write() for the whole buffer: with O_APPEND, lines of several
     * writers never interleave.  A short write (disk full, a signal) is
     * finished by further calls. */
    while (off < w->len) {
        ssize_t k = write(w->fd, w->buf + off, w->len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->last_errno = k < 0 ? errno : EIO;
            w->errors++;
            rc = RS_E_IO;
            break;
        }
        off += (size_t)k;
    }
    w->bytes += off;
    w->len = 0;
    w->flushes++;
    if (rc == RS_OK && w->sync && fdatasync(w->fd) != 0) {
        w->last_errno = errno;
        w->errors++;
        rc = RS_E_IO;
    }
    return rc;
}

rs_code rs_framelog_tick(rs_framelog *w, int64_t now_ms)
{
    /* Periods of a second: the first call opens one. */
    if (w->last_flush_ms != INT64_MIN && now_ms - w->last_flush_ms < 1000)
        return RS_OK;
    w->last_flush_ms = now_ms;
    return rs_framelog_flush(w);
}

rs_code rs_framelog_close(rs_framelog *w, rs_err *err)
{
    rs_code rc = rs_framelog_flush(w);
    if (rc != RS_OK)
        rs_fail(err, RS_E_IO, 0, "frame log", "the log can be written", w->last_errno, 0, RS_NUM_GOT_ONLY);
    if (w->own_fd && w->fd >= 0 && close(w->fd) != 0 && rc == RS_OK) {
        w->last_errno = errno;
        rc = rs_fail(err, RS_E_IO, 0, "frame log", "the log can be closed", errno, 0, RS_NUM_GOT_ONLY);
    }
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
    w->cap = w->len = 0;
    return rc;
}

/* --- reading --- */

typedef struct tok {
    const char *p;
    size_t n;
    size_t col;
} tok;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Next token from *pos; false at the end of the line. */
static bool next_tok(const char *line, size_t len, size_t *pos, tok *t)
{
    size_t i = *pos;
    while (i < len && is_space(line[i]))
        i++;
    if (i >= len)
        return false;
    size_t s = i;
    while (i < len && !is_space(line[i]))
        i++;
    t->p = line + s;
    t->n = i - s;
    t->col = s;
    *pos = i;
    return true;
}

static bool digits(const char *p, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return true;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" -> ms since the epoch. */
static bool parse_time(const tok *t, int64_t *ms)
{
    const char *p = t->p;
    int Y, M, D, h, m, s, f;
    if (t->n != RS_FRAMELOG_TIME_LEN || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
        p[16] != ':' || p[19] != '.' || p[23] != 'Z')
        return false;
    if (!digits(p, 4, &Y) || !digits(p + 5, 2, &M) || !digits(p + 8, 2, &D) || !digits(p + 11, 2, &h) ||
        !digits(p + 14, 2, &m) || !digits(p + 17, 2, &s) || !digits(p + 20, 3, &f))
        return false;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
        return false;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    *ms = (int64_t)timegm(&tm) * 1000 + f;
    return true;
}

static rs_code syntax(rs_err *err, size_t col, const char *field, const char *rule)
{
    return rs_fail(err, RS_E_SYNTAX, col, field, rule, 0, 0, RS_NUM_NONE);
}

static rs_code read_head(const char *line, size_t len, size_t *pos, rs_framelog_rec *rec, rs_err *err)
{
    tok t;
    if (!next_tok(line, len, pos, &t) || !parse_time(&t, &rec->time_ms))
        return syntax(err, *pos, "time", "first column: receive time, YYYY-MM-DDTHH:MM:SS.mmmZ (UTC)");
    if (!next_tok(line, len, pos, &t) || t.n >= RS_FRAMELOG_PEER_MAX)
        return syntax(err, *pos, "peer", "second column: the peer, ip:port");
    memcpy(rec->peer, t.p, t.n);
    rec->peer[t.n] = 0;
    if (!next_tok(line, len, pos, &t) || t.n > 17)
        return syntax(err, *pos, "vin", "third column: the VIN (at most 17 characters) or -");
    if (!(t.n == 1 && t.p[0] == '-')) {
        rec->has_vin = true;
        memcpy(rec->vin, t.p, t.n); /* shorter ids were padded with 0x00 */
    }
    return RS_OK;
}

static rs_code read_hex(const tok *t, uint8_t *out, size_t cap, rs_framelog_rec *rec, rs_err *err)
{
    rs_hexline res;
    rs_code rc = rs_hexline_parse(t->p, t->n, out, cap, &res, err);
    if (rc != RS_OK) {
        if (err)
            err->offset += (uint32_t)t->col;
        return rc;
    }
    rec->n = res.n;
    return RS_OK;
}

static rs_code parse_comment(const char *line, size_t len, size_t pos, uint8_t *out, size_t cap,
                             rs_framelog_rec *rec)
{
    /* Structured comments; anything that does not fit is a plain comment. */
    rs_framelog_rec r;
    memset(&r, 0, sizeof r);
    tok t;
    if (read_head(line, len, &pos, &r, NULL) != RS_OK || !next_tok(line, len, &pos, &t))
        return RS_OK;
    if (t.n == 8 && !memcmp(t.p, "rejected", 8)) {
        tok reason, where, off, hex;
        if (!next_tok(line, len, &pos, &reason) || reason.n >= sizeof r.reason ||
            !next_tok(line, len, &pos, &where) || !next_tok(line, len, &pos, &off) ||
            !next_tok(line, len, &pos, &hex))
            return RS_OK;
        bool in_frame = where.n == 5 && !memcmp(where.p, "frame", 5);
        if (!in_frame && !(where.n == 6 && !memcmp(where.p, "stream", 6)))
            return RS_OK;
        uint64_t o = 0;
        for (size_t i = 0; i < off.n; i++) {
            if (off.p[i] < '0' || off.p[i] > '9')
                return RS_OK;
            o = o * 10 + (uint64_t)(off.p[i] - '0');
        }
        if (!(hex.n == 1 && hex.p[0] == '-') && read_hex(&hex, out, cap, &r, NULL) != RS_OK)
            return RS_OK;
        memcpy(r.reason, reason.p, reason.n);
        r.in_frame = in_frame;
        r.offset = o;
        while (pos < len && is_space(line[pos]))
            pos++;
        size_t end = len;
        while (end > pos && is_space(line[end - 1]))
            end--;
        r.message = line + pos;
        r.message_len = end - pos;
        r.kind = RS_FRAMELOG_REJECT;
    } else if ((t.n == 4 && !memcmp(t.p, "open", 4)) || (t.n == 5 && !memcmp(t.p, "close", 5))) {
        memcpy(r.event, t.p, t.n);
        tok why;
        if (next_tok(line, len, &pos, &why) && !(why.n == 1 && why.p[0] == '-')) {
            if (why.n >= sizeof r.reason)
                return RS_OK;
            memcpy(r.reason, why.p, why.n);
        }
        r.kind = RS_FRAMELOG_EVENT;
    } else {
        return RS_OK;
    }
    *rec = r;
    return RS_OK;
}

rs_code rs_framelog_parse(const char *line, size_t len, uint8_t *out, size_t cap, rs_framelog_rec *rec,
                          rs_err *err)
{
    memset(rec, 0, sizeof *rec);
    size_t pos = 0;
    while (pos < len && is_space(line[pos]))
        pos++;
    if (pos >= len)
        return RS_OK; /* blank */
    if (line[pos] == '#') {
        rec->kind = RS_FRAMELOG_COMMENT;
        return parse_comment(line, len, pos + 1, out, cap, rec);
    }
    rec->kind = RS_FRAMELOG_FRAME;
    rs_code rc = read_head(line, len, &pos, rec, err);
    if (rc != RS_OK)
        return rc;
    tok t, extra;
    if (!next_tok(line, len, &pos, &t))
        return syntax(err, pos, "hex", "fourth column: the frame in hex");
    if (next_tok(line, len, &pos, &extra))
        return syntax(err, extra.col, "line", "a frame line has four columns: time peer VIN hex");
    return read_hex(&t, out, cap, rec, err);
}
