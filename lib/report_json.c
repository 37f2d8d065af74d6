/* Report bodies as JSON: items, stream fields, OBD, signature (§7, §9.1). */
#include "remsim/msg_json.h"

#include <stdbool.h>

/* Decimals that show every step of value = raw * scale + offset. */
static int value_decimals(const rs_scaling *sc)
{
    int a = rs_scale_decimals(sc->scale), b = rs_scale_decimals(sc->offset);
    return a > b ? a : b;
}

/* Positioning status bits (§7.5); reserved bits are named by number so a
 * terminal that sets them is visible. */
static void pos_flags(rs_json *j, uint32_t raw)
{
    static const char *const names[8] = { "position_invalid", "south", "west", "bit3",
                                          "bit4", "bit5", "bit6", "bit7" };
    rs_json_arr_begin(j);
    for (unsigned b = 0; b < 8; b++)
        if (raw & (1u << b))
            rs_json_str(j, names[b]);
    rs_json_arr_end(j);
}

/* Engine torque mode texts (§7.9, S10). */
static const char *torque_mode_text(uint32_t raw)
{
    switch (raw) {
    case 0: return "override_disabled";
    case 1: return "speed_control";
    case 2: return "torque_control";
    case 3: return "speed_torque_limit";
    case 9: return "normal";
    default: return NULL;
    }
}

void rs_val_json(rs_json *j, const rs_profile *p, rs_field_id id, const rs_val *v)
{
    const rs_field_desc *fd = &rs_fields[id];
    bool valid = v->state == RS_VALID;
    rs_json_obj_begin(j);
    rs_json_key(j, "value");
    if (valid)
        rs_json_double(j, v->value, value_decimals(&p->scale[id]));
    else
        rs_json_null(j);
    rs_json_kstr(j, "unit", fd->unit);
    rs_json_kstr(j, "state", rs_state_name((rs_state)v->state));
    rs_json_kuint(j, "raw", v->raw);
    if (fd->kind == RS_KIND_BITS) {
        rs_json_key(j, "flags");
        pos_flags(j, v->raw);
    } else if (id == RS_F_TORQUE_MODE) {
        rs_json_kstr(j, "text", valid ? torque_mode_text(v->raw) : NULL);
    }
    rs_json_obj_end(j);
}

void rs_sig_json(rs_json *j, const rs_sig *s, uint32_t offset)
{
    rs_json_obj_begin(j);
    rs_json_kuint(j, "offset", offset);
    rs_json_kuint(j, "r_len", s->r_len);
    rs_json_khex(j, "r", s->r, s->r_len <= 32 ? s->r_len : 32);
    rs_json_kuint(j, "s_len", s->s_len);
    rs_json_khex(j, "s", s->s, s->s_len <= 32 ? s->s_len : 32);
    rs_json_obj_end(j);
}

/* Monitor names of the support / readiness words, bit 0 first (§7.10). */
static const char *const monitors[16] = {
    "catalyst", "heated_catalyst", "evaporative_system", "secondary_air", "ac_refrigerant",
    "exhaust_gas_sensor", "exhaust_gas_sensor_heater", "egr_vvt", "cold_start_aid", "boost_pressure",
    "dpf", "scr_nox_adsorber", "nmhc_catalyst", "misfire", "fuel_system", "comprehensive_component",
};

/* "support":65184,"support_bits":[5,...],"support_monitors":["exhaust_gas_sensor",...] */
static void bitmap_json(rs_json *j, const char *key, const char *bits_key, const char *names_key, uint16_t w)
{
    rs_json_kuint(j, key, w);
    rs_json_key(j, bits_key);
    rs_json_arr_begin(j);
    for (unsigned b = 0; b < 16; b++)
        if (w & (1u << b))
            rs_json_uint(j, b);
    rs_json_arr_end(j);
    rs_json_key(j, names_key);
    rs_json_arr_begin(j);
    for (unsigned b = 0; b < 16; b++)
        if (w & (1u << b))
            rs_json_str(j, monitors[b]);
    rs_json_arr_end(j);
}

static const char *obd_protocol_name(uint8_t v)
{
    switch (v) {
    case 0: return "iso15765";
    case 1: return "iso27145";
    case 2: return "sae_j1939";
    case 0xFE: return "invalid";
    default: return NULL;
    }
}

static const char *mil_name(uint8_t v)
{
    return v == 0 ? "off" : v == 1 ? "on" : v == 0xFE ? "invalid" : NULL;
}

/* One DTC: the 4 bytes as sent plus the reading the OBD protocol implies
 * (§7.13).  J1939: DM1 wire order, SPN bits 0-7, 8-15, then bits 16-18 in
 * the top of byte 2 under the FMI; byte 3 is CM (bit 7) and OC.  ISO 27145:
 * 3-byte DTC and a status byte.  Other protocols: bytes only. */
static void dtc_json(rs_json *j, uint8_t protocol, const uint8_t *b)
{
    rs_json_obj_begin(j);
    rs_json_khex(j, "hex", b, 4);
    if (protocol == 2) {
        rs_json_key(j, "j1939");
        rs_json_obj_begin(j);
        rs_json_kuint(j, "spn", (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)(b[2] >> 5) << 16);
        rs_json_kuint(j, "fmi", b[2] & 0x1Fu);
        rs_json_kuint(j, "cm", b[3] >> 7);
        rs_json_kuint(j, "oc", b[3] & 0x7Fu);
        rs_json_obj_end(j);
    } else if (protocol == 1) {
        rs_json_key(j, "iso27145");
        rs_json_obj_begin(j);
        rs_json_khex(j, "dtc", b, 3);
        rs_json_kuint(j, "status", b[3]);
        rs_json_obj_end(j);
    }
    rs_json_obj_end(j);
}

static void obd_json(rs_json *j, const rs_obd *o)
{
    rs_json_obj_begin(j);
    rs_json_kuint(j, "protocol", o->protocol);
    rs_json_kstr(j, "protocol_name", obd_protocol_name(o->protocol));
    rs_json_kuint(j, "mil", o->mil);
    rs_json_kstr(j, "mil_name", mil_name(o->mil));
    bitmap_json(j, "support", "support_bits", "support_monitors", o->support);
    bitmap_json(j, "readiness", "readiness_bits", "readiness_monitors", o->readiness);
    rs_json_kbytes(j, "vin", o->vin, RS_VIN_LEN);
    rs_json_kbytes(j, "calid", o->calid, RS_CALID_LEN);
    rs_json_kbytes(j, "cvn", o->cvn, RS_CVN_LEN);
    /* §7.12: eighteen big-endian counters; the bytes too, since many
     * terminals send ASCII or zeros there. */
    rs_json_key(j, "iupr");
    rs_json_obj_begin(j);
    rs_json_key(j, "counters");
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < RS_IUPR_LEN; i += 2)
        rs_json_uint(j, (unsigned)o->iupr[i] << 8 | o->iupr[i + 1]);
    rs_json_arr_end(j);
    rs_json_khex(j, "hex", o->iupr, RS_IUPR_LEN);
    rs_json_obj_end(j);
    rs_json_kuint(j, "dtc_count", o->dtc_count);
    rs_json_key(j, "dtcs");
    rs_json_arr_begin(j);
    if (o->dtc_count != RS_DTC_INVALID && o->dtc)
        for (unsigned i = 0; i < o->dtc_count; i++)
            dtc_json(j, o->protocol, o->dtc + 4u * i);
    rs_json_arr_end(j);
    rs_json_obj_end(j);
}

static void item_json(rs_json *j, const rs_profile *p, const rs_report *r, unsigned index)
{
    const rs_item *it = &r->item[index];
    unsigned n;
    const uint8_t *layout = rs_info_layout(it->type, &n);
    rs_json_obj_begin(j);
    rs_json_kuint(j, "index", index);
    rs_json_kuint(j, "offset", it->offset);
    rs_json_kuint(j, "type", it->type);
    rs_json_kstr(j, "type_name", rs_info_name(it->type));
    if (r->layout != RS_LAYOUT_HJ)
        rs_json_kuint(j, "serial", it->serial);
    rs_time_json(j, "collect_time", "collect_time_valid", &it->collect);
    if (it->type == RS_INFO_OBD) {
        rs_json_key(j, "obd");
        obd_json(j, &it->u.obd);
    } else if (layout) {
        rs_json_key(j, "fields");
        rs_json_obj_begin(j);
        for (unsigned i = 0; i < n; i++) {
            rs_json_key(j, rs_fields[layout[i]].name);
            rs_val_json(j, p, (rs_field_id)layout[i], &it->u.v[layout[i]]);
        }
        rs_json_obj_end(j);
    } else {
        /* user-defined type: the decoder kept the rest of the packet */
        rs_json_kuint(j, "data_len", it->u.opaque.len);
        rs_json_khex(j, "data", it->u.opaque.p, it->u.opaque.p ? it->u.opaque.len : 0);
    }
    if (it->s6_block)
        rs_json_khex(j, "s6_block", it->s6_block, RS_SIG_BLOCK_LEN);
    rs_json_obj_end(j);
}

void rs_report_json(rs_json *j, const rs_profile *p, const rs_report *r)
{
    static const char *const layouts[] = { "gb", "hj", "s6" };
    unsigned n_items = r->n_items <= RS_REPORT_MAX_ITEMS ? r->n_items : RS_REPORT_MAX_ITEMS;
    rs_json_obj_begin(j);
    rs_json_kstr(j, "layout", r->layout < 3 ? layouts[r->layout] : "unknown");
    /* GB: the collect time of the packet; HJ: the send time. */
    rs_time_json(j, "time", "time_valid", &r->time);
    rs_json_kuint(j, "serial", r->serial);
    rs_json_kuint(j, "n_items", n_items);
    rs_json_key(j, "items");
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < n_items; i++)
        item_json(j, p, r, i);
    rs_json_arr_end(j);
    rs_json_key(j, "signature");
    if (r->has_sig)
        rs_sig_json(j, &r->sig, r->sig_offset);
    else
        rs_json_null(j);
    rs_json_obj_end(j);
}
