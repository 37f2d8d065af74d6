/* Profiles and their options.  The option table below is the one list of
 * every open point of the spec: docs/protocol.md is checked against it. */
#include "remsim/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remsim/frame.h"

static const rs_option_desc options[] = {
    { "strict", "on|off", "off",
      "turn every tolerance into an error (certification runs)", "§13" },
    { "start", "hash|tilde", "gb17691: hash; hj1239: tilde; gb32960: hash",
      "start bytes the encoder writes: ## (0x23 0x23) or ~~ (0x7E 0x7E)", "§1, conflict 1" },
    { "accept_start", "hash|tilde|both", "gb17691: hash; hj1239: both; gb32960: hash",
      "start bytes accepted on input", "§1, §3.3" },
    { "hash_in_hj", "accept|warn|reject", "warn",
      "what an HJ 1239 frame starting with ## gets", "§13" },
    { "enc_table", "gb|hj|gb32960", "gb17691: gb; hj1239: hj; gb32960: gb32960",
      "numbering of the encryption byte (HJ: 0x02 SM2, 0x03 SM4; GB: 0x03 SM2)", "§3.4, conflict 3" },
    { "serial_style", "same|per_item", "same",
      "GB 17691 encoder: every item carries the packet serial (S3) or +1 per item (S1)", "§7.1" },
    { "vin_check", "accept|warn|reject", "warn",
      "VIN outside the GB 16735 alphabet or with a wrong check digit", "§2.4" },
    { "time_check", "accept|warn|reject", "warn",
      "time fields outside the calendar (S3 sends all zeros)", "§2.2" },
    { "range_check", "accept|warn|reject", "warn",
      "raw value above its valid maximum that is not the all-ones marker", "§2.3" },
    { "string_check", "accept|warn|reject", "warn",
      "ICCID, CALID, CVN or chip id with bytes that are not printable ASCII", "§2.4, §13" },
    { "unknown_cmd", "accept|warn|reject", "warn",
      "command id the profile does not define (vendor 0x80+): body kept opaque", "§4" },
    { "sig_missing", "accept|warn|reject", "warn",
      "HJ 0x02/0x03/0x07 without a signature block", "§9.1, §13" },
    { "s6_variant", "on|off", "off",
      "accept the S6 real-time layout: time, serial, {type, body, 66-byte block}", "§7.1" },
    { "sw_version", "0..255", "1",
      "terminal software version byte the encoder writes (byte 20)", "§3.1" },
    { "plat_login_cmd", "0..255", "0x05",
      "command id of platform login on a GB/T 32960-shaped platform link", "§12.3" },
    { "plat_logout_cmd", "0..255", "0x06",
      "command id of platform logout on a GB/T 32960-shaped platform link", "§12.3" },
    { "max_data_len", "0..65531", "65531",
      "largest data unit accepted (receive limit per frame)", "§3.1" },
    { "<field>.scale", "number", "the field table (docs/protocol.md)",
      "resolution of a report field, e.g. total_fuel.scale=0.001", "§7.6-§7.9 [U]" },
    { "<field>.offset", "number", "the field table (docs/protocol.md)",
      "offset of a report field, e.g. dpf_exh_temp.offset=0", "§7.6-§7.9 [U]" },
};

const rs_option_desc *rs_profile_options(unsigned *count)
{
    *count = sizeof options / sizeof options[0];
    return options;
}

static const char *const proto_names[RS_PROTO_COUNT] = { "gb17691", "hj1239", "gb32960" };

const char *rs_proto_name(rs_proto proto)
{
    return (unsigned)proto < RS_PROTO_COUNT ? proto_names[proto] : "unknown";
}

bool rs_proto_parse(const char *name, rs_proto *out)
{
    for (unsigned i = 0; i < RS_PROTO_COUNT; i++)
        if (!strcmp(name, proto_names[i])) {
            *out = (rs_proto)i;
            return true;
        }
    return false;
}

void rs_profile_init(rs_profile *p, rs_proto proto)
{
    memset(p, 0, sizeof *p);
    p->proto = proto;
    p->start_tx[0] = p->start_tx[1] = proto == RS_PROTO_HJ1239 ? 0x7E : 0x23;
    p->accept_hash = true;
    p->accept_tilde = proto == RS_PROTO_HJ1239;
    p->hash_in_hj = RS_TOL_WARN;
    p->enc_table = proto == RS_PROTO_HJ1239 ? RS_ENC_TABLE_HJ
                   : proto == RS_PROTO_GB32960 ? RS_ENC_TABLE_GB32960 : RS_ENC_TABLE_GB;
    p->serial_style = RS_SERIAL_SAME;
    p->vin_check = RS_TOL_WARN;
    p->time_check = RS_TOL_WARN;
    p->range_check = RS_TOL_WARN;
    p->string_check = RS_TOL_WARN;
    p->unknown_cmd = RS_TOL_WARN;
    p->sig_missing = RS_TOL_WARN;
    p->sw_version = 0x01;
    p->plat_login_cmd = RS_CMD32960_PLAT_LOGIN;
    p->plat_logout_cmd = RS_CMD32960_PLAT_LOGOUT;
    p->max_data_len = RS_MAX_DATA_LEN;
    for (int i = 0; i < RS_F_COUNT; i++) {
        p->scale[i].scale = rs_fields[i].scale;
        p->scale[i].offset = rs_fields[i].offset;
    }
}

static rs_code bad_value(rs_err *err, const char *key, const char *rule)
{
    (void)key;
    return rs_fail(err, RS_E_OPTION, 0, "option value", rule, 0, 0, RS_NUM_NONE);
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

static bool parse_tol(const char *v, uint8_t *out)
{
    static const char *const names[] = { "accept", "warn", "reject" };
    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            *out = (uint8_t)i;
            return true;
        }
    return false;
}

static bool parse_uint(const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 0);
    if (errno || end == v || *end || x > max || v[0] == '-')
        return false;
    *out = x;
    return true;
}

static rs_code set_field_scaling(rs_profile *p, const char *key, const char *value, rs_err *err)
{
    const char *dot = strrchr(key, '.');
    char name[40];
    size_t n = (size_t)(dot - key);
    if (n >= sizeof name)
        return rs_fail(err, RS_E_OPTION, 0, "option", "unknown option (remsim decode --help lists them)", 0, 0, RS_NUM_NONE);
    memcpy(name, key, n);
    name[n] = 0;
    int f = rs_field_by_name(name);
    if (f < 0)
        return rs_fail(err, RS_E_OPTION, 0, "option",
                       "<field> must name a report field (docs/protocol.md, field table)", 0, 0, RS_NUM_NONE);
    char *end;
    double x = strtod(value, &end);
    if (end == value || *end)
        return bad_value(err, key, "a scaling takes a decimal number");
    if (!strcmp(dot + 1, "scale")) {
        if (!(x > 0))
            return bad_value(err, key, "a resolution must be a positive number");
        p->scale[f].scale = x;
    } else if (!strcmp(dot + 1, "offset")) {
        p->scale[f].offset = x;
    } else {
        return rs_fail(err, RS_E_OPTION, 0, "option", "field options are <field>.scale and <field>.offset",
                       0, 0, RS_NUM_NONE);
    }
    return RS_OK;
}

rs_code rs_profile_set(rs_profile *p, const char *key, const char *value, rs_err *err)
{
    unsigned long u;
    bool b;
    if (!strcmp(key, "strict")) {
        if (!parse_bool(value, &p->strict))
            return bad_value(err, key, "strict takes on or off");
    } else if (!strcmp(key, "start")) {
        if (!strcmp(value, "hash"))
            p->start_tx[0] = p->start_tx[1] = 0x23;
        else if (!strcmp(value, "tilde"))
            p->start_tx[0] = p->start_tx[1] = 0x7E;
        else
            return bad_value(err, key, "start takes hash or tilde");
    } else if (!strcmp(key, "accept_start")) {
        if (!strcmp(value, "hash"))
            p->accept_hash = true, p->accept_tilde = false;
        else if (!strcmp(value, "tilde"))
            p->accept_hash = false, p->accept_tilde = true;
        else if (!strcmp(value, "both"))
            p->accept_hash = p->accept_tilde = true;
        else
            return bad_value(err, key, "accept_start takes hash, tilde or both");
    } else if (!strcmp(key, "enc_table")) {
        if (!strcmp(value, "gb"))
            p->enc_table = RS_ENC_TABLE_GB;
        else if (!strcmp(value, "hj"))
            p->enc_table = RS_ENC_TABLE_HJ;
        else if (!strcmp(value, "gb32960"))
            p->enc_table = RS_ENC_TABLE_GB32960;
        else
            return bad_value(err, key, "enc_table takes gb, hj or gb32960");
    } else if (!strcmp(key, "serial_style")) {
        if (!strcmp(value, "same"))
            p->serial_style = RS_SERIAL_SAME;
        else if (!strcmp(value, "per_item"))
            p->serial_style = RS_SERIAL_PER_ITEM;
        else
            return bad_value(err, key, "serial_style takes same or per_item");
    } else if (!strcmp(key, "hash_in_hj") || !strcmp(key, "vin_check") || !strcmp(key, "time_check") ||
               !strcmp(key, "range_check") || !strcmp(key, "string_check") ||
               !strcmp(key, "unknown_cmd") || !strcmp(key, "sig_missing")) {
        uint8_t *slot = !strcmp(key, "hash_in_hj") ? &p->hash_in_hj
                        : !strcmp(key, "vin_check") ? &p->vin_check
                        : !strcmp(key, "time_check") ? &p->time_check
                        : !strcmp(key, "range_check") ? &p->range_check
                        : !strcmp(key, "string_check") ? &p->string_check
                        : !strcmp(key, "unknown_cmd") ? &p->unknown_cmd : &p->sig_missing;
        if (!parse_tol(value, slot))
            return bad_value(err, key, "a tolerance takes accept, warn or reject");
    } else if (!strcmp(key, "s6_variant")) {
        if (!parse_bool(value, &b))
            return bad_value(err, key, "s6_variant takes on or off");
        p->s6_variant = b;
    } else if (!strcmp(key, "sw_version") || !strcmp(key, "plat_login_cmd") ||
               !strcmp(key, "plat_logout_cmd")) {
        if (!parse_uint(value, 255, &u))
            return bad_value(err, key, "takes a number from 0 to 255 (0x.. accepted)");
        uint8_t *slot = !strcmp(key, "sw_version") ? &p->sw_version
                        : !strcmp(key, "plat_login_cmd") ? &p->plat_login_cmd : &p->plat_logout_cmd;
        *slot = (uint8_t)u;
    } else if (!strcmp(key, "max_data_len")) {
        if (!parse_uint(value, RS_MAX_DATA_LEN, &u))
            return bad_value(err, key, "max_data_len takes a number from 0 to 65531");
        p->max_data_len = (uint32_t)u;
    } else if (strchr(key, '.')) {
        return set_field_scaling(p, key, value, err);
    } else {
        return rs_fail(err, RS_E_OPTION, 0, "option", "unknown option (remsim decode --help lists them)",
                       0, 0, RS_NUM_NONE);
    }
    return RS_OK;
}

rs_code rs_profile_set_kv(rs_profile *p, const char *kv, rs_err *err)
{
    const char *eq = strchr(kv, '=');
    char key[64];
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
        return rs_fail(err, RS_E_OPTION, 0, "option", "options are written key=value", 0, 0, RS_NUM_NONE);
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = 0;
    return rs_profile_set(p, key, eq + 1, err);
}
