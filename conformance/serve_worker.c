/* One worker process: its own listening socket (SO_REUSEPORT), its own
 * libev loop, its own connections, VIN table, log buffer and upstream link.
 * Nothing is shared with other workers but the log file (O_APPEND, whole
 * lines per write) and a page of counters the coordinator reads.
 *
 * Signals: SIGTERM or SIGINT start a graceful stop.  The handler only wakes
 * the loop (ev_async_send is async-signal-safe); libev's own signal
 * watchers are not used, since the process embedding us may already have
 * given a signal to its default loop before the fork. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance/serve_int.h"
#include "conformance/serve_sec.h"

/* Workers end with _exit() (the embedding process's atexit handlers and
 * stdio buffers are not ours), which skips LeakSanitizer: ask for its
 * check by hand in sanitizer builds. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_leak_check()
#else
#define LEAK_CHECK() ((void)0)
#endif

/* The signal handler's way in: one worker per process. */
static struct ev_loop *volatile g_loop;
static ev_async *volatile g_stop;
static volatile sig_atomic_t g_stop_early;
/* The coordinator's memory came with the fork; the worker keeps a pointer
 * to it until _exit (leak checkers then see it held, as it is). */
static const serve_plan *g_plan;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (g_loop)
        ev_async_send(g_loop, g_stop);
    else
        g_stop_early = 1;
    errno = saved;
}

static void setup_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void publish(serve_worker *w)
{
    if (w->have_log) {
        w->st.log_lines = w->log.lines;
        w->st.log_bytes = w->log.bytes;
        w->st.log_errors = w->log.errors;
    }
    w->st.vins = w->vt.n;
    w->st.vin_bytes = serve_vtab_bytes(&w->vt);
    w->st.fwd_backlog = w->have_fwd ? w->fwd.len - w->fwd.head : 0;
    serve_publish(w->plan->shm + (size_t)w->index * SERVE_WORDS, &w->st);
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    serve_worker *w = t->data;
    (void)loop;
    if (w->have_log) /* the tick is the second: nothing waits longer */
        rs_framelog_flush(&w->log);
    publish(w);
}

/* Accepts what is waiting, a bounded number per wake-up so one busy
 * listener cannot starve the connections. */
static void on_accept(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    serve_worker *w = io->data;
    for (int i = 0; i < 64 && !w->stopping; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(w->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && w->spare_fd >= 0) {
                /* Out of descriptors: free the spare, take the connection
                 * off the queue, close it, keep the spare again, so the
                 * listener does not wake us forever. */
                close(w->spare_fd);
                fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0)
                    close(fd);
                w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                w->st.conn_refused[RS_SERVE_REFUSE_NO_FD]++;
                continue;
            }
            break; /* EAGAIN, or an error the next wake-up will see again */
        }
        if (w->st.conn_open >= w->plan->max_conns) {
            close(fd);
            w->st.conn_refused[RS_SERVE_REFUSE_LIMIT]++;
            continue;
        }
        serve_conn_accept(w, fd, (const struct sockaddr *)&ss);
    }
}

static void on_grace(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)t;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static void begin_stop(serve_worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    ev_io_stop(w->loop, &w->accept_io);
    if (w->listen_fd >= 0)
        close(w->listen_fd);
    w->listen_fd = -1;
    while (w->conns)
        serve_conn_shutdown(w->conns);
    if (w->have_fwd && !serve_fwd_drained(&w->fwd)) {
        /* Give the upstream a moment to take the backlog. */
        ev_timer_init(&w->grace, on_grace, 2.0, 0.);
        ev_timer_start(w->loop, &w->grace);
        return;
    }
    ev_break(w->loop, EVBREAK_ALL);
}

static void on_stop(struct ev_loop *loop, ev_async *a, int revents)
{
    (void)loop;
    (void)revents;
    begin_stop(a->data);
}

static void report_ready(const serve_plan *plan, unsigned index, int err, int step)
{
    serve_ready r = { (int32_t)index, err, step };
    ssize_t k;
    do /* fewer than PIPE_BUF bytes: one atomic write */
        k = write(plan->ready_fd, &r, sizeof r);
    while (k < 0 && errno == EINTR);
    close(plan->ready_fd);
}

static void fail(const serve_plan *plan, unsigned index, int err, int step)
{
    report_ready(plan, index, err, step);
    _exit(1);
}

void serve_worker_main(const serve_plan *plan, unsigned index)
{
    /* Die with the coordinator; a coordinator that died during the fork
     * leaves us orphaned already. */
    g_plan = plan;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != plan->parent)
        _exit(1);
    setup_signals();
    close(plan->bind_fd);
    for (unsigned i = 0; i < plan->workers; i++)
        if (i != index)
            close(plan->memfd[i]);

    serve_worker *w = calloc(1, sizeof *w);
    if (!w)
        fail(plan, index, ENOMEM, SERVE_STEP_MEMORY);
    w->plan = plan;
    w->p = &plan->o.profile;
    w->index = index;
    w->spare_fd = -1;
    w->listen_fd = serve_bind_socket((const struct sockaddr *)&plan->addr, plan->addr_len, SOMAXCONN);
    if (w->listen_fd < 0)
        fail(plan, index, errno, SERVE_STEP_LISTEN);
    w->rbuf = malloc(SERVE_READ_CHUNK);
    w->msg = malloc(sizeof *w->msg);
    if (!w->rbuf || !w->msg)
        fail(plan, index, ENOMEM, SERVE_STEP_MEMORY);
    if (!serve_sec_worker_init(w))
        fail(plan, index, ENOMEM, SERVE_STEP_MEMORY);
    w->loop = ev_loop_new(EVFLAG_AUTO);
    if (!w->loop)
        fail(plan, index, errno ? errno : ENOMEM, SERVE_STEP_LOOP);
    serve_vtab_init(&w->vt);
    w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (plan->log_fd >= 0 && rs_framelog_init_fd(&w->log, plan->log_fd, plan->o.log_fsync, plan->max_frame, NULL) ==
                                 RS_OK)
        w->have_log = true;
    if (plan->forward) {
        serve_fwd_init(&w->fwd, w);
        w->have_fwd = true;
        serve_fwd_start(&w->fwd);
    }
    ev_io_init(&w->accept_io, on_accept, w->listen_fd, EV_READ);
    w->accept_io.data = w;
    ev_io_start(w->loop, &w->accept_io);
    ev_timer_init(&w->tick, on_tick, 1.0, 1.0);
    w->tick.data = w;
    ev_timer_start(w->loop, &w->tick);
    ev_async_init(&w->stop, on_stop);
    w->stop.data = w;
    ev_async_start(w->loop, &w->stop);
    g_stop = &w->stop;
    g_loop = w->loop;
    publish(w);
    report_ready(plan, index, 0, SERVE_STEP_OK);
    if (g_stop_early)
        begin_stop(w);
    else
        ev_run(w->loop, 0);
    begin_stop(w); /* the loop can only end through a stop; make sure */

    /* The end: log flushed, counters final, the VIN table to the coordinator. */
    g_loop = NULL;
    if (w->have_log) {
        rs_framelog_flush(&w->log);
        publish(w);
        rs_framelog_close(&w->log, NULL); /* the fd is the coordinator's: not closed here */
        w->have_log = false;
    }
    if (w->have_fwd)
        serve_fwd_free(&w->fwd);
    publish(w);
    int code = serve_vtab_write(&w->vt, plan->memfd[index]) ? 0 : 3;
    serve_vtab_free(&w->vt);
    if (w->spare_fd >= 0)
        close(w->spare_fd);
    ev_loop_destroy(w->loop);
    serve_sec_worker_free(w);
    free(w->rbuf);
    free(w->msg);
    free(w);
    LEAK_CHECK();
    _exit(code);
}
