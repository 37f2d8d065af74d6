/* Scenarios: the ready ones load, run and repeat exactly; Lua errors stop
 * one vehicle with file:line and its index; events fire at their times;
 * load errors say where; Lua memory per vehicle stays under target. */
#include "testutil.h"

#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "remsim/scenario.h"

static rs_scenario *load(lua_State *L, const char *path, uint64_t seed, rs_code *code, char *msg, size_t cap)
{
    rs_scn_opts o;
    rs_scn_opts_init(&o);
    o.seed = seed;
    return rs_scenario_load(L, path, &o, code, msg, cap);
}

/* A scenario file in a temporary folder; returns its path in buf. */
static const char *write_tmp(char *dir, const char *name, const char *text, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    FILE *f = fopen(buf, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return buf;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3ULL;
    return h;
}

/* Hash of what the codec would send: each field's state and raw value. */
static uint64_t hash_sample(uint64_t h, const rs_sample *s)
{
    for (int f = 0; f < RS_F_COUNT; f++) {
        rs_scaling sc = { rs_fields[f].scale, rs_fields[f].offset };
        uint32_t raw = 0;
        assert_true(rs_val_to_raw(&rs_fields[f], &sc, &s->v[f], &raw));
        assert_true(s->v[f].state != RS_VALID || raw <= rs_fields[f].raw_max);
        h = fnv(h, &s->v[f].state, 1);
        h = fnv(h, &raw, sizeof raw);
    }
    return fnv(h, &s->stream, 1);
}

static uint64_t run(const char *path, uint64_t seed, uint32_t index, unsigned seconds)
{
    char msg[1024];
    rs_code code;
    rs_scenario *s = load(NULL, path, seed, &code, msg, sizeof msg);
    if (!s)
        print_message("%s\n", msg);
    assert_non_null(s);
    rs_scn_vehicle v;
    assert_int_equal(rs_scn_vehicle_init(s, &v, index, NULL), RS_OK);
    uint64_t h = 0xCBF29CE484222325ULL;
    rs_sample smp;
    rs_obd obd;
    for (unsigned t = 0; t < seconds; t++) {
        if (!rs_scn_step(s, &v, &smp, NULL))
            print_message("%s\n", rs_scn_vehicle_error(&v));
        assert_null(rs_scn_vehicle_error(&v));
        h = hash_sample(h, &smp);
        rs_vehicle_obd(&v.car, &obd);
        h = fnv(h, &obd.mil, 1);
        h = fnv(h, obd.dtc, 4u * obd.dtc_count);
    }
    rs_scn_vehicle_free(s, &v);
    rs_scenario_free(s);
    return h;
}

static void test_ready_scenarios(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(csv, "traces/drive-cycles/vecto_truck_40t_speed_1hz.csv");
    (void)csv;
    static const char *const names[] = { "urban", "regional", "longhaul", "coldstart_dpf", "faulty",
                                         "flaky_network" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "scenarios/%s.lua", names[i]);
        uint64_t a = run(path, 2024, 5, 600), b = run(path, 2024, 5, 600);
        uint64_t c = run(path, 2024, 6, 600);
        print_message("%-14s 600 s: hash %016llx (same seed twice: %s; vehicle 6: %016llx)\n", names[i],
                      (unsigned long long)a, a == b ? "equal" : "DIFFERENT", (unsigned long long)c);
        assert_true(a == b);
        assert_true(a != c);
    }
}

static const char *const k_hook_scn =
    "return {\n"
    "  vehicle = 'diesel',\n"
    "  cycle = function(t) return (t % 100) < 50 and t % 100 or 0 end,\n"
    "  duration = 300,\n"
    "  tick = function(t, s, v)\n"
    "    v.n = (v.n or 0) + 1\n"
    "    if v.index == 1 and t == 5 then\n"
    "      local x = nil\n"
    "      return x.boom\n" /* line 9 */
    "    end\n"
    "    if t == 3 then s.nox_down = nil end\n"
    "    if t == 4 then s.speed = 12.5 end\n"
    "  end,\n"
    "}\n";

static void test_lua_error_stops_one_vehicle(void **state)
{
    (void)state;
    char dir[] = "/tmp/rs_scn_XXXXXX", path[256], msg[1024];
    assert_non_null(mkdtemp(dir));
    write_tmp(dir, "hook.lua", k_hook_scn, path, sizeof path);
    rs_code code;
    rs_scenario *s = load(NULL, path, 1, &code, msg, sizeof msg);
    if (!s)
        print_message("%s\n", msg);
    assert_non_null(s);
    assert_true(rs_scenario_has_hook(s));
    rs_scn_vehicle v[3];
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(rs_scn_vehicle_init(s, &v[i], i, NULL), RS_OK);
    rs_sample smp;
    for (unsigned t = 0; t < 20; t++)
        for (int i = 0; i < 3; i++) {
            bool ok = rs_scn_step(s, &v[i], &smp, NULL);
            assert_int_equal(ok, !(i == 1 && t >= 5));
            if (ok && t == 3)
                assert_int_equal(smp.v[RS_F_NOX_DOWN].state, RS_INVALID);
            if (ok && t == 4)
                assert_true(smp.v[RS_F_SPEED].value == 12.5);
            if (!ok)
                assert_int_equal(smp.v[RS_F_SPEED].state, RS_INVALID);
        }
    const char *e = rs_scn_vehicle_error(&v[1]);
    assert_non_null(e);
    print_message("vehicle 1 stopped: %s\n", e);
    char want[300];
    snprintf(want, sizeof want, "%s:9:", path);
    assert_non_null(strstr(e, want));
    assert_non_null(strstr(e, "vehicle 1"));
    assert_null(rs_scn_vehicle_error(&v[0]));
    assert_null(rs_scn_vehicle_error(&v[2]));
    /* the per-vehicle table kept its state */
    lua_State *L = rs_scenario_lua(s);
    assert_int_equal(v[0].t, 20);
    for (int i = 0; i < 3; i++)
        rs_scn_vehicle_free(s, &v[i]);
    assert_non_null(L);
    rs_scenario_free(s);
    unlink(path);
    rmdir(dir);
}

static void test_load_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/rs_scn_XXXXXX", path[256], msg[1024];
    assert_non_null(mkdtemp(dir));
    rs_code code;
    static const struct { const char *text; rs_code code; const char *needle; } cases[] = {
        { "return {\n cycle = 10, duration = 5,\n vehicle = \n}\n", RS_E_SYNTAX, "bad.lua:4:" },
        { "return { cycle = 10, duration = 5, vehicel = 'gas' }\n", RS_E_OPTION, "unknown key 'vehicel'" },
        { "return { cycle = 10 }\n", RS_E_OPTION, "needs 'duration'" },
        { "return { cycle = 300, duration = 5 }\n", RS_E_OPTION, "outside [0, 250]" },
        { "return { cycle = csv('nope.csv', 'x') }\n", RS_E_SYNTAX, "nope.csv' not found" },
        { "return { cycle = 10, duration = 5, events = { { at = 1 } } }\n", RS_E_OPTION, "events[1]: no action" },
        { "return { cycle = 10, duration = 5, events = { { at = 1, sensor = 'nox' } } }\n", RS_E_OPTION,
          "a field name" },
        { "error('custom')\n", RS_E_SYNTAX, "bad.lua:1: custom" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_tmp(dir, "bad.lua", cases[i].text, path, sizeof path);
        rs_scenario *s = load(NULL, path, 1, &code, msg, sizeof msg);
        print_message("case %zu: %s\n", i, msg);
        assert_null(s);
        assert_int_equal(code, cases[i].code);
        assert_non_null(strstr(msg, cases[i].needle));
    }
    assert_null(load(NULL, "/nonexistent/x.lua", 1, &code, msg, sizeof msg));
    assert_int_equal(code, RS_E_IO);
    unlink(path);
    rmdir(dir);
}

static const char *const k_events_scn =
    "return {\n"
    "  vehicle = 'diesel', cycle = 30, duration = 400, at_end = 'off',\n"
    "  events = {\n"
    "    { at = 10, ignition = 'off' },\n"
    "    { at = 20, ignition = 'on' },\n"
    "    { at = 30, dtc = { spn = 3226, fmi = 12 }, mil = true },\n"
    "    { at = 40, sensor = 'nox_up', state = 'na' },\n"
    "    { at = 50, network_down = 45 },\n"
    "    { at = 60, clock_skew = -90, share = 0.5 },\n"
    "    { at = 70, answer_delay = 2500, duration = 30, jitter = 20 },\n"
    "    { at = 80, power_loss = 15 },\n"
    "    { at = 90, dtc_clear = true },\n"
    "  },\n"
    "  profile = { profile = 'hj1239', obd_period = 10, strict = true },\n"
    "}\n";

static void test_events(void **state)
{
    (void)state;
    char dir[] = "/tmp/rs_scn_XXXXXX", path[256], msg[1024];
    assert_non_null(mkdtemp(dir));
    write_tmp(dir, "ev.lua", k_events_scn, path, sizeof path);
    rs_code code;
    rs_scenario *s = load(NULL, path, 11, &code, msg, sizeof msg);
    if (!s)
        print_message("%s\n", msg);
    assert_non_null(s);
    assert_int_equal(rs_scenario_event_count(s), 9);
    assert_int_equal(rs_scenario_profile_count(s), 3);
    assert_string_equal(rs_scenario_profile_kv(s, 0), "obd_period=10");
    assert_string_equal(rs_scenario_profile_kv(s, 1), "profile=hj1239");
    assert_string_equal(rs_scenario_profile_kv(s, 2), "strict=true");
    const rs_scn_event *e = rs_scenario_event(s, 4);
    assert_int_equal(e->kind, RS_EV_NETWORK_DOWN);
    assert_int_equal(e->duration_s, 45);
    unsigned skewed = 0;
    for (uint32_t idx = 0; idx < 8; idx++) {
        rs_scn_vehicle v;
        assert_int_equal(rs_scn_vehicle_init(s, &v, idx, NULL), RS_OK);
        int fired_at[9];
        for (int i = 0; i < 9; i++)
            fired_at[i] = -1;
        rs_sample smp;
        rs_scn_fired fired;
        for (unsigned t = 0; t < 420; t++) {
            assert_true(rs_scn_step(s, &v, &smp, &fired));
            for (unsigned k = 0; k < fired.n; k++) {
                assert_int_equal(fired_at[fired.ev[k]], -1); /* once */
                fired_at[fired.ev[k]] = (int)t;
            }
            if (t >= 10 && t < 20)
                assert_true(smp.v[RS_F_RPM].value == 0);
            if (t > 25 && t < 400)
                assert_true(smp.v[RS_F_RPM].value > 500);
            if (t >= 40)
                assert_true(smp.v[RS_F_NOX_UP].state == RS_INVALID);
            rs_obd obd;
            rs_vehicle_obd(&v.car, &obd);
            assert_int_equal(obd.mil, t >= 30 && t < 90);
            if (t >= 400)
                assert_true(smp.v[RS_F_RPM].value == 0); /* at_end = off */
        }
        for (size_t i = 0; i < 9; i++) {
            uint32_t at;
            bool in = rs_scn_event_time(s, i, idx, &at);
            assert_int_equal(fired_at[i], in ? (int)at : -1);
            if (i == 6) /* jittered */
                assert_true(at >= 70 && at <= 90);
            else if (in)
                assert_int_equal(at, rs_scenario_event(s, i)->at);
        }
        skewed += fired_at[5] >= 0;
        rs_scn_vehicle_free(s, &v);
    }
    print_message("clock skew (share 0.5) fired on %u of 8 vehicles\n", skewed);
    assert_true(skewed > 0 && skewed < 8);
    rs_scenario_free(s);
    unlink(path);
    rmdir(dir);
}

static void measure(const char *path, bool shared_state)
{
    char msg[1024];
    rs_code code;
    lua_State *L = shared_state ? luaL_newstate() : NULL;
    rs_scenario *s = load(L, path, 1, &code, msg, sizeof msg);
    if (!s)
        print_message("%s\n", msg);
    assert_non_null(s);
    L = rs_scenario_lua(s);
    enum { N = 1000 };
    rs_scn_vehicle *v = calloc(N, sizeof *v);
    assert_non_null(v);
    lua_gc(L, LUA_GCCOLLECT);
    double before = lua_gc(L, LUA_GCCOUNT) * 1024.0 + lua_gc(L, LUA_GCCOUNTB);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(rs_scn_vehicle_init(s, &v[i], i, NULL), RS_OK);
    rs_sample smp;
    for (unsigned t = 0; t < 30; t++)
        for (uint32_t i = 0; i < N; i++)
            assert_true(rs_scn_step(s, &v[i], &smp, NULL));
    lua_gc(L, LUA_GCCOLLECT);
    double after = lua_gc(L, LUA_GCCOUNT) * 1024.0 + lua_gc(L, LUA_GCCOUNTB);
    double lua_per = (after - before) / N;
    print_message("%s: Lua state %.0f KiB shared; per vehicle %.0f B Lua + %zu B C = %.0f B (targets 4096 / 8192)\n",
                  path, before / 1024, lua_per, sizeof(rs_scn_vehicle), lua_per + (double)sizeof(rs_scn_vehicle));
    assert_true(lua_per <= 4096);
    assert_true(lua_per + (double)sizeof(rs_scn_vehicle) <= 8192);
    for (uint32_t i = 0; i < N; i++)
        rs_scn_vehicle_free(s, &v[i]);
    free(v);
    rs_scenario_free(s);
    if (shared_state)
        lua_close(L);
}

static void test_memory_per_vehicle(void **state)
{
    (void)state;
    char dir[] = "/tmp/rs_scn_XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    /* with a hook: one table per vehicle, in a state the caller owns */
    write_tmp(dir, "mem.lua",
              "return { cycle = function(t) return t % 60 end, duration = 600,\n"
              "  tick = function(t, s, v) v.n = (v.n or 0) + 1 end }\n",
              path, sizeof path);
    measure(path, true);
    /* without: no Lua state per vehicle at all */
    write_tmp(dir, "mem.lua", "return { cycle = function(t) return t % 60 end, duration = 600 }\n", path,
              sizeof path);
    measure(path, false);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_scenarios),
        cmocka_unit_test(test_lua_error_stops_one_vehicle),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_memory_per_vehicle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
