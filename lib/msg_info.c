/* Info types of reports: names, body lengths and field layouts (§7.3-§7.9). */
#include <string.h>

#include "remsim/msg.h"

static const uint8_t layout_diesel[] = {
    RS_F_SPEED, RS_F_BARO, RS_F_TORQUE, RS_F_FRICTION, RS_F_RPM, RS_F_FUEL_RATE, RS_F_NOX_UP,
    RS_F_NOX_DOWN, RS_F_REAGENT, RS_F_AIR_FLOW, RS_F_SCR_IN, RS_F_SCR_OUT, RS_F_DPF_DP, RS_F_COOLANT,
    RS_F_FUEL_LEVEL, RS_F_POS_STATUS, RS_F_LON, RS_F_LAT, RS_F_ODOMETER,
};
static const uint8_t layout_twc[] = {
    RS_F_SPEED, RS_F_BARO, RS_F_TORQUE, RS_F_FRICTION, RS_F_RPM, RS_F_FUEL_RATE, RS_F_O2_UP, RS_F_O2_DOWN,
    RS_F_AIR_FLOW, RS_F_COOLANT, RS_F_TWC_TEMP, RS_F_POS_STATUS, RS_F_LON, RS_F_LAT, RS_F_ODOMETER,
};
/* 0x05 = 0x03 with the downstream NOx inserted after the downstream O2 sensor (§7.7). */
static const uint8_t layout_twc_nox[] = {
    RS_F_SPEED, RS_F_BARO, RS_F_TORQUE, RS_F_FRICTION, RS_F_RPM, RS_F_FUEL_RATE, RS_F_O2_UP, RS_F_O2_DOWN,
    RS_F_NOX_DOWN, RS_F_AIR_FLOW, RS_F_COOLANT, RS_F_TWC_TEMP, RS_F_POS_STATUS, RS_F_LON, RS_F_LAT,
    RS_F_ODOMETER,
};
static const uint8_t layout_hybrid[] = {
    RS_F_MOTOR_SPEED, RS_F_MOTOR_LOAD, RS_F_BATT_VOLTAGE, RS_F_BATT_CURRENT, RS_F_SOC,
};
static const uint8_t layout_supplement[] = {
    RS_F_TORQUE_MODE, RS_F_PEDAL, RS_F_TOTAL_FUEL, RS_F_UREA_TEMP, RS_F_UREA_DOSE, RS_F_UREA_TOTAL,
    RS_F_DPF_EXH_TEMP,
};

#define N(a) (unsigned)(sizeof a / sizeof a[0])

const uint8_t *rs_info_layout(uint8_t type, unsigned *n)
{
    switch (type) {
    case RS_INFO_STREAM_DIESEL: *n = N(layout_diesel); return layout_diesel;
    case RS_INFO_STREAM_TWC: *n = N(layout_twc); return layout_twc;
    case RS_INFO_STREAM_TWC_NOX: *n = N(layout_twc_nox); return layout_twc_nox;
    case RS_INFO_HYBRID: *n = N(layout_hybrid); return layout_hybrid;
    case RS_INFO_SUPPLEMENT: *n = N(layout_supplement); return layout_supplement;
    default: *n = 0; return NULL;
    }
}

unsigned rs_info_body_len(uint8_t type)
{
    switch (type) {
    case RS_INFO_STREAM_DIESEL: return 37;
    case RS_INFO_STREAM_TWC: return 30;
    case RS_INFO_HYBRID: return 8;
    case RS_INFO_STREAM_TWC_NOX: return 32;
    case RS_INFO_SUPPLEMENT: return 17;
    default: return 0;
    }
}

const char *rs_info_name(uint8_t type)
{
    switch (type) {
    case RS_INFO_OBD: return "obd";
    case RS_INFO_STREAM_DIESEL: return "stream_diesel";
    case RS_INFO_STREAM_TWC: return "stream_twc";
    case RS_INFO_HYBRID: return "hybrid";
    case RS_INFO_STREAM_TWC_NOX: return "stream_twc_nox";
    case RS_INFO_SUPPLEMENT: return "supplement";
    default: return type >= 0x81 && type <= 0xFE ? "user_defined" : "reserved";
    }
}

bool rs_info_known(const rs_profile *p, uint8_t type)
{
    switch (type) {
    case RS_INFO_OBD:
    case RS_INFO_STREAM_DIESEL:
    case RS_INFO_SUPPLEMENT: /* GB: used by some local platforms (§7.3) */
        return true;
    case RS_INFO_STREAM_TWC:
    case RS_INFO_HYBRID:
    case RS_INFO_STREAM_TWC_NOX:
        return p->proto == RS_PROTO_HJ1239;
    default:
        return false;
    }
}

const char *rs_msg_kind_name(rs_msg_kind kind)
{
    static const char *const names[RS_MSG_KIND_COUNT] = {
        [RS_MSG_NONE] = "none",
        [RS_MSG_LOGIN] = "login",
        [RS_MSG_REPORT] = "report",
        [RS_MSG_LOGOUT] = "logout",
        [RS_MSG_TIMECAL_REQ] = "time_calibration_request",
        [RS_MSG_TIMECAL_ANS] = "time_calibration_answer",
        [RS_MSG_TAMPER] = "tamper_alarm",
        [RS_MSG_ACTIVATION] = "activation",
        [RS_MSG_ACTIVATION_ANS] = "activation_answer",
        [RS_MSG_ECHO] = "echo",
        [RS_MSG_HEARTBEAT] = "heartbeat",
        [RS_MSG_PLAT_LOGIN] = "platform_login",
        [RS_MSG_PLAT_LOGOUT] = "platform_logout",
        [RS_MSG_EV_REPORT] = "ev_report",
        [RS_MSG_OPAQUE] = "opaque",
    };
    return (unsigned)kind < RS_MSG_KIND_COUNT ? names[kind] : "unknown";
}

void rs_item_from_sample(rs_item *it, uint8_t type, const rs_sample *s)
{
    unsigned n;
    const uint8_t *layout = rs_info_layout(type, &n);
    it->type = type;
    it->collect = s->collect;
    it->s6_block = NULL;
    for (unsigned i = 0; i < n; i++)
        it->u.v[layout[i]] = s->v[layout[i]];
}

void rs_sample_merge_item(rs_sample *s, const rs_item *it)
{
    unsigned n;
    const uint8_t *layout = rs_info_layout(it->type, &n);
    if (!layout)
        return;
    for (unsigned i = 0; i < n; i++)
        s->v[layout[i]] = it->u.v[layout[i]];
    if (it->type == RS_INFO_HYBRID)
        s->has_hybrid = true;
    else if (it->type == RS_INFO_SUPPLEMENT)
        s->has_supplement = true;
    else
        s->stream = it->type;
    s->collect = it->collect;
}
