/* remsim decode: frames from hex lines or a raw byte stream -> JSON Lines.
 *
 * Every input frame (or stretch of bytes that is not a frame) becomes one
 * JSON object on stdout; msg_json.h defines the objects, docs/cli.md
 * documents them.  Diagnostics about the run itself (bad options, files
 * that cannot be read) go to stderr. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "remsim/frame.h"
#include "remsim/hexline.h"
#include "remsim/json.h"
#include "remsim/msg.h"
#include "remsim/msg_json.h"
#include "remsim/profile.h"
#include "remsim/reasm.h"

/* Spaced hex takes three characters per byte; log columns come before it. */
#define LINE_CAP (3u * RS_MAX_FRAME_LEN + 4096u)
#define MAX_OPTS 64

typedef struct decode_run {
    rs_profile profile;
    bool raw;
    rs_json out;
    uint8_t *frame;          /* RS_MAX_FRAME_LEN: one frame from a hex line, or the reasm buffer */
    char *line;              /* LINE_CAP */
    rs_msg *msg;             /* large (64 report items): on the heap, once */
    unsigned long long invalid;  /* records with "ok":false */
} decode_run;

static void usage_options(FILE *out)
{
    unsigned n;
    const rs_option_desc *o = rs_profile_options(&n);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "  %-18s %-20s %s\n  %-18s %-20s default: %s (%s)\n", o[i].key, o[i].values, o[i].help,
                "", "", o[i].defaults, o[i].spec);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim decode [options] [FILE...]\n"
            "\n"
            "Decodes GB 17691 / HJ 1239 / GB/T 32960 frames into JSON Lines on stdout:\n"
            "one object per frame, \"ok\":true when it decoded, \"ok\":false with an\n"
            "\"error\" when it did not.  FILE '-' or no FILE reads stdin.\n"
            "\n"
            "input:\n"
            "  One frame per line, as hex.  The frame is the last column, so frame logs\n"
            "  (\"virtual-time VIN HEX\", \"receive-time peer VIN HEX\") decode as they are;\n"
            "  a line of two-digit tokens (\"23 23 01 ...\") is read as spaced hex.  Blank\n"
            "  lines and text from a '#' token to the end of the line are skipped.\n"
            "\n"
            "options:\n"
            "  -p, --profile NAME  protocol profile (default gb17691):\n"
            "                        gb17691  GB 17691-2018 Annex Q; frames start with ##\n"
            "                        hj1239   HJ 1239-2021; frames start with ~~ (0x7E 0x7E);\n"
            "                                 ## is accepted too, with a warning, since\n"
            "                                 several real terminals send it (protocol.md\n"
            "                                 §1 conflict 1; --opt hash_in_hj=...)\n"
            "                        gb32960  GB/T 32960.3-2016 framing: response flag at\n"
            "                                 byte 3, VIN at 4-20; starts with ##\n"
            "                      The start bytes do not choose the profile: a ## frame is\n"
            "                      read as GB 17691 unless you say hj1239, and ~~ is\n"
            "                      rejected under gb17691 (or use --opt accept_start=both).\n"
            "  -s, --strict        every tolerated deviation is an error (same as\n"
            "                      --opt strict=on)\n"
            "  -o, --opt KEY=VALUE set a profile option; repeatable, applied in order after\n"
            "                      --profile and --strict whatever their position (list below)\n"
            "  -r, --raw           input is a raw byte stream (a TCP capture, frames back to\n"
            "                      back); frames are found by their start bytes, length and\n"
            "                      BCC, and bytes that belong to no frame are reported as\n"
            "                      \"ok\":false records with their stream offset\n"
            "  -P, --pretty        indented output for people (one object spans lines)\n"
            "  -h, --help          this text\n"
            "\n"
            "exit status: 0 every frame decoded, 1 any frame (or line, or stretch of bytes)\n"
            "did not, 2 usage or I/O error (a file that cannot be read; message on stderr).\n"
            "Warnings do not change the exit status unless --strict makes them errors.\n"
            "\n"
            "profile options (--opt KEY=VALUE):\n");
    usage_options(out);
}

/* One record written: a newline ends it, in both layouts. */
static void end_record(decode_run *run, bool ok)
{
    rs_json_newline(&run->out);
    if (!ok)
        run->invalid++;
}

static void decode_frame(decode_run *run, const uint8_t *b, size_t n, const rs_msg_src *src)
{
    rs_err err;
    if (rs_msg_decode(&run->profile, b, n, run->msg, &err) == RS_OK) {
        rs_msg_json(&run->out, &run->profile, run->msg, b, n, src);
        end_record(run, true);
    } else {
        rs_msg_json_error(&run->out, &run->profile, &err, b, n, src);
        end_record(run, false);
    }
}

static void error_record(decode_run *run, const rs_err *err, const rs_msg_src *src)
{
    rs_msg_json_error(&run->out, &run->profile, err, NULL, 0, src);
    end_record(run, false);
}

/* Reads one line without its newline into run->line.  Returns the line's
 * length (the newline not counted), or -1 at end of input.  Characters past
 * LINE_CAP are counted but not kept (the caller reports the line as too
 * long); NUL bytes are kept, and hexline rejects them. */
static long long read_line(decode_run *run, FILE *f)
{
    long long n = 0;
    int c = EOF;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n < (long long)LINE_CAP)
            run->line[n] = (char)c;
        n++;
    }
    return c == EOF && n == 0 ? -1 : n;
}

static void decode_hex(decode_run *run, FILE *f, const char *name)
{
    rs_msg_src src = { name, 0, 0 };
    uint64_t offset = 0;
    long long n;
    while ((n = read_line(run, f)) >= 0 && run->out.code == RS_OK) {
        rs_err err;
        rs_hexline res;
        src.line++;
        src.offset = offset;
        offset += (uint64_t)n + 1;
        if (n > (long long)LINE_CAP) {
            rs_fail(&err, RS_E_LENGTH, LINE_CAP, "line",
                    "a line holds one frame: at most 3 characters per byte of a 65556-byte frame, plus columns",
                    n, LINE_CAP, RS_NUM_DEC);
            error_record(run, &err, &src);
        } else if (rs_hexline_parse(run->line, (size_t)n, run->frame, RS_MAX_FRAME_LEN, &res, &err) != RS_OK) {
            error_record(run, &err, &src);
        } else if (res.n > 0) {
            decode_frame(run, run->frame, res.n, &src);
        }
    }
}

/* Drains the reassembler: frames and skipped bytes become records. */
static void drain(decode_run *run, rs_reasm *r, const char *name)
{
    for (;;) {
        const uint8_t *b;
        size_t n;
        rs_err err;
        /* The event starts where the reassembler stands once the frame
         * returned last is consumed. */
        rs_msg_src src = { name, 0, r->consumed + r->pending };
        rs_reasm_event ev = rs_reasm_next(r, &b, &n, &err);
        if (ev == RS_REASM_NEED_MORE || run->out.code != RS_OK)
            return;
        if (ev == RS_REASM_FRAME)
            decode_frame(run, b, n, &src);
        else
            error_record(run, &err, &src);
    }
}

/* Returns false on a read error (errno set). */
static bool decode_raw(decode_run *run, FILE *f, const char *name)
{
    rs_reasm r;
    rs_reasm_init(&r, &run->profile, run->frame, RS_MAX_FRAME_LEN);
    for (;;) {
        size_t room;
        uint8_t *dst = rs_reasm_space(&r, &room);
        size_t got = room ? fread(dst, 1, room, f) : 0;
        rs_reasm_commit(&r, got);
        drain(run, &r, name);
        if (got == 0 || run->out.code != RS_OK)
            break;
    }
    if (ferror(f))
        return false;
    rs_err err;
    rs_msg_src src = { name, 0, r.consumed + r.pending };
    if (rs_reasm_finish(&r, &err) == RS_REASM_ERROR)
        error_record(run, &err, &src);
    return true;
}

/* Returns false (message printed) when the file cannot be read. */
static bool decode_file(decode_run *run, const char *path)
{
    bool is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "-" : path;
    FILE *f = is_stdin ? stdin : fopen(path, run->raw ? "rb" : "r");
    if (!f) {
        fprintf(stderr, "remsim decode: cannot open '%s': %s\n", path, strerror(errno));
        return false;
    }
    bool ok = true;
    if (run->raw) {
        ok = decode_raw(run, f, name);
    } else {
        decode_hex(run, f, name);
        ok = !ferror(f);
    }
    if (!ok)
        fprintf(stderr, "remsim decode: cannot read '%s': %s\n", is_stdin ? "stdin" : path, strerror(errno));
    if (!is_stdin)
        fclose(f);
    return ok;
}

static int setup(decode_run *run, int argc, char **argv, int *first_file)
{
    static const struct option longopts[] = {
        { "profile", required_argument, NULL, 'p' },
        { "strict", no_argument, NULL, 's' },
        { "opt", required_argument, NULL, 'o' },
        { "raw", no_argument, NULL, 'r' },
        { "pretty", no_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *opts[MAX_OPTS];
    unsigned n_opts = 0;
    rs_proto proto = RS_PROTO_GB17691;
    bool strict = false, pretty = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:so:rPh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!rs_proto_parse(optarg, &proto)) {
                fprintf(stderr, "remsim decode: unknown profile '%s' (gb17691, hj1239 or gb32960)\n", optarg);
                return RS_EXIT_USAGE;
            }
            break;
        case 's': strict = true; break;
        case 'o':
            if (n_opts == MAX_OPTS) {
                fprintf(stderr, "remsim decode: more than %d --opt options\n", MAX_OPTS);
                return RS_EXIT_USAGE;
            }
            opts[n_opts++] = optarg;
            break;
        case 'r': run->raw = true; break;
        case 'P': pretty = true; break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "remsim decode --help lists the options\n");
            return RS_EXIT_USAGE;
        }
    }
    rs_profile_init(&run->profile, proto);
    run->profile.strict = strict;
    for (unsigned i = 0; i < n_opts; i++) {
        rs_err err;
        if (rs_profile_set_kv(&run->profile, opts[i], &err) != RS_OK) {
            char msg[512];
            rs_err_format(&err, msg, sizeof msg);
            fprintf(stderr, "remsim decode: --opt '%s': %s\n", opts[i], msg);
            return RS_EXIT_USAGE;
        }
    }
    rs_json_init_file(&run->out, stdout, pretty);
    *first_file = optind;
    return RS_EXIT_OK;
}

int cmd_decode(int argc, char **argv)
{
    decode_run run;
    int first = 0;
    memset(&run, 0, sizeof run);
    int rc = setup(&run, argc, argv, &first);
    if (rc != RS_EXIT_OK)
        return rc < 0 ? RS_EXIT_OK : rc;

    run.frame = malloc(RS_MAX_FRAME_LEN);
    run.line = malloc(LINE_CAP);
    run.msg = malloc(sizeof *run.msg);
    if (!run.frame || !run.line || !run.msg) {
        fprintf(stderr, "remsim decode: out of memory\n");
        rc = RS_EXIT_USAGE;
    } else if (first >= argc) {
        if (!decode_file(&run, "-"))
            rc = RS_EXIT_USAGE;
    } else {
        /* A file that cannot be read is reported and the others still run. */
        for (int i = first; i < argc && run.out.code == RS_OK; i++)
            if (!decode_file(&run, argv[i]))
                rc = RS_EXIT_USAGE;
    }
    rs_err err;
    if (rs_json_status(&run.out, &err) != RS_OK) {
        fprintf(stderr, "remsim decode: cannot write to stdout: %s\n", strerror((int)err.got));
        rc = RS_EXIT_USAGE;
    }
    free(run.frame);
    free(run.line);
    free(run.msg);
    if (rc == RS_EXIT_OK && run.invalid > 0)
        rc = RS_EXIT_FINDINGS;
    return rc;
}
