/* Subcommands of the remsim binary.  Each takes argc/argv starting at its
 * own name and returns the process exit code: 0 ok, 1 findings, 2 usage or
 * environment error. */
#ifndef REMSIM_CLI_COMMANDS_H
#define REMSIM_CLI_COMMANDS_H

enum { RS_EXIT_OK = 0, RS_EXIT_FINDINGS = 1, RS_EXIT_USAGE = 2 };

typedef struct rs_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} rs_command;

int cmd_decode(int argc, char **argv);
int cmd_can2frames(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_conform_platform(int argc, char **argv);
int cmd_conform_terminal(int argc, char **argv);

#endif
