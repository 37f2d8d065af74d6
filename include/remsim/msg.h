/* Message bodies: every data unit of §6-§9, §11 decoded into structs and
 * encoded from them.
 *
 * rs_msg_decode() parses the frame (frame.h) and then its body.  Decoded
 * structs point into the caller's buffer for variable parts (DTC lists,
 * opaque remainders), so the buffer must outlive the rs_msg.  Nothing here
 * allocates or keeps state between calls. */
#ifndef REMSIM_MSG_H
#define REMSIM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/field.h"
#include "remsim/frame.h"
#include "remsim/profile.h"
#include "remsim/time.h"

/* Info types of real-time and reissue reports (§7.3). */
enum {
    RS_INFO_OBD = 0x01,
    RS_INFO_STREAM_DIESEL = 0x02,
    RS_INFO_STREAM_TWC = 0x03,       /* HJ */
    RS_INFO_HYBRID = 0x04,           /* HJ */
    RS_INFO_STREAM_TWC_NOX = 0x05,   /* HJ */
    RS_INFO_SUPPLEMENT = 0x80
};

#define RS_ICCID_LEN 20
#define RS_CALID_LEN 18
#define RS_CVN_LEN 18
#define RS_IUPR_LEN 36
#define RS_CHIP_ID_LEN 16
#define RS_PUBKEY_LEN 64
#define RS_SIG_BLOCK_LEN 66
#define RS_OBD_FIXED_LEN 96
#define RS_DTC_MAX 253
#define RS_DTC_INVALID 0xFE
#define RS_REPORT_MAX_ITEMS 64
#define RS_MSG_MAX_WARN 8

typedef enum rs_msg_kind {
    RS_MSG_NONE = 0,
    RS_MSG_LOGIN,            /* 0x01 */
    RS_MSG_REPORT,           /* 0x02 real-time, 0x03 reissue */
    RS_MSG_LOGOUT,           /* 0x04 */
    RS_MSG_TIMECAL_REQ,      /* 0x05 empty (GB17691/HJ), 0x08 empty (GB32960) */
    RS_MSG_TIMECAL_ANS,      /* 0x05 with a time */
    RS_MSG_TAMPER,           /* HJ 0x06 */
    RS_MSG_ACTIVATION,       /* HJ 0x07 */
    RS_MSG_ACTIVATION_ANS,   /* HJ 0x08 */
    RS_MSG_ECHO,             /* an answer carrying only the request's 6-byte time (§5) */
    RS_MSG_HEARTBEAT,        /* GB32960 0x07, empty */
    RS_MSG_PLAT_LOGIN,       /* GB32960 0x05 */
    RS_MSG_PLAT_LOGOUT,      /* GB32960 0x06 */
    RS_MSG_EV_REPORT,        /* GB32960 0x02/0x03: time + EV info (not decoded) */
    RS_MSG_OPAQUE,           /* encrypted or vendor body: carried, not decoded */
    RS_MSG_KIND_COUNT
} rs_msg_kind;

typedef enum rs_layout {
    RS_LAYOUT_GB = 0,        /* time, {type, serial, body}...          (§7.1) */
    RS_LAYOUT_HJ,            /* time, serial, {type, time, body}..., sig (§7.2) */
    RS_LAYOUT_S6             /* time, serial, {type, body, 66-byte block}... (§7.1 deviation) */
} rs_layout;

/* SM2 signature block (§9.1): r and s as big-endian integers. */
typedef struct rs_sig {
    uint8_t r_len, s_len;    /* 32 normally; 1..32 accepted */
    uint8_t r[32], s[32];
} rs_sig;

/* OBD information, 0x01 (§7.10).  Strings are kept as the raw bytes sent. */
typedef struct rs_obd {
    uint8_t protocol;        /* 0 ISO 15765, 1 ISO 27145, 2 SAE J1939, 0xFE invalid */
    uint8_t mil;             /* 0 off, 1 on, 0xFE invalid */
    uint16_t support;        /* bit per monitor, 1 = supported */
    uint16_t readiness;      /* bit per monitor, 1 = not complete */
    uint8_t vin[RS_VIN_LEN];
    uint8_t calid[RS_CALID_LEN];
    uint8_t cvn[RS_CVN_LEN];
    uint8_t iupr[RS_IUPR_LEN];
    uint8_t dtc_count;       /* 0..253, or RS_DTC_INVALID (no list follows) */
    const uint8_t *dtc;      /* 4 * dtc_count bytes, as sent (§7.13) */
} rs_obd;

typedef struct rs_item {
    uint8_t type;            /* RS_INFO_* or a user-defined type (then opaque) */
    uint16_t serial;         /* GB layout: the item's serial */
    rs_time collect;         /* HJ layout: the item's collect time; GB: packet time */
    uint32_t offset;         /* data-unit offset of the type byte */
    const uint8_t *s6_block; /* S6 layout: the 66-byte block after the item */
    union {
        rs_obd obd;
        rs_val v[RS_F_COUNT];               /* stream types, by rs_field_id */
        struct { const uint8_t *p; uint16_t len; } opaque; /* user type: rest of packet */
    } u;
} rs_item;

typedef struct rs_report {
    uint8_t layout;          /* rs_layout */
    rs_time time;            /* GB: collect time; HJ: send time */
    uint16_t serial;         /* HJ and S6: packet serial; GB: first item's serial */
    uint8_t n_items;
    bool has_sig;
    uint32_t sig_offset;     /* data-unit offset of the signature block */
    rs_sig sig;
    rs_item item[RS_REPORT_MAX_ITEMS];
} rs_report;

typedef struct rs_login {
    rs_time time;
    uint16_t serial;
    uint8_t iccid[RS_ICCID_LEN];
    /* GB32960 only: subsystem count n, code length m, n*m code bytes */
    uint8_t n_subsys, code_len;
    const uint8_t *codes;
} rs_login;

typedef struct rs_logout {
    rs_time time;
    uint16_t serial;
} rs_logout;

typedef struct rs_tamper {
    rs_time time;
    uint16_t serial;
    uint8_t pos_status;
    rs_val lon, lat;
} rs_tamper;

typedef struct rs_activation {
    rs_time time;
    uint8_t chip_id[RS_CHIP_ID_LEN];
    uint8_t pubkey[RS_PUBKEY_LEN];   /* X || Y */
    uint8_t vin[RS_VIN_LEN];
    bool has_sig;
    rs_sig sig;
} rs_activation;

/* Activation answer 0x08 (§9.3). */
enum { RS_ACT_OK = 0x01, RS_ACT_FAILED = 0x02 };
enum { RS_ACT_INFO_NONE = 0x00, RS_ACT_INFO_ALREADY = 0x01, RS_ACT_INFO_VIN = 0x02, RS_ACT_INFO_OTHER = 0x03 };
typedef struct rs_activation_ans {
    uint8_t status;
    uint8_t info;
} rs_activation_ans;

typedef struct rs_plat_login {
    rs_time time;
    uint16_t serial;
    uint8_t user[12];
    uint8_t password[20];
    uint8_t enc_rule;
} rs_plat_login;

typedef struct rs_opaque {
    bool has_time;           /* EV reports start with a time */
    rs_time time;
    const uint8_t *p;        /* the (rest of the) data unit */
    uint16_t len;
} rs_opaque;

typedef struct rs_msg {
    rs_frame frame;
    uint8_t kind;            /* rs_msg_kind */
    uint8_t n_warn;          /* warnings kept (at most RS_MSG_MAX_WARN) */
    uint16_t n_warn_total;   /* warnings found, kept or not */
    rs_err warn[RS_MSG_MAX_WARN];
    union {
        rs_login login;
        rs_logout logout;        /* also GB32960 platform logout */
        rs_report report;
        rs_time time;            /* TIMECAL_ANS, ECHO */
        rs_tamper tamper;
        rs_activation act;
        rs_activation_ans act_ans;
        rs_plat_login plat_login;
        rs_opaque opaque;        /* EV_REPORT, OPAQUE */
    } u;
} rs_msg;

/* Parses frame and body.  On error the rs_err names the first rule broken;
 * the frame part of *out is filled as far as it got. */
rs_code rs_msg_decode(const rs_profile *p, const uint8_t *buf, size_t len,
                      rs_msg *out, rs_err *err);

/* Body only, for a frame already parsed with rs_frame_parse(). */
rs_code rs_msg_decode_body(const rs_profile *p, const rs_frame *f, rs_msg *out, rs_err *err);

/* Sets msg->frame from the profile (start bytes, software version,
 * encryption 0x01, GB32960 request flag), the VIN and the kind; an empty
 * report in the profile's layout.  Bodies are the caller's to fill. */
void rs_msg_init(rs_msg *m, const rs_profile *p, rs_msg_kind kind, const uint8_t vin[RS_VIN_LEN]);

/* Writes a complete frame for msg into out.  Header fields come from
 * msg->frame (cmd for reports: 0x02 or 0x03; vin; sw_version; encryption);
 * the command of every other kind follows from msg->kind. */
rs_code rs_msg_encode(const rs_profile *p, const rs_msg *msg, uint8_t *out,
                      size_t cap, size_t *len, rs_err *err);

/* Signing hook: given the bytes to sign, fill *sig.  Used by
 * rs_msg_encode_signed() for HJ 0x02/0x03/0x07. */
typedef bool (*rs_sign_fn)(void *ctx, const uint8_t *msg, size_t len, rs_sig *sig);
rs_code rs_msg_encode_signed(const rs_profile *p, const rs_msg *msg, rs_sign_fn sign,
                             void *ctx, uint8_t *out, size_t cap, size_t *len, rs_err *err);

/* The span a signature covers: the data unit without its signature block. */
bool rs_msg_signed_span(const rs_msg *m, const uint8_t **p, size_t *len);

/* Info type tables. */
const char *rs_info_name(uint8_t type);
/* Body length of a fixed-length info type, or 0 (OBD is 96 + 4n). */
unsigned rs_info_body_len(uint8_t type);
/* Field ids of a stream type in wire order; NULL for OBD and unknown types. */
const uint8_t *rs_info_layout(uint8_t type, unsigned *n_fields);
/* True when the profile knows the info type. */
bool rs_info_known(const rs_profile *p, uint8_t type);
const char *rs_msg_kind_name(rs_msg_kind kind);

/* Sample <-> item: copy the fields of the item's type. */
void rs_item_from_sample(rs_item *it, uint8_t type, const rs_sample *s);
void rs_sample_merge_item(rs_sample *s, const rs_item *it);

#endif
