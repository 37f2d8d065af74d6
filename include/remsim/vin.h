/* VIN rules (GB 16735 / ISO 3779): 17 characters from the VIN alphabet
 * (digits and capitals without I, O, Q), check digit at position 9. */
#ifndef REMSIM_VIN_H
#define REMSIM_VIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"

/* True for a character of the VIN alphabet. */
bool rs_vin_char_ok(uint8_t c);

/* The check digit ('0'..'9' or 'X') of a VIN whose characters are all in
 * the alphabet; 0 when one is not. */
char rs_vin_check_digit(const uint8_t vin[17]);

/* Checks alphabet, then check digit.  base is added to offsets, so an error
 * points into the frame.  Returns RS_OK or RS_E_VIN. */
rs_code rs_vin_check(const uint8_t vin[17], size_t base, rs_err *err);

/* Builds a valid VIN from a 3-character WMI, a 5-character VDS, a model
 * year character, a plant character and a 6-digit serial: writes the check
 * digit in position 9.  Returns false when an input is outside the alphabet. */
bool rs_vin_make(const char *wmi, const char *vds, char year, char plant, uint32_t serial,
                 uint8_t out[17]);

/* True when every byte is printable ASCII (0x20..0x7E). */
bool rs_printable(const uint8_t *p, size_t n);

#endif
