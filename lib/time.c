/* Protocol time <-> Unix time.  Protocol times are GMT+8 wall clock. */
#include "remsim/time.h"

#include <stdio.h>

void rs_time_read(rs_time *t, const uint8_t *p)
{
    t->year = p[0];
    t->month = p[1];
    t->day = p[2];
    t->hour = p[3];
    t->minute = p[4];
    t->second = p[5];
}

void rs_time_write(const rs_time *t, uint8_t *p)
{
    p[0] = t->year;
    p[1] = t->month;
    p[2] = t->day;
    p[3] = t->hour;
    p[4] = t->minute;
    p[5] = t->second;
}

static bool leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const uint8_t dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return (m == 2 && leap(y)) ? 29 : dim[m - 1];
}

bool rs_time_valid(const rs_time *t)
{
    if (t->year > 99 || t->month < 1 || t->month > 12 || t->day < 1)
        return false;
    if (t->day > days_in_month(2000u + t->year, t->month))
        return false;
    return t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t rs_time_to_unix(const rs_time *t)
{
    int64_t days = days_from_civil(2000 + t->year, t->month ? t->month : 1, t->day ? t->day : 1);
    return days * 86400 + t->hour * 3600 + t->minute * 60 + t->second - RS_GMT8_OFFSET;
}

rs_time rs_time_from_unix(int64_t unix_seconds)
{
    int64_t s = unix_seconds + RS_GMT8_OFFSET;
    int64_t z = (s >= 0 ? s : s - 86399) / 86400;
    int64_t sod = s - z * 86400;
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    rs_time t;
    t.year = (uint8_t)(y - 2000);
    t.month = (uint8_t)m;
    t.day = (uint8_t)d;
    t.hour = (uint8_t)(sod / 3600);
    t.minute = (uint8_t)(sod / 60 % 60);
    t.second = (uint8_t)(sod % 60);
    return t;
}

int64_t rs_time_day(int64_t unix_seconds)
{
    int64_t s = unix_seconds + RS_GMT8_OFFSET;
    return s >= 0 ? s / 86400 : (s - 86399) / 86400;
}

void rs_time_format(const rs_time *t, char buf[RS_TIME_TEXT])
{
    snprintf(buf, RS_TIME_TEXT, "%04u-%02u-%02u %02u:%02u:%02u", 2000u + t->year, (unsigned)t->month,
             (unsigned)t->day, (unsigned)t->hour, (unsigned)t->minute, (unsigned)t->second);
}
