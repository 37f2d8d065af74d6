/* remsim report: views of a saved result document, thresholds for CI, and
 * the exact merge of the results of a sharded run.
 *
 *   remsim report RESULT.json [--html F] [--junit F] [--fail-if EXPR]... [-o F] [-q]
 *   remsim report merge A.json B.json ... -o OUT.json [same options]
 *
 * docs/results.md documents the document, the views and the names. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "remsim/report.h"
#include "remsim/result.h"
#include "remsim/threshold.h"

typedef struct report_opts {
    const char *html, *junit, *json;
    bool quiet;
    unsigned n_thresholds;
    rs_threshold thresholds[RS_RESULT_MAX_THRESHOLDS];
} report_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim report RESULT.json [options]\n"
            "       remsim report merge A.json B.json ... -o OUT.json [options]\n"
            "\n"
            "Reads a result document written by a run, prints its summary on stdout,\n"
            "writes other views of it and checks thresholds.  'merge' adds the result\n"
            "files of the shards of one run (--shard K/N) into one: counters, histograms,\n"
            "time series and per-VIN checks add up exactly.  RESULT '-' reads stdin.\n"
            "\n"
            "options:\n"
            "  --html FILE       write the HTML report: one self-contained file with charts\n"
            "  --junit FILE      write JUnit XML: a test case per threshold and one for the\n"
            "                    per-VIN check, for CI test tabs\n"
            "  --fail-if EXPR    fail (exit 1) when EXPR holds, e.g. 'p99_latency_ms>500',\n"
            "                    'lost>0', 'frames_per_s<1000'; repeatable.  EXPR is\n"
            "                    <metric><op><number>, op one of > >= < <= == !=; the\n"
            "                    metrics are listed in docs/results.md\n"
            "  -o, --output FILE write the document (with the new verdicts) to FILE;\n"
            "                    required by merge; '-' is stdout\n"
            "  -q, --quiet       no summary on stdout\n"
            "  --list-metrics    print every name --fail-if knows, with its meaning\n"
            "  -h, --help        this text\n"
            "\n"
            "Thresholds already in the document are evaluated again; --fail-if adds more.\n"
            "exit status: 0 passed, 1 a threshold or the per-VIN check failed,\n"
            "2 usage error, unreadable or invalid document, unknown metric name.\n");
}

static void print_err(const char *what, const rs_err *err)
{
    char msg[512];
    rs_err_format(err, msg, sizeof msg);
    if (err->code == RS_E_IO && err->numbers == RS_NUM_GOT_ONLY)   /* the Unix way: path: reason */
        fprintf(stderr, "remsim report: %s: %s\n", what, strerror((int)err->got));
    else
        fprintf(stderr, "remsim report: %s: %s\n", what, msg);
}

static int add_threshold(report_opts *o, const char *text)
{
    rs_err err;
    if (o->n_thresholds == RS_RESULT_MAX_THRESHOLDS) {
        fprintf(stderr, "remsim report: more than %d --fail-if options\n", RS_RESULT_MAX_THRESHOLDS);
        return RS_EXIT_USAGE;
    }
    rs_threshold *t = &o->thresholds[o->n_thresholds];
    if (rs_threshold_parse(t, text, &err) != RS_OK) {
        char what[RS_THRESHOLD_TEXT + 32];
        snprintf(what, sizeof what, "--fail-if '%s'", text);
        print_err(what, &err);
        if (err.code == RS_E_OPTION) {
            char close[512];
            if (rs_metric_suggest(t->metric, close, sizeof close))
                fprintf(stderr, "remsim report: unknown metric '%s'; close names: %s\n", t->metric, close);
            else
                fprintf(stderr, "remsim report: unknown metric '%s' (docs/results.md lists them)\n", t->metric);
        }
        return RS_EXIT_USAGE;
    }
    o->n_thresholds++;
    return RS_EXIT_OK;
}

static void list_metrics(FILE *out)
{
    char name[RS_METRIC_NAME + 32], help[256];
    for (size_t i = 0; rs_metric_name_at(i, name, sizeof name, help, sizeof help); i++)
        fprintf(out, "%-36s %s\n", name, help);
}

/* Options; returns RS_EXIT_OK, RS_EXIT_USAGE, or -1 after --help. */
static int parse_opts(report_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "html", required_argument, NULL, 'H' },
        { "junit", required_argument, NULL, 'J' },
        { "fail-if", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "list-metrics", no_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': o->html = optarg; break;
        case 'J': o->junit = optarg; break;
        case 'o': o->json = optarg; break;
        case 'q': o->quiet = true; break;
        case 'f':
            if ((rc = add_threshold(o, optarg)) != RS_EXIT_OK)
                return rc;
            break;
        case 'L':
            list_metrics(stdout);
            return -1;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "remsim report --help lists the options\n");
            return RS_EXIT_USAGE;
        }
    }
    return RS_EXIT_OK;
}

typedef rs_code (*view_fn)(FILE *out, const rs_result *r, rs_err *err);

static bool write_view(const char *path, view_fn fn, const rs_result *r)
{
    rs_err err;
    bool std = !strcmp(path, "-");
    FILE *f = std ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "remsim report: cannot create '%s': %s\n", path, strerror(errno));
        return false;
    }
    rs_code rc = fn(f, r, &err);
    if (!std && fclose(f) != 0 && rc == RS_OK)
        rc = rs_fail(&err, RS_E_IO, 0, "output", "the report is written completely", errno, 0, RS_NUM_GOT_ONLY);
    if (rc != RS_OK) {
        print_err(path, &err);
        return false;
    }
    return true;
}

/* Evaluates, writes what was asked, and says how the run went. */
static int finish(report_opts *o, rs_result *r)
{
    rs_err err;
    rs_result_reevaluate(r);
    if (rs_result_evaluate(r, o->thresholds, o->n_thresholds, &err) != RS_OK) {
        print_err("--fail-if", &err);
        return RS_EXIT_USAGE;
    }
    bool ok = true;
    if (o->json && rs_result_save(r, o->json, &err) != RS_OK) {
        print_err(o->json, &err);
        ok = false;
    }
    if (o->html)
        ok = write_view(o->html, rs_report_html, r) && ok;
    if (o->junit)
        ok = write_view(o->junit, rs_report_junit, r) && ok;
    if (!o->quiet && !(o->json && !strcmp(o->json, "-")))
        ok = write_view("-", rs_report_console, r) && ok;
    if (!ok)
        return RS_EXIT_USAGE;
    return rs_result_failed(r) ? RS_EXIT_FINDINGS : RS_EXIT_OK;
}

static int load(rs_result *r, const char *path)
{
    rs_err err;
    if (rs_result_load(r, path, &err) != RS_OK) {
        print_err(path, &err);
        return RS_EXIT_USAGE;
    }
    return RS_EXIT_OK;
}

static int report_merge(report_opts *o, int argc, char **argv)
{
    int rc = parse_opts(o, argc, argv);
    if (rc != RS_EXIT_OK)
        return rc < 0 ? RS_EXIT_OK : rc;
    if (optind >= argc) {
        fprintf(stderr, "remsim report merge: no result files (remsim report --help)\n");
        return RS_EXIT_USAGE;
    }
    if (!o->json) {
        fprintf(stderr, "remsim report merge: say where the merged document goes: -o OUT.json\n");
        return RS_EXIT_USAGE;
    }
    rs_result *sum = malloc(sizeof *sum), *part = malloc(sizeof *part);
    rs_err err;
    rc = RS_EXIT_OK;
    if (!sum || !part || rs_result_init(sum, 0, &err) != RS_OK) {
        fprintf(stderr, "remsim report merge: out of memory\n");
        free(sum);
        free(part);
        return RS_EXIT_USAGE;
    }
    if (rs_result_init(part, 0, &err) != RS_OK) {
        fprintf(stderr, "remsim report merge: out of memory\n");
        rc = RS_EXIT_USAGE;
    }
    for (int i = optind; i < argc && rc == RS_EXIT_OK; i++) {
        if (i == optind) {
            rc = load(sum, argv[i]);
            continue;
        }
        rc = load(part, argv[i]);
        if (rc == RS_EXIT_OK && rs_result_merge(sum, part, &err) != RS_OK) {
            if (err.field && !strcmp(err.field, "run.profile"))
                fprintf(stderr,
                        "remsim report merge: %s: profile '%s' differs from '%s' of the files before it; "
                        "only shards of one run merge (run.profile)\n",
                        argv[i], part->run.profile, sum->run.profile);
            else
                print_err(argv[i], &err);
            rc = RS_EXIT_USAGE;
        }
    }
    if (rc == RS_EXIT_OK)
        rc = finish(o, sum);
    rs_result_free(sum);
    rs_result_free(part);
    free(sum);
    free(part);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    report_opts o;
    memset(&o, 0, sizeof o);
    if (argc >= 2 && !strcmp(argv[1], "merge"))
        return report_merge(&o, argc - 1, argv + 1);
    int rc = parse_opts(&o, argc, argv);
    if (rc != RS_EXIT_OK)
        return rc < 0 ? RS_EXIT_OK : rc;
    if (optind != argc - 1) {
        fprintf(stderr, "remsim report: %s (remsim report --help)\n",
                optind >= argc ? "which result file? remsim report RESULT.json" : "one result file at a time; "
                                                                                   "several: remsim report merge");
        return RS_EXIT_USAGE;
    }
    rs_result *r = malloc(sizeof *r);
    rs_err err;
    if (!r || rs_result_init(r, 0, &err) != RS_OK) {
        fprintf(stderr, "remsim report: out of memory\n");
        free(r);
        return RS_EXIT_USAGE;
    }
    rc = load(r, argv[optind]);
    if (rc == RS_EXIT_OK)
        rc = finish(&o, r);
    rs_result_free(r);
    free(r);
    return rc;
}
