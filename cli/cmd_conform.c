/* remsim conform: the conformance catalogue (--list) and the suites.
 *
 * Suites register in the table below: `remsim conform NAME ...` runs
 * suites[i].run(argc, argv) with argv[0] = NAME.  The platform suite
 * (`conform platform`) and the terminal suite (`conform terminal`) go
 * there; `remsim check` is the capture checker. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "remsim/conform.h"
#include "remsim/json.h"

typedef struct conform_suite {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} conform_suite;

static const conform_suite suites[] = {
    { "platform", "remsim plays terminals against a platform (--target HOST:PORT)", cmd_conform_platform },
    { "terminal", "remsim plays vehicle (CAN) and platform (--listen) for a terminal under test", cmd_conform_terminal },
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim conform --list [--role ROLE] [--profile P] [--json | --markdown]\n"
            "       remsim conform SUITE [options]\n"
            "\n"
            "The conformance cases (docs/conformance.md): id (spec section/short name),\n"
            "title, clause of protocol.md, profiles, roles, severity, what each checks.\n"
            "\n"
            "  -l, --list          print the catalogue (default: a table)\n"
            "  -r, --role ROLE     only cases of ROLE: capture, terminal, platform\n"
            "  -p, --profile P     only cases of profile P: gb17691, hj1239, gb32960\n"
            "  -j, --json          the catalogue as a JSON array\n"
            "  -m, --markdown      the catalogue as the markdown table of docs/conformance.md\n"
            "  -h, --help          this text\n"
            "\n"
            "suites:\n");
    bool any = false;
    for (unsigned i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].run) {
            fprintf(out, "  %-10s %s\n", suites[i].name, suites[i].summary);
            any = true;
        }
    if (!any)
        fprintf(out, "  (none built yet: `remsim check FILE...` checks captures)\n");
}

static void table(unsigned role, unsigned prof)
{
    const rs_conf_case *c = rs_conf_catalogue();
    printf("%-26s %-8s %-14s %-24s %s\n", "id", "severity", "clause", "roles", "title");
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        if ((role && !(c[i].roles & role)) || (prof && !(c[i].profiles & prof)))
            continue;
        char roles[64];
        rs_conf_roles_text(c[i].roles, roles, sizeof roles);
        printf("%-26s %-8s %-14s %-24s %s\n", c[i].id, rs_severity_name(c[i].severity), c[i].clause, roles,
               c[i].title);
    }
}

int cmd_conform(int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] != '-') {
        for (unsigned i = 0; i < sizeof suites / sizeof suites[0]; i++)
            if (suites[i].run && !strcmp(argv[1], suites[i].name))
                return suites[i].run(argc - 1, argv + 1);
        fprintf(stderr, "remsim conform: no suite '%s' (remsim conform --help lists them)\n", argv[1]);
        return RS_EXIT_USAGE;
    }
    static const struct option longopts[] = {
        { "list", no_argument, NULL, 'l' },     { "role", required_argument, NULL, 'r' },
        { "profile", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
        { "markdown", no_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned role = 0, prof = 0;
    bool list = false, json = false, md = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "lr:p:jmh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l': list = true; break;
        case 'r':
            if (!rs_conf_role_parse(optarg, &role)) {
                fprintf(stderr, "remsim conform: unknown role '%s' (capture, terminal, platform)\n", optarg);
                return RS_EXIT_USAGE;
            }
            break;
        case 'p': {
            rs_proto p;
            if (!rs_proto_parse(optarg, &p)) {
                fprintf(stderr, "remsim conform: unknown profile '%s' (gb17691, hj1239, gb32960)\n", optarg);
                return RS_EXIT_USAGE;
            }
            prof = 1u << p;
            break;
        }
        case 'j': json = true; break;
        case 'm': md = true; break;
        case 'h': usage(stdout); return RS_EXIT_OK;
        default:
            fprintf(stderr, "remsim conform --help lists the options\n");
            return RS_EXIT_USAGE;
        }
    }
    if (!list || (json && md) || optind < argc) {
        usage(stderr);
        return RS_EXIT_USAGE;
    }
    if (json) {
        rs_json j;
        rs_json_init_file(&j, stdout, true);
        rs_conf_catalogue_json(&j, role, prof);
        fputc('\n', stdout);
        return rs_json_status(&j, NULL) == RS_OK ? RS_EXIT_OK : RS_EXIT_USAGE;
    }
    if (md)
        rs_conf_catalogue_markdown(stdout, role, prof);
    else
        table(role, prof);
    return fflush(stdout) == 0 ? RS_EXIT_OK : RS_EXIT_USAGE;
}
