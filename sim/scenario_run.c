/* Scenario: the vehicles of a fleet — seeded variation, per-vehicle event
 * times, the one-second step and the hook call with its error handling. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "remsim/time.h"
#include "scenario_int.h"

/* Stream ids for rs_scn_mix: each drawn quantity has its own, so adding
 * one later does not shift the others. */
enum { MIX_CFG = 1, MIX_EVENT_SHARE = 2, MIX_EVENT_JITTER = 3 };

static double unit(uint64_t *st)
{
    *st += 0x9E3779B97F4A7C15ULL;
    uint64_t z = *st;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static double draw(uint64_t *st, const double r[2])
{
    double u = unit(st); /* always drawn: the sequence does not depend on the ranges */
    return r[0] + (r[1] - r[0]) * u;
}

void rs_scn_vehicle_cfg(const rs_scenario *s, uint32_t index, rs_vehicle_cfg *c)
{
    rs_vehicle_cfg_init(c, (rs_veh_type)s->type);
    uint64_t st = rs_scn_mix(s->seed, index, MIX_CFG);
    c->seed = rs_scn_mix(s->seed, index, 0);
    c->vin_serial = index + 1;
    c->ignition = s->ignition;
    c->warm = s->warm;
    c->mass_kg = draw(&st, s->mass);
    /* start point uniform in a disc of spread_km */
    double r = s->spread_km * sqrt(unit(&st)), a = 6.283185307179586 * unit(&st);
    c->lat = s->lat + r * cos(a) / 111.32;
    c->lon = s->lon + r * sin(a) / (111.32 * cos(s->lat * 0.017453292519943295));
    double h = unit(&st) * 360;
    c->heading_deg = s->heading >= 0 ? s->heading : h;
    c->ambient_c = s->ambient;
    c->altitude_m = s->altitude;
    c->fuel_level = draw(&st, s->fuel);
    c->reagent = draw(&st, s->reagent);
    c->soot = draw(&st, s->soot);
    c->odometer_km = draw(&st, s->odo);
    c->soc = draw(&st, s->soc);
    /* lifetime totals consistent with the odometer: ~35 L/100 km, urea 5 % of fuel */
    c->total_fuel_l = c->odometer_km * 0.35;
    c->urea_total_g = c->total_fuel_l * 0.05 * 1090;
    c->noise = s->noise * (0.5 + unit(&st));
}

rs_code rs_scn_vehicle_init(rs_scenario *s, rs_scn_vehicle *v, uint32_t index, rs_err *err)
{
    memset(v, 0, sizeof *v);
    rs_vehicle_cfg c;
    rs_scn_vehicle_cfg(s, index, &c);
    rs_vehicle_init(&v->car, &c);
    v->index = index;
    v->lua_ref = LUA_NOREF;
    if (s->ref_hook != LUA_NOREF) {
        lua_State *L = s->L;
        if (!lua_checkstack(L, 4))
            return rs_fail(err, RS_E_OPTION, 0, "lua", "Lua stack exhausted", 0, 0, RS_NUM_NONE);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref_vehicles);
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, index);
        lua_setfield(L, -2, "index");
        v->lua_ref = luaL_ref(L, -2);
        lua_pop(L, 1);
    }
    return RS_OK;
}

void rs_scn_vehicle_free(rs_scenario *s, rs_scn_vehicle *v)
{
    if (v->lua_ref != LUA_NOREF && s->ref_vehicles != LUA_NOREF) {
        lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->ref_vehicles);
        luaL_unref(s->L, -1, v->lua_ref);
        lua_pop(s->L, 1);
    }
    v->lua_ref = LUA_NOREF;
    free(v->error);
    v->error = NULL;
}

const char *rs_scn_vehicle_error(const rs_scn_vehicle *v)
{
    return v->error;
}

static bool event_time(const rs_scenario *s, const rs_scn_event *e, size_t i, uint32_t index, uint32_t *at)
{
    *at = e->at;
    if (e->share < 1) {
        uint64_t h = rs_scn_mix(s->seed, ((uint64_t)index << 16) | i, MIX_EVENT_SHARE);
        if ((double)(h >> 11) * 0x1.0p-53 >= e->share)
            return false;
    }
    if (e->jitter)
        *at += (uint32_t)(rs_scn_mix(s->seed, ((uint64_t)index << 16) | i, MIX_EVENT_JITTER) % (e->jitter + 1ULL));
    return true;
}

bool rs_scn_event_time(const rs_scenario *s, size_t i, uint32_t index, uint32_t *at)
{
    return i < s->n_ev && event_time(s, &s->ev[i], i, index, at);
}

static void apply(rs_vehicle *car, const rs_scn_event *e)
{
    switch (e->kind) {
    case RS_EV_IGNITION_ON: rs_vehicle_ignition(car, true); break;
    case RS_EV_IGNITION_OFF: rs_vehicle_ignition(car, false); break;
    /* a full DTC table keeps what it has, as an ECU would */
    case RS_EV_DTC_SET: (void)rs_vehicle_dtc_set(car, e->spn, e->fmi, e->mil, NULL); break;
    case RS_EV_DTC_CLEAR: rs_vehicle_dtc_clear(car, e->spn, e->fmi_clear); break;
    case RS_EV_SENSOR: (void)rs_vehicle_sensor(car, (rs_field_id)e->field, (rs_sensor_state)e->sensor, NULL); break;
    case RS_EV_DPF_REGEN: rs_vehicle_dpf_regen(car); break;
    default: break; /* terminal-side: reported only */
    }
}

static void stop(rs_scn_vehicle *v, const char *what)
{
    char buf[768];
    snprintf(buf, sizeof buf, "%s (vehicle %u, t=%u s)", what ? what : "(error object is not a string)",
             v->index, v->t);
    free(v->error);
    v->error = strdup(buf);
    if (!v->error)
        v->error = strdup("out of memory");
}

static bool run_hook(rs_scenario *s, rs_scn_vehicle *v, rs_sample *out)
{
    lua_State *L = s->L;
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 6)) {
        stop(v, "Lua stack exhausted");
        return false;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref_hook);
    lua_pushinteger(L, v->t);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref_sample);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref_vehicles);
    lua_rawgeti(L, -1, v->lua_ref);
    lua_remove(L, -2);
    s->ctx->s = out;
    s->ctx->v = v;
    int rc = lua_pcall(L, 3, 0, 0);
    s->ctx->s = NULL;
    s->ctx->v = NULL;
    if (rc != LUA_OK)
        stop(v, lua_tostring(L, -1));
    lua_settop(L, top);
    return rc == LUA_OK;
}

bool rs_scn_step(rs_scenario *s, rs_scn_vehicle *v, rs_sample *out, rs_scn_fired *fired)
{
    if (fired)
        fired->n = 0;
    if (v->error) {
        rs_sample_init(out);
        return false;
    }
    const uint32_t t = v->t;
    for (size_t i = 0; i < s->n_ev; i++) {
        const rs_scn_event *e = &s->ev[i];
        uint32_t at;
        if (e->at > t || !event_time(s, e, i, v->index, &at) || at != t)
            continue;
        apply(&v->car, e);
        if (fired && fired->n < RS_SCN_FIRED_MAX)
            fired->ev[fired->n++] = (uint16_t)i;
    }
    double speed = 0, grade = s->grade_c;
    uint32_t k = t;
    if (t >= s->n && s->at_end == RS_SCN_END_LOOP)
        k = t % s->n;
    if (k < s->n) {
        speed = s->speed[k];
        if (s->grade)
            grade = s->grade[k];
    } else if (s->at_end == RS_SCN_END_OFF && t == s->n) {
        rs_vehicle_ignition(&v->car, false);
    }
    rs_vehicle_step(&v->car, speed, grade, out);
    if (s->start_unix)
        out->collect = rs_time_from_unix(s->start_unix + t);
    bool ok = s->ref_hook == LUA_NOREF || run_hook(s, v, out);
    v->t++;
    if (!ok)
        rs_sample_init(out);
    return ok;
}
