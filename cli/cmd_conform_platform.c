/* remsim conform platform: the platform suite (conformance/platform_*.c)
 * on the command line.  A line per case file on stderr as it ends; the
 * reports asked for; the console summary last on stdout.
 * docs/conformance-platform.md documents every option. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/conf_views.h"
#include "remsim/conform.h"
#include "remsim/conform_platform.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim conform platform --target HOST:PORT [--profile P] [options]\n"
            "       remsim conform platform --list [--profile P]\n"
            "\n"
            "remsim plays terminals against the platform at HOST:PORT: scripted Lua\n"
            "conversations (scenarios/conform/platform/*.lua) for login, reports,\n"
            "reissue, time calibration, activation, platform login and robustness, each\n"
            "with a time limit; one verdict per catalogue case.\n"
            "\n"
            "target:\n"
            "  -t, --target HOST:PORT   the platform under test (IPv6: [::1]:9000)\n"
            "  -p, --profile NAME       gb17691 (default), hj1239 or gb32960\n"
            "  -s, --strict             tolerated deviations count as errors\n"
            "  -o, --opt KEY=VALUE      profile option, as in remsim decode\n"
            "      --national           the target is the MEE national platform (HJ\n"
            "                           activation 0x07 is answered there)\n"
            "      --plat-target HOST:PORT  a forwarding-link receiver for the GB/T 32960\n"
            "                           platform login (§11.1, §12.3); with --profile gb32960\n"
            "                           the login goes to --target\n"
            "      --plat-start ##|~~   start bytes of that link (default ##)\n"
            "      --plat-id ID, --plat-user U, --plat-password P  its credentials\n"
            "                           (default REMSIMPLATFORM01, remsim, remsim)\n"
            "cases:\n"
            "      --list               the case files and the cases each covers\n"
            "  -c, --case ID            run only this case id or file (repeatable)\n"
            "      --cases DIR          the case directory (default: $REMSIM_CASES, or\n"
            "                           scenarios/conform/platform found from here or the binary)\n"
            "      --timeout SECS       time limit of each case file (default 30)\n"
            "      --timecal-limit MS   a 0x05 answer must arrive within MS (default 1000)\n"
            "      --answer-wait MS     wait for an answer the profile does not require\n"
            "                           (default 500)\n"
            "      --oracle CMD         ask the platform what it stored: a command (JSON\n"
            "                           query on stdin, JSON answer on stdout) or FILE.lua\n"
            "      --oracle-timeout SECS  per query (default 10)\n"
            "      --vin-prefix P       WMI + VDS of the VINs used, up to 8 characters\n"
            "                           (default LRSPF)\n"
            "      --storm N            connections of the reconnect storm (default 100)\n"
            "      --concurrency N      storm connections open at once (default 20)\n"
            "      --slow-ms MS         slow sender: ms between bytes (default 100)\n"
            "      --seed N             SM2 keys of the HJ terminals played (default 1)\n"
            "tls:\n"
            "      --tls                TLS to the target (1.2 or 1.3)\n"
            "      --tls-ca FILE        CA bundle the platform is verified against\n"
            "      --tls-cert FILE, --tls-key FILE  client certificate and key\n"
            "      --tls-server-name N  name (or IP) the certificate must carry\n"
            "      --tls-insecure       do not verify the platform's certificate\n"
            "output:\n"
            "      --json FILE          the conformance result document\n"
            "      --junit FILE         JUnit XML, one testcase per case\n"
            "      --html FILE          self-contained HTML report\n"
            "  -a, --all                console: every case, not only what failed or skipped\n"
            "  -v, --verbose            log() lines of the case scripts on stderr\n"
            "  -q, --quiet              no progress lines\n"
            "  -h, --help               this text\n"
            "\n"
            "exit status: 0 no case failed; 1 a case failed; 2 usage or environment\n"
            "error (target unreachable, a case script broken).\n");
}

enum {
    O_LIST = 600, O_CASES, O_TIMEOUT, O_TIMECAL, O_ANSWER_WAIT, O_ORACLE, O_ORACLE_TIMEOUT, O_VIN_PREFIX, O_STORM,
    O_CONC, O_SLOW, O_SEED, O_NATIONAL, O_PLAT_TARGET, O_PLAT_START, O_PLAT_ID, O_PLAT_USER, O_PLAT_PW, O_TLS,
    O_TLS_CA, O_TLS_CERT, O_TLS_KEY, O_TLS_NAME, O_TLS_INSECURE, O_JSON, O_JUNIT, O_HTML
};

static bool parse_u(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (!s || s[0] == '-')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_secs_ms(const char *s, unsigned *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 86400)
        return false;
    *ms = (unsigned)(v * 1000.0 + 0.5);
    return true;
}

static int bad(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "remsim conform platform: %s '%s': %s\n", opt, arg ? arg : "", want);
    return RS_EXIT_USAGE;
}

int cmd_conform_platform(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "target", required_argument, NULL, 't' },      { "profile", required_argument, NULL, 'p' },
        { "strict", no_argument, NULL, 's' },            { "opt", required_argument, NULL, 'o' },
        { "case", required_argument, NULL, 'c' },        { "list", no_argument, NULL, O_LIST },
        { "cases", required_argument, NULL, O_CASES },   { "timeout", required_argument, NULL, O_TIMEOUT },
        { "timecal-limit", required_argument, NULL, O_TIMECAL },
        { "answer-wait", required_argument, NULL, O_ANSWER_WAIT },
        { "oracle", required_argument, NULL, O_ORACLE }, { "oracle-timeout", required_argument, NULL, O_ORACLE_TIMEOUT },
        { "vin-prefix", required_argument, NULL, O_VIN_PREFIX }, { "storm", required_argument, NULL, O_STORM },
        { "concurrency", required_argument, NULL, O_CONC }, { "slow-ms", required_argument, NULL, O_SLOW },
        { "seed", required_argument, NULL, O_SEED },     { "national", no_argument, NULL, O_NATIONAL },
        { "plat-target", required_argument, NULL, O_PLAT_TARGET },
        { "plat-start", required_argument, NULL, O_PLAT_START }, { "plat-id", required_argument, NULL, O_PLAT_ID },
        { "plat-user", required_argument, NULL, O_PLAT_USER }, { "plat-password", required_argument, NULL, O_PLAT_PW },
        { "tls", no_argument, NULL, O_TLS },             { "tls-ca", required_argument, NULL, O_TLS_CA },
        { "tls-cert", required_argument, NULL, O_TLS_CERT }, { "tls-key", required_argument, NULL, O_TLS_KEY },
        { "tls-server-name", required_argument, NULL, O_TLS_NAME },
        { "tls-insecure", no_argument, NULL, O_TLS_INSECURE },
        { "json", required_argument, NULL, O_JSON },     { "junit", required_argument, NULL, O_JUNIT },
        { "html", required_argument, NULL, O_HTML },     { "all", no_argument, NULL, 'a' },
        { "verbose", no_argument, NULL, 'v' },           { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },              { NULL, 0, NULL, 0 },
    };
    rs_platform_opts o;
    rs_platform_opts_init(&o);
    o.argv0 = argv[0];
    o.progress = stderr;
    const char *kv[64];
    unsigned n_kv = 0;
    bool strict = false, list = false, all = false, tls_opt = false;
    const char *json = NULL, *junit = NULL, *html = NULL;
    rs_proto proto = RS_PROTO_GB17691;
    unsigned long v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:p:so:c:avqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 't': o.target = optarg; break;
        case 'p':
            if (!rs_proto_parse(optarg, &proto))
                return bad("--profile", optarg, "gb17691, hj1239 or gb32960");
            break;
        case 's': strict = true; break;
        case 'o':
            if (n_kv == 64)
                return bad("--opt", optarg, "at most 64 options");
            kv[n_kv++] = optarg;
            break;
        case 'c':
            if (o.n_only == RS_PLATFORM_MAX_ONLY)
                return bad("--case", optarg, "at most 64 --case options");
            o.only[o.n_only++] = optarg;
            break;
        case O_LIST: list = true; break;
        case O_CASES: o.cases_dir = optarg; break;
        case O_TIMEOUT:
            if (!parse_secs_ms(optarg, &o.timeout_ms) || o.timeout_ms < 100)
                return bad("--timeout", optarg, "seconds, 0.1 or more");
            break;
        case O_TIMECAL:
            if (!parse_u(optarg, 600000, &v) || v == 0)
                return bad("--timecal-limit", optarg, "milliseconds, 1 to 600000");
            o.timecal_limit_ms = (unsigned)v;
            break;
        case O_ANSWER_WAIT:
            if (!parse_u(optarg, 600000, &v) || v == 0)
                return bad("--answer-wait", optarg, "milliseconds, 1 to 600000");
            o.answer_wait_ms = (unsigned)v;
            break;
        case O_ORACLE: o.oracle = optarg; break;
        case O_ORACLE_TIMEOUT:
            if (!parse_secs_ms(optarg, &o.oracle_timeout_ms))
                return bad("--oracle-timeout", optarg, "seconds, more than 0");
            break;
        case O_VIN_PREFIX: o.vin_prefix = optarg; break;
        case O_STORM:
            if (!parse_u(optarg, 100000, &v) || v == 0)
                return bad("--storm", optarg, "connections, 1 to 100000");
            o.storm = (unsigned)v;
            break;
        case O_CONC:
            if (!parse_u(optarg, 1000, &v) || v == 0)
                return bad("--concurrency", optarg, "connections, 1 to 1000");
            o.concurrency = (unsigned)v;
            break;
        case O_SLOW:
            if (!parse_u(optarg, 10000, &v))
                return bad("--slow-ms", optarg, "milliseconds, 0 to 10000");
            o.slow_ms = (unsigned)v;
            break;
        case O_SEED:
            if (!parse_u(optarg, ~0ul, &v))
                return bad("--seed", optarg, "a whole number");
            o.seed = v;
            break;
        case O_NATIONAL: o.national = true; break;
        case O_PLAT_TARGET: o.plat_target = optarg; break;
        case O_PLAT_START: o.plat_start = optarg; break;
        case O_PLAT_ID: o.plat_id = optarg; break;
        case O_PLAT_USER: o.plat_user = optarg; break;
        case O_PLAT_PW: o.plat_password = optarg; break;
        case O_TLS: o.tls.enabled = true; break;
        case O_TLS_CA: o.tls.ca_file = optarg; tls_opt = true; break;
        case O_TLS_CERT: o.tls.cert_file = optarg; tls_opt = true; break;
        case O_TLS_KEY: o.tls.key_file = optarg; tls_opt = true; break;
        case O_TLS_NAME: o.tls.server_name = optarg; tls_opt = true; break;
        case O_TLS_INSECURE: o.tls.insecure = true; tls_opt = true; break;
        case O_JSON: json = optarg; break;
        case O_JUNIT: junit = optarg; break;
        case O_HTML: html = optarg; break;
        case 'a': all = true; break;
        case 'v': o.verbose = true; break;
        case 'q': o.progress = NULL; break;
        case 'h': usage(stdout); return RS_EXIT_OK;
        default:
            fprintf(stderr, "remsim conform platform --help lists the options\n");
            return RS_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return bad("argument", argv[optind], "no arguments besides the options");
    if (tls_opt && !o.tls.enabled)
        return bad("--tls-*", "", "needs --tls");
    rs_profile_init(&o.profile, proto);
    o.profile.strict = strict;
    for (unsigned i = 0; i < n_kv; i++) {
        rs_err err;
        if (rs_profile_set_kv(&o.profile, kv[i], &err) != RS_OK) {
            char t[256];
            rs_err_format(&err, t, sizeof t);
            return bad("--opt", kv[i], t);
        }
    }
    rs_err err;
    if (list) {
        if (rs_platform_list(&o, stdout, &err) != RS_OK) {
            char t[256];
            rs_err_format(&err, t, sizeof t);
            fprintf(stderr, "remsim conform platform: %s\n", t);
            return RS_EXIT_USAGE;
        }
        return RS_EXIT_OK;
    }
    if (!o.target)
        return bad("--target", "", "the platform under test: --target HOST:PORT");
    rs_conf_run *run = rs_conf_new(RS_ROLE_PLATFORM, &o.profile, &err);
    if (!run) {
        fprintf(stderr, "remsim conform platform: out of memory\n");
        return RS_EXIT_USAGE;
    }
    rs_conf_set_command_line(run, argc, argv);
    rs_platform_stats st;
    rs_code rc = rs_platform_run(&o, run, &st, &err);
    if (rc != RS_OK) {
        char t[256];
        rs_err_format(&err, t, sizeof t);
        fprintf(stderr, "remsim conform platform: %s\n", t);
        rs_conf_free(run);
        return RS_EXIT_USAGE;
    }
    int code = conf_write_views("conform platform", run, json, junit, html);
    rs_conf_console(stdout, run, all, &err);
    if (st.script_errors)
        fprintf(stderr, "remsim conform platform: %u case script%s ended in an error (see above): their cases "
                        "are skipped\n",
                st.script_errors, st.script_errors == 1 ? "" : "s");
    int exit_code = rs_conf_exit_code(run) ? RS_EXIT_FINDINGS
                    : (code || st.script_errors) ? RS_EXIT_USAGE
                                                 : RS_EXIT_OK;
    rs_conf_free(run);
    return exit_code;
}
