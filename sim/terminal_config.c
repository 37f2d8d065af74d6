/* Terminal configuration, output queue, OBD snapshots, clock and serial
 * rules: the small pieces around the state machine. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
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
    c->login_after_activation = true; /* the national platform trusts data only after activation (§9.2) */
    c->reissue_style = RS_REISSUE_RESIGN; /* S3, and reissue-hj1239-01 */
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

size_t rs_tm_recent_records(const rs_terminal_config *cfg)
{
    /* a live sample a second, and as much again of reissue */
    return cfg->resend_window_ms ? 2u * ((cfg->resend_window_ms + 999u) / 1000u) + RS_TERM_PACKET_MAX : 0;
}

size_t rs_tm_recent_bytes(const rs_terminal_config *cfg)
{
    return rs_tm_recent_records(cfg) * (rs_terminal_rec_size(cfg) + 4u);
}

size_t rs_terminal_store_bytes(const rs_terminal_config *cfg)
{
    return (size_t)cfg->store_records * rs_terminal_rec_size(cfg) + rs_tm_recent_bytes(cfg);
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

/* ---- "key=value" options (docs/terminal.md) ---- */

typedef enum { OPT_BOOL, OPT_U8, OPT_MS, OPT_U32, OPT_SECONDS, OPT_REISSUE_STYLE } opt_kind;

typedef struct term_opt {
    const char *name;
    opt_kind kind;
    size_t off;
} term_opt;

#define OPT(n, k, f) { n, k, offsetof(rs_terminal_config, f) }
static const term_opt k_opts[] = {
    OPT("packet_samples", OPT_U8, packet_samples),
    OPT("packet_timeout_ms", OPT_MS, packet_timeout_ms),
    OPT("obd_interval_ms", OPT_MS, obd_interval_ms),
    OPT("obd_period", OPT_SECONDS, obd_interval_ms),
    OPT("login_wait_echo", OPT_BOOL, login_wait_echo),
    OPT("login_retry_ms", OPT_MS, login_retry_ms),
    OPT("reconnect_ms", OPT_MS, reconnect_ms),
    OPT("close_after_logout", OPT_BOOL, close_after_logout),
    OPT("timecal_after_login", OPT_BOOL, timecal_after_login),
    OPT("timecal_interval_ms", OPT_MS, timecal_interval_ms),
    OPT("timecal_max_age_ms", OPT_MS, timecal_max_age_ms),
    OPT("store_records", OPT_U32, store_records),
    OPT("store_extras", OPT_BOOL, store_extras),
    OPT("reissue_interval_ms", OPT_MS, reissue_interval_ms),
    OPT("reissue_batch", OPT_U8, reissue_batch),
    OPT("resend_window_ms", OPT_MS, resend_window_ms),
    OPT("reissue_style", OPT_REISSUE_STYLE, reissue_style),
    OPT("tamper_alarm", OPT_BOOL, tamper_alarm),
    OPT("tamper_interval_ms", OPT_MS, tamper_interval_ms),
    OPT("activate", OPT_BOOL, activate),
    OPT("activation_retry_ms", OPT_MS, activation_retry_ms),
    OPT("activation_max_tries", OPT_U8, activation_max_tries),
    OPT("login_after_activation", OPT_BOOL, login_after_activation),
};

bool rs_terminal_config_has(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof k_opts / sizeof k_opts[0]; i++)
        if (strlen(k_opts[i].name) == len && memcmp(k_opts[i].name, key, len) == 0)
            return true;
    return false;
}

rs_code rs_terminal_config_set(rs_terminal_config *c, const char *kv, rs_err *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return rs_fail(err, RS_E_OPTION, 0, kv, "a terminal option is key=value", 0, 0, RS_NUM_NONE);
    size_t klen = (size_t)(eq - kv);
    const char *v = eq + 1;
    for (size_t i = 0; i < sizeof k_opts / sizeof k_opts[0]; i++) {
        const term_opt *o = &k_opts[i];
        if (strlen(o->name) != klen || memcmp(o->name, kv, klen) != 0)
            continue;
        void *p = (char *)c + o->off;
        if (o->kind == OPT_BOOL) {
            bool b;
            if (!strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
                b = true;
            else if (!strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
                b = false;
            else
                return rs_fail(err, RS_E_OPTION, (size_t)(v - kv), o->name, "true|false|on|off|1|0", 0, 0,
                               RS_NUM_NONE);
            *(bool *)p = b;
            return RS_OK;
        }
        if (o->kind == OPT_REISSUE_STYLE) {
            if (!strcmp(v, "resign"))
                *(uint8_t *)p = RS_REISSUE_RESIGN;
            else if (!strcmp(v, "original"))
                *(uint8_t *)p = RS_REISSUE_ORIGINAL;
            else
                return rs_fail(err, RS_E_OPTION, (size_t)(v - kv), o->name, "resign|original", 0, 0, RS_NUM_NONE);
            return RS_OK;
        }
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        double max = o->kind == OPT_U8 ? 255.0 : 4294967295.0;
        if (o->kind == OPT_SECONDS)
            x *= 1000.0;
        if (end == v || *end || errno || !(x >= 0 && x <= max) ||
            (o->kind != OPT_SECONDS && x != (double)(uint32_t)x))
            return rs_fail(err, RS_E_OPTION, (size_t)(v - kv), o->name,
                           o->kind == OPT_SECONDS ? "a number of seconds >= 0"
                                                  : "a whole number >= 0 in range", 0, 0, RS_NUM_NONE);
        if (o->kind == OPT_U8)
            *(uint8_t *)p = (uint8_t)x;
        else
            *(uint32_t *)p = (uint32_t)(x + 0.5);
        return rs_terminal_config_check(c, err);
    }
    return rs_fail(err, RS_E_OPTION, 0, kv, "a terminal option of docs/terminal.md", 0, 0, RS_NUM_NONE);
}
