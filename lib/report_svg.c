/* Inline SVG charts for the HTML report.  Plain shapes and text, sized
 * in pixels, colours from the page's CSS classes; every element is closed
 * so the page stays well-formed XML-ish HTML. */
#include <math.h>
#include <string.h>

#include "remsim/human.h"
#include "report_internal.h"

#define W 760
#define H 240
#define ML 70    /* margins: left, right, top, bottom */
#define MR 20
#define MT 16
#define MB 40
#define PW (W - ML - MR)
#define PH (H - MT - MB)

/* 1, 2 or 5 times a power of ten, at least v. */
static double nice_ceil(double v)
{
    if (!(v > 0))
        return 1;
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 3; i++) {
        static const double steps[] = { 1, 2, 5 };
        if (steps[i] * p >= v)
            return steps[i] * p;
    }
    return 10 * p;
}

static void svg_open(FILE *f, int h, const char *label)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            W, h, W, h);
    rs_markup(f, label);
    fputs("\">\n", f);
}

/* Horizontal grid lines with labels of the y axis (counts). */
static void y_grid(FILE *f, double ymax, const char *suffix)
{
    for (int k = 0; k <= 4; k++) {
        double y = MT + PH - PH * k / 4.0;
        char b[32];
        double v = ymax * k / 4.0;
        if (v < 1000)   /* small scales have fractional ticks: 2.5, 7.5 */
            snprintf(b, sizeof b, "%.4g", v);
        else
            rs_human_count(b, sizeof b, v);
        fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"></line>\n", ML, y, ML + PW, y);
        fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s%s</text>\n", ML - 6, y + 4, b,
                suffix);
    }
}

void rs_svg_rate_chart(FILE *f, const rs_series *s)
{
    double ymax = 0;
    bool any = false;
    for (uint32_t i = 0; i < s->len; i++) {
        if (!s->rows[i].seconds)
            continue;
        double v = rs_series_rate(&s->rows[i], s->rows[i].frames_tx);
        if (v > ymax)
            ymax = v;
        any = true;
    }
    if (!any) {
        fputs("<p class=\"nodata\">No time series in this result.</p>\n", f);
        return;
    }
    ymax = nice_ceil(ymax);
    svg_open(f, H, "frames sent per second over the run");
    y_grid(f, ymax, "/s");
    double step = (double)PW / (double)s->len;
    /* x axis: elapsed time at five points */
    for (int k = 0; k <= 4; k++) {
        double x = ML + PW * k / 4.0;
        char b[32];
        rs_human_clock(b, sizeof b, (double)s->len * s->span * k / 4.0);
        fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, H - MB + 16, b);
    }
    fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">elapsed (rows of %u s)</text>\n",
            ML + PW / 2, H - 6, s->span);
    /* one polyline per stretch of rows with data: gaps stay gaps */
    uint32_t i = 0;
    while (i < s->len) {
        while (i < s->len && !s->rows[i].seconds)
            i++;
        if (i >= s->len)
            break;
        uint32_t j = i;
        while (j < s->len && s->rows[j].seconds)
            j++;
        if (j - i == 1) {
            double v = rs_series_rate(&s->rows[i], s->rows[i].frames_tx);
            fprintf(f, "<circle class=\"line\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\"></circle>\n", ML + step * (i + 0.5),
                    MT + PH - PH * v / ymax);
        } else {
            fputs("<polyline class=\"line\" points=\"", f);
            for (uint32_t k = i; k < j; k++) {
                double v = rs_series_rate(&s->rows[k], s->rows[k].frames_tx);
                fprintf(f, "%s%.1f,%.1f", k > i ? " " : "", ML + step * (k + 0.5), MT + PH - PH * v / ymax);
            }
            fputs("\"></polyline>\n", f);
        }
        i = j;
    }
    fputs("</svg>\n", f);
}

/* Position of a value on a log axis from 10^lo to 10^hi decades. */
static double log_x(double v, double lo, double hi)
{
    double l = log10(v < 0.5 ? 0.5 : v);
    return ML + PW * (l - lo) / (hi - lo);
}

void rs_svg_hist_chart(FILE *f, const rs_hist *h, const char *title)
{
    unsigned first = RS_HIST_OVERFLOW, last = 0;
    uint64_t top = 0;
    for (unsigned i = 0; i < RS_HIST_OVERFLOW; i++) {
        if (!h->bucket[i])
            continue;
        if (first == RS_HIST_OVERFLOW)
            first = i;
        last = i;
        if (h->bucket[i] > top)
            top = h->bucket[i];
    }
    if (first == RS_HIST_OVERFLOW) {
        fputs("<p class=\"nodata\">", f);
        rs_markup(f, title);
        fputs(h->count ? ": every value above the bucketed range.</p>\n" : ": no data.</p>\n", f);
        return;
    }
    double lo = floor(log10(rs_hist_lo(first) < 1 ? 0.5 : (double)rs_hist_lo(first)));
    double hi = ceil(log10((double)rs_hist_hi(last) + 1));
    if (hi <= lo)
        hi = lo + 1;
    double ymax = nice_ceil((double)top);
    svg_open(f, H, title);
    y_grid(f, ymax, "");
    /* ticks at each power of ten; with few decades also at 2x and 5x */
    for (double d = lo; d <= hi + 1e-9; d += 1) {
        static const double mult[] = { 1, 2, 5 };
        for (unsigned k = 0; k < (hi - lo <= 2 ? 3u : 1u); k++) {
            double v = pow(10, d) * mult[k], l = log10(v);
            if (l > hi + 1e-9)
                break;
            double x = ML + PW * (l - lo) / (hi - lo);
            char b[32];
            rs_human_us(b, sizeof b, v < 1 ? 0 : v);
            fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"></line>\n", x, MT, x,
                    MT + PH);
            fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, H - MB + 16,
                    b);
        }
    }
    fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">duration (log scale); bar height: "
               "values in the bucket</text>\n",
            ML + PW / 2, H - 6);
    for (unsigned i = first; i <= last; i++) {
        if (!h->bucket[i])
            continue;
        double x0 = log_x((double)rs_hist_lo(i), lo, hi), x1 = log_x((double)rs_hist_hi(i) + 1, lo, hi);
        double bh = PH * (double)h->bucket[i] / ymax;
        if (x1 - x0 < 1)
            x1 = x0 + 1;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%llu-%llu us: "
                   "%llu</title></rect>\n",
                x0, MT + PH - bh, x1 - x0, bh, (unsigned long long)rs_hist_lo(i), (unsigned long long)rs_hist_hi(i),
                (unsigned long long)h->bucket[i]);
    }
    fputs("</svg>\n", f);
    if (h->bucket[RS_HIST_OVERFLOW])
        fprintf(f, "<p class=\"note\">%llu values above 71 min 35 s (overflow bucket) are not drawn.</p>\n",
                (unsigned long long)h->bucket[RS_HIST_OVERFLOW]);
}

void rs_svg_command_chart(FILE *f, const rs_metrics *m)
{
    unsigned cmds[RS_METRIC_CMDS], n = 0;
    uint64_t top = 0;
    for (unsigned c = 1; c <= RS_METRIC_CMDS; c++) {
        uint64_t tx = m->counter[RS_C_FRAMES_TX + c - 1], rx = m->counter[RS_C_FRAMES_RX + c - 1];
        if (!tx && !rx)
            continue;
        cmds[n++] = c;
        if (tx > top)
            top = tx;
        if (rx > top)
            top = rx;
    }
    if (!n) {
        fputs("<p class=\"nodata\">No frames were sent or received.</p>\n", f);
        return;
    }
    const int label = 170, row = 34, bw = W - label - 90;
    int h = MT + row * (int)n + 30;
    double ymax = nice_ceil((double)top);
    svg_open(f, h, "frames sent and answers received per command");
    for (unsigned k = 0; k < n; k++) {
        unsigned c = cmds[k];
        uint64_t tx = m->counter[RS_C_FRAMES_TX + c - 1], rx = m->counter[RS_C_FRAMES_RX + c - 1];
        int y = MT + row * (int)k;
        fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0x%02X %s</text>\n", label - 8, y + 17,
                c, rs_metric_cmd_name(c));
        double wt = bw * (double)tx / ymax, wr = bw * (double)rx / ymax;
        fprintf(f, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\"><title>sent: %llu</title></rect>\n",
                label, y + 2, wt, (unsigned long long)tx);
        fprintf(f, "<text class=\"value\" x=\"%.1f\" y=\"%d\">%llu</text>\n", label + wt + 4, y + 12,
                (unsigned long long)tx);
        fprintf(f,
                "<rect class=\"bar2\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\"><title>answers: %llu</title></rect>\n",
                label, y + 16, wr, (unsigned long long)rx);
        fprintf(f, "<text class=\"value\" x=\"%.1f\" y=\"%d\">%llu</text>\n", label + wr + 4, y + 26,
                (unsigned long long)rx);
    }
    int ly = MT + row * (int)n + 14;
    fprintf(f, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"12\" height=\"10\"></rect>\n", label, ly - 9);
    fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%d\">sent</text>\n", label + 16, ly);
    fprintf(f, "<rect class=\"bar2\" x=\"%d\" y=\"%d\" width=\"12\" height=\"10\"></rect>\n", label + 70, ly - 9);
    fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%d\">answers received</text>\n", label + 86, ly);
    fputs("</svg>\n", f);
}
