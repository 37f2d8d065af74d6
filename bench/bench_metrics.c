/* Metrics rates on one core:
 *   - rs_hist_record (the worker's hot path for every latency),
 *   - merging one worker snapshot into the coordinator's total, and the
 *     once-a-second rs_result_tick (diff, series row, peaks),
 *   - writing and reading a result document with a full series (3600 rows)
 *     and busy histograms.
 * The coordinator work per second should stay far below a millisecond for
 * dozens of workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remsim/result.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

int main(void)
{
    static rs_hist h;
    uint64_t x = 88172645463325252u;
    long n = 50000000;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rs_hist_record(&h, x % 2000000);
    }
    double rec = (double)n / (now() - t0);
    sink += h.count;
    printf("hist record          %8.1f M values/s\n", rec / 1e6);

    static rs_metrics worker, total;
    for (unsigned i = 0; i < RS_C_COUNT; i++)
        worker.counter[i] = i * 1000;
    for (unsigned k = 0; k < RS_H_COUNT; k++)
        for (int i = 0; i < 10000; i++)
            rs_hist_record(&worker.hist[k], (uint64_t)i * 37 % 500000);
    n = 200000;
    t0 = now();
    for (long i = 0; i < n; i++) {
        rs_metrics_merge(&total, &worker);
        sink += total.counter[3];
    }
    double merge = (double)n / (now() - t0);
    printf("snapshot merge       %8.0f k/s   (%zu bytes per snapshot)\n", merge / 1e3, sizeof(rs_metrics));

    rs_result *r = malloc(sizeof *r);
    if (!r || rs_result_init(r, 0, NULL) != RS_OK)
        return 1;
    rs_metrics_init(&total);
    n = 86400;   /* a day of ticks */
    t0 = now();
    for (long s = 0; s < n; s++) {
        rs_metrics_merge(&total, &worker);
        rs_result_tick(r, 1716163200 + s, &total);
    }
    double tick = (now() - t0) / (double)n;
    printf("result tick          %8.1f us per second of run (one merged total; %u rows of %u s kept)\n",
           tick * 1e6, r->series.len, r->series.span);

    r->run.start_ms = 1716163200000;
    r->run.end_ms = r->run.start_ms + 86400000;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return 1;
    rs_json j;
    rs_json_init_file(&j, f, true);
    t0 = now();
    rs_result_json(&j, r);
    fflush(f);
    double wr = now() - t0;
    fclose(f);
    rs_result *back = malloc(sizeof *back);
    if (!back || rs_result_init(back, 0, NULL) != RS_OK)
        return 1;
    t0 = now();
    rs_err err;
    if (rs_result_parse(back, text, len, &err) != RS_OK)
        return 1;
    double rd = now() - t0;
    printf("result document      %8.1f ms write, %.1f ms read (%zu bytes, %u series rows)\n", wr * 1e3, rd * 1e3,
           len, r->series.len);
    free(text);
    rs_result_free(back);
    rs_result_free(r);
    free(back);
    free(r);
    return 0;
}
