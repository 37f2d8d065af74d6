/* Identities of virtual terminals: VIN, ICCID and security chip ID.
 *
 * Both derive from the run seed and the terminal's global index (its index
 * in the whole fleet, across shards), so a run is reproducible, shards of
 * one run never share a VIN, and different seeds give different fleets.
 * VINs are valid (ISO 3779 alphabet, check digit in position 9, §3.5) and
 * unique for up to 33 million terminals; ICCIDs are 20 digits, China prefix
 * 8986, Luhn check digit last. */
#ifndef REMSIM_IDENT_H
#define REMSIM_IDENT_H

#include <stdint.h>

#include "remsim/msg.h"
#include "remsim/vehicle.h"

#define RS_IDENT_MAX ((uint64_t)33 * 1000000u)   /* distinct VINs per seed */

/* WMI "LRS", the type's descriptor section, model year and plant from the
 * seed, a 6-digit serial. */
void rs_ident_vin(uint64_t seed, uint64_t global_index, rs_veh_type type, uint8_t vin[RS_VIN_LEN]);
void rs_ident_iccid(uint64_t seed, uint64_t global_index, uint8_t iccid[RS_ICCID_LEN]);
/* The HJ security chip's ID: "RSIM", 3 characters of the seed, 9 digits of
 * the index (16 ASCII characters, §9.2). */
void rs_ident_chip_id(uint64_t seed, uint64_t global_index, uint8_t chip_id[RS_CHIP_ID_LEN]);

#endif
