/* DM19 calibration information and DM20 performance ratios, and their GB
 * forms (CALID/CVN strings, the 36-byte IUPR). */
#include "remsim/j1939_dm.h"

#include <string.h>

rs_code rs_dm19_parse(const uint8_t *p, size_t len, rs_dm19_entry *e, size_t cap, size_t *n,
                      rs_err *err)
{
    size_t count = len / RS_DM19_ENTRY_LEN;
    size_t keep = count < cap ? count : cap;
    for (size_t i = 0; i < keep; i++) {
        const uint8_t *q = p + i * RS_DM19_ENTRY_LEN;
        e[i].cvn = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                   (uint32_t)q[3] << 24;
        memcpy(e[i].calid, q + 4, RS_DM19_CALID_LEN);
    }
    *n = keep;
    if (len == 0 || len % RS_DM19_ENTRY_LEN)
        return rs_fail(err, RS_E_LENGTH, count * RS_DM19_ENTRY_LEN, "dm19",
                       "DM19 is a whole number of 20-byte entries (§3.3)", (long long)len,
                       (long long)((count + 1) * RS_DM19_ENTRY_LEN), RS_NUM_DEC);
    if (count > cap)
        return rs_fail(err, RS_E_LIMIT, cap * RS_DM19_ENTRY_LEN, "dm19",
                       "more DM19 entries than the caller's array", (long long)count,
                       (long long)cap, RS_NUM_DEC);
    return RS_OK;
}

rs_code rs_dm19_build(const rs_dm19_entry *e, size_t n, uint8_t *out, size_t cap, size_t *len,
                      rs_err *err)
{
    size_t need = n * RS_DM19_ENTRY_LEN;
    if (need > RS_J1939_MAX_LEN)
        return rs_fail(err, RS_E_LIMIT, 0, "dm19", "a TP message holds at most 89 entries (§4)",
                       (long long)n, RS_J1939_MAX_LEN / RS_DM19_ENTRY_LEN, RS_NUM_DEC);
    if (cap < need)
        return rs_fail(err, RS_E_SPACE, 0, "out", "output buffer too small for the DM19",
                       (long long)cap, (long long)need, RS_NUM_DEC);
    for (size_t i = 0; i < n; i++) {
        uint8_t *q = out + i * RS_DM19_ENTRY_LEN;
        q[0] = (uint8_t)e[i].cvn;
        q[1] = (uint8_t)(e[i].cvn >> 8);
        q[2] = (uint8_t)(e[i].cvn >> 16);
        q[3] = (uint8_t)(e[i].cvn >> 24);
        memcpy(q + 4, e[i].calid, RS_DM19_CALID_LEN);
    }
    *len = need;
    return RS_OK;
}

void rs_dm19_entry_set(rs_dm19_entry *e, const char *calid, uint32_t cvn)
{
    memset(e->calid, 0, sizeof e->calid);
    size_t n = strlen(calid);
    memcpy(e->calid, calid, n < RS_DM19_CALID_LEN ? n : RS_DM19_CALID_LEN);
    e->cvn = cvn;
}

void rs_dm19_to_gb(const rs_dm19_entry *e, char pad, uint8_t calid[RS_CALID_LEN],
                   uint8_t cvn[RS_CVN_LEN])
{
    static const char hex[] = "0123456789ABCDEF";
    if (!pad)
        pad = '0';
    memset(calid, (unsigned char)pad, RS_CALID_LEN);
    memset(cvn, (unsigned char)pad, RS_CVN_LEN);
    for (size_t i = 0; i < RS_DM19_CALID_LEN; i++) {
        uint8_t c = e->calid[i];
        if (c == 0x00 || c == 0xFF) /* the unused tail (§3.3) */
            break;
        /* GB wants printable ASCII; a stray control byte becomes the pad. */
        calid[i] = (c >= 0x20 && c < 0x7F) ? c : (uint8_t)pad;
    }
    /* Tools print the CVN as the little-endian integer in hex (§3.3). */
    for (int i = 0; i < 8; i++)
        cvn[i] = (uint8_t)hex[(e->cvn >> (28 - 4 * i)) & 0xFu];
}

rs_code rs_dm20_parse(const uint8_t *p, size_t len, rs_dm20 *hdr, rs_dm20_ratio *r, size_t cap,
                      size_t *n, rs_err *err)
{
    *n = 0;
    if (len < 4)
        return rs_fail(err, RS_E_SHORT, len, "dm20",
                       "DM20 starts with two 2-byte counters (§3.4)", (long long)len, 4,
                       RS_NUM_DEC);
    hdr->ign_cycles = (uint16_t)(p[0] | p[1] << 8);
    hdr->obd_cond = (uint16_t)(p[2] | p[3] << 8);
    size_t count = (len - 4) / 7;
    size_t keep = count < cap ? count : cap;
    for (size_t i = 0; i < keep; i++) {
        const uint8_t *q = p + 4 + 7 * i;
        /* Monitor SPNs are plain 19-bit little-endian, unlike DTC SPNs. */
        r[i].spn = ((uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16) & 0x7FFFFu;
        r[i].num = (uint16_t)(q[3] | q[4] << 8);
        r[i].den = (uint16_t)(q[5] | q[6] << 8);
    }
    *n = keep;
    if (count > cap)
        return rs_fail(err, RS_E_LIMIT, 4 + 7 * cap, "dm20",
                       "more DM20 ratios than the caller's array", (long long)count,
                       (long long)cap, RS_NUM_DEC);
    return RS_OK;
}

rs_code rs_dm20_build(const rs_dm20 *hdr, const rs_dm20_ratio *r, size_t n, uint8_t *out,
                      size_t cap, size_t *len, rs_err *err)
{
    size_t need = 4 + 7 * n;
    if (need > RS_J1939_MAX_LEN)
        return rs_fail(err, RS_E_LIMIT, 0, "dm20", "a TP message holds at most 254 ratios (§4)",
                       (long long)n, (RS_J1939_MAX_LEN - 4) / 7, RS_NUM_DEC);
    if (cap < need)
        return rs_fail(err, RS_E_SPACE, 0, "out", "output buffer too small for the DM20",
                       (long long)cap, (long long)need, RS_NUM_DEC);
    out[0] = (uint8_t)hdr->ign_cycles;
    out[1] = (uint8_t)(hdr->ign_cycles >> 8);
    out[2] = (uint8_t)hdr->obd_cond;
    out[3] = (uint8_t)(hdr->obd_cond >> 8);
    for (size_t i = 0; i < n; i++) {
        uint8_t *q = out + 4 + 7 * i;
        if (r[i].spn > 0x7FFFFu)
            return rs_fail(err, RS_E_VALUE, 4 + 7 * i, "spn", "SPN is 19 bits (§3.4)",
                           r[i].spn, 0x7FFFF, RS_NUM_DEC);
        q[0] = (uint8_t)r[i].spn;
        q[1] = (uint8_t)(r[i].spn >> 8);
        /* Bits 20-24 of the 3-byte field are unused and sent as 1. */
        q[2] = (uint8_t)(r[i].spn >> 16 | 0xF8u);
        q[3] = (uint8_t)r[i].num;
        q[4] = (uint8_t)(r[i].num >> 8);
        q[5] = (uint8_t)r[i].den;
        q[6] = (uint8_t)(r[i].den >> 8);
    }
    *len = need;
    return RS_OK;
}

/* [U] Monitor SPNs are those ETI's J1939-84 tool expects from a
 * compression-ignition engine (§A.4 minimum set); their grouping follows the
 * J1939DA SPN names as far as we know them.  3064, 5318 and 5321 are the
 * least sure (docs/j1939.md). */
static const rs_iupr_map_entry default_map[] = {
    {5322, RS_IUPR_NMHC},    /* NMHC converting catalyst monitor */
    {4792, RS_IUPR_NOX_CAT}, /* aftertreatment 1 SCR catalyst monitor */
    {4364, RS_IUPR_NOX_CAT}, /* aftertreatment 1 SCR conversion efficiency */
    {5308, RS_IUPR_NOX_ADS}, /* NOx adsorber catalyst monitor */
    {3064, RS_IUPR_PM},      /* DPF monitor */
    {5318, RS_IUPR_EGS},     /* exhaust gas sensor monitor */
    {3058, RS_IUPR_EGR},     /* EGR system monitor */
    {5321, RS_IUPR_BOOST},   /* boost pressure control monitor */
    {3055, RS_IUPR_FUEL},    /* fuel system monitor */
};

const rs_iupr_map_entry *rs_iupr_map_default(size_t *n)
{
    *n = sizeof default_map / sizeof default_map[0];
    return default_map;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* a/b < c/d without division.  A zero denominator means the monitor has
 * no ratio yet; it ranks above every real ratio so a real one is reported. */
static bool ratio_lower(uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
    if (b == 0)
        return false;
    if (d == 0)
        return true;
    return (uint32_t)a * d < (uint32_t)c * b;
}

void rs_dm20_to_gb(const rs_dm20 *hdr, const rs_dm20_ratio *r, size_t n,
                   const rs_iupr_map_entry *map, size_t map_n, uint8_t iupr[RS_IUPR_LEN])
{
    if (!map)
        map = rs_iupr_map_default(&map_n);
    memset(iupr, 0, RS_IUPR_LEN);
    put_be16(iupr, hdr->obd_cond);
    put_be16(iupr + 2, hdr->ign_cycles);
    bool have[RS_IUPR_GROUPS] = {false};
    uint16_t num[RS_IUPR_GROUPS] = {0}, den[RS_IUPR_GROUPS] = {0};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < map_n; k++) {
            if (map[k].spn != r[i].spn || map[k].group >= RS_IUPR_GROUPS)
                continue;
            uint8_t g = map[k].group;
            if (!have[g] || ratio_lower(r[i].num, r[i].den, num[g], den[g])) {
                have[g] = true;
                num[g] = r[i].num;
                den[g] = r[i].den;
            }
            break;
        }
    }
    for (unsigned g = 0; g < RS_IUPR_GROUPS; g++) {
        put_be16(iupr + 4 + 4 * g, num[g]);
        put_be16(iupr + 6 + 4 * g, den[g]);
    }
}
