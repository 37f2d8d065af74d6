/* remsim run: a fleet of virtual trucks on a scenario.  --offline runs them
 * in virtual time with no network and writes every frame as a line
 * (offline.h); docs/run.md. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/run_net.h"
#include "remsim/offline.h"
#include "remsim/term_keys.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim run SCENARIO [-n N] [--target HOST:PORT] [options]\n"
            "       remsim run SCENARIO --offline [--out FILE] [options]\n"
            "\n"
            "Runs N virtual trucks on a Lua scenario (scenarios/*.lua).  Each truck's\n"
            "vehicle model speaks J1939 on its own CAN bus; its virtual terminal decodes\n"
            "the bus and reports over the wire protocol.\n"
            "\n"
            "Network runs (default): the terminals connect to --target, or to the built-in\n"
            "reference endpoint started on loopback; results go to --results DIR.\n"
            "  --target HOST:PORT endpoint under test (default: the built-in endpoint)\n"
            "  --speed X          virtual seconds per wall second (default 1)\n"
            "  --ramp R           trucks started per second (default: all at once)\n"
            "  --workers N        worker processes (default: planned from -n)\n"
            "  --source ADDR      local source address, repeatable (default: planned;\n"
            "                     127.0.0.x on loopback, 25,000 connections each)\n"
            "  --shard K/N        shard K (1-based) of a run split N ways: disjoint VINs\n"
            "  --connect-timeout S  connect timeout (default 5)\n"
            "  --results DIR      result.json, report.html, junit.xml (default out)\n"
            "  --fail-if EXPR     exit 1 when EXPR holds, e.g. 'p99_latency_ms>500', 'lost>0'\n"
            "  --answers MODE     built-in endpoint: none, timecal (default), echo\n"
            "  --frame-log FILE   built-in endpoint: record every frame (remsim decode reads it)\n"
            "  --vins FILE        the terminals' per-VIN accounts as CSV (generated, live,\n"
            "                     reissued, backlog, drops by reason)\n"
            "  --endpoint-workers N  built-in endpoint workers (default: planned)\n"
            "\n"
            "  --offline          virtual time, no network: every frame the terminals send\n"
            "                     is written as '<time> <VIN> <hex>' (remsim decode reads it)\n"
            "  --out FILE         frame lines to FILE ('-' or absent: stdout)\n"
            "  -n N               trucks (default 1)\n"
            "  --duration D       90, 90s, 15m, 2h: virtual time offline, wall time on the\n"
            "                     network (default: the drive cycle, at --speed)\n"
            "  --seed S           VINs and ICCIDs (default 1); the scenario's own seed\n"
            "                     drives the vehicles (--scenario-seed)\n"
            "  --scenario-seed S  the scenario's seed (default: the file's, else 1)\n"
            "  --start T          virtual start, Unix seconds (default 1767225600,\n"
            "                     2026-01-01T00:00:00Z)\n"
            "  --profile P        gb17691, hj1239, gb32960 (default: the scenario's)\n"
            "\n"
            "HJ 1239 signing and activation (docs/security.md):\n"
            "  --keys DIR         terminal keys: DIR/<VIN>.key.pem, .pub.pem, .chip are read,\n"
            "                     or made and written there for VINs without them\n"
            "  --keygen MODE      new keys: derive (from --seed and the VIN, default) or random\n"
            "  --unsigned         send HJ 0x02/0x03/0x07 without signatures\n"
            "  --national HOST:PORT  activate against this national platform (0x07 -> 0x08);\n"
            "                     default: the built-in endpoint, when it runs\n"
            "\n"
            RUN_TLS_USAGE
            "\n"
            "  --opt KEY=VALUE    profile, terminal or bus option (docs/run.md)\n"
            "  -q, --quiet        no summary on stderr\n"
            "\n"
            "Exit: 0 done; 1 a threshold failed, samples were lost, or a scenario error\n"
            "stopped a truck; 2 usage or setup error.\n");
}

int fail_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "remsim run: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (remsim run --help)\n");
    return RS_EXIT_USAGE;
}

/* "90", "90s", "15m", "2h" -> seconds; false on anything else. */
bool parse_duration(const char *s, uint32_t *out)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s || !(x >= 0))
        return false;
    double mult = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mult = 60, end++;
    else if (*end == 'h')
        mult = 3600, end++;
    if (*end || x * mult > 365.0 * 86400)
        return false;
    *out = (uint32_t)(x * mult + 0.5);
    return true;
}

bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (end == s || *end || s[0] == '-' || x > max)
        return false;
    *out = x;
    return true;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void summary(const rs_offline_result *r, uint32_t n, double cpu)
{
    fprintf(stderr,
            "remsim run --offline: %u trucks, %llu truck-seconds in %.3f s CPU (%.0f truck-s per CPU s)\n"
            "  frames %llu (%llu bytes): login %llu, realtime %llu, reissue %llu, logout %llu, "
            "timecal %llu, tamper %llu\n"
            "  samples %llu: live %llu, reissued %llu, in store at end %llu, dropped %llu\n"
            "  CAN frames on the virtual buses %llu\n",
            n, (unsigned long long)r->truck_seconds, cpu, cpu > 0 ? r->truck_seconds / cpu : 0.0,
            (unsigned long long)r->frames, (unsigned long long)r->bytes,
            (unsigned long long)r->frames_by_cmd[1], (unsigned long long)r->frames_by_cmd[2],
            (unsigned long long)r->frames_by_cmd[3], (unsigned long long)r->frames_by_cmd[4],
            (unsigned long long)r->frames_by_cmd[5], (unsigned long long)r->frames_by_cmd[6],
            (unsigned long long)r->samples, (unsigned long long)r->sent_live,
            (unsigned long long)r->sent_reissue,
            (unsigned long long)r->backlog,
            (unsigned long long)r->dropped, (unsigned long long)r->can_frames);
    if (r->stopped)
        fprintf(stderr, "  %u trucks stopped by a scenario error; the first: %s\n", r->stopped, r->first_error);
}

static int run_offline(run_args *a)
{
    rs_offline_opts oo = a->offline;
    rs_scn_opts so = a->scn;
    so.start_unix = oo.start_unix;
    rs_run_setup setup;
    char msg[512];
    if (rs_run_setup_load(&setup, a->scenario, &so, a->opts, a->n_opts, msg, sizeof msg) != RS_OK) {
        fprintf(stderr, "remsim run: %s\n", msg);
        return RS_EXIT_USAGE;
    }
    FILE *out = stdout;
    if (a->outpath && strcmp(a->outpath, "-") != 0 && !(out = fopen(a->outpath, "w"))) {
        fprintf(stderr, "remsim run: cannot write %s: ", a->outpath);
        perror(NULL);
        rs_run_setup_free(&setup);
        return RS_EXIT_USAGE;
    }
    oo.out = out;
    rs_offline_result r;
    rs_err err;
    double cpu0 = cpu_seconds();
    rs_code rc = rs_offline_run(&setup, &oo, &r, &err);
    double cpu = cpu_seconds() - cpu0;
    rs_run_setup_free(&setup);
    int wrote_ok = fflush(out) == 0 && !ferror(out);
    if (out != stdout)
        wrote_ok = (fclose(out) == 0) && wrote_ok;
    if (rc != RS_OK) {
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim run: %s\n", msg);
        return RS_EXIT_USAGE;
    }
    if (!wrote_ok) {
        fprintf(stderr, "remsim run: writing the frame lines failed\n");
        return RS_EXIT_USAGE;
    }
    if (!a->quiet)
        summary(&r, oo.n, cpu);
    return r.stopped ? RS_EXIT_FINDINGS : RS_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "offline", no_argument, NULL, 'F' },      { "out", required_argument, NULL, 'O' },
        { "duration", required_argument, NULL, 'd' }, { "seed", required_argument, NULL, 's' },
        { "scenario-seed", required_argument, NULL, 'S' }, { "start", required_argument, NULL, 't' },
        { "profile", required_argument, NULL, 'p' }, { "opt", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },         { "help", no_argument, NULL, 'h' },
        { "target", required_argument, NULL, 'T' },  { "speed", required_argument, NULL, 'x' },
        { "ramp", required_argument, NULL, 'r' },    { "workers", required_argument, NULL, 'w' },
        { "source", required_argument, NULL, 'a' },  { "shard", required_argument, NULL, 'k' },
        { "connect-timeout", required_argument, NULL, 'c' }, { "results", required_argument, NULL, 'R' },
        { "fail-if", required_argument, NULL, 'f' }, { "answers", required_argument, NULL, 'A' },
        { "frame-log", required_argument, NULL, 'L' }, { "vins", required_argument, NULL, 'V' }, { "endpoint-workers", required_argument, NULL, 'E' },
        /* signing and activation (docs/security.md) */
        { "keys", required_argument, NULL, OPT_KEYS },  { "keygen", required_argument, NULL, OPT_KEYGEN },
        { "unsigned", no_argument, NULL, OPT_UNSIGNED }, { "national", required_argument, NULL, OPT_NATIONAL },
        RUN_TLS_LONGOPTS, /* --tls ... (run_tls.h) */
        { NULL, 0, NULL, 0 },
    };
    run_args a;
    run_args_init(&a);
    rs_offline_opts_init(&a.offline);
    rs_scn_opts_init(&a.scn);
    uint64_t u;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'F': a.offline_mode = true; break;
        case 'O': a.outpath = optarg; break;
        case 'n':
            if (!parse_u64(optarg, 10000000, &u) || u == 0)
                return fail_usage("-n takes a number of trucks from 1 to 10000000, not '%s'", optarg);
            a.offline.n = (uint32_t)u;
            break;
        case 'd':
            if (!parse_duration(optarg, &a.offline.duration_s) || a.offline.duration_s == 0)
                return fail_usage("--duration takes 90, 90s, 15m or 2h (more than 0), not '%s'", optarg);
            break;
        case 's':
            if (!parse_u64(optarg, UINT64_MAX, &a.offline.seed))
                return fail_usage("--seed takes a whole number, not '%s'", optarg);
            break;
        case 'S':
            if (!parse_u64(optarg, UINT64_MAX, &a.scn.seed))
                return fail_usage("--scenario-seed takes a whole number, not '%s'", optarg);
            break;
        case 't':
            if (!parse_u64(optarg, 7258118400ull, &u) || u < 946684800ull)
                return fail_usage("--start takes Unix seconds in 2000..2199, not '%s'", optarg);
            a.offline.start_unix = (int64_t)u;
            a.start_given = true;
            break;
        case 'p':
            snprintf(a.profile_kv, sizeof a.profile_kv, "profile=%s", optarg);
            break;
        case 'o':
            if (a.n_opts == RUN_MAX_OPTS - 2)
                return fail_usage("too many --opt (%d at most)", RUN_MAX_OPTS - 2);
            a.opts[a.n_opts++] = optarg;
            break;
        case 'q': a.quiet = true; break;
        case 'h': usage(stdout); return RS_EXIT_OK;
        case OPT_KEYS: a.offline.keys.dir = optarg; break;
        case OPT_UNSIGNED: a.offline.keys.sign = false; break;
        case OPT_KEYGEN: {
            rs_keygen g;
            if (!rs_keygen_parse(optarg, &g))
                return fail_usage("--keygen takes derive or random, not '%s'", optarg);
            a.offline.keys.keygen = (uint8_t)g;
            break;
        }
        default: {
            int rc = run_net_option(&a, c, optarg);
            if (rc < 0)
                return fail_usage("%s", "unknown option");
            if (rc != RS_EXIT_OK)
                return rc;
        }
        }
    }
    if (optind != argc - 1)
        return fail_usage("%s", "give exactly one SCENARIO file");
    a.scenario = argv[optind];
    if (a.profile_kv[0]) {
        /* before the --opt list, so --opt can refine it */
        memmove(a.opts + 1, a.opts, a.n_opts * sizeof a.opts[0]);
        a.opts[0] = a.profile_kv;
        a.n_opts++;
    }
    if (!a.offline_mode)
        return run_network(&a, argc, argv);
    if (a.net_option_given)
        return fail_usage("%s", "--offline runs take no network options");
    return run_offline(&a);
}
