/* Scenarios: a Lua 5.4 file that drives a fleet of vehicles (vehicle.h).
 *
 * A scenario file returns a table naming the vehicle type, the drive cycle
 * (a CSV column or a Lua function of time), timed events, an optional hook
 * called each second and defaults for the profile (docs/scenarios.md has
 * the full reference and an example).  It is loaded once into one lua_State
 * per worker; thousands of vehicles share it.  A vehicle is C state
 * (rs_scn_vehicle, a few hundred bytes) plus, only when the scenario has a
 * hook, one small Lua table.
 *
 * Vehicles differ by seeded variation (mass, start point, heading, tank
 * levels, odometer, sensor noise) drawn from the run seed and the vehicle
 * index, so a run is reproducible and vehicle k is the same vehicle in
 * every shard.
 *
 * A Lua error in a hook stops that vehicle only: it keeps a message
 * "file:line: what (vehicle N, t=T s)" and rs_scn_step() returns false. */
#ifndef REMSIM_SCENARIO_H
#define REMSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/field.h"
#include "remsim/vehicle.h"

typedef struct lua_State lua_State;
typedef struct rs_scenario rs_scenario;

typedef enum rs_scn_event_kind {
    /* acting on the vehicle (applied by rs_scn_step) */
    RS_EV_IGNITION_ON = 0,
    RS_EV_IGNITION_OFF,
    RS_EV_DTC_SET,           /* spn, fmi, mil */
    RS_EV_DTC_CLEAR,         /* spn (0: all), fmi (-1: any) */
    RS_EV_SENSOR,            /* field, sensor (rs_sensor_state) */
    RS_EV_DPF_REGEN,         /* request an active regeneration */
    /* for the terminal and fleet layers (only reported) */
    RS_EV_NETWORK_DOWN,      /* duration_s */
    RS_EV_CLOCK_SKEW,        /* value: seconds added to the terminal clock */
    RS_EV_POWER_LOSS,        /* duration_s: external power lost */
    RS_EV_ANSWER_DELAY,      /* value: ms the endpoint waits before answering; duration_s */
    RS_EV_KIND_COUNT
} rs_scn_event_kind;

/* "ignition_on", "network_down", ... */
const char *rs_scn_event_name(rs_scn_event_kind k);

/* One entry of the scenario's event list, as written in the file. */
typedef struct rs_scn_event {
    uint32_t at;             /* s after the vehicle starts */
    uint32_t jitter;         /* s: each vehicle fires at at + [0, jitter] (seeded) */
    float share;             /* fraction of vehicles it applies to (seeded), 1: all */
    uint8_t kind;            /* rs_scn_event_kind */
    uint8_t mil;             /* DTC_SET: lights the MIL */
    uint8_t fmi;             /* DTC_SET */
    uint8_t sensor;          /* SENSOR: rs_sensor_state */
    int16_t field;           /* SENSOR: rs_field_id */
    int16_t fmi_clear;       /* DTC_CLEAR: FMI or -1 */
    uint32_t spn;            /* DTC_SET, DTC_CLEAR (0: all) */
    uint32_t duration_s;     /* NETWORK_DOWN, POWER_LOSS, ANSWER_DELAY */
    int32_t value;           /* CLOCK_SKEW s, ANSWER_DELAY ms */
} rs_scn_event;

typedef struct rs_scn_opts {
    uint64_t seed;           /* run seed; 0: the scenario's "seed" (default 1) */
    const char *shared_dir;  /* NULL: $REMSIM_SHARED, else "../shared" */
    int64_t start_unix;      /* 0: sample collect times left zero */
} rs_scn_opts;

void rs_scn_opts_init(rs_scn_opts *o);

/* Loads and checks a scenario.  L NULL: the scenario creates (and
 * rs_scenario_free closes) its own state; otherwise it lives in the
 * caller's state (registry references only, no globals beyond the
 * sandbox it sets up at load).  On failure returns NULL with a message
 * naming file and line in msg (RS_E_IO: file not found, RS_E_SYNTAX: Lua
 * error, RS_E_OPTION: a bad value) and the code in *code. */
rs_scenario *rs_scenario_load(lua_State *L, const char *path, const rs_scn_opts *opts, rs_code *code,
                              char *msg, size_t cap);
void rs_scenario_free(rs_scenario *s);

lua_State *rs_scenario_lua(const rs_scenario *s);
const char *rs_scenario_name(const rs_scenario *s);    /* "name" or the file's base name */
rs_veh_type rs_scenario_type(const rs_scenario *s);
uint32_t rs_scenario_duration(const rs_scenario *s);   /* s: the cycle's length */
uint64_t rs_scenario_seed(const rs_scenario *s);
bool rs_scenario_has_hook(const rs_scenario *s);

/* The event list in file order. */
size_t rs_scenario_event_count(const rs_scenario *s);
const rs_scn_event *rs_scenario_event(const rs_scenario *s, size_t i);

/* Profile defaults of the file as "key=value" strings, sorted by key
 * (ready for rs_profile_set_kv and terminal options). */
size_t rs_scenario_profile_count(const rs_scenario *s);
const char *rs_scenario_profile_kv(const rs_scenario *s, size_t i);

/* One vehicle of the fleet. Plain data; the fleet owns the memory. */
typedef struct rs_scn_vehicle {
    rs_vehicle car;
    uint32_t index;          /* 0-based vehicle number */
    uint32_t t;              /* seconds stepped */
    int lua_ref;             /* its Lua table (hooks only), else LUA_NOREF */
    char *error;             /* stopped: the message (owned, freed by rs_scn_vehicle_free) */
} rs_scn_vehicle;

/* The vehicle's start configuration: the file's settings with its seeded
 * variation (for inspection; rs_scn_vehicle_init uses it). */
void rs_scn_vehicle_cfg(const rs_scenario *s, uint32_t index, rs_vehicle_cfg *cfg);

/* RS_E_OPTION only when the Lua table cannot be made (memory). */
rs_code rs_scn_vehicle_init(rs_scenario *s, rs_scn_vehicle *v, uint32_t index, rs_err *err);
void rs_scn_vehicle_free(rs_scenario *s, rs_scn_vehicle *v);

/* When event i fires for vehicle index (its jitter drawn); false when the
 * vehicle is not in the event's share. */
bool rs_scn_event_time(const rs_scenario *s, size_t i, uint32_t index, uint32_t *at);

#define RS_SCN_FIRED_MAX 16

/* Events that fired in one step, as indices into the event list. */
typedef struct rs_scn_fired {
    unsigned n;
    uint16_t ev[RS_SCN_FIRED_MAX];
} rs_scn_fired;

/* One second: fires the vehicle's events due now (vehicle events are
 * applied, all are listed in *fired when not NULL), steps the physics at the
 * cycle's speed, runs the hook.  Returns false, and leaves *out all
 * invalid, when the vehicle is stopped (rs_scn_vehicle_error says why). */
bool rs_scn_step(rs_scenario *s, rs_scn_vehicle *v, rs_sample *out, rs_scn_fired *fired);

/* NULL while running. */
const char *rs_scn_vehicle_error(const rs_scn_vehicle *v);

#endif
