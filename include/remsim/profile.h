/* Profiles: the protocol variant and every option the spec leaves open.
 *
 * A profile is plain data, set up once and read by the codec, the terminal
 * and the checker.  Each [U] point of protocol.md is an option here with a
 * documented default (docs/protocol.md lists them; rs_profile_options()
 * is the source of that list). */
#ifndef REMSIM_PROFILE_H
#define REMSIM_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/field.h"

typedef enum rs_proto {
    RS_PROTO_GB17691 = 0,
    RS_PROTO_HJ1239,
    RS_PROTO_GB32960,
    RS_PROTO_COUNT
} rs_proto;

/* How the HJ encryption byte is numbered (§3.4, conflict 3). */
typedef enum rs_enc_table {
    RS_ENC_TABLE_GB = 0,  /* 0x02 RSA, 0x03 SM2 (GB17691; S2 in HJ mode) */
    RS_ENC_TABLE_HJ,      /* 0x02 SM2, 0x03 SM4, 0x04 RSA, 0x05 AES128 (S1-HJ, X1) */
    RS_ENC_TABLE_GB32960  /* 0x02 RSA, 0x03 AES128 */
} rs_enc_table;

/* GB17691 per-item serials in one packet (§7.1). */
typedef enum rs_serial_style {
    RS_SERIAL_SAME = 0,   /* every item carries the packet serial (S3) */
    RS_SERIAL_PER_ITEM    /* +1 per item (S1) */
} rs_serial_style;

/* What to do with a deviation the spec tolerates. */
typedef enum rs_tolerance {
    RS_TOL_ACCEPT = 0,    /* silently */
    RS_TOL_WARN,          /* accept, add a warning */
    RS_TOL_REJECT         /* an error */
} rs_tolerance;

typedef struct rs_profile {
    rs_proto proto;
    bool strict;                 /* every warning becomes an error */
    uint8_t start_tx[2];         /* start bytes the encoder writes */
    bool accept_hash;            /* "##" accepted on input */
    bool accept_tilde;           /* "~~" accepted on input */
    uint8_t hash_in_hj;          /* rs_tolerance for "##" on an HJ link (§13: WARN) */
    uint8_t enc_table;           /* rs_enc_table */
    uint8_t serial_style;        /* rs_serial_style, GB17691 encoder */
    uint8_t vin_check;           /* rs_tolerance for VIN alphabet / check digit */
    uint8_t time_check;          /* rs_tolerance for times outside the calendar */
    uint8_t range_check;         /* rs_tolerance for raw > max that is not a marker */
    uint8_t string_check;        /* rs_tolerance: ICCID, CALID, CVN, chip id not printable */
    uint8_t unknown_cmd;         /* rs_tolerance: command id the profile does not define */
    uint8_t sig_missing;         /* rs_tolerance: HJ 0x02/0x03/0x07 without signature */
    bool s6_variant;             /* accept the S6 real-time layout (§7.1), opt-in */
    uint8_t sw_version;          /* byte 20 written by the encoder */
    uint8_t plat_login_cmd;      /* GB32960-shaped platform login id (§12.3) */
    uint8_t plat_logout_cmd;
    uint32_t max_data_len;       /* data-unit length limit (<= 65531) */
    rs_scaling scale[RS_F_COUNT];
} rs_profile;

void rs_profile_init(rs_profile *p, rs_proto proto);

/* "gb17691" / "hj1239" / "gb32960". */
const char *rs_proto_name(rs_proto proto);
bool rs_proto_parse(const char *name, rs_proto *out);

/* Sets one option by name, as given on the command line: --opt key=value.
 * Scalings: "<field>.scale=0.001", "<field>.offset=0". */
rs_code rs_profile_set(rs_profile *p, const char *key, const char *value, rs_err *err);
/* "key=value" in one string. */
rs_code rs_profile_set_kv(rs_profile *p, const char *kv, rs_err *err);

/* The option table, for --help and docs. */
typedef struct rs_option_desc {
    const char *key;
    const char *values;          /* "hash|tilde", "0..255", "accept|warn|reject" */
    const char *defaults;        /* per profile, in words */
    const char *help;
    const char *spec;            /* clause that leaves it open */
} rs_option_desc;

const rs_option_desc *rs_profile_options(unsigned *count);

/* Applies strict: tolerances -> reject. */
static inline rs_tolerance rs_tol(const rs_profile *p, uint8_t tol)
{
    return (p->strict && tol != RS_TOL_ACCEPT) ? RS_TOL_REJECT : (rs_tolerance)tol;
}

#endif
