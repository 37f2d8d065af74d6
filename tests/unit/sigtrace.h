/* Test helper for the signal suites: a candump trace through J1939 RX into
 * the sampler, collecting the samples (header-only; each suite is one binary).
 *
 * The line parser is deliberately tiny (the format of shared/traces only:
 * "(sec.usec) ifname ID#DATA"); the real reader is lib/candump.c. */
#ifndef REMSIM_SIGTRACE_H
#define REMSIM_SIGTRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remsim/j1939_tp.h"
#include "remsim/sampler.h"

#define SIGTRACE_MAX 512

typedef struct sigtrace {
    rs_sample s[SIGTRACE_MAX];
    size_t n;
    size_t frames;
    rs_sampler *smp;
    /* OBD at each instant: MIL, DTC count, the first 4 DTCs */
    uint8_t mil[SIGTRACE_MAX], ndtc[SIGTRACE_MAX];
    uint8_t dtc[SIGTRACE_MAX][16];
    unsigned have[SIGTRACE_MAX];
} sigtrace;

static void sigtrace_emit(void *ctx, const rs_sample *smp)
{
    sigtrace *t = ctx;
    if (t->n >= SIGTRACE_MAX)
        return;
    rs_obd o;
    t->have[t->n] = rs_sampler_obd(t->smp, &o);
    t->mil[t->n] = o.mil;
    t->ndtc[t->n] = o.dtc_count;
    memset(t->dtc[t->n], 0, 16);
    if (o.dtc_count != RS_DTC_INVALID && o.dtc)
        memcpy(t->dtc[t->n], o.dtc, 4 * (o.dtc_count < 4 ? o.dtc_count : 4));
    t->s[t->n++] = *smp;
}

static int sigtrace_hex(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One line -> frame; false for anything it does not understand. */
static bool sigtrace_parse(const char *line, rs_can_frame *f)
{
    unsigned long long sec, usec;
    char ifname[16], frame[64];
    if (sscanf(line, "(%llu.%llu) %15s %63s", &sec, &usec, ifname, frame) != 4)
        return false;
    memset(f, 0, sizeof *f);
    f->ts_us = sec * 1000000ull + usec;
    f->iface = (uint8_t)(ifname[strlen(ifname) - 1] - '0');
    const char *h = strchr(frame, '#');
    if (!h)
        return false;
    size_t idlen = (size_t)(h - frame);
    f->id = (uint32_t)strtoul(frame, NULL, 16);
    if (idlen == 8)
        f->flags = RS_CAN_EXT;
    else if (idlen != 3)
        return false;
    h++;
    while (h[0] && h[1] && f->len < 8) {
        int a = sigtrace_hex(h[0]), b = sigtrace_hex(h[1]);
        if (a < 0 || b < 0)
            return false;
        f->data[f->len++] = (uint8_t)(a * 16 + b);
        h += 2;
    }
    return true;
}

/* Runs the whole file; false when it cannot be opened. */
static bool sigtrace_run(const char *path, const rs_sampler_cfg *cfg, sigtrace *t, rs_sampler *smp)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    static rs_j1939_rx rx; /* big (TP buffers): not on the stack */
    rs_j1939_rx_init(&rx, NULL, NULL);
    rs_sampler_init(smp, cfg, sigtrace_emit, t);
    t->n = t->frames = 0;
    t->smp = smp;
    char line[256];
    rs_can_frame f;
    rs_j1939_msg m;
    while (fgets(line, sizeof line, fp)) {
        if (!sigtrace_parse(line, &f))
            continue;
        t->frames++;
        if (!(f.flags & RS_CAN_EXT))
            rs_sampler_feed_frame(smp, &f);
        else if (rs_j1939_rx_feed(&rx, &f, &m) == 1)
            rs_sampler_feed(smp, &m);
    }
    fclose(fp);
    return true;
}

#endif
