/* The progress line (progress.h). */
#include "remsim/progress.h"

#include <unistd.h>

#include "remsim/human.h"

void rs_progress_fill(rs_progress_line *l, double elapsed_s, double duration_s, uint64_t terminals,
                      const rs_metrics *total, const rs_metrics *delta, double interval_s)
{
    rs_hist lat;
    rs_metrics_latency(delta, &lat);
    l->elapsed_s = elapsed_s;
    l->duration_s = duration_s;
    l->up = total->gauge[RS_G_CONNECTIONS_UP];
    l->terminals = terminals;
    l->frames_per_s = interval_s > 0 ? (double)rs_metrics_frames_tx(delta) / interval_s : 0;
    l->lost = rs_metrics_drops(total);
    l->backlog = total->gauge[RS_G_REISSUE_BACKLOG];
    l->has_p99 = lat.count > 0;
    l->p99_us = rs_hist_percentile(&lat, 99);
}

int rs_progress_format(char *buf, size_t cap, const rs_progress_line *l)
{
    char el[24], du[32], total[24], fps[24], p99[24];
    rs_human_clock(el, sizeof el, l->elapsed_s);
    rs_human_count(fps, sizeof fps, l->frames_per_s);
    if (l->has_p99)
        rs_human_us(p99, sizeof p99, (double)l->p99_us);
    else
        snprintf(p99, sizeof p99, "-");
    if (l->duration_s > 0)
        snprintf(du, sizeof du, "/%s", rs_human_clock(total, sizeof total, l->duration_s));
    else
        du[0] = '\0';
    return snprintf(buf, cap, "%s%s  up %lld/%llu  %s frames/s  lost %llu  backlog %lld  p99 %s", el, du,
                    (long long)l->up, (unsigned long long)l->terminals, fps, (unsigned long long)l->lost,
                    (long long)l->backlog, p99);
}

void rs_progress_init(rs_progress *p, FILE *out, int tty, unsigned every_s)
{
    p->out = out;
    p->tty = tty < 0 ? isatty(fileno(out)) != 0 : tty != 0;
    p->every_s = every_s ? every_s : RS_PROGRESS_EVERY_S;
    p->last_s = -1;
    p->open = false;
}

bool rs_progress_update(rs_progress *p, const rs_progress_line *l)
{
    char line[256];
    if (!p->tty && p->last_s >= 0 && l->elapsed_s - p->last_s < (double)p->every_s)
        return false;
    rs_progress_format(line, sizeof line, l);
    if (p->tty) {
        fprintf(p->out, "\r%s\033[K", line);
        p->open = true;
    } else {
        fprintf(p->out, "%s\n", line);
        p->last_s = l->elapsed_s;
    }
    fflush(p->out);
    return true;
}

void rs_progress_done(rs_progress *p)
{
    if (p->open) {
        fputc('\n', p->out);
        fflush(p->out);
        p->open = false;
    }
}
