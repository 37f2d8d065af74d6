/* The fleet coordinator: forks the workers, merges their metrics each
 * second into the result, shows progress, gathers the per-VIN accounts
 * (fleet.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "remsim/fleet_run.h"
#include "remsim/progress.h"
#include "sim/fleet_internal.h"

typedef struct worker_pipe {
    pid_t pid;
    int fd;
    size_t got;                  /* bytes of the snapshot being read */
    rs_metrics cur;              /* being read */
    rs_metrics last;             /* the latest whole snapshot */
    char vin_file[256];
} worker_pipe;

static volatile sig_atomic_t g_interrupted;

static void on_int(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    return (double)fleet_wall_us() / 1e6;
}

static void read_pipe(worker_pipe *wp)
{
    for (;;) {
        ssize_t n = read(wp->fd, (char *)&wp->cur + wp->got, sizeof wp->cur - wp->got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(wp->fd);
                wp->fd = -1;
            }
            return;
        }
        wp->got += (size_t)n;
        if (wp->got == sizeof wp->cur) {
            wp->last = wp->cur;
            wp->got = 0;
        }
    }
}

static void total_of(const worker_pipe *wp, unsigned n, rs_metrics *total)
{
    rs_metrics_init(total);
    for (unsigned i = 0; i < n; i++)
        rs_metrics_merge(total, &wp[i].last);
}

static rs_code load_vins(worker_pipe *wp, unsigned n, rs_fleet_vin **out, size_t *n_out, rs_err *err)
{
    size_t cap = 0, len = 0;
    rs_fleet_vin *v = NULL;
    for (unsigned i = 0; i < n; i++) {
        FILE *f = fopen(wp[i].vin_file, "rb");
        if (!f)
            continue; /* a worker that died: its VINs are missing from the check */
        rs_fleet_vin one;
        while (fread(&one, sizeof one, 1, f) == 1) {
            if (len == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                rs_fleet_vin *q = realloc(v, nc * sizeof *v);
                if (!q) {
                    fclose(f);
                    free(v);
                    return rs_fail(err, RS_E_SPACE, 0, "vins", "memory for the per-VIN accounts", 0, 0, RS_NUM_NONE);
                }
                v = q;
                cap = nc;
            }
            v[len++] = one;
        }
        fclose(f);
        unlink(wp[i].vin_file);
    }
    *out = v;
    *n_out = len;
    return RS_OK;
}

rs_code rs_fleet_run(const rs_fleet_opts *o, const rs_fleet_plan *p, rs_result *r, rs_fleet_vin **vins,
                     size_t *n_vins, rs_err *err)
{
    *vins = NULL;
    *n_vins = 0;
    char dir[] = "/tmp/remsim-run-XXXXXX";
    if (!mkdtemp(dir))
        return rs_fail(err, RS_E_IO, 0, "tmpdir", "a directory for the workers' accounts under /tmp", errno, 0,
                       RS_NUM_GOT_ONLY);
    worker_pipe *wp = calloc(p->workers, sizeof *wp);
    if (!wp)
        return rs_fail(err, RS_E_SPACE, 0, "workers", "memory", 0, 0, RS_NUM_NONE);
    fflush(NULL); /* children must not write our buffered output again */
    struct sigaction sa = { .sa_handler = on_int }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    unsigned started = 0;
    for (unsigned i = 0; i < p->workers; i++) {
        int fds[2];
        if (pipe(fds) != 0)
            break;
        snprintf(wp[i].vin_file, sizeof wp[i].vin_file, "%s/worker-%u.vins", dir, i);
        pid_t pid = fork();
        if (pid < 0) {
            close(fds[0]);
            close(fds[1]);
            break;
        }
        if (pid == 0) {
            for (unsigned k = 0; k < i; k++)
                close(wp[k].fd);
            close(fds[0]);
            _exit(rs_fleet_worker(o, p, i, fds[1], wp[i].vin_file));
        }
        close(fds[1]);
        fcntl(fds[0], F_SETFL, O_NONBLOCK); /* read what is there, then poll again */
        wp[i].pid = pid;
        wp[i].fd = fds[0];
        started++;
    }
    rs_progress prog;
    rs_progress_init(&prog, stderr, -1, 10);
    double t0 = mono_s(), next = t0 + 1.0;
    rs_metrics prev, total, delta;
    rs_metrics_init(&prev);
    bool forwarded = false;
    for (;;) {
        struct pollfd pf[RS_FLEET_MAX_WORKERS];
        unsigned np = 0;
        for (unsigned i = 0; i < started; i++)
            if (wp[i].fd >= 0) {
                pf[np].fd = wp[i].fd;
                pf[np].events = POLLIN;
                np++;
            }
        if (np == 0)
            break;
        if (g_interrupted && !forwarded) {
            for (unsigned i = 0; i < started; i++)
                kill(wp[i].pid, SIGTERM); /* they stop gracefully: logouts, flush */
            forwarded = true;
        }
        int wait_ms = (int)((next - mono_s()) * 1000);
        poll(pf, np, wait_ms > 0 ? wait_ms : 0);
        for (unsigned i = 0; i < started; i++)
            if (wp[i].fd >= 0)
                read_pipe(&wp[i]);
        double now = mono_s();
        if (now >= next) {
            next += 1.0;
            total_of(wp, started, &total);
            rs_result_tick(r, wall_ms() / 1000, &total);
            rs_metrics_diff(&delta, &total, &prev);
            prev = total;
            if (!o->quiet) {
                rs_progress_line line;
                rs_progress_fill(&line, now - t0, o->duration_s, o->n, &total, &delta, 1.0);
                rs_progress_update(&prog, &line);
            }
        }
    }
    if (!o->quiet)
        rs_progress_done(&prog);
    int failed_workers = 0;
    for (unsigned i = 0; i < started; i++) {
        int st;
        while (waitpid(wp[i].pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed_workers++;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    total_of(wp, started, &total);
    r->run.end_ms = wall_ms();
    rs_result_tick(r, r->run.end_ms / 1000, &total);
    rs_code rc = load_vins(wp, started, vins, n_vins, err);
    rmdir(dir);
    free(wp);
    if (rc != RS_OK)
        return rc;
    if (started < p->workers || failed_workers)
        return rs_fail(err, RS_E_IO, 0, "workers", "every worker starts and ends well (see the messages above)",
                       (long long)(p->workers - started + (unsigned)failed_workers), 0, RS_NUM_GOT_ONLY);
    return RS_OK;
}
