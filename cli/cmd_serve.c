/* remsim serve: the reference endpoint (conformance/serve*.c) on the
 * command line.  Runs until SIGINT/SIGTERM (or --duration), then prints a
 * summary on stdout; progress lines and diagnostics go to stderr.
 * docs/serve.md documents every option and output. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/serve_tls_cli.h"
#include "remsim/serve.h"

#define MAX_OPTS 64
#define MAX_FAULTS 8

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim serve [options]\n"
            "\n"
            "The reference endpoint: terminals (virtual or real) connect over TCP; every\n"
            "frame is reassembled, decoded and checked, written to the frame log, counted\n"
            "per VIN, answered as protocol.md §5 recommends, and optionally forwarded.\n"
            "Runs until SIGINT or SIGTERM (or --duration), then prints a summary.\n"
            "\n"
            "listening:\n"
            "  -l, --listen HOST:PORT   address to listen on (default 0.0.0.0:9000; port 0:\n"
            "                           any free port; IPv6: [::]:9000)\n"
            "      --port-file FILE     write the port listened on to FILE (with port 0)\n"
            "  -w, --workers N          worker processes sharing the port (SO_REUSEPORT);\n"
            "                           default: one per CPU\n"
            "      --max-conns N        connections each worker accepts (default: its\n"
            "                           descriptor limit minus a small reserve); beyond it\n"
            "                           new connections are closed and counted\n"
            "      --idle-timeout SECS  close a connection that sent no complete frame for\n"
            "                           SECS (silent, half-open, dripping; default 300)\n"
            "      --max-buffered BYTES answers a peer leaves unread before reading from it\n"
            "                           pauses (default 65536)\n"
            "      --max-fps N          close a connection sending more than N frames in one\n"
            "                           second (default 0: no limit)\n"
            "protocol:\n"
            "  -p, --profile NAME       gb17691 (default), hj1239 or gb32960\n"
            "  -s, --strict             every tolerated deviation rejects the frame\n"
            "  -o, --opt KEY=VALUE      profile option, as in remsim decode (max_data_len\n"
            "                           is the frame limit)\n"
            "      --answers MODE       none, timecal (default: answer 0x05 with the time) or\n"
            "                           echo (also echo 0x01-0x04, 0x06 with the request's\n"
            "                           time); gb32960 answers every request unless none\n"
            "      --role ROLE          platform (default) or national: the MEE activation\n"
            "                           service (HJ 0x07 checked, registered, answered 0x08)\n"
            "security (HJ 1239, docs/security.md):\n"
            "      --verify on|off      verify SM2 signatures of 0x02/0x03/0x07 against the\n"
            "                           keys activations registered (default on)\n"
            "      --keys DIR           pre-register the public keys in DIR (VIN.pub.pem,\n"
            "                           VIN.chip), so reports verify without an activation\n"
            "      --registry-size N    terminals the shared key registry holds (default\n"
            "                           100000, about 240 bytes each)\n"
            SERVE_TLS_USAGE
            "output:\n"
            "      --log FILE           frame log: one line per frame, decodable by\n"
            "                           remsim decode; rejections as # comment lines\n"
            "      --fsync              fdatasync the log at every flush (once a second)\n"
            "      --no-events          no connection open/close comment lines in the log\n"
            "      --summary FILE       JSON summary with per-VIN counts, written at the end\n"
            "      --stats-every SECS   a progress line on stderr every SECS (default 0: off)\n"
            "      --duration SECS      stop by itself after SECS (default 0: run until a signal)\n"
            "gateway:\n"
            "      --forward HOST:PORT  pass every accepted frame upstream, bytes unchanged\n"
            "      --forward-backlog BYTES  bytes held per worker while upstream is down\n"
            "                           (default 4194304); beyond, frames are dropped, counted\n"
            "faults (only to test conformance checkers; repeatable):\n"
            "      --fault wrong-time         time answers 1 hour off\n"
            "      --fault wrong-answer-cmd   answers carry command + 0x10\n"
            "      --fault close-on-valid=N   close after every N-th valid frame\n"
            "      --fault drop-every=N       ignore every N-th frame (counted apart)\n"
            "      --fault activation=KIND    every 0x07 gets vin-error (02 02), other\n"
            "                                 (02 03), already (02 01), or silent (no answer)\n"
            "  -h, --help               this text\n"
            "\n"
            "exit status: 0 stopped cleanly with no rejected frame; 1 frames were rejected, a\n"
            "signature failed or a worker failed; 2 usage or environment error (address in\n"
            "use, unwritable log, unreadable --keys).\n");
}

typedef struct serve_cli {
    rs_serve_opts o;
    const char *listen;
    const char *port_file;
    double stats_every, duration;
    char host[256];
} serve_cli;

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 1e9)
        return false;
    *out = v;
    return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (s[0] == '-')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return false;
    *out = v;
    return true;
}

static int bad(const char *opt, const char *arg, const char *what)
{
    fprintf(stderr, "remsim serve: %s '%s': %s\n", opt, arg, what);
    return RS_EXIT_USAGE;
}

/* "host:port" -> o.host, o.port. */
static int split_listen(serve_cli *cli)
{
    const char *s = cli->listen;
    const char *colon = s[0] == '[' ? strstr(s, "]:") : strrchr(s, ':');
    if (!colon)
        return bad("--listen", s, "HOST:PORT, e.g. 0.0.0.0:9000, 127.0.0.1:0 or [::]:9000");
    const char *h = s[0] == '[' ? s + 1 : s;
    size_t hl = (size_t)(colon - h);
    const char *port = colon + (s[0] == '[' ? 2 : 1);
    unsigned long p;
    if (hl == 0 || hl >= sizeof cli->host || !parse_uint(port, 65535, &p) || !*port)
        return bad("--listen", s, "HOST:PORT, e.g. 0.0.0.0:9000, 127.0.0.1:0 or [::]:9000");
    memcpy(cli->host, h, hl);
    cli->host[hl] = 0;
    cli->o.host = cli->host;
    cli->o.port = (uint16_t)p;
    return RS_EXIT_OK;
}

static int setup(serve_cli *cli, int argc, char **argv)
{
    enum { O_PORTFILE = 256, O_MAXCONNS, O_IDLE, O_MAXBUF, O_MAXFPS, O_ANSWERS, O_ROLE, O_LOG, O_FSYNC,
           O_NOEVENTS, O_SUMMARY, O_STATS, O_DURATION, O_FORWARD, O_BACKLOG, O_FAULT, O_VERIFY, O_KEYS,
           O_REGISTRY };
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "port-file", required_argument, NULL, O_PORTFILE },
        { "workers", required_argument, NULL, 'w' },
        { "max-conns", required_argument, NULL, O_MAXCONNS },
        { "idle-timeout", required_argument, NULL, O_IDLE },
        { "max-buffered", required_argument, NULL, O_MAXBUF },
        { "max-fps", required_argument, NULL, O_MAXFPS },
        { "profile", required_argument, NULL, 'p' },
        { "strict", no_argument, NULL, 's' },
        { "opt", required_argument, NULL, 'o' },
        { "answers", required_argument, NULL, O_ANSWERS },
        { "role", required_argument, NULL, O_ROLE },
        { "log", required_argument, NULL, O_LOG },
        { "fsync", no_argument, NULL, O_FSYNC },
        { "no-events", no_argument, NULL, O_NOEVENTS },
        { "summary", required_argument, NULL, O_SUMMARY },
        { "stats-every", required_argument, NULL, O_STATS },
        { "duration", required_argument, NULL, O_DURATION },
        { "forward", required_argument, NULL, O_FORWARD },
        { "forward-backlog", required_argument, NULL, O_BACKLOG },
        { "fault", required_argument, NULL, O_FAULT },
        { "verify", required_argument, NULL, O_VERIFY },
        { "keys", required_argument, NULL, O_KEYS },
        { "registry-size", required_argument, NULL, O_REGISTRY },
        SERVE_TLS_LONGOPTS, /* --tls ... (serve_tls_cli.h) */
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *opts[MAX_OPTS], *faults[MAX_FAULTS];
    unsigned n_opts = 0, n_faults = 0;
    rs_proto proto = RS_PROTO_GB17691;
    bool strict = false;
    rs_serve_opts *o = &cli->o;
    rs_serve_opts_init(o);
    cli->listen = "0.0.0.0:9000";
    unsigned long u;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:w:p:so:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': cli->listen = optarg; break;
        case O_PORTFILE: cli->port_file = optarg; break;
        case 'w':
            if (!parse_uint(optarg, 256, &u) || u == 0)
                return bad("--workers", optarg, "a number from 1 to 256");
            o->workers = (unsigned)u;
            break;
        case O_MAXCONNS:
            if (!parse_uint(optarg, 1u << 24, &u) || u == 0)
                return bad("--max-conns", optarg, "a number from 1");
            o->max_conns = (unsigned)u;
            break;
        case O_IDLE:
            if (!parse_double(optarg, &o->idle_timeout) || o->idle_timeout <= 0)
                return bad("--idle-timeout", optarg, "seconds, more than 0 (fractions allowed)");
            break;
        case O_MAXBUF:
            if (!parse_uint(optarg, UINT32_MAX, &u) || u < 64)
                return bad("--max-buffered", optarg, "bytes, at least 64");
            o->max_buffered = (uint32_t)u;
            break;
        case O_MAXFPS:
            if (!parse_uint(optarg, UINT32_MAX, &u))
                return bad("--max-fps", optarg, "frames per second, 0 for no limit");
            o->max_fps = (uint32_t)u;
            break;
        case 'p':
            if (!rs_proto_parse(optarg, &proto))
                return bad("--profile", optarg, "gb17691, hj1239 or gb32960");
            break;
        case 's': strict = true; break;
        case 'o':
            if (n_opts == MAX_OPTS)
                return bad("--opt", optarg, "too many --opt options");
            opts[n_opts++] = optarg;
            break;
        case O_ANSWERS: {
            rs_answer_mode m;
            if (!rs_answer_mode_parse(optarg, &m))
                return bad("--answers", optarg, "none, timecal or echo");
            o->answer.mode = (uint8_t)m;
            break;
        }
        case O_ROLE: {
            rs_answer_role r;
            if (!rs_answer_role_parse(optarg, &r))
                return bad("--role", optarg, "platform or national");
            o->answer.role = (uint8_t)r;
            break;
        }
        case O_LOG: o->log_path = optarg; break;
        case O_FSYNC: o->log_fsync = true; break;
        case O_NOEVENTS: o->log_events = false; break;
        case O_SUMMARY: o->summary_path = optarg; break;
        case O_STATS:
            if (!parse_double(optarg, &cli->stats_every))
                return bad("--stats-every", optarg, "seconds, 0 for none");
            break;
        case O_DURATION:
            if (!parse_double(optarg, &cli->duration))
                return bad("--duration", optarg, "seconds, 0 to run until a signal");
            break;
        case O_FORWARD: o->forward = optarg; break;
        case O_BACKLOG:
            if (!parse_uint(optarg, UINT32_MAX, &u))
                return bad("--forward-backlog", optarg, "bytes");
            o->forward_backlog = (uint32_t)u;
            break;
        case O_FAULT:
            if (n_faults == MAX_FAULTS)
                return bad("--fault", optarg, "too many --fault options");
            faults[n_faults++] = optarg;
            break;
        case O_VERIFY:
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return bad("--verify", optarg, "on or off");
            o->verify = !strcmp(optarg, "on");
            break;
        case O_KEYS: o->keys_dir = optarg; break;
        case O_REGISTRY:
            if (!parse_uint(optarg, 1u << 24, &u) || u == 0)
                return bad("--registry-size", optarg, "a number of terminals from 1 to 16777216");
            o->registry_size = (uint32_t)u;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default: {
            int trc = serve_tls_option(&o->tls, c, optarg);
            if (trc >= 0) {
                if (trc != RS_EXIT_OK)
                    return trc;
                break;
            }
            fprintf(stderr, "remsim serve --help lists the options\n");
            return RS_EXIT_USAGE;
        }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "remsim serve: unexpected argument '%s' (remsim serve --help)\n", argv[optind]);
        return RS_EXIT_USAGE;
    }
    rs_answer_cfg keep = o->answer;
    rs_profile_init(&o->profile, proto);
    o->profile.strict = strict;
    o->answer = keep;
    rs_err err;
    char msg[512];
    for (unsigned i = 0; i < n_opts; i++)
        if (rs_profile_set_kv(&o->profile, opts[i], &err) != RS_OK) {
            rs_err_format(&err, msg, sizeof msg);
            return bad("--opt", opts[i], msg);
        }
    for (unsigned i = 0; i < n_faults; i++)
        if (rs_serve_fault_set(o, faults[i], &err) != RS_OK) {
            rs_err_format(&err, msg, sizeof msg);
            return bad("--fault", faults[i], msg);
        }
    return split_listen(cli);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool write_port(const char *path, unsigned port)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "%u\n", port);
    return fclose(f) == 0;
}

static void banner(const serve_cli *cli, const rs_serve *h)
{
    const rs_serve_opts *o = &cli->o;
    fprintf(stderr,
            "remsim serve: listening on %s port %u (%s), profile %s, answers %s, role %s\n"
            "remsim serve: %u workers x %u connections (descriptor limit %u per process)\n",
            o->host, (unsigned)h->port, o->tls.enabled ? "tls" : "tcp", rs_proto_name(o->profile.proto),
            rs_answer_mode_name((rs_answer_mode)o->answer.mode), rs_answer_role_name((rs_answer_role)o->answer.role),
            h->workers, h->max_conns, h->fd_limit);
    fprintf(stderr, "remsim serve: frame log %s%s\n", o->log_path ? o->log_path : "none (no --log)",
            o->log_path && o->log_fsync ? ", fsync" : "");
    serve_tls_banner(&o->tls, stderr);
    if (o->forward)
        fprintf(stderr, "remsim serve: forwarding accepted frames to %s (backlog %u bytes per worker)\n", o->forward,
                o->forward_backlog);
    if (o->profile.proto == RS_PROTO_HJ1239)
        fprintf(stderr, "remsim serve: signatures %s; key registry for %u terminals%s%s\n",
                o->verify ? "verified" : "NOT verified (--verify off)", o->registry_size,
                o->keys_dir ? ", pre-registered from " : "", o->keys_dir ? o->keys_dir : "");
    if (o->answer.time_offset_s || o->answer.wrong_cmd || o->fault_close_on_valid || o->fault_drop_every ||
        o->fault_activation)
        fprintf(stderr, "remsim serve: FAULTS ACTIVE (for testing checkers only)\n");
}

int cmd_serve(int argc, char **argv)
{
    serve_cli cli;
    memset(&cli, 0, sizeof cli);
    int rc = setup(&cli, argc, argv);
    if (rc != RS_EXIT_OK)
        return rc < 0 ? RS_EXIT_OK : rc;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the sleep ends at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    rs_serve h;
    rs_err err;
    char msg[512];
    if ((rc = serve_tls_check(&cli.o.tls)) != RS_EXIT_OK)
        return rc;
    if (rs_serve_start(&cli.o, &h, &err) != RS_OK) {
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim serve: cannot start: %s\n", msg);
        return RS_EXIT_USAGE;
    }
    banner(&cli, &h);
    if (cli.port_file && !write_port(cli.port_file, h.port)) {
        fprintf(stderr, "remsim serve: cannot write --port-file '%s': %s\n", cli.port_file, strerror(errno));
        rs_serve_free(&h);
        return RS_EXIT_USAGE;
    }

    double t0 = mono(), last = t0;
    rs_serve_totals before, now;
    memset(&before, 0, sizeof before);
    bool all_ended = false;
    while (!g_signal) {
        unsigned running = rs_serve_poll(&h, 100);
        double t = mono();
        if (running == 0) {
            all_ended = true;
            break;
        }
        if (cli.duration > 0 && t - t0 >= cli.duration)
            break;
        if (cli.stats_every > 0 && t - last >= cli.stats_every) {
            rs_serve_snapshot(&h, &now);
            rs_serve_progress_line(&now, &before, t - last, t - t0, stderr);
            before = now;
            last = t;
        }
    }
    rc = RS_EXIT_OK;
    if ((all_ended ? rs_serve_wait(&h, &err) : rs_serve_stop(&h, &err)) != RS_OK) {
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim serve: %s\n", msg);
        rc = RS_EXIT_USAGE;
    }
    rs_serve_summary_text(&h, stdout);
    fflush(stdout);
    const rs_serve_totals *t = rs_serve_result(&h);
    if (rs_serve_worker_failures(&h) > 0) {
        fprintf(stderr, "remsim serve: %u worker(s) ended abnormally; their per-VIN counts are missing\n",
                rs_serve_worker_failures(&h));
        if (rc == RS_EXIT_OK)
            rc = RS_EXIT_FINDINGS;
    }
    if (rc == RS_EXIT_OK && t && (t->rejected > 0 || t->sig_failed > 0))
        rc = RS_EXIT_FINDINGS; /* a failed signature is an ERROR finding (§13) */
    rs_serve_free(&h);
    return rc;
}
