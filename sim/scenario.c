/* Scenario loading: runs the Lua file once, checks its table and copies
 * everything the per-second path needs into C (cycle, grade, variation
 * ranges, events, profile defaults), so a step touches Lua only for hooks.
 * Unknown keys are errors: a typo must not silently fall back to a default. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "scenario_int.h"

#define MAX_EVENTS 1000
#define MAX_DURATION (30u * 86400u)

typedef struct parse {
    lua_State *L;
    rs_scenario *s;
    char *msg;
    size_t cap;
    rs_code code;
} parse;

static bool fail(parse *p, rs_code code, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->msg, p->cap, "%s: %s", p->s->path, what);
    p->code = code;
    return false;
}

static const char *const k_ev_names[RS_EV_KIND_COUNT] = {
    [RS_EV_IGNITION_ON] = "ignition_on", [RS_EV_IGNITION_OFF] = "ignition_off",
    [RS_EV_DTC_SET] = "dtc_set", [RS_EV_DTC_CLEAR] = "dtc_clear", [RS_EV_SENSOR] = "sensor",
    [RS_EV_DPF_REGEN] = "dpf_regen", [RS_EV_NETWORK_DOWN] = "network_down",
    [RS_EV_CLOCK_SKEW] = "clock_skew", [RS_EV_POWER_LOSS] = "power_loss",
    [RS_EV_ANSWER_DELAY] = "answer_delay",
};

const char *rs_scn_event_name(rs_scn_event_kind k)
{
    return (unsigned)k < RS_EV_KIND_COUNT ? k_ev_names[k] : "unknown";
}

void rs_scn_opts_init(rs_scn_opts *o)
{
    memset(o, 0, sizeof *o);
}

/* Every key of the table at tab must be in the NULL-terminated list. */
static bool only_keys(parse *p, int tab, const char *where, const char *const *keys)
{
    lua_State *L = p->L;
    lua_pushnil(L);
    while (lua_next(L, tab)) {
        lua_pop(L, 1);
        bool ok = false;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (const char *const *k = keys; *k && !ok; k++)
                ok = strcmp(*k, lua_tostring(L, -1)) == 0;
        if (!ok) {
            const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1);
            fail(p, RS_E_OPTION, "%sunknown key '%s'", where, name);
            lua_pop(L, 1);
            return false;
        }
    }
    return true;
}

/* Optional number: nil keeps *out. */
static bool get_num(parse *p, int tab, const char *where, const char *key, double lo, double hi, double *out)
{
    lua_State *L = p->L;
    int t = lua_getfield(L, tab, key);
    bool ok = true;
    if (t == LUA_TNUMBER) {
        double x = lua_tonumber(L, -1);
        if (!(x >= lo && x <= hi))
            ok = fail(p, RS_E_OPTION, "%s%s = %g is outside [%g, %g]", where, key, x, lo, hi);
        else
            *out = x;
    } else if (t != LUA_TNIL) {
        ok = fail(p, RS_E_OPTION, "%s%s must be a number, not %s", where, key, lua_typename(L, t));
    }
    lua_pop(L, 1);
    return ok;
}

/* Optional number or {min, max}: each vehicle draws uniformly in between. */
static bool get_range(parse *p, int tab, const char *where, const char *key, double lo, double hi, double r[2])
{
    lua_State *L = p->L;
    int t = lua_getfield(L, tab, key);
    bool ok = true;
    if (t == LUA_TNUMBER) {
        lua_pop(L, 1);
        double x = r[0];
        if (!get_num(p, tab, where, key, lo, hi, &x))
            return false;
        r[0] = r[1] = x;
        return true;
    }
    if (t == LUA_TTABLE) {
        double a[2];
        for (int i = 0; i < 2 && ok; i++) {
            if (lua_rawgeti(L, -1, i + 1) != LUA_TNUMBER)
                ok = fail(p, RS_E_OPTION, "%s%s: write a number or {min, max}", where, key);
            else
                a[i] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        if (ok && !(a[0] >= lo && a[1] <= hi && a[0] <= a[1]))
            ok = fail(p, RS_E_OPTION, "%s%s = {%g, %g}: want lo <= min <= max <= hi (%g, %g)", where, key,
                      a[0], a[1], lo, hi);
        if (ok) {
            r[0] = a[0];
            r[1] = a[1];
        }
    } else if (t != LUA_TNIL) {
        ok = fail(p, RS_E_OPTION, "%s%s: write a number or {min, max}", where, key);
    }
    lua_pop(L, 1);
    return ok;
}

static bool get_bool(parse *p, int tab, const char *where, const char *key, bool *out)
{
    lua_State *L = p->L;
    int t = lua_getfield(L, tab, key);
    bool ok = true;
    if (t == LUA_TBOOLEAN)
        *out = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        ok = fail(p, RS_E_OPTION, "%s%s must be true or false", where, key);
    lua_pop(L, 1);
    return ok;
}

/* A series over the cycle's seconds from the value at the top of the stack:
 * a csv() column, a function of t (evaluated once here: it must be pure) or
 * a number.  n 0: take the length from the column. */
static bool series(parse *p, const char *key, uint32_t *n, float **out, double lo, double hi)
{
    lua_State *L = p->L;
    int val = lua_gettop(L);
    rs_scn_cycle *c = luaL_testudata(L, val, RS_SCN_CYCLE_MT);
    if (c) {
        if (*n == 0)
            *n = c->n;
    } else if (lua_type(L, val) == LUA_TFUNCTION || lua_type(L, val) == LUA_TNUMBER) {
        if (*n == 0)
            return fail(p, RS_E_OPTION, "%s: a function or a number needs 'duration'", key);
    } else {
        return fail(p, RS_E_OPTION, "%s: write csv(path, column), a function of t or a number", key);
    }
    float *a = malloc(*n * sizeof *a);
    if (!a)
        return fail(p, RS_E_OPTION, "%s: out of memory", key);
    for (uint32_t t = 0; t < *n; t++) {
        double x;
        if (c) {
            x = t < c->n ? c->v[t] : c->v[c->n - 1];
        } else if (lua_type(L, val) == LUA_TNUMBER) {
            x = lua_tonumber(L, val);
        } else {
            lua_pushvalue(L, val);
            lua_pushinteger(L, t);
            if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
                fail(p, RS_E_SYNTAX, "%s(%u): %s", key, t, lua_tostring(L, -1));
                free(a);
                return false;
            }
            int isnum;
            x = lua_tonumberx(L, -1, &isnum);
            lua_pop(L, 1);
            if (!isnum) {
                free(a);
                return fail(p, RS_E_OPTION, "%s(%u) did not return a number", key, t);
            }
        }
        if (!(x >= lo && x <= hi)) {
            free(a);
            return fail(p, RS_E_OPTION, "%s at t=%u s is %g, outside [%g, %g]", key, t, x, lo, hi);
        }
        a[t] = (float)x;
    }
    *out = a;
    return true;
}

static bool parse_cycle(parse *p, int tab)
{
    lua_State *L = p->L;
    rs_scenario *s = p->s;
    double dur = 0;
    if (!get_num(p, tab, "", "duration", 1, MAX_DURATION, &dur))
        return false;
    s->n = (uint32_t)dur;
    if (lua_getfield(L, tab, "cycle") == LUA_TNIL)
        return fail(p, RS_E_OPTION, "cycle missing: csv(path, column), a function of t or a number");
    bool ok = series(p, "cycle", &s->n, &s->speed, 0, 250);
    lua_pop(L, 1);
    if (!ok)
        return false;
    int t = lua_getfield(L, tab, "grade");
    if (t == LUA_TNUMBER) {
        s->grade_c = lua_tonumber(L, -1);
        if (!(fabs(s->grade_c) <= 30))
            ok = fail(p, RS_E_OPTION, "grade = %g %%: want -30..30", s->grade_c);
    } else if (t != LUA_TNIL) {
        ok = series(p, "grade", &s->n, &s->grade, -30, 30);
    }
    lua_pop(L, 1);
    return ok;
}

static const char *const k_event_keys[] = {
    "at", "jitter", "share", "mil", "state", "duration", "ignition", "dtc", "dtc_clear", "sensor",
    "dpf_regen", "network_down", "clock_skew", "power_loss", "answer_delay", NULL,
};
static const char *const k_actions[] = {
    "ignition", "dtc", "dtc_clear", "sensor", "dpf_regen", "network_down", "clock_skew", "power_loss",
    "answer_delay", NULL,
};

static bool spn_fmi(parse *p, int tab, const char *where, uint32_t *spn, int *fmi)
{
    double x = -1, y = -1;
    if (!get_num(p, tab, where, "spn", 1, 524287, &x) || !get_num(p, tab, where, "fmi", 0, 31, &y))
        return false;
    *spn = x < 0 ? 0 : (uint32_t)x;
    *fmi = (int)y;
    return true;
}

static bool parse_event(parse *p, int tab, size_t i, rs_scn_event *e)
{
    lua_State *L = p->L;
    char where[48];
    snprintf(where, sizeof where, "events[%zu]: ", i + 1);
    if (!only_keys(p, tab, where, k_event_keys))
        return false;
    memset(e, 0, sizeof *e);
    e->share = 1;
    e->fmi_clear = -1;
    double at = -1, jitter = 0, share = 1, dur = 0;
    if (!get_num(p, tab, where, "at", 0, MAX_DURATION, &at) ||
        !get_num(p, tab, where, "jitter", 0, MAX_DURATION, &jitter) ||
        !get_num(p, tab, where, "share", 0, 1, &share) ||
        !get_num(p, tab, where, "duration", 0, MAX_DURATION, &dur))
        return false;
    if (at < 0)
        return fail(p, RS_E_OPTION, "%s'at' (seconds after start) missing", where);
    e->at = (uint32_t)at;
    e->jitter = (uint32_t)jitter;
    e->share = (float)share;
    e->duration_s = (uint32_t)dur;
    const char *action = NULL;
    for (const char *const *k = k_actions; *k; k++) {
        if (lua_getfield(L, tab, *k) != LUA_TNIL) {
            if (action) {
                lua_pop(L, 1);
                return fail(p, RS_E_OPTION, "%sboth '%s' and '%s': one action per event", where, action, *k);
            }
            action = *k;
        }
        lua_pop(L, 1);
    }
    if (!action)
        return fail(p, RS_E_OPTION, "%sno action (ignition, dtc, dtc_clear, sensor, dpf_regen, network_down, "
                    "clock_skew, power_loss, answer_delay)", where);
    int vt = lua_getfield(L, tab, action);
    int v = lua_gettop(L);
    bool ok = true;
    if (strcmp(action, "ignition") == 0) {
        const char *str = vt == LUA_TSTRING ? lua_tostring(L, v) : NULL;
        if (vt == LUA_TBOOLEAN)
            e->kind = lua_toboolean(L, v) ? RS_EV_IGNITION_ON : RS_EV_IGNITION_OFF;
        else if (str && strcmp(str, "on") == 0)
            e->kind = RS_EV_IGNITION_ON;
        else if (str && strcmp(str, "off") == 0)
            e->kind = RS_EV_IGNITION_OFF;
        else
            ok = fail(p, RS_E_OPTION, "%signition: \"on\" or \"off\"", where);
    } else if (strcmp(action, "dtc") == 0) {
        e->kind = RS_EV_DTC_SET;
        int fmi = -1;
        bool mil = true;
        if (vt != LUA_TTABLE)
            ok = fail(p, RS_E_OPTION, "%sdtc: write { spn = N, fmi = N }", where);
        else if ((ok = spn_fmi(p, v, where, &e->spn, &fmi) && get_bool(p, tab, where, "mil", &mil)) &&
                 (e->spn == 0 || fmi < 0))
            ok = fail(p, RS_E_OPTION, "%sdtc needs both spn and fmi", where);
        e->fmi = (uint8_t)(fmi < 0 ? 0 : fmi);
        e->mil = mil;
    } else if (strcmp(action, "dtc_clear") == 0) {
        e->kind = RS_EV_DTC_CLEAR;
        int fmi = -1;
        if (vt == LUA_TTABLE)
            ok = spn_fmi(p, v, where, &e->spn, &fmi);
        else if (vt != LUA_TBOOLEAN || !lua_toboolean(L, v))
            ok = fail(p, RS_E_OPTION, "%sdtc_clear: true (all) or { spn = N [, fmi = N] }", where);
        e->fmi_clear = (int16_t)fmi;
    } else if (strcmp(action, "sensor") == 0) {
        e->kind = RS_EV_SENSOR;
        int f = vt == LUA_TSTRING ? rs_field_by_name(lua_tostring(L, v)) : -1;
        if (f < 0)
            ok = fail(p, RS_E_OPTION, "%ssensor: a field name such as \"nox_down\"", where);
        e->field = (int16_t)f;
        e->sensor = RS_SENSOR_NA;
        if (ok && lua_getfield(L, tab, "state") != LUA_TNIL) {
            const char *st = lua_tostring(L, -1);
            if (st && strcmp(st, "stuck") == 0)
                e->sensor = RS_SENSOR_STUCK;
            else if (st && strcmp(st, "ok") == 0)
                e->sensor = RS_SENSOR_OK;
            else if (!st || strcmp(st, "na") != 0)
                ok = fail(p, RS_E_OPTION, "%sstate: \"na\", \"stuck\" or \"ok\"", where);
        }
        if (ok)
            lua_pop(L, 1);
    } else if (strcmp(action, "dpf_regen") == 0) {
        e->kind = RS_EV_DPF_REGEN;
    } else {
        /* the terminal-side events carry one number */
        double x = vt == LUA_TNUMBER ? lua_tonumber(L, v) : NAN;
        e->kind = strcmp(action, "network_down") == 0 ? RS_EV_NETWORK_DOWN
                  : strcmp(action, "clock_skew") == 0 ? RS_EV_CLOCK_SKEW
                  : strcmp(action, "power_loss") == 0 ? RS_EV_POWER_LOSS
                                                      : RS_EV_ANSWER_DELAY;
        bool signed_ok = e->kind == RS_EV_CLOCK_SKEW;
        if (!(fabs(x) <= MAX_DURATION) || (!signed_ok && x < 0))
            ok = fail(p, RS_E_OPTION, "%s%s: a number of %s", where, action,
                      e->kind == RS_EV_ANSWER_DELAY ? "milliseconds" : "seconds");
        else if (e->kind == RS_EV_NETWORK_DOWN || e->kind == RS_EV_POWER_LOSS)
            e->duration_s = (uint32_t)x;
        else
            e->value = (int32_t)x;
    }
    lua_settop(L, v - 1);
    return ok;
}

static bool parse_events(parse *p, int tab)
{
    lua_State *L = p->L;
    int t = lua_getfield(L, tab, "events");
    bool ok = true;
    if (t == LUA_TTABLE) {
        int evs = lua_gettop(L);
        size_t n = (size_t)luaL_len(L, evs);
        if (n > MAX_EVENTS)
            ok = fail(p, RS_E_LIMIT, "events: %zu entries, at most %d", n, MAX_EVENTS);
        if (ok && n) {
            p->s->ev = calloc(n, sizeof *p->s->ev);
            if (!p->s->ev)
                ok = fail(p, RS_E_OPTION, "events: out of memory");
        }
        for (size_t i = 0; ok && i < n; i++) {
            if (lua_rawgeti(L, evs, (lua_Integer)i + 1) != LUA_TTABLE)
                ok = fail(p, RS_E_OPTION, "events[%zu]: not a table", i + 1);
            else
                ok = parse_event(p, lua_gettop(L), i, &p->s->ev[i]);
            lua_settop(L, evs);
            if (ok)
                p->s->n_ev = i + 1;
        }
    } else if (t != LUA_TNIL) {
        ok = fail(p, RS_E_OPTION, "events must be a list of tables");
    }
    lua_settop(L, tab);
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool parse_profile(parse *p, int tab)
{
    lua_State *L = p->L;
    rs_scenario *s = p->s;
    int t = lua_getfield(L, tab, "profile");
    bool ok = true;
    if (t == LUA_TTABLE) {
        int pt = lua_gettop(L);
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, pt)) {
            n++;
            lua_pop(L, 1);
        }
        s->kv = calloc(n ? n : 1, sizeof *s->kv);
        lua_pushnil(L);
        while (ok && lua_next(L, pt)) {
            int vt = lua_type(L, -1);
            if (lua_type(L, -2) != LUA_TSTRING || (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)) {
                ok = fail(p, RS_E_OPTION, "profile: write name = value (string, number or boolean)");
                lua_pop(L, 2);
                break;
            }
            const char *k = lua_tostring(L, -2);
            char val[128];
            if (vt == LUA_TBOOLEAN)
                snprintf(val, sizeof val, "%s", lua_toboolean(L, -1) ? "true" : "false");
            else if (vt == LUA_TNUMBER && lua_isinteger(L, -1))
                snprintf(val, sizeof val, "%lld", (long long)lua_tointeger(L, -1));
            else if (vt == LUA_TNUMBER)
                snprintf(val, sizeof val, "%.17g", lua_tonumber(L, -1));
            else
                snprintf(val, sizeof val, "%s", lua_tostring(L, -1));
            size_t len = strlen(k) + strlen(val) + 2;
            char *kv = malloc(len);
            if (!kv || !s->kv) {
                free(kv);
                ok = fail(p, RS_E_OPTION, "profile: out of memory");
                lua_pop(L, 2);
                break;
            }
            snprintf(kv, len, "%s=%s", k, val);
            s->kv[s->n_kv++] = kv;
            lua_pop(L, 1);
        }
        /* pairs() order is not stable across states: sort for reproducible output */
        if (ok)
            qsort(s->kv, s->n_kv, sizeof *s->kv, cmp_str);
    } else if (t != LUA_TNIL) {
        ok = fail(p, RS_E_OPTION, "profile must be a table of name = value");
    }
    lua_settop(L, tab);
    return ok;
}

static const char *const k_top_keys[] = {
    "name", "vehicle", "seed", "cycle", "duration", "grade", "at_end", "mass", "start", "ambient", "altitude",
    "noise", "init", "events", "profile", "tick", NULL,
};
static const char *const k_start_keys[] = { "lat", "lon", "spread_km", "heading", NULL };
static const char *const k_init_keys[] = {
    "fuel_level", "reagent", "soot", "odometer", "soc", "warm", "ignition", NULL,
};

static bool parse_table(parse *p, int tab, const rs_scn_opts *opts)
{
    lua_State *L = p->L;
    rs_scenario *s = p->s;
    if (!only_keys(p, tab, "", k_top_keys))
        return false;
    if (lua_getfield(L, tab, "name") == LUA_TSTRING)
        snprintf(s->name, sizeof s->name, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    int t = lua_getfield(L, tab, "vehicle");
    rs_veh_type type = RS_VEH_DIESEL;
    if (t != LUA_TNIL && (t != LUA_TSTRING || !rs_veh_type_parse(lua_tostring(L, -1), &type))) {
        lua_pop(L, 1);
        return fail(p, RS_E_OPTION, "vehicle: \"diesel\", \"gas\", \"gas_nox\" or \"hybrid\"");
    }
    lua_pop(L, 1);
    s->type = (uint8_t)type;
    double seed = 1;
    if (!get_num(p, tab, "", "seed", 0, 9007199254740992.0, &seed))
        return false;
    s->seed = opts && opts->seed ? opts->seed : (uint64_t)seed;
    if (!parse_cycle(p, tab))
        return false;
    t = lua_getfield(L, tab, "at_end");
    const char *ae = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (t != LUA_TNIL) {
        if (ae && strcmp(ae, "loop") == 0)
            s->at_end = RS_SCN_END_LOOP;
        else if (ae && strcmp(ae, "idle") == 0)
            s->at_end = RS_SCN_END_IDLE;
        else if (ae && strcmp(ae, "off") == 0)
            s->at_end = RS_SCN_END_OFF;
        else {
            lua_pop(L, 1);
            return fail(p, RS_E_OPTION, "at_end: \"loop\", \"idle\" or \"off\"");
        }
    }
    lua_pop(L, 1);
    if (!get_range(p, tab, "", "mass", 5000, 80000, s->mass) ||
        !get_num(p, tab, "", "ambient", -40, 50, &s->ambient) ||
        !get_num(p, tab, "", "altitude", -400, 5500, &s->altitude) ||
        !get_num(p, tab, "", "noise", 0, 10, &s->noise))
        return false;
    if (lua_getfield(L, tab, "start") == LUA_TTABLE) {
        int st = lua_gettop(L);
        if (!only_keys(p, st, "start: ", k_start_keys) ||
            !get_num(p, st, "start.", "lat", -89.9, 89.9, &s->lat) ||
            !get_num(p, st, "start.", "lon", -180, 180, &s->lon) ||
            !get_num(p, st, "start.", "spread_km", 0, 2000, &s->spread_km) ||
            !get_num(p, st, "start.", "heading", 0, 360, &s->heading))
            return false;
    } else if (!lua_isnil(L, -1)) {
        return fail(p, RS_E_OPTION, "start must be a table { lat, lon, spread_km, heading }");
    }
    lua_settop(L, tab);
    if (lua_getfield(L, tab, "init") == LUA_TTABLE) {
        int it = lua_gettop(L);
        if (!only_keys(p, it, "init: ", k_init_keys) ||
            !get_range(p, it, "init.", "fuel_level", 0, 100, s->fuel) ||
            !get_range(p, it, "init.", "reagent", 0, 100, s->reagent) ||
            !get_range(p, it, "init.", "soot", 0, 1.2, s->soot) ||
            !get_range(p, it, "init.", "odometer", 0, 9e6, s->odo) ||
            !get_range(p, it, "init.", "soc", 5, 95, s->soc) ||
            !get_bool(p, it, "init.", "warm", &s->warm) ||
            !get_bool(p, it, "init.", "ignition", &s->ignition))
            return false;
    } else if (!lua_isnil(L, -1)) {
        return fail(p, RS_E_OPTION, "init must be a table");
    }
    lua_settop(L, tab);
    if (!parse_events(p, tab) || !parse_profile(p, tab))
        return false;
    t = lua_getfield(L, tab, "tick");
    if (t == LUA_TFUNCTION) {
        s->ref_hook = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_newtable(L);
        s->ref_vehicles = luaL_ref(L, LUA_REGISTRYINDEX);
        rs_scn_make_sample_udata(L, s);
    } else {
        lua_pop(L, 1);
        if (t != LUA_TNIL)
            return fail(p, RS_E_OPTION, "tick must be a function(t, sample, vehicle)");
    }
    return true;
}

static void defaults(rs_scenario *s)
{
    s->ref_hook = s->ref_vehicles = s->ref_sample = LUA_NOREF;
    s->ignition = true;
    s->mass[0] = s->mass[1] = 40000;
    s->fuel[0] = 60, s->fuel[1] = 95;
    s->reagent[0] = 50, s->reagent[1] = 95;
    s->soot[0] = 0.05, s->soot[1] = 0.5;
    s->odo[0] = 5000, s->odo[1] = 400000;
    s->soc[0] = s->soc[1] = 60;
    s->lat = 31.2304;
    s->lon = 121.4737;
    s->spread_km = 30;
    s->heading = -1; /* drawn per vehicle */
    s->ambient = 20;
    s->altitude = 10;
    s->noise = 1;
}

static void open_libs(lua_State *L)
{
    /* no io, os or debug: a scenario reads files through csv() only, and
     * os.time()/os.clock() would make runs irreproducible */
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base }, { LUA_LOADLIBNAME, luaopen_package }, { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string }, { LUA_MATHLIBNAME, luaopen_math }, { LUA_UTF8LIBNAME, luaopen_utf8 },
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
}

rs_scenario *rs_scenario_load(lua_State *L, const char *path, const rs_scn_opts *opts, rs_code *code,
                              char *msg, size_t cap)
{
    rs_code dummy;
    if (!code)
        code = &dummy;
    rs_scenario *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, cap, "%s: out of memory", path);
        *code = RS_E_OPTION;
        return NULL;
    }
    defaults(s);
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->dir, sizeof s->dir, "%s", path);
    char *slash = strrchr(s->dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(s->dir, sizeof s->dir, ".");
    const char *base = slash ? strrchr(path, '/') + 1 : path;
    snprintf(s->name, sizeof s->name, "%s", base);
    char *dot = strrchr(s->name, '.');
    if (dot)
        *dot = 0;
    const char *shared = opts && opts->shared_dir ? opts->shared_dir : getenv("REMSIM_SHARED");
    snprintf(s->shared, sizeof s->shared, "%s", shared && *shared ? shared : "../shared");
    s->start_unix = opts ? opts->start_unix : 0;

    if (!L) {
        L = luaL_newstate();
        if (!L) {
            free(s);
            snprintf(msg, cap, "%s: cannot create a Lua state", path);
            *code = RS_E_OPTION;
            return NULL;
        }
        s->own_L = true;
    }
    s->L = L;
    int top = lua_gettop(L);
    open_libs(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua;%s/lib/?.lua", s->dir, s->dir);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, "");
    lua_setfield(L, -2, "cpath"); /* no native modules */
    lua_pop(L, 1);
    rs_scn_push_csv(L, s);
    lua_setglobal(L, "csv");

    parse p = { L, s, msg, cap, RS_OK };
    int rc = luaL_loadfilex(L, path, "t");
    if (rc == LUA_OK)
        rc = lua_pcall(L, 0, 1, 0);
    bool ok;
    if (rc != LUA_OK) {
        const char *e = lua_tostring(L, -1);
        snprintf(msg, cap, "%s", e ? e : "(error object is not a string)");
        p.code = rc == LUA_ERRFILE ? RS_E_IO : RS_E_SYNTAX;
        ok = false;
    } else if (!lua_istable(L, -1)) {
        ok = fail(&p, RS_E_OPTION, "the file must return a table (return { vehicle = ..., cycle = ... })");
    } else {
        ok = parse_table(&p, lua_gettop(L), opts);
    }
    lua_settop(L, top);
    if (ok) {
        /* math.random in hooks: reproducible for the run seed */
        lua_getglobal(L, "math");
        lua_getfield(L, -1, "randomseed");
        lua_pushinteger(L, (lua_Integer)(s->seed & 0x7FFFFFFFFFFFFFFFULL));
        lua_pcall(L, 1, 0, 0);
        lua_settop(L, top);
    }
    lua_gc(L, LUA_GCCOLLECT); /* drop the csv() userdata and the file's temporaries */
    if (!ok) {
        *code = p.code;
        rs_scenario_free(s);
        return NULL;
    }
    *code = RS_OK;
    return s;
}

void rs_scenario_free(rs_scenario *s)
{
    if (!s)
        return;
    if (s->L) {
        luaL_unref(s->L, LUA_REGISTRYINDEX, s->ref_hook);
        luaL_unref(s->L, LUA_REGISTRYINDEX, s->ref_vehicles);
        luaL_unref(s->L, LUA_REGISTRYINDEX, s->ref_sample);
        if (s->own_L)
            lua_close(s->L);
    }
    for (size_t i = 0; i < s->n_kv; i++)
        free(s->kv[i]);
    free(s->kv);
    free(s->ev);
    free(s->speed);
    free(s->grade);
    free(s);
}

lua_State *rs_scenario_lua(const rs_scenario *s) { return s->L; }
const char *rs_scenario_name(const rs_scenario *s) { return s->name; }
rs_veh_type rs_scenario_type(const rs_scenario *s) { return (rs_veh_type)s->type; }
uint32_t rs_scenario_duration(const rs_scenario *s) { return s->n; }
uint64_t rs_scenario_seed(const rs_scenario *s) { return s->seed; }
bool rs_scenario_has_hook(const rs_scenario *s) { return s->ref_hook != LUA_NOREF; }
size_t rs_scenario_event_count(const rs_scenario *s) { return s->n_ev; }
const rs_scn_event *rs_scenario_event(const rs_scenario *s, size_t i) { return i < s->n_ev ? &s->ev[i] : NULL; }
size_t rs_scenario_profile_count(const rs_scenario *s) { return s->n_kv; }
const char *rs_scenario_profile_kv(const rs_scenario *s, size_t i) { return i < s->n_kv ? s->kv[i] : NULL; }
