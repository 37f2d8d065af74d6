/* DM1-layout DTC lists (DM1/DM2/DM6/DM12/DM23), DM5 and VI. */
#include "remsim/j1939_dm.h"

#include <string.h>

void rs_dm_lamps_decode(uint8_t lamp, uint8_t flash, rs_dm_lamps *out)
{
    out->mil = (uint8_t)(lamp >> 6 & 3u);
    out->red_stop = (uint8_t)(lamp >> 4 & 3u);
    out->amber = (uint8_t)(lamp >> 2 & 3u);
    out->protect = (uint8_t)(lamp & 3u);
    out->mil_flash = (uint8_t)(flash >> 6 & 3u);
    out->red_flash = (uint8_t)(flash >> 4 & 3u);
    out->amber_flash = (uint8_t)(flash >> 2 & 3u);
    out->protect_flash = (uint8_t)(flash & 3u);
}

void rs_dm_lamps_encode(const rs_dm_lamps *l, uint8_t *lamp, uint8_t *flash)
{
    *lamp = (uint8_t)((l->mil & 3u) << 6 | (l->red_stop & 3u) << 4 | (l->amber & 3u) << 2 |
                      (l->protect & 3u));
    *flash = (uint8_t)((l->mil_flash & 3u) << 6 | (l->red_flash & 3u) << 4 |
                       (l->amber_flash & 3u) << 2 | (l->protect_flash & 3u));
}

void rs_dm_dtc_decode(const uint8_t b[4], rs_dm_dtc *out)
{
    /* can-signals.md §3.1: the top 3 SPN bits sit above the FMI. */
    out->spn = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)(b[2] & 0xE0u) << 11;
    out->fmi = b[2] & 0x1Fu;
    out->cm = b[3] >> 7;
    out->oc = b[3] & 0x7Fu;
    memcpy(out->raw, b, 4);
}

rs_code rs_dm_dtc_make(uint32_t spn, uint8_t fmi, uint8_t cm, uint8_t oc, rs_dm_dtc *out,
                       rs_err *err)
{
    if (spn > 0x7FFFFu)
        return rs_fail(err, RS_E_VALUE, 0, "spn", "SPN is 19 bits (§3.1)", spn, 0x7FFFF,
                       RS_NUM_DEC);
    if (fmi > 31)
        return rs_fail(err, RS_E_VALUE, 0, "fmi", "FMI is 5 bits (§3.1)", fmi, 31, RS_NUM_DEC);
    if (cm > 1)
        return rs_fail(err, RS_E_VALUE, 0, "cm", "conversion method is 1 bit (§3.1)", cm, 1,
                       RS_NUM_DEC);
    if (oc > 127)
        return rs_fail(err, RS_E_VALUE, 0, "oc", "occurrence count is 7 bits (§3.1)", oc, 127,
                       RS_NUM_DEC);
    uint8_t b[4] = {(uint8_t)spn, (uint8_t)(spn >> 8),
                    (uint8_t)((spn >> 11 & 0xE0u) | fmi), (uint8_t)(cm << 7 | oc)};
    rs_dm_dtc_decode(b, out);
    return RS_OK;
}

bool rs_dm_dtc_is_fault(const rs_dm_dtc *d)
{
    return d->spn != 0 && d->spn != RS_DM_SPN_NONE_HI;
}

rs_code rs_dm_dtcs_parse(const uint8_t *p, size_t len, rs_dm_lamps *lamps, rs_dm_dtc *dtc,
                         size_t cap, size_t *n, rs_err *err)
{
    *n = 0;
    if (len < 2)
        return rs_fail(err, RS_E_SHORT, len, "lamps", "DM1 starts with lamp and flash bytes (§3.1)",
                       (long long)len, 2, RS_NUM_DEC);
    if (lamps)
        rs_dm_lamps_decode(p[0], p[1], lamps);
    size_t count = 0;
    /* A tail shorter than one DTC is padding (single-frame DM1: 2 + 4 + FF FF). */
    for (size_t off = 2; off + 4 <= len; off += 4) {
        rs_dm_dtc d;
        rs_dm_dtc_decode(p + off, &d);
        if (!rs_dm_dtc_is_fault(&d))
            continue;
        if (dtc && count < cap)
            dtc[count] = d;
        count++;
    }
    *n = count;
    if (dtc && count > cap)
        return rs_fail(err, RS_E_LIMIT, 2 + 4 * cap, "dtc", "more DTCs than the caller's array",
                       (long long)count, (long long)cap, RS_NUM_DEC);
    return RS_OK;
}

rs_code rs_dm_dtcs_build(const rs_dm_lamps *lamps, const rs_dm_dtc *dtc, size_t n, uint8_t *out,
                         size_t cap, size_t *len, rs_err *err)
{
    size_t max = (RS_J1939_MAX_LEN - 2) / 4;
    if (n > max)
        return rs_fail(err, RS_E_LIMIT, 0, "dtc", "a TP message holds at most 445 DTCs (§4)",
                       (long long)n, (long long)max, RS_NUM_DEC);
    size_t need = n < 2 ? 8 : 2 + 4 * n;
    if (cap < need)
        return rs_fail(err, RS_E_SPACE, 0, "out", "output buffer too small for the DM1",
                       (long long)cap, (long long)need, RS_NUM_DEC);
    rs_dm_lamps_encode(lamps, &out[0], &out[1]);
    if (n == 0) {
        /* The "no DTC" form real ECUs send (§3.1, j1939_840 trace). */
        static const uint8_t none[6] = {0, 0, 0, 0, 0xFF, 0xFF};
        memcpy(out + 2, none, sizeof none);
    } else {
        for (size_t i = 0; i < n; i++) {
            rs_dm_dtc d;
            rs_code rc = rs_dm_dtc_make(dtc[i].spn, dtc[i].fmi, dtc[i].cm, dtc[i].oc, &d, err);
            if (rc)
                return rc;
            memcpy(out + 2 + 4 * i, d.raw, 4);
        }
        if (n == 1) {
            out[6] = 0xFF;
            out[7] = 0xFF;
        }
    }
    *len = need;
    return RS_OK;
}

rs_code rs_dm5_parse(const uint8_t *p, size_t len, rs_dm5 *out, rs_err *err)
{
    if (len < 8)
        return rs_fail(err, RS_E_SHORT, len, "dm5", "DM5 is 8 bytes (§3.2)", (long long)len, 8,
                       RS_NUM_DEC);
    out->active = p[0];
    out->previous = p[1];
    out->compliance = p[2];
    /* can-signals.md §3.2: GB item k is bit k-1; bytes 5/6 give items 1-13,
     * byte 4 the continuous monitors (items 14-16). */
    out->support = (uint16_t)(p[4] | (p[5] & 0x1Fu) << 8 | (p[3] & 0x07u) << 13);
    out->readiness = (uint16_t)(p[6] | (p[7] & 0x1Fu) << 8 | ((p[3] >> 4) & 0x07u) << 13);
    return RS_OK;
}

void rs_dm5_build(const rs_dm5 *in, uint8_t out[8])
{
    out[0] = in->active;
    out[1] = in->previous;
    out[2] = in->compliance;
    out[3] = (uint8_t)((in->support >> 13 & 7u) | (in->readiness >> 13 & 7u) << 4);
    out[4] = (uint8_t)in->support;
    out[5] = (uint8_t)(in->support >> 8 & 0x1Fu);
    out[6] = (uint8_t)in->readiness;
    out[7] = (uint8_t)(in->readiness >> 8 & 0x1Fu);
}

rs_code rs_vi_parse(const uint8_t *p, size_t len, uint8_t vin[RS_VIN_LEN], size_t *n, rs_err *err)
{
    size_t k = 0;
    /* Cut at the first '*' and at 17: one engine sends binary bytes between
     * the VIN and the '*' (§3.5). */
    while (k < len && k < RS_VIN_LEN && p[k] != '*') {
        vin[k] = p[k];
        k++;
    }
    *n = k;
    if (k == 0)
        return rs_fail(err, RS_E_VIN, 0, "vin", "VI carries the VIN before the first '*' (§3.5)",
                       0, RS_VIN_LEN, RS_NUM_DEC);
    return RS_OK;
}

rs_code rs_vi_build(const char *vin, size_t n, uint8_t *out, size_t cap, size_t *len, rs_err *err)
{
    if (cap < n + 1)
        return rs_fail(err, RS_E_SPACE, 0, "out", "output buffer too small for the VI",
                       (long long)cap, (long long)n + 1, RS_NUM_DEC);
    if (n)
        memcpy(out, vin, n);
    out[n] = '*';
    *len = n + 1;
    return RS_OK;
}
