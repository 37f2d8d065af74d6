/* What every run of a scenario starts from: the scenario, the profile, the
 * terminal configuration and the truck (bus) configuration, built from the
 * scenario's defaults and then the user's options.
 *
 * Options are "key=value" strings, routed by key:
 *   profile=gb17691|hj1239|gb32960   the protocol (applied first; resets profile options)
 *   <terminal option>                docs/terminal.md (packet_samples, obd_period, store_records, ...)
 *   obd_poll=S                       seconds between the terminal's slow OBD requests (truck.h)
 *   fidelity=sampled|full            the bus (vehicle_can.h)
 *   can.<key>=V                      signal configuration (signals.h rs_sig_cfg_set), both sides
 *   anything else                    a profile option (docs/protocol.md)
 * The scenario's `profile = {...}` table comes first, the user's options
 * after it, so the user wins. */
#ifndef REMSIM_RUN_SETUP_H
#define REMSIM_RUN_SETUP_H

#include <stddef.h>

#include "remsim/profile.h"
#include "remsim/scenario.h"
#include "remsim/terminal.h"
#include "remsim/truck.h"

typedef struct rs_run_setup {
    rs_scenario *scn;
    rs_profile profile;
    rs_terminal_config term;
    rs_truck_cfg truck;
} rs_run_setup;

/* Loads the scenario (its own Lua state) and applies its defaults, then
 * opts[0..n).  On failure returns the code and a message in msg naming
 * the file or the option. */
rs_code rs_run_setup_load(rs_run_setup *s, const char *scenario_path, const rs_scn_opts *so,
                          const char *const *opts, size_t n, char *msg, size_t cap);
/* One option after loading (same routing). */
rs_code rs_run_setup_set(rs_run_setup *s, const char *kv, rs_err *err);
void rs_run_setup_free(rs_run_setup *s);

#endif
