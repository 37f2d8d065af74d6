/* Real-time (0x02) and reissue (0x03) reports: the GB 17691 layout (§7.1),
 * the HJ 1239 layout with its signature (§7.2), and the S6 deviation. */
#include <string.h>

#include "lib/msg_internal.h"

/* The fields of a stream item, from the profile's scalings (§7.4-§7.9). */
static rs_code stream_body(const rs_profile *p, uint8_t type, const uint8_t *b, size_t base, rs_item *it,
                           rs_msg *m, rs_err *err)
{
    unsigned n;
    const uint8_t *layout = rs_info_layout(type, &n);
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        const rs_field_desc *fd = &rs_fields[layout[i]];
        uint32_t raw = rs_read_be(b + off, fd->width);
        rs_val v = rs_val_from_raw(fd, &p->scale[layout[i]], raw);
        it->u.v[layout[i]] = v;
        if (v.state == RS_ABNORMAL || v.state == RS_OUT_OF_RANGE) {
            rs_err w;
            rs_fail(&w, RS_E_RANGE, base + off, fd->name,
                    v.state == RS_ABNORMAL ? "the field carries the abnormal marker (all ones minus one, §2.3)"
                                           : "raw value above the field's valid maximum and not a marker (§2.3)",
                    raw, fd->raw_max, RS_NUM_HEX);
            rs_code rc = rs_msg_tolerate(m, p, p->range_check, &w, err);
            if (rc)
                return rc;
        }
        off += fd->width;
    }
    return RS_OK;
}

static rs_code obd_body(const rs_profile *p, const uint8_t *b, size_t avail, size_t base, rs_item *it,
                        size_t *used, rs_msg *m, rs_err *err)
{
    if (avail < RS_OBD_FIXED_LEN)
        return rs_fail(err, RS_E_BODY, base + avail, "obd",
                       "OBD information is 96 bytes plus 4 per DTC (§7.10)", (long long)avail,
                       RS_OBD_FIXED_LEN, RS_NUM_DEC);
    rs_obd *o = &it->u.obd;
    o->protocol = b[0];
    o->mil = b[1];
    o->support = rs_be16(b + 2);
    o->readiness = rs_be16(b + 4);
    memcpy(o->vin, b + 6, RS_VIN_LEN);
    memcpy(o->calid, b + 23, RS_CALID_LEN);
    memcpy(o->cvn, b + 41, RS_CVN_LEN);
    memcpy(o->iupr, b + 59, RS_IUPR_LEN);
    o->dtc_count = b[95];
    o->dtc = NULL;
    size_t list = 0;
    if (o->dtc_count != RS_DTC_INVALID) {
        if (o->dtc_count > RS_DTC_MAX)
            return rs_fail(err, RS_E_BODY, base + 95, "obd.dtc_count",
                           "DTC count is 0..253, or 0xFE when invalid (§7.10)", o->dtc_count, RS_DTC_MAX,
                           RS_NUM_DEC);
        list = 4u * o->dtc_count;
        if (avail < RS_OBD_FIXED_LEN + list)
            return rs_fail(err, RS_E_BODY, base + avail, "obd.dtc",
                           "the DTC list holds 4 bytes per counted DTC (§7.10)", (long long)avail,
                           (long long)(RS_OBD_FIXED_LEN + list), RS_NUM_DEC);
        o->dtc = list ? b + RS_OBD_FIXED_LEN : NULL;
    }
    *used = RS_OBD_FIXED_LEN + list;
    rs_code rc;
    static const char calid_rule[] = "CALID and CVN are ASCII letters and digits, '0'-padded (§2.4, §13)";
    if ((rc = rs_check_text(m, p, o->calid, RS_CALID_LEN, base + 23, "obd.calid", calid_rule, err)))
        return rc;
    return rs_check_text(m, p, o->cvn, RS_CVN_LEN, base + 41, "obd.cvn", calid_rule, err);
}

/* One item body.  base = frame offset of the body's first byte. */
static rs_code item_body(const rs_profile *p, rs_item *it, const uint8_t *b, size_t avail, size_t base,
                         size_t *used, rs_msg *m, rs_err *err)
{
    if (it->type == RS_INFO_OBD)
        return obd_body(p, b, avail, base, it, used, m, err);
    unsigned len = rs_info_body_len(it->type);
    if (avail < len)
        return rs_fail(err, RS_E_BODY, base + avail, rs_info_name(it->type),
                       "body shorter than its info type requires (§7.3)", (long long)avail, len, RS_NUM_DEC);
    *used = len;
    return stream_body(p, it->type, b, base, it, m, err);
}

/* Decides what to do with an info type: 0 parse, 1 stop (opaque rest), or an error. */
static rs_code classify_type(const rs_profile *p, uint8_t type, size_t frame_off, bool *stop, rs_msg *m,
                             rs_err *err)
{
    *stop = false;
    if (rs_info_known(p, type))
        return RS_OK;
    rs_err w;
    if (rs_info_body_len(type)) {
        /* An HJ stream type in a GB 17691 report: layout known, so read it. */
        rs_fail(&w, RS_E_INFO_TYPE, frame_off, "info_type",
                "types 0x03-0x05 are reserved in GB 17691 and defined by HJ 1239 (§7.3)", type, 0, RS_NUM_HEX_GOT_ONLY);
        return rs_msg_tolerate(m, p, p->unknown_cmd, &w, err);
    }
    if (type >= 0x81 && type <= 0xFE) {
        /* User-defined: its length is unknown, so the rest cannot be parsed (§13). */
        *stop = true;
        rs_fail(&w, RS_E_INFO_TYPE, frame_off, "info_type",
                "user-defined info type: its length is unknown, the rest of the packet is kept as bytes (§7.3, §13)",
                type, 0, RS_NUM_HEX_GOT_ONLY);
        return rs_msg_tolerate(m, p, p->unknown_cmd, &w, err);
    }
    return rs_fail(err, RS_E_INFO_TYPE, frame_off, "info_type",
                   "info type is reserved (§7.3): known types are 0x01, 0x02, 0x80 and, in HJ 1239, 0x03-0x05",
                   type, 0, RS_NUM_HEX_GOT_ONLY);
}

/* Opens the item whose type byte is at data-unit offset off: the item limit,
 * then what the type allows (parse it, or keep the rest as bytes). */
static rs_code begin_item(const rs_profile *p, rs_msg *m, const uint8_t *d, size_t off, rs_item **out,
                          bool *stop, rs_err *err)
{
    rs_report *r = &m->u.report;
    size_t fo = RS_HEADER_LEN + off;
    if (r->n_items >= RS_REPORT_MAX_ITEMS)
        return rs_fail(err, RS_E_LIMIT, fo, "items", "a report holds at most 64 items in this decoder",
                       r->n_items + 1, RS_REPORT_MAX_ITEMS, RS_NUM_DEC);
    rs_item *it = &r->item[r->n_items++];
    it->offset = (uint32_t)off;
    it->type = d[off];
    it->serial = 0;
    it->collect = r->time;
    it->s6_block = NULL;
    *out = it;
    return classify_type(p, it->type, fo, stop, m, err);
}

static void opaque_rest(rs_item *it, const uint8_t *d, size_t off, size_t n)
{
    it->u.opaque.p = d + off;
    it->u.opaque.len = (uint16_t)(n - off);
}

/* time, {type, serial, body}... */
static rs_code decode_gb(const rs_profile *p, const uint8_t *d, size_t n, rs_msg *m, rs_err *err)
{
    rs_report *r = &m->u.report;
    size_t off = 6;
    while (off < n) {
        size_t fo = RS_HEADER_LEN + off;
        rs_item *it;
        bool stop;
        rs_code rc = begin_item(p, m, d, off, &it, &stop, err);
        if (rc)
            return rc;
        if (n - off < 3)
            return rs_fail(err, RS_E_BODY, fo + (n - off), "info_serial",
                           "each GB 17691 item has type 1 + serial 2 before its body (§7.1)", (long long)(n - off),
                           3, RS_NUM_DEC);
        it->serial = rs_be16(d + off + 1);
        if (stop) {
            opaque_rest(it, d, off + 3, n);
            return RS_OK;
        }
        size_t used;
        if ((rc = item_body(p, it, d + off + 3, n - off - 3, fo + 3, &used, m, err)))
            return rc;
        off += 3 + used;
    }
    r->serial = r->n_items ? r->item[0].serial : 0;
    return RS_OK;
}

/* time, serial, {type, collect time, body}..., signature */
static rs_code decode_hj(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    const uint8_t *d = f->data;
    size_t n = f->data_len;
    rs_report *r = &m->u.report;
    rs_code rc;
    if (n < 8)
        return rs_fail(err, RS_E_BODY, RS_HEADER_LEN + n, "info_serial",
                       "an HJ 1239 report starts with send time 6 + serial 2 (§7.2)", (long long)n, 8, RS_NUM_DEC);
    r->serial = rs_be16(d + 6);
    size_t off = 8;
    while (off < n) {
        size_t fo = RS_HEADER_LEN + off;
        /* The signature block closes the data unit; at an item boundary
         * a block that fits the rest exactly is the signature. */
        if (rs_sig_block_fits(d + off, n - off)) {
            rs_sig_read(&r->sig, d + off);
            r->has_sig = true;
            r->sig_offset = (uint32_t)off;
            break;
        }
        rs_item *it;
        bool stop;
        if ((rc = begin_item(p, m, d, off, &it, &stop, err)))
            return rc;
        if (n - off < 7)
            return rs_fail(err, RS_E_BODY, fo + (n - off), "collect_time",
                           "each HJ 1239 item has type 1 + collect time 6 before its body (§7.2)",
                           (long long)(n - off), 7, RS_NUM_DEC);
        rs_time_read(&it->collect, d + off + 1);
        if ((rc = rs_check_time(m, p, &it->collect, fo + 1, "collect_time", err)))
            return rc;
        if (stop) {
            opaque_rest(it, d, off + 7, n);
            return RS_OK;
        }
        size_t used;
        if ((rc = item_body(p, it, d + off + 7, n - off - 7, fo + 7, &used, m, err)))
            return rc;
        off += 7 + used;
    }
    if (!r->has_sig) {
        rs_err w;
        rs_fail(&w, RS_E_SIGNATURE, RS_HEADER_LEN + n, "signature",
                "HJ 1239 reports end with an SM2 signature block: 0x20 R 0x20 S (§7.2, §9.1)", 0, 0, RS_NUM_NONE);
        return rs_msg_tolerate(m, p, p->sig_missing, &w, err);
    }
    return RS_OK;
}

/* time, serial, {type, body, 66-byte block}... (S6, §7.1). */
static rs_code decode_s6(const rs_profile *p, const uint8_t *d, size_t n, rs_msg *m, rs_err *err)
{
    rs_report *r = &m->u.report;
    if (n < 8)
        return rs_fail(err, RS_E_BODY, RS_HEADER_LEN + n, "info_serial", "S6 layout: time 6 + serial 2", (long long)n,
                       8, RS_NUM_DEC);
    r->serial = rs_be16(d + 6);
    size_t off = 8;
    while (off < n) {
        size_t fo = RS_HEADER_LEN + off;
        rs_item *it;
        bool stop;
        rs_code rc = begin_item(p, m, d, off, &it, &stop, err);
        if (rc)
            return rc;
        it->serial = r->serial;
        if (stop) {
            opaque_rest(it, d, off + 1, n);
            return RS_OK;
        }
        size_t used;
        if ((rc = item_body(p, it, d + off + 1, n - off - 1, fo + 1, &used, m, err)))
            return rc;
        off += 1 + used;
        if (n - off < RS_SIG_BLOCK_LEN || d[off] != 0x20 || d[off + 33] != 0x20)
            return rs_fail(err, RS_E_VARIANT, RS_HEADER_LEN + off, "s6_block",
                           "S6 layout: every item is followed by a 66-byte block 0x20 <32> 0x20 <32> (§7.1)", 0, 0,
                           RS_NUM_NONE);
        it->s6_block = d + off;
        off += RS_SIG_BLOCK_LEN;
    }
    return RS_OK;
}

static void report_reset(rs_report *r, const uint8_t *d, uint8_t layout)
{
    r->layout = layout;
    r->n_items = 0;
    r->has_sig = false;
    r->sig_offset = 0;
    r->serial = 0;
    rs_time_read(&r->time, d);
}

rs_code rs_report_decode(const rs_profile *p, const rs_frame *f, rs_msg *m, rs_err *err)
{
    const uint8_t *d = f->data;
    size_t n = f->data_len;
    rs_report *r = &m->u.report;
    if (n < 6)
        return rs_fail(err, RS_E_BODY, RS_HEADER_LEN + n, "report.time", "a report starts with a 6-byte time (§7)",
                       (long long)n, 6, RS_NUM_DEC);
    m->kind = RS_MSG_REPORT;
    bool hj = p->proto == RS_PROTO_HJ1239;
    report_reset(r, d, hj ? RS_LAYOUT_HJ : RS_LAYOUT_GB);
    rs_code rc = rs_check_time(m, p, &r->time, RS_HEADER_LEN, "report.time", err);
    if (rc)
        return rc;
    if (hj)
        return decode_hj(p, f, m, err);
    uint8_t n_warn = m->n_warn;
    uint16_t n_total = m->n_warn_total;
    rs_err gb_err;
    rc = decode_gb(p, d, n, m, &gb_err);
    if (rc == RS_OK)
        return RS_OK;
    if (!p->s6_variant) {
        if (err)
            *err = gb_err;
        return rc;
    }
    /* The standard layout failed; the opt-in S6 reading gets its chance. */
    m->n_warn = n_warn;
    m->n_warn_total = n_total;
    report_reset(r, d, RS_LAYOUT_S6);
    if (decode_s6(p, d, n, m, NULL) != RS_OK) {
        if (err)
            *err = gb_err; /* the standard layout's reason is the one to show */
        return gb_err.code;
    }
    rs_err w;
    rs_fail(&w, RS_E_VARIANT, RS_HEADER_LEN + 6, "layout",
            "S6 layout (time, serial, {type, body, 66-byte block}) instead of GB 17691 §7.1", 0, 0, RS_NUM_NONE);
    return rs_msg_tolerate(m, p, RS_TOL_WARN, &w, err);
}
