/* Scenario runtime rate on one core: vehicle-seconds simulated per CPU
 * second for a fleet of 10,000 vehicles sharing one Lua state, with and
 * without a per-second Lua hook, and memory per vehicle (Lua and C).
 * Target: >= 500,000 vehicle-seconds per CPU second.
 * Needs shared/ (the drive cycle): $REMSIM_SHARED or ../shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>

#include "remsim/scenario.h"

#define VEHICLES 10000
#define SECONDS 120

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double lua_bytes(lua_State *L)
{
    lua_gc(L, LUA_GCCOLLECT);
    return lua_gc(L, LUA_GCCOUNT) * 1024.0 + lua_gc(L, LUA_GCCOUNTB);
}

static int bench(const char *path, const char *label)
{
    char msg[1024];
    rs_code code;
    rs_scn_opts o;
    rs_scn_opts_init(&o);
    o.seed = 1;
    rs_scenario *s = rs_scenario_load(NULL, path, &o, &code, msg, sizeof msg);
    if (!s) {
        fprintf(stderr, "bench_scenario: %s\n", msg);
        return code == RS_E_IO || strstr(msg, "not found") ? 77 : 1;
    }
    lua_State *L = rs_scenario_lua(s);
    rs_scn_vehicle *v = calloc(VEHICLES, sizeof *v);
    if (!v)
        return 1;
    double before = lua_bytes(L);
    for (uint32_t i = 0; i < VEHICLES; i++)
        rs_scn_vehicle_init(s, &v[i], i, NULL);
    double per_lua = (lua_bytes(L) - before) / VEHICLES;
    rs_sample smp;
    unsigned long steps = 0, stopped = 0;
    double t0 = cpu_s();
    for (unsigned t = 0; t < SECONDS; t++)
        for (uint32_t i = 0; i < VEHICLES; i++) {
            stopped += !rs_scn_step(s, &v[i], &smp, NULL);
            steps++;
        }
    double dt = cpu_s() - t0;
    printf("scenario %-22s %d vehicles x %d s: %.0f vehicle-seconds per CPU second "
           "(%.2f us each); memory per vehicle %.0f B Lua + %zu B C; shared Lua state %.0f KiB%s\n",
           label, VEHICLES, SECONDS, (double)steps / dt, dt / (double)steps * 1e6, per_lua,
           sizeof(rs_scn_vehicle), before / 1024, stopped ? " (some vehicles stopped!)" : "");
    for (uint32_t i = 0; i < VEHICLES; i++)
        rs_scn_vehicle_free(s, &v[i]);
    free(v);
    rs_scenario_free(s);
    return stopped ? 1 : 0;
}

int main(void)
{
    int rc = bench("scenarios/urban.lua", "urban (no hook)");
    if (rc == 0)
        rc = bench("scenarios/faulty.lua", "faulty (Lua hook)");
    if (rc == 77) {
        printf("bench_scenario: skipped, shared/ not found (set REMSIM_SHARED)\n");
        return 0;
    }
    return rc;
}
