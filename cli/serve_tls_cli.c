/* remsim serve --tls (serve_tls_cli.h). */
#include "cli/serve_tls_cli.h"

#include <stdbool.h>
#include <string.h>

#include "cli/commands.h"

int serve_tls_option(rs_tls_opts *t, int c, const char *arg)
{
    switch (c) {
    case O_TLS: t->enabled = true; return RS_EXIT_OK;
    case O_TLS_CERT: t->cert_file = arg; break;
    case O_TLS_KEY: t->key_file = arg; break;
    case O_TLS_CA: t->ca_file = arg; break;
    case O_TLS_VERIFY_CLIENT: t->mutual = true; break;
    case O_TLS_VERSION:
        if (strcmp(arg, "1.2") != 0 && strcmp(arg, "1.3") != 0) {
            fprintf(stderr, "remsim serve: --tls-version '%s': 1.2 or 1.3\n", arg);
            return RS_EXIT_USAGE;
        }
        t->min_version = t->max_version = arg;
        break;
    case O_TLS_CIPHERS: t->ciphers = arg; break;
    case O_TLS_CIPHERSUITES: t->ciphersuites = arg; break;
    case O_TLS_NO_RESUME: t->resume = false; break;
    default: return -1;
    }
    return RS_EXIT_OK;
}

int serve_tls_check(rs_tls_opts *t)
{
    if (!t->enabled) {
        if (t->cert_file || t->key_file || t->ca_file || t->mutual || t->min_version || t->ciphers ||
            t->ciphersuites || !t->resume) {
            fprintf(stderr, "remsim serve: the --tls-* options go with --tls (remsim serve --help)\n");
            return RS_EXIT_USAGE;
        }
        return RS_EXIT_OK;
    }
    rs_err err;
    char why[512];
    rs_tls_ctx *c = rs_tls_ctx_new(t, RS_TLS_SERVER, &err, why, sizeof why);
    if (!c) {
        fprintf(stderr, "remsim serve: %s\n", why);
        return RS_EXIT_USAGE;
    }
    rs_tls_ctx_free(c);
    return RS_EXIT_OK;
}

void serve_tls_banner(const rs_tls_opts *t, FILE *out)
{
    if (!t->enabled)
        return;
    fprintf(out, "remsim serve: TLS %s-%s, certificate %s; %s%s; resumption %s\n",
            t->min_version ? t->min_version : "1.2", t->max_version ? t->max_version : "1.3", t->cert_file,
            t->mutual ? "client certificates required, CA " : "no client certificates asked",
            t->mutual ? t->ca_file : "", t->resume ? "on (tickets)" : "off");
}
