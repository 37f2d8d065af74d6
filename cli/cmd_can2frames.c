/* remsim can2frames: a recorded CAN trace -> the protocol frames a terminal
 * on that truck would send.  The trace goes through the same J1939 path as
 * every CAN source (rx, sampler at 1 Hz of trace time, packer); see
 * docs/can.md and docs/cli.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "remsim/candump.h"
#include "remsim/json.h"
#include "remsim/msg_json.h"
#include "remsim/trace_pack.h"
#include "remsim/vin.h"

typedef struct c2f_run {
    FILE *out;
    bool json;
    const rs_profile *profile;
    rs_json j;
    unsigned long long frames, samples;
} c2f_run;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim can2frames TRACE --vin VIN [options]\n"
            "\n"
            "Converts a candump trace (can-utils log format; '-' reads stdin) into the\n"
            "frames a terminal on that truck reports: J1939 decoded into one sample per\n"
            "second of trace time, packed as the profile packs them (gb17691: one sample\n"
            "per real-time packet; hj1239: ten, unsigned).  OBD information comes from\n"
            "the trace's DM1/DM5/DM19/VI messages, first packet and every --obd-period s.\n"
            "\n"
            "options:\n"
            "  --vin VIN          17-character VIN for the frame headers (required)\n"
            "  --profile P        gb17691 (default), hj1239\n"
            "  --opt KEY=VALUE    profile option (remsim decode --help lists them)\n"
            "  --sa KEY=VALUE     signal source config, e.g. speed=0x47, nox_up=0x51,0x00,\n"
            "                     fallback=any, def_density=1.09 (docs/can.md)\n"
            "  --obd-period S     seconds between OBD items (default 10; 0 = never)\n"
            "  --out FILE         write there instead of stdout\n"
            "  --json             one decoded JSON object per frame instead of hex lines\n"
            "  -h, --help         this text\n"
            "\n"
            "output (hex): one line per frame, \"<collect-time> <VIN> <HEX>\", which\n"
            "remsim decode reads as it is.\n"
            "exit: 0 ok, 1 trace lines that could not be read (counted on stderr),\n"
            "      2 usage or I/O error.\n");
}

static void on_packet(void *ctx, const uint8_t *frame, size_t len, const rs_msg *m)
{
    c2f_run *run = ctx;
    run->frames++;
    if (run->json) {
        rs_msg_json(&run->j, run->profile, m, frame, len, NULL);
        rs_json_newline(&run->j);
        return;
    }
    char t[RS_TIME_TEXT];
    rs_time_format(&m->u.report.time, t);
    t[10] = 'T'; /* one column */
    fprintf(run->out, "%s %.17s ", t, (const char *)m->frame.vin);
    for (size_t i = 0; i < len; i++)
        fprintf(run->out, "%02X", frame[i]);
    fputc('\n', run->out);
}

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "remsim can2frames: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (remsim can2frames --help)\n");
    return RS_EXIT_USAGE;
}

int cmd_can2frames(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "vin", required_argument, NULL, 'v' },     { "profile", required_argument, NULL, 'p' },
        { "opt", required_argument, NULL, 'o' },     { "sa", required_argument, NULL, 's' },
        { "obd-period", required_argument, NULL, 'b' }, { "out", required_argument, NULL, 'O' },
        { "json", no_argument, NULL, 'j' },          { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *vin = NULL, *outpath = NULL;
    rs_proto proto = RS_PROTO_GB17691;
    const char *opts[64], *sas[64];
    int n_opts = 0, n_sas = 0;
    long obd_period = 10;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': vin = optarg; break;
        case 'p':
            if (!rs_proto_parse(optarg, &proto) || proto == RS_PROTO_GB32960)
                return fail_usage("--profile takes gb17691 or hj1239, not '%s'", optarg);
            break;
        case 'o':
            if (n_opts == 64)
                return fail_usage("%s", "too many --opt");
            opts[n_opts++] = optarg;
            break;
        case 's':
            if (n_sas == 64)
                return fail_usage("%s", "too many --sa");
            sas[n_sas++] = optarg;
            break;
        case 'b': {
            char *end;
            obd_period = strtol(optarg, &end, 10);
            if (*end || end == optarg || obd_period < 0 || obd_period > 86400)
                return fail_usage("--obd-period takes seconds from 0 to 86400, not '%s'", optarg);
            break;
        }
        case 'O': outpath = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return RS_EXIT_OK;
        default: return fail_usage("%s", "unknown option");
        }
    }
    if (optind != argc - 1)
        return fail_usage("%s", "give exactly one TRACE");
    if (!vin || strlen(vin) != RS_VIN_LEN)
        return fail_usage("--vin takes 17 characters, got '%s'", vin ? vin : "");
    rs_err err;
    if (rs_vin_check((const uint8_t *)vin, 0, &err) != RS_OK) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim can2frames: warning: --vin: %s\n", msg);
    }
    rs_profile profile;
    rs_profile_init(&profile, proto);
    for (int i = 0; i < n_opts; i++)
        if (rs_profile_set_kv(&profile, opts[i], &err) != RS_OK)
            return fail_usage("bad --opt '%s'", opts[i]);
    rs_sampler_cfg cfg;
    rs_sampler_cfg_init(&cfg);
    for (int i = 0; i < n_sas; i++)
        if (rs_sig_cfg_set(&cfg.sig, sas[i], &err) != RS_OK)
            return fail_usage("bad --sa '%s'", sas[i]);

    const char *trace = argv[optind];
    rs_can_port *src = !strcmp(trace, "-") ? rs_candump_open_fd(0, false, "stdin", 0, &err)
                                          : rs_candump_open(trace, 0, &err);
    if (!src) {
        fprintf(stderr, "remsim can2frames: cannot read %s: %s\n", trace, strerror((int)err.got));
        return RS_EXIT_USAGE;
    }
    c2f_run run = { .out = stdout, .json = json, .profile = &profile };
    if (outpath && !(run.out = fopen(outpath, "w"))) {
        fprintf(stderr, "remsim can2frames: cannot write %s\n", outpath);
        rs_can_close(src);
        return RS_EXIT_USAGE;
    }
    rs_json_init_file(&run.j, run.out, false);
    rs_packer *k = malloc(sizeof *k); /* large: a whole report and its frame */
    if (!k) {
        rs_can_close(src);
        return RS_EXIT_USAGE;
    }
    rs_packer_init(k, &profile, (const uint8_t *)vin, on_packet, &run);
    k->obd_period_s = (uint32_t)obd_period;
    rs_code rc = rs_trace_to_packets(src, &cfg, k, &err);
    const rs_candump_stats *st = rs_candump_stats_of(src);
    int status = RS_EXIT_OK;
    if (rc != RS_OK) {
        char msg[256];
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim can2frames: %s: %s\n", trace, msg);
        status = RS_EXIT_USAGE;
    }
    fprintf(stderr, "remsim can2frames: %s: %llu CAN frames, %llu protocol frames (%s)",
            trace, st ? (unsigned long long)st->frames : 0ULL, run.frames, rs_proto_name(proto));
    if (st && st->backwards)
        fprintf(stderr, "; %llu timestamps went backwards (first at line %llu)",
                (unsigned long long)st->backwards, (unsigned long long)st->first_backwards_line);
    if (st && st->bad_lines) {
        fprintf(stderr, "; %llu lines could not be read", (unsigned long long)st->bad_lines);
        if (status == RS_EXIT_OK)
            status = RS_EXIT_FINDINGS;
    }
    fputc('\n', stderr);
    free(k);
    rs_can_close(src);
    if (run.out != stdout && fclose(run.out) != 0) {
        fprintf(stderr, "remsim can2frames: error writing %s\n", outpath);
        status = RS_EXIT_USAGE;
    }
    return status;
}
