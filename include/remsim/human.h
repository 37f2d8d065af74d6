/* Numbers for people: durations, byte sizes, counts and elapsed time in
 * short text with a unit.  Used by the console summary, the HTML report
 * and the progress line.  Every function NUL-terminates (when cap > 0)
 * and returns buf. */
#ifndef REMSIM_HUMAN_H
#define REMSIM_HUMAN_H

#include <stddef.h>
#include <stdint.h>

/* 850 us, 12.3 ms, 1.25 s, 3 min 20 s, 2 h 5 min */
char *rs_human_us(char *buf, size_t cap, double us);
/* 512 B, 54.1 kB, 130 MB, 1.20 GB (powers of 1000, as network rates are) */
char *rs_human_bytes(char *buf, size_t cap, double bytes);
/* 950, 12.3k, 4.56M, 7.89G */
char *rs_human_count(char *buf, size_t cap, double n);
/* hh:mm:ss (hours may exceed 24) */
char *rs_human_clock(char *buf, size_t cap, double seconds);

#endif
