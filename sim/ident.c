/* VINs and ICCIDs of virtual terminals (ident.h). */
#include "remsim/ident.h"

#include <string.h>

#include "remsim/vin.h"

/* Characters allowed for a VIN's plant code (ISO 3779: no I, O, Q). */
static const char k_plant[] = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
/* Model-year codes (no I, O, Q, U, Z, 0). */
static const char k_year[] = "ABCDEFGHJKLMNPRSTVWXY123456789";

static uint64_t mix(uint64_t x)
{
    /* splitmix64 finaliser: spreads a seed over all bits */
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void rs_ident_vin(uint64_t seed, uint64_t global_index, rs_veh_type type, uint8_t vin[RS_VIN_LEN])
{
    static const char *const vds[RS_VEH_TYPE_COUNT] = { "DS6C0", "NG6T0", "NG6N0", "HD6C0" };
    uint64_t h = mix(seed);
    /* (plant, serial) is a bijection of the index below RS_IDENT_MAX: the
     * seed shifts both, so each seed numbers its fleet differently. */
    uint64_t i = global_index % RS_IDENT_MAX;
    uint32_t serial = (uint32_t)((i % 1000000u + h % 1000000u) % 1000000u);
    char plant = k_plant[(i / 1000000u + (h >> 20) % 33u) % 33u];
    char year = k_year[(h >> 40) % (sizeof k_year - 1)];
    rs_vin_make("LRS", vds[(unsigned)type < RS_VEH_TYPE_COUNT ? type : 0], year, plant, serial, vin);
}

void rs_ident_iccid(uint64_t seed, uint64_t global_index, uint8_t iccid[RS_ICCID_LEN])
{
    /* 89 (telecom) 86 (China) 00 (issuer), 4 digits of the seed, 9 of the
     * index, then the Luhn digit: 20 digits. */
    uint64_t body[19];
    body[0] = 8; body[1] = 9; body[2] = 8; body[3] = 6; body[4] = 0; body[5] = 0;
    uint64_t s = mix(seed) % 10000u, n = global_index % 1000000000u;
    for (int k = 9; k >= 6; k--, s /= 10)
        body[k] = s % 10;
    for (int k = 18; k >= 10; k--, n /= 10)
        body[k] = n % 10;
    unsigned sum = 0;
    for (int k = 18, dbl = 1; k >= 0; k--, dbl = !dbl) {
        unsigned d = (unsigned)body[k] * (dbl ? 2u : 1u);
        sum += d > 9 ? d - 9 : d;
    }
    for (int k = 0; k < 19; k++)
        iccid[k] = (uint8_t)('0' + body[k]);
    iccid[19] = (uint8_t)('0' + (10 - sum % 10) % 10);
}

void rs_ident_chip_id(uint64_t seed, uint64_t global_index, uint8_t chip_id[RS_CHIP_ID_LEN])
{
    /* "RSIM", 3 characters of the seed, 9 digits of the index: 16 printable
     * ASCII characters like the chip IDs of real terminals (§9.6), unique
     * per seed for a billion terminals. */
    static const char k_alnum[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    uint64_t h = mix(seed);
    memcpy(chip_id, "RSIM", 4);
    for (int k = 4; k < 7; k++, h /= 34)
        chip_id[k] = (uint8_t)k_alnum[h % 34];
    uint64_t n = global_index % 1000000000u;
    for (int k = 15; k >= 7; k--, n /= 10)
        chip_id[k] = (uint8_t)('0' + n % 10);
}
