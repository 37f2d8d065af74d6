/* Scenario: the C functions Lua sees — csv(path, column) for drive cycles,
 * and the sample userdata a hook reads and overrides.  One userdata serves
 * every vehicle (it points at the current sample during each call), so a
 * hook call allocates nothing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lua.h>

#include "scenario_int.h"

uint64_t rs_scn_mix(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t z = seed ^ (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xD1B54A32D192ED03ULL);
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

bool rs_scn_resolve(const rs_scenario *s, const char *rel, char *out, size_t cap, char *msg, size_t mcap)
{
    if (rel[0] == '/') {
        snprintf(out, cap, "%s", rel);
        if (exists(out))
            return true;
        snprintf(msg, mcap, "'%s' not found", rel);
        return false;
    }
    snprintf(out, cap, "%s/%s", s->dir, rel);
    if (exists(out))
        return true;
    snprintf(out, cap, "%s/%s", s->shared, rel);
    if (exists(out))
        return true;
    snprintf(msg, mcap, "'%s' not found in %s nor %s (set REMSIM_SHARED)", rel, s->dir, s->shared);
    return false;
}

/* Cell k (0-based) of a line, trimmed of blanks and quotes; sep ',' or ';'. */
static size_t cell(const char *line, size_t len, char sep, unsigned k, char *out, size_t cap)
{
    size_t i = 0;
    for (unsigned c = 0; c < k; c++) {
        while (i < len && line[i] != sep)
            i++;
        if (i >= len)
            return (size_t)-1;
        i++;
    }
    size_t j = i;
    while (j < len && line[j] != sep)
        j++;
    while (i < j && (line[i] == ' ' || line[i] == '"' || line[i] == '\t'))
        i++;
    while (j > i && (line[j - 1] == ' ' || line[j - 1] == '"' || line[j - 1] == '\r' || line[j - 1] == '\t'))
        j--;
    size_t n = j - i < cap - 1 ? j - i : cap - 1;
    memcpy(out, line + i, n);
    out[n] = 0;
    return n;
}

/* csv(path, column): column by header name or 1-based number.  Reads rows
 * until the column's first blank cell (cycles of different lengths share a
 * file).  Returns a "remsim.cycle" userdata. */
static int l_csv(lua_State *L)
{
    rs_scenario *s = lua_touserdata(L, lua_upvalueindex(1));
    const char *rel = luaL_checkstring(L, 1);
    char path[1024], msg[1200];
    if (!rs_scn_resolve(s, rel, path, sizeof path, msg, sizeof msg))
        return luaL_error(L, "csv: %s", msg);
    FILE *f = fopen(path, "rb");
    if (!f)
        return luaL_error(L, "csv: %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        fclose(f);
        return luaL_error(L, "csv: %s: read error", path);
    }
    fclose(f);
    buf[len] = 0;

    const char *p = buf, *end = buf + len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t hlen = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char sep = memchr(p, ',', hlen) ? ',' : ';';
    int col = -1;
    char name[128];
    if (lua_isinteger(L, 2)) {
        col = (int)lua_tointeger(L, 2) - 1;
    } else {
        const char *want = luaL_checkstring(L, 2);
        for (unsigned k = 0; cell(p, hlen, sep, k, name, sizeof name) != (size_t)-1; k++)
            if (strcmp(name, want) == 0) {
                col = (int)k;
                break;
            }
        if (col < 0) {
            free(buf);
            return luaL_error(L, "csv: %s: no column '%s' in the header", path, want);
        }
    }
    if (col < 0) {
        free(buf);
        return luaL_error(L, "csv: column numbers start at 1");
    }
    /* count rows for the allocation */
    size_t rows = 0;
    for (const char *q = buf; q < end; q++)
        rows += *q == '\n';
    rs_scn_cycle *c = lua_newuserdatauv(L, sizeof *c + (rows + 1) * sizeof(float), 0);
    c->n = 0;
    unsigned line_no = 1;
    p = nl ? nl + 1 : end;
    while (p < end) {
        line_no++;
        nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (cell(p, l, sep, (unsigned)col, name, sizeof name) == (size_t)-1 || name[0] == 0)
            break;
        char *e;
        double x = strtod(name, &e);
        if (*e || !isfinite(x)) {
            free(buf);
            return luaL_error(L, "csv: %s:%u: '%s' is not a number", path, line_no, name);
        }
        c->v[c->n++] = (float)x;
        p = nl ? nl + 1 : end;
    }
    free(buf);
    if (c->n == 0)
        return luaL_error(L, "csv: %s: column %d has no values", path, col + 1);
    luaL_setmetatable(L, RS_SCN_CYCLE_MT);
    return 1;
}

void rs_scn_push_csv(lua_State *L, rs_scenario *s)
{
    if (luaL_newmetatable(L, RS_SCN_CYCLE_MT)) {
        lua_pushstring(L, "cycle");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    lua_pushlightuserdata(L, s);
    lua_pushcclosure(L, l_csv, 1);
}

/* Pseudo-fields of the sample userdata beside the report fields. */
enum { PF_IGNITION = -1, PF_REGEN = -2, PF_SOOT = -3, PF_INDEX = -4, PF_T = -5 };

static int l_random(lua_State *L)
{
    rs_scn_hookctx *c = luaL_checkudata(L, 1, RS_SCN_SAMPLE_MT);
    if (!c->v)
        return luaL_error(L, "random: no vehicle");
    double u = rs_vehicle_random(&c->v->car);
    if (lua_gettop(L) >= 3) {
        double a = luaL_checknumber(L, 2), b = luaL_checknumber(L, 3);
        u = a + (b - a) * u;
    }
    lua_pushnumber(L, u);
    return 1;
}

static int l_index(lua_State *L)
{
    rs_scn_hookctx *c = lua_touserdata(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER)
        return 1; /* a method, or nil */
    int id = (int)lua_tointeger(L, -1);
    if (!c->s || !c->v)
        return luaL_error(L, "sample used outside a hook");
    const rs_vehicle *car = &c->v->car;
    switch (id) {
    case PF_IGNITION: lua_pushboolean(L, car->ignition); return 1;
    case PF_REGEN: lua_pushboolean(L, car->regen); return 1;
    case PF_SOOT: lua_pushnumber(L, car->soot); return 1;
    case PF_INDEX: lua_pushinteger(L, c->v->index); return 1;
    case PF_T: lua_pushinteger(L, c->v->t); return 1;
    default: break;
    }
    const rs_val *v = &c->s->v[id];
    if (v->state == RS_VALID)
        lua_pushnumber(L, v->value);
    else
        lua_pushnil(L);
    return 1;
}

static int l_newindex(lua_State *L)
{
    rs_scn_hookctx *c = lua_touserdata(L, 1);
    const char *key = luaL_checkstring(L, 2);
    lua_pushvalue(L, 2);
    int id = lua_rawget(L, lua_upvalueindex(1)) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : -100;
    lua_pop(L, 1);
    if (id < 0)
        return luaL_error(L, "sample has no writable field '%s'", key);
    if (!c->s)
        return luaL_error(L, "sample used outside a hook");
    rs_val *v = &c->s->v[id];
    const rs_field_desc *d = &rs_fields[id];
    if (lua_isnoneornil(L, 3) || (lua_isboolean(L, 3) && !lua_toboolean(L, 3))) {
        *v = rs_val_invalid();
    } else if (lua_type(L, 3) == LUA_TSTRING) {
        const char *st = lua_tostring(L, 3);
        if (strcmp(st, "abnormal") == 0)
            *v = (rs_val){ 0, 0, RS_ABNORMAL };
        else if (strcmp(st, "invalid") == 0)
            *v = rs_val_invalid();
        else
            return luaL_error(L, "%s: '%s' is neither a number, nil, \"invalid\" nor \"abnormal\"", key, st);
    } else {
        double x = luaL_checknumber(L, 3);
        /* kept encodable: a hook cannot put a value outside the field's range */
        double hi = d->kind == RS_KIND_SCALED ? (double)d->raw_max * d->scale + d->offset : d->raw_max;
        double lo = d->kind == RS_KIND_SCALED ? d->offset : 0;
        x = x < lo ? lo : x > hi ? hi : x;
        *v = rs_val_ok(x);
    }
    return 0;
}

void rs_scn_make_sample_udata(lua_State *L, rs_scenario *s)
{
    s->ctx = lua_newuserdatauv(L, sizeof *s->ctx, 0);
    s->ctx->s = NULL;
    s->ctx->v = NULL;
    luaL_newmetatable(L, RS_SCN_SAMPLE_MT);
    /* name -> field id (or pseudo id, or method), one lookup per access */
    lua_createtable(L, 0, RS_F_COUNT + 6);
    for (int i = 0; i < RS_F_COUNT; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, -2, rs_fields[i].name);
    }
    static const struct { const char *n; int id; } pf[] = {
        { "ignition", PF_IGNITION }, { "regen", PF_REGEN }, { "soot", PF_SOOT },
        { "index", PF_INDEX }, { "t", PF_T },
    };
    for (size_t i = 0; i < sizeof pf / sizeof pf[0]; i++) {
        lua_pushinteger(L, pf[i].id);
        lua_setfield(L, -2, pf[i].n);
    }
    lua_pushcfunction(L, l_random);
    lua_setfield(L, -2, "random");
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, l_index, 1);
    lua_setfield(L, -3, "__index");
    lua_pushcclosure(L, l_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushstring(L, "sample");
    lua_setfield(L, -2, "__name");
    lua_setmetatable(L, -2);
    s->ref_sample = luaL_ref(L, LUA_REGISTRYINDEX);
}
