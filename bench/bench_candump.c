/* candump parse rate on one core: the idle-truck trace, parsed from memory
 * (so disk speed does not count) until about a second of CPU time is spent.
 * Target (issue "CAN side"): >= 2 M frames/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remsim/can.h"
#include "remsim/candump.h"

#define TRACE "traces/css-electronics/truck_idle_2021-10-25.candump"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = n > 0 ? malloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Parses the whole text once; returns frames, or 0 on any error. */
static unsigned long parse_all(const char *text, size_t len, volatile uint32_t *sink)
{
    rs_err err;
    rs_can_port *p = rs_candump_open_mem(text, len, 0, &err);
    if (!p)
        return 0;
    rs_can_frame f;
    rs_can_status st;
    unsigned long n = 0;
    while ((st = p->read(p, &f, &err)) == RS_CAN_OK) {
        *sink ^= f.id ^ f.data[0];
        n++;
    }
    rs_can_close(p);
    return st == RS_CAN_END ? n : 0;
}

int main(void)
{
    const char *root = getenv("REMSIM_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", (root && *root) ? root : "../shared", TRACE);
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text) {
        printf("candump parse: skipped, trace %s not found (set REMSIM_SHARED)\n", path);
        return 0;
    }
    volatile uint32_t sink = 0;   /* keeps the compiler from dropping the work */
    unsigned long per = parse_all(text, len, &sink);   /* warm-up, and the frame count */
    if (per == 0) {
        printf("candump parse: FAILED, the trace did not parse cleanly\n");
        free(text);
        return 1;
    }
    unsigned long rounds = 0;
    double t0 = cpu_seconds(), t;
    do {
        if (parse_all(text, len, &sink) != per) {
            printf("candump parse: FAILED, frame count changed between rounds\n");
            free(text);
            return 1;
        }
        rounds++;
        t = cpu_seconds() - t0;
    } while (t < 1.0);
    double rate = (double)per * (double)rounds / t;
    printf("candump parse: %.1f M frames/s (one core, truck_idle trace, %lu frames x %lu), %.0f MB/s\n",
           rate / 1e6, per, rounds, (double)len * (double)rounds / t / 1e6);
    free(text);
    return 0;
}
