/* Sequence rules per VIN (§6, §10): daily serials, sessions, packet
 * timing, samples seen twice, answer latency.
 *
 * Serials are judged on what the input shows: the first serial of a VIN is
 * taken as it is (a capture may start mid-day), a day change is judged only
 * when the input saw the VIN on an earlier day, and a jump in report
 * serials is a gap that reissued packets may fill until the end of the
 * input (docs/terminal.md: a packet formed offline keeps its serial). */
#include <stdlib.h>
#include <string.h>

#include "conformance/rules_int.h"
#include "remsim/time.h"

#define SERIAL_MAX 65531
#define INTERVAL_LIMIT_S 11   /* 10 s (§10) plus one second of time resolution */

static rs_severity sev(const rs_rules *r, rs_case_id id) { return rs_conf_severity(r->run, id); }

static bool follows(uint16_t hi, uint16_t s) { return s == hi + 1 || (hi == SERIAL_MAX && s == 1); }

/* Login and tamper serials: +1 within a day, 1 on a new day. */
static void daily(rs_rules *r, rules_vin *v, rules_counter *c, int32_t day, uint16_t s, rs_case_id plus1,
                  const char *what, const rs_conf_ref *ref)
{
    rs_conf_run *run = r->run;
    if (!c->any) {
        c->any = true;
        c->day = day;
        c->hi = s;
        rs_conf_exercise(run, plus1, v->text);
        return;
    }
    if (day < c->day)
        return; /* a frame of an earlier day: nothing to compare it with */
    if (day > c->day) {
        rs_conf_exercise(run, RS_CASE_SERIAL_RESET, v->text);
        if (s != 1)
            rs_conf_fail(run, RS_CASE_SERIAL_RESET, sev(r, RS_CASE_SERIAL_RESET), v->text, ref,
                         "%s serial %u on a new GMT+8 day (the previous day ended at %u): serials restart at 1",
                         what, s, c->hi);
        c->day = day;
        c->hi = s;
        return;
    }
    rs_conf_exercise(run, plus1, v->text);
    if (!follows(c->hi, s))
        rs_conf_fail(run, plus1, sev(r, plus1), v->text, ref, "%s serial %u after %u: expected %u", what, s, c->hi,
                     c->hi == SERIAL_MAX ? 1 : c->hi + 1);
    if (s > c->hi || follows(c->hi, s))
        c->hi = s;
}

/* --- report serial gaps --- */

static void gap_finding(rs_rules *r, rules_vin *v, const rules_gap *g)
{
    rs_conf_ref ref;
    rs_conf_ref_init(&ref);
    snprintf(ref.source, sizeof ref.source, "%s", rules_source_text(r, g->source));
    ref.line = g->line;
    ref.packet = g->packet;
    ref.offset = g->offset;
    ref.time_ms = g->time_ms;
    snprintf(ref.vin, sizeof ref.vin, "%s", v->text);
    if (g->lo == g->hi)
        rs_conf_fail(r->run, RS_CASE_REPORT_SERIAL, sev(r, RS_CASE_REPORT_SERIAL), v->text, &ref,
                     "report serial %u was skipped: neither sent live nor reissued (the jump is at the packet shown)",
                     g->lo);
    else
        rs_conf_fail(r->run, RS_CASE_REPORT_SERIAL, sev(r, RS_CASE_REPORT_SERIAL), v->text, &ref,
                     "report serials %u..%u were skipped: neither sent live nor reissued (the jump is at the packet "
                     "shown)",
                     g->lo, g->hi);
}

static void gaps_flush(rs_rules *r, rules_vin *v)
{
    for (unsigned i = 0; i < v->n_gaps; i++)
        gap_finding(r, v, &v->gaps[i]);
    v->n_gaps = 0;
}

static void gap_add(rs_rules *r, rules_vin *v, uint16_t lo, uint16_t hi, const rs_conf_ref *ref)
{
    rules_gap g = { lo, hi, rules_source_keep(r, ref->source), ref->line, ref->packet, ref->offset, ref->time_ms };
    if (v->n_gaps == RULES_MAX_GAPS) {
        gap_finding(r, v, &v->gaps[0]); /* the oldest is judged now */
        memmove(v->gaps, v->gaps + 1, (RULES_MAX_GAPS - 1) * sizeof g);
        v->n_gaps--;
    }
    v->gaps[v->n_gaps++] = g;
}

/* Removes [lo, hi] from the gaps; true when any serial was in one. */
static bool gap_fill(rules_vin *v, uint16_t lo, uint16_t hi)
{
    bool hit = false;
    for (unsigned i = 0; i < v->n_gaps;) {
        rules_gap *g = &v->gaps[i];
        if (hi < g->lo || lo > g->hi) {
            i++;
            continue;
        }
        hit = true;
        if (lo <= g->lo && hi >= g->hi) { /* covered: drop it */
            memmove(g, g + 1, (size_t)(v->n_gaps - i - 1) * sizeof *g);
            v->n_gaps--;
            continue;
        }
        if (lo > g->lo && hi < g->hi && v->n_gaps < RULES_MAX_GAPS) { /* inside: split */
            memmove(g + 1, g, (size_t)(v->n_gaps - i) * sizeof *g);
            v->n_gaps++;
            g[0].hi = (uint16_t)(lo - 1);
            g[1].lo = (uint16_t)(hi + 1);
            i += 2;
            continue;
        }
        if (lo <= g->lo)
            g->lo = (uint16_t)(hi + 1);
        else
            g->hi = (uint16_t)(lo - 1);
        i++;
    }
    return hit;
}

/* A packet covering serials [a, b] (GB per-item serials: b > a). */
static void report_serial(rs_rules *r, rules_vin *v, int32_t day, uint16_t a, uint16_t b, bool live,
                          const rs_conf_ref *ref)
{
    rs_conf_run *run = r->run;
    rules_counter *c = &v->report;
    if (!c->any || day > c->day) {
        bool new_day = c->any;
        if (new_day) {
            gaps_flush(r, v);
            rs_conf_exercise(run, RS_CASE_SERIAL_RESET, v->text);
        }
        if (new_day && a != 1 && follows(c->hi, a))
            rs_conf_fail(run, RS_CASE_SERIAL_RESET, sev(r, RS_CASE_SERIAL_RESET), v->text, ref,
                         "report serial %u continues the previous day's %u on a new GMT+8 day: serials restart at 1",
                         a, c->hi);
        else if (new_day && a > 1)
            gap_add(r, v, 1, (uint16_t)(a - 1), ref);
        c->any = true;
        c->day = day;
        c->hi = b;
        rs_conf_exercise(run, RS_CASE_REPORT_SERIAL, v->text);
        return;
    }
    if (day < c->day)
        return; /* a reissued packet of an earlier day */
    rs_conf_exercise(run, RS_CASE_REPORT_SERIAL, v->text);
    if (follows(c->hi, a)) {
        c->hi = b;
        return;
    }
    if (a > c->hi + 1) {
        gap_add(r, v, (uint16_t)(c->hi + 1), (uint16_t)(a - 1), ref);
        c->hi = b;
        return;
    }
    /* a <= hi: a reissued packet fills a gap, or a serial comes again */
    if (gap_fill(v, a, b) || !live)
        return;
    rs_conf_fail(run, RS_CASE_REPORT_SERIAL, sev(r, RS_CASE_REPORT_SERIAL), v->text, ref,
                 "live report serial %u after %u: serials rise by 1 per packet (repeated or went back)", a, c->hi);
}

/* --- samples --- */

/* Adds second s to the VIN's set: 1 added, 0 already there, -1 no memory. */
static int iv_add(rules_vin *v, uint32_t s)
{
    uint32_t lo = 0, hi = v->n_iv;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->iv[mid].hi < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t i = lo;
    if (i < v->n_iv && v->iv[i].lo <= s)
        return 0;
    bool left = i > 0 && v->iv[i - 1].hi + 1 == s;
    bool right = i < v->n_iv && s + 1 == v->iv[i].lo;
    if (left && right) {
        v->iv[i - 1].hi = v->iv[i].hi;
        memmove(v->iv + i, v->iv + i + 1, (v->n_iv - i - 1) * sizeof *v->iv);
        v->n_iv--;
    } else if (left) {
        v->iv[i - 1].hi = s;
    } else if (right) {
        v->iv[i].lo = s;
    } else {
        if (v->n_iv == v->cap_iv) {
            uint32_t cap = v->cap_iv ? v->cap_iv * 2 : 4;
            rules_iv *n = realloc(v->iv, cap * sizeof *n);
            if (!n)
                return -1;
            v->iv = n;
            v->cap_iv = cap;
        }
        memmove(v->iv + i + 1, v->iv + i, (v->n_iv - i) * sizeof *v->iv);
        v->iv[i] = (rules_iv){ s, s };
        v->n_iv++;
    }
    return 1;
}

static bool stream_type(uint8_t type)
{
    return type == RS_INFO_STREAM_DIESEL || type == RS_INFO_STREAM_TWC || type == RS_INFO_STREAM_TWC_NOX;
}

static void samples(rs_rules *r, rules_vin *v, const rs_report *rep, const rs_conf_ref *ref)
{
    rs_conf_run *run = r->run;
    unsigned dups = 0, k = 0;
    int64_t first_dup = 0, prev = RULES_NO_TIME;
    bool step_bad = false;
    int64_t step_a = 0, step_b = 0;
    for (unsigned i = 0; i < rep->n_items; i++) {
        const rs_item *it = &rep->item[i];
        if (!stream_type(it->type))
            continue;
        const rs_time *t = rep->layout == RS_LAYOUT_HJ ? &it->collect : &rep->time;
        if (!rs_time_valid(t))
            continue;
        int64_t s = rs_time_to_unix(t) + (rep->layout == RS_LAYOUT_HJ ? 0 : k++);
        if (rep->layout == RS_LAYOUT_HJ) {
            if (prev != RULES_NO_TIME && s != prev + 1 && !step_bad) {
                step_bad = true;
                step_a = prev;
                step_b = s;
            }
            prev = s;
        }
        if (s < 0 || s > UINT32_MAX - 1)
            continue;
        if (iv_add(v, (uint32_t)s) == 0 && dups++ == 0)
            first_dup = s;
    }
    rs_conf_exercise(run, RS_CASE_DUPLICATE, v->text);
    if (dups) {
        rs_time t = rs_time_from_unix(first_dup);
        char when[RS_TIME_TEXT];
        rs_time_format(&t, when);
        rs_conf_fail(run, RS_CASE_DUPLICATE, sev(r, RS_CASE_DUPLICATE), v->text, ref,
                     "%u sample%s of this packet %s reported before (first: collect time %s)", dups,
                     dups == 1 ? "" : "s", dups == 1 ? "was" : "were", when);
    }
    if (rep->layout == RS_LAYOUT_HJ) {
        rs_conf_exercise(run, RS_CASE_SAMPLE_STEP, v->text);
        if (step_bad)
            rs_conf_fail(run, RS_CASE_SAMPLE_STEP, sev(r, RS_CASE_SAMPLE_STEP), v->text, ref,
                         "collect time steps by %lld s inside one packet: samples are 1 s apart (1 Hz)",
                         (long long)(step_b - step_a));
    }
}

/* --- timing of live packets --- */

static void live_timing(rs_rules *r, rules_vin *v, const rs_report *rep, const rs_conf_ref *ref)
{
    rs_conf_run *run = r->run;
    if (!rs_time_valid(&rep->time))
        return;
    int64_t t = rs_time_to_unix(&rep->time);
    if (v->last_live_t != RULES_NO_TIME) {
        int64_t dt = t - v->last_live_t;
        rs_conf_exercise(run, RS_CASE_TIME_ORDER, v->text);
        if (dt <= 0)
            rs_conf_fail(run, RS_CASE_TIME_ORDER, sev(r, RS_CASE_TIME_ORDER), v->text, ref,
                         "live packet time is %lld s %s the previous live packet's", (long long)(dt < 0 ? -dt : 0),
                         dt < 0 ? "before" : "after (the same second as)");
        if (v->session_has_live) {
            rs_conf_exercise(run, RS_CASE_PACKET_INTERVAL, v->text);
            if (dt > 0)
                rs_hist_record(&run->traffic.packet_interval, (uint64_t)dt * 1000000u);
            if (dt > INTERVAL_LIMIT_S)
                rs_conf_fail(run, RS_CASE_PACKET_INTERVAL, sev(r, RS_CASE_PACKET_INTERVAL), v->text, ref,
                             "%lld s since the previous live packet in this session: at most 10 s (§10)",
                             (long long)dt);
        }
    }
    v->last_live_t = t;
    v->session_has_live = true;
}

/* --- one frame --- */

static int32_t day_of(const rs_time *t) { return (int32_t)rs_time_day(rs_time_to_unix(t)); }

static bool session_here(const rules_vin *v, const rs_rules_src *src)
{
    return v->in_session && v->session_conn == src->conn;
}

static void need_session(rs_rules *r, rules_vin *v, const rs_rules_src *src, const char *what, const rs_conf_ref *ref)
{
    rs_conf_exercise(r->run, RS_CASE_SESSION, v->text);
    if (!session_here(v, src))
        rs_conf_fail(r->run, RS_CASE_SESSION, sev(r, RS_CASE_SESSION), v->text, ref,
                     "%s without a login on this connection%s", what,
                     v->in_session ? " (the session's login came on another connection)" : "");
}

/* The report's serial range and the day it belongs to (the first sample's). */
static void report_frame(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_conf_ref *ref,
                         const rs_rules_src *src)
{
    const rs_report *rep = &m->u.report;
    bool live = m->frame.cmd == RS_CMD_REALTIME;
    need_session(r, v, src, live ? "real-time report" : "reissue report", ref);
    if (rep->n_items == 0)
        return;
    const rs_time *day_t = rep->layout == RS_LAYOUT_HJ ? &rep->item[0].collect : &rep->time;
    uint16_t a = rep->serial, b = rep->serial;
    if (rep->layout == RS_LAYOUT_GB) {
        /* per-item serials: all equal (S3) or +1 each (S1), both tolerated (§13) */
        a = rep->item[0].serial;
        b = rep->item[rep->n_items - 1].serial;
        bool same = true, step = true;
        for (unsigned i = 1; i < rep->n_items; i++) {
            same = same && rep->item[i].serial == a;
            step = step && rep->item[i].serial == (uint16_t)(a + i);
        }
        if (!same && !step) {
            rs_conf_fail(r->run, RS_CASE_REPORT_SERIAL, sev(r, RS_CASE_REPORT_SERIAL), v->text, ref,
                         "item serials of one packet are neither all equal nor +1 each (first %u, last %u)", a, b);
            b = a;
        }
    }
    if (rs_time_valid(day_t))
        report_serial(r, v, day_of(day_t), a, b, live, ref);
    samples(r, v, rep, ref);
    if (live)
        live_timing(r, v, rep, ref);
}

void rules_seq_frame(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_conf_ref *ref, const rs_rules_src *src)
{
    rs_conf_run *run = r->run;
    uint8_t cmd = m->frame.cmd;
    if (cmd >= 1 && cmd <= 8 && src->time_ms > 0)
        v->asked_ms[cmd] = src->time_ms;
    switch ((rs_msg_kind)m->kind) {
    case RS_MSG_LOGIN:
        if (rs_time_valid(&m->u.login.time))
            daily(r, v, &v->login, day_of(&m->u.login.time), m->u.login.serial, RS_CASE_LOGIN_SERIAL, "login", ref);
        v->in_session = true;
        v->session_conn = src->conn;
        v->session_serial = m->u.login.serial;
        v->session_has_live = false;
        break;
    case RS_MSG_LOGOUT:
        rs_conf_exercise(run, RS_CASE_LOGOUT_SERIAL, v->text);
        need_session(r, v, src, "logout", ref);
        if (session_here(v, src) && m->u.logout.serial != v->session_serial)
            rs_conf_fail(run, RS_CASE_LOGOUT_SERIAL, sev(r, RS_CASE_LOGOUT_SERIAL), v->text, ref,
                         "logout serial %u, the session's login serial is %u", m->u.logout.serial, v->session_serial);
        v->in_session = false;
        v->session_has_live = false;
        break;
    case RS_MSG_REPORT:
        report_frame(r, v, m, ref, src);
        break;
    case RS_MSG_TAMPER:
        need_session(r, v, src, "tamper alarm", ref);
        if (rs_time_valid(&m->u.tamper.time))
            daily(r, v, &v->tamper, day_of(&m->u.tamper.time), m->u.tamper.serial, RS_CASE_TAMPER_SERIAL,
                  "tamper alarm", ref);
        break;
    default:
        break;
    }
}

void rules_seq_answer(rs_rules *r, rules_vin *v, const rs_msg *m, const rs_rules_src *src)
{
    uint8_t cmd = m->frame.cmd;
    if (cmd == RS_CMD_ACTIVATION_ANS && r->p->proto == RS_PROTO_HJ1239)
        cmd = RS_CMD_ACTIVATION; /* 0x08 answers 0x07 */
    if (cmd < 1 || cmd > 8 || !v->asked_ms[cmd] || src->time_ms < v->asked_ms[cmd])
        return;
    rs_hist_record(&r->run->traffic.answer_latency, (uint64_t)(src->time_ms - v->asked_ms[cmd]) * 1000u);
    v->asked_ms[cmd] = 0;
}

void rules_seq_finish(rs_rules *r, rules_vin *v) { gaps_flush(r, v); }
