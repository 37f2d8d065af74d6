/* The progress line of a running fleet.
 *
 *   00:01:05/00:10:00  up 998/1000  1.23k frames/s  lost 0  backlog 12  p99 35.2 ms
 *
 * elapsed/planned duration (no planned end: elapsed only), terminals with
 * a connection up / terminals planned, frames sent per second over the
 * last interval, samples lost so far (every drop reason), samples waiting
 * in reissue stores, and the p99 of the last interval's latencies (every
 * latency histogram; "-" when there were none).
 *
 * On a terminal (TTY) the line is rewritten in place each second ("\r",
 * the line, then "ESC[K" to clear what a longer line left); otherwise a
 * plain line is printed every N seconds (default 10), so logs stay short.
 * rs_progress_format() is pure, for tests; the caller owns the clock. */
#ifndef REMSIM_PROGRESS_H
#define REMSIM_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "remsim/metrics.h"

#define RS_PROGRESS_EVERY_S 10

typedef struct rs_progress_line {
    double elapsed_s;
    double duration_s;          /* 0: no planned end */
    int64_t up;                 /* connections up now */
    uint64_t terminals;         /* terminals planned */
    double frames_per_s;
    uint64_t lost;
    int64_t backlog;
    bool has_p99;
    uint64_t p99_us;
} rs_progress_line;

/* The fields from the run's cumulative total and the delta of the last
 * interval of interval_s seconds (metrics.h: rs_metrics_diff). */
void rs_progress_fill(rs_progress_line *l, double elapsed_s, double duration_s, uint64_t terminals,
                      const rs_metrics *total, const rs_metrics *delta, double interval_s);

/* The line without newline or control characters.  Returns what snprintf
 * returns (the length it needed). */
int rs_progress_format(char *buf, size_t cap, const rs_progress_line *l);

typedef struct rs_progress {
    FILE *out;
    bool tty;
    unsigned every_s;
    double last_s;       /* elapsed at the last plain line; negative: none yet */
    bool open;           /* TTY: a line is on screen without its newline */
} rs_progress;

/* tty: 1 yes, 0 no, -1 ask isatty() on out.  every_s 0: RS_PROGRESS_EVERY_S. */
void rs_progress_init(rs_progress *p, FILE *out, int tty, unsigned every_s);
/* Prints the line if it is due (TTY: always; otherwise every every_s
 * seconds of elapsed time, and the first call).  Returns true if printed. */
bool rs_progress_update(rs_progress *p, const rs_progress_line *l);
/* Ends an open TTY line with a newline, so what follows starts clean. */
void rs_progress_done(rs_progress *p);

#endif
