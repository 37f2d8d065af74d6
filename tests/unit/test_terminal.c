/* The terminal state machine in virtual time.  A harness plays the vehicle
 * (one sample a second), the network (links that fail on schedule) and the
 * platform (answers when asked), and decodes every frame the terminal
 * emits with rs_msg_decode(): the assertions are on what went over the wire.
 *
 * Each sample carries the second it was generated in its odometer raw
 * value and a speed derived from it, so a report item proves which sample
 * it is, whatever its packet and collect time say. */
#include "testutil.h"

#include "remsim/msg.h"
#include "remsim/terminal.h"

#define DAYS 3
#define SPAN (DAYS * 86400)
#define MAX_SERIAL 16000
#define MAX_LOG 64

static const uint8_t VIN[17] = "LTESTGB10A0000001";
static const uint8_t ICCID[20] = "89860012345678901234";
static const uint8_t CHIP[16] = "TESTCHIP00000001";

typedef struct harness {
    rs_profile prof;
    rs_terminal_config cfg;
    rs_term_ident id;
    rs_terminal t;
    uint8_t *store;
    rs_term_out out;
    uint8_t outbuf[RS_TERM_OUT_BYTES];
    rs_msg *scratch, *dec, *ans;
    int64_t now;          /* ms */
    int64_t base;         /* Unix seconds of day 0, 00:00 GMT+8 */
    int64_t next_sample;  /* ms */
    bool ignition;
    bool avail[RS_TERM_LINK_COUNT], conn[RS_TERM_LINK_COUNT];
    bool pending_connect[RS_TERM_LINK_COUNT];
    int64_t clock_offset; /* expected collect - generation second */
    int64_t clock_offset_alt; /* also accepted: packets formed across a clock change */
    /* platform behaviour */
    bool answer_timecal, answer_login;
    int act_status, act_info; /* -1: no answer */
    bool split_answers;       /* feed answers a byte at a time, after garbage */
    uint8_t rx[256];
    size_t rx_len;
    int rx_link;
    /* what came over the wire */
    uint8_t generated[SPAN];
    uint8_t live[SPAN], reissued[SPAN];
    uint32_t ser_first[DAYS][MAX_SERIAL + 1]; /* first collect second per serial, +1 */
    uint16_t live_last_serial[DAYS];
    unsigned live_packets, full_live_packets, reissue_packets, reissue_samples;
    unsigned logins, logouts;
    uint16_t login_serial[MAX_LOG], logout_serial[MAX_LOG];
    int64_t login_time[MAX_LOG];
    unsigned timecals;
    unsigned obd_items;
    int64_t obd_time[MAX_LOG];
    unsigned tampers;
    uint16_t tamper_serial[MAX_LOG];
    int64_t tamper_time[MAX_LOG];
    unsigned acts, acts_signed;
    int64_t act_time[MAX_LOG];
    int64_t last_report_time; /* Unix s of the last report's time field */
    unsigned frames_on_closed_link;
    unsigned items_with_supplement;
    /* report data units as sent, when keep_units (reissue style tests) */
    bool keep_units;
    unsigned n_units;
    struct {
        uint8_t cmd;
        uint16_t serial, len;
        int64_t sent_at;          /* harness time, Unix s */
        uint8_t unit[1024];
    } units[120];
} harness;

/* A stand-in signer for the state machine's hook: fixed r/s with r[0] = the
 * message's XOR, so tests see which bytes were signed.  Real SM2 signing
 * belongs to the security issue. */
static bool sign_with_checksum(void *ctx, const uint8_t *msg, size_t len, rs_sig *sig)
{
    (void)ctx;
    sig->r_len = sig->s_len = 32;
    memset(sig->r, 0x11, 32);
    memset(sig->s, 0x22, 32);
    sig->r[0] = rs_bcc(msg, len); /* something that depends on the message */
    return true;
}

static harness *h_new(rs_proto proto)
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    rs_profile_init(&h->prof, proto);
    rs_terminal_config_default(&h->cfg);
    memcpy(h->id.vin, VIN, 17);
    memcpy(h->id.iccid, ICCID, 20);
    memcpy(h->id.chip_id, CHIP, 16);
    for (int i = 0; i < 64; i++)
        h->id.pubkey[i] = (uint8_t)i;
    h->scratch = malloc(sizeof(rs_msg));
    h->dec = malloc(sizeof(rs_msg));
    h->ans = malloc(sizeof(rs_msg));
    assert_true(h->scratch && h->dec && h->ans);
    rs_time d0 = { 24, 5, 20, 0, 0, 0 };
    h->base = rs_time_to_unix(&d0);
    h->act_status = -1;
    h->avail[0] = h->avail[1] = true;
    return h;
}

static void h_start(harness *h, int64_t start_s)
{
    size_t bytes = rs_terminal_store_bytes(&h->cfg);
    h->store = bytes ? malloc(bytes) : NULL;
    rs_err err;
    assert_int_equal(rs_terminal_init(&h->t, &h->prof, &h->cfg, &h->id, h->store, bytes, &err), RS_OK);
    rs_term_out_init(&h->out, h->outbuf, sizeof h->outbuf, h->scratch);
    h->now = (h->base + start_s) * 1000;
}

static void h_free(harness *h)
{
    free(h->store);
    free(h->scratch);
    free(h->dec);
    free(h->ans);
    free(h);
}

static int64_t unix_of(const rs_time *t) { return rs_time_to_unix(t); }

/* --- the platform side --- */

static void queue_answer(harness *h, rs_term_link link, rs_msg_kind kind, uint8_t cmd)
{
    rs_msg *m = h->ans;
    rs_msg_init(m, &h->prof, kind, VIN);
    m->frame.cmd = cmd;
    if (kind == RS_MSG_ACTIVATION_ANS) {
        m->u.act_ans.status = (uint8_t)h->act_status;
        m->u.act_ans.info = (uint8_t)h->act_info;
    } else {
        m->u.time = rs_time_from_unix(h->now / 1000); /* the platform's clock is true time */
    }
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode(&h->prof, m, h->rx + h->rx_len, sizeof h->rx - h->rx_len, &len, &err), RS_OK);
    h->rx_len += len;
    h->rx_link = link;
}

static void note_serial(harness *h, int64_t collect, uint16_t serial)
{
    int64_t day = (collect - h->base) / 86400;
    assert_true(day >= 0 && day < DAYS);
    assert_true(serial >= 1 && serial <= MAX_SERIAL);
    uint32_t *first = &h->ser_first[day][serial];
    uint32_t sec = (uint32_t)(collect - h->base);
    if (*first == 0 || sec + 1 < *first)
        *first = sec + 1;
    /* one serial = one packet formed: ten consecutive seconds at most */
    if (sec + 1 > *first + 9 && h->cfg.packet_samples == 10)
        fail_msg("serial %u spans seconds %u..%u", serial, *first - 1, sec);
}

static void record_report(harness *h, const rs_msg *m, const rs_term_frame *f)
{
    const rs_report *r = &m->u.report;
    bool hj = h->prof.proto == RS_PROTO_HJ1239;
    bool reissue = m->frame.cmd == RS_CMD_REISSUE;
    if (hj) {
        assert_int_equal(r->has_sig, h->id.sign != NULL);
        assert_int_equal(m->n_warn_total, h->id.sign ? 0 : 1); /* only "unsigned" */
    } else {
        assert_int_equal(m->n_warn_total, 0);
    }
    h->last_report_time = unix_of(&r->time);
    unsigned k = 0, first_sec = 0;
    int64_t prev = 0;
    uint16_t item_serial_prev = 0;
    for (unsigned i = 0; i < r->n_items; i++) {
        const rs_item *it = &r->item[i];
        if (!hj && h->prof.serial_style == RS_SERIAL_PER_ITEM && i > 0)
            assert_int_equal(it->serial, item_serial_prev + 1);
        else if (!hj && i > 0 && !reissue)
            assert_int_equal(it->serial, r->item[0].serial);
        item_serial_prev = it->serial;
        if (it->type == RS_INFO_OBD) {
            assert_false(reissue);
            assert_int_equal(i, 0);
            if (h->obd_items < MAX_LOG)
                h->obd_time[h->obd_items] = h->now / 1000;
            h->obd_items++;
            assert_memory_equal(it->u.obd.vin, VIN, 17);
            assert_int_equal(it->u.obd.dtc_count, 2);
            assert_memory_equal(it->u.obd.dtc, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
            continue;
        }
        if (it->type == RS_INFO_SUPPLEMENT) {
            h->items_with_supplement++;
            assert_int_equal(it->u.v[RS_F_PEDAL].raw, 100); /* 40 % */
            continue;
        }
        assert_int_equal(it->type, RS_INFO_STREAM_DIESEL);
        /* GB items share the packet time: the k-th sample is time + k (§7.1). */
        int64_t collect = hj ? unix_of(&it->collect) : unix_of(&r->time) + k;
        if (k > 0)
            assert_int_equal(collect, prev + 1); /* consecutive seconds */
        prev = collect;
        uint32_t gen = it->u.v[RS_F_ODOMETER].raw; /* generation second */
        if (collect - h->base != (int64_t)gen + h->clock_offset)
            assert_int_equal(collect - h->base, (int64_t)gen + h->clock_offset_alt);
        assert_int_equal(it->u.v[RS_F_SPEED].raw, (gen % 250) * 256);
        assert_true(gen < SPAN);
        assert_int_equal(h->generated[gen], 1);
        if (reissue)
            h->reissued[gen]++;
        else
            h->live[gen]++;
        note_serial(h, collect, hj ? r->serial : it->serial);
        if (k == 0)
            first_sec = gen;
        k++;
    }
    assert_int_equal(k, f->n_samples);
    (void)first_sec;
    if (reissue) {
        h->reissue_packets++;
        h->reissue_samples += k;
        assert_true(k >= 1 && k <= h->cfg.reissue_batch);
    } else {
        h->live_packets++;
        if (k == h->cfg.packet_samples)
            h->full_live_packets++;
        int64_t day = (h->last_report_time - h->base) / 86400;
        uint16_t s = hj ? r->serial : r->item[0].serial;
        if (!hj && r->item[0].type == RS_INFO_OBD && h->prof.serial_style == RS_SERIAL_PER_ITEM)
            s = r->item[1].serial;
        /* live serials rise within a day (offline packets took the gaps) */
        if (day >= 0 && day < DAYS) {
            assert_true(s > h->live_last_serial[day]);
            h->live_last_serial[day] = s;
        }
        assert_true(k >= 1 && k <= h->cfg.packet_samples);
    }
}

static void record(harness *h, const rs_term_frame *f)
{
    const uint8_t *p = h->out.buf + f->off;
    rs_err err;
    rs_code rc = rs_msg_decode(&h->prof, p, f->len, h->dec, &err);
    if (rc != RS_OK) {
        char text[256];
        rs_err_format(&err, text, sizeof text);
        fail_msg("frame 0x%02X does not decode: %s", f->cmd, text);
    }
    const rs_msg *m = h->dec;
    assert_int_equal(m->frame.cmd, f->cmd);
    assert_memory_equal(m->frame.vin, VIN, 17);
    if (!h->conn[f->link])
        h->frames_on_closed_link++;
    switch (m->kind) {
    case RS_MSG_LOGIN:
        assert_true(h->logins < MAX_LOG);
        assert_memory_equal(m->u.login.iccid, ICCID, 20);
        h->login_time[h->logins] = unix_of(&m->u.login.time);
        h->login_serial[h->logins++] = m->u.login.serial;
        if (h->answer_login)
            queue_answer(h, RS_TERM_LINK_PLATFORM, RS_MSG_ECHO, RS_CMD_LOGIN);
        break;
    case RS_MSG_LOGOUT:
        assert_true(h->logouts < MAX_LOG && h->logins > 0);
        /* §6.2: the logout repeats the serial of the session's login */
        assert_int_equal(m->u.logout.serial, h->login_serial[h->logins - 1]);
        h->logout_serial[h->logouts++] = m->u.logout.serial;
        break;
    case RS_MSG_REPORT:
        record_report(h, m, f);
        if (h->keep_units && h->n_units < sizeof h->units / sizeof h->units[0]) {
            assert_true(m->frame.data_len <= sizeof h->units[0].unit);
            h->units[h->n_units].cmd = m->frame.cmd;
            h->units[h->n_units].serial = m->u.report.serial;
            h->units[h->n_units].len = m->frame.data_len;
            h->units[h->n_units].sent_at = h->now / 1000;
            memcpy(h->units[h->n_units].unit, p + RS_HEADER_LEN, m->frame.data_len);
            h->n_units++;
        }
        break;
    case RS_MSG_TIMECAL_REQ:
        h->timecals++;
        if (h->answer_timecal)
            queue_answer(h, RS_TERM_LINK_PLATFORM, RS_MSG_TIMECAL_ANS, RS_CMD_TIMECAL);
        break;
    case RS_MSG_TAMPER:
        assert_true(h->tampers < MAX_LOG);
        h->tamper_serial[h->tampers] = m->u.tamper.serial;
        h->tamper_time[h->tampers++] = unix_of(&m->u.tamper.time);
        assert_int_equal(m->u.tamper.pos_status, 0);
        assert_int_equal(m->u.tamper.lon.raw, 116397128);
        assert_int_equal(m->u.tamper.lat.raw, 39916527);
        break;
    case RS_MSG_ACTIVATION:
        assert_int_equal(f->link, RS_TERM_LINK_ACTIVATION);
        assert_true(h->acts < MAX_LOG);
        assert_memory_equal(m->u.act.chip_id, CHIP, 16);
        assert_memory_equal(m->u.act.vin, VIN, 17);
        assert_int_equal(m->u.act.pubkey[63], 63);
        h->acts_signed += m->u.act.has_sig;
        h->act_time[h->acts++] = unix_of(&m->u.act.time);
        if (h->act_status >= 0)
            queue_answer(h, RS_TERM_LINK_ACTIVATION, RS_MSG_ACTIVATION_ANS, RS_CMD_ACTIVATION_ANS);
        break;
    default:
        fail_msg("unexpected frame kind %s", rs_msg_kind_name((rs_msg_kind)m->kind));
    }
}

/* Everything the terminal asked for, then whatever that triggers. */
static void drain(harness *h)
{
    for (int round = 0; round < 8; round++) {
        assert_true(h->out.n <= RS_TERM_OUT_FRAMES);
        assert_int_equal(h->out.overflow, 0);
        for (unsigned i = 0; i < h->out.n; i++)
            record(h, &h->out.frame[i]);
        uint8_t close = h->out.close, connect = h->out.connect;
        rs_term_out_clear(&h->out);
        for (int k = 0; k < RS_TERM_LINK_COUNT; k++) {
            if (close & (1u << k))
                h->conn[k] = false;
            if ((connect & (1u << k)) && h->avail[k] && !h->conn[k])
                h->pending_connect[k] = true;
        }
        bool more = false;
        for (int k = 0; k < RS_TERM_LINK_COUNT; k++) {
            if (h->pending_connect[k]) {
                h->pending_connect[k] = false;
                h->conn[k] = true;
                rs_terminal_connected(&h->t, h->now, (rs_term_link)k, &h->out);
                more = true;
                break;
            }
        }
        if (!more && h->rx_len) {
            size_t n = h->rx_len;
            h->rx_len = 0;
            uint8_t copy[256];
            memcpy(copy, h->rx, n);
            if (h->conn[h->rx_link]) {
                if (h->split_answers) {
                    static const uint8_t junk[] = { 0x23, 0x23, 0x99, 0x00 };
                    rs_terminal_received(&h->t, h->now, (rs_term_link)h->rx_link, junk, sizeof junk, &h->out);
                    for (size_t i = 0; i < n; i++)
                        rs_terminal_received(&h->t, h->now, (rs_term_link)h->rx_link, copy + i, 1, &h->out);
                } else {
                    rs_terminal_received(&h->t, h->now, (rs_term_link)h->rx_link, copy, n, &h->out);
                }
                more = true;
            }
        }
        if (!more)
            return;
    }
    fail_msg("the terminal and the harness keep answering each other");
}

static void make_sample(harness *h, rs_sample *s, uint32_t gen)
{
    rs_sample_init(s);
    s->v[RS_F_SPEED] = rs_val_ok(gen % 250);
    s->v[RS_F_ODOMETER] = rs_val_ok(gen * 0.1);
    s->v[RS_F_POS_STATUS] = rs_val_ok(0);
    s->v[RS_F_LON] = rs_val_ok(116.397128);
    s->v[RS_F_LAT] = rs_val_ok(39.916527);
    s->v[RS_F_NOX_UP] = rs_val_ok(520.0);
    if (h->prof.proto == RS_PROTO_HJ1239) {
        s->has_supplement = true;
        s->v[RS_F_PEDAL] = rs_val_ok(40);
    }
}

static void do_sample(harness *h)
{
    static const uint8_t dtc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    rs_obd o;
    memset(&o, 0, sizeof o);
    o.protocol = 2;
    memcpy(o.vin, VIN, 17);
    memset(o.calid, '0', sizeof o.calid);
    memset(o.cvn, '0', sizeof o.cvn);
    o.dtc_count = 2;
    o.dtc = dtc;
    rs_term_obd snap;
    assert_true(rs_term_obd_set(&snap, &o));
    uint32_t gen = (uint32_t)(h->now / 1000 - h->base);
    assert_true(gen < SPAN);
    h->generated[gen] = 1;
    rs_sample s;
    make_sample(h, &s, gen);
    rs_terminal_sample(&h->t, h->now, &s, &snap, &h->out);
}

/* Runs events strictly before end_s: samples every second while the
 * ignition is on, and ticks exactly at the terminal's deadlines. */
static void run_until(harness *h, int64_t end_s)
{
    int64_t end = (h->base + end_s) * 1000;
    int same = 0;
    int64_t last = h->now;
    for (;;) {
        int64_t dl = h->out.deadline;
        int64_t ns = h->ignition ? h->next_sample : RS_TERM_NEVER;
        int64_t nx = dl < ns ? dl : ns;
        if (nx < h->now)
            nx = h->now;
        if (nx >= end)
            break;
        h->now = nx;
        if (nx == ns) {
            do_sample(h);
            h->next_sample += 1000;
        } else {
            rs_terminal_tick(&h->t, h->now, &h->out);
        }
        drain(h);
        same = h->now == last ? same + 1 : 0;
        last = h->now;
        if (same > 4)
            fail_msg("the terminal wants ticks at %lld without end", (long long)h->now);
    }
    h->now = end;
}

static void ignition(harness *h, bool on)
{
    h->ignition = on;
    h->next_sample = (h->now + 999) / 1000 * 1000;
    rs_terminal_ignition(&h->t, h->now, on, &h->out);
    drain(h);
}

static void outage(harness *h, bool down)
{
    h->avail[RS_TERM_LINK_PLATFORM] = !down;
    if (down && h->conn[RS_TERM_LINK_PLATFORM]) {
        h->conn[RS_TERM_LINK_PLATFORM] = false;
        rs_terminal_closed(&h->t, h->now, RS_TERM_LINK_PLATFORM, &h->out);
        drain(h);
    }
}

static int64_t hms(int d, int hh, int mm, int ss) { return ((int64_t)d * 24 + hh) * 3600 + mm * 60 + ss; }

/* Every second a sample was generated in arrives exactly once; returns how
 * many of [from, to) came by reissue. */
static unsigned check_once(harness *h, int64_t from, int64_t to)
{
    unsigned by_reissue = 0;
    for (int64_t s = from; s < to; s++) {
        if (!h->generated[s])
            continue;
        if (h->live[s] + h->reissued[s] != 1)
            fail_msg("second %lld: live %u, reissued %u", (long long)s, h->live[s], h->reissued[s]);
        by_reissue += h->reissued[s];
    }
    return by_reissue;
}

static void check_all_reissued(harness *h, int64_t from, int64_t to)
{
    for (int64_t s = from; s < to; s++)
        if (h->generated[s] && (h->reissued[s] != 1 || h->live[s] != 0))
            fail_msg("outage second %lld: live %u, reissued %u", (long long)s, h->live[s], h->reissued[s]);
}

/* Serials of a day, live and reissued together, are 1..max without a hole:
 * every formed packet took one, whichever way it travelled. */
static void check_serials_dense(harness *h, int day)
{
    int max = 0;
    for (int s = 1; s <= MAX_SERIAL; s++)
        if (h->ser_first[day][s])
            max = s;
    for (int s = 1; s <= max; s++)
        if (!h->ser_first[day][s])
            fail_msg("day %d: serial %d never seen (max %d)", day, s, max);
}

static void print_sizes(void)
{
    rs_terminal_config c;
    rs_terminal_config_default(&c);
    print_message("sizeof(rs_terminal) = %zu bytes; rs_term_out = %zu; rs_msg scratch = %zu (one per worker); "
                  "reissue record = %zu/%d bytes; default store = %zu bytes\n",
                  sizeof(rs_terminal), sizeof(rs_term_out), sizeof(rs_msg), rs_terminal_rec_size(&c),
                  RS_TERM_REC_MAX, rs_terminal_store_bytes(&c));
}

/* --- tests --- */

static void test_day_with_two_outages(void **st)
{
    (void)st;
    print_sizes();
    assert_true(sizeof(rs_terminal) < 4096);
    harness *h = h_new(RS_PROTO_GB17691);
    h_start(h, hms(0, 5, 59, 0));
    run_until(h, hms(0, 6, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 9, 0, 0));
    outage(h, true);
    run_until(h, hms(0, 9, 20, 0));
    outage(h, false);
    run_until(h, hms(0, 14, 0, 5));
    outage(h, true);
    run_until(h, hms(0, 14, 45, 0));
    outage(h, false);
    run_until(h, hms(0, 18, 0, 0));
    ignition(h, false);
    run_until(h, hms(0, 19, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 20, 0, 0));
    ignition(h, false);
    run_until(h, hms(0, 23, 59, 0));

    const rs_term_stats *s = rs_terminal_stats(&h->t);
    print_message("day: %u samples, %u live packets (%u full), %u reissue packets (%u samples), %u logins, "
                  "%u logouts, %u OBD items, %u time calibrations\n",
                  s->samples, h->live_packets, h->full_live_packets, h->reissue_packets, h->reissue_samples,
                  h->logins, h->logouts, h->obd_items, h->timecals);
    assert_int_equal(h->frames_on_closed_link, 0);
    /* logins: start, after each outage, second trip; serials 1..4 */
    assert_int_equal(h->logins, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(h->login_serial[i], i + 1);
    assert_int_equal(h->login_time[0], h->base + hms(0, 6, 0, 0));
    assert_true(h->login_time[1] >= h->base + hms(0, 9, 20, 0) && h->login_time[1] <= h->base + hms(0, 9, 20, 10));
    /* logouts only on ignition off (an outage ends a session without one) */
    assert_int_equal(h->logouts, 2);
    assert_int_equal(h->logout_serial[0], 3);
    assert_int_equal(h->logout_serial[1], 4);
    /* every sample exactly once; the outages' seconds by reissue */
    unsigned reissued = check_once(h, 0, 86400);
    check_all_reissued(h, hms(0, 9, 0, 0), hms(0, 9, 20, 0));
    check_all_reissued(h, hms(0, 14, 0, 5), hms(0, 14, 45, 0));
    assert_true(reissued >= 1200 + 2695);
    assert_int_equal(reissued, s->sent_reissue);
    assert_int_equal(h->reissue_samples, reissued);
    unsigned generated = 0;
    for (int i = 0; i < 86400; i++)
        generated += h->generated[i];
    assert_int_equal(generated, (12 + 1) * 3600);
    assert_int_equal(s->samples, generated);
    assert_int_equal(s->sent_live + s->sent_reissue, generated);
    assert_int_equal(s->dropped[RS_TERM_DROP_OVERFLOW], 0);
    assert_int_equal(s->backlog, 0);
    /* packets: ten samples each while connected; only flushes are partial */
    assert_true(h->full_live_packets >= h->live_packets - 8);
    assert_int_equal(s->frames[RS_CMD_REALTIME], h->live_packets);
    assert_int_equal(s->frames[RS_CMD_REISSUE], h->reissue_packets);
    assert_int_equal(s->logins, 4);
    /* OBD first packet after login, then about every 60 s */
    /* online: 13 h less the 65 min of outage = 715 min */
    assert_true(h->obd_items >= 713 && h->obd_items <= 718);
    /* after each login, then hourly while logged in: 06-08 (3), 09:20-13:20 (5),
     * 14:45-17:45 (4), 19:00 (1) */
    assert_int_equal(h->timecals, 13);
    check_serials_dense(h, 0);
    h_free(h);
}

static void test_serials_reset_at_midnight(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_GB17691);
    h_start(h, hms(0, 23, 50, 0));
    ignition(h, true);
    run_until(h, hms(0, 23, 55, 0));
    outage(h, true);
    run_until(h, hms(0, 23, 56, 0));
    outage(h, false);
    run_until(h, hms(0, 23, 59, 0));
    outage(h, true);
    run_until(h, hms(1, 0, 1, 0));
    outage(h, false);
    run_until(h, hms(1, 0, 5, 0));
    ignition(h, false);
    assert_int_equal(h->logins, 3);
    assert_int_equal(h->login_serial[0], 1);
    assert_int_equal(h->login_serial[1], 2);
    assert_int_equal(h->login_serial[2], 1); /* a new GMT+8 day */
    assert_true(h->login_time[2] >= h->base + 86400);
    assert_int_equal(h->logout_serial[0], 1);
    check_once(h, 0, 2 * 86400);
    check_all_reissued(h, hms(0, 23, 59, 0), hms(1, 0, 1, 0));
    check_serials_dense(h, 0);
    check_serials_dense(h, 1);
    /* the first packet of the new day (formed offline) took serial 1 */
    assert_int_equal(h->ser_first[1][1], hms(1, 0, 0, 0) + 1);
    assert_int_equal(h->ser_first[0][1], hms(0, 23, 50, 0) + 1);
    h_free(h);
}

static void test_store_overflow_drops_oldest(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_GB17691);
    h->cfg.store_records = 100;
    h_start(h, hms(0, 8, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 8, 1, 40));
    outage(h, true);
    run_until(h, hms(0, 8, 6, 40));
    outage(h, false);
    run_until(h, hms(0, 8, 10, 0));
    ignition(h, false);
    const rs_term_stats *s = rs_terminal_stats(&h->t);
    /* everything collected offline was stored; all but the last 100 lost */
    assert_true(s->stored >= 300);
    assert_true(s->dropped[RS_TERM_DROP_OVERFLOW] >= 200);
    assert_int_equal(s->sent_reissue, s->stored - s->dropped[RS_TERM_DROP_OVERFLOW]);
    assert_true(s->sent_reissue >= 100);
    unsigned missing = 0;
    int64_t newest_missing = -1, oldest_reissued = SPAN;
    for (int64_t sec = 0; sec < SPAN; sec++) {
        if (!h->generated[sec])
            continue;
        assert_true(h->live[sec] + h->reissued[sec] <= 1);
        if (h->live[sec] + h->reissued[sec] == 0) {
            missing++;
            newest_missing = sec;
        }
        if (h->reissued[sec] && sec < oldest_reissued)
            oldest_reissued = sec;
    }
    assert_int_equal(missing, s->dropped[RS_TERM_DROP_OVERFLOW]); /* the count is exact */
    assert_true(newest_missing < oldest_reissued);                  /* and it was the oldest */
    assert_int_equal(newest_missing, hms(0, 8, 1, 40) + missing - 1); /* a prefix of the outage */
    /* nothing unaccounted for */
    assert_int_equal(s->samples, s->sent_live + s->sent_reissue + s->dropped[RS_TERM_DROP_OVERFLOW]);
    assert_int_equal(s->backlog, 0);
    h_free(h);
}

/* Backpressure: while the caller holds the link (its send queue is backed
 * up), samples wait in the store and nothing new goes out but what is not
 * a report; once released, every held second is reissued exactly once. */
static void test_hold_sends_samples_to_the_store(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_GB17691);
    h_start(h, hms(0, 9, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 9, 1, 0));
    unsigned live_before = h->live_packets;
    rs_terminal_hold(&h->t, h->now, RS_TERM_LINK_PLATFORM, true, &h->out);
    drain(h);
    run_until(h, hms(0, 9, 3, 0));
    assert_int_equal(h->reissue_packets, 0);
    assert_true(h->live_packets <= live_before + 1); /* at most the packet already formed */
    const rs_term_stats *s = rs_terminal_stats(&h->t);
    assert_true(s->backlog >= 110);
    rs_terminal_hold(&h->t, h->now, RS_TERM_LINK_PLATFORM, false, &h->out);
    drain(h);
    run_until(h, hms(0, 9, 8, 0));
    ignition(h, false);
    assert_int_equal(s->backlog, 0);
    unsigned by_reissue = check_once(h, hms(0, 9, 0, 0), hms(0, 9, 8, 0));
    assert_true(by_reissue >= 110);
    assert_int_equal(s->samples, s->sent_live + s->sent_reissue);
    h_free(h);
}

/* At least once: with a resend window, a broken link makes the terminal
 * reissue what it sent within the window, since nothing confirms arrival. */
static void test_resend_window_after_a_break(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_GB17691);
    h->cfg.resend_window_ms = 30000;
    h_start(h, hms(0, 10, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 10, 3, 0));
    outage(h, true);
    run_until(h, hms(0, 10, 3, 20));
    outage(h, false);
    run_until(h, hms(0, 10, 8, 0));
    ignition(h, false);
    const rs_term_stats *s = rs_terminal_stats(&h->t);
    /* the window held the last 30 s of sending: about three 10-sample packets */
    assert_in_range(s->resent, 20, 40);
    unsigned twice = 0;
    for (int64_t sec = hms(0, 10, 0, 0); sec < hms(0, 10, 8, 0); sec++) {
        if (!h->generated[sec])
            continue;
        unsigned got = h->live[sec] + h->reissued[sec];
        if (got < 1 || got > 2)
            fail_msg("second %lld arrived %u times", (long long)sec, got);
        if (got == 2) {
            twice++;
            assert_true(sec >= hms(0, 10, 2, 0) && sec < hms(0, 10, 3, 0)); /* only the window */
        }
    }
    assert_int_equal(twice, s->resent);
    assert_int_equal(s->samples + s->resent, s->sent_live + s->sent_reissue);
    h_free(h);
}

static void test_hj_layout_signed_and_reissue(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_HJ1239);
    h->id.sign = sign_with_checksum;
    h->cfg.store_extras = true;
    h_start(h, hms(0, 10, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 10, 5, 0));
    outage(h, true);
    run_until(h, hms(0, 10, 7, 0));
    outage(h, false);
    run_until(h, hms(0, 10, 12, 0));
    ignition(h, false);
    check_once(h, 0, 86400);
    check_all_reissued(h, hms(0, 10, 5, 0), hms(0, 10, 7, 0));
    assert_int_equal(h->logins, 2);
    assert_int_equal(h->logouts, 1);
    assert_int_equal(h->logout_serial[0], 2);
    assert_true(h->full_live_packets >= h->live_packets - 3);
    /* every sample's supplement item travelled too, the reissued ones included */
    assert_int_equal(h->items_with_supplement, rs_terminal_stats(&h->t)->samples);
    check_serials_dense(h, 0);
    h_free(h);
}

static void test_hj_unsigned_and_gb_per_item(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_HJ1239); /* no signer: frames go unsigned */
    h_start(h, hms(0, 10, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 10, 2, 0));
    ignition(h, false);
    check_once(h, 0, 86400);
    assert_true(h->live_packets >= 12);
    h_free(h);

    h = h_new(RS_PROTO_GB17691);
    h->prof.serial_style = RS_SERIAL_PER_ITEM;
    h_start(h, hms(0, 10, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 10, 2, 0));
    outage(h, true);
    run_until(h, hms(0, 10, 3, 0));
    outage(h, false);
    run_until(h, hms(0, 10, 5, 0));
    ignition(h, false);
    check_once(h, 0, 86400);
    check_all_reissued(h, hms(0, 10, 2, 0), hms(0, 10, 3, 0));
    h_free(h);
}

static void test_one_second_mode(void **st)
{
    (void)st;
    for (int proto = 0; proto < 2; proto++) {
        harness *h = h_new(proto ? RS_PROTO_HJ1239 : RS_PROTO_GB17691);
        h->cfg.packet_samples = 1;
        h_start(h, hms(0, 7, 0, 0));
        ignition(h, true);
        run_until(h, hms(0, 7, 1, 0));
        outage(h, true);
        run_until(h, hms(0, 7, 1, 30));
        outage(h, false);
        run_until(h, hms(0, 7, 3, 0));
        ignition(h, false);
        check_once(h, 0, 86400);
        check_all_reissued(h, hms(0, 7, 1, 0), hms(0, 7, 1, 30));
        assert_int_equal(h->full_live_packets, h->live_packets); /* one sample each */
        /* one serial per packet: the live ones and the reissued ones add up */
        const rs_term_stats *s = rs_terminal_stats(&h->t);
        int max = 0;
        for (int i = 1; i <= MAX_SERIAL; i++)
            if (h->ser_first[0][i])
                max = i;
        assert_int_equal(max, s->samples);
        check_serials_dense(h, 0);
        h_free(h);
    }
}

static void test_time_calibration_applied(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_GB17691);
    h->answer_timecal = true;
    h->split_answers = true; /* garbage first, then one byte at a time */
    h_start(h, hms(0, 12, 0, 0));
    rs_terminal_set_skew(&h->t, h->now, 3600 * 1000, &h->out); /* an hour fast */
    drain(h);
    ignition(h, true);
    /* the login went out before the answer: its time is the skewed clock */
    assert_int_equal(h->login_time[0], h->base + hms(0, 13, 0, 0));
    run_until(h, hms(0, 12, 1, 0));
    const rs_term_stats *s = rs_terminal_stats(&h->t);
    assert_int_equal(s->timecal_applied, 1);
    assert_true(s->rx_errors >= 1); /* the garbage was seen and skipped */
    /* after the answer, report times are true time: shifted by -3600 s */
    assert_int_equal(h->last_report_time, h->base + hms(0, 12, 0, 50));
    check_once(h, 0, 86400);
    /* the clock jumps again; the next calibration (1 h later) pulls it back */
    rs_terminal_set_skew(&h->t, h->now, 3600 * 1000 + 120 * 1000, &h->out);
    drain(h);
    h->clock_offset = 120; /* samples before the jump are still in a packet */
    run_until(h, hms(0, 12, 10, 0));
    assert_int_equal(h->last_report_time, h->base + hms(0, 12, 9, 50) + 120);
    h->clock_offset = 0;
    h->clock_offset_alt = 120;
    run_until(h, hms(0, 13, 0, 0)); /* the hourly request is due at 13:00:00 */
    run_until(h, hms(0, 13, 1, 0));
    assert_int_equal(s->timecal_applied, 2);
    assert_int_equal(h->timecals, 2);
    /* packets now start wherever the jump left them: within the last 10 s */
    assert_true(h->last_report_time >= h->base + hms(0, 13, 0, 41));
    assert_true(h->last_report_time <= h->base + hms(0, 13, 0, 50));
    h_free(h);
}

static void test_login_wait_echo(void **st)
{
    (void)st;
    /* no echo ever: the terminal keeps retrying every 20 s with new serials
     * and keeps everything for reissue */
    harness *h = h_new(RS_PROTO_HJ1239);
    h->cfg.login_wait_echo = true;
    h_start(h, hms(0, 9, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 9, 1, 0));
    assert_int_equal(h->logins, 3);
    assert_int_equal(h->login_serial[2], 3);
    assert_int_equal(h->login_time[1] - h->login_time[0], 20);
    assert_int_equal(h->live_packets, 0);
    assert_int_equal(rs_terminal_stats(&h->t)->backlog, 60);
    /* echoes from now on: logged in at the next retry, backlog reissued */
    h->answer_login = true;
    run_until(h, hms(0, 9, 3, 0));
    assert_int_equal(h->logins, 4);
    ignition(h, false);
    check_once(h, 0, 86400);
    check_all_reissued(h, hms(0, 9, 0, 0), hms(0, 9, 1, 0));
    assert_int_equal(rs_terminal_stats(&h->t)->echoes, 1);
    h_free(h);
}

static void test_hj_tamper_alarm(void **st)
{
    (void)st;
    harness *h = h_new(RS_PROTO_HJ1239);
    h_start(h, hms(0, 11, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 11, 1, 0));
    rs_terminal_ext_power(&h->t, h->now, false, &h->out);
    drain(h);
    run_until(h, hms(0, 11, 3, 30));
    rs_terminal_ext_power(&h->t, h->now, true, &h->out);
    drain(h);
    run_until(h, hms(0, 11, 6, 0));
    assert_int_equal(h->tampers, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(h->tamper_serial[i], i + 1);
        assert_int_equal(h->tamper_time[i], h->base + hms(0, 11, 1, 0) + 60 * i);
    }
    assert_int_equal(rs_terminal_stats(&h->t)->frames[RS_CMD_TAMPER], 3);
    h_free(h);

    /* GB 17691 has no 0x06: nothing is sent */
    h = h_new(RS_PROTO_GB17691);
    h_start(h, hms(0, 11, 0, 0));
    ignition(h, true);
    rs_terminal_ext_power(&h->t, h->now, false, &h->out);
    drain(h);
    run_until(h, hms(0, 11, 3, 0));
    assert_int_equal(h->tampers, 0);
    h_free(h);
}

static harness *activation(int status, int info, bool signer)
{
    harness *h = h_new(RS_PROTO_HJ1239);
    h->cfg.activate = true;
    h->act_status = status;
    h->act_info = info;
    if (signer)
        h->id.sign = sign_with_checksum;
    h_start(h, hms(0, 8, 0, 0));
    rs_terminal_tick(&h->t, h->now, &h->out);
    drain(h);
    run_until(h, hms(0, 8, 30, 0));
    return h;
}

static void test_hj_activation(void **st)
{
    (void)st;
    static const struct {
        int status, info;
        unsigned tries;
        rs_term_act_state end;
    } cases[] = {
        { 0x01, 0x00, 1, RS_TERM_ACT_DONE },
        { 0x02, 0x01, 1, RS_TERM_ACT_ALREADY },
        { 0x02, 0x02, 1, RS_TERM_ACT_VIN_ERROR },
        { 0x02, 0x03, 3, RS_TERM_ACT_GAVE_UP },
        { -1, 0, 3, RS_TERM_ACT_GAVE_UP }, /* never answered */
    };
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        harness *h = activation(cases[c].status, cases[c].info, c != 1);
        if (h->acts != cases[c].tries)
            fail_msg("case %u: %u activation frames, want %u", c, h->acts, cases[c].tries);
        assert_int_equal(h->acts_signed, c != 1 ? h->acts : 0);
        assert_int_equal(h->t.act_state, cases[c].end);
        assert_false(h->conn[RS_TERM_LINK_ACTIVATION]); /* closed when done */
        for (unsigned i = 1; i < h->acts; i++)
            assert_int_equal(h->act_time[i] - h->act_time[i - 1], 60); /* the retry interval */
        assert_int_equal(h->t.stats.activation_tries, h->acts);
        assert_int_equal(rs_terminal_deadline(&h->t), RS_TERM_NEVER);
        h_free(h);
    }
}

/* An HJ terminal whose link breaks after a live packet reissues it (resend
 * window) and the packets formed offline; returns the harness. */
static harness *reissue_run(rs_reissue_style style)
{
    harness *h = h_new(RS_PROTO_HJ1239);
    h->id.sign = sign_with_checksum; /* deterministic, like rs_sm2_sign */
    h->cfg.resend_window_ms = 15000;
    h->cfg.reissue_style = (uint8_t)style;
    h->cfg.store_extras = true; /* the supplement items travel again too */
    h->keep_units = true;
    h_start(h, hms(0, 10, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 10, 1, 0));
    outage(h, true);
    run_until(h, hms(0, 10, 1, 30));
    outage(h, false);
    run_until(h, hms(0, 10, 3, 0));
    ignition(h, false);
    assert_true(h->n_units < sizeof h->units / sizeof h->units[0]);
    return h;
}

static int live_unit_of(const harness *h, uint16_t serial)
{
    for (unsigned i = 0; i < h->n_units; i++)
        if (h->units[i].cmd == RS_CMD_REALTIME && h->units[i].serial == serial)
            return (int)i;
    return -1;
}

static int64_t unit_send_time(const uint8_t *unit)
{
    rs_time t = { unit[0], unit[1], unit[2], unit[3], unit[4], unit[5] };
    return rs_time_to_unix(&t);
}

/* "original": a packet sent again is the same data unit, signature
 * included; one formed offline keeps the send time it was formed with. */
static void test_hj_reissue_original_is_unchanged(void **st)
{
    (void)st;
    harness *h = reissue_run(RS_REISSUE_ORIGINAL);
    unsigned resent = 0, offline = 0;
    for (unsigned i = 0; i < h->n_units; i++) {
        if (h->units[i].cmd != RS_CMD_REISSUE)
            continue;
        int j = live_unit_of(h, h->units[i].serial);
        if (j >= 0 && h->units[j].unit[8] == RS_INFO_OBD) {
            /* the OBD item of a live packet is not kept for reissue (docs/terminal.md) */
            assert_int_equal(h->units[i].unit[8], RS_INFO_STREAM_DIESEL);
        } else if (j >= 0) {
            assert_int_equal(h->units[i].len, h->units[j].len);
            assert_memory_equal(h->units[i].unit, h->units[j].unit, h->units[i].len);
            resent++;
        } else {
            /* formed offline (the last at the first sample after the outage), sent
             * later: an old send time */
            int64_t send = unit_send_time(h->units[i].unit);
            assert_true(send < h->units[i].sent_at);
            if (!(send >= h->base + hms(0, 10, 1, 0) && send <= h->base + hms(0, 10, 1, 31)))
                fail_msg("offline packet %u formed at %lld s, outside the outage", h->units[i].serial, (long long)(send - h->base));
            offline++;
        }
    }
    assert_true(resent >= 1);
    assert_true(offline >= 2);
    check_serials_dense(h, 0);
    h_free(h);
}

/* "resign" (the default): the same samples under a new send time, signed again. */
static void test_hj_reissue_resign_has_new_send_time(void **st)
{
    (void)st;
    harness *h = reissue_run(RS_REISSUE_RESIGN);
    unsigned resent = 0;
    for (unsigned i = 0; i < h->n_units; i++) {
        if (h->units[i].cmd != RS_CMD_REISSUE)
            continue;
        int64_t send = unit_send_time(h->units[i].unit);
        assert_int_equal(send, h->units[i].sent_at); /* now, by the terminal's (true) clock */
        int j = live_unit_of(h, h->units[i].serial);
        if (j < 0)
            continue;
        resent++;
        assert_true(send > unit_send_time(h->units[j].unit));
        /* the items after the 8-byte send time and serial are the same samples */
        size_t sig = 66, body_i = h->units[i].len - 8 - sig, body_j = h->units[j].len - 8 - sig;
        (void)body_j;
        assert_true(body_i <= body_j);
        assert_memory_not_equal(h->units[i].unit + h->units[i].len - sig, h->units[j].unit + h->units[j].len - sig,
                                sig);
    }
    assert_true(resent >= 1);
    h_free(h);
}

/* With login_after_activation (the default), the platform hears nothing
 * before the activation answer; what was sampled meanwhile is reissued. */
static void test_hj_login_waits_for_activation(void **st)
{
    (void)st;
    for (int wait = 0; wait <= 1; wait++) {
        harness *h = h_new(RS_PROTO_HJ1239);
        h->id.sign = sign_with_checksum;
        h->cfg.activate = true;
        h->cfg.login_after_activation = wait;
        h->act_status = -1; /* unanswered: three tries a minute apart, then gave up */
        h_start(h, hms(0, 8, 0, 0));
        ignition(h, true);
        run_until(h, hms(0, 8, 6, 0));
        ignition(h, false);
        assert_int_equal(h->acts, 3);
        assert_int_equal(h->t.act_state, RS_TERM_ACT_GAVE_UP);
        assert_true(h->logins >= 1);
        if (wait) {
            /* gave up after the third try's retry period: 08:03:00 */
            assert_true(h->login_time[0] >= h->base + hms(0, 8, 3, 0));
            assert_true(check_once(h, hms(0, 8, 0, 0), hms(0, 8, 6, 0)) >= 170);
        } else {
            assert_true(h->login_time[0] < h->base + hms(0, 8, 0, 5));
        }
        h_free(h);
    }
}

static void test_config_checked(void **st)
{
    (void)st;
    rs_terminal_config c;
    rs_terminal_config_default(&c);
    rs_err err;
    assert_int_equal(rs_terminal_config_check(&c, &err), RS_OK);
    c.packet_samples = 11;
    assert_int_equal(rs_terminal_config_check(&c, &err), RS_E_OPTION);
    assert_string_equal(err.field, "packet_samples");
    rs_terminal_config_default(&c);
    c.reissue_interval_ms = 0;
    assert_int_equal(rs_terminal_config_check(&c, &err), RS_E_OPTION);
    assert_string_equal(err.field, "reissue_interval_ms");
    rs_terminal_config_default(&c);
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_GB32960);
    rs_term_ident id;
    memset(&id, 0, sizeof id);
    static rs_terminal t;
    assert_int_equal(rs_terminal_init(&t, &p, &c, &id, NULL, 0, &err), RS_E_OPTION);
    /* no store at all: offline samples are counted as lost, not kept */
    harness *h = h_new(RS_PROTO_GB17691);
    h->cfg.store_records = 0;
    h_start(h, hms(0, 8, 0, 0));
    ignition(h, true);
    run_until(h, hms(0, 8, 1, 0));
    outage(h, true);
    run_until(h, hms(0, 8, 2, 0));
    outage(h, false);
    run_until(h, hms(0, 8, 3, 0));
    ignition(h, false);
    const rs_term_stats *s = rs_terminal_stats(&h->t);
    assert_true(s->dropped[RS_TERM_DROP_OVERFLOW] >= 60);
    assert_int_equal(s->sent_live + s->dropped[RS_TERM_DROP_OVERFLOW], s->samples);
    /* samples with the ignition off are counted too */
    do_sample(h);
    assert_int_equal(s->dropped[RS_TERM_DROP_IGNITION_OFF], 1);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_with_two_outages),
        cmocka_unit_test(test_serials_reset_at_midnight),
        cmocka_unit_test(test_store_overflow_drops_oldest),
        cmocka_unit_test(test_hold_sends_samples_to_the_store),
        cmocka_unit_test(test_resend_window_after_a_break),
        cmocka_unit_test(test_hj_layout_signed_and_reissue),
        cmocka_unit_test(test_hj_unsigned_and_gb_per_item),
        cmocka_unit_test(test_one_second_mode),
        cmocka_unit_test(test_time_calibration_applied),
        cmocka_unit_test(test_login_wait_echo),
        cmocka_unit_test(test_hj_tamper_alarm),
        cmocka_unit_test(test_hj_activation),
        cmocka_unit_test(test_hj_reissue_original_is_unchanged),
        cmocka_unit_test(test_hj_reissue_resign_has_new_send_time),
        cmocka_unit_test(test_hj_login_waits_for_activation),
        cmocka_unit_test(test_config_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
