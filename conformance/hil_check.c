/* The terminal cases read from the platform's record (hil_int.h): 1 Hz
 * sampling, the packet period, serials and their daily reset, login/logout
 * pairing, reissue after the harness's outage, time calibration and
 * activation.  Every frame also goes through the per-frame rules
 * (conform_rules.h), so the capture cases get their verdicts the same way
 * `remsim check` gives them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance/hil_int.h"
#include "remsim/keystore.h"

#define PERIOD_LIMIT_MS 11000     /* §10 "every <= 10 s", plus the second a sample may straddle */
#define CLOCK_AHEAD_MS 1000       /* a frame time may be this far ahead of arrival (§8: within 1 s) */
#define CLOCK_BEHIND_MS 2000      /* ... or behind: 1 s, plus the truncation to whole seconds */

typedef struct item_obs {
    int64_t collect;              /* s */
    int32_t day;                  /* GMT+8 day of the packet's first sample: its serials' day */
    uint16_t serial;
    bool live, obd;
    uint32_t frame;
} item_obs;

typedef struct session {
    int conn;
    uint16_t serial;
    bool open, logged_out;
} session;

typedef struct ctx {
    hil *h;
    rs_conf_run *run;
    const char *vin;              /* the VIN text for verdicts */
    char vinbuf[18];
    item_obs *items;
    size_t n_items, cap_items;
    int64_t start_s;
    /* per connection */
    int64_t last_live[HIL_MAX_CONNS];
    bool seen_first[HIL_MAX_CONNS], logged_in[HIL_MAX_CONNS];
    uint16_t login_serial[HIL_MAX_CONNS];
    bool session_open[HIL_MAX_CONNS];
    /* logins */
    bool have_login;
    int32_t login_day;
    uint16_t last_login;
    int64_t relogin_ms;           /* first login after the outage ended */
    /* time calibration */
    uint64_t timecal_req;
    int64_t answered_ms;          /* first 0x05 answer; 0 none */
    /* activation */
    uint64_t act_frames;
    bool act_ok_sent;
    uint64_t act_after_ok;
} ctx;

static void ref_of(const ctx *c, const hil_frame *f, rs_conf_ref *r)
{
    rs_conf_ref_init(r);
    if (f->len)
        rs_conf_ref_frame(r, &c->h->setup.profile, f->bytes, f->len);
    r->time_ms = f->at_ms;
    snprintf(r->source, sizeof r->source, "%s %s", f->down ? "platform >" : "terminal <",
             c->h->conns[f->conn].peer);
}

static void keep_item(ctx *c, const item_obs *it)
{
    if (c->n_items == c->cap_items) {
        size_t cap = c->cap_items ? 2 * c->cap_items : 1024;
        item_obs *p = realloc(c->items, cap * sizeof *p);
        if (!p)
            return;
        c->items = p;
        c->cap_items = cap;
    }
    c->items[c->n_items++] = *it;
}

static bool is_stream(uint8_t type)
{
    return type == RS_INFO_STREAM_DIESEL || type == RS_INFO_STREAM_TWC || type == RS_INFO_STREAM_TWC_NOX;
}

/* Collect seconds and serials of a report's samples (GB: consecutive
 * seconds from the packet time, §7.1; HJ: each item's collect time). */
static void report(ctx *c, const rs_msg *m, const hil_frame *f, uint32_t fi)
{
    const rs_report *r = &m->u.report;
    bool live = m->frame.cmd == RS_CMD_REALTIME;
    bool gb = r->layout == RS_LAYOUT_GB;
    int64_t base = rs_time_to_unix(&r->time), cur = base - 1;
    int32_t day = INT32_MIN;
    for (unsigned k = 0; k < r->n_items; k++) {
        const rs_item *it = &r->item[k];
        if (!is_stream(it->type) && !(gb && it->type == RS_INFO_OBD))
            continue;
        item_obs o = { 0 };
        o.obd = it->type == RS_INFO_OBD;
        o.collect = gb ? (o.obd ? cur : ++cur) : rs_time_to_unix(&it->collect);
        if (day == INT32_MIN && !o.obd)
            day = (int32_t)rs_time_day(o.collect);
        o.serial = gb ? it->serial : r->serial;
        o.live = live;
        o.frame = fi;
        keep_item(c, &o);
    }
    for (size_t i = c->n_items; i > 0 && c->items[i - 1].frame == fi; i--)
        c->items[i - 1].day = day == INT32_MIN ? (int32_t)rs_time_day(base) : day;
    /* the packet period: live packets of one session */
    if (live && c->session_open[f->conn]) {
        int64_t gap = f->at_ms - c->last_live[f->conn];
        rs_conf_exercise(c->run, RS_CASE_T_PACKET_PERIOD, c->vin);
        if (gap > PERIOD_LIMIT_MS) {
            rs_conf_ref ref;
            ref_of(c, f, &ref);
            rs_conf_fail(c->run, RS_CASE_T_PACKET_PERIOD, RS_SEV_ERROR, c->vin, &ref,
                         "%.1f s without a real-time packet on connection %u (at most 10 s, §10)", gap / 1000.0,
                         f->conn);
        }
        c->last_live[f->conn] = f->at_ms;
    }
}

static void clock_check(ctx *c, const hil_frame *f, int64_t t_s, const char *what)
{
    if (!c->answered_ms || f->at_ms <= c->answered_ms)
        return; /* before calibration the terminal's clock may be anything */
    int64_t d = t_s * 1000 - f->at_ms;
    rs_conf_exercise(c->run, RS_CASE_T_TIMECAL, c->vin);
    if (d > CLOCK_AHEAD_MS || d < -CLOCK_BEHIND_MS) {
        rs_conf_ref ref;
        ref_of(c, f, &ref);
        rs_conf_fail(c->run, RS_CASE_T_TIMECAL, RS_SEV_ERROR, c->vin, &ref,
                     "%s time is %+.1f s off the harness clock after the time calibration answer (within 1 s, §8)",
                     what, d / 1000.0);
    }
}

static void login(ctx *c, const rs_msg *m, const hil_frame *f)
{
    rs_conf_ref ref;
    uint16_t s = m->u.login.serial;
    int64_t t = rs_time_to_unix(&m->u.login.time);
    int32_t day = (int32_t)rs_time_day(t);
    rs_conf_exercise(c->run, RS_CASE_T_SERIALS, c->vin);
    if (c->have_login) {
        uint16_t want = day != c->login_day ? 1 : (uint16_t)(c->last_login >= 65531 ? 1 : c->last_login + 1);
        if (s != want) {
            ref_of(c, f, &ref);
            rs_conf_fail(c->run, RS_CASE_T_SERIALS, RS_SEV_ERROR, c->vin, &ref,
                         "login serial %u after %u%s: want %u (§6.1)", s, c->last_login,
                         day != c->login_day ? " on a new GMT+8 day" : "", want);
        }
    }
    c->have_login = true;
    c->login_day = day;
    c->last_login = s;
    c->login_serial[f->conn] = s;
    c->session_open[f->conn] = true;
    c->last_live[f->conn] = f->at_ms;
    if (c->h->outage_to != c->h->outage_from && f->at_ms >= c->h->outage_to && !c->relogin_ms)
        c->relogin_ms = f->at_ms;
    clock_check(c, f, t, "login");
}

static void logout(ctx *c, const rs_msg *m, const hil_frame *f)
{
    rs_conf_ref ref;
    rs_conf_exercise(c->run, RS_CASE_T_LOGIN_LOGOUT, c->vin);
    if (!c->session_open[f->conn]) {
        ref_of(c, f, &ref);
        rs_conf_fail(c->run, RS_CASE_T_LOGIN_LOGOUT, RS_SEV_ERROR, c->vin, &ref,
                     "logout on connection %u without a login before it (§6)", f->conn);
    } else if (m->u.logout.serial != c->login_serial[f->conn]) {
        ref_of(c, f, &ref);
        rs_conf_fail(c->run, RS_CASE_T_LOGIN_LOGOUT, RS_SEV_ERROR, c->vin, &ref,
                     "logout serial %u, the session's login serial is %u (§6.2)", m->u.logout.serial,
                     c->login_serial[f->conn]);
    }
    c->session_open[f->conn] = false;
    clock_check(c, f, rs_time_to_unix(&m->u.logout.time), "logout");
}

static void activation(ctx *c, const rs_msg *m, const hil_frame *f)
{
    rs_conf_ref ref;
    c->act_frames++;
    rs_conf_exercise(c->run, RS_CASE_T_ACTIVATION, c->vin);
    if (c->act_ok_sent) {
        c->act_after_ok++;
        if (c->act_after_ok == 1) {
            ref_of(c, f, &ref);
            rs_conf_fail(c->run, RS_CASE_T_ACTIVATION, RS_SEV_ERROR, c->vin, &ref,
                         "activation sent again after the 08 01 00 success answer (§9.3)");
        }
    }
    const rs_activation *a = &m->u.act;
    if (memcmp(a->vin, m->frame.vin, RS_VIN_LEN) != 0) {
        ref_of(c, f, &ref);
        rs_conf_fail(c->run, RS_CASE_T_ACTIVATION, RS_SEV_ERROR, c->vin, &ref,
                     "the VIN in the activation body is not the header's (§9.2)");
    }
    rs_sm2_key k;
    rs_err err;
    const uint8_t *span;
    size_t len;
    rs_sm2_idmatch which;
    if (rs_sm2_key_from_pub(c->h->sm2, &k, a->pubkey, a->chip_id, RS_CHIP_ID_LEN, &err) != RS_OK) {
        ref_of(c, f, &ref);
        rs_conf_fail(c->run, RS_CASE_T_ACTIVATION, RS_SEV_ERROR, c->vin, &ref,
                     "the chip public key is not a point of the SM2 curve (§9.2)");
    } else if (!a->has_sig || !rs_msg_signed_span(m, &span, &len) ||
               rs_sm2_verify(c->h->sm2, &k, span, len, &a->sig, &which, &err) != RS_OK) {
        ref_of(c, f, &ref);
        rs_conf_fail(c->run, RS_CASE_T_ACTIVATION, RS_SEV_ERROR, c->vin, &ref,
                     "the activation is %s with the chip key it carries (§9.2)",
                     a->has_sig ? "not signed correctly" : "not signed");
    }
    clock_check(c, f, rs_time_to_unix(&a->time), "activation");
}

static void downlink(ctx *c, const rs_msg *m, const hil_frame *f)
{
    if (m->kind == RS_MSG_TIMECAL_ANS && !c->answered_ms)
        c->answered_ms = f->at_ms;
    if (m->kind == RS_MSG_ACTIVATION_ANS && m->u.act_ans.status == RS_ACT_OK)
        c->act_ok_sent = true;
}

static void frame(ctx *c, const hil_frame *f, uint32_t fi)
{
    if (!f->len) {
        c->session_open[f->conn] = false; /* a closed link ends the session without logout */
        return;
    }
    rs_msg *m = c->h->pmsg;
    rs_err err;
    if (rs_msg_decode(&c->h->setup.profile, f->bytes, f->len, m, &err) != RS_OK)
        return; /* the per-frame rules report it */
    if (f->down) {
        downlink(c, m, f);
        return;
    }
    if (!c->seen_first[f->conn]) {
        c->seen_first[f->conn] = true;
        if (m->kind != RS_MSG_LOGIN && m->kind != RS_MSG_ACTIVATION) {
            rs_conf_ref ref;
            ref_of(c, f, &ref);
            rs_conf_fail(c->run, RS_CASE_T_LOGIN_LOGOUT, RS_SEV_ERROR, c->vin, &ref,
                         "the first frame on connection %u is 0x%02X, not a login (§6)", f->conn, m->frame.cmd);
        }
    }
    switch (m->kind) {
    case RS_MSG_LOGIN: login(c, m, f); break;
    case RS_MSG_LOGOUT: logout(c, m, f); break;
    case RS_MSG_REPORT:
        report(c, m, f, fi);
        if (m->frame.cmd == RS_CMD_REALTIME && m->u.report.layout == RS_LAYOUT_HJ)
            clock_check(c, f, rs_time_to_unix(&m->u.report.time), "report send");
        break;
    case RS_MSG_TIMECAL_REQ: c->timecal_req++; break;
    case RS_MSG_ACTIVATION: activation(c, m, f); break;
    default: break;
    }
}

static int by_day_collect(const void *a, const void *b)
{
    const item_obs *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->collect != y->collect)
        return x->collect < y->collect ? -1 : 1;
    return (x->serial > y->serial) - (x->serial < y->serial);
}

static int by_day_serial(const void *a, const void *b)
{
    const item_obs *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->serial > y->serial) - (x->serial < y->serial);
}

static void fail_item(ctx *c, rs_case_id id, const item_obs *it, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_item(ctx *c, rs_case_id id, const item_obs *it, const char *fmt, ...)
{
    rs_conf_ref ref;
    ref_of(c, &c->h->frames[it->frame], &ref);
    va_list ap;
    va_start(ap, fmt);
    rs_conf_failv(c->run, id, RS_SEV_ERROR, c->vin, &ref, fmt, ap);
    va_end(ap);
}

static void time_text(int64_t s, char out[RS_TIME_TEXT])
{
    rs_time t = rs_time_from_unix(s);
    rs_time_format(&t, out);
}

static size_t lower_bound(const int64_t *a, size_t n, int64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* True when a second strictly between a and b (either order) was never reported. */
static bool seconds_missing(const int64_t *secs, size_t n, int64_t a, int64_t b)
{
    if (a > b) {
        int64_t t = a;
        a = b;
        b = t;
    }
    if (b - a <= 1)
        return false;
    size_t have = lower_bound(secs, n, b) - lower_bound(secs, n, a + 1);
    return (int64_t)have < b - a - 1;
}

/* Report serials: rising with the collect time within a GMT+8 day (a
 * reissued sample keeps the serial it was formed with, §10), no serial
 * skipped, restarting at 1 on a day that began during the run. */
static void serials(ctx *c)
{
    if (!c->n_items)
        return;
    qsort(c->items, c->n_items, sizeof *c->items, by_day_collect);
    int32_t first_day = c->items[0].day;
    bool bad_order = false;
    for (size_t i = 1; i < c->n_items; i++) {
        const item_obs *p = &c->items[i - 1], *q = &c->items[i];
        if (q->day != p->day || q->obd || p->obd)
            continue;
        rs_conf_exercise(c->run, RS_CASE_T_SERIALS, c->vin);
        if (q->serial < p->serial && !bad_order) {
            bad_order = true;
            char a[RS_TIME_TEXT], b[RS_TIME_TEXT];
            time_text(p->collect, a);
            time_text(q->collect, b);
            fail_item(c, RS_CASE_T_SERIALS, q, "serial %u for the sample of %s, but %u for the earlier one of %s: "
                      "serials must follow the collect time (reissue keeps the original serial, §10)",
                      q->serial, b, p->serial, a);
        }
    }
    /* the reported seconds, to tell a skipped serial from a lost packet */
    int64_t *secs = malloc(c->n_items * sizeof *secs);
    size_t n_secs = 0;
    for (size_t i = 0; secs && i < c->n_items; i++)
        if (!c->items[i].obd && (!n_secs || secs[n_secs - 1] != c->items[i].collect))
            secs[n_secs++] = c->items[i].collect; /* sorted: items are by day, then collect */
    qsort(c->items, c->n_items, sizeof *c->items, by_day_serial);
    unsigned gaps = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        const item_obs *q = &c->items[i];
        bool day_start = i == 0 || c->items[i - 1].day != q->day;
        if (day_start) {
            rs_conf_exercise(c->run, RS_CASE_T_SERIALS, c->vin);
            if (q->day != first_day && q->serial != 1) {
                char b[RS_TIME_TEXT];
                time_text(q->collect, b);
                fail_item(c, RS_CASE_T_SERIALS, q, "the first serial of the GMT+8 day starting before %s is %u, "
                          "not 1 (daily reset, §10)", b, q->serial);
            }
            continue;
        }
        uint16_t prev = c->items[i - 1].serial;
        /* Samples missing between the two are lost packets, which the
         * sampling and reissue cases judge; the serials around them are
         * not skipped ones. */
        if (q->serial > prev + 1u && secs && seconds_missing(secs, n_secs, c->items[i - 1].collect, q->collect))
            continue;
        if (q->serial > prev + 1u && gaps++ < 3)
            fail_item(c, RS_CASE_T_SERIALS, q, "report serial %u follows %u: serial%s %u%s never sent (+1 per "
                      "packet, §10)", q->serial, prev, q->serial - prev > 2 ? "s" : "", prev + 1u,
                      q->serial - prev > 2 ? " and on" : "");
    }
    free(secs);
}

static int by_collect(const void *a, const void *b)
{
    const item_obs *x = a, *y = b;
    if (x->collect != y->collect)
        return x->collect < y->collect ? -1 : 1;
    return (int)y->live - (int)x->live;
}

/* 1 Hz sampling and reissue: every second reported, none twice live; the
 * seconds of the outage as 0x03. */
static void sampling(ctx *c)
{
    hil *h = c->h;
    size_t n = 0;
    for (size_t i = 0; i < c->n_items; i++)
        if (!c->items[i].obd)
            c->items[n++] = c->items[i];
    c->n_items = n;
    qsort(c->items, n, sizeof *c->items, by_collect);
    bool outage = h->outage_from != h->outage_to;
    int64_t a_s = h->outage_from / 1000, r_s = c->relogin_ms ? c->relogin_ms / 1000 : h->end_ms / 1000;
    unsigned distinct = 0, doubled = 0, missing = 0, as_live = 0;
    int64_t first_missing = 0;
    for (size_t i = 0; i < n; i++) {
        const item_obs *q = &c->items[i];
        bool new_second = i == 0 || c->items[i - 1].collect != q->collect;
        if (!new_second) {
            if (q->live && c->items[i - 1].live && doubled++ < 3)
                fail_item(c, RS_CASE_T_SAMPLING, q, "two real-time samples for one second (the sampler ran twice "
                          "within a second, or the clock stepped back)");
            continue;
        }
        distinct++;
        rs_conf_exercise(c->run, RS_CASE_T_SAMPLING, c->vin);
        if (i > 0 && q->collect > c->items[i - 1].collect + 1) {
            int64_t from = c->items[i - 1].collect + 1, to = q->collect - 1;
            /* A gap around the outage is the reissue case's to judge: it may
             * start a packet (10 s) before the link broke, with the packet
             * that was being filled, and end a little after it came back. */
            int64_t slack = 11 + (int64_t)h->o->max_delay_s;
            bool excused = outage && from >= a_s - slack && to <= r_s + slack;
            if (!excused && missing++ < 3) {
                char b[RS_TIME_TEXT];
                time_text(from, b);
                fail_item(c, RS_CASE_T_SAMPLING, q, "%lld second%s from %s never reported (1 Hz, §10)",
                          (long long)(to - from + 1), to > from ? "s" : "", b);
            }
        }
        if (outage && q->collect > a_s + 1 && q->collect < r_s - 1 && q->live) {
            bool also_reissued = false;
            for (size_t j = i + 1; j < n && c->items[j].collect == q->collect; j++)
                also_reissued |= !c->items[j].live;
            if (!also_reissued && as_live++ < 3)
                fail_item(c, RS_CASE_T_REISSUE, q, "a sample collected during the outage came as real-time 0x02, "
                          "not as reissue 0x03 (§10)");
        }
    }
    h->st->samples_reported = distinct;
    if (!n)
        rs_conf_fail(c->run, RS_CASE_T_SAMPLING, RS_SEV_ERROR, c->vin, NULL, "no sample was reported at all");
    if (!outage) {
        rs_conf_not_applicable(c->run, RS_CASE_T_REISSUE, "no outage (--outage 0, or --outage-at past the drive)");
        return;
    }
    if (!c->relogin_ms) {
        rs_conf_fail(c->run, RS_CASE_T_REISSUE, RS_SEV_ERROR, c->vin, NULL,
                     "the terminal never logged in again after the outage ended");
        return;
    }
    /* every second strictly inside (outage start, reconnection) as 0x03 */
    size_t j = 0;
    unsigned lost = 0, expected = 0;
    for (int64_t s = a_s + 2; s <= r_s - 2; s++) {
        while (j < n && c->items[j].collect < s)
            j++;
        bool reissued = false;
        for (size_t k = j; k < n && c->items[k].collect == s; k++)
            reissued |= !c->items[k].live;
        rs_conf_exercise(c->run, RS_CASE_T_REISSUE, c->vin);
        expected++;
        if (!reissued && !lost++)
            first_missing = s;
    }
    if (lost) {
        char b[RS_TIME_TEXT];
        time_text(first_missing, b);
        rs_conf_fail(c->run, RS_CASE_T_REISSUE, RS_SEV_ERROR, c->vin, NULL,
                     "%u of %u seconds collected while the link was down never arrived as 0x03 (first: %s; "
                     "outage of %u s at %u s, reconnected %.0f s in)", lost, expected, b, h->o->outage_s,
                     h->o->outage_at_s, (c->relogin_ms - h->start_ms) / 1000.0);
    }
}

static void rules(hil *h)
{
    rs_err err;
    rs_rules *r = rs_rules_new(h->run, &err);
    if (!r)
        return;
    rs_rules_sm2_keys *ks = rs_rules_sm2_keys_new(&err);
    if (ks) {
        size_t n = 0;
        if (h->o->keys)
            rs_rules_sm2_keys_load_dir(ks, h->o->keys, &n, &err);
        rs_rules_keys hook;
        rs_rules_sm2_keys_hook(ks, &hook);
        rs_rules_set_keys(r, &hook);
    }
    rs_rules_segments_known(r, !h->virtual_time);
    for (size_t i = 0; i < h->n_frames; i++) {
        const hil_frame *f = &h->frames[i];
        if (!f->len) {
            rs_rules_conn_close(r, f->conn);
            continue;
        }
        rs_rules_src src = { 0 };
        src.source = h->conns[f->conn].peer;
        src.time_ms = f->at_ms;
        src.conn = f->conn;
        src.downlink = f->down;
        src.coalesced = f->coalesced;
        rs_rules_frame(r, f->bytes, f->len, &src);
        if (!f->down && f->len >= 21) {
            char vin[18];
            rs_framelog_vin_text(f->bytes + 4, vin);
            rs_conf_vin_frame(h->run, vin);
        }
    }
    rs_rules_finish(r);
    rs_rules_free(r);
    rs_rules_sm2_keys_free(ks);
}

void hil_check(hil *h)
{
    rules(h);
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->h = h;
    c->run = h->run;
    c->start_s = h->start_ms / 1000;
    rs_framelog_vin_text(h->vin, c->vinbuf);
    c->vin = c->vinbuf;
    for (size_t i = 0; i < h->n_frames; i++)
        frame(c, &h->frames[i], (uint32_t)i);
    /* the last session: the drive ended with the ignition off (or the CAN
     * bus silent), so a logout must close it */
    for (uint32_t k = 0; k < h->n_conns; k++)
        if (c->session_open[k]) {
            rs_conf_fail(h->run, RS_CASE_T_LOGIN_LOGOUT, RS_SEV_ERROR, c->vin, NULL,
                         "the session of connection %u (login serial %u) never ended with a logout after the "
                         "drive (§6.2, §10)", k, c->login_serial[k]);
            c->session_open[k] = false;
        }
    if (!c->have_login)
        rs_conf_fail(h->run, RS_CASE_T_LOGIN_LOGOUT, RS_SEV_ERROR, c->vin, NULL, "no login arrived");
    serials(c);
    sampling(c);
    if (!c->timecal_req)
        rs_conf_skip(h->run, RS_CASE_T_TIMECAL, "the terminal never asked for the time (0x05): it may set its "
                                                  "clock from GNSS");
    else if (!c->answered_ms)
        rs_conf_skip(h->run, RS_CASE_T_TIMECAL, "no time calibration answer was sent");
    else
        rs_conf_exercise(h->run, RS_CASE_T_TIMECAL, c->vin);
    if (h->setup.profile.proto == RS_PROTO_HJ1239 && !c->act_frames)
        rs_conf_fail(h->run, RS_CASE_T_ACTIVATION, RS_SEV_ERROR, c->vin, NULL,
                     "no activation 0x07 arrived (HJ 1239 terminals activate with the national platform, §9.2; "
                     "--national ADDR, or the same listener)");
    free(c->items);
    free(c);
}
