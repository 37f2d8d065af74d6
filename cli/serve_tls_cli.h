/* remsim serve --tls: the options, their check, the banner line
 * (docs/security.md, section TLS). */
#ifndef REMSIM_CLI_SERVE_TLS_CLI_H
#define REMSIM_CLI_SERVE_TLS_CLI_H

#include <stdio.h>

#include "remsim/tls.h"

enum { O_TLS = 450, O_TLS_CERT, O_TLS_KEY, O_TLS_CA, O_TLS_VERIFY_CLIENT, O_TLS_VERSION, O_TLS_CIPHERS,
       O_TLS_CIPHERSUITES, O_TLS_NO_RESUME };

#define SERVE_TLS_LONGOPTS                                                                                  \
    { "tls", no_argument, NULL, O_TLS }, { "tls-cert", required_argument, NULL, O_TLS_CERT },                \
    { "tls-key", required_argument, NULL, O_TLS_KEY }, { "tls-ca", required_argument, NULL, O_TLS_CA },      \
    { "tls-verify-client", no_argument, NULL, O_TLS_VERIFY_CLIENT },                                         \
    { "tls-version", required_argument, NULL, O_TLS_VERSION },                                               \
    { "tls-ciphers", required_argument, NULL, O_TLS_CIPHERS },                                               \
    { "tls-ciphersuites", required_argument, NULL, O_TLS_CIPHERSUITES },                                     \
    { "tls-no-resume", no_argument, NULL, O_TLS_NO_RESUME }

#define SERVE_TLS_USAGE                                                                      \
    "tls (docs/security.md):\n"                                                              \
    "      --tls                terminals connect with TLS (1.2 or 1.3)\n"                    \
    "      --tls-cert FILE      the endpoint's certificate (chain), PEM\n"                    \
    "      --tls-key FILE       its private key, PEM, unencrypted\n"                         \
    "      --tls-verify-client  require a client certificate (mutual auth) ...\n"            \
    "      --tls-ca FILE        ... signed by a CA in FILE (PEM)\n"                           \
    "      --tls-version V      1.2 or 1.3 only (default: either)\n"                         \
    "      --tls-ciphers L, --tls-ciphersuites L  OpenSSL lists for TLS 1.2 / 1.3\n"         \
    "      --tls-no-resume      no session tickets: every handshake is a full one\n"

/* A --tls option (getopt code c): 0 taken, 2 usage error (printed), -1 not one. */
int serve_tls_option(rs_tls_opts *t, int c, const char *arg);
/* Before the start: --tls-* without --tls, and the context loads (files,
 * key against certificate).  0 or 2 (printed with OpenSSL's reason). */
int serve_tls_check(rs_tls_opts *t);
void serve_tls_banner(const rs_tls_opts *t, FILE *out);

#endif
