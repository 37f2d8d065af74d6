/* The platform suite's runner: find the case files, pick those that apply
 * to the profile (and --case), run each in a fresh Lua state under its time
 * limit, and turn what it said into verdicts of the conformance run.
 *
 * A case file stands for the catalogue rows it declares.  After it ran:
 *   - a declared case it said nothing about is skipped ("recorded no
 *     verdict"), so a script that forgets a branch cannot pass silently;
 *   - a file stopped by its time limit fails the case it was working on
 *     (the platform made it wait), the others declared are skipped;
 *   - a Lua error is a tool problem, not a platform verdict: its cases are
 *     skipped with the error, and the run counts it (the command exits 2).
 * Pass reasons (pass("answered in 3 ms")) replace the generic "checked N
 * times" once the run is finished. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "conformance/platform_int.h"
#include "remsim/vin.h"

#define MAX_FILES 256

void rs_platform_opts_init(rs_platform_opts *o)
{
    memset(o, 0, sizeof *o);
    rs_profile_init(&o->profile, RS_PROTO_GB17691);
    o->timeout_ms = 30000;
    o->timecal_limit_ms = 1000;
    o->answer_wait_ms = 500;
    o->oracle_timeout_ms = 10000;
    o->vin_prefix = "LRSPF";
    o->storm = 100;
    o->concurrency = 20;
    o->slow_ms = 100;
    o->plat_start = "##";
    o->plat_id = "REMSIMPLATFORM01";
    o->plat_user = "remsim";
    o->plat_password = "remsim";
    o->seed = 1;
    rs_tls_opts_init(&o->tls);
}

/* --- the case directory --- */

static bool has_cases(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool any = false;
    struct dirent *e;
    while (!any && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        any = n > 4 && !strcmp(e->d_name + n - 4, ".lua");
    }
    closedir(d);
    return any;
}

static bool try_dir(const char *dir, char *out, size_t cap)
{
    if (!has_cases(dir))
        return false;
    char real[PATH_MAX];
    snprintf(out, cap, "%s", realpath(dir, real) ? real : dir);
    return true;
}

rs_code rs_platform_find_cases(const rs_platform_opts *o, char *out, size_t cap, rs_err *err)
{
    if (o->cases_dir) {
        if (try_dir(o->cases_dir, out, cap))
            return RS_OK;
        return rs_fail(err, RS_E_IO, 0, "cases", "the --cases directory holds case files (*.lua)", ENOENT, 0,
                       RS_NUM_GOT_ONLY);
    }
    const char *env = getenv("REMSIM_CASES");
    if (env && *env && try_dir(env, out, cap))
        return RS_OK;
    if (try_dir("scenarios/conform/platform", out, cap))
        return RS_OK;
    /* beside the binary: the build tree (build/x/remsim) or an install (bin/) */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 && o->argv0 && realpath(o->argv0, exe))
        n = (ssize_t)strlen(exe);
    if (n > 0) {
        exe[n] = 0;
        char path[PATH_MAX + 64];
        for (int up = 0; up < 5; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = 0;
            snprintf(path, sizeof path, "%s/scenarios/conform/platform", exe);
            if (try_dir(path, out, cap))
                return RS_OK;
            snprintf(path, sizeof path, "%s/share/remsim/scenarios/conform/platform", exe);
            if (try_dir(path, out, cap))
                return RS_OK;
        }
    }
    return rs_fail(err, RS_E_IO, 0, "cases",
                   "case files are found with --cases DIR, $REMSIM_CASES, ./scenarios/conform/platform or beside "
                   "the binary",
                   ENOENT, 0, RS_NUM_GOT_ONLY);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.lua files of dir, sorted (the lib/ directory is not a case). */
static unsigned list_files(const char *dir, char **names, unsigned max)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d))) {
        size_t k = strlen(e->d_name);
        if (k > 4 && !strcmp(e->d_name + k - 4, ".lua") && e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    unsigned kept = 0;
    for (unsigned i = 0; i < n; i++)
        if (names[i])
            names[kept++] = names[i];
    qsort(names, kept, sizeof *names, cmp_names);
    return kept;
}

/* --- one file --- */

typedef struct case_file {
    rs_case_id declared[PF_MAX_DECLARED];
    unsigned n_declared;
    unsigned timeout_ms;
    char error[RS_CONF_TEXT_MAX];
} case_file;

/* Loads the file into cs->L and reads its table; leaves run() on the stack. */
static bool load_file(pf_case *cs, const char *path, case_file *cf)
{
    lua_State *L = cs->L;
    if (luaL_loadfilex(L, path, "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        snprintf(cf->error, sizeof cf->error, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot load");
        return false;
    }
    if (!lua_istable(L, -1)) {
        snprintf(cf->error, sizeof cf->error, "%s: must return { cases = {...}, run = function() ... end }",
                 cs->file);
        return false;
    }
    int t = lua_gettop(L);
    lua_getfield(L, t, "cases");
    if (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0) {
        snprintf(cf->error, sizeof cf->error, "%s: cases = { \"id\", ... } names at least one catalogue case",
                 cs->file);
        return false;
    }
    cf->n_declared = 0;
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1) && cf->n_declared < PF_MAX_DECLARED; i++) {
        lua_rawgeti(L, -1, i);
        const char *id = lua_tostring(L, -1);
        int k = id ? rs_conf_case_find(id) : -1;
        if (k < 0 || !(rs_conf_case_get((rs_case_id)k)->roles & RS_ROLE_PLATFORM)) {
            snprintf(cf->error, sizeof cf->error, "%s: '%s' is not a platform case of the catalogue", cs->file,
                     id ? id : "?");
            return false;
        }
        cf->declared[cf->n_declared++] = (rs_case_id)k;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "timeout_ms");
    cf->timeout_ms = lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0 ? (unsigned)lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    lua_getfield(L, t, "run");
    if (!lua_isfunction(L, -1)) {
        snprintf(cf->error, sizeof cf->error, "%s: run = function() ... end is missing", cs->file);
        return false;
    }
    return true;
}

static bool selected(const rs_platform_opts *o, const char *file, const case_file *cf)
{
    if (o->n_only == 0)
        return true;
    for (unsigned i = 0; i < o->n_only; i++) {
        const char *w = o->only[i];
        size_t n = strlen(w);
        if (!strcmp(w, file) || (!strncmp(w, file, n) && !strcmp(file + n, ".lua")))
            return true;
        for (unsigned k = 0; k < cf->n_declared; k++)
            if (!strcmp(rs_conf_case_get(cf->declared[k])->id, w))
                return true;
    }
    return false;
}

static bool applies(const rs_platform_opts *o, const case_file *cf)
{
    for (unsigned k = 0; k < cf->n_declared; k++)
        if (rs_conf_case_applies(rs_conf_case_get(cf->declared[k]), RS_ROLE_PLATFORM, o->profile.proto))
            return true;
    return false;
}

static const char *tentative(const rs_conf_case_result *c)
{
    if (!c->applies)
        return "n/a";
    if (c->n_sev[RS_SEV_ERROR])
        return "FAIL";
    if (c->exercised)
        return "pass";
    if (c->skip_set)
        return "skipped";
    return c->na_set ? "n/a" : "-";
}

static void progress_line(const pf_suite *s, const char *file, const case_file *cf, int64_t ms, const char *note)
{
    FILE *out = s->o->progress;
    if (!out)
        return;
    fprintf(out, "%-34s %6.1f s ", file, (double)ms / 1000.0);
    for (unsigned k = 0; k < cf->n_declared; k++) {
        const rs_conf_case_result *c = &s->run->cases[cf->declared[k]];
        fprintf(out, " %s %s", rs_conf_case_get(cf->declared[k])->id, tentative(c));
    }
    if (note)
        fprintf(out, "  (%s)", note);
    fputc('\n', out);
    fflush(out);
}

/* Runs one file; a script error is counted in st->script_errors. */
static void run_file(pf_suite *s, const char *dir, const char *file)
{
    const rs_platform_opts *o = s->o;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    pf_case cs;
    memset(&cs, 0, sizeof cs);
    cs.s = s;
    cs.file = file;
    cs.timeout_ms = o->timeout_ms;
    cs.deadline_ms = pf_mono_ms() + 600000; /* loading: generous, the real limit starts with run() */
    cs.L = luaL_newstate();
    if (!cs.L) {
        s->st->script_errors++;
        return;
    }
    pf_lua_open(&cs, dir);
    case_file cf;
    memset(&cf, 0, sizeof cf);
    bool loaded = load_file(&cs, path, &cf);
    if (loaded && (!applies(o, &cf) || !selected(o, file, &cf))) {
        lua_close(cs.L);
        return;
    }
    s->st->ran++;
    int64_t t0 = pf_mono_ms();
    const char *note = NULL;
    char msg[RS_CONF_TEXT_MAX];
    if (!loaded) { /* its cases are not known: they end "no case file exercises it" */
        s->st->script_errors++;
        if (o->progress)
            fprintf(o->progress, "%s: case script error: %s\n", file, cf.error);
        lua_close(cs.L);
        return;
    }
    if (cf.timeout_ms)
        cs.timeout_ms = cf.timeout_ms < o->timeout_ms || o->timeout_ms == 0 ? cf.timeout_ms : o->timeout_ms;
    memcpy(cs.declared, cf.declared, sizeof cf.declared);
    cs.n_declared = cf.n_declared;
    cs.current = cf.declared[0];
    cs.deadline_ms = pf_mono_ms() + cs.timeout_ms;
    int rc = lua_pcall(cs.L, 0, 0, 0);
    const char *why_skip = "the case script recorded no verdict";
    if (rc != LUA_OK) {
        const char *e = lua_tostring(cs.L, -1);
        if (cs.timed_out) {
            s->st->timeouts++;
            snprintf(msg, sizeof msg, "time limit of %u ms reached (the platform kept the case waiting)",
                     cs.timeout_ms);
            pf_verdict(&cs, cs.current, 'f', msg, NULL);
            why_skip = "not reached: the case file stopped at its time limit";
        } else {
            s->st->script_errors++;
            snprintf(msg, sizeof msg, "case script error: %.280s", e ? e : "?");
            why_skip = msg;
            if (o->progress)
                fprintf(o->progress, "%s: %s\n", file, e ? e : "?");
        }
        note = msg;
    }
    for (unsigned k = 0; k < cf.n_declared; k++) {
        rs_case_id id = cf.declared[k];
        if (!cs.recorded[id] && s->run->cases[id].applies)
            pf_verdict(&cs, id, 's', why_skip, NULL);
    }
    lua_close(cs.L); /* closes the connections it still held (__gc) */
    pf_case_close_all(&cs);
    progress_line(s, file, &cf, pf_mono_ms() - t0, note);
}

/* --- the run --- */

static bool split_target(const char *t, char *host, size_t hcap, char *port, size_t pcap)
{
    if (!t || !*t)
        return false;
    const char *colon;
    if (t[0] == '[') {
        const char *end = strchr(t, ']');
        if (!end || end[1] != ':')
            return false;
        snprintf(host, hcap, "%.*s", (int)(end - t - 1), t + 1);
        colon = end + 1;
    } else {
        colon = strrchr(t, ':');
        if (!colon || colon == t)
            return false;
        snprintf(host, hcap, "%.*s", (int)(colon - t), t);
    }
    char *e;
    long p = strtol(colon + 1, &e, 10);
    if (*e || p < 1 || p > 65535)
        return false;
    snprintf(port, pcap, "%ld", p);
    return true;
}

static rs_code check_opts(const rs_platform_opts *o, pf_suite *s, rs_err *err)
{
    if (!split_target(o->target, s->host, sizeof s->host, s->port, sizeof s->port))
        return rs_fail(err, RS_E_OPTION, 0, "target", "--target HOST:PORT (IPv6: [::1]:9000)", 0, 0, RS_NUM_NONE);
    if (o->plat_target &&
        !split_target(o->plat_target, s->plat_host, sizeof s->plat_host, s->plat_port, sizeof s->plat_port))
        return rs_fail(err, RS_E_OPTION, 0, "plat-target", "--plat-target HOST:PORT", 0, 0, RS_NUM_NONE);
    const char *px = o->vin_prefix ? o->vin_prefix : "";
    if (strlen(px) > 8)
        return rs_fail(err, RS_E_OPTION, 0, "vin-prefix", "at most 8 characters (WMI and VDS)", 0, 0, RS_NUM_NONE);
    for (const char *c = px; *c; c++)
        if (!rs_vin_char_ok((uint8_t)*c))
            return rs_fail(err, RS_E_OPTION, (size_t)(c - px), "vin-prefix",
                           "VIN characters: digits and capitals without I, O, Q", *c, 0, RS_NUM_CHAR);
    if (o->plat_start && strcmp(o->plat_start, "##") && strcmp(o->plat_start, "~~"))
        return rs_fail(err, RS_E_OPTION, 0, "plat-start", "## or ~~ (§12.3)", 0, 0, RS_NUM_NONE);
    if (o->timeout_ms < 100 || o->timecal_limit_ms == 0 || o->concurrency == 0 || o->storm == 0 ||
        o->concurrency > 1000 || o->storm > 100000)
        return rs_fail(err, RS_E_OPTION, 0, "limits",
                       "--timeout >= 0.1 s, --timecal-limit > 0, 1 <= --concurrency <= 1000, 1 <= --storm <= 100000",
                       0, 0, RS_NUM_NONE);
    if (o->plat_id && strlen(o->plat_id) > RS_VIN_LEN)
        return rs_fail(err, RS_E_OPTION, 0, "plat-id", "a platform code of at most 17 characters", 0, 0,
                       RS_NUM_NONE);
    return RS_OK;
}

rs_code rs_platform_list(const rs_platform_opts *o, FILE *out, rs_err *err)
{
    char dir[512];
    if (rs_platform_find_cases(o, dir, sizeof dir, err) != RS_OK)
        return RS_E_IO;
    char *names[MAX_FILES];
    unsigned n = list_files(dir, names, MAX_FILES);
    pf_suite s;
    memset(&s, 0, sizeof s);
    s.o = o;
    fprintf(out, "# case files in %s (profile %s)\n", dir, rs_proto_name(o->profile.proto));
    for (unsigned i = 0; i < n; i++) {
        pf_case cs;
        memset(&cs, 0, sizeof cs);
        cs.s = &s;
        cs.file = names[i];
        cs.deadline_ms = pf_mono_ms() + 10000;
        cs.L = luaL_newstate();
        case_file cf;
        memset(&cf, 0, sizeof cf);
        if (cs.L) {
            pf_lua_open(&cs, dir);
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (!load_file(&cs, path, &cf)) {
                fprintf(out, "%-34s error: %s\n", names[i], cf.error);
            } else {
                fprintf(out, "%-34s", names[i]);
                for (unsigned k = 0; k < cf.n_declared; k++) {
                    const rs_conf_case *c = rs_conf_case_get(cf.declared[k]);
                    fprintf(out, " %s%s", c->id,
                            rs_conf_case_applies(c, RS_ROLE_PLATFORM, o->profile.proto) ? "" : " (n/a)");
                }
                fputc('\n', out);
            }
            lua_close(cs.L);
        }
        free(names[i]);
    }
    return RS_OK;
}

static rs_code preflight(pf_suite *s, rs_err *err)
{
    pf_case cs;
    memset(&cs, 0, sizeof cs);
    cs.s = s;
    cs.file = "preflight";
    cs.deadline_ms = pf_mono_ms() + 5000;
    char why[PF_ERR_TEXT];
    pf_conn *c = pf_conn_open(&cs, s->host, s->port, &s->o->profile, true, 5000, why, sizeof why);
    if (c) {
        pf_case_close_all(&cs);
        return RS_OK;
    }
    if (s->o->progress)
        fprintf(s->o->progress, "remsim conform platform: %s\n", why);
    return rs_fail(err, RS_E_IO, 0, "target", "the target accepts a TCP connection (and TLS, with --tls)", 0, 0,
                   RS_NUM_NONE);
}

static void apply_notes(pf_suite *s)
{
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        rs_conf_case_result *c = &s->run->cases[i];
        if (c->verdict != RS_VERDICT_PASS || !s->pass_note[i][0] || c->n_sev[RS_SEV_WARN] || c->n_sev[RS_SEV_INFO])
            continue;
        char r[RS_CONF_TEXT_MAX];
        snprintf(r, sizeof r, "%.*s (checked %llu time%s)", RS_CONF_TEXT_MAX - 40, s->pass_note[i],
                 (unsigned long long)c->exercised, c->exercised == 1 ? "" : "s");
        memcpy(c->reason, r, sizeof c->reason);
    }
}

rs_code rs_platform_run(const rs_platform_opts *o, rs_conf_run *run, rs_platform_stats *st, rs_err *err)
{
    rs_platform_stats dummy;
    if (!st)
        st = &dummy;
    memset(st, 0, sizeof *st);
    pf_suite *s = calloc(1, sizeof *s);
    if (!s)
        return rs_fail(err, RS_E_LIMIT, 0, "memory", "the platform suite needs about 2 MB", 0, 0, RS_NUM_NONE);
    s->o = o;
    s->run = run;
    s->st = st;
    s->oracle_ref = LUA_NOREF;
    rs_code rc = check_opts(o, s, err);
    char dir[512];
    if (rc == RS_OK)
        rc = rs_platform_find_cases(o, dir, sizeof dir, err);
    if (rc == RS_OK)
        snprintf(st->cases_dir, sizeof st->cases_dir, "%s", dir);
    s->scratch = malloc(sizeof *s->scratch);
    if (rc == RS_OK && !s->scratch)
        rc = rs_fail(err, RS_E_LIMIT, 0, "memory", "a decode scratch", 0, 0, RS_NUM_NONE);
    rs_profile_init(&s->plat_profile, RS_PROTO_GB32960);
    s->plat_profile.strict = o->profile.strict;
    if (o->plat_start && !strcmp(o->plat_start, "~~")) {
        s->plat_profile.start_tx[0] = s->plat_profile.start_tx[1] = 0x7E;
        s->plat_profile.accept_tilde = true;
    }
    s->sm2 = rs_sm2_new(NULL); /* NULL: HJ frames cannot be signed; cases that need it skip */
    s->vin_base = (uint32_t)((pf_wall_ms() / 1000) % 160000) * 50;
    char why[PF_ERR_TEXT] = "";
    if (rc == RS_OK && o->tls.enabled) {
        rs_tls_opts t = o->tls;
        if (!t.server_name)
            t.server_name = s->host;
        s->tls = rs_tls_ctx_new(&t, RS_TLS_CLIENT, err, why, sizeof why);
        if (!s->tls) {
            rc = err->code ? err->code : RS_E_OPTION;
            if (o->progress)
                fprintf(o->progress, "remsim conform platform: %s\n", why);
        }
    }
    if (rc == RS_OK) {
        rc = pf_oracle_open(s, err, why, sizeof why);
        if (rc != RS_OK && o->progress)
            fprintf(o->progress, "remsim conform platform: %s\n", why);
    }
    if (rc == RS_OK)
        rc = preflight(s, err);
    if (rc == RS_OK) {
        char in[RS_CONF_SOURCE_MAX];
        snprintf(in, sizeof in, "platform %s%s", o->target, o->tls.enabled ? " (TLS)" : "");
        rs_conf_add_input(run, in);
        if (o->plat_target) {
            snprintf(in, sizeof in, "forwarding-link receiver %s", o->plat_target);
            rs_conf_add_input(run, in);
        }
        if (o->oracle) {
            snprintf(in, sizeof in, "oracle %s", o->oracle);
            rs_conf_add_input(run, in);
        }
        char *names[MAX_FILES];
        unsigned n = list_files(dir, names, MAX_FILES);
        st->files = n;
        for (unsigned i = 0; i < n; i++) {
            run_file(s, dir, names[i]);
            free(names[i]);
        }
        if (o->n_only && st->ran == 0)
            rc = rs_fail(err, RS_E_OPTION, 0, "case", "--case names a case id or file of the suite that applies",
                         0, 0, RS_NUM_NONE);
        /* platform cases no file ran: not selected, or no script for them */
        for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
            rs_conf_case_result *c = &run->cases[i];
            const rs_conf_case *def = rs_conf_case_get((rs_case_id)i);
            if (!c->applies || !(def->roles & RS_ROLE_PLATFORM) || c->exercised || c->skip_set || c->na_set)
                continue;
            if (def->roles == RS_ROLE_PLATFORM)
                rs_conf_not_applicable(run, (rs_case_id)i,
                                       o->n_only ? "not selected (--case)" : "no case file exercises it");
            else
                rs_conf_not_applicable(run, (rs_case_id)i,
                                       "a per-frame rule of terminal traffic: `remsim check` and the terminal "
                                       "suite judge it");
        }
        rs_conf_finish(run);
        apply_notes(s);
    }
    pf_oracle_close(s);
    if (s->tls)
        rs_tls_ctx_free(s->tls);
    rs_sm2_free(s->sm2);
    free(s->scratch);
    free(s);
    return rc;
}
