/* Sample -> J1939 frames (vehicle_can.h), from the signal table. */
#include "remsim/vehicle_can.h"

#include <stdlib.h>
#include <string.h>

#include "remsim/j1939.h"

#define PGN_DM1 65226u

const char *rs_fidelity_name(rs_fidelity f)
{
    return f == RS_FIDELITY_FULL ? "full" : "sampled";
}

bool rs_fidelity_parse(const char *name, rs_fidelity *out)
{
    if (strcmp(name, "full") == 0)
        *out = RS_FIDELITY_FULL;
    else if (strcmp(name, "sampled") == 0)
        *out = RS_FIDELITY_SAMPLED;
    else
        return false;
    return true;
}

void rs_vcan_cfg_init(rs_vcan_cfg *c)
{
    memset(c, 0, sizeof *c);
    rs_sig_cfg_init(&c->sig);
    c->fidelity = RS_FIDELITY_SAMPLED;
    c->dm1_sa = 0x00;
}

/* Groups in table order: the order is the phase order on the bus. */
static size_t plan_groups(const rs_vcan_cfg *c, rs_vcan_group *g)
{
    size_t n = 0;
    for (size_t i = 0; i < rs_signal_count; i++) {
        const rs_signal *r = &rs_signals[i];
        uint8_t sa = c->sig.sa[i][0];
        if ((r->flags & (RS_SIG_ALT | RS_SIG_STD11)) || sa == RS_SIG_SA_END)
            continue;
        if (c->fields && !(c->fields & (1ull << r->field)))
            continue; /* a diesel has no TWC oxygen sensor, and no ECU sends it */
        size_t k = 0;
        while (k < n && !(g[k].pgn == r->pgn && g[k].sa == sa))
            k++;
        if (k == n) {
            g[n].pgn = r->pgn;
            g[n].sa = sa;
            g[n].prio = r->prio;
            g[n].rate_ms = r->rate_ms;
            g[n].n_rows = 0;
            n++;
        } else if (r->rate_ms < g[k].rate_ms) {
            g[k].rate_ms = r->rate_ms;
        }
        g[k].row[g[k].n_rows++] = (uint8_t)i;
    }
    /* A row with a PGN that does not encode gets id 0 and is skipped when
     * sending; the table test catches such rows. */
    for (size_t k = 0; k < n; k++)
        if (rs_j1939_id_encode(g[k].prio, g[k].pgn, g[k].sa, RS_J1939_GLOBAL, &g[k].can_id, NULL) != RS_OK)
            g[k].can_id = 0;
    return n;
}

void rs_vcan_prepare(rs_vcan_cfg *c)
{
    c->n_groups = (uint8_t)plan_groups(c, c->group);
    c->planned = true;
}

/* The plan to use: the prepared one, or one worked out now into tmp. */
static const rs_vcan_group *plan_of(const rs_vcan_cfg *c, rs_vcan_group *tmp, size_t *n)
{
    if (c->planned) {
        *n = c->n_groups;
        return c->group;
    }
    *n = plan_groups(c, tmp);
    return tmp;
}

static unsigned per_second(const rs_vcan_cfg *c, const rs_vcan_group *g)
{
    if (c->fidelity != RS_FIDELITY_FULL || g->rate_ms == 0 || g->rate_ms >= 1000)
        return 1;
    return (1000u + g->rate_ms - 1u) / g->rate_ms;
}

size_t rs_vcan_frames_per_second(const rs_vcan_cfg *c)
{
    rs_vcan_group tmp[RS_SIG_MAX_ROWS];
    size_t n;
    const rs_vcan_group *g = plan_of(c, tmp, &n);
    size_t total = 1; /* + single-frame DM1 */
    for (size_t i = 0; i < n; i++)
        total += per_second(c, &g[i]);
    return total;
}

/* The value a row sends: signed degrees from magnitude + hemisphere bits,
 * nothing when the position is flagged invalid (VP1 has no "last fix"). */
static rs_val row_value(const rs_signal *r, const rs_sample *s)
{
    rs_val v = s->v[r->field];
    if (r->conv == RS_CONV_SIGNED_DEG && v.state == RS_VALID) {
        unsigned st = (unsigned)s->v[RS_F_POS_STATUS].value;
        if (st & 1u)
            return rs_val_invalid();
        if ((r->field == RS_F_LAT && (st & 2u)) || (r->field == RS_F_LON && (st & 4u)))
            v.value = -v.value;
    }
    if (v.state == RS_OUT_OF_RANGE)
        v.state = RS_ABNORMAL;
    return v;
}

static void fill_payload(const rs_vcan_cfg *c, const rs_vcan_group *g, const rs_sample *s,
                         uint8_t data[8], unsigned *unencodable)
{
    memset(data, 0xFF, 8);
    for (unsigned k = 0; k < g->n_rows; k++) {
        const rs_signal *r = &rs_signals[g->row[k]];
        rs_val v = row_value(r, s);
        if (!rs_sig_encode(r, &c->sig, &v, data)) {
            rs_val e = { 0, 0, RS_ABNORMAL };
            rs_sig_encode(r, &c->sig, &e, data);
            (*unencodable)++;
        }
    }
}

size_t rs_vcan_dm1_payload(const rs_obd *obd, uint8_t out[RS_VCAN_DM1_MAX])
{
    unsigned mil = obd->mil == 0 ? 0u : obd->mil == 1 ? 1u : 3u;
    out[0] = (uint8_t)(mil << 6); /* MIL bits 8-7; red stop, amber, protect: off */
    out[1] = 0xFF;                /* no flashing */
    size_t n = obd->dtc_count == RS_DTC_INVALID || !obd->dtc ? 0 : obd->dtc_count;
    if (n > RS_DTC_MAX)
        n = RS_DTC_MAX;
    if (n == 0) {
        static const uint8_t none[6] = { 0, 0, 0, 0, 0xFF, 0xFF };
        memcpy(out + 2, none, sizeof none);
        return 8;
    }
    memcpy(out + 2, obd->dtc, 4 * n);
    size_t len = 2 + 4 * n;
    if (len < 8) {
        memset(out + len, 0xFF, 8 - len);
        len = 8;
    }
    return len;
}

static int by_time(const void *a, const void *b)
{
    const rs_can_frame *x = a, *y = b;
    if (x->ts_us != y->ts_us)
        return x->ts_us < y->ts_us ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool put(rs_vcan_out *out, const rs_vcan_cfg *c, uint64_t ts, uint32_t id, const uint8_t *data,
                uint8_t len)
{
    if (out->n >= out->cap)
        return false;
    if (id == 0)
        return true; /* a table row with a bad PGN: caught by the table test */
    rs_can_frame *f = &out->frames[out->n];
    f->ts_us = ts;
    f->id = id;
    f->flags = RS_CAN_EXT;
    f->len = len;
    f->iface = c->iface;
    memcpy(f->data, data, len);
    out->n++;
    return true;
}

rs_code rs_vcan_encode(const rs_vcan_cfg *c, const rs_sample *s, const rs_obd *obd,
                       uint64_t t0_us, rs_vcan_out *out, rs_err *err)
{
    rs_vcan_group tmp[RS_SIG_MAX_ROWS];
    size_t ng;
    const rs_vcan_group *g = plan_of(c, tmp, &ng);
    out->n = 0;
    out->dm1_len = 0;
    out->dm1_tp = false;
    out->unencodable = 0;
    size_t need = 1; /* + single-frame DM1 */
    for (size_t k = 0; k < ng; k++)
        need += per_second(c, &g[k]);
    if (!out->frames || out->cap < need)
        return rs_fail(err, RS_E_SPACE, 0, "frames", "room for one second of frames "
                       "(rs_vcan_frames_per_second)", (long long)out->cap, (long long)need,
                       RS_NUM_DEC);

    uint8_t data[8];
    for (size_t k = 0; k < ng; k++) {
        fill_payload(c, &g[k], s, data, &out->unencodable);
        unsigned n = per_second(c, &g[k]);
        /* Each group on its own phase (1 ms apart, within its period), so
         * the bus does not see every PGN in the same instant. */
        uint64_t period = n > 1 ? (uint64_t)g[k].rate_ms * 1000u : 1000000u;
        uint64_t phase = ((uint64_t)k * 1000u) % period;
        for (unsigned j = 0; j < n; j++)
            put(out, c, t0_us + phase + (uint64_t)j * period, g[k].can_id, data, 8);
    }
    if (obd) {
        out->dm1_len = rs_vcan_dm1_payload(obd, out->dm1);
        uint32_t id;
        if (out->dm1_len > 8)
            out->dm1_tp = true;
        else if (rs_j1939_id_encode(RS_J1939_PRIO_DEFAULT, PGN_DM1, c->dm1_sa, RS_J1939_GLOBAL, &id, NULL) == RS_OK)
            put(out, c, t0_us + (uint64_t)ng * 1000u, id, out->dm1, 8);
    }
    if (c->fidelity == RS_FIDELITY_FULL)
        qsort(out->frames, out->n, sizeof out->frames[0], by_time);
    return RS_OK;
}
