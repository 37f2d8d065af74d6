/* remsim check: the capture checker.  Frame logs, hex dumps and pcap/pcapng
 * captures in; the per-frame rules of protocol.md §13 (conform_rules.h);
 * per-case and per-VIN verdicts out (conform.h views).  docs/conformance.md. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/conf_views.h"
#include "remsim/conform.h"
#include "remsim/conform_rules.h"
#include "remsim/frame.h"
#include "remsim/framelog.h"
#include "remsim/hexline.h"
#include "remsim/reasm.h"
#include "remsim/tcpcap.h"

#define LINE_CAP (3u * RS_MAX_FRAME_LEN + 4096u)
#define MAX_OPTS 64
#define MAX_VINS 64
#define RX_INITIAL 8192

typedef struct check_run {
    rs_conf_run *run;
    rs_rules *rules;
    rs_rules_sm2_keys *keys;
    const rs_profile *p;
    bool quiet;
    unsigned n_vins;
    char vins[MAX_VINS][18];
    char *line;
    uint8_t *frame;
} check_run;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim check [options] FILE...\n"
            "\n"
            "Checks recorded traffic against the rules of protocol.md §13 and gives a\n"
            "verdict per conformance case and per VIN (docs/conformance.md).\n"
            "\n"
            "FILE is one of (recognised by its content):\n"
            "  a frame log    what `remsim serve --log` and `remsim run --offline --out` write:\n"
            "                 receive time, peer, VIN, frame hex; '#' lines with rejections\n"
            "  a hex dump     one frame per line, hex (spaced or not), the frame last\n"
            "  a capture      pcap or pcapng of TCP traffic: each flow reassembled in\n"
            "                 sequence order, both directions (answers are checked too)\n"
            "'-' reads a log or hex dump from stdin.\n"
            "\n"
            "options:\n"
            "  -p, --profile NAME   gb17691 (default), hj1239, gb32960\n"
            "  -s, --strict         every tolerated deviation is an error (certification)\n"
            "  -o, --opt KEY=VALUE  a profile option (remsim decode --help lists them)\n"
            "      --keys DIR       public keys for signatures: DIR/<VIN>.pub.pem + DIR/<VIN>.chip\n"
            "                       (keys in 0x07 activation frames of the input are used too)\n"
            "      --vin VIN        only frames of this VIN (repeatable)\n"
            "      --json FILE      the result document\n"
            "      --junit FILE     JUnit XML, one testcase per case\n"
            "      --html FILE      self-contained HTML report\n"
            "  -a, --all            list every case on the console, passed and N/A too\n"
            "  -q, --quiet          only the summary line on the console\n"
            "  -h, --help           this text\n"
            "\n"
            "exit status: 0 no case failed, 1 a case failed (an ERROR finding), 2 usage or\n"
            "I/O error.  WARN findings do not fail a case unless --strict.\n");
}

static bool vin_wanted(const check_run *c, const uint8_t *vin17)
{
    if (!c->n_vins)
        return true;
    if (!vin17)
        return false;
    for (unsigned i = 0; i < c->n_vins; i++)
        if (!memcmp(c->vins[i], vin17, RS_VIN_LEN))
            return true;
    return false;
}

static const uint8_t *frame_vin(const check_run *c, const uint8_t *f, size_t n)
{
    size_t at = c->p->proto == RS_PROTO_GB32960 ? 4 : 3;
    return n >= at + RS_VIN_LEN ? f + at : NULL;
}

static uint32_t conn_of(const char *peer)
{
    uint32_t h = 2166136261u;
    for (; *peer; peer++)
        h = (h ^ (uint8_t)*peer) * 16777619u;
    return h ? h : 1;
}

static rs_code code_by_name(const char *name)
{
    for (int c = 1; c < RS_E_COUNT; c++)
        if (!strcmp(rs_code_name((rs_code)c), name))
            return (rs_code)c;
    return RS_E_SYNTAX;
}

/* --- text input: frame logs and hex dumps --- */

static long long read_line(char *buf, FILE *f)
{
    long long n = 0;
    int ch;
    while ((ch = getc(f)) != EOF && ch != '\n') {
        if (n < (long long)LINE_CAP)
            buf[n] = (char)ch;
        n++;
    }
    return ch == EOF && n == 0 ? -1 : n;
}

static void log_reject(check_run *c, const rs_framelog_rec *rec, const rs_rules_src *src)
{
    if (!vin_wanted(c, rec->has_vin ? rec->vin : NULL))
        return;
    char msg[RS_FRAMELOG_MSG_MAX + 64];
    int k = snprintf(msg, sizeof msg, "rejected by the endpoint that wrote the log: %.*s",
                     (int)(rec->message_len < RS_FRAMELOG_MSG_MAX ? rec->message_len : RS_FRAMELOG_MSG_MAX),
                     rec->message ? rec->message : "");
    (void)k;
    rs_err e;
    /* the rule points at msg: rs_rules_stream_error formats it at once */
    rs_fail(&e, code_by_name(rec->reason), (size_t)rec->offset, rec->in_frame ? "frame" : "stream", msg, 0, 0,
            RS_NUM_NONE);
    rs_rules_stream_error(c->rules, &e, rec->n ? c->frame : NULL, rec->n, src);
}

static void check_text(check_run *c, FILE *f, const char *name)
{
    long long n;
    uint64_t line = 0;
    while ((n = read_line(c->line, f)) >= 0) {
        line++;
        rs_rules_src src = { name, line, 0, 0, 0, 1, false, false };
        rs_err err;
        if (n > (long long)LINE_CAP) {
            rs_fail(&err, RS_E_SYNTAX, LINE_CAP, "line", "a line holds one frame", n, LINE_CAP, RS_NUM_DEC);
            if (!c->n_vins)
                rs_rules_stream_error(c->rules, &err, NULL, 0, &src);
            continue;
        }
        rs_framelog_rec rec;
        if (rs_framelog_parse(c->line, (size_t)n, c->frame, RS_MAX_FRAME_LEN, &rec, &err) == RS_OK) {
            src.time_ms = rec.time_ms;
            src.conn = conn_of(rec.peer);
            switch (rec.kind) {
            case RS_FRAMELOG_FRAME:
                if (vin_wanted(c, frame_vin(c, c->frame, rec.n)))
                    rs_rules_frame(c->rules, c->frame, rec.n, &src);
                break;
            case RS_FRAMELOG_REJECT:
                log_reject(c, &rec, &src);
                break;
            case RS_FRAMELOG_EVENT:
                if (!strcmp(rec.event, "close"))
                    rs_rules_conn_close(c->rules, src.conn);
                break;
            default:
                break;
            }
            continue;
        }
        rs_hexline res;
        if (rs_hexline_parse(c->line, (size_t)n, c->frame, RS_MAX_FRAME_LEN, &res, &err) != RS_OK) {
            if (!c->n_vins)
                rs_rules_stream_error(c->rules, &err, NULL, 0, &src);
        } else if (res.n > 0 && vin_wanted(c, frame_vin(c, c->frame, res.n))) {
            rs_rules_frame(c->rules, c->frame, res.n, &src);
        }
    }
}

/* --- captures --- */

typedef struct flow_dir {
    rs_reasm r;
    uint8_t *buf;
} flow_dir;

typedef struct cap_ctx {
    check_run *c;
    const char *file;
    flow_dir **dirs;         /* [2 * (flow - 1) + dir] */
    size_t n_dirs;
    uint64_t gaps, cut;
    bool nomem;
} cap_ctx;

static flow_dir *dir_get(cap_ctx *x, uint32_t flow, bool client)
{
    size_t i = 2 * (size_t)(flow - 1) + (client ? 0 : 1);
    if (i >= x->n_dirs) {
        size_t n = x->n_dirs ? x->n_dirs * 2 : 64;
        while (n <= i)
            n *= 2;
        flow_dir **nd = realloc(x->dirs, n * sizeof *nd);
        if (!nd)
            return NULL;
        memset(nd + x->n_dirs, 0, (n - x->n_dirs) * sizeof *nd);
        x->dirs = nd;
        x->n_dirs = n;
    }
    if (!x->dirs[i]) {
        flow_dir *d = calloc(1, sizeof *d);
        uint8_t *b = malloc(RX_INITIAL);
        if (!d || !b) {
            free(d);
            free(b);
            return NULL;
        }
        d->buf = b;
        rs_reasm_init(&d->r, x->c->p, b, RX_INITIAL);
        x->dirs[i] = d;
    }
    return x->dirs[i];
}

/* Room for the frame at the front when its header asks for more. */
static void fit(flow_dir *d)
{
    rs_reasm *r = &d->r;
    size_t at = r->head + r->pending;
    if (r->len < at + RS_HEADER_LEN)
        return;
    size_t need = rs_frame_needed(r->buf + at, r->len - at);
    if (need <= r->cap || need > RS_MAX_FRAME_LEN)
        return;
    uint8_t *nb = realloc(d->buf, need);
    if (!nb)
        return;
    d->buf = r->buf = nb;
    r->cap = need;
}

static void drain(cap_ctx *x, flow_dir *d, const rs_tcpcap_event *ev, char *source)
{
    check_run *c = x->c;
    rs_reasm *r = &d->r;
    for (;;) {
        fit(d);
        size_t at = r->head + r->pending;
        size_t cand = r->len >= at + RS_HEADER_LEN ? rs_frame_needed(r->buf + at, r->len - at) : 0;
        rs_rules_src src = { source, 0, ev->packet, r->consumed + r->pending, ev->time_us / 1000, ev->flow,
                             !ev->from_client, false };
        const uint8_t *f;
        size_t n;
        rs_err err;
        rs_reasm_event e = rs_reasm_next(r, &f, &n, &err);
        if (e == RS_REASM_NEED_MORE)
            return;
        if (e == RS_REASM_FRAME) {
            src.coalesced = r->feed_frames >= 2;
            if (vin_wanted(c, frame_vin(c, f, n)))
                rs_rules_frame(c->rules, f, n, &src);
        } else {
            const uint8_t *b = cand && cand <= r->len - at ? r->buf + at : NULL;
            if (vin_wanted(c, b ? frame_vin(c, b, cand) : NULL) || !c->n_vins)
                rs_rules_stream_error(c->rules, &err, b, b ? cand : 0, &src);
        }
    }
}

static void on_event(void *ctx, const rs_tcpcap_event *ev)
{
    cap_ctx *x = ctx;
    if (x->nomem)
        return;
    char source[RS_CONF_SOURCE_MAX];
    snprintf(source, sizeof source, "%s tcp %s%s", x->file, ev->flow_text, ev->from_client ? "" : " (answers)");
    if (ev->kind == RS_TCPCAP_END) {
        for (int k = 0; k < 2; k++) {
            size_t i = 2 * (size_t)(ev->flow - 1) + (size_t)k;
            flow_dir *d = i < x->n_dirs ? x->dirs[i] : NULL;
            if (!d)
                continue;
            rs_err err;
            if (rs_reasm_finish(&d->r, &err) == RS_REASM_ERROR)
                x->cut++; /* the capture ends inside a frame: not the terminal's doing */
            free(d->buf);
            free(d);
            x->dirs[i] = NULL;
        }
        x->c->run->traffic.connections++;
        return;
    }
    flow_dir *d = dir_get(x, ev->flow, ev->from_client);
    if (!d) {
        x->nomem = true;
        return;
    }
    if (ev->kind == RS_TCPCAP_GAP) {
        /* bytes the capture missed: start over after them */
        rs_err err;
        (void)rs_reasm_finish(&d->r, &err);
        x->gaps++;
        return;
    }
    const uint8_t *p = ev->data;
    size_t n = ev->len;
    while (n > 0) {
        fit(d);
        size_t took = rs_reasm_feed(&d->r, p, n);
        p += took;
        n -= took;
        drain(x, d, ev, source);
        if (took == 0 && n > 0) {
            /* the buffer is full of a frame that cannot fit: the
             * reassembler's error path skips it; never spin */
            rs_err err;
            (void)rs_reasm_finish(&d->r, &err);
        }
    }
}

static bool check_capture(check_run *c, const char *path)
{
    cap_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.file = path;
    rs_tcpcap_stats st;
    rs_err err;
    rs_rules_segments_known(c->rules, true);
    rs_code rc = rs_tcpcap_read(path, on_event, &x, &st, &err);
    for (size_t i = 0; i < x.n_dirs; i++)
        if (x.dirs[i]) {
            free(x.dirs[i]->buf);
            free(x.dirs[i]);
        }
    free(x.dirs);
    if (rc != RS_OK || x.nomem) {
        char msg[512];
        if (x.nomem)
            snprintf(msg, sizeof msg, "out of memory");
        else
            rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim check: %s: %s\n", path, msg);
        return false;
    }
    if (!c->quiet)
        fprintf(stderr,
                "remsim check: %s: %llu packets, %llu TCP, %llu flows, %llu bytes; %llu retransmitted bytes, "
                "%llu segments out of order, %llu gaps (%llu bytes never captured), %llu streams cut inside a "
                "frame, %llu packets not TCP\n",
                path, (unsigned long long)st.packets, (unsigned long long)st.tcp_packets,
                (unsigned long long)st.flows, (unsigned long long)st.bytes, (unsigned long long)st.retransmitted,
                (unsigned long long)st.out_of_order, (unsigned long long)x.gaps, (unsigned long long)st.gap_bytes,
                (unsigned long long)x.cut, (unsigned long long)st.skipped);
    return true;
}

static bool check_file(check_run *c, const char *path)
{
    bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "remsim check: cannot open '%s': %s\n", path, strerror(errno));
        return false;
    }
    uint8_t head[4];
    size_t got = 0;
    if (!is_stdin) {
        got = fread(head, 1, sizeof head, f);
        rewind(f);
    }
    rs_conf_add_input(c->run, path);
    if (!is_stdin && rs_tcpcap_is_capture(head, got)) {
        fclose(f);
        return check_capture(c, path);
    }
    check_text(c, f, is_stdin ? "-" : path);
    bool ok = !ferror(f);
    if (!ok)
        fprintf(stderr, "remsim check: cannot read '%s': %s\n", path, strerror(errno));
    if (!is_stdin)
        fclose(f);
    return ok;
}

/* --- setup and views --- */

typedef struct check_opts {
    rs_proto proto;
    bool strict, all, quiet;
    const char *opts[MAX_OPTS];
    unsigned n_opts;
    const char *keys, *json, *junit, *html;
} check_opts;

static int parse(int argc, char **argv, check_opts *o, check_run *c)
{
    enum { O_KEYS = 256, O_VIN, O_JSON, O_JUNIT, O_HTML };
    static const struct option longopts[] = {
        { "profile", required_argument, NULL, 'p' }, { "strict", no_argument, NULL, 's' },
        { "opt", required_argument, NULL, 'o' },     { "keys", required_argument, NULL, O_KEYS },
        { "vin", required_argument, NULL, O_VIN },   { "json", required_argument, NULL, O_JSON },
        { "junit", required_argument, NULL, O_JUNIT }, { "html", required_argument, NULL, O_HTML },
        { "all", no_argument, NULL, 'a' },           { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "p:so:aqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if (!rs_proto_parse(optarg, &o->proto)) {
                fprintf(stderr, "remsim check: unknown profile '%s' (gb17691, hj1239 or gb32960)\n", optarg);
                return RS_EXIT_USAGE;
            }
            break;
        case 's': o->strict = true; break;
        case 'o':
            if (o->n_opts == MAX_OPTS) {
                fprintf(stderr, "remsim check: more than %d --opt options\n", MAX_OPTS);
                return RS_EXIT_USAGE;
            }
            o->opts[o->n_opts++] = optarg;
            break;
        case O_KEYS: o->keys = optarg; break;
        case O_VIN:
            if (strlen(optarg) != RS_VIN_LEN || c->n_vins == MAX_VINS) {
                fprintf(stderr, "remsim check: --vin takes 17 characters (at most %d times)\n", MAX_VINS);
                return RS_EXIT_USAGE;
            }
            memcpy(c->vins[c->n_vins++], optarg, RS_VIN_LEN + 1);
            break;
        case O_JSON: o->json = optarg; break;
        case O_JUNIT: o->junit = optarg; break;
        case O_HTML: o->html = optarg; break;
        case 'a': o->all = true; break;
        case 'q': o->quiet = true; break;
        case 'h': usage(stdout); return -1;
        default:
            fprintf(stderr, "remsim check --help lists the options\n");
            return RS_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "remsim check: no FILE to check (remsim check --help)\n");
        return RS_EXIT_USAGE;
    }
    return RS_EXIT_OK;
}

static bool load_keys(check_run *c, const char *dir)
{
    rs_err err;
    c->keys = rs_rules_sm2_keys_new(&err);
    size_t n = 0;
    if (!c->keys || (dir && rs_rules_sm2_keys_load_dir(c->keys, dir, &n, &err) != RS_OK)) {
        char msg[512];
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim check: --keys %s: %s\n", dir ? dir : "", msg);
        return false;
    }
    rs_rules_keys hook;
    rs_rules_sm2_keys_hook(c->keys, &hook);
    rs_rules_set_keys(c->rules, &hook);
    return true;
}

int cmd_check(int argc, char **argv)
{
    check_opts o;
    check_run c;
    memset(&o, 0, sizeof o);
    memset(&c, 0, sizeof c);
    int rc = parse(argc, argv, &o, &c);
    if (rc != RS_EXIT_OK)
        return rc < 0 ? RS_EXIT_OK : rc;
    rs_profile p;
    rs_profile_init(&p, o.proto);
    p.strict = o.strict;
    rs_err err;
    for (unsigned i = 0; i < o.n_opts; i++)
        if (rs_profile_set_kv(&p, o.opts[i], &err) != RS_OK) {
            char msg[512];
            rs_err_format(&err, msg, sizeof msg);
            fprintf(stderr, "remsim check: --opt '%s': %s\n", o.opts[i], msg);
            return RS_EXIT_USAGE;
        }
    c.quiet = o.quiet;
    c.run = rs_conf_new(RS_ROLE_CAPTURE, &p, &err);
    c.rules = c.run ? rs_rules_new(c.run, &err) : NULL;
    c.line = malloc(LINE_CAP);
    c.frame = malloc(RS_MAX_FRAME_LEN);
    if (!c.run || !c.rules || !c.line || !c.frame) {
        fprintf(stderr, "remsim check: out of memory\n");
        rc = RS_EXIT_USAGE;
        goto out;
    }
    c.p = &c.run->profile;
    rs_conf_set_command_line(c.run, argc, argv);
    /* Keys from activation frames are learned even without --keys, for HJ. */
    if ((o.keys || p.proto == RS_PROTO_HJ1239) && !load_keys(&c, o.keys)) {
        rc = RS_EXIT_USAGE;
        goto out;
    }
    for (int i = optind; i < argc; i++)
        if (!check_file(&c, argv[i]))
            rc = RS_EXIT_USAGE;
    rs_rules_finish(c.rules);
    rs_conf_finish(c.run);
    if (conf_write_views("check", c.run, o.json, o.junit, o.html) != RS_EXIT_OK)
        rc = RS_EXIT_USAGE;
    if (o.quiet) {
        char counts[160];
        rs_conf_counts_text(c.run, counts, sizeof counts);
        printf("%s: %s\n", rs_conf_exit_code(c.run) ? "FAIL" : "PASS", counts);
    } else {
        rs_conf_console(stdout, c.run, o.all, &err);
    }
    if (rc == RS_EXIT_OK)
        rc = rs_conf_exit_code(c.run) ? RS_EXIT_FINDINGS : RS_EXIT_OK;
out:
    rs_rules_free(c.rules);
    rs_rules_sm2_keys_free(c.keys);
    rs_conf_free(c.run);
    free(c.line);
    free(c.frame);
    return rc;
}
