/* The per-VIN table of a worker, and of the coordinator after the merge.
 *
 * Entries live in one dense array (their index is stable), found through an
 * open-addressing index of uint32 slots.  Samples are not stored one by
 * one: the collect times seen are kept as sorted, disjoint intervals of
 * seconds.  A terminal reporting every second makes one interval per
 * session, and reissue fills the gaps, so a VIN costs a few intervals (8
 * bytes each) however long the run.  Duplicates fall out of the interval
 * arithmetic, and the coordinator unites the workers' intervals, which is
 * what makes samples_distinct exact across workers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conformance/serve_int.h"
#include "remsim/time.h"

void serve_vtab_init(serve_vtab *t)
{
    memset(t, 0, sizeof *t);
}

void serve_vtab_free(serve_vtab *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        free(t->e[i].iv);
    free(t->e);
    rs_index_free(&t->ix);
    memset(t, 0, sizeof *t);
}

static uint32_t entry_hash(const void *ctx, uint32_t i)
{
    const serve_vtab *t = ctx;
    return rs_hash_bytes(t->e[i].pub.vin, 17);
}

serve_vin_entry *serve_vtab_find(const serve_vtab *t, const uint8_t vin[17])
{
    uint32_t *s = rs_index_probe(&t->ix, rs_hash_bytes(vin, 17));
    for (; s && *s; s = rs_index_step(&t->ix, s))
        if (!memcmp(t->e[*s - 1].pub.vin, vin, 17))
            return &t->e[*s - 1];
    return NULL;
}

serve_vin_entry *serve_vtab_get(serve_vtab *t, const uint8_t vin[17])
{
    serve_vin_entry *e = serve_vtab_find(t, vin);
    if (e)
        return e;
    if (t->n == UINT32_MAX / 4)
        return NULL;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        serve_vin_entry *ne = realloc(t->e, (size_t)cap * sizeof *ne);
        if (!ne)
            return NULL;
        t->e = ne;
        t->cap = cap;
    }
    if (!rs_index_reserve(&t->ix, t->n, entry_hash, t))
        return NULL;
    uint32_t *s = rs_index_probe(&t->ix, rs_hash_bytes(vin, 17));
    while (*s)
        s = rs_index_step(&t->ix, s);
    e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    memcpy(e->pub.vin, vin, 17);
    e->login_day = e->report_day = e->tamper_day = INT32_MIN;
    *s = ++t->n;
    return e;
}

size_t serve_vtab_bytes(const serve_vtab *t)
{
    return (size_t)t->cap * sizeof *t->e + rs_index_bytes(&t->ix) + (size_t)t->iv_bytes;
}

static bool iv_reserve(serve_vtab *t, serve_vin_entry *e)
{
    if (e->n_iv < e->cap_iv)
        return true;
    uint32_t cap = e->cap_iv ? e->cap_iv * 2 : 2;
    serve_iv *n = realloc(e->iv, (size_t)cap * sizeof *n);
    if (!n)
        return false;
    t->iv_bytes += (uint64_t)(cap - e->cap_iv) * sizeof *n;
    e->iv = n;
    e->cap_iv = cap;
    return true;
}

int64_t serve_iv_add(serve_vtab *t, serve_vin_entry *e, uint32_t lo, uint32_t hi)
{
    serve_iv *v = e->iv;
    uint32_t n = e->n_iv;
    int64_t len = (int64_t)hi - lo + 1;
    /* The common case: the next second after everything seen. */
    if (n == 0 || lo > v[n - 1].hi) {
        if (n > 0 && (uint64_t)v[n - 1].hi + 1 == lo) {
            v[n - 1].hi = hi;
            return len;
        }
        if (!iv_reserve(t, e))
            return -1;
        e->iv[e->n_iv++] = (serve_iv){ lo, hi };
        return len;
    }
    /* First interval that touches or follows lo. */
    uint32_t a = 0, b = n;
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if ((uint64_t)v[mid].hi + 1 < lo)
            a = mid + 1;
        else
            b = mid;
    }
    uint32_t i = a;
    if ((uint64_t)hi + 1 < v[i].lo) { /* a gap of its own */
        if (!iv_reserve(t, e))
            return -1;
        v = e->iv;
        memmove(v + i + 1, v + i, (size_t)(n - i) * sizeof *v);
        v[i] = (serve_iv){ lo, hi };
        e->n_iv++;
        return len;
    }
    /* Merge every interval that overlaps or touches lo..hi into v[i]. */
    uint32_t nlo = lo < v[i].lo ? lo : v[i].lo, nhi = hi;
    int64_t covered = 0;
    uint32_t j = i;
    while (j < n && (uint64_t)v[j].lo <= (uint64_t)hi + 1) {
        covered += (int64_t)v[j].hi - v[j].lo + 1;
        if (v[j].hi > nhi)
            nhi = v[j].hi;
        j++;
    }
    v[i] = (serve_iv){ nlo, nhi };
    memmove(v + i + 1, v + j, (size_t)(n - j) * sizeof *v);
    e->n_iv = n - (j - i - 1);
    return ((int64_t)nhi - nlo + 1) - covered;
}

/* --- frames --- */

static void finding(serve_vin_entry *e, rs_serve_totals *st, rs_serve_finding f)
{
    st->findings[f]++;
    e->pub.findings++;
}

/* Daily serials (§10): a worker sees a subset of a VIN's frames (its
 * connections may land on other workers), so the check is that serials
 * never go back within a day, not that each is the last + 1.  The
 * conformance checker reads the complete log for that. */
static bool serial_ok(uint16_t *last, int32_t *day, const rs_time *t, uint16_t serial)
{
    if (!rs_time_valid(t))
        return true;
    int32_t d = (int32_t)rs_time_day(rs_time_to_unix(t));
    bool ok = d != *day || serial > *last || (*last == 65531 && serial == 1);
    if (d >= *day) {
        *day = d;
        *last = serial;
    }
    return ok;
}

static bool stream_type(uint8_t type)
{
    return type == RS_INFO_STREAM_DIESEL || type == RS_INFO_STREAM_TWC || type == RS_INFO_STREAM_TWC_NOX;
}

static void sample(serve_vtab *t, serve_vin_entry *e, const rs_time *collect, int64_t shift, bool live,
                   rs_serve_totals *st)
{
    if (live) {
        e->pub.samples_live++;
        st->samples_live++;
    } else {
        e->pub.samples_reissue++;
        st->samples_reissue++;
    }
    if (!rs_time_valid(collect)) {
        e->pub.samples_untimed++;
        st->samples_untimed++;
        return;
    }
    int64_t s = rs_time_to_unix(collect) + shift;
    if (s < 0 || s > (int64_t)UINT32_MAX - 1) {
        e->pub.samples_untimed++;
        st->samples_untimed++;
        return;
    }
    /* The first and last collect times, kept current (the merge recomputes
     * them from the intervals). */
    if (e->pub.first_collect == 0 || s < e->pub.first_collect)
        e->pub.first_collect = s;
    if (s > e->pub.last_collect)
        e->pub.last_collect = s;
    int64_t added = serve_iv_add(t, e, (uint32_t)s, (uint32_t)s);
    if (added < 0) { /* out of memory: counted, not tracked */
        e->pub.samples_untimed++;
        st->samples_untimed++;
    } else if (added == 0) {
        e->pub.duplicates++;
        st->duplicates++;
    }
}

static void report(serve_vtab *t, serve_vin_entry *e, const rs_msg *m, bool live, rs_serve_totals *st)
{
    const rs_report *r = &m->u.report;
    /* GB and S6 layouts carry one time: the k-th sample of the packet was
     * collected k seconds after it (§7.1; the terminal packs consecutive
     * seconds).  HJ items carry their own collect time (§7.2). */
    int64_t k = 0;
    const rs_time *first = NULL;
    for (unsigned i = 0; i < r->n_items; i++) {
        const rs_item *it = &r->item[i];
        if (!stream_type(it->type))
            continue;
        if (r->layout == RS_LAYOUT_HJ) {
            sample(t, e, &it->collect, 0, live, st);
            if (!first)
                first = &it->collect;
        } else {
            sample(t, e, &r->time, k++, live, st);
        }
    }
    if (live && r->n_items > 0) {
        /* The serial belongs to the day of the first sample (docs/terminal.md). */
        const rs_time *day_of = first ? first : &r->time;
        if (!serial_ok(&e->last_report_serial, &e->report_day, day_of, r->serial))
            finding(e, st, RS_SERVE_FIND_REPORT_SERIAL);
    }
}

/* A report whose signature failed: its samples are seen, not trusted, so
 * they stay out of the intervals (samples_distinct) and its serial does
 * not move the daily serial check. */
static void untrusted_report(serve_vin_entry *e, const rs_msg *m, rs_serve_totals *st)
{
    const rs_report *r = &m->u.report;
    for (unsigned i = 0; i < r->n_items; i++)
        if (stream_type(r->item[i].type)) {
            e->pub.samples_untrusted++;
            st->samples_untrusted++;
        }
}

void serve_vin_on_msg(serve_vtab *t, serve_vin_entry *e, const rs_msg *m, uint32_t conn_id, bool trusted,
                      rs_serve_totals *st)
{
    uint8_t cmd = m->frame.cmd;
    e->pub.frames[cmd >= 1 && cmd <= 8 ? cmd : 0]++;
    bool in_session = e->session_conn == conn_id;
    switch ((rs_msg_kind)m->kind) {
    case RS_MSG_LOGIN:
        e->pub.logins++;
        if (!serial_ok(&e->last_login_serial, &e->login_day, &m->u.login.time, m->u.login.serial))
            finding(e, st, RS_SERVE_FIND_LOGIN_SERIAL);
        e->session_conn = conn_id;
        e->session_serial = m->u.login.serial;
        break;
    case RS_MSG_LOGOUT:
        e->pub.logouts++;
        if (!in_session)
            finding(e, st, RS_SERVE_FIND_NO_SESSION);
        else if (m->u.logout.serial != e->session_serial)
            finding(e, st, RS_SERVE_FIND_LOGOUT_SERIAL);
        if (in_session)
            e->session_conn = 0;
        break;
    case RS_MSG_REPORT:
        if (!in_session)
            finding(e, st, RS_SERVE_FIND_NO_SESSION);
        if (trusted)
            report(t, e, m, cmd == RS_CMD_REALTIME, st);
        else
            untrusted_report(e, m, st);
        break;
    case RS_MSG_EV_REPORT: /* GB/T 32960: one sample per report, at the report's time */
        if (!in_session)
            finding(e, st, RS_SERVE_FIND_NO_SESSION);
        sample(t, e, &m->u.opaque.time, 0, cmd == RS_CMD_REALTIME, st);
        break;
    case RS_MSG_TAMPER:
        if (!in_session)
            finding(e, st, RS_SERVE_FIND_NO_SESSION);
        if (!serial_ok(&e->last_tamper_serial, &e->tamper_day, &m->u.tamper.time, m->u.tamper.serial))
            finding(e, st, RS_SERVE_FIND_TAMPER_SERIAL);
        break;
    default:
        break;
    }
}

void serve_vin_on_close(serve_vin_entry *e, uint32_t conn_id)
{
    if (e->session_conn == conn_id)
        e->session_conn = 0;
}

/* --- file form: "RSV1", count, then per entry: the public record, the
 * interval count, the intervals.  Same binary on both ends (fork). --- */

typedef struct wbuf {
    int fd;
    uint8_t b[65536];
    size_t n;
    bool ok;
} wbuf;

static void wflush(wbuf *w)
{
    size_t off = 0;
    while (w->ok && off < w->n) {
        ssize_t k = write(w->fd, w->b + off, w->n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            w->ok = false;
        else
            off += (size_t)k;
    }
    w->n = 0;
}

static void wput(wbuf *w, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n) {
        if (w->n == sizeof w->b)
            wflush(w);
        size_t k = sizeof w->b - w->n < n ? sizeof w->b - w->n : n;
        memcpy(w->b + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
    }
}

bool serve_vtab_write(const serve_vtab *t, int fd)
{
    wbuf *w = malloc(sizeof *w);
    if (!w)
        return false;
    w->fd = fd;
    w->n = 0;
    w->ok = true;
    wput(w, "RSV1", 4);
    wput(w, &t->n, sizeof t->n);
    for (uint32_t i = 0; i < t->n; i++) {
        const serve_vin_entry *e = &t->e[i];
        wput(w, &e->pub, sizeof e->pub);
        wput(w, &e->n_iv, sizeof e->n_iv);
        wput(w, e->iv, (size_t)e->n_iv * sizeof *e->iv);
    }
    wflush(w);
    bool ok = w->ok;
    free(w);
    return ok;
}

static void add_pub(rs_serve_vin *d, const rs_serve_vin *s)
{
    d->logins += s->logins;
    d->logouts += s->logouts;
    for (int k = 0; k < RS_SERVE_VIN_CMDS; k++)
        d->frames[k] += s->frames[k];
    d->samples_live += s->samples_live;
    d->samples_reissue += s->samples_reissue;
    d->samples_untimed += s->samples_untimed;
    d->rejected += s->rejected;
    d->findings += s->findings;
    d->sig_verified += s->sig_verified;
    d->sig_default_id += s->sig_default_id;
    d->sig_failed += s->sig_failed;
    d->sig_unknown_key += s->sig_unknown_key;
    d->sig_missing += s->sig_missing;
    d->samples_untrusted += s->samples_untrusted;
    for (int k = 0; k < RS_SERVE_ACT_COUNT; k++)
        d->activations[k] += s->activations[k];
    if (!d->sig_fail_reason) /* the first worker's first failure */
        d->sig_fail_reason = s->sig_fail_reason;
}

bool serve_vtab_merge_fd(serve_vtab *t, int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return false;
    size_t size = (size_t)sb.st_size;
    if (size == 0)
        return true; /* the worker wrote nothing (it died first) */
    uint8_t *buf = malloc(size);
    if (!buf)
        return false;
    size_t got = 0;
    while (got < size) {
        ssize_t k = pread(fd, buf + got, size - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    bool ok = got == size && size >= 8 && !memcmp(buf, "RSV1", 4);
    uint32_t count = 0;
    size_t pos = 8;
    if (ok)
        memcpy(&count, buf + 4, 4);
    for (uint32_t i = 0; ok && i < count; i++) {
        rs_serve_vin pub;
        uint32_t n_iv;
        if (size - pos < sizeof pub + sizeof n_iv) {
            ok = false;
            break;
        }
        memcpy(&pub, buf + pos, sizeof pub);
        memcpy(&n_iv, buf + pos + sizeof pub, sizeof n_iv);
        pos += sizeof pub + sizeof n_iv;
        if ((size - pos) / sizeof(serve_iv) < n_iv) {
            ok = false;
            break;
        }
        serve_vin_entry *e = serve_vtab_get(t, pub.vin);
        if (!e) {
            ok = false;
            break;
        }
        add_pub(&e->pub, &pub);
        for (uint32_t k = 0; k < n_iv; k++) {
            serve_iv iv;
            memcpy(&iv, buf + pos + (size_t)k * sizeof iv, sizeof iv);
            if (iv.lo > iv.hi || serve_iv_add(t, e, iv.lo, iv.hi) < 0) {
                ok = false;
                break;
            }
        }
        pos += (size_t)n_iv * sizeof(serve_iv);
    }
    free(buf);
    return ok;
}

void serve_vtab_finish(serve_vtab *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        serve_vin_entry *e = &t->e[i];
        uint64_t distinct = 0;
        for (uint32_t k = 0; k < e->n_iv; k++)
            distinct += (uint64_t)e->iv[k].hi - e->iv[k].lo + 1;
        e->pub.samples_distinct = (uint32_t)distinct;
        uint64_t timed = (uint64_t)e->pub.samples_live + e->pub.samples_reissue - e->pub.samples_untimed;
        e->pub.duplicates = timed > distinct ? (uint32_t)(timed - distinct) : 0;
        e->pub.first_collect = e->n_iv ? e->iv[0].lo : 0;
        e->pub.last_collect = e->n_iv ? e->iv[e->n_iv - 1].hi : 0;
    }
}
