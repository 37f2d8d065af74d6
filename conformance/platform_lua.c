/* The Lua API of the platform suite: what a case file sees
 * (docs/conformance-platform.md, "Writing a case").
 *
 *   connect([{link = "target"|"platform", timeout_ms = N}]) -> conn | nil, why
 *   conn:send(bytes | frame)               all of it, one write (coalesced if several frames)
 *   conn:send_raw(bytes, {split = N, delay_ms = M, wait = true})
 *                                          in chunks of N bytes, M ms apart; wait = false
 *                                          returns at once and the bytes trickle out while
 *                                          the case waits for anything else
 *   conn:flush([timeout_ms])               until queued bytes are written
 *   conn:recv([timeout_ms]) -> frame | nil, "timeout" | "closed" | "reset"
 *   conn:closed([wait_ms]) -> bool         did the platform close it (within wait_ms)?
 *   conn:state(), conn:peer(), conn:close()
 *   wire.vin() wire.login{} wire.logout{} wire.report{} wire.timecal{} wire.heartbeat{}
 *   wire.activation{} wire.plat_login{} wire.frame{} wire.decode(bytes [, link])
 *   corrupt(bytes, "bcc"|"length"|"length_short"|"command"|"signature"|"garbage")
 *   garbage(n [, seed])  now() mono() unix() sleep(ms) time_text(unix_s) hex(bytes)
 *   case(id)  pass(reason)  fail(reason [, evidence])  na(reason)  skip(reason)
 *   verdict(id, "pass"|"fail"|"na"|"skip", reason [, evidence])   (another case)
 *   latency(ms)  oracle(query) -> answer | nil, why   log(...)   ctx (the run's settings)
 *
 * A frame (what recv returns, and wire.decode) is a table: ok, cmd, resp,
 * vin, kind, len, bytes, data, time (Unix s of a 6-byte time at the start
 * of the data unit, when valid), status/info (activation answer), error and
 * code (when it did not decode), received_ms and source.
 *
 * Every call that waits moves every connection of the case (platform_net.c)
 * and stops at the case's time limit: the script then ends with a
 * "time limit" error, which the runner turns into a fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "conformance/platform_int.h"
#include "remsim/framelog.h"
#include "remsim/time.h"
#include "remsim/vin.h"

#define CONN_MT "remsim.platform.conn"

static pf_case *case_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

static int time_limit(lua_State *L, pf_case *cs)
{
    cs->timed_out = true;
    return luaL_error(L, "time limit of %u ms reached", cs->timeout_ms);
}

static void check_deadline(lua_State *L, pf_case *cs)
{
    if (cs->timed_out || pf_mono_ms() >= cs->deadline_ms)
        time_limit(L, cs);
}

static int64_t until_in(pf_case *cs, lua_Integer ms)
{
    int64_t u = pf_mono_ms() + (ms < 0 ? 0 : ms);
    return u < cs->deadline_ms ? u : cs->deadline_ms;
}

/* --- verdicts --- */

void pf_verdict(pf_case *cs, rs_case_id id, char kind, const char *reason, const rs_conf_ref *ref)
{
    rs_conf_run *run = cs->s->run;
    cs->recorded[id] = true;
    switch (kind) {
    case 'p':
        rs_conf_exercise(run, id, NULL);
        if (!cs->s->pass_note[id][0] && reason && *reason)
            snprintf(cs->s->pass_note[id], RS_CONF_TEXT_MAX, "%s", reason);
        break;
    case 'f':
        rs_conf_fail(run, id, rs_conf_severity(run, id), NULL, ref, "%s", reason ? reason : "failed");
        break;
    case 'n': rs_conf_not_applicable(run, id, reason); break;
    default: rs_conf_skip(run, id, reason); break;
    }
}

static rs_case_id check_case(lua_State *L, int idx)
{
    const char *id = luaL_checkstring(L, idx);
    int k = rs_conf_case_find(id);
    if (k < 0)
        luaL_error(L, "'%s' is not a case of the catalogue (remsim conform --list)", id);
    if (!(rs_conf_case_get((rs_case_id)k)->roles & RS_ROLE_PLATFORM))
        luaL_error(L, "'%s' is not a platform case", id);
    return (rs_case_id)k;
}

static int l_case(lua_State *L)
{
    pf_case *cs = case_of(L);
    cs->current = check_case(L, 1);
    return 0;
}

/* Evidence: the bytes sent (a string) or a frame table received. */
static bool evidence(lua_State *L, int idx, pf_case *cs, rs_conf_ref *ref)
{
    rs_conf_ref_init(ref);
    const uint8_t *b = NULL;
    size_t n = 0;
    if (lua_type(L, idx) == LUA_TSTRING) {
        b = (const uint8_t *)lua_tolstring(L, idx, &n);
        snprintf(ref->source, sizeof ref->source, "sent by remsim (%s)", cs->file);
    } else if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "bytes");
        if (lua_type(L, -1) == LUA_TSTRING)
            b = (const uint8_t *)lua_tolstring(L, -1, &n);
        lua_getfield(L, idx, "source");
        snprintf(ref->source, sizeof ref->source, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        lua_getfield(L, idx, "received_ms");
        ref->time_ms = (int64_t)lua_tointeger(L, -1);
        lua_pop(L, 3); /* b stays valid: the table holds the string */
    } else {
        return false;
    }
    if (b && n)
        rs_conf_ref_frame(ref, &cs->s->o->profile, b, n);
    return true;
}

static int verdict_fn(lua_State *L, char kind)
{
    pf_case *cs = case_of(L);
    const char *reason = luaL_optstring(L, 1, "");
    rs_conf_ref ref;
    bool have = kind == 'f' && evidence(L, 2, cs, &ref);
    pf_verdict(cs, cs->current, kind, reason, have ? &ref : NULL);
    return 0;
}

/* verdict(id, "pass"|"fail"|"na"|"skip", reason [, evidence]): for a case
 * other than the current one (the canary's 10/p-keeps-serving, the answer
 * checks of 5/p-answer-command), without switching to it. */
static int l_verdict(lua_State *L)
{
    pf_case *cs = case_of(L);
    rs_case_id id = check_case(L, 1);
    const char *k = luaL_checkstring(L, 2);
    char kind = !strcmp(k, "pass") ? 'p' : !strcmp(k, "fail") ? 'f' : !strcmp(k, "na") ? 'n' : !strcmp(k, "skip") ? 's' : 0;
    if (!kind)
        return luaL_error(L, "verdict: pass, fail, na or skip, not '%s'", k);
    rs_conf_ref ref;
    bool have = kind == 'f' && evidence(L, 4, cs, &ref);
    pf_verdict(cs, id, kind, luaL_optstring(L, 3, ""), have ? &ref : NULL);
    return 0;
}

static int l_pass(lua_State *L) { return verdict_fn(L, 'p'); }
static int l_fail(lua_State *L) { return verdict_fn(L, 'f'); }
static int l_na(lua_State *L) { return verdict_fn(L, 'n'); }
static int l_skip(lua_State *L) { return verdict_fn(L, 's'); }

static int l_latency(lua_State *L)
{
    pf_case *cs = case_of(L);
    double ms = luaL_checknumber(L, 1);
    if (ms >= 0)
        rs_hist_record(&cs->s->run->traffic.answer_latency, (uint64_t)(ms * 1000.0));
    return 0;
}

static int l_log(lua_State *L)
{
    pf_case *cs = case_of(L);
    if (!cs->s->o->verbose || !cs->s->o->progress)
        return 0;
    int n = lua_gettop(L);
    fprintf(cs->s->o->progress, "  %s:", cs->file);
    for (int i = 1; i <= n; i++)
        fprintf(cs->s->o->progress, " %s", luaL_tolstring(L, i, NULL));
    fputc('\n', cs->s->o->progress);
    return 0;
}

static int l_oracle(lua_State *L)
{
    pf_case *cs = case_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    return pf_oracle_query(cs->s, L, 1);
}

/* --- time --- */

static int l_now(lua_State *L) { lua_pushinteger(L, (lua_Integer)pf_wall_ms()); return 1; }
static int l_mono(lua_State *L) { lua_pushinteger(L, (lua_Integer)pf_mono_ms()); return 1; }
static int l_unix(lua_State *L) { lua_pushinteger(L, (lua_Integer)(pf_wall_ms() / 1000)); return 1; }

static int l_sleep(lua_State *L)
{
    pf_case *cs = case_of(L);
    lua_Integer ms = luaL_checkinteger(L, 1);
    if (!pf_pump(cs, until_in(cs, ms), NULL, NULL) || pf_mono_ms() >= cs->deadline_ms)
        return time_limit(L, cs);
    return 0;
}

static int l_time_text(lua_State *L)
{
    rs_time t = rs_time_from_unix((int64_t)luaL_checkinteger(L, 1));
    char b[RS_TIME_TEXT];
    rs_time_format(&t, b);
    lua_pushstring(L, b);
    return 1;
}

static int l_hex(lua_State *L)
{
    size_t n;
    const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, n * 2 + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02X", p[i]);
    luaL_pushresultsize(&b, n * 2);
    return 1;
}

/* --- frames --- */

static const rs_profile *link_profile(pf_case *cs, const char *link)
{
    return link && !strcmp(link, "platform") ? &cs->s->plat_profile : &cs->s->o->profile;
}

/* Pushes the table of a frame received (or given). */
static void push_frame(lua_State *L, pf_case *cs, const rs_profile *p, const uint8_t *f, size_t n,
                       const char *source, int64_t received_ms)
{
    rs_msg *m = cs->s->scratch;
    rs_err err;
    rs_code rc = rs_msg_decode(p, f, n, m, &err);
    lua_createtable(L, 0, 16);
    lua_pushboolean(L, rc == RS_OK);
    lua_setfield(L, -2, "ok");
    lua_pushlstring(L, (const char *)f, n);
    lua_setfield(L, -2, "bytes");
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "len");
    if (n > 2) {
        lua_pushinteger(L, f[2]);
        lua_setfield(L, -2, "cmd");
    }
    bool ev = p->proto == RS_PROTO_GB32960;
    size_t vin_at = ev ? 4 : 3;
    if (ev && n > 3) {
        lua_pushinteger(L, f[3]);
        lua_setfield(L, -2, "resp");
    }
    if (n >= vin_at + RS_VIN_LEN) {
        size_t k = RS_VIN_LEN;
        while (k > 0 && f[vin_at + k - 1] == 0)
            k--; /* a platform id is 0x00-padded */
        lua_pushlstring(L, (const char *)f + vin_at, k);
        lua_setfield(L, -2, "vin");
    }
    if (n >= RS_FRAME_OVERHEAD) {
        size_t dl = (size_t)f[22] << 8 | f[23];
        if (RS_FRAME_OVERHEAD + dl <= n) {
            lua_pushlstring(L, (const char *)f + RS_HEADER_LEN, dl);
            lua_setfield(L, -2, "data");
            if (dl >= RS_TIME_LEN) {
                rs_time t;
                rs_time_read(&t, f + RS_HEADER_LEN);
                if (rs_time_valid(&t)) {
                    lua_pushinteger(L, (lua_Integer)rs_time_to_unix(&t));
                    lua_setfield(L, -2, "time");
                }
            }
        }
    }
    if (rc == RS_OK) {
        lua_pushstring(L, rs_msg_kind_name((rs_msg_kind)m->kind));
        lua_setfield(L, -2, "kind");
        if (m->kind == RS_MSG_ACTIVATION_ANS) {
            lua_pushinteger(L, m->u.act_ans.status);
            lua_setfield(L, -2, "status");
            lua_pushinteger(L, m->u.act_ans.info);
            lua_setfield(L, -2, "info");
        }
    } else {
        char t[RS_CONF_TEXT_MAX];
        rs_err_format(&err, t, sizeof t);
        lua_pushstring(L, t);
        lua_setfield(L, -2, "error");
        lua_pushstring(L, rs_code_name(err.code));
        lua_setfield(L, -2, "code");
    }
    if (received_ms) {
        lua_pushinteger(L, (lua_Integer)received_ms);
        lua_setfield(L, -2, "received_ms");
    }
    lua_pushstring(L, source ? source : "");
    lua_setfield(L, -2, "source");
}

static void push_stream_error(lua_State *L, const rs_err *e, const char *source, int64_t received_ms)
{
    char t[RS_CONF_TEXT_MAX];
    rs_err_format(e, t, sizeof t);
    lua_createtable(L, 0, 6);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "ok");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "stream");
    lua_pushstring(L, t);
    lua_setfield(L, -2, "error");
    lua_pushstring(L, rs_code_name(e->code));
    lua_setfield(L, -2, "code");
    lua_pushinteger(L, (lua_Integer)received_ms);
    lua_setfield(L, -2, "received_ms");
    lua_pushstring(L, source);
    lua_setfield(L, -2, "source");
}

static int l_decode(lua_State *L)
{
    pf_case *cs = case_of(L);
    size_t n;
    const uint8_t *f = (const uint8_t *)luaL_checklstring(L, 1, &n);
    push_frame(L, cs, link_profile(cs, luaL_optstring(L, 2, "target")), f, n, "given", 0);
    return 1;
}

/* Options of a builder table. */
static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer def)
{
    lua_getfield(L, t, k);
    lua_Integer v = lua_isnil(L, -1) ? def : luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    return v;
}

static bool opt_bool(lua_State *L, int t, const char *k, bool def)
{
    lua_getfield(L, t, k);
    bool v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static double opt_num(lua_State *L, int t, const char *k, double def)
{
    lua_getfield(L, t, k);
    double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* A string option copied into out (cap bytes, NUL-terminated); def when absent. */
static size_t opt_str(lua_State *L, int t, const char *k, const char *def, char *out, size_t cap)
{
    lua_getfield(L, t, k);
    size_t n = 0;
    const char *s = lua_isnil(L, -1) ? def : luaL_checklstring(L, -1, &n);
    if (s == def)
        n = def ? strlen(def) : 0;
    if (n >= cap)
        n = cap - 1;
    if (s)
        memcpy(out, s, n);
    out[n] = 0;
    lua_pop(L, 1);
    return n;
}

static void opt_vin(lua_State *L, int t, const char *k, uint8_t vin[RS_VIN_LEN])
{
    char b[RS_VIN_LEN + 1];
    size_t n = opt_str(L, t, k, NULL, b, sizeof b);
    if (n != RS_VIN_LEN)
        luaL_error(L, "%s: a VIN of 17 characters (wire.vin() makes one)", k);
    memcpy(vin, b, RS_VIN_LEN);
}

/* The frame a builder made, as a Lua string, or its error raised. */
static int push_built(lua_State *L, bool ok, const pf_built *f)
{
    if (!ok)
        return luaL_error(L, "%s", f->why);
    lua_pushlstring(L, (const char *)f->b, f->len);
    return 1;
}

/* The builders' argument: a table with the VIN in field vin. */
static void args_vin(lua_State *L, uint8_t vin[RS_VIN_LEN])
{
    luaL_checktype(L, 1, LUA_TTABLE);
    opt_vin(L, 1, "vin", vin);
}

static int l_wire_vin(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    pf_wire_vin(cs->s, vin);
    lua_pushlstring(L, (const char *)vin, RS_VIN_LEN);
    return 1;
}

static int64_t now_s(void) { return pf_wall_ms() / 1000; }

static int l_wire_login(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    args_vin(L, vin);
    pf_built f;
    bool ok = pf_wire_login(cs->s, vin, (uint16_t)opt_int(L, 1, "serial", 1), opt_int(L, 1, "time", now_s()), &f);
    return push_built(L, ok, &f);
}

static int l_wire_logout(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    args_vin(L, vin);
    pf_built f;
    bool ok = pf_wire_logout(cs->s, vin, (uint16_t)opt_int(L, 1, "serial", 1), opt_int(L, 1, "time", now_s()), &f);
    return push_built(L, ok, &f);
}

static int l_wire_report(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    args_vin(L, vin);
    pf_report_spec r;
    r.cmd = opt_bool(L, 1, "reissue", false) ? RS_CMD_REISSUE : RS_CMD_REALTIME;
    r.samples = (unsigned)opt_int(L, 1, "samples", 1);
    r.first_s = opt_int(L, 1, "first", now_s() - (lua_Integer)r.samples);
    r.serial = (uint16_t)opt_int(L, 1, "serial", 1);
    r.obd = opt_bool(L, 1, "obd", false);
    r.speed = opt_num(L, 1, "speed", 50);
    pf_built f;
    return push_built(L, pf_wire_report(cs->s, vin, &r, &f), &f);
}

static int l_wire_timecal(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    args_vin(L, vin);
    pf_built f;
    return push_built(L, pf_wire_timecal(cs->s, vin, &f), &f);
}

static int l_wire_heartbeat(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    args_vin(L, vin);
    pf_built f;
    return push_built(L, pf_wire_heartbeat(cs->s, vin, &f), &f);
}

static int l_wire_activation(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN], body[RS_VIN_LEN];
    args_vin(L, vin);
    pf_act_spec a;
    memset(&a, 0, sizeof a);
    lua_getfield(L, 1, "body_vin");
    bool other = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (other) {
        opt_vin(L, 1, "body_vin", body);
        a.body_vin = body;
    }
    char chip[RS_CHIP_ID_LEN + 1], def[RS_CHIP_ID_LEN + 1];
    snprintf(def, sizeof def, "PF%.14s", (const char *)vin + 3);
    if (opt_str(L, 1, "chip", def, chip, sizeof chip) != RS_CHIP_ID_LEN)
        return luaL_error(L, "chip: a security chip ID of 16 characters");
    memcpy(a.chip, chip, RS_CHIP_ID_LEN);
    a.key_seed = (uint64_t)opt_int(L, 1, "key_seed", (lua_Integer)cs->s->o->seed);
    a.no_sig = opt_bool(L, 1, "unsigned", false);
    pf_built f;
    return push_built(L, pf_wire_activation(cs->s, vin, &a, opt_int(L, 1, "time", now_s()), &f), &f);
}

static int l_wire_plat_login(lua_State *L)
{
    pf_case *cs = case_of(L);
    const rs_platform_opts *o = cs->s->o;
    luaL_checktype(L, 1, LUA_TTABLE);
    char id[RS_VIN_LEN + 1], user[13], pw[21];
    opt_str(L, 1, "id", o->plat_id, id, sizeof id);
    opt_str(L, 1, "user", o->plat_user, user, sizeof user);
    opt_str(L, 1, "password", o->plat_password, pw, sizeof pw);
    pf_built f;
    bool ok = pf_wire_plat_login(cs->s, id, (uint16_t)opt_int(L, 1, "serial", 1), user, pw,
                                 opt_int(L, 1, "time", now_s()), &f);
    return push_built(L, ok, &f);
}

static int l_wire_frame(lua_State *L)
{
    pf_case *cs = case_of(L);
    uint8_t vin[RS_VIN_LEN];
    args_vin(L, vin);
    lua_getfield(L, 1, "data");
    size_t n = 0;
    const char *data = lua_isnil(L, -1) ? "" : luaL_checklstring(L, -1, &n);
    char link[16];
    opt_str(L, 1, "link", "target", link, sizeof link);
    const rs_profile *p = link_profile(cs, link);
    uint8_t resp = (uint8_t)opt_int(L, 1, "resp", p->proto == RS_PROTO_GB32960 ? RS_RESP_REQUEST : 0);
    size_t cap = n + RS_FRAME_OVERHEAD;
    uint8_t *out = malloc(cap);
    if (!out)
        return luaL_error(L, "out of memory");
    size_t len;
    char why[PF_ERR_TEXT];
    bool ok = pf_wire_frame(p, (uint8_t)opt_int(L, 1, "cmd", 0x02), resp, vin, (const uint8_t *)data, n, out, cap,
                            &len, why, sizeof why);
    if (ok)
        lua_pushlstring(L, (const char *)out, len);
    free(out);
    if (!ok)
        return luaL_error(L, "%s", why);
    return 1;
}

/* Deterministic bytes with no start-byte pair (## or ~~) and no lone start
 * byte at either end, so the case tests resynchronisation, not the luck of
 * a false header. */
static void fill_garbage(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint8_t b = (uint8_t)(x >> 24);
        if (b == 0x23 || b == 0x7E || b == 0x24)
            b ^= 0x40;
        p[i] = b;
    }
}

static int l_garbage(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 0 || n > 1 << 20)
        return luaL_error(L, "garbage: 0 to 1 MiB");
    uint64_t seed = (uint64_t)luaL_optinteger(L, 2, 1);
    luaL_Buffer b;
    uint8_t *p = (uint8_t *)luaL_buffinitsize(L, &b, (size_t)n);
    fill_garbage(p, (size_t)n, seed);
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

/* corrupt(bytes, how): a copy of a frame broken one way. */
static int l_corrupt(lua_State *L)
{
    size_t n;
    const uint8_t *f = (const uint8_t *)luaL_checklstring(L, 1, &n);
    const char *how = luaL_checkstring(L, 2);
    if (n < RS_FRAME_OVERHEAD)
        return luaL_error(L, "corrupt: not a frame (%d bytes at least)", RS_FRAME_OVERHEAD);
    uint8_t *c = malloc(n);
    if (!c)
        return luaL_error(L, "out of memory");
    memcpy(c, f, n);
    if (!strcmp(how, "bcc")) {
        c[n - 1] ^= 0x55;
    } else if (!strcmp(how, "length") || !strcmp(how, "length_short")) {
        /* the length field says one byte more (or less) than the frame holds;
         * BCC recomputed, so only the length is wrong */
        unsigned dl = (unsigned)c[22] << 8 | c[23];
        dl = how[6] ? (dl ? dl - 1 : 0) : dl + 1;
        c[22] = (uint8_t)(dl >> 8);
        c[23] = (uint8_t)dl;
        c[n - 1] = rs_bcc(c + 2, n - 3);
    } else if (!strcmp(how, "command")) {
        c[2] = 0x6E; /* reserved in every profile (§4) */
        c[n - 1] = rs_bcc(c + 2, n - 3);
    } else if (!strcmp(how, "signature")) {
        /* one bit of S in the trailing HJ signature block (§9.1), BCC
         * recomputed: the frame is well formed and its signature false */
        if (n < RS_FRAME_OVERHEAD + RS_SIG_BLOCK_LEN) {
            free(c);
            return luaL_error(L, "corrupt: no signature block in a frame this short");
        }
        c[n - 2] ^= 0x01;
        c[n - 1] = rs_bcc(c + 2, n - 3);
    } else if (!strcmp(how, "garbage")) {
        fill_garbage(c, n, n);
    } else {
        free(c);
        return luaL_error(L, "corrupt: how is bcc, length, length_short, command, signature or garbage");
    }
    lua_pushlstring(L, (const char *)c, n);
    free(c);
    return 1;
}

/* --- connections --- */

typedef struct conn_ud {
    pf_conn *c;
} conn_ud;

static pf_conn *check_conn(lua_State *L, int idx, bool open)
{
    conn_ud *u = luaL_checkudata(L, idx, CONN_MT);
    if (!u->c)
        luaL_error(L, "the connection is gone");
    if (open && u->c->closed)
        luaL_error(L, "the connection was closed by the case");
    return u->c;
}

static int l_connect(lua_State *L)
{
    pf_case *cs = case_of(L);
    check_deadline(L, cs);
    const pf_suite *s = cs->s;
    char link[16] = "target";
    unsigned timeout = 5000;
    if (lua_istable(L, 1)) {
        opt_str(L, 1, "link", "target", link, sizeof link);
        timeout = (unsigned)opt_int(L, 1, "timeout_ms", 5000);
    }
    bool plat = !strcmp(link, "platform");
    if (plat && !s->o->plat_target) {
        lua_pushnil(L);
        lua_pushstring(L, "no forwarding-link receiver given (--plat-target)");
        return 2;
    }
    char why[PF_ERR_TEXT];
    pf_conn *c = pf_conn_open(cs, plat ? s->plat_host : s->host, plat ? s->plat_port : s->port,
                              plat ? &s->plat_profile : &s->o->profile, !plat, timeout, why, sizeof why);
    if (!c) {
        check_deadline(L, cs);
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    conn_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->c = c;
    luaL_setmetatable(L, CONN_MT);
    return 1;
}

static const uint8_t *bytes_arg(lua_State *L, int idx, size_t *n)
{
    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "bytes");
        const uint8_t *p = (const uint8_t *)luaL_checklstring(L, -1, n);
        lua_pop(L, 1); /* the table keeps the string */
        return p;
    }
    return (const uint8_t *)luaL_checklstring(L, idx, n);
}

/* Counts the whole frames (start pair, length, BCC) in bytes a case sends,
 * for the report's traffic: the cases send frames, garbage and broken
 * frames mixed, so only what a checking reassembler would take counts.  A
 * frame split over several send calls is not seen (the storm's half
 * logins are not frames anyway). */
static void count_sent(rs_conf_traffic *tr, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i + RS_FRAME_OVERHEAD <= n) {
        if (p[i] == p[i + 1] && (p[i] == 0x23 || p[i] == 0x7E)) {
            size_t total = RS_FRAME_OVERHEAD + ((size_t)p[i + 22] << 8 | p[i + 23]);
            if (i + total <= n && rs_bcc(p + i + 2, total - 3) == p[i + total - 1]) {
                tr->frames++;
                tr->frames_by_cmd[p[i + 2]]++;
                i += total;
                continue;
            }
        }
        i++;
    }
}

static int send_common(lua_State *L, pf_conn *c, const uint8_t *p, size_t n, unsigned split, unsigned delay,
                       bool wait)
{
    pf_case *cs = c->cs;
    check_deadline(L, cs);
    char why[PF_ERR_TEXT];
    if (!pf_conn_queue(c, p, n, split, delay, why, sizeof why)) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    count_sent(&cs->s->run->traffic, p, n);
    if (wait) {
        bool ok = pf_conn_flush(c, cs->deadline_ms);
        if (cs->timed_out)
            return time_limit(L, cs);
        if (!ok) {
            lua_pushnil(L);
            lua_pushfstring(L, "sending to %s failed: the connection is %s", c->peer, pf_conn_state(c));
            return 2;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_conn_send(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, true);
    size_t n;
    const uint8_t *p = bytes_arg(L, 2, &n);
    return send_common(L, c, p, n, 0, 0, true);
}

static int l_conn_send_raw(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, true);
    size_t n;
    const uint8_t *p = bytes_arg(L, 2, &n);
    unsigned split = 0, delay = 0;
    bool wait = true;
    if (lua_istable(L, 3)) {
        lua_Integer sp = opt_int(L, 3, "split", 0), dl = opt_int(L, 3, "delay_ms", 0);
        if (sp < 0 || dl < 0 || dl > 600000)
            return luaL_error(L, "send_raw: split >= 0, 0 <= delay_ms <= 600000");
        split = (unsigned)sp;
        delay = (unsigned)dl;
        wait = opt_bool(L, 3, "wait", true);
    }
    return send_common(L, c, p, n, split, delay, wait);
}

static int l_conn_flush(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, true);
    pf_case *cs = c->cs;
    bool ok = pf_conn_flush(c, until_in(cs, luaL_optinteger(L, 2, 600000)));
    if (cs->timed_out)
        return time_limit(L, cs);
    lua_pushboolean(L, ok);
    return 1;
}

static void source_text(const pf_conn *c, char *out, size_t cap)
{
    snprintf(out, cap, "tcp %s > %s", c->peer, c->local);
}

static int l_conn_recv(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, false);
    pf_case *cs = c->cs;
    check_deadline(L, cs);
    lua_Integer ms = luaL_optinteger(L, 2, (lua_Integer)cs->s->o->answer_wait_ms);
    const uint8_t *f;
    size_t len;
    rs_err err;
    int r = pf_conn_recv(c, until_in(cs, ms), &f, &len, &err);
    char src[256];
    source_text(c, src, sizeof src);
    if (r == 1) {
        cs->s->run->traffic.downlink_frames++;
        push_frame(L, cs, c->profile, f, len, src, c->last_read_ms);
        return 1;
    }
    if (r == 2) {
        push_stream_error(L, &err, src, c->last_read_ms);
        return 1;
    }
    if (r == 0 && cs->timed_out)
        return time_limit(L, cs);
    lua_pushnil(L);
    lua_pushstring(L, r == 0 ? "timeout" : c->reset ? "reset" : "closed");
    return 2;
}

static bool peer_gone(void *ctx)
{
    pf_conn *c = ctx;
    return c->eof || c->closed;
}

static int l_conn_closed(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, false);
    pf_case *cs = c->cs;
    lua_Integer ms = luaL_optinteger(L, 2, 0);
    if (!c->eof && !c->closed && ms > 0) {
        pf_pump(cs, until_in(cs, ms), peer_gone, c);
        if (cs->timed_out)
            return time_limit(L, cs);
    } else if (!c->eof && !c->closed) {
        pf_pump(cs, pf_mono_ms(), peer_gone, c); /* one look */
    }
    lua_pushboolean(L, c->eof && !c->closed);
    return 1;
}

static int l_conn_state(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, false);
    lua_pushstring(L, pf_conn_state(c));
    return 1;
}

static int l_conn_peer(lua_State *L)
{
    pf_conn *c = check_conn(L, 1, false);
    lua_pushstring(L, c->peer);
    lua_pushstring(L, c->local);
    return 2;
}

static int l_conn_close(lua_State *L)
{
    conn_ud *u = luaL_checkudata(L, 1, CONN_MT);
    if (u->c)
        pf_conn_close(u->c);
    return 0;
}

/* --- the state --- */

static void put_fn(lua_State *L, pf_case *cs, const char *name, lua_CFunction f)
{
    lua_pushlightuserdata(L, cs);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

static void deadline_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_getfield(L, LUA_REGISTRYINDEX, "remsim.case");
    pf_case *cs = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (cs && pf_mono_ms() >= cs->deadline_ms)
        time_limit(L, cs);
}

static void set_ctx(lua_State *L, pf_case *cs)
{
    const rs_platform_opts *o = cs->s->o;
    lua_createtable(L, 0, 20);
    lua_pushstring(L, rs_proto_name(o->profile.proto));
    lua_setfield(L, -2, "profile");
    lua_pushstring(L, o->target);
    lua_setfield(L, -2, "target");
    lua_pushboolean(L, o->profile.strict);
    lua_setfield(L, -2, "strict");
    lua_pushinteger(L, o->timecal_limit_ms);
    lua_setfield(L, -2, "timecal_limit_ms");
    lua_pushinteger(L, o->answer_wait_ms);
    lua_setfield(L, -2, "answer_wait_ms");
    lua_pushboolean(L, o->national);
    lua_setfield(L, -2, "national");
    if (o->plat_target) {
        lua_pushstring(L, o->plat_target);
        lua_setfield(L, -2, "plat_target");
    }
    lua_pushinteger(L, o->storm);
    lua_setfield(L, -2, "storm");
    lua_pushinteger(L, o->concurrency);
    lua_setfield(L, -2, "concurrency");
    lua_pushinteger(L, o->slow_ms);
    lua_setfield(L, -2, "slow_ms");
    lua_pushboolean(L, o->oracle && *o->oracle);
    lua_setfield(L, -2, "has_oracle");
    lua_pushboolean(L, cs->s->sm2 != NULL);
    lua_setfield(L, -2, "can_sign");
    lua_pushboolean(L, o->tls.enabled);
    lua_setfield(L, -2, "tls");
    lua_pushinteger(L, cs->timeout_ms);
    lua_setfield(L, -2, "timeout_ms");
    lua_pushstring(L, cs->file);
    lua_setfield(L, -2, "file");
    lua_setglobal(L, "ctx");
}

void pf_lua_open(pf_case *cs, const char *dir)
{
    lua_State *L = cs->L;
    /* no io, os or debug: a case talks to the platform through this API
     * only (the oracle hook is where local access belongs) */
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base }, { LUA_LOADLIBNAME, luaopen_package }, { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string }, { LUA_MATHLIBNAME, luaopen_math }, { LUA_UTF8LIBNAME, luaopen_utf8 },
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/lib/?.lua;%s/?.lua", dir, dir);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, "");
    lua_setfield(L, -2, "cpath"); /* no native modules */
    lua_pop(L, 1);
    lua_pushlightuserdata(L, cs);
    lua_setfield(L, LUA_REGISTRYINDEX, "remsim.case");

    if (luaL_newmetatable(L, CONN_MT)) {
        lua_createtable(L, 0, 10);
        put_fn(L, cs, "send", l_conn_send);
        put_fn(L, cs, "send_raw", l_conn_send_raw);
        put_fn(L, cs, "flush", l_conn_flush);
        put_fn(L, cs, "recv", l_conn_recv);
        put_fn(L, cs, "closed", l_conn_closed);
        put_fn(L, cs, "state", l_conn_state);
        put_fn(L, cs, "peer", l_conn_peer);
        put_fn(L, cs, "close", l_conn_close);
        lua_setfield(L, -2, "__index");
        put_fn(L, cs, "__gc", l_conn_close);
    }
    lua_pop(L, 1);

    lua_pushglobaltable(L);
    put_fn(L, cs, "connect", l_connect);
    put_fn(L, cs, "corrupt", l_corrupt);
    put_fn(L, cs, "garbage", l_garbage);
    put_fn(L, cs, "now", l_now);
    put_fn(L, cs, "mono", l_mono);
    put_fn(L, cs, "unix", l_unix);
    put_fn(L, cs, "sleep", l_sleep);
    put_fn(L, cs, "time_text", l_time_text);
    put_fn(L, cs, "hex", l_hex);
    put_fn(L, cs, "case", l_case);
    put_fn(L, cs, "verdict", l_verdict);
    put_fn(L, cs, "pass", l_pass);
    put_fn(L, cs, "fail", l_fail);
    put_fn(L, cs, "na", l_na);
    put_fn(L, cs, "skip", l_skip);
    put_fn(L, cs, "latency", l_latency);
    put_fn(L, cs, "oracle", l_oracle);
    put_fn(L, cs, "log", l_log);
    lua_pop(L, 1);

    lua_createtable(L, 0, 12);
    put_fn(L, cs, "vin", l_wire_vin);
    put_fn(L, cs, "login", l_wire_login);
    put_fn(L, cs, "logout", l_wire_logout);
    put_fn(L, cs, "report", l_wire_report);
    put_fn(L, cs, "timecal", l_wire_timecal);
    put_fn(L, cs, "heartbeat", l_wire_heartbeat);
    put_fn(L, cs, "activation", l_wire_activation);
    put_fn(L, cs, "plat_login", l_wire_plat_login);
    put_fn(L, cs, "frame", l_wire_frame);
    put_fn(L, cs, "decode", l_decode);
    lua_setglobal(L, "wire");

    set_ctx(L, cs);
    lua_sethook(L, deadline_hook, LUA_MASKCOUNT, 10000);
}
