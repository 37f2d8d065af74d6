/* The coordinator of the reference endpoint: options, the plan (address,
 * descriptors, log, shared counters), the workers' lives, the merge of
 * their per-VIN tables, the results. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance/serve_int.h"
#include "conformance/serve_sec.h"
#include "remsim/frame.h"
#include "remsim/framelog.h"

struct rs_serve_state {
    serve_plan plan;
    pid_t pid[SERVE_MAX_WORKERS];
    int status[SERVE_MAX_WORKERS];
    bool alive[SERVE_MAX_WORKERS];
    int memfd[SERVE_MAX_WORKERS];
    size_t shm_bytes;
    unsigned failures;
    bool finished;
    rs_serve_totals result;
    rs_serve_vin *vins;
    size_t n_vins;
    int64_t started_ms, stopped_ms;
    char listen_text[RS_FRAMELOG_PEER_MAX];
    uint32_t keys_loaded, keys_full;  /* --keys: registered, did not fit */
};

void rs_serve_opts_init(rs_serve_opts *o)
{
    memset(o, 0, sizeof *o);
    rs_profile_init(&o->profile, RS_PROTO_GB17691);
    o->host = "0.0.0.0";
    o->idle_timeout = 300;
    o->max_buffered = 65536;
    rs_answer_cfg_init(&o->answer);
    o->log_events = true;
    o->forward_backlog = 4u << 20;
    o->stop_timeout = 10;
    o->verify = true;
    o->registry_size = SERVE_KEYS_DEFAULT_CAPACITY;
    rs_tls_opts_init(&o->tls);
}

static bool parse_count(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > UINT32_MAX || s[0] == '-')
        return false;
    *out = (uint32_t)v;
    return true;
}

rs_code rs_serve_fault_set(rs_serve_opts *o, const char *spec, rs_err *err)
{
    if (!strcmp(spec, "wrong-time")) {
        o->answer.time_offset_s = 3600;
        return RS_OK;
    }
    if (!strcmp(spec, "wrong-answer-cmd")) {
        o->answer.wrong_cmd = true;
        return RS_OK;
    }
    static const char close_on[] = "close-on-valid=", drop[] = "drop-every=", act[] = "activation=";
    if (!strncmp(spec, act, sizeof act - 1)) {
        static const char *const names[] = { NULL, "vin-error", "other", "already", "silent" };
        for (unsigned i = 1; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(spec + sizeof act - 1, names[i])) {
                o->fault_activation = (uint8_t)i;
                return RS_OK;
            }
        return rs_fail(err, RS_E_OPTION, 0, "fault", "activation=vin-error, other, already or silent", 0, 0,
                       RS_NUM_NONE);
    }
    if (!strncmp(spec, close_on, sizeof close_on - 1)) {
        if (parse_count(spec + sizeof close_on - 1, &o->fault_close_on_valid))
            return RS_OK;
    } else if (!strncmp(spec, drop, sizeof drop - 1)) {
        if (parse_count(spec + sizeof drop - 1, &o->fault_drop_every))
            return RS_OK;
    } else {
        return rs_fail(err, RS_E_OPTION, 0, "fault",
                       "faults are wrong-time, wrong-answer-cmd, close-on-valid=N, drop-every=N, activation=KIND",
                       0, 0,
                       RS_NUM_NONE);
    }
    return rs_fail(err, RS_E_OPTION, 0, "fault", "N is a whole number from 1", 0, 0, RS_NUM_NONE);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Descriptors open now (the embedding process may hold many). */
static unsigned open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 16;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

static rs_code io_fail(rs_err *err, const char *field, const char *rule, int e)
{
    return rs_fail(err, RS_E_IO, 0, field, rule, e, 0, RS_NUM_GOT_ONLY);
}

static rs_code opt_fail(rs_err *err, const char *field, const char *rule)
{
    return rs_fail(err, RS_E_OPTION, 0, field, rule, 0, 0, RS_NUM_NONE);
}

static rs_code check_opts(const rs_serve_opts *o, rs_err *err)
{
    if (!(o->idle_timeout > 0) || o->idle_timeout > 86400 * 365)
        return opt_fail(err, "idle_timeout", "the idle timeout is more than 0 seconds");
    if (o->workers > SERVE_MAX_WORKERS)
        return opt_fail(err, "workers", "at most 256 workers");
    if (o->max_buffered < RS_ANSWER_MAX_LEN)
        return opt_fail(err, "max_buffered", "max buffered bytes hold at least one answer (31 bytes)");
    if (!o->host || !*o->host)
        return opt_fail(err, "host", "an address to listen on");
    if (!(o->stop_timeout >= 0))
        return opt_fail(err, "stop_timeout", "the stop timeout is 0 seconds or more");
    if (o->registry_size == 0 || o->registry_size > SERVE_KEYS_MAX_CAPACITY)
        return opt_fail(err, "registry_size", "the key registry holds 1 to 16777216 terminals");
    if (o->keys_dir && o->profile.proto != RS_PROTO_HJ1239)
        return opt_fail(err, "keys", "pre-registered keys (--keys) need the hj1239 profile: only HJ frames are signed");
    return RS_OK;
}

/* Closes what start made; the workers are gone already. */
static void release(struct rs_serve_state *st)
{
    serve_plan *pl = &st->plan;
    if (pl->bind_fd >= 0)
        close(pl->bind_fd);
    if (pl->log_fd >= 0)
        close(pl->log_fd);
    for (unsigned i = 0; i < pl->workers; i++)
        if (st->memfd[i] >= 0)
            close(st->memfd[i]);
    if (pl->shm)
        munmap((void *)pl->shm, st->shm_bytes);
    serve_keys_destroy(pl->keys);
    rs_tls_ctx_free(pl->tls);
    free(st->vins);
    free(st);
}

static void reap(struct rs_serve_state *st, unsigned i, int status)
{
    st->alive[i] = false;
    st->status[i] = status;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        st->failures++;
}

/* Kills and reaps every worker still alive (start failed). */
static void kill_all(struct rs_serve_state *st)
{
    for (unsigned i = 0; i < st->plan.workers; i++)
        if (st->alive[i])
            kill(st->pid[i], SIGKILL);
    for (unsigned i = 0; i < st->plan.workers; i++)
        if (st->alive[i]) {
            int status;
            while (waitpid(st->pid[i], &status, 0) < 0 && errno == EINTR)
                ;
            st->alive[i] = false;
        }
}

static const char *step_text(int step)
{
    switch (step) {
    case SERVE_STEP_LISTEN: return "a worker can bind and listen on the address (SO_REUSEPORT)";
    case SERVE_STEP_LOOP: return "a worker can create its event loop";
    default: return "a worker has the memory it needs";
    }
}

/* Waits for one record per worker on the ready pipe. */
static rs_code wait_ready(struct rs_serve_state *st, int fd, rs_err *err)
{
    unsigned ready = 0;
    int64_t deadline = wall_ms() + 10000;
    while (ready < st->plan.workers) {
        int64_t left = deadline - wall_ms();
        if (left <= 0)
            return io_fail(err, "workers", "every worker reports ready within 10 s", ETIMEDOUT);
        struct pollfd pf = { fd, POLLIN, 0 };
        int k = poll(&pf, 1, (int)left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            continue;
        serve_ready r;
        ssize_t n = read(fd, &r, sizeof r);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof r) /* every worker closed the pipe: one died before reporting */
            return io_fail(err, "workers", "every worker starts (one ended before it reported)", ECHILD);
        if (r.err != 0)
            return io_fail(err, "workers", step_text(r.step), r.err);
        ready++;
    }
    return RS_OK;
}

static unsigned cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > SERVE_MAX_WORKERS ? SERVE_MAX_WORKERS : (unsigned)n;
}

/* Descriptors: raise the soft limit to the hard one, then give each worker
 * what is left after what is open now and a small reserve. */
static rs_code plan_fds(struct rs_serve_state *st, const rs_serve_opts *o, rs_serve *h, rs_err *err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return io_fail(err, "descriptors", "the descriptor limit can be read", errno);
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    uint64_t limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 24) ? (1u << 24) : rl.rlim_cur;
    uint64_t used = (uint64_t)open_fds() + st->plan.workers + SERVE_FD_RESERVE;
    if (limit <= used)
        return io_fail(err, "descriptors", "descriptors are left for connections under the limit", EMFILE);
    uint64_t avail = limit - used;
    h->fd_limit = (unsigned)limit;
    st->plan.max_conns = o->max_conns && o->max_conns < avail ? o->max_conns : (unsigned)avail;
    return RS_OK;
}

static rs_code bind_address(struct rs_serve_state *st, const rs_serve_opts *o, rs_serve *h, rs_err *err)
{
    serve_plan *pl = &st->plan;
    const char *why;
    if (!serve_resolve(o->host, o->port, true, &pl->addr, &pl->addr_len, &why))
        return rs_fail(err, RS_E_OPTION, 0, "host", "the listen address resolves", 0, 0, RS_NUM_NONE);
    /* Bound, not listening: it only reserves the port (port 0: learns it);
     * connections go to the workers' listening sockets. */
    pl->bind_fd = serve_bind_socket((const struct sockaddr *)&pl->addr, pl->addr_len, 0);
    if (pl->bind_fd < 0)
        return io_fail(err, "listen", "the address can be bound (free port, local address)", errno);
    socklen_t len = sizeof pl->addr;
    if (getsockname(pl->bind_fd, (struct sockaddr *)&pl->addr, &len) != 0)
        return io_fail(err, "listen", "the bound address can be read", errno);
    pl->addr_len = len;
    serve_addr_text((const struct sockaddr *)&pl->addr, st->listen_text, sizeof st->listen_text);
    const struct sockaddr *sa = (const struct sockaddr *)&pl->addr;
    h->port = sa->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port)
                                        : ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    return RS_OK;
}

static rs_code resolve_forward(serve_plan *pl, const char *fwd, rs_err *err)
{
    char host[256];
    uint16_t port;
    const char *why;
    if (!serve_split_hostport(fwd, host, sizeof host, &port) || port == 0)
        return opt_fail(err, "forward", "--forward is HOST:PORT (IPv6: [ADDR]:PORT), port 1-65535");
    if (!serve_resolve(host, port, false, &pl->fwd_addr, &pl->fwd_len, &why))
        return opt_fail(err, "forward", "the --forward host resolves");
    pl->forward = true;
    return RS_OK;
}

/* The key registry (HJ only: only HJ frames are signed), mapped before the
 * fork so every worker shares it, and the pre-registered keys in it. */
static rs_code prepare_keys(struct rs_serve_state *st, const rs_serve_opts *o, rs_err *err)
{
    serve_plan *pl = &st->plan;
    if (o->profile.proto != RS_PROTO_HJ1239)
        return RS_OK;
    rs_code rc = serve_keys_create(o->registry_size, &pl->keys, err);
    if (rc != RS_OK || !o->keys_dir)
        return rc;
    rs_sm2 *c = rs_sm2_new(err);
    if (!c)
        return io_fail(err, "keys", "memory for the SM2 verifier", ENOMEM);
    rc = serve_keys_load_dir(pl->keys, c, o->keys_dir, wall_ms(), &st->keys_loaded, &st->keys_full, err);
    rs_sm2_free(c);
    return rc;
}

static rs_code prepare(struct rs_serve_state *st, const rs_serve_opts *o, rs_serve *h, rs_err *err)
{
    serve_plan *pl = &st->plan;
    rs_code rc;
    if ((rc = plan_fds(st, o, h, err)) || (rc = bind_address(st, o, h, err)))
        return rc;
    if (o->forward && (rc = resolve_forward(pl, o->forward, err)))
        return rc;
    if (o->log_path) {
        pl->log_fd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (pl->log_fd < 0)
            return io_fail(err, "log", "the frame log can be created or appended to", errno);
    }
    if ((rc = prepare_keys(st, o, err)) != RS_OK)
        return rc;
    /* One TLS context, made before the fork: every worker has its own copy,
     * with the same ticket keys, so a session resumes on any worker. */
    if (o->tls.enabled && !(pl->tls = rs_tls_ctx_new(&o->tls, RS_TLS_SERVER, err, NULL, 0)))
        return err ? err->code : RS_E_OPTION;
    st->shm_bytes = (size_t)pl->workers * SERVE_WORDS * sizeof(uint64_t);
    void *shm = mmap(NULL, st->shm_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shm == MAP_FAILED)
        return io_fail(err, "memory", "the shared counter page can be mapped", errno);
    pl->shm = shm;
    for (unsigned i = 0; i < pl->workers; i++) {
        char name[32];
        snprintf(name, sizeof name, "remsim-serve-%u", i);
        st->memfd[i] = memfd_create(name, MFD_CLOEXEC);
        if (st->memfd[i] < 0)
            return io_fail(err, "memory", "a memory file per worker can be created (memfd)", errno);
    }
    return RS_OK;
}

rs_code rs_serve_start(const rs_serve_opts *o, rs_serve *h, rs_err *err)
{
    memset(h, 0, sizeof *h);
    rs_code rc = check_opts(o, err);
    if (rc)
        return rc;
    struct rs_serve_state *st = calloc(1, sizeof *st);
    if (!st)
        return io_fail(err, "memory", "memory for the endpoint", ENOMEM);
    serve_plan *pl = &st->plan;
    pl->o = *o;
    pl->workers = o->workers ? o->workers : cpus();
    pl->max_frame = (size_t)o->profile.max_data_len + RS_FRAME_OVERHEAD;
    pl->log_fd = pl->bind_fd = -1;
    pl->memfd = st->memfd;
    pl->parent = getpid();
    for (unsigned i = 0; i < SERVE_MAX_WORKERS; i++)
        st->memfd[i] = -1;
    if ((rc = prepare(st, o, h, err)) != RS_OK) {
        release(st);
        memset(h, 0, sizeof *h);
        return rc;
    }
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        rc = io_fail(err, "workers", "a pipe for the workers' ready reports", errno);
        release(st);
        memset(h, 0, sizeof *h);
        return rc;
    }
    pl->ready_fd = ready[1];
    fflush(NULL); /* nothing buffered may be written twice by the children */
    for (unsigned i = 0; i < pl->workers; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(ready[0]);
            serve_worker_main(pl, i);
        }
        if (pid < 0) {
            rc = io_fail(err, "workers", "a worker process can be started (fork)", errno);
            break;
        }
        st->pid[i] = pid;
        st->alive[i] = true;
    }
    close(ready[1]);
    pl->ready_fd = -1;
    if (rc == RS_OK)
        rc = wait_ready(st, ready[0], err);
    close(ready[0]);
    if (rc != RS_OK) {
        kill_all(st);
        release(st);
        memset(h, 0, sizeof *h);
        return rc;
    }
    st->started_ms = wall_ms();
    h->workers = pl->workers;
    h->max_conns = pl->max_conns;
    h->st = st;
    return RS_OK;
}

/* Whether worker i ended; reaps it.  A worker someone else reaped (an
 * embedding process waiting for any child) counts as ended cleanly: its
 * table file says whether it finished. */
static bool ended(struct rs_serve_state *st, unsigned i, bool block)
{
    for (;;) {
        int status = 0;
        pid_t r = waitpid(st->pid[i], &status, block ? 0 : WNOHANG);
        if (r == st->pid[i]) {
            reap(st, i, status);
            return true;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == ECHILD) {
            reap(st, i, 0);
            return true;
        }
        return false;
    }
}

unsigned rs_serve_poll(rs_serve *h, int timeout_ms)
{
    struct rs_serve_state *st = h->st;
    if (!st)
        return 0;
    if (timeout_ms > 0)
        poll(NULL, 0, timeout_ms); /* a signal ends the sleep early: fine */
    unsigned running = 0;
    for (unsigned i = 0; i < st->plan.workers; i++)
        if (st->alive[i] && !ended(st, i, false))
            running++;
    return running;
}

void rs_serve_snapshot(const rs_serve *h, rs_serve_totals *t)
{
    memset(t, 0, sizeof *t);
    if (!h->st)
        return;
    for (unsigned i = 0; i < h->st->plan.workers; i++) {
        rs_serve_totals w;
        serve_read_slot(h->st->plan.shm + (size_t)i * SERVE_WORDS, &w);
        serve_totals_add(t, &w);
    }
}

/* Waits for every worker; with a deadline (seconds, < 0: none), the rest
 * are killed when it passes. */
static void wait_all(struct rs_serve_state *st, double timeout)
{
    int64_t deadline = timeout >= 0 ? wall_ms() + (int64_t)(timeout * 1000) : INT64_MAX;
    for (;;) {
        unsigned running = 0;
        for (unsigned i = 0; i < st->plan.workers; i++)
            if (st->alive[i] && !ended(st, i, timeout < 0))
                running++;
        if (running == 0)
            return;
        if (wall_ms() >= deadline) {
            for (unsigned i = 0; i < st->plan.workers; i++)
                if (st->alive[i])
                    kill(st->pid[i], SIGKILL);
            timeout = -1; /* now wait for them without a limit */
            deadline = INT64_MAX;
            continue;
        }
        if (timeout >= 0)
            poll(NULL, 0, 10);
    }
}

static int cmp_vin(const void *a, const void *b)
{
    return memcmp(((const rs_serve_vin *)a)->vin, ((const rs_serve_vin *)b)->vin, 17);
}

static rs_code write_summary(const rs_serve *h, const char *path, rs_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return io_fail(err, "summary", "the summary file can be written", errno);
    rs_json j;
    rs_json_init_file(&j, f, true);
    rs_serve_summary_json(h, &j);
    rs_json_newline(&j);
    rs_code rc = rs_json_status(&j, err);
    if (fclose(f) != 0 && rc == RS_OK)
        rc = io_fail(err, "summary", "the summary file can be written", errno);
    return rc;
}

/* Totals from the workers' last counters, per-VIN tables merged. */
static rs_code collect(rs_serve *h, rs_err *err)
{
    struct rs_serve_state *st = h->st;
    if (st->finished)
        return RS_OK;
    st->stopped_ms = wall_ms();
    rs_serve_snapshot(h, &st->result);
    serve_vtab merged;
    serve_vtab_init(&merged);
    for (unsigned i = 0; i < st->plan.workers; i++) {
        int s = st->status[i];
        /* A worker that did not end cleanly may have left half a table. */
        if (WIFEXITED(s) && WEXITSTATUS(s) == 0 && !serve_vtab_merge_fd(&merged, st->memfd[i]))
            st->failures++;
    }
    serve_vtab_finish(&merged);
    rs_serve_totals *t = &st->result;
    t->vins = merged.n;
    t->samples_distinct = t->duplicates = 0;
    st->vins = merged.n ? malloc((size_t)merged.n * sizeof *st->vins) : NULL;
    for (uint32_t i = 0; i < merged.n; i++) {
        t->samples_distinct += merged.e[i].pub.samples_distinct;
        t->duplicates += merged.e[i].pub.duplicates;
        if (st->vins)
            st->vins[i] = merged.e[i].pub;
    }
    st->n_vins = st->vins ? merged.n : 0;
    if (st->vins)
        qsort(st->vins, st->n_vins, sizeof *st->vins, cmp_vin);
    serve_vtab_free(&merged);
    st->finished = true;
    if (st->plan.o.summary_path)
        return write_summary(h, st->plan.o.summary_path, err);
    return RS_OK;
}

rs_code rs_serve_stop(rs_serve *h, rs_err *err)
{
    struct rs_serve_state *st = h->st;
    if (!st)
        return RS_OK;
    for (unsigned i = 0; i < st->plan.workers; i++)
        if (st->alive[i])
            kill(st->pid[i], SIGTERM);
    wait_all(st, st->plan.o.stop_timeout);
    return collect(h, err);
}

rs_code rs_serve_wait(rs_serve *h, rs_err *err)
{
    if (!h->st)
        return RS_OK;
    wait_all(h->st, -1);
    return collect(h, err);
}

const rs_serve_totals *rs_serve_result(const rs_serve *h)
{
    return h->st ? &h->st->result : NULL;
}

const rs_serve_vin *rs_serve_vins(const rs_serve *h, size_t *n)
{
    *n = h->st ? h->st->n_vins : 0;
    return h->st ? h->st->vins : NULL;
}

const rs_serve_vin *rs_serve_vin_find(const rs_serve *h, const uint8_t vin[17])
{
    if (!h->st || !h->st->vins)
        return NULL;
    rs_serve_vin key;
    memcpy(key.vin, vin, 17);
    return bsearch(&key, h->st->vins, h->st->n_vins, sizeof key, cmp_vin);
}

unsigned rs_serve_worker_failures(const rs_serve *h)
{
    return h->st ? h->st->failures : 0;
}

void rs_serve_free(rs_serve *h)
{
    struct rs_serve_state *st = h->st;
    if (!st)
        return;
    bool running = false;
    for (unsigned i = 0; i < st->plan.workers; i++)
        running = running || st->alive[i];
    if (running) {
        for (unsigned i = 0; i < st->plan.workers; i++)
            if (st->alive[i])
                kill(st->pid[i], SIGTERM);
        wait_all(st, st->plan.o.stop_timeout);
    }
    release(st);
    memset(h, 0, sizeof *h);
}

/* --- views --- */

static void iso(rs_json *j, const char *key, int64_t ms)
{
    char buf[RS_FRAMELOG_TIME_LEN + 1];
    rs_framelog_time(ms, buf);
    rs_json_kstr(j, key, buf);
}

static const char *act_fault_name(uint8_t f)
{
    static const char *const names[] = { "none", "vin-error", "other", "already", "silent" };
    return f < sizeof names / sizeof names[0] ? names[f] : "?";
}

static bool sig_checked(const struct rs_serve_state *st)
{
    return st->plan.o.verify && st->plan.o.profile.proto == RS_PROTO_HJ1239;
}

static double verify_us_mean(const rs_serve_totals *t)
{
    uint64_t n = t->sig_verified + t->sig_verified_default + t->sig_failed;
    return n ? (double)t->sig_verify_ns / (double)n / 1000.0 : 0.0;
}

#define SERVE_FAILING_VINS_LISTED 20

/* "signatures": counters, and the VINs whose signatures failed (the first
 * 20 by VIN, with the count of the rest). */
static void signatures_json(const rs_serve *h, rs_json *j)
{
    const struct rs_serve_state *st = h->st;
    const rs_serve_totals *t = &st->result;
    rs_json_key(j, "signatures");
    rs_json_obj_begin(j);
    rs_json_kbool(j, "checked", sig_checked(st));
    rs_json_kstr(j, "keys_dir", st->plan.o.keys_dir);
    rs_json_kuint(j, "keys_loaded", st->keys_loaded);
    rs_json_kuint(j, "verified", t->sig_verified);
    rs_json_kuint(j, "verified_default_id", t->sig_verified_default);
    rs_json_kuint(j, "failed", t->sig_failed);
    rs_json_kuint(j, "unknown_key", t->sig_unknown_key);
    rs_json_kuint(j, "missing", t->sig_missing);
    rs_json_kuint(j, "samples_untrusted", t->samples_untrusted);
    rs_json_key(j, "verify_us_mean");
    rs_json_double(j, verify_us_mean(t), 1);
    rs_json_key(j, "failing_vins");
    rs_json_arr_begin(j);
    size_t failing = 0;
    for (size_t i = 0; i < st->n_vins; i++) {
        const rs_serve_vin *v = &st->vins[i];
        if (!v->sig_failed)
            continue;
        if (failing++ >= SERVE_FAILING_VINS_LISTED)
            continue;
        rs_json_obj_begin(j);
        rs_json_kbytes(j, "vin", v->vin, 17);
        rs_json_kuint(j, "failed", v->sig_failed);
        rs_json_kuint(j, "verified", v->sig_verified);
        rs_json_kstr(j, "reason", rs_serve_sig_fail_name((rs_serve_sig_fail)v->sig_fail_reason));
        rs_json_obj_end(j);
    }
    rs_json_arr_end(j);
    rs_json_kuint(j, "failing_vins_not_listed", failing > SERVE_FAILING_VINS_LISTED ? failing - SERVE_FAILING_VINS_LISTED : 0);
    rs_json_obj_end(j);
}

/* "activation": the decisions, and the registry they fill. */
static void activation_json(const rs_serve *h, rs_json *j)
{
    const struct rs_serve_state *st = h->st;
    const rs_serve_totals *t = &st->result;
    rs_json_key(j, "activation");
    rs_json_obj_begin(j);
    for (int a = 0; a < RS_SERVE_ACT_COUNT; a++)
        rs_json_kuint(j, rs_serve_act_name((rs_serve_act)a), t->activations[a]);
    rs_json_kuint(j, "vin_taken", t->activation_vin_taken);
    serve_keys_stats ks;
    serve_keys_stats_get(st->plan.keys, &ks);
    rs_json_key(j, "registry");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "capacity", ks.capacity);
    rs_json_kuint(j, "registered", ks.live);
    rs_json_kuint(j, "preregistered", ks.preregistered);
    rs_json_kuint(j, "lost_races", ks.dead);
    rs_json_kuint(j, "full", ks.full + st->keys_full);
    rs_json_kuint(j, "bytes", ks.bytes);
    rs_json_obj_end(j);
    rs_json_obj_end(j);
}

void rs_serve_summary_json(const rs_serve *h, rs_json *j)
{
    const struct rs_serve_state *st = h->st;
    if (!st) {
        rs_json_null(j);
        return;
    }
    const rs_serve_opts *o = &st->plan.o;
    rs_json_obj_begin(j);
    rs_json_kstr(j, "remsim", REMSIM_VERSION);
    rs_json_kstr(j, "command", "serve");
    rs_json_kstr(j, "profile", rs_proto_name(o->profile.proto));
    rs_json_kstr(j, "listen", st->listen_text);
    rs_json_kuint(j, "workers", st->plan.workers);
    rs_json_kuint(j, "max_conns_per_worker", st->plan.max_conns);
    rs_json_kuint(j, "fd_limit", h->fd_limit);
    rs_json_kstr(j, "answers", rs_answer_mode_name((rs_answer_mode)o->answer.mode));
    rs_json_kstr(j, "role", rs_answer_role_name((rs_answer_role)o->answer.role));
    rs_json_kstr(j, "log", o->log_path);
    rs_json_kstr(j, "forward", o->forward);
    rs_json_key(j, "tls");
    if (o->tls.enabled) {
        rs_json_obj_begin(j);
        rs_json_kstr(j, "min_version", o->tls.min_version ? o->tls.min_version : "1.2");
        rs_json_kstr(j, "max_version", o->tls.max_version ? o->tls.max_version : "1.3");
        rs_json_kbool(j, "verify_client", o->tls.mutual);
        rs_json_kbool(j, "resumption", o->tls.resume);
        rs_json_obj_end(j);
    } else {
        rs_json_null(j);
    }
    rs_json_key(j, "faults");
    rs_json_obj_begin(j);
    if (o->answer.time_offset_s)
        rs_json_kint(j, "wrong_time_s", o->answer.time_offset_s);
    if (o->answer.wrong_cmd)
        rs_json_kbool(j, "wrong_answer_cmd", true);
    if (o->fault_close_on_valid)
        rs_json_kuint(j, "close_on_valid", o->fault_close_on_valid);
    if (o->fault_drop_every)
        rs_json_kuint(j, "drop_every", o->fault_drop_every);
    if (o->fault_activation)
        rs_json_kstr(j, "activation", act_fault_name(o->fault_activation));
    rs_json_obj_end(j);
    iso(j, "started", st->started_ms);
    iso(j, "stopped", st->finished ? st->stopped_ms : wall_ms());
    rs_json_key(j, "duration_s");
    rs_json_double(j, (double)((st->finished ? st->stopped_ms : wall_ms()) - st->started_ms) / 1000.0, 3);
    rs_json_kuint(j, "worker_failures", st->failures);
    rs_json_key(j, "totals");
    serve_totals_json(j, &st->result);
    signatures_json(h, j);
    activation_json(h, j);
    rs_json_key(j, "vins");
    rs_json_arr_begin(j);
    for (size_t i = 0; i < st->n_vins; i++)
        serve_vin_json(j, &st->vins[i]);
    rs_json_arr_end(j);
    rs_json_obj_end(j);
}

void rs_serve_summary_text(const rs_serve *h, FILE *out)
{
    const struct rs_serve_state *st = h->st;
    if (!st)
        return;
    double secs = (double)((st->finished ? st->stopped_ms : wall_ms()) - st->started_ms) / 1000.0;
    fprintf(out, "remsim serve: %s, profile %s, %u workers, ran %.1f s%s\n", st->listen_text,
            rs_proto_name(st->plan.o.profile.proto), st->plan.workers, secs,
            st->failures ? " (WORKER FAILURES: per-VIN counts incomplete)" : "");
    serve_totals_text(out, &st->result, st->plan.o.profile.proto);
    const rs_serve_totals *t = &st->result;
    if (sig_checked(st))
        fprintf(out,
                "  signatures   verified %" PRIu64 ", default ID only %" PRIu64 ", FAILED %" PRIu64 ", key unknown %" PRIu64
                ", missing %" PRIu64 "; %.0f us per verification\n",
                t->sig_verified, t->sig_verified_default, t->sig_failed, t->sig_unknown_key, t->sig_missing,
                verify_us_mean(t));
    unsigned listed = 0;
    for (size_t i = 0; i < st->n_vins && t->sig_failed; i++) {
        const rs_serve_vin *v = &st->vins[i];
        if (!v->sig_failed || listed++ >= 5)
            continue;
        fprintf(out, "  sig failed   %.17s: %u frames (%s)\n", (const char *)v->vin, v->sig_failed,
                rs_serve_sig_fail_name((rs_serve_sig_fail)v->sig_fail_reason));
    }
    if (listed > 5)
        fprintf(out, "  sig failed   ... and %u more VINs (summary JSON: signatures.failing_vins)\n", listed - 5);
    uint64_t acts = 0;
    for (int a = 0; a < RS_SERVE_ACT_COUNT; a++)
        acts += t->activations[a];
    if (st->plan.keys && (acts || st->plan.o.answer.role == RS_ROLE_NATIONAL)) {
        serve_keys_stats ks;
        serve_keys_stats_get(st->plan.keys, &ks);
        fprintf(out, "  activation  ");
        for (int a = 0; a < RS_SERVE_ACT_COUNT; a++)
            fprintf(out, " %s %" PRIu64, rs_serve_act_name((rs_serve_act)a), t->activations[a]);
        fprintf(out, "; registry %u of %u (%u pre-registered)\n", ks.live, ks.capacity, ks.preregistered);
    }
}
