/* remsim run --tls (run_tls.h, docs/security.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run_net.h"

int run_tls_option(run_args *a, int c, const char *arg)
{
    rs_tls_opts *t = &a->fleet.tls;
    switch (c) {
    case OPT_TLS: t->enabled = true; return RS_EXIT_OK;
    case OPT_TLS_CA: t->ca_file = arg; break;
    case OPT_TLS_CERT: t->cert_file = arg; break;
    case OPT_TLS_KEY: t->key_file = arg; break;
    case OPT_TLS_VERSION:
        if (strcmp(arg, "1.2") != 0 && strcmp(arg, "1.3") != 0)
            return fail_usage("--tls-version takes 1.2 or 1.3, not '%s'", arg);
        t->min_version = t->max_version = arg;
        break;
    case OPT_TLS_SERVER_NAME: t->server_name = arg; break;
    case OPT_TLS_INSECURE: t->insecure = true; break;
    case OPT_TLS_CIPHERS: t->ciphers = arg; break;
    case OPT_TLS_CIPHERSUITES: t->ciphersuites = arg; break;
    case OPT_TLS_NO_RESUME: t->resume = false; break;
    default: return -1;
    }
    a->tls.option_given = true;
    return RS_EXIT_OK;
}

static bool path(char *out, size_t cap, const char *dir, const char *file)
{
    return (size_t)snprintf(out, cap, "%s/%s", dir, file) < cap;
}

/* The built-in endpoint's certificate: a CA and a server certificate for
 * 127.0.0.1 made now, in a directory only this run uses. */
static int make_pki(run_tls *rt, rs_tls_opts *client)
{
    snprintf(rt->dir, sizeof rt->dir, "%s", "/tmp/remsim-tls-XXXXXX");
    if (!mkdtemp(rt->dir)) {
        rt->dir[0] = 0;
        fprintf(stderr, "remsim run: --tls: cannot make a directory for the throwaway CA under /tmp\n");
        return RS_EXIT_USAGE;
    }
    rs_err err;
    char msg[256];
    if (rs_tls_pki_make(rt->dir, "remsim run", "127.0.0.1,localhost", 2, &err) != RS_OK ||
        !path(rt->ca, sizeof rt->ca, rt->dir, "ca.pem") || !path(rt->cert, sizeof rt->cert, rt->dir, "server.pem") ||
        !path(rt->key, sizeof rt->key, rt->dir, "server.key")) {
        rs_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "remsim run: --tls: the throwaway CA: %s\n", msg);
        return RS_EXIT_USAGE;
    }
    rs_tls_opts_init(&rt->server);
    rt->server.enabled = true;
    rt->server.cert_file = rt->cert;
    rt->server.key_file = rt->key;
    rt->server.min_version = client->min_version;
    rt->server.max_version = client->max_version;
    rt->server.resume = client->resume;
    client->ca_file = rt->ca;
    return RS_EXIT_OK;
}

int run_tls_prepare(run_args *a, bool own)
{
    rs_tls_opts *t = &a->fleet.tls;
    run_tls *rt = &a->tls;
    if (!t->enabled) {
        if (rt->option_given)
            return fail_usage("%s", "the --tls-* options go with --tls");
        return RS_EXIT_OK;
    }
    if (own) {
        if (t->ca_file)
            return fail_usage("%s", "--tls-ca: the built-in endpoint uses a throwaway CA made for the run; "
                                    "--tls-ca is for an endpoint given with --target");
        int rc = make_pki(rt, t);
        if (rc != RS_EXIT_OK)
            return rc;
        if (!t->server_name)
            t->server_name = "127.0.0.1";
    } else if (!t->server_name && rt->target_arg) {
        /* the host of --target is checked against the certificate, as curl does */
        const char *colon = strrchr(rt->target_arg, ':');
        size_t n = colon ? (size_t)(colon - rt->target_arg) : strlen(rt->target_arg);
        if (n < sizeof rt->target_host) {
            memcpy(rt->target_host, rt->target_arg, n);
            rt->target_host[n] = 0;
            t->server_name = rt->target_host;
        }
    }
    rs_err err;
    char why[512];
    rs_tls_ctx *ctx = rs_tls_ctx_new(t, RS_TLS_CLIENT, &err, why, sizeof why);
    if (!ctx) {
        fprintf(stderr, "remsim run: %s\n", why);
        run_tls_cleanup(a);
        return RS_EXIT_USAGE;
    }
    rs_tls_ctx_free(ctx);
    return RS_EXIT_OK;
}

void run_tls_cleanup(run_args *a)
{
    run_tls *rt = &a->tls;
    if (!rt->dir[0])
        return;
    static const char *const files[] = { "ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key" };
    char p[192];
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        if (path(p, sizeof p, rt->dir, files[i]))
            unlink(p);
    rmdir(rt->dir);
    rt->dir[0] = 0;
}
