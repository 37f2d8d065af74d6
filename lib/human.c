/* Numbers for people (human.h). */
#include "remsim/human.h"

#include <math.h>
#include <stdio.h>

/* Three significant digits at most: 1.23, 12.3, 123. */
static int decimals(double v)
{
    v = fabs(v);
    return v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
}

char *rs_human_us(char *buf, size_t cap, double us)
{
    if (!cap)
        return buf;
    if (!(us >= 0) || !isfinite(us))
        snprintf(buf, cap, "-");
    else if (us < 999.5)
        snprintf(buf, cap, "%.0f us", us);
    else if (us < 1e6)
        snprintf(buf, cap, "%.*f ms", decimals(us / 1e3), us / 1e3);
    else if (us < 60e6)
        snprintf(buf, cap, "%.*f s", decimals(us / 1e6), us / 1e6);
    else if (us < 3600e6) {
        double s = floor(us / 1e6 + 0.5);
        snprintf(buf, cap, "%.0f min %.0f s", floor(s / 60), fmod(s, 60));
    } else {
        double m = floor(us / 60e6 + 0.5);
        snprintf(buf, cap, "%.0f h %.0f min", floor(m / 60), fmod(m, 60));
    }
    return buf;
}

static char *scaled(char *buf, size_t cap, double v, const char *const units[], unsigned n, const char *space)
{
    if (!cap)
        return buf;
    if (!isfinite(v)) {
        snprintf(buf, cap, "-");
        return buf;
    }
    unsigned u = 0;
    while (fabs(v) >= 999.5 && u + 1 < n) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%.0f%s%s", v, space, units[0]);
    else
        snprintf(buf, cap, "%.*f%s%s", decimals(v), v, space, units[u]);
    return buf;
}

char *rs_human_bytes(char *buf, size_t cap, double bytes)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
    return scaled(buf, cap, bytes, units, 6, " ");
}

char *rs_human_count(char *buf, size_t cap, double n)
{
    static const char *const units[] = { "", "k", "M", "G", "T", "P" };
    return scaled(buf, cap, n, units, 6, "");
}

char *rs_human_clock(char *buf, size_t cap, double seconds)
{
    if (!cap)
        return buf;
    if (!(seconds >= 0) || !isfinite(seconds))
        seconds = 0;
    unsigned long long s = (unsigned long long)seconds;
    snprintf(buf, cap, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
    return buf;
}
