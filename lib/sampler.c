/* The 1 Hz sampler (sampler.h): last value per (row, sender), one sample per
 * second of message time. */
#include "remsim/sampler.h"

#include <math.h>
#include <string.h>

#include "remsim/time.h"

#define US_PER_S 1000000ull
#define UNIX_2000 946684800ll    /* stamps below this are taken as relative */

void rs_sampler_cfg_init(rs_sampler_cfg *c)
{
    memset(c, 0, sizeof *c);
    rs_sig_cfg_init(&c->sig);
    c->timeout_ms = 5000;
    c->rel_base_unix = 1577836800; /* 2020-01-01T00:00:00Z */
    c->max_gap_s = 3600;
    c->supplement = true;
    rs_dm_obd_cfg_default(&c->obd);
}

#define STD11_KEY 0x80000000u    /* marks an 11-bit id in the key space */

static uint32_t key_of(const rs_signal *r)
{
    return r->pgn | ((r->flags & RS_SIG_STD11) ? STD11_KEY : 0u);
}

static unsigned key_slot(const rs_sampler *s, uint32_t key)
{
    unsigned h = (key * 2654435761u) >> 25; /* 7 bits: RS_SAMPLER_KEYS */
    while (s->key_first[h] >= 0 && s->key[h] != key)
        h = (h + 1) & (RS_SAMPLER_KEYS - 1);
    return h;
}

static void build_index(rs_sampler *s)
{
    memset(s->key_first, -1, sizeof s->key_first);
    memset(s->field_first, -1, sizeof s->field_first);
    for (size_t i = rs_signal_count; i-- > 0;) {
        /* built backwards so each chain ends up in table order */
        const rs_signal *r = &rs_signals[i];
        unsigned h = key_slot(s, key_of(r));
        s->key[h] = key_of(r);
        s->key_next[i] = s->key_first[h];
        s->key_first[h] = (int8_t)i;
        s->field_next[i] = s->field_first[r->field];
        s->field_first[r->field] = (int8_t)i;
        if (!(r->flags & RS_SIG_ALT))
            s->field_primary[r->field] = true;
    }
}

void rs_sampler_init(rs_sampler *s, const rs_sampler_cfg *cfg, rs_sample_fn emit, void *ctx)
{
    memset(s, 0, sizeof *s);
    if (cfg)
        s->cfg = *cfg;
    else
        rs_sampler_cfg_init(&s->cfg);
    s->emit = emit;
    s->ctx = ctx;
    rs_dm_obd_init(&s->obd, &s->cfg.obd);
    build_index(s);
    s->epoch = 1; /* slots start at 0: empty */
}

void rs_sampler_forget(rs_sampler *s)
{
    rs_dm_obd_forget(&s->obd);
    s->have_fix = false;
    if (++s->epoch == 0) { /* after 2^32 forgets: clear for real once */
        memset(s->slot, 0, sizeof s->slot);
        s->epoch = 1;
    }
}

unsigned rs_sampler_obd(rs_sampler *s, rs_obd *out)
{
    return rs_dm_obd_fill(&s->obd, s->instant_us, out);
}

static bool fresh(const rs_sampler *s, const rs_sampler_slot *sl, uint64_t t_us)
{
    return sl->epoch == s->epoch && sl->ts_us <= t_us && t_us - sl->ts_us <= (uint64_t)s->cfg.timeout_ms * 1000u;
}

/* The winning value of a field at t_us (sampler.h: first fresh valid value in
 * row order, then sender order; else the first fresh marker; else invalid). */
static rs_val pick(const rs_sampler *s, rs_field_id f, uint64_t t_us)
{
    const rs_val *marker = NULL;
    for (int i = s->field_first[f]; i >= 0; i = s->field_next[i]) {
        if ((rs_signals[i].flags & RS_SIG_STD11) && !s->cfg.sig.gnss)
            continue;
        for (unsigned k = 0; k <= RS_SIG_MAX_SA; k++) {
            const rs_sampler_slot *sl = &s->slot[i][k];
            if (!fresh(s, sl, t_us))
                continue;
            if (sl->v.state == RS_VALID)
                return sl->v;
            if (!marker)
                marker = &sl->v;
        }
    }
    return marker ? *marker : rs_val_invalid();
}

static void take_sample(rs_sampler *s, uint64_t t_us, rs_sample *out)
{
    rs_sample_init(out);
    int64_t sec = (int64_t)(t_us / US_PER_S);
    if (sec < UNIX_2000)
        sec += s->cfg.rel_base_unix;
    out->collect = rs_time_from_unix(sec);
    out->stream = 0x02;
    out->has_supplement = s->cfg.supplement;

    for (int f = 0; f < RS_F_COUNT; f++) {
        if (f == RS_F_POS_STATUS || f == RS_F_LAT || f == RS_F_LON)
            continue;
        if (!s->field_primary[f])
            continue; /* no CAN source (TWC, hybrid, torque mode): stays invalid here */
        out->v[f] = rs_sig_to_report((rs_field_id)f, pick(s, (rs_field_id)f, t_us));
    }

    /* Position: hemisphere bits from the signs, once, here (§7.5).  Without a
     * fix the last valid one is repeated with bit 0 set, as §7.5 says. */
    rs_val lat = pick(s, RS_F_LAT, t_us), lon = pick(s, RS_F_LON, t_us);
    unsigned st;
    if (lat.state == RS_VALID && lon.state == RS_VALID) {
        s->have_fix = true;
        s->fix_lat = lat.value;
        s->fix_lon = lon.value;
        st = 0;
    } else if (s->have_fix) {
        lat = rs_val_ok(s->fix_lat);
        lon = rs_val_ok(s->fix_lon);
        st = 1;
    } else {
        st = 1;
    }
    if (lat.state == RS_VALID && lat.value < 0)
        st |= 2;
    if (lon.state == RS_VALID && lon.value < 0)
        st |= 4;
    out->v[RS_F_LAT] = rs_sig_to_report(RS_F_LAT, lat);
    out->v[RS_F_LON] = rs_sig_to_report(RS_F_LON, lon);
    out->v[RS_F_POS_STATUS] = rs_val_ok(st);
    out->v[RS_F_POS_STATUS].raw = st;

    if (s->cfg.supplement) {
        const rs_field_desc *fd = &rs_fields[RS_F_TORQUE_MODE];
        rs_scaling sc = { fd->scale, fd->offset };
        out->v[RS_F_TORQUE_MODE] = rs_val_from_raw(fd, &sc, s->cfg.sig.torque_mode);
    }
}

void rs_sampler_peek(rs_sampler *s, uint64_t t_us, rs_sample *out)
{
    take_sample(s, t_us, out);
}

/* Emits every sample instant up to and including t_us.  A jump longer than
 * max_gap_s (a relative trace glued to an absolute one, a paused live bus)
 * restarts the clock instead of emitting hours of invalid samples. */
static void run_clock(rs_sampler *s, uint64_t t_us)
{
    if (!s->started) {
        s->started = true;
        s->now_us = t_us;
        s->next_s = (int64_t)(t_us / US_PER_S) + 1;
        return;
    }
    if (t_us < s->now_us)
        return; /* stamps going backwards (§6.1): clamped by the caller */
    int64_t sec = (int64_t)(t_us / US_PER_S);
    if (sec >= s->next_s && (uint64_t)(sec - s->next_s) >= s->cfg.max_gap_s) {
        s->stats.gaps++;
        s->next_s = sec + 1;
        return;
    }
    rs_sample smp;
    while (s->next_s <= sec) {
        s->instant_us = (uint64_t)s->next_s * US_PER_S;
        take_sample(s, s->instant_us, &smp);
        s->next_s++;
        s->stats.samples++;
        if (s->emit)
            s->emit(s->ctx, &smp);
    }
}

void rs_sampler_advance(rs_sampler *s, uint64_t t_us)
{
    if (!s->started)
        return;
    run_clock(s, t_us);
    if (t_us > s->now_us)
        s->now_us = t_us;
}

/* Slot for sender sa of row i, or NULL when the sender is not wanted. */
static rs_sampler_slot *slot_for(rs_sampler *s, size_t i, uint8_t sa, uint64_t t_us)
{
    const uint8_t *want = s->cfg.sig.sa[i];
    for (unsigned k = 0; k < RS_SIG_MAX_SA && want[k] != RS_SIG_SA_END; k++)
        if (want[k] == sa)
            return &s->slot[i][k];
    if (s->cfg.sig.fallback != RS_SA_ANY)
        return NULL;
    /* Fallback: the first unlisted sender heard keeps the slot while it
     * talks; another one takes over only after it went silent. */
    rs_sampler_slot *fb = &s->slot[i][RS_SIG_MAX_SA];
    if (fb->epoch != s->epoch || fb->sa == sa || !fresh(s, fb, t_us))
        return fb;
    return NULL;
}

static void apply(rs_sampler *s, bool std11, uint32_t key, uint8_t sa, const uint8_t *data,
                  size_t len, uint64_t ts)
{
    bool known = false, used = false;
    uint32_t k = key | (std11 ? STD11_KEY : 0u);
    for (int i = s->key_first[key_slot(s, k)]; i >= 0; i = s->key_next[i]) {
        const rs_signal *r = &rs_signals[i];
        known = true;
        rs_sampler_slot *sl = std11 ? &s->slot[i][0] : slot_for(s, i, sa, ts);
        if (!sl)
            continue;
        sl->v = rs_sig_decode(r, &s->cfg.sig, data, len);
        sl->ts_us = ts;
        sl->sa = sa;
        sl->epoch = s->epoch;
        used = true;
    }
    if (used)
        s->stats.used++;
    else if (known)
        s->stats.ignored_sa++;
}

static bool is_diagnostic(uint32_t pgn)
{
    return pgn == RS_PGN_DM1 || pgn == RS_PGN_DM12 || pgn == RS_PGN_DM5 || pgn == RS_PGN_DM19 ||
           pgn == RS_PGN_DM20 || pgn == RS_PGN_VI;
}

static uint64_t clock_in(rs_sampler *s, uint64_t ts)
{
    run_clock(s, ts);
    if (ts < s->now_us)
        ts = s->now_us; /* backwards stamp: as if it came now */
    s->now_us = ts;
    return ts;
}

void rs_sampler_feed(rs_sampler *s, const rs_j1939_msg *m)
{
    s->stats.msgs++;
    uint64_t ts = clock_in(s, m->ts_us);
    if (!m->data && m->len)
        return;
    apply(s, false, m->pgn, m->sa, m->data, m->len, ts);
    /* Diagnostics: the OBD state keeps what it understands; a message it
     * cannot parse leaves it unchanged, which is all we need here. */
    if (!is_diagnostic(m->pgn))
        return;
    rs_j1939_msg at = *m;
    at.ts_us = ts;
    (void)rs_dm_obd_feed(&s->obd, &at, NULL);
}

void rs_sampler_feed_frame(rs_sampler *s, const rs_can_frame *f)
{
    if (f->flags & (RS_CAN_ERR | RS_CAN_RTR | RS_CAN_FD))
        return;
    if (f->flags & RS_CAN_EXT) {
        rs_j1939_msg m;
        if (rs_j1939_from_frame(f, &m, NULL) != RS_OK)
            return;
        if (m.pgn == RS_PGN_TP_CM || m.pgn == RS_PGN_TP_DT)
            return;
        rs_sampler_feed(s, &m);
        return;
    }
    s->stats.msgs++;
    uint64_t ts = clock_in(s, f->ts_us);
    if (!s->cfg.sig.gnss || f->id < s->cfg.sig.gnss_base)
        return;
    apply(s, true, f->id - s->cfg.sig.gnss_base, 0, f->data, f->len > 8 ? 8 : f->len, ts);
}
