/* The file views of a conformance run, as every conformance command writes
 * them: --json, --junit, --html. */
#ifndef REMSIM_CLI_CONF_VIEWS_H
#define REMSIM_CLI_CONF_VIEWS_H

#include "remsim/conform.h"

/* Writes each view whose path is not NULL.  RS_EXIT_OK, or RS_EXIT_USAGE
 * after saying on stderr ("remsim CMD: PATH: why") which could not be
 * written; the others are still written. */
int conf_write_views(const char *cmd, const rs_conf_run *run, const char *json, const char *junit,
                     const char *html);

#endif
