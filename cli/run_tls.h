/* remsim run --tls: the TLS options of a network run, and the throwaway
 * PKI the built-in endpoint uses when no --target is given
 * (docs/security.md, section TLS). */
#ifndef REMSIM_CLI_RUN_TLS_H
#define REMSIM_CLI_RUN_TLS_H

#include <stdbool.h>

#include "remsim/tls.h"

/* getopt codes of the --tls options (cmd_run.c's table). */
enum { OPT_TLS = 400, OPT_TLS_CA, OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_VERSION, OPT_TLS_SERVER_NAME,
       OPT_TLS_INSECURE, OPT_TLS_CIPHERS, OPT_TLS_CIPHERSUITES, OPT_TLS_NO_RESUME };

#define RUN_TLS_LONGOPTS                                                                                    \
    { "tls", no_argument, NULL, OPT_TLS }, { "tls-ca", required_argument, NULL, OPT_TLS_CA },                \
    { "tls-cert", required_argument, NULL, OPT_TLS_CERT }, { "tls-key", required_argument, NULL, OPT_TLS_KEY }, \
    { "tls-version", required_argument, NULL, OPT_TLS_VERSION },                                               \
    { "tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME },                                       \
    { "tls-insecure", no_argument, NULL, OPT_TLS_INSECURE }, { "tls-ciphers", required_argument, NULL, OPT_TLS_CIPHERS }, \
    { "tls-ciphersuites", required_argument, NULL, OPT_TLS_CIPHERSUITES },                                      \
    { "tls-no-resume", no_argument, NULL, OPT_TLS_NO_RESUME }

#define RUN_TLS_USAGE                                                                        \
    "TLS on the terminal links (docs/security.md):\n"                                         \
    "  --tls              terminals speak TLS to the endpoint (the built-in endpoint\n"       \
    "                     then listens with TLS, on a throwaway CA made for the run)\n"       \
    "  --tls-ca FILE      CA bundle (PEM) the endpoint is verified against\n"               \
    "                     (default: the system's; the throwaway CA when built-in)\n"        \
    "  --tls-cert FILE    client certificate (PEM), for endpoints asking for one\n"          \
    "  --tls-key FILE     its private key (PEM)\n"                                            \
    "  --tls-version V    1.2 or 1.3 only (default: either)\n"                               \
    "  --tls-server-name NAME  SNI and the name (or IP) the certificate must carry\n"        \
    "                     (default: the --target host)\n"                                     \
    "  --tls-insecure     do not verify the endpoint's certificate\n"                         \
    "  --tls-ciphers L, --tls-ciphersuites L  OpenSSL cipher lists for TLS 1.2 / 1.3\n"      \
    "  --tls-no-resume    a full handshake at every connect (no session resumption)\n"

typedef struct run_tls {
    bool option_given;           /* a --tls-* option (needs --tls) */
    const char *target_arg;      /* --target HOST:PORT: HOST is the default server name */
    char target_host[256];
    char dir[64];                /* the throwaway PKI, "" when none */
    char ca[128], cert[128], key[128];
    rs_tls_opts server;          /* the built-in endpoint's */
} run_tls;

struct run_args;
/* A --tls option (getopt code c): RS_EXIT_OK, RS_EXIT_USAGE (printed), or -1. */
int run_tls_option(struct run_args *a, int c, const char *arg);
/* Before the endpoint starts: defaults, the throwaway PKI when the endpoint
 * is ours, and a check that the client side loads.  RS_EXIT_OK or
 * RS_EXIT_USAGE (printed). */
int run_tls_prepare(struct run_args *a, bool own);
/* Removes the throwaway PKI (once the workers have loaded it). */
void run_tls_cleanup(struct run_args *a);

#endif
