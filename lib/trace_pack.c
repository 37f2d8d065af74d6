/* Samples -> report packets (trace_pack.h). */
#include "remsim/trace_pack.h"

#include <string.h>

#include "remsim/j1939_tp.h"
#include "remsim/time.h"

#define SERIAL_MAX 65531u

void rs_packer_init(rs_packer *k, const rs_profile *p, const uint8_t vin[RS_VIN_LEN],
                    rs_packet_fn out, void *ctx)
{
    memset(k, 0, sizeof *k);
    k->profile = p;
    k->per_packet = p->proto == RS_PROTO_HJ1239 ? 10 : 1;
    k->supplement = p->proto == RS_PROTO_HJ1239;
    k->obd_period_s = 10; /* "OBD and data stream at least every 10 s" (§7.11) */
    k->out = out;
    k->ctx = ctx;
    k->serial_day = -1;
    k->msg.kind = RS_MSG_REPORT;
    k->msg.frame.cmd = RS_CMD_REALTIME;
    k->msg.frame.sw_version = p->sw_version;
    k->msg.frame.encryption = 0x01;
    memcpy(k->msg.frame.vin, vin, RS_VIN_LEN);
}

/* Daily serial: 1 after midnight GMT+8, +1 per use, wraps after 65531. */
static uint16_t next_serial(rs_packer *k, const rs_time *t)
{
    int64_t day = rs_time_day(rs_time_to_unix(t));
    if (day != k->serial_day || k->serial >= SERIAL_MAX) {
        k->serial_day = day;
        k->serial = 0;
    }
    return ++k->serial;
}

static bool add_item(rs_packer *k, uint8_t type, const rs_sample *s)
{
    rs_report *r = &k->msg.u.report;
    if (r->n_items >= RS_REPORT_MAX_ITEMS)
        return false;
    rs_item *it = &r->item[r->n_items++];
    memset(it, 0, sizeof *it);
    rs_item_from_sample(it, type, s);
    return true;
}

static bool all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/* What the trace never told (no VI, DM19 or DM20 requested while it was
 * recorded) is filled as terminals do: the configured VIN, '0'-padded
 * CALID/CVN (§2.4), zero IUPR counters (§7.12). */
static void fill_unknown(rs_obd *o, const uint8_t vin[RS_VIN_LEN])
{
    if (all_ff(o->vin, RS_VIN_LEN))
        memcpy(o->vin, vin, RS_VIN_LEN);
    if (all_ff(o->calid, RS_CALID_LEN))
        memset(o->calid, '0', RS_CALID_LEN);
    if (all_ff(o->cvn, RS_CVN_LEN))
        memset(o->cvn, '0', RS_CVN_LEN);
    if (all_ff(o->iupr, RS_IUPR_LEN))
        memset(o->iupr, 0, RS_IUPR_LEN);
}

static bool add_obd(rs_packer *k, const rs_obd *obd, const rs_time *t)
{
    rs_report *r = &k->msg.u.report;
    if (r->n_items >= RS_REPORT_MAX_ITEMS)
        return false;
    rs_item *it = &r->item[r->n_items++];
    memset(it, 0, sizeof *it);
    it->type = RS_INFO_OBD;
    it->collect = *t;
    it->u.obd = *obd;
    fill_unknown(&it->u.obd, k->msg.frame.vin);
    size_t n = obd->dtc_count == RS_DTC_INVALID || !obd->dtc ? 0 : obd->dtc_count;
    if (n > RS_DTC_MAX)
        n = RS_DTC_MAX;
    memcpy(k->dtc, obd->dtc, 4 * n);
    it->u.obd.dtc = k->dtc;
    return true;
}

rs_code rs_packer_flush(rs_packer *k, rs_err *err)
{
    rs_report *r = &k->msg.u.report;
    if (k->held == 0)
        return RS_OK;
    k->held = 0;
    if (k->profile->proto == RS_PROTO_GB17691) {
        /* §7.1: the packet's serial on every item, or +1 per item (S1). */
        uint16_t sn = next_serial(k, &r->time);
        r->serial = sn;
        for (unsigned i = 0; i < r->n_items; i++) {
            r->item[i].serial = sn;
            if (k->profile->serial_style == RS_SERIAL_PER_ITEM && i > 0)
                r->item[i].serial = next_serial(k, &r->time);
        }
    } else {
        r->serial = next_serial(k, &r->time);
    }
    size_t len = 0;
    rs_code rc = k->sign && k->profile->proto == RS_PROTO_HJ1239
        ? rs_msg_encode_signed(k->profile, &k->msg, k->sign, k->sign_ctx, k->frame,
                               sizeof k->frame, &len, err)
        : rs_msg_encode(k->profile, &k->msg, k->frame, sizeof k->frame, &len, err);
    r->n_items = 0;
    if (rc != RS_OK)
        return rc;
    k->packets++;
    if (k->out)
        k->out(k->ctx, k->frame, len, &k->msg);
    return RS_OK;
}

rs_code rs_packer_add(rs_packer *k, const rs_sample *s, const rs_obd *obd, rs_err *err)
{
    rs_report *r = &k->msg.u.report;
    if (k->held == 0) {
        r->layout = k->profile->proto == RS_PROTO_HJ1239 ? RS_LAYOUT_HJ : RS_LAYOUT_GB;
        r->n_items = 0;
        r->has_sig = false;
    }
    /* GB: the packet time is the collect time; HJ: the send time, i.e. the
     * time of the last sample in it (a replay sends when it has ten). */
    r->time = s->collect;
    int64_t now = rs_time_to_unix(&s->collect);
    bool ok = true;
    if (obd && k->obd_period_s &&
        (!k->obd_sent || now - k->obd_last >= (int64_t)k->obd_period_s)) {
        /* HJ puts OBD first in a packet (S3); only one per packet. */
        bool have = false;
        for (unsigned i = 0; i < r->n_items; i++)
            have |= r->item[i].type == RS_INFO_OBD;
        if (!have) {
            ok = add_obd(k, obd, &s->collect);
            k->obd_sent = true;
            k->obd_last = now;
        }
    }
    ok = ok && add_item(k, s->stream ? s->stream : RS_INFO_STREAM_DIESEL, s);
    if (ok && s->has_supplement && k->supplement)
        ok = add_item(k, RS_INFO_SUPPLEMENT, s);
    if (!ok) {
        k->held = 0;
        r->n_items = 0;
        return rs_fail(err, RS_E_LIMIT, 0, "items", "items per packet (RS_REPORT_MAX_ITEMS)",
                       RS_REPORT_MAX_ITEMS + 1, RS_REPORT_MAX_ITEMS, RS_NUM_DEC);
    }
    if (++k->held >= k->per_packet)
        return rs_packer_flush(k, err);
    return RS_OK;
}

/* ---- trace -> packets ------------------------------------------------------ */

typedef struct pack_run {
    rs_packer *k;
    rs_sampler *smp;
    rs_code rc;
    rs_err *err;
} pack_run;

static void on_sample(void *ctx, const rs_sample *s)
{
    pack_run *pr = ctx;
    if (pr->rc != RS_OK)
        return;
    rs_obd obd;
    unsigned have = rs_sampler_obd(pr->smp, &obd);
    pr->rc = rs_packer_add(pr->k, s, have ? &obd : NULL, pr->err);
}

rs_code rs_trace_to_packets(rs_can_port *src, const rs_sampler_cfg *cfg, rs_packer *k,
                            rs_err *err)
{
    /* About 40 KB together (TP buffers, slots): on the stack, so the
     * function keeps no state between calls and allocates nothing. */
    rs_j1939_rx rx;
    rs_sampler smp;
    pack_run pr = { k, &smp, RS_OK, err };
    rs_code rc = rs_j1939_rx_init(&rx, NULL, err);
    if (rc != RS_OK)
        return rc;
    rs_sampler_init(&smp, cfg, on_sample, &pr);
    rs_can_frame f;
    rs_j1939_msg m;
    for (;;) {
        rs_can_status st = rs_can_read(src, &f, err);
        if (st == RS_CAN_END)
            break;
        if (st == RS_CAN_ERROR) {
            if (err && err->code == RS_E_SYNTAX)
                continue; /* a bad line: the reader counts it and moves on */
            return err ? err->code : RS_E_IO;
        }
        if (st != RS_CAN_OK)
            continue;
        if (!(f.flags & RS_CAN_EXT))
            rs_sampler_feed_frame(&smp, &f);
        else if (rs_j1939_rx_feed(&rx, &f, &m) == 1)
            rs_sampler_feed(&smp, &m);
        if (pr.rc != RS_OK)
            return pr.rc;
    }
    return rs_packer_flush(k, err);
}
