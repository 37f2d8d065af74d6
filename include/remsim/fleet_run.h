/* Running a planned fleet from the coordinator (fleet.h). */
#ifndef REMSIM_FLEET_RUN_H
#define REMSIM_FLEET_RUN_H

#include <stddef.h>

#include "remsim/fleet.h"
#include "remsim/result.h"

/* Forks p->workers workers, ticks r every second with the merged metrics
 * (and a progress line on stderr unless o->quiet), waits for them and
 * returns their per-VIN accounts (*vins, freed by the caller).  SIGINT or
 * SIGTERM stops the workers gracefully.  RS_E_IO when a worker failed. */
rs_code rs_fleet_run(const rs_fleet_opts *o, const rs_fleet_plan *p, rs_result *r, rs_fleet_vin **vins,
                     size_t *n_vins, rs_err *err);

#endif
