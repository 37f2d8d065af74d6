/* Protocol time: six binary bytes YY MM DD hh mm ss in GMT+8 (§2.2). */
#ifndef REMSIM_TIME_H
#define REMSIM_TIME_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rs_time {
    uint8_t year;   /* years since 2000 */
    uint8_t month;  /* 1..12 */
    uint8_t day;    /* 1..31 */
    uint8_t hour, minute, second;
} rs_time;

#define RS_TIME_LEN 6
#define RS_GMT8_OFFSET (8 * 3600)

void rs_time_read(rs_time *t, const uint8_t *p);
void rs_time_write(const rs_time *t, uint8_t *p);

/* True when every field is inside the calendar (the day fits the month). */
bool rs_time_valid(const rs_time *t);

/* Seconds since the Unix epoch of a GMT+8 protocol time, and back. */
int64_t rs_time_to_unix(const rs_time *t);
rs_time rs_time_from_unix(int64_t unix_seconds);

/* Day number (days since 1970-01-01 in GMT+8): serials restart when it changes. */
int64_t rs_time_day(int64_t unix_seconds);

/* "2024-05-20 10:30:00" (GMT+8); raw values are printed as they are, so an
 * out-of-calendar time stays visible.  buf needs RS_TIME_TEXT bytes. */
#define RS_TIME_TEXT 32
void rs_time_format(const rs_time *t, char buf[RS_TIME_TEXT]);

#endif
