/* OBD state: the diagnostic messages of every ECU, kept per source
 * address, turned into the GB OBD info item (protocol.md §7.10).
 *
 * Freshness matters more than anything here: a DM1 that stopped arriving
 * means "we do not know", never "no faults" (can-signals.md §8 pitfall 8),
 * so stale or missing ECUs make MIL and the DTC list invalid. */
#include "remsim/j1939_dm.h"

#include <string.h>

#define DM20_MAX_RATIOS ((RS_J1939_MAX_LEN - 4) / 7)

void rs_dm_obd_cfg_default(rs_dm_obd_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->dm1_timeout_us = 3000000u;
    cfg->dtc_source = RS_DM_DTC_FROM_DM1;
    cfg->cal_sa = 0x00;
    cfg->vin_sa = 0xFF;
    cfg->iupr_sa = 0x00;
    cfg->pad = '0';
}

void rs_dm_obd_init(rs_dm_obd *st, const rs_dm_obd_cfg *cfg)
{
    memset(st, 0, sizeof *st);
    if (cfg)
        st->cfg = *cfg;
    else
        rs_dm_obd_cfg_default(&st->cfg);
    if (!st->cfg.pad)
        st->cfg.pad = '0';
}

static rs_dm_obd_ecu *ecu_find(rs_dm_obd *st, uint8_t sa)
{
    for (size_t i = 0; i < RS_DM_OBD_ECUS; i++)
        if (st->ecu[i].used && st->ecu[i].sa == sa)
            return &st->ecu[i];
    return NULL;
}

static rs_dm_obd_ecu *ecu_get(rs_dm_obd *st, uint8_t sa, rs_err *err)
{
    rs_dm_obd_ecu *e = ecu_find(st, sa);
    if (e)
        return e;
    for (size_t i = 0; i < RS_DM_OBD_ECUS; i++) {
        if (!st->ecu[i].used) {
            e = &st->ecu[i];
            memset(e, 0, sizeof *e);
            e->used = true;
            e->sa = sa;
            return e;
        }
    }
    st->ignored++;
    rs_fail(err, RS_E_LIMIT, 0, "sa", "more diagnosing ECUs than the OBD state tracks", sa,
            RS_DM_OBD_ECUS, RS_NUM_GOT_ONLY);
    return NULL;
}

static rs_code feed_dtcs(rs_dm_obd *st, const rs_j1939_msg *m, rs_err *err)
{
    rs_dm_lamps lamps;
    rs_dm_dtc d[RS_DM_DTC_PER_ECU];
    size_t n;
    rs_code rc = rs_dm_dtcs_parse(m->data, m->len, &lamps, d, RS_DM_DTC_PER_ECU, &n, err);
    if (rc && rc != RS_E_LIMIT) {
        st->ignored++;
        return rc;
    }
    rs_dm_obd_ecu *e = ecu_get(st, m->sa, err);
    if (!e)
        return RS_E_LIMIT;
    e->has_dtc = true;
    e->dtc_ts = m->ts_us;
    e->mil = lamps.mil;
    e->n_dtc = (uint16_t)n;
    size_t keep = n < RS_DM_DTC_PER_ECU ? n : RS_DM_DTC_PER_ECU;
    for (size_t i = 0; i < keep; i++)
        memcpy(e->dtc[i], d[i].raw, 4);
    return RS_OK;
}

void rs_dm_obd_forget(rs_dm_obd *st)
{
    for (size_t i = 0; i < RS_DM_OBD_ECUS; i++)
        st->ecu[i].used = false;
    st->has_vin = false;
}

rs_code rs_dm_obd_feed(rs_dm_obd *st, const rs_j1939_msg *m, rs_err *err)
{
    uint32_t dtc_pgn = st->cfg.dtc_source == RS_DM_DTC_FROM_DM12 ? RS_PGN_DM12 : RS_PGN_DM1;
    if (m->pgn == dtc_pgn)
        return feed_dtcs(st, m, err);
    rs_code rc;
    switch (m->pgn) {
    case RS_PGN_DM5: {
        rs_dm5 d;
        if ((rc = rs_dm5_parse(m->data, m->len, &d, err)) != RS_OK) {
            st->ignored++;
            return rc;
        }
        rs_dm_obd_ecu *e = ecu_get(st, m->sa, err);
        if (!e)
            return RS_E_LIMIT;
        e->has_dm5 = true;
        e->dm5 = d;
        return RS_OK;
    }
    case RS_PGN_DM19: {
        rs_dm19_entry ent;
        size_t n;
        rc = rs_dm19_parse(m->data, m->len, &ent, 1, &n, err);
        if (n == 0 || (rc && rc != RS_E_LIMIT)) {
            st->ignored++;
            return rc ? rc : RS_E_LENGTH;
        }
        rs_dm_obd_ecu *e = ecu_get(st, m->sa, err);
        if (!e)
            return RS_E_LIMIT;
        /* GB has room for one CALID: the first entry is the main software. */
        e->has_cal = true;
        e->cal = ent;
        return RS_OK;
    }
    case RS_PGN_DM20: {
        rs_dm20 hdr;
        rs_dm20_ratio r[DM20_MAX_RATIOS];
        size_t n;
        if ((rc = rs_dm20_parse(m->data, m->len, &hdr, r, DM20_MAX_RATIOS, &n, err)) != RS_OK) {
            st->ignored++;
            return rc;
        }
        rs_dm_obd_ecu *e = ecu_get(st, m->sa, err);
        if (!e)
            return RS_E_LIMIT;
        e->has_iupr = true;
        rs_dm20_to_gb(&hdr, r, n, st->cfg.iupr_map, st->cfg.iupr_map_n, e->iupr);
        return RS_OK;
    }
    case RS_PGN_VI: {
        if (st->cfg.vin_sa != 0xFF && m->sa != st->cfg.vin_sa)
            return RS_OK;
        uint8_t vin[RS_VIN_LEN];
        size_t n;
        if ((rc = rs_vi_parse(m->data, m->len, vin, &n, err)) != RS_OK) {
            st->ignored++;
            return rc;
        }
        if (n != RS_VIN_LEN) {
            st->ignored++;
            return rs_fail(err, RS_E_VIN, n, "vin", "a VIN has 17 characters (§3.5)",
                           (long long)n, RS_VIN_LEN, RS_NUM_DEC);
        }
        memcpy(st->vin, vin, RS_VIN_LEN);
        st->has_vin = true;
        return RS_OK;
    }
    default:
        return RS_OK;
    }
}

static bool is_obd_sa(const rs_dm_obd *st, uint8_t sa)
{
    if (!st->cfg.obd_sa)
        return true;
    for (size_t i = 0; i < st->cfg.n_obd_sa; i++)
        if (st->cfg.obd_sa[i] == sa)
            return true;
    return false;
}

static bool fresh(const rs_dm_obd *st, const rs_dm_obd_ecu *e, uint64_t now)
{
    if (!e || !e->has_dtc)
        return false;
    /* Timestamps may step back slightly in converted logs: that is fresh. */
    return now <= e->dtc_ts || now - e->dtc_ts <= st->cfg.dm1_timeout_us;
}

/* The ECU whose single value (CALID, IUPR) GB reports: the configured SA,
 * or with 0xFF the lowest SA that has one. */
static const rs_dm_obd_ecu *pick(const rs_dm_obd *st, uint8_t want, bool cal)
{
    const rs_dm_obd_ecu *best = NULL;
    for (size_t i = 0; i < RS_DM_OBD_ECUS; i++) {
        const rs_dm_obd_ecu *e = &st->ecu[i];
        if (!e->used || !(cal ? e->has_cal : e->has_iupr))
            continue;
        if (want != 0xFF) {
            if (e->sa == want)
                return e;
        } else if (!best || e->sa < best->sa) {
            best = e;
        }
    }
    return best;
}

unsigned rs_dm_obd_fill(rs_dm_obd *st, uint64_t now_us, rs_obd *out)
{
    unsigned have = 0;
    memset(out, 0, sizeof *out);
    out->protocol = 2; /* SAE J1939 (§7.10) */

    /* Which OBD ECUs count, and are they all fresh? */
    bool on = false, off = false, unknown = false, any = false;
    if (st->cfg.obd_sa) {
        for (size_t i = 0; i < st->cfg.n_obd_sa; i++) {
            const rs_dm_obd_ecu *e = ecu_find(st, st->cfg.obd_sa[i]);
            any = true;
            if (!fresh(st, e, now_us))
                unknown = true;
            else if (e->mil == RS_LAMP_ON)
                on = true;
            else if (e->mil == RS_LAMP_OFF)
                off = true;
        }
    } else {
        for (size_t i = 0; i < RS_DM_OBD_ECUS; i++) {
            const rs_dm_obd_ecu *e = &st->ecu[i];
            if (!e->used || !e->has_dtc)
                continue;
            any = true;
            if (!fresh(st, e, now_us))
                unknown = true;
            else if (e->mil == RS_LAMP_ON)
                on = true;
            else if (e->mil == RS_LAMP_OFF)
                off = true;
        }
    }
    if (!any)
        unknown = true;
    /* One ECU saying "on" is enough; "off" needs every OBD ECU fresh. */
    if (on) {
        out->mil = 1;
        have |= RS_OBD_HAVE_MIL;
    } else if (!unknown && off) {
        out->mil = 0;
        have |= RS_OBD_HAVE_MIL;
    } else {
        out->mil = 0xFE;
    }

    if (unknown) {
        out->dtc_count = RS_DTC_INVALID;
        out->dtc = NULL;
    } else {
        size_t n = 0;
        int last = -1;
        /* SA order, so the list does not depend on arrival order. */
        for (;;) {
            const rs_dm_obd_ecu *next = NULL;
            for (size_t i = 0; i < RS_DM_OBD_ECUS; i++) {
                const rs_dm_obd_ecu *e = &st->ecu[i];
                if (e->used && e->has_dtc && (int)e->sa > last && is_obd_sa(st, e->sa) &&
                    (!next || e->sa < next->sa))
                    next = e;
            }
            if (!next)
                break;
            last = next->sa;
            size_t k = next->n_dtc < RS_DM_DTC_PER_ECU ? next->n_dtc : RS_DM_DTC_PER_ECU;
            for (size_t j = 0; j < k && n < RS_DTC_MAX; j++, n++)
                memcpy(st->dtc_out + 4 * n, next->dtc[j], 4);
        }
        out->dtc_count = (uint8_t)n;
        out->dtc = st->dtc_out;
        have |= RS_OBD_HAVE_DTC;
    }

    for (size_t i = 0; i < RS_DM_OBD_ECUS; i++) {
        const rs_dm_obd_ecu *e = &st->ecu[i];
        /* Compliance 5 = "not intended to meet OBD": no monitors to report. */
        if (e->used && e->has_dm5 && e->dm5.compliance != 5) {
            out->support |= e->dm5.support;
            out->readiness |= e->dm5.readiness;
            have |= RS_OBD_HAVE_DM5;
        }
    }

    if (st->has_vin) {
        memcpy(out->vin, st->vin, RS_VIN_LEN);
        have |= RS_OBD_HAVE_VIN;
    } else {
        memset(out->vin, 0xFF, RS_VIN_LEN);
    }

    const rs_dm_obd_ecu *c = pick(st, st->cfg.cal_sa, true);
    if (c) {
        rs_dm19_to_gb(&c->cal, st->cfg.pad, out->calid, out->cvn);
        have |= RS_OBD_HAVE_CAL;
    } else {
        memset(out->calid, 0xFF, RS_CALID_LEN);
        memset(out->cvn, 0xFF, RS_CVN_LEN);
    }

    const rs_dm_obd_ecu *u = pick(st, st->cfg.iupr_sa, false);
    if (u) {
        memcpy(out->iupr, u->iupr, RS_IUPR_LEN);
        have |= RS_OBD_HAVE_IUPR;
    }
    return have;
}
