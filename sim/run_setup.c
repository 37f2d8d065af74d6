/* Scenario + profile + terminal + truck configuration (run_setup.h). */
#include "remsim/run_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_is(const char *kv, const char *key)
{
    size_t n = strlen(key);
    return strncmp(kv, key, n) == 0 && kv[n] == '=';
}

static rs_code set_profile(rs_run_setup *s, const char *name, rs_err *err)
{
    rs_proto proto;
    if (!rs_proto_parse(name, &proto))
        return rs_fail(err, RS_E_OPTION, 0, "profile", "gb17691, hj1239 or gb32960", 0, 0, RS_NUM_NONE);
    rs_profile_init(&s->profile, proto);
    /* HJ 1239 terminals send the 0x80 supplement (§7.9). */
    s->truck.sampler.supplement = proto == RS_PROTO_HJ1239;
    return RS_OK;
}

rs_code rs_run_setup_set(rs_run_setup *s, const char *kv, rs_err *err)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return rs_fail(err, RS_E_OPTION, 0, kv, "an option is key=value", 0, 0, RS_NUM_NONE);
    const char *v = eq + 1;
    if (key_is(kv, "profile"))
        return set_profile(s, v, err);
    if (rs_terminal_config_has(kv, (size_t)(eq - kv)))
        return rs_terminal_config_set(&s->term, kv, err);
    if (key_is(kv, "obd_poll")) {
        char *end;
        long x = strtol(v, &end, 10);
        if (end == v || *end || x < 0 || x > 86400)
            return rs_fail(err, RS_E_OPTION, (size_t)(v - kv), "obd_poll", "seconds, 0..86400", 0, 0,
                           RS_NUM_NONE);
        s->truck.obd_poll_s = (uint32_t)x;
        return RS_OK;
    }
    if (key_is(kv, "fidelity")) {
        rs_fidelity f;
        if (!rs_fidelity_parse(v, &f))
            return rs_fail(err, RS_E_OPTION, (size_t)(v - kv), "fidelity", "sampled or full", 0, 0,
                           RS_NUM_NONE);
        s->truck.vcan.fidelity = (uint8_t)f;
        s->truck.vcan.planned = false;
        return RS_OK;
    }
    if (strncmp(kv, "can.", 4) == 0) {
        rs_code rc = rs_sig_cfg_set(&s->truck.vcan.sig, kv + 4, err);
        if (rc == RS_OK)
            rc = rs_sig_cfg_set(&s->truck.sampler.sig, kv + 4, err);
        s->truck.vcan.planned = false;
        return rc;
    }
    return rs_profile_set_kv(&s->profile, kv, err);
}

/* The profile first, wherever it is in the list: it resets the others. */
static rs_code apply(rs_run_setup *s, const char *const *kv, size_t n, const char *from, char *msg,
                     size_t cap)
{
    rs_err err;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (key_is(kv[i], "profile") != (pass == 0))
                continue;
            if (rs_run_setup_set(s, kv[i], &err) != RS_OK) {
                char why[256];
                rs_err_format(&err, why, sizeof why);
                snprintf(msg, cap, "%s option '%s': %s", from, kv[i], why);
                return err.code;
            }
        }
    return RS_OK;
}

rs_code rs_run_setup_load(rs_run_setup *s, const char *scenario_path, const rs_scn_opts *so,
                          const char *const *opts, size_t n, char *msg, size_t cap)
{
    memset(s, 0, sizeof *s);
    rs_profile_init(&s->profile, RS_PROTO_GB17691);
    rs_terminal_config_default(&s->term);
    rs_truck_cfg_init(&s->truck, false);
    rs_code code;
    s->scn = rs_scenario_load(NULL, scenario_path, so, &code, msg, cap);
    if (!s->scn)
        return code;
    size_t sn = rs_scenario_profile_count(s->scn);
    const char *skv[64];
    if (sn > 64)
        sn = 64;
    for (size_t i = 0; i < sn; i++)
        skv[i] = rs_scenario_profile_kv(s->scn, i);
    /* The engine sends what the vehicle type has sensors for. */
    s->truck.vcan.fields = rs_veh_type_fields(rs_scenario_type(s->scn));
    rs_code rc = apply(s, skv, sn, rs_scenario_name(s->scn), msg, cap);
    if (rc == RS_OK)
        rc = apply(s, opts, n, "command line", msg, cap);
    if (rc != RS_OK) {
        rs_run_setup_free(s);
        return rc;
    }
    return RS_OK;
}

void rs_run_setup_free(rs_run_setup *s)
{
    rs_scenario_free(s->scn);
    s->scn = NULL;
}
