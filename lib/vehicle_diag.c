/* The engine's answers to a terminal's diagnostic requests (vehicle_can.h):
 * an OBD snapshot in GB form -> DM5, DM19, DM20 and VI payloads, chosen so
 * that the terminal's decoder (j1939_obd.c) gives the same GB bytes back. */
#include "remsim/vehicle_can.h"

#include <string.h>

#include "remsim/j1939.h"
#include "remsim/j1939_dm.h"

/* J1939-73 SPN 1220 "OBD compliance": any value but 5 (not OBD) says the
 * engine is an OBD ECU.  0x13 is the HD OBD code; the GB side ignores it. */
#define OBD_COMPLIANCE_HD 0x13

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void put(rs_vcan_diag *d, uint32_t pgn, uint8_t sa)
{
    memset(d, 0, sizeof *d);
    d->pgn = pgn;
    d->sa = sa;
}

rs_code rs_vcan_diag_encode(const rs_obd *obd, uint8_t sa, rs_vcan_diag out[RS_VCAN_DIAG_COUNT],
                            rs_err *err)
{
    /* DM5: the GB words are what rs_dm5 holds. */
    rs_dm5 d5 = { 0 };
    d5.active = obd->dtc_count == RS_DTC_INVALID ? 0 : obd->dtc_count;
    d5.compliance = OBD_COMPLIANCE_HD;
    d5.support = obd->support;
    d5.readiness = obd->readiness;
    put(&out[0], RS_PGN_DM5, sa);
    rs_dm5_build(&d5, out[0].data);
    out[0].len = 8;

    /* DM19: the CVN is 8 hex digits in GB form (rs_dm19_to_gb writes it so). */
    uint32_t cvn = 0;
    for (unsigned i = 0; i < 8; i++) {
        int h = hex_digit(obd->cvn[i]);
        if (h < 0)
            return rs_fail(err, RS_E_VALUE, i, "cvn", "a CVN sent through DM19 is 8 hex digits (can-signals.md §3.3)",
                           obd->cvn[i], 0, RS_NUM_HEX_GOT_ONLY);
        cvn = cvn << 4 | (uint32_t)h;
    }
    char calid[RS_DM19_CALID_LEN + 1];
    size_t n = 0;
    while (n < RS_DM19_CALID_LEN && obd->calid[n] != 0xFF && obd->calid[n] != 0x00) {
        calid[n] = (char)obd->calid[n];
        n++;
    }
    while (n > 0 && calid[n - 1] == '0') /* the pad comes back on decoding */
        n--;
    calid[n] = '\0';
    rs_dm19_entry e;
    rs_dm19_entry_set(&e, calid, cvn);
    put(&out[1], RS_PGN_DM19, sa);
    size_t len = 0;
    rs_code rc = rs_dm19_build(&e, 1, out[1].data, sizeof out[1].data, &len, err);
    if (rc != RS_OK)
        return rc;
    out[1].len = (uint16_t)len;

    /* DM20: one ratio per IUPR group that has counts. */
    size_t map_n;
    const rs_iupr_map_entry *map = rs_iupr_map_default(&map_n);
    rs_dm20 hdr = { get_be16(obd->iupr + 2), get_be16(obd->iupr) };
    rs_dm20_ratio r[RS_IUPR_GROUPS];
    size_t nr = 0;
    for (unsigned g = 0; g < RS_IUPR_GROUPS; g++) {
        uint16_t num = get_be16(obd->iupr + 4 + 4 * g), den = get_be16(obd->iupr + 6 + 4 * g);
        if (num == 0 && den == 0)
            continue;
        for (size_t k = 0; k < map_n; k++)
            if (map[k].group == g) {
                r[nr].spn = map[k].spn;
                r[nr].num = num;
                r[nr].den = den;
                nr++;
                break;
            }
    }
    put(&out[2], RS_PGN_DM20, sa);
    if ((rc = rs_dm20_build(&hdr, r, nr, out[2].data, sizeof out[2].data, &len, err)) != RS_OK)
        return rc;
    out[2].len = (uint16_t)len;

    /* VI */
    put(&out[3], RS_PGN_VI, sa);
    if ((rc = rs_vi_build((const char *)obd->vin, RS_VIN_LEN, out[3].data, sizeof out[3].data, &len, err)) != RS_OK)
        return rc;
    out[3].len = (uint16_t)len;
    return RS_OK;
}
