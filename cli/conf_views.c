/* See conf_views.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/conf_views.h"
#include "cli/commands.h"

static int write_view(const char *cmd, const char *path, const rs_conf_run *run, char kind)
{
    rs_err err;
    rs_code rc;
    if (kind == 'j') {
        rc = rs_conf_save(run, path, &err);
    } else {
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "remsim %s: %s: %s\n", cmd, path, strerror(errno));
            return RS_EXIT_USAGE;
        }
        rc = kind == 'u' ? rs_conf_junit(f, run, &err) : rs_conf_html(f, run, &err);
        if (fclose(f) != 0 && rc == RS_OK)
            rc = rs_fail(&err, RS_E_IO, 0, path, "the report can be written", errno, 0, RS_NUM_GOT_ONLY);
    }
    if (rc != RS_OK) {
        char t[256];
        rs_err_format(&err, t, sizeof t);
        fprintf(stderr, "remsim %s: %s: %s\n", cmd, path, t);
        return RS_EXIT_USAGE;
    }
    return RS_EXIT_OK;
}

int conf_write_views(const char *cmd, const rs_conf_run *run, const char *json, const char *junit,
                     const char *html)
{
    int rc = RS_EXIT_OK;
    if (json)
        rc |= write_view(cmd, json, run, 'j');
    if (junit)
        rc |= write_view(cmd, junit, run, 'u');
    if (html)
        rc |= write_view(cmd, html, run, 'h');
    return rc;
}
