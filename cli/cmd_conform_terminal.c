/* remsim conform terminal: the terminal suite, hardware in the loop
 * (conform_terminal.h, docs/conformance.md "Certifying a terminal (HIL)"). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/conf_views.h"
#include "remsim/conform_terminal.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim conform terminal --scenario FILE --listen HOST:PORT\n"
            "                               (--can IFACE | --can-out FILE | --virtual) [options]\n"
            "\n"
            "remsim plays the vehicle on CAN and the platform on TCP; the terminal under test\n"
            "reads the CAN bus and reports to --listen.  Cases: 1 Hz sampling, packets every\n"
            "10 s, serials and their daily reset, login/logout pairing, reissue after an outage\n"
            "the harness causes, signatures and activation (HJ 1239), time calibration, and each\n"
            "reported value against what the scenario injected.\n"
            "\n"
            "  -s, --scenario FILE     Lua scenario driving the vehicle (its profile decides the protocol)\n"
            "  -l, --listen HOST:PORT  the platform's listening address (port 0: any free port)\n"
            "      --national HOST:PORT  the activation service's address (default: the same listener)\n"
            "      --can IFACE         SocketCAN interface (full fidelity J1939, TP/BAM)\n"
            "      --can-out FILE      write the CAN traffic as a candump log, for canplayer\n"
            "      --virtual           remsim's own virtual terminal is the device under test\n"
            "  -d, --duration S        vehicle drive in seconds (default 120)\n"
            "      --outage-at S       the harness closes the connection at this second (default 30)\n"
            "      --outage S          and refuses connections this long (default 30; 0: no outage)\n"
            "      --linger S          after the drive, wait this long for the last frames (default 20)\n"
            "      --max-delay S       a reported sample may lag the injected second by up to S (default 2)\n"
            "      --keys DIR          registered public keys (DIR/<VIN>.pub.pem, .chip)\n"
            "      --vin VIN           the vehicle's VIN (VI answer; default from --seed)\n"
            "      --set KEY=VALUE     a scenario, profile or terminal option (repeatable)\n"
            "      --frames FILE       every frame, both directions, in the frame-log format\n"
            "      --injected FILE     what the vehicle put on CAN: one JSON line per second, with tolerances\n"
            "  -j, --json FILE         the result document (remsim-conformance JSON)\n"
            "      --junit FILE        JUnit XML\n"
            "      --html FILE         self-contained HTML report\n"
            "  -a, --all               console: every case, passes and not applicable too\n"
            "  -q, --quiet             no progress lines\n"
            "With --virtual only (a hardware terminal runs on the wall clock):\n"
            "      --speed X           harness clock = X times the wall clock; 0: virtual time, no TCP\n"
            "      --start UNIX        harness clock at start (virtual time default: 60 s before a GMT+8 midnight)\n"
            "      --seed N            the virtual terminal's identity and keys (default 1)\n"
            "      --virtual-skew S    the virtual terminal's clock starts S seconds off\n"
            "      --virtual-fault F   TEST ONLY: wrong-scale=FIELD, skip-serial, no-reissue, bad-signature\n"
            "\n"
            "Exit: 0 every case passed (or was not applicable), 1 a case failed, 2 usage or environment.\n");
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static int bad(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "remsim conform terminal: %s '%s': %s\n", opt, arg ? arg : "", want);
    return RS_EXIT_USAGE;
}

enum {
    O_NATIONAL = 256, O_CAN, O_CAN_OUT, O_VIRTUAL, O_OUTAGE_AT, O_OUTAGE, O_LINGER, O_MAX_DELAY, O_KEYS, O_VIN,
    O_SET, O_FRAMES, O_INJECTED, O_JUNIT, O_HTML, O_SPEED, O_START, O_SEED, O_SKEW, O_FAULT
};

int cmd_conform_terminal(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "scenario", required_argument, NULL, 's' },   { "listen", required_argument, NULL, 'l' },
        { "national", required_argument, NULL, O_NATIONAL }, { "can", required_argument, NULL, O_CAN },
        { "can-out", required_argument, NULL, O_CAN_OUT }, { "virtual", no_argument, NULL, O_VIRTUAL },
        { "duration", required_argument, NULL, 'd' },   { "outage-at", required_argument, NULL, O_OUTAGE_AT },
        { "outage", required_argument, NULL, O_OUTAGE }, { "linger", required_argument, NULL, O_LINGER },
        { "max-delay", required_argument, NULL, O_MAX_DELAY }, { "keys", required_argument, NULL, O_KEYS },
        { "vin", required_argument, NULL, O_VIN },       { "set", required_argument, NULL, O_SET },
        { "frames", required_argument, NULL, O_FRAMES },
        { "injected", required_argument, NULL, O_INJECTED }, { "json", required_argument, NULL, 'j' },
        { "junit", required_argument, NULL, O_JUNIT },   { "html", required_argument, NULL, O_HTML },
        { "all", no_argument, NULL, 'a' },               { "quiet", no_argument, NULL, 'q' },
        { "speed", required_argument, NULL, O_SPEED },   { "start", required_argument, NULL, O_START },
        { "seed", required_argument, NULL, O_SEED },     { "virtual-skew", required_argument, NULL, O_SKEW },
        { "virtual-fault", required_argument, NULL, O_FAULT }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    rs_hil_opts o;
    rs_hil_opts_init(&o);
    o.progress = stderr;
    const char *json = NULL, *junit = NULL, *html = NULL;
    bool all = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:l:d:j:aqh", longopts, NULL)) != -1) {
        char *end;
        rs_err err;
        switch (ch) {
        case 's': o.scenario = optarg; break;
        case 'l': o.listen = optarg; break;
        case O_NATIONAL: o.national = optarg; break;
        case O_CAN: o.can_iface = optarg; break;
        case O_CAN_OUT: o.can_out = optarg; break;
        case O_VIRTUAL: o.virtual_term = true; break;
        case 'd':
            if (!parse_u32(optarg, 7 * 86400, &o.duration_s) || !o.duration_s)
                return bad("--duration", optarg, "seconds, 1..604800");
            break;
        case O_OUTAGE_AT:
            if (!parse_u32(optarg, 7 * 86400, &o.outage_at_s))
                return bad("--outage-at", optarg, "seconds");
            break;
        case O_OUTAGE:
            if (!parse_u32(optarg, 86400, &o.outage_s))
                return bad("--outage", optarg, "seconds, 0..86400");
            break;
        case O_LINGER:
            if (!parse_u32(optarg, 3600, &o.linger_s))
                return bad("--linger", optarg, "seconds, 0..3600");
            break;
        case O_MAX_DELAY:
            if (!parse_u32(optarg, 60, &o.max_delay_s))
                return bad("--max-delay", optarg, "seconds, 0..60");
            break;
        case O_KEYS: o.keys = optarg; break;
        case O_VIN: o.vin = optarg; break;
        case O_SET:
            if (o.n_set >= RS_HIL_MAX_SET || !strchr(optarg, '='))
                return bad("--set", optarg, "KEY=VALUE, at most 32 of them");
            o.set[o.n_set++] = optarg;
            break;
        case O_FRAMES: o.frames_out = optarg; break;
        case O_INJECTED: o.injected_out = optarg; break;
        case 'j': json = optarg; break;
        case O_JUNIT: junit = optarg; break;
        case O_HTML: html = optarg; break;
        case 'a': all = true; break;
        case 'q': o.progress = NULL; break;
        case O_SPEED:
            o.speed = strtod(optarg, &end);
            if (end == optarg || *end || o.speed < 0 || o.speed > 1000)
                return bad("--speed", optarg, "a factor 0..1000 (0: virtual time)");
            break;
        case O_START:
            o.start_unix = strtoll(optarg, &end, 10);
            if (end == optarg || *end || o.start_unix < 946684800 || o.start_unix > 4102444800LL)
                return bad("--start", optarg, "Unix seconds between 2000 and 2100");
            break;
        case O_SEED:
            o.seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end)
                return bad("--seed", optarg, "a number");
            break;
        case O_SKEW:
            o.skew_s = (int32_t)strtol(optarg, &end, 10);
            if (end == optarg || *end || o.skew_s < -86400 || o.skew_s > 86400)
                return bad("--virtual-skew", optarg, "seconds, -86400..86400");
            break;
        case O_FAULT:
            if (rs_hil_fault_parse(&o.fault, optarg, &err) != RS_OK) {
                char t[256];
                rs_err_format(&err, t, sizeof t);
                return bad("--virtual-fault", optarg, t);
            }
            break;
        case 'h': usage(stdout); return RS_EXIT_OK;
        default:
            fprintf(stderr, "remsim conform terminal --help lists the options\n");
            return RS_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return bad("argument", argv[optind], "no positional arguments (--scenario FILE)");
    rs_conf_run *run = NULL;
    rs_hil_stats st;
    char msg[512];
    if (rs_hil_run(&o, &run, &st, msg, sizeof msg) != RS_OK) {
        fprintf(stderr, "remsim conform terminal: %s\n", msg);
        return RS_EXIT_USAGE;
    }
    rs_conf_set_command_line(run, argc, argv);
    int rc = conf_write_views("conform terminal", run, json, junit, html);
    rs_err err;
    fprintf(stdout, "terminal: %llu s driven, %llu CAN frames, %llu frames received, %llu answers, "
                    "%llu connections, %llu seconds reported, %llu samples compared%s\n",
            (unsigned long long)st.seconds, (unsigned long long)st.can_frames, (unsigned long long)st.frames_in,
            (unsigned long long)st.frames_out, (unsigned long long)st.connections,
            (unsigned long long)st.samples_reported, (unsigned long long)st.values_checked,
            st.faults_applied ? " (test faults applied)" : "");
    rs_conf_console(stdout, run, all, &err);
    int code = rc ? RS_EXIT_USAGE : rs_conf_exit_code(run);
    rs_conf_free(run);
    return code;
}
