/* The terminal state machine: events in, frames, link requests and a
 * deadline out (docs/terminal.md).  Every event updates the state, then
 * rs_tm_step() runs whatever timers are due, so a tick is just "step". */
#include <string.h>

#include "sim/terminal_internal.h"

#define BIT(link) (uint8_t)(1u << (link))

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Live reporting: logged in on a link that is up and not held (its send
 * queue backed up: samples then wait in the store, never in a queue). */
static bool platform_up(const rs_terminal *t)
{
    const rs_term_linkst *l = &t->link[RS_TERM_LINK_PLATFORM];
    return t->logged_in && l->connected && !l->held;
}

static void link_reset(rs_terminal *t, rs_term_link link)
{
    rs_term_linkst *l = &t->link[link];
    rs_reasm_init(&l->rx, t->profile, l->rxbuf, sizeof l->rxbuf);
}

/* A close the terminal asks for is final: the link counts as closed now,
 * and the caller's rs_terminal_closed() afterwards changes nothing. */
static void request_close(rs_terminal *t, int64_t now, rs_term_link link, rs_term_out *out)
{
    rs_term_linkst *l = &t->link[link];
    if (!l->connected)
        return;
    out->close |= BIT(link);
    l->connected = false;
    l->held = false;
    l->next_connect = now + t->cfg->reconnect_ms;
    link_reset(t, link);
}

/* --- packets --- */

static void store_records(rs_terminal *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        /* Full store: the oldest sample makes room (never the new one), and
         * the loss is counted.  No store at all: the new one is the loss. */
        if (rs_tm_store_push(&t->store, t->pending[i]))
            t->stats.dropped[RS_TERM_DROP_OVERFLOW]++;
        if (t->store.cap)
            t->stats.stored++;
    }
    t->stats.backlog = t->store.count;
}

/* Serials are given when a packet is formed, online or not, so a sample
 * sent later by reissue keeps the serial it was formed with (§10). */
static void give_serials(rs_terminal *t, unsigned n, bool with_obd)
{
    const rs_profile *p = t->profile;
    int64_t day_basis = rs_tm_rec_collect(t->pending[0]);
    bool per_item = p->proto == RS_PROTO_GB17691 && p->serial_style == RS_SERIAL_PER_ITEM;
    if (!per_item) {
        uint16_t s = rs_tm_serial_next(&t->ser_report, day_basis);
        for (unsigned i = 0; i < n; i++)
            rs_tm_rec_set_serial(t->pending[i], s);
        return;
    }
    if (with_obd)
        (void)rs_tm_serial_next(&t->ser_report, day_basis);
    for (unsigned i = 0; i < n; i++) {
        rs_tm_rec_set_serial(t->pending[i], rs_tm_serial_next(&t->ser_report, day_basis));
        for (unsigned k = 1; k < rs_tm_rec_n_items(t->pending[i]); k++)
            (void)rs_tm_serial_next(&t->ser_report, day_basis);
    }
}

/* The pending samples become one packet: sent live when logged in, else
 * kept for reissue.  A live packet the queue cannot take is kept too. */
/* A record just sent: kept with its send second while the window lasts. */
static void remember_sent(rs_terminal *t, int64_t now, const uint8_t *rec)
{
    if (!t->recent.cap)
        return;
    uint8_t buf[RS_TERM_REC_MAX + 4];
    size_t n = t->store.rec_size;
    memcpy(buf, rec, n);
    uint32_t at = (uint32_t)(now / 1000);
    memcpy(buf + n, &at, 4);
    if (t->recent.count == t->recent.cap)
        rs_tm_store_pop(&t->recent, 1); /* the oldest falls out of the window's reach */
    rs_tm_store_push(&t->recent, buf);
}

/* The link broke: what went out within the window may not have arrived
 * (no acknowledgement exists, §5), so it is reissued; the endpoint counts
 * a sample once per collect time. */
static void resend_recent(rs_terminal *t, int64_t now)
{
    int64_t from = (now - (int64_t)t->cfg->resend_window_ms) / 1000;
    size_t n = t->store.rec_size;
    for (uint32_t i = 0; i < t->recent.count; i++) {
        const uint8_t *e = rs_tm_store_at(&t->recent, i);
        uint32_t at;
        memcpy(&at, e + n, 4);
        if ((int64_t)at < from)
            continue;
        if (rs_tm_store_push(&t->store, e))
            t->stats.dropped[RS_TERM_DROP_OVERFLOW]++;
        t->stats.resent++;
    }
    rs_tm_store_pop(&t->recent, t->recent.count);
    t->stats.backlog = t->store.count;
}

static void form_packet(rs_terminal *t, int64_t now, rs_term_out *out)
{
    unsigned n = t->n_pending;
    if (n == 0)
        return;
    t->n_pending = 0;
    t->pending_deadline = RS_TERM_NEVER;
    /* Collected offline: reissue, even when the link is back by now, so a
     * platform sees every offline second as 0x03 (§10). */
    bool live = platform_up(t) && t->pending_live;
    bool with_obd = live && t->have_obd && (t->obd_due || now >= t->next_obd);
    give_serials(t, n, with_obd);
    int64_t formed = rs_tm_clock_s(t, now);
    for (unsigned i = 0; i < n; i++)
        rs_tm_rec_set_formed(t->pending[i], formed);
    if (live) {
        const uint8_t *recs[RS_TERM_PACKET_MAX];
        for (unsigned i = 0; i < n; i++)
            recs[i] = t->pending[i];
        rs_code rc = rs_tm_send_report(t, now, out, RS_CMD_REALTIME, recs, n, with_obd);
        if (rc == RS_OK) {
            t->stats.sent_live += n;
            for (unsigned i = 0; i < n; i++)
                remember_sent(t, now, t->pending[i]);
            if (with_obd) {
                t->obd_due = false;
                t->next_obd = now + t->cfg->obd_interval_ms;
            }
            return;
        }
        if (rc != RS_E_SPACE) {
            t->stats.dropped[RS_TERM_DROP_ENCODE] += n;
            return;
        }
    }
    store_records(t, n);
}

/* One 0x03 packet: oldest first, up to reissue_batch samples.  GB items
 * carry no collect time of their own (§7.1: the packet time is the first
 * sample's), so a GB batch stops at the first gap in collect seconds.  An
 * HJ packet has one serial (§7.2), so an HJ batch re-forms one original
 * packet: the samples that share the first one's serial. */
static void reissue_one(rs_terminal *t, int64_t now, rs_term_out *out)
{
    rs_term_store *s = &t->store;
    bool gb = t->profile->proto != RS_PROTO_HJ1239;
    /* "original": the whole packet as it was formed, whatever the batch. */
    bool original = !gb && t->cfg->reissue_style == RS_REISSUE_ORIGINAL;
    unsigned batch = original ? RS_TERM_PACKET_MAX : t->cfg->reissue_batch;
    const uint8_t *recs[RS_TERM_PACKET_MAX];
    unsigned n = 0;
    uint32_t first = 0;
    while (n < batch && n < s->count) {
        const uint8_t *r = rs_tm_store_at(s, n);
        if (n == 0)
            first = rs_tm_rec_collect(r);
        else if (gb ? rs_tm_rec_collect(r) != first + n : rs_tm_rec_serial(r) != rs_tm_rec_serial(recs[0]))
            break;
        recs[n++] = r;
    }
    int64_t send_s = original ? (int64_t)rs_tm_rec_formed(recs[0]) : rs_tm_clock_s(t, now);
    rs_code rc = rs_tm_send_report_at(t, out, RS_CMD_REISSUE, recs, n, false, send_s);
    if (rc == RS_E_SPACE)
        return; /* kept; the next interval tries again */
    if (rc == RS_OK) {
        t->stats.sent_reissue += n;
        for (unsigned i = 0; i < n; i++)
            remember_sent(t, now, recs[i]);
    } else
        t->stats.dropped[RS_TERM_DROP_ENCODE] += n; /* never stall on a record the codec refuses */
    rs_tm_store_pop(s, n);
    t->stats.backlog = s->count;
}

/* --- sessions --- */

static void logged_in(rs_terminal *t, int64_t now)
{
    const rs_terminal_config *c = t->cfg;
    t->logged_in = true;
    t->obd_due = true;
    t->next_timecal = c->timecal_after_login ? now
                      : c->timecal_interval_ms ? now + c->timecal_interval_ms
                                               : RS_TERM_NEVER;
    t->next_reissue = now;
}

static void session_end(rs_terminal *t)
{
    t->logged_in = false;
    t->login_sent = false;
}

void rs_tm_on_login_echo(rs_terminal *t, int64_t now, rs_term_out *out)
{
    (void)out;
    if (t->cfg->login_wait_echo && t->login_sent && !t->logged_in)
        logged_in(t, now);
}

void rs_tm_on_timecal_answer(rs_terminal *t, int64_t now, const rs_time *tm)
{
    uint32_t max_age = t->cfg->timecal_max_age_ms;
    if (max_age && (t->timecal_sent_at == RS_TERM_NEVER || now - t->timecal_sent_at > (int64_t)max_age)) {
        t->stats.timecal_ignored++;
        return;
    }
    /* The answer is the platform's clock now, to the second: its true time
     * is somewhere in [answer, answer + 1 s).  A clock inside that second
     * already agrees and is left alone (moving it back by the answer's
     * truncation would stamp two samples with one second); one outside is
     * set to the middle of it. */
    int64_t answer_ms = rs_time_to_unix(tm) * 1000, clock = now + t->skew_ms + t->cal_ms;
    if (clock < answer_ms || clock >= answer_ms + 1000)
        t->cal_ms = answer_ms + 500 - (now + t->skew_ms);
    t->timecal_sent_at = RS_TERM_NEVER;
    t->stats.timecal_applied++;
}

void rs_tm_on_activation_answer(rs_terminal *t, int64_t now, uint8_t status, uint8_t info, rs_term_out *out)
{
    if (t->act_state != RS_TERM_ACT_PENDING) {
        t->stats.rx_ignored++;
        return;
    }
    if (status == RS_ACT_OK)
        t->act_state = RS_TERM_ACT_DONE;
    else if (info == RS_ACT_INFO_ALREADY)
        t->act_state = RS_TERM_ACT_ALREADY; /* S2: "already filed" is success */
    else if (info == RS_ACT_INFO_VIN)
        t->act_state = RS_TERM_ACT_VIN_ERROR; /* S4: no point retrying this run */
    else if (t->act_tries >= t->cfg->activation_max_tries)
        t->act_state = RS_TERM_ACT_GAVE_UP;
    /* 02 03 with tries left: the retry timer set at sending stands. */
    if (t->act_state != RS_TERM_ACT_PENDING)
        request_close(t, now, RS_TERM_LINK_ACTIVATION, out);
}

/* --- timers --- */

/* Samples taken meanwhile wait in the store and go out as reissue. */
static bool waits_for_activation(const rs_terminal *t)
{
    return t->act_state == RS_TERM_ACT_PENDING && t->cfg->login_after_activation;
}

static void step_platform(rs_terminal *t, int64_t now, rs_term_out *out)
{
    const rs_terminal_config *c = t->cfg;
    rs_term_linkst *l = &t->link[RS_TERM_LINK_PLATFORM];
    if (!t->ignition || waits_for_activation(t))
        return;
    if (!l->connected) {
        if (now >= l->next_connect) {
            out->connect |= BIT(RS_TERM_LINK_PLATFORM);
            t->stats.connect_requests++;
            l->next_connect = now + c->reconnect_ms;
        }
        return;
    }
    if (!t->logged_in && (!t->login_sent || now >= t->next_login)) {
        if (rs_tm_send_login(t, now, out)) {
            t->login_sent = true;
            t->next_login = now + c->login_retry_ms;
            if (!c->login_wait_echo)
                logged_in(t, now); /* GB 17691 defines no answer (§4.1) */
        }
    }
    if (!t->logged_in)
        return;
    if (now >= t->next_timecal && rs_tm_send_timecal(t, now, out)) {
        t->timecal_sent_at = now;
        t->next_timecal = c->timecal_interval_ms ? now + c->timecal_interval_ms : RS_TERM_NEVER;
    }
    if (t->power_lost && now >= t->next_tamper && rs_tm_send_tamper(t, now, out))
        t->next_tamper = now + c->tamper_interval_ms;
    if (t->store.count && now >= t->next_reissue && !t->link[RS_TERM_LINK_PLATFORM].held) {
        reissue_one(t, now, out);
        t->next_reissue = now + c->reissue_interval_ms;
    }
}

static void step_activation(rs_terminal *t, int64_t now, rs_term_out *out)
{
    const rs_terminal_config *c = t->cfg;
    rs_term_linkst *l = &t->link[RS_TERM_LINK_ACTIVATION];
    if (t->act_state != RS_TERM_ACT_PENDING || now < t->next_act)
        return;
    if (t->act_tries >= c->activation_max_tries) {
        t->act_state = RS_TERM_ACT_GAVE_UP; /* the last try went unanswered */
        request_close(t, now, RS_TERM_LINK_ACTIVATION, out);
        return;
    }
    if (!l->connected) {
        if (now >= l->next_connect) {
            out->connect |= BIT(RS_TERM_LINK_ACTIVATION);
            t->stats.connect_requests++;
            l->next_connect = now + c->reconnect_ms;
        }
        return;
    }
    if (rs_tm_send_activation(t, now, out)) {
        t->act_tries++;
        t->next_act = now + c->activation_retry_ms;
    }
}

int64_t rs_terminal_deadline(const rs_terminal *t)
{
    int64_t d = RS_TERM_NEVER;
    const rs_term_linkst *lp = &t->link[RS_TERM_LINK_PLATFORM];
    if (t->ignition && !waits_for_activation(t)) {
        if (!lp->connected)
            d = min64(d, lp->next_connect);
        else if (!t->logged_in)
            d = min64(d, t->login_sent ? t->next_login : INT64_MIN);
        else {
            d = min64(d, t->next_timecal);
            if (t->power_lost)
                d = min64(d, t->next_tamper);
            if (t->store.count && !lp->held)
                d = min64(d, t->next_reissue);
        }
    }
    if (t->act_state == RS_TERM_ACT_PENDING) {
        /* step_activation() waits for next_act, then (unconnected, tries
         * left) for next_connect as well. */
        const rs_term_linkst *la = &t->link[RS_TERM_LINK_ACTIVATION];
        int64_t a = t->next_act;
        if (!la->connected && t->act_tries < t->cfg->activation_max_tries && la->next_connect > a)
            a = la->next_connect;
        d = min64(d, a);
    }
    if (t->n_pending)
        d = min64(d, t->pending_deadline);
    return d;
}

void rs_tm_step(rs_terminal *t, int64_t now, rs_term_out *out)
{
    step_platform(t, now, out);
    step_activation(t, now, out);
    if (t->n_pending && now >= t->pending_deadline)
        form_packet(t, now, out);
    out->deadline = rs_terminal_deadline(t);
}

/* --- events --- */

rs_code rs_terminal_init(rs_terminal *t, const rs_profile *profile, const rs_terminal_config *cfg,
                         const rs_term_ident *id, void *store_mem, size_t store_bytes, rs_err *err)
{
    rs_code rc = rs_terminal_config_check(cfg, err);
    if (rc)
        return rc;
    if (profile->proto != RS_PROTO_GB17691 && profile->proto != RS_PROTO_HJ1239)
        return rs_fail(err, RS_E_OPTION, 0, "profile", "the virtual terminal speaks gb17691 and hj1239",
                       profile->proto, 0, RS_NUM_GOT_ONLY);
    if (store_bytes && !store_mem)
        return rs_fail(err, RS_E_OPTION, 0, "store", "a store size needs its memory", (long long)store_bytes, 0,
                       RS_NUM_GOT_ONLY);
    memset(t, 0, sizeof *t);
    t->profile = profile;
    t->cfg = cfg;
    t->id = *id;
    for (int k = 0; k < RS_TERM_LINK_COUNT; k++) {
        t->link[k].next_connect = INT64_MIN; /* the first request goes out at once */
        link_reset(t, (rs_term_link)k);
    }
    rs_term_serial fresh = { INT32_MIN, 0 };
    t->ser_login = t->ser_report = t->ser_tamper = fresh;
    t->next_login = t->next_timecal = t->next_tamper = t->next_reissue = RS_TERM_NEVER;
    t->timecal_sent_at = RS_TERM_NEVER;
    t->pending_deadline = RS_TERM_NEVER;
    t->next_obd = INT64_MIN;
    t->act_state = cfg->activate ? RS_TERM_ACT_PENDING : RS_TERM_ACT_OFF;
    t->next_act = INT64_MIN;
    /* The resend window's ring sits at the end of the store memory. */
    size_t recent = rs_tm_recent_bytes(cfg), rec = rs_terminal_rec_size(cfg);
    if (recent > store_bytes)
        recent = 0;
    rs_tm_store_init(&t->store, store_mem, store_bytes - recent, (uint16_t)rec);
    rs_tm_store_init(&t->recent, recent ? (uint8_t *)store_mem + (store_bytes - recent) : NULL, recent,
                     (uint16_t)(rec + 4));
    return RS_OK;
}

void rs_terminal_tick(rs_terminal *t, int64_t now, rs_term_out *out)
{
    rs_tm_step(t, now, out);
}

void rs_terminal_connected(rs_terminal *t, int64_t now, rs_term_link link, rs_term_out *out)
{
    t->link[link].connected = true;
    link_reset(t, link);
    rs_tm_step(t, now, out);
}

void rs_terminal_closed(rs_terminal *t, int64_t now, rs_term_link link, rs_term_out *out)
{
    rs_term_linkst *l = &t->link[link];
    if (l->connected) {
        l->connected = false;
        l->held = false;
        l->next_connect = now + t->cfg->reconnect_ms;
        link_reset(t, link);
        if (link == RS_TERM_LINK_PLATFORM) {
            resend_recent(t, now);
            session_end(t); /* no logout: the link is gone */
        }
    }
    rs_tm_step(t, now, out);
}

void rs_terminal_ignition(rs_terminal *t, int64_t now, bool on, rs_term_out *out)
{
    if (on && !t->ignition) {
        t->ignition = true;
        if (t->link[RS_TERM_LINK_PLATFORM].next_connect > now)
            t->link[RS_TERM_LINK_PLATFORM].next_connect = now;
    } else if (!on && t->ignition) {
        form_packet(t, now, out); /* flush first (§10 "after flushing data") */
        if (platform_up(t))
            rs_tm_send_logout(t, now, out);
        session_end(t);
        t->ignition = false;
        if (t->cfg->close_after_logout)
            request_close(t, now, RS_TERM_LINK_PLATFORM, out);
    }
    rs_tm_step(t, now, out);
}

void rs_terminal_ext_power(rs_terminal *t, int64_t now, bool present, rs_term_out *out)
{
    bool hj = t->profile->proto == RS_PROTO_HJ1239;
    if (!present && !t->power_lost && hj && t->cfg->tamper_alarm) {
        t->power_lost = true;
        t->next_tamper = now;
    } else if (present) {
        t->power_lost = false;
    }
    rs_tm_step(t, now, out);
}

void rs_terminal_hold(rs_terminal *t, int64_t now, rs_term_link link, bool held, rs_term_out *out)
{
    rs_term_linkst *l = &t->link[link];
    if (l->connected)
        l->held = held;
    rs_tm_step(t, now, out);
}

void rs_terminal_set_skew(rs_terminal *t, int64_t now, int64_t skew_ms, rs_term_out *out)
{
    t->skew_ms = skew_ms;
    rs_tm_step(t, now, out);
}

void rs_terminal_sample(rs_terminal *t, int64_t now, const rs_sample *s, const rs_term_obd *obd, rs_term_out *out)
{
    if (obd) {
        t->obd = *obd;
        t->have_obd = true;
    }
    if (!t->ignition) {
        t->stats.dropped[RS_TERM_DROP_IGNITION_OFF]++;
        rs_tm_step(t, now, out);
        return;
    }
    t->stats.samples++;
    uint32_t collect = (uint32_t)rs_tm_clock_s(t, now);
    bool up = platform_up(t);
    /* A packet holds consecutive seconds (a gap or a clock jump closes it)
     * collected on one side of a login or an outage. */
    if (t->n_pending &&
        (collect != rs_tm_rec_collect(t->pending[t->n_pending - 1]) + 1 || up != t->pending_live))
        form_packet(t, now, out);
    rs_tm_rec_encode(t->profile, s, collect, t->pending[t->n_pending], RS_TERM_REC_MAX, &t->stats.values_invalid);
    if (t->n_pending++ == 0) {
        t->pending_deadline = now + t->cfg->packet_timeout_ms;
        t->pending_live = up;
    }
    const rs_val *ps = &s->v[RS_F_POS_STATUS];
    t->pos_status = ps->state == RS_VALID ? (uint8_t)ps->value : 1;
    t->lon = s->v[RS_F_LON];
    t->lat = s->v[RS_F_LAT];
    t->have_pos = true;
    if (t->n_pending >= t->cfg->packet_samples)
        form_packet(t, now, out);
    rs_tm_step(t, now, out);
}

int64_t rs_terminal_clock(const rs_terminal *t, int64_t now)
{
    return now + t->skew_ms + t->cal_ms;
}

const rs_term_stats *rs_terminal_stats(const rs_terminal *t)
{
    return &t->stats;
}
