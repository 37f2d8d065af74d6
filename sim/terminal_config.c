/* Terminal configuration, output queue, OBD snapshots, clock and serial
 * rules: the small pieces around the state machine. */
#include <string.h>

#include "sim/terminal_internal.h"

void rs_terminal_config_default(rs_terminal_config *c)
{
    memset(c, 0, sizeof *c);
    c->packet_samples = 10;          /* §10: ten 1 Hz samples per packet */
    c->packet_timeout_ms = 10000;
    c->obd_interval_ms = 60000;      /* §7.11 leaves it open; S1 20 s, S4 120 s */
    c->login_wait_echo = false;      /* GB 17691 defines no login answer */
    c->login_retry_ms = 20000;       /* S2 */
    c->reconnect_ms = 10000;         /* S3 */
    c->close_after_logout = true;
    c->timecal_after_login = true;   /* S2 */
    c->timecal_interval_ms = 3600000;
    c->timecal_max_age_ms = 0;
    c->store_records = 3600;         /* one hour at 1 Hz; §10 asks 7 days of real terminals */
    c->store_extras = false;
    c->reissue_interval_ms = 1000;   /* S3: one record per second */
    c->reissue_batch = 10;           /* S4: up to 10 records per frame */
    c->tamper_alarm = true;
    c->tamper_interval_ms = 60000;   /* S2 */
    c->activate = false;
    c->activation_retry_ms = 60000;  /* S4; S2 120 s, S3 30 s */
    c->activation_max_tries = 3;     /* S2 */
}

static rs_code range(rs_err *err, const char *name, long long v, long long lo, long long hi, const char *rule)
{
    if (v >= lo && v <= hi)
        return RS_OK;
    return rs_fail(err, RS_E_OPTION, 0, name, rule, v, v < lo ? lo : hi, RS_NUM_DEC);
}

rs_code rs_terminal_config_check(const rs_terminal_config *c, rs_err *err)
{
    static const char ms[] = "a period in ms, at least 1";
    rs_code rc;
    if ((rc = range(err, "packet_samples", c->packet_samples, 1, RS_TERM_PACKET_MAX, "1..10 samples per packet")) ||
        (rc = range(err, "reissue_batch", c->reissue_batch, 1, RS_TERM_PACKET_MAX, "1..10 samples per packet")) ||
        (rc = range(err, "packet_timeout_ms", c->packet_timeout_ms, 1, UINT32_MAX, ms)) ||
        (rc = range(err, "login_retry_ms", c->login_retry_ms, 1, UINT32_MAX, ms)) ||
        (rc = range(err, "reconnect_ms", c->reconnect_ms, 1, UINT32_MAX, ms)) ||
        (rc = range(err, "reissue_interval_ms", c->reissue_interval_ms, 1, UINT32_MAX, ms)) ||
        (rc = range(err, "tamper_interval_ms", c->tamper_interval_ms, 1, UINT32_MAX, ms)) ||
        (rc = range(err, "activation_retry_ms", c->activation_retry_ms, 1, UINT32_MAX, ms)) ||
        (rc = range(err, "activation_max_tries", c->activation_max_tries, 1, 255, "1..255 attempts")))
        return rc;
    return RS_OK;
}

size_t rs_terminal_rec_size(const rs_terminal_config *cfg)
{
    return cfg->store_extras ? REC_SIZE_FULL : REC_SIZE_SHORT;
}

size_t rs_terminal_store_bytes(const rs_terminal_config *cfg)
{
    return (size_t)cfg->store_records * rs_terminal_rec_size(cfg);
}

void rs_term_out_init(rs_term_out *o, uint8_t *buf, size_t cap, rs_msg *scratch)
{
    memset(o, 0, sizeof *o);
    o->buf = buf;
    o->cap = cap;
    o->scratch = scratch;
    o->deadline = RS_TERM_NEVER;
}

void rs_term_out_clear(rs_term_out *o)
{
    o->len = 0;
    o->n = 0;
    o->connect = o->close = 0;
}

bool rs_term_obd_set(rs_term_obd *dst, const rs_obd *o)
{
    dst->obd = *o;
    dst->obd.dtc = NULL;
    bool fits = true;
    if (o->dtc_count != RS_DTC_INVALID && o->dtc_count > RS_TERM_DTC_MAX) {
        dst->obd.dtc_count = RS_TERM_DTC_MAX;
        fits = false;
    }
    if (dst->obd.dtc_count != RS_DTC_INVALID && dst->obd.dtc_count && o->dtc)
        memcpy(dst->dtc, o->dtc, 4u * dst->obd.dtc_count);
    else if (dst->obd.dtc_count != RS_DTC_INVALID && dst->obd.dtc_count)
        memset(dst->dtc, 0, 4u * dst->obd.dtc_count);
    return fits;
}

int64_t rs_tm_clock_s(const rs_terminal *t, int64_t now)
{
    int64_t ms = rs_terminal_clock(t, now);
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* §10: daily counters in GMT+8, starting at 1, wrapping after 65531. */
uint16_t rs_tm_serial_next(rs_term_serial *c, int64_t unix_s)
{
    int32_t day = (int32_t)rs_time_day(unix_s);
    if (day != c->day || c->last == 0) {
        c->day = day;
        c->last = 1;
    } else {
        c->last = c->last >= 65531 ? 1 : (uint16_t)(c->last + 1);
    }
    return c->last;
}

uint16_t rs_tm_serial_add(uint16_t serial, unsigned k)
{
    return (uint16_t)((serial - 1u + k) % 65531u + 1u);
}

const char *rs_term_drop_name(rs_term_drop d)
{
    static const char *const names[RS_TERM_DROP_COUNT] = { "store_overflow", "ignition_off", "encode" };
    return (unsigned)d < RS_TERM_DROP_COUNT ? names[d] : "unknown";
}

const char *rs_term_act_name(rs_term_act_state s)
{
    static const char *const names[] = { "off", "pending", "done", "already_activated", "vin_error", "gave_up" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}
