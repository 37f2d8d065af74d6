/* The oracle: what the platform under test says it stored.
 *
 * GB 17691 defines almost no answers, so a platform's silence says nothing
 * about whether it kept a report.  --oracle lets the user plug in a way to
 * ask: a command, or a Lua hook file (a value ending in ".lua" that names a
 * file).  Both speak the same protocol (docs/conformance-platform.md,
 * "The oracle"): a query is one JSON object, the answer one JSON object.
 *
 *   command    /bin/sh -c CMD per query: the query on stdin (one line), the
 *              answer on stdout; exit status 0.  Killed (its process group)
 *              when it takes longer than --oracle-timeout.
 *   Lua hook   the file returns function(query) -> answer table; it is
 *              loaded once per run into its own Lua state with the full
 *              standard library (io, os: it may read a database dump or
 *              call a client), and kept for every query.
 *
 * Queries and answers cross as JSON text in both cases, so a hook sees
 * exactly what a command would. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "conformance/platform_int.h"
#include "remsim/json.h"
#include "remsim/json_read.h"

#define ORACLE_QUERY_MAX 65536
#define ORACLE_ANSWER_MAX (1u << 20)
#define ORACLE_NODES_MAX 200000

/* --- Lua <-> JSON --- */

static bool is_array(lua_State *L, int idx, size_t *n)
{
    *n = lua_rawlen(L, idx);
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        lua_pop(L, 1);
    }
    return *n > 0 && count == *n;
}

static bool to_json(lua_State *L, int idx, rs_json *j, int depth, char *why, size_t why_cap)
{
    idx = lua_absindex(L, idx);
    if (depth > 16) {
        snprintf(why, why_cap, "the value nests deeper than 16 levels");
        return false;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: rs_json_null(j); return true;
    case LUA_TBOOLEAN: rs_json_bool(j, lua_toboolean(L, idx)); return true;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            rs_json_int(j, (long long)lua_tointeger(L, idx));
        else
            rs_json_double(j, lua_tonumber(L, idx), 6);
        return true;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        rs_json_strn(j, s, n);
        return true;
    }
    case LUA_TTABLE: {
        size_t n;
        if (is_array(L, idx, &n)) {
            rs_json_arr_begin(j);
            for (size_t i = 1; i <= n; i++) {
                lua_rawgeti(L, idx, (lua_Integer)i);
                bool ok = to_json(L, -1, j, depth + 1, why, why_cap);
                lua_pop(L, 1);
                if (!ok)
                    return false;
            }
            rs_json_arr_end(j);
            return true;
        }
        rs_json_obj_begin(j);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pushvalue(L, -2); /* a copy: tostring on the key itself would confuse lua_next */
            const char *k = lua_tostring(L, -1);
            if (!k) {
                lua_pop(L, 3);
                snprintf(why, why_cap, "object keys are strings or numbers");
                return false;
            }
            rs_json_key(j, k);
            lua_pop(L, 1);
            bool ok = to_json(L, -1, j, depth + 1, why, why_cap);
            lua_pop(L, 1);
            if (!ok) {
                lua_pop(L, 1);
                return false;
            }
        }
        rs_json_obj_end(j);
        return true;
    }
    default:
        snprintf(why, why_cap, "a %s cannot be sent as JSON", luaL_typename(L, idx));
        return false;
    }
}

bool pf_lua_to_json(lua_State *L, int idx, char *buf, size_t cap, char *why, size_t why_cap)
{
    rs_json j;
    rs_json_init_buf(&j, buf, cap, false);
    if (!to_json(L, idx, &j, 0, why, why_cap))
        return false;
    rs_err err;
    if (rs_json_status(&j, &err) != RS_OK) {
        rs_err_format(&err, why, why_cap);
        return false;
    }
    return true;
}

static bool push_node(lua_State *L, const rs_jr_doc *d, uint32_t i, char *why, size_t why_cap)
{
    rs_err err;
    luaL_checkstack(L, 4, "JSON nesting");
    switch (rs_jr_type_of(d, i)) {
    case RS_JR_NULL: lua_pushnil(L); return true;
    case RS_JR_FALSE: lua_pushboolean(L, 0); return true;
    case RS_JR_TRUE: lua_pushboolean(L, 1); return true;
    case RS_JR_NUMBER: {
        int64_t v;
        double x;
        if (rs_jr_i64(d, i, "number", &v, NULL) == RS_OK)
            lua_pushinteger(L, (lua_Integer)v);
        else if (rs_jr_double(d, i, "number", &x, &err) == RS_OK)
            lua_pushnumber(L, x);
        else
            lua_pushnil(L);
        return true;
    }
    case RS_JR_STRING: {
        size_t cap = d->nodes[i].len + 1, n = 0;
        char *b = malloc(cap);
        if (!b || rs_jr_str(d, i, "string", b, cap, &n, &err) != RS_OK) {
            free(b);
            snprintf(why, why_cap, "a string of the answer cannot be read");
            return false;
        }
        lua_pushlstring(L, b, n);
        free(b);
        return true;
    }
    case RS_JR_ARRAY: {
        lua_createtable(L, (int)rs_jr_count(d, i), 0);
        lua_Integer k = 1;
        for (uint32_t c = rs_jr_first(d, i); c != RS_JR_NONE && c < d->nodes[i].end; c = rs_jr_next(d, c)) {
            if (!push_node(L, d, c, why, why_cap))
                return false;
            lua_rawseti(L, -2, k++);
        }
        return true;
    }
    case RS_JR_OBJECT: {
        lua_createtable(L, 0, (int)rs_jr_count(d, i));
        for (uint32_t c = rs_jr_first(d, i); c != RS_JR_NONE && c < d->nodes[i].end;) {
            if (!push_node(L, d, c, why, why_cap)) /* key */
                return false;
            uint32_t v = rs_jr_next(d, c);
            if (!push_node(L, d, v, why, why_cap))
                return false;
            lua_rawset(L, -3);
            c = rs_jr_next(d, v);
        }
        return true;
    }
    }
    lua_pushnil(L);
    return true;
}

bool pf_json_to_lua(lua_State *L, const char *text, size_t len, char *why, size_t why_cap)
{
    rs_jr_doc d;
    rs_err err;
    if (rs_jr_parse_alloc(&d, text, len, ORACLE_NODES_MAX, &err) != RS_OK) {
        char t[200];
        rs_err_format(&err, t, sizeof t);
        snprintf(why, why_cap, "the answer is not JSON: %s", t);
        rs_jr_free(&d);
        return false;
    }
    int top = lua_gettop(L);
    bool ok = push_node(L, &d, 0, why, why_cap);
    rs_jr_free(&d);
    if (!ok)
        lua_settop(L, top);
    return ok;
}

/* --- the two kinds of oracle --- */

static bool is_lua_file(const char *s)
{
    size_t n = strlen(s);
    struct stat st;
    return n > 4 && !strcmp(s + n - 4, ".lua") && stat(s, &st) == 0 && S_ISREG(st.st_mode);
}

rs_code pf_oracle_open(pf_suite *s, rs_err *err, char *why, size_t why_cap)
{
    s->oracle_L = NULL;
    s->oracle_ref = LUA_NOREF;
    const char *o = s->o->oracle;
    if (!o || !*o || !is_lua_file(o))
        return RS_OK;
    lua_State *L = luaL_newstate();
    if (!L)
        return rs_fail(err, RS_E_LIMIT, 0, "oracle", "a Lua state for the oracle hook", 0, 0, RS_NUM_NONE);
    luaL_openlibs(L);
    if (luaL_loadfilex(L, o, "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        snprintf(why, why_cap, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
        lua_close(L);
        return rs_fail(err, RS_E_OPTION, 0, "oracle", "the oracle hook file loads", 0, 0, RS_NUM_NONE);
    }
    if (!lua_isfunction(L, -1)) {
        snprintf(why, why_cap, "%s must return a function(query) -> answer", o);
        lua_close(L);
        return rs_fail(err, RS_E_OPTION, 0, "oracle", "the oracle hook file returns a function", 0, 0,
                       RS_NUM_NONE);
    }
    s->oracle_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s->oracle_L = L;
    return RS_OK;
}

void pf_oracle_close(pf_suite *s)
{
    if (s->oracle_L)
        lua_close(s->oracle_L);
    s->oracle_L = NULL;
}

static int push_fail(lua_State *L, const char *why)
{
    lua_pushnil(L);
    lua_pushstring(L, why);
    return 2;
}

/* Runs the command with the query on stdin; the answer into out (malloc'd). */
static bool run_command(const char *cmd, const char *query, int64_t until, char **out, size_t *out_len, char *why,
                        size_t why_cap)
{
    int in[2], outp[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        snprintf(why, why_cap, "pipe: %s", strerror(errno));
        return false;
    }
    if (pipe2(outp, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        snprintf(why, why_cap, "pipe: %s", strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_cap, "fork: %s", strerror(errno));
        close(in[0]), close(in[1]), close(outp[0]), close(outp[1]);
        return false;
    }
    if (pid == 0) {
        setpgid(0, 0); /* so a timeout ends what the shell started too */
        dup2(in[0], 0);
        dup2(outp[1], 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(in[0]);
    close(outp[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t qn = strlen(query), qoff = 0;
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(outp[0], F_SETFL, O_NONBLOCK);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    bool done = false, timed_out = false, ok = buf != NULL;
    int wfd = in[1];
    while (ok && !done) {
        int64_t left = until - pf_mono_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pf[2] = { { outp[0], POLLIN, 0 }, { wfd, POLLOUT, 0 } };
        int k = poll(pf, wfd >= 0 ? 2 : 1, (int)(left < 1000 ? left : 1000));
        if (k < 0 && errno != EINTR)
            break;
        if (wfd >= 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(wfd, query + qoff, qn - qoff);
            if (w > 0)
                qoff += (size_t)w;
            if (w < 0 && errno != EAGAIN) /* it does not read its stdin: fine */
                qoff = qn;
            if (qoff == qn) {
                close(wfd);
                wfd = -1;
            }
        }
        if (pf[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            if (n + 1 >= cap) {
                if (cap >= ORACLE_ANSWER_MAX) {
                    snprintf(why, why_cap, "the oracle answered more than %u bytes", ORACLE_ANSWER_MAX);
                    ok = false;
                    break;
                }
                char *nb = realloc(buf, cap * 2);
                if (!nb) {
                    ok = false;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            ssize_t r = read(outp[0], buf + n, cap - 1 - n);
            if (r > 0)
                n += (size_t)r;
            else if (r == 0)
                done = true;
            else if (errno != EAGAIN && errno != EINTR)
                done = true;
        }
    }
    if (wfd >= 0)
        close(wfd);
    close(outp[0]);
    if (timed_out || !done)
        kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        snprintf(why, why_cap, "the oracle did not answer in time (--oracle-timeout)");
        ok = false;
    } else if (ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        snprintf(why, why_cap, "the oracle command ended with %s %d", WIFEXITED(status) ? "status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        ok = false;
    }
    if (!ok) {
        free(buf);
        return false;
    }
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return true;
}

int pf_oracle_query(pf_suite *s, lua_State *L, int q)
{
    const char *o = s->o->oracle;
    if (!o || !*o)
        return push_fail(L, "no oracle (--oracle)");
    char why[PF_ERR_TEXT];
    char *query = malloc(ORACLE_QUERY_MAX);
    if (!query)
        return push_fail(L, "out of memory");
    if (!pf_lua_to_json(L, q, query, ORACLE_QUERY_MAX, why, sizeof why)) {
        free(query);
        return luaL_error(L, "oracle: the query cannot be written as JSON: %s", why);
    }
    char *ans = NULL;
    size_t alen = 0;
    bool ok;
    if (s->oracle_L) {
        lua_State *H = s->oracle_L;
        int top = lua_gettop(H);
        lua_rawgeti(H, LUA_REGISTRYINDEX, s->oracle_ref);
        ok = pf_json_to_lua(H, query, strlen(query), why, sizeof why);
        if (ok && lua_pcall(H, 1, 1, 0) != LUA_OK) {
            snprintf(why, sizeof why, "the oracle hook failed: %s", lua_tostring(H, -1) ? lua_tostring(H, -1) : "?");
            ok = false;
        }
        if (ok) {
            ans = malloc(ORACLE_ANSWER_MAX);
            ok = ans && pf_lua_to_json(H, -1, ans, ORACLE_ANSWER_MAX, why, sizeof why);
            if (ans)
                alen = strlen(ans);
        }
        lua_settop(H, top);
    } else {
        unsigned t = s->o->oracle_timeout_ms ? s->o->oracle_timeout_ms : 10000;
        int64_t until = pf_mono_ms() + t;
        size_t ql = strlen(query);
        query[ql] = '\n';
        query[ql + 1 < ORACLE_QUERY_MAX ? ql + 1 : ql] = 0;
        ok = run_command(o, query, until, &ans, &alen, why, sizeof why);
    }
    free(query);
    if (!ok) {
        free(ans);
        return push_fail(L, why);
    }
    ok = pf_json_to_lua(L, ans, alen, why, sizeof why);
    free(ans);
    if (!ok)
        return push_fail(L, why);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return push_fail(L, "the oracle's answer is not a JSON object");
    }
    return 1;
}
