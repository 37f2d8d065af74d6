/* remsim: one binary, subcommands.  This file only dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const rs_command commands[] = {
    { "decode", "decode frames (hex lines or raw bytes) into JSON Lines", cmd_decode },
    { "can2frames", "convert a candump CAN trace into the protocol frames a terminal sends", cmd_can2frames },
    { "serve", "the reference endpoint: receive, check, log, answer and count terminal frames", cmd_serve },
    { "run", "run a fleet of virtual trucks on a scenario (--offline: virtual time, frames to a file)", cmd_run },
    { "report", "summary, HTML and JUnit views of a result document; --fail-if thresholds; merge shards", cmd_report },
    { "check", "check captured traffic (frame logs, hex dumps, pcap/pcapng) against the rules; per-VIN verdicts", cmd_check },
    { "conform", "the conformance case catalogue (--list) and the platform / terminal suites", cmd_conform },
};

static const unsigned n_commands = sizeof commands / sizeof commands[0];

static void usage(FILE *out)
{
    fprintf(out,
            "usage: remsim <command> [options]\n"
            "\n"
            "Simulator and conformance harness for China VI remote emission terminals\n"
            "(GB 17691-2018 Annex Q, HJ 1239-2021, GB/T 32960.3 framing).\n"
            "\n"
            "commands:\n");
    for (unsigned i = 0; i < n_commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "remsim <command> --help shows a command's options.\n"
            "exit codes: 0 ok, 1 findings (invalid frames, failed cases), 2 usage or environment\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return RS_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("remsim %s\n", REMSIM_VERSION);
        return RS_EXIT_OK;
    }
    for (unsigned i = 0; i < n_commands; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "remsim: unknown command '%s' (remsim --help lists them)\n", name);
    return RS_EXIT_USAGE;
}
