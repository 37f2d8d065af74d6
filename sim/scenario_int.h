/* Scenario internals shared by sim/scenario*.c (not installed). */
#ifndef REMSIM_SIM_SCENARIO_INT_H
#define REMSIM_SIM_SCENARIO_INT_H

#include <lua.h>

#include "remsim/scenario.h"

enum { RS_SCN_END_LOOP = 0, RS_SCN_END_IDLE, RS_SCN_END_OFF };

/* What the hook's sample userdata points at during one call. */
typedef struct rs_scn_hookctx {
    rs_sample *s;
    rs_scn_vehicle *v;
} rs_scn_hookctx;

/* A drive cycle or grade column as Lua holds it (userdata "remsim.cycle"). */
typedef struct rs_scn_cycle {
    uint32_t n;
    float v[];
} rs_scn_cycle;

#define RS_SCN_CYCLE_MT "remsim.cycle"
#define RS_SCN_SAMPLE_MT "remsim.sample"

struct rs_scenario {
    lua_State *L;
    bool own_L;
    char path[512];
    char dir[512];
    char shared[512];
    char name[64];
    uint8_t type;
    uint8_t at_end;
    bool ignition, warm;
    uint64_t seed;
    uint32_t n;              /* cycle length, s */
    float *speed;            /* n values, km/h */
    float *grade;            /* n values, or NULL: grade_c */
    double grade_c;
    double mass[2], fuel[2], reagent[2], soot[2], odo[2], soc[2];
    double lat, lon, spread_km, heading, ambient, altitude, noise;
    rs_scn_event *ev;
    size_t n_ev;
    char **kv;
    size_t n_kv;
    int ref_hook, ref_vehicles, ref_sample;
    int64_t start_unix;
    rs_scn_hookctx *ctx;
};

/* Resolves a file the scenario names: absolute as is, else beside the
 * scenario, else under the shared folder.  False with the tried paths in
 * msg when none exists. */
bool rs_scn_resolve(const rs_scenario *s, const char *rel, char *out, size_t cap, char *msg, size_t mcap);

/* Pushes the csv(path, column) function (upvalue: the scenario). */
void rs_scn_push_csv(lua_State *L, rs_scenario *s);

/* Creates the hook's sample userdata and anchors it (s->ref_sample, s->ctx). */
void rs_scn_make_sample_udata(lua_State *L, rs_scenario *s);

/* 64-bit mix of a seed and two small numbers (splitmix64 finaliser). */
uint64_t rs_scn_mix(uint64_t seed, uint64_t a, uint64_t b);

#endif
