/* remsim run on the network: the fleet against --target or the built-in
 * reference endpoint, then the per-VIN comparison and the result views
 * (docs/run.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run_net.h"
#include "remsim/fleet_run.h"
#include "remsim/report.h"
#include "remsim/serve.h"

void run_args_init(run_args *a)
{
    memset(a, 0, sizeof *a);
    rs_fleet_opts_init(&a->fleet);
    a->results_dir = "out";
    a->answers = -1;
}

static bool parse_hostport(const char *s, struct sockaddr_in *out)
{
    char host[256];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return false;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return false;
    *out = *(struct sockaddr_in *)res->ai_addr;
    out->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return true;
}

int run_net_option(run_args *a, int c, const char *arg)
{
    rs_fleet_opts *f = &a->fleet;
    uint64_t u;
    char *end;
    a->net_option_given = true;
    switch (c) {
    case 'T':
        if (!parse_hostport(arg, &f->target))
            return fail_usage("--target takes HOST:PORT (IPv4 or a name), not '%s'", arg);
        a->target_given = true;
        a->tls.target_arg = arg;
        return RS_EXIT_OK;
    case 'x':
        f->speed = strtod(arg, &end);
        if (*end || end == arg || !(f->speed >= 0.01 && f->speed <= 1000))
            return fail_usage("--speed takes 0.01..1000, not '%s'", arg);
        return RS_EXIT_OK;
    case 'r':
        f->ramp = strtod(arg, &end);
        if (*end || end == arg || !(f->ramp > 0))
            return fail_usage("--ramp takes trucks per second (more than 0), not '%s'", arg);
        return RS_EXIT_OK;
    case 'w':
        if (!parse_u64(arg, RS_FLEET_MAX_WORKERS, &u) || u == 0)
            return fail_usage("--workers takes 1..%d, not '%s'", RS_FLEET_MAX_WORKERS, arg);
        f->workers = (unsigned)u;
        return RS_EXIT_OK;
    case 'E':
        if (!parse_u64(arg, 64, &u) || u == 0)
            return fail_usage("--endpoint-workers takes 1..64, not '%s'", arg);
        a->endpoint_workers = (unsigned)u;
        return RS_EXIT_OK;
    case 'a':
        if (f->n_sources == RS_FLEET_MAX_SOURCES)
            return fail_usage("at most %d --source addresses", RS_FLEET_MAX_SOURCES);
        if (inet_pton(AF_INET, arg, &f->source[f->n_sources]) != 1)
            return fail_usage("--source takes an IPv4 address, not '%s'", arg);
        f->n_sources++;
        return RS_EXIT_OK;
    case 'k': {
        unsigned k, n;
        char tail;
        if (sscanf(arg, "%u/%u%c", &k, &n, &tail) != 2 || n == 0 || k == 0 || k > n)
            return fail_usage("--shard takes K/N with 1 <= K <= N, not '%s'", arg);
        f->shard = k - 1;
        f->shards = n;
        return RS_EXIT_OK;
    }
    case 'c': {
        double s = strtod(arg, &end);
        if (*end || end == arg || !(s > 0 && s <= 600))
            return fail_usage("--connect-timeout takes seconds, 0..600, not '%s'", arg);
        f->connect_timeout_ms = (uint32_t)(s * 1000);
        return RS_EXIT_OK;
    }
    case OPT_NATIONAL:
        if (!parse_hostport(arg, &f->national))
            return fail_usage("--national takes HOST:PORT (IPv4 or a name), not '%s'", arg);
        f->activation = true;
        return RS_EXIT_OK;
    case 'R': a->results_dir = arg; return RS_EXIT_OK;
    case 'L': a->frame_log = arg; return RS_EXIT_OK;
    case 'V': a->vins_csv = arg; return RS_EXIT_OK;
    case 'A': {
        rs_answer_mode m;
        if (!rs_answer_mode_parse(arg, &m))
            return fail_usage("--answers takes none, timecal or echo, not '%s'", arg);
        a->answers = (int)m;
        return RS_EXIT_OK;
    }
    case 'f': {
        if (a->n_thresholds == RS_RESULT_MAX_THRESHOLDS)
            return fail_usage("at most %d --fail-if", RS_RESULT_MAX_THRESHOLDS);
        rs_threshold *t = &a->thresholds[a->n_thresholds];
        rs_err err;
        if (rs_threshold_parse(t, arg, &err) != RS_OK) {
            char msg[256], close[512];
            rs_err_format(&err, msg, sizeof msg);
            fprintf(stderr, "remsim run: --fail-if '%s': %s\n", arg, msg);
            if (err.code == RS_E_OPTION && rs_metric_suggest(t->metric, close, sizeof close))
                fprintf(stderr, "remsim run: close names: %s (docs/results.md lists them all)\n", close);
            return RS_EXIT_USAGE;
        }
        a->n_thresholds++;
        return RS_EXIT_OK;
    }
    default: {
        int rc = run_tls_option(a, c, arg);
        if (rc < 0)
            a->net_option_given = false;
        return rc;
    }
    }
}

static int write_views(const rs_result *r, const char *dir)
{
    char path[1024];
    rs_err err;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "remsim run: cannot create %s: %s\n", dir, strerror(errno));
        return RS_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/result.json", dir);
    if (rs_result_save(r, path, &err) != RS_OK) {
        fprintf(stderr, "remsim run: cannot write %s\n", path);
        return RS_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/report.html", dir);
    FILE *f = fopen(path, "w");
    if (!f || rs_report_html(f, r, &err) != RS_OK || fclose(f) != 0) {
        fprintf(stderr, "remsim run: cannot write %s\n", path);
        return RS_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    f = fopen(path, "w");
    if (!f || rs_report_junit(f, r, &err) != RS_OK || fclose(f) != 0) {
        fprintf(stderr, "remsim run: cannot write %s\n", path);
        return RS_EXIT_USAGE;
    }
    return RS_EXIT_OK;
}

/* The terminals' own accounts, one VIN a line, for comparing with what an
 * endpoint that is not ours stored (docs/run.md). */
static int write_vins(const char *path, const rs_fleet_vin *v, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "remsim run: cannot write %s: %s\n", path, strerror(errno));
        return RS_EXIT_USAGE;
    }
    fprintf(f, "vin,generated,live,reissued,backlog,dropped_store_overflow,dropped_encode,dropped_conn_lost_unsent\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.17s,%u,%u,%u,%u,%u,%u,%u\n", (const char *)v[i].vin, v[i].generated, v[i].live, v[i].reissued,
                v[i].backlog, v[i].dropped[RS_DROP_STORE_OVERFLOW], v[i].dropped[RS_DROP_ENCODE],
                v[i].dropped[RS_DROP_CONN_LOST_UNSENT]);
    return fclose(f) == 0 ? RS_EXIT_OK : RS_EXIT_USAGE;
}

/* Every sample generated was received (live or by reissue) or is listed as
 * lost with its reason: the per-VIN check, when the endpoint is ours. */
static void compare(rs_result *r, const rs_fleet_vin *v, size_t n, const rs_serve *srv)
{
    r->checks.ran = true;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].generated)
            continue;
        const rs_serve_vin *got = rs_serve_vin_find(srv, v[i].vin);
        uint64_t dropped[RS_DROP_COUNT];
        for (int d = 0; d < RS_DROP_COUNT; d++)
            dropped[d] = v[i].dropped[d];
        char vin[18];
        memcpy(vin, v[i].vin, 17);
        vin[17] = '\0';
        rs_checks_add(&r->checks, vin, v[i].generated, got ? got->samples_distinct : 0, dropped);
    }
}

int run_network(run_args *a, int argc, char **argv)
{
    rs_fleet_opts *f = &a->fleet;
    f->scenario = a->scenario;
    f->n = a->offline.n;
    f->seed = a->offline.seed;
    f->scenario_seed = a->scn.seed;
    f->quiet = a->quiet;
    f->start_unix = a->start_given ? a->offline.start_unix : 0;
    f->keys = a->offline.keys;
    /* At another speed the terminals' clocks are virtual: a time answer from
     * a real clock would pull them back, so they do not ask (docs/run.md). */
    const char *opts[RUN_MAX_OPTS + 3];
    size_t n = 0;
    opts[n++] = "activate=false"; /* set below once the profile is known; --opt wins */
    if (f->speed != 1.0 || a->start_given) {
        opts[n++] = "timecal_after_login=false";
        opts[n++] = "timecal_interval_ms=0";
    }
    for (size_t i = 0; i < a->n_opts; i++)
        opts[n++] = a->opts[i];
    f->opts = opts;
    f->n_opts = n;

    /* Load once here: options are checked before anything starts, and the
     * profile tells the built-in endpoint what to expect. */
    rs_run_setup setup;
    char msg[512];
    if (rs_run_setup_load(&setup, a->scenario, &a->scn, opts, n, msg, sizeof msg) != RS_OK) {
        fprintf(stderr, "remsim run: %s\n", msg);
        return RS_EXIT_USAGE;
    }
    /* HJ terminals activate (§9.2) when there is a national platform: the
     * one given, or the built-in endpoint, which then plays that role. */
    bool own = !a->target_given;
    bool hj = setup.profile.proto == RS_PROTO_HJ1239;
    if (hj && own && f->keys.sign)
        f->activation = true; /* an unsigned activation would be refused (02 03) */
    if (hj && f->activation)
        opts[0] = "activate=true";
    uint32_t cycle = rs_scenario_duration(setup.scn);
    if (!a->offline.duration_s)
        f->duration_s = (uint32_t)(cycle / f->speed + 0.5);
    else
        f->duration_s = a->offline.duration_s;

    rs_serve srv;
    rs_err err;
    if (run_tls_prepare(a, own) != RS_EXIT_OK) {
        rs_run_setup_free(&setup);
        return RS_EXIT_USAGE;
    }
    if (own) {
        rs_serve_opts so;
        rs_serve_opts_init(&so);
        so.profile = setup.profile;
        so.host = "127.0.0.1";
        so.port = 0;
        so.workers = a->endpoint_workers ? a->endpoint_workers : (f->n > 15000 ? (f->n + 14999) / 15000 : 1);
        so.log_path = a->frame_log;
        so.log_events = false;
        if (a->answers >= 0)
            so.answer.mode = (uint8_t)a->answers;
        if (hj)
            so.answer.role = RS_ROLE_NATIONAL; /* activation, then signatures checked against the keys it registered */
        if (f->tls.enabled)
            so.tls = a->tls.server;
        if (rs_serve_start(&so, &srv, &err) != RS_OK) {
            rs_err_format(&err, msg, sizeof msg);
            fprintf(stderr, "remsim run: the built-in endpoint did not start: %s\n", msg);
            run_tls_cleanup(a);
            rs_run_setup_free(&setup);
            return RS_EXIT_USAGE;
        }
        f->target.sin_family = AF_INET;
        f->target.sin_addr.s_addr = htonl(0x7F000001u);
        f->target.sin_port = htons(srv.port);
        if (f->national.sin_port == 0)
            f->national = f->target;
    }
    char target[64];
    snprintf(target, sizeof target, "%s:%u", inet_ntoa(f->target.sin_addr), ntohs(f->target.sin_port));

    rs_fleet_plan plan;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (rs_fleet_plan_make(f, cpus > 0 ? (unsigned)cpus : 1, &plan, &err) != RS_OK) {
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim run: %s\n", msg);
        if (own)
            rs_serve_free(&srv);
        rs_run_setup_free(&setup);
        run_tls_cleanup(a);
        return RS_EXIT_USAGE;
    }
    if (!a->quiet)
        fprintf(stderr, "remsim run: %s, %u s at speed %g -> %s%s%s\n", plan.why, f->duration_s, f->speed, target,
                own ? " (built-in endpoint)" : "", f->tls.enabled ? " over TLS" : "");

    rs_result *r = calloc(1, sizeof *r);
    if (!r || rs_result_init(r, 0, &err) != RS_OK) {
        fprintf(stderr, "remsim run: out of memory\n");
        return RS_EXIT_USAGE;
    }
    rs_run_set_command_line(&r->run, argc, argv);
    snprintf(r->run.scenario, sizeof r->run.scenario, "%s", a->scenario);
    snprintf(r->run.profile, sizeof r->run.profile, "%s", rs_proto_name(setup.profile.proto));
    snprintf(r->run.endpoint, sizeof r->run.endpoint, "%s%s%s", target, own ? " (built-in)" : "",
             f->tls.enabled ? " TLS" : "");
    if (f->shards > 1)
        snprintf(r->run.shard, sizeof r->run.shard, "%u/%u", f->shard + 1, f->shards);
    r->run.terminals = f->n;
    r->run.workers = plan.workers;
    r->run.seed = f->seed;
    r->run.start_ms = (int64_t)time(NULL) * 1000;
    for (unsigned i = 0; i < plan.n_sources; i++) {
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &plan.source[i], addr, sizeof addr);
        rs_run_add_addr(&r->run, addr);
    }
    rs_run_setup_free(&setup);

    rs_fleet_vin *vins = NULL;
    size_t n_vins = 0;
    rs_code rc = rs_fleet_run(f, &plan, r, &vins, &n_vins, &err);
    run_tls_cleanup(a); /* the endpoint and the workers have loaded it */
    int exit_code = RS_EXIT_OK;
    if (rc != RS_OK) {
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim run: %s\n", msg);
        exit_code = RS_EXIT_USAGE;
    }
    if (own) {
        /* The last frames may still be in the endpoint's socket buffers:
         * stop it once it has seen every connection close (or after 10 s). */
        for (int i = 0; i < 100; i++) {
            rs_serve_totals tot;
            rs_serve_snapshot(&srv, &tot);
            if (tot.conn_open == 0 && tot.conn_accepted >= r->metrics.counter[RS_C_CONNECTIONS_ATTEMPTED] -
                                                            rs_metrics_conn_failures(&r->metrics))
                break;
            rs_serve_poll(&srv, 100);
        }
        if (rs_serve_stop(&srv, &err) != RS_OK) {
            rs_err_format(&err, msg, sizeof msg);
            fprintf(stderr, "remsim run: the built-in endpoint: %s\n", msg);
        }
        compare(r, vins, n_vins, &srv);
        rs_serve_free(&srv);
    }
    if (a->vins_csv && write_vins(a->vins_csv, vins, n_vins) != RS_EXIT_OK && exit_code == RS_EXIT_OK)
        exit_code = RS_EXIT_USAGE;
    free(vins);
    if (a->n_thresholds)
        rs_result_evaluate(r, a->thresholds, a->n_thresholds, &err);
    int vrc = write_views(r, a->results_dir);
    if (!a->quiet) {
        rs_report_console(stdout, r, &err);
        fprintf(stdout, "results: %s/result.json, %s/report.html, %s/junit.xml\n", a->results_dir,
                a->results_dir, a->results_dir);
    }
    if (exit_code == RS_EXIT_OK && vrc != RS_EXIT_OK)
        exit_code = vrc;
    if (exit_code == RS_EXIT_OK && rs_result_failed(r))
        exit_code = RS_EXIT_FINDINGS;
    rs_result_free(r);
    free(r);
    return exit_code;
}
