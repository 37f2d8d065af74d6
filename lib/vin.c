/* VIN alphabet and check digit. */
#include "remsim/vin.h"

#include <string.h>

#include <stdio.h>

bool rs_vin_char_ok(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return true;
    return c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q';
}

/* ISO 3779 transliteration: letters to 1..9, skipping I, O, Q. */
static int vin_value(uint8_t c)
{
    static const int8_t letters[26] = {
        /* A */ 1, 2, 3, 4, 5, 6, 7, 8, /* I */ -1, /* J */ 1, 2, 3, 4, 5, /* O */ -1,
        /* P */ 7, /* Q */ -1, /* R */ 9, /* S */ 2, 3, 4, 5, 6, 7, 8, 9
    };
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return letters[c - 'A'];
    return -1;
}

char rs_vin_check_digit(const uint8_t vin[17])
{
    static const int weight[17] = { 8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2 };
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = vin_value(vin[i]);
        if (v < 0)
            return 0;
        sum += v * weight[i];
    }
    int r = sum % 11;
    return r == 10 ? 'X' : (char)('0' + r);
}

rs_code rs_vin_check(const uint8_t vin[17], size_t base, rs_err *err)
{
    for (int i = 0; i < 17; i++)
        if (!rs_vin_char_ok(vin[i]))
            return rs_fail(err, RS_E_VIN, base + (size_t)i, "vin",
                           "VIN characters are digits and capitals without I, O, Q (GB 16735, §2.4)",
                           vin[i], 0, RS_NUM_CHAR);
    char cd = rs_vin_check_digit(vin);
    if (vin[8] != cd)
        return rs_fail(err, RS_E_VIN, base + 8, "vin",
                       "position 9 is the ISO 3779 check digit of the other 16 characters",
                       vin[8], cd, RS_NUM_CHAR);
    return RS_OK;
}

bool rs_vin_make(const char *wmi, const char *vds, char year, char plant, uint32_t serial,
                 uint8_t out[17])
{
    if (serial > 999999 || strlen(wmi) < 3 || strlen(vds) < 5)
        return false;
    /* Built by hand, not with snprintf: simulated vehicles call this often. */
    char text[17];
    memcpy(text, wmi, 3);
    memcpy(text + 3, vds, 5);
    text[8] = '0';
    text[9] = year;
    text[10] = plant;
    for (int i = 16; i >= 11; i--, serial /= 10)
        text[i] = (char)('0' + serial % 10);
    for (int i = 0; i < 17; i++) {
        out[i] = (uint8_t)text[i];
        if (i != 8 && !rs_vin_char_ok(out[i]))
            return false;
    }
    out[8] = (uint8_t)rs_vin_check_digit(out);
    return out[8] != 0;
}

bool rs_printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7E)
            return false;
    return true;
}
