/* SM2 with SM3 on one core: our signs/s and verifies/s next to what
 * `openssl speed -seconds 3 sm2` measures on the same machine in the same
 * run, and the ratio.  Also: signing with a given nonce (no RFC 6979 step),
 * and signing when Z_A is recomputed every time (as one-shot APIs such as
 * EVP_DigestSign do), to show what caching Z_A in the key saves.
 *
 * Our message is a 289-byte data unit less its signature, the size of the
 * realtime-hj1239-01 vector; openssl speed signs a 20-byte message.  The
 * point multiplication dominates both, so the size hardly matters.
 * About 13 s in all: 3 s ours, openssl speed (6 s), 3 s ours again. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "remsim/sm2.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile unsigned sink;

enum what { SIGN, SIGN_K, SIGN_NO_ZA_CACHE, VERIFY };

/* Runs `n` operations of one kind; false when one fails. */
static bool run(rs_sm2 *c, rs_sm2_key *key, enum what w, const uint8_t *msg, size_t len, rs_sig *sig, long n)
{
    static const uint8_t chip[16] = "TESTCHIP00000001";
    uint8_t k[32];
    memset(k, 0x5A, sizeof k);
    for (long i = 0; i < n; i++) {
        rs_code rc = RS_OK;
        rs_sm2_idmatch which;
        rs_sig out;
        switch (w) {
        case SIGN:
            rc = rs_sm2_sign(c, key, msg, len, &out, NULL);
            break;
        case SIGN_K:
            k[31] = (uint8_t)i;
            rc = rs_sm2_sign_k(c, key, msg, len, k, &out, NULL);
            break;
        case SIGN_NO_ZA_CACHE:
            rc = rs_sm2_key_set_id(c, key, chip, 16, NULL);
            if (rc == RS_OK)
                rc = rs_sm2_sign(c, key, msg, len, &out, NULL);
            break;
        case VERIFY:
            rc = rs_sm2_verify(c, key, msg, len, sig, &which, NULL);
            out = *sig;
            break;
        }
        if (rc != RS_OK)
            return false;
        sink += out.r[0];
    }
    return true;
}

/* Operations of each kind over about `seconds`, added to n[] and spent[].
 * The kinds take turns in slices of 50 operations (about 20 ms), so a
 * change in machine load (the cores are shared) affects them alike and
 * their ratios stay meaningful. */
static bool measure(rs_sm2 *c, rs_sm2_key *key, const uint8_t *msg, size_t len, double seconds, long n[4],
                    double spent[4])
{
    rs_sig sig;
    if (rs_sm2_sign(c, key, msg, len, &sig, NULL) != RS_OK)
        return false;
    double t_end = now() + seconds;
    while (now() < t_end)
        for (int w = 0; w < 4; w++) {
            double t0 = now();
            if (!run(c, key, (enum what)w, msg, len, &sig, 50))
                return false;
            spent[w] += now() - t0;
            n[w] += 50;
        }
    return true;
}

/* sign/s and verify/s of `openssl speed -seconds 3 sm2`; false when the
 * command is missing or its output has no SM2 line. */
static bool openssl_speed(double *sign, double *verify)
{
    FILE *p = popen("openssl speed -seconds 3 sm2 2>/dev/null", "r");
    if (!p)
        return false;
    char line[512];
    bool found = false;
    while (fgets(line, sizeof line, p)) {
        /* " 256 bits SM2 (CurveSM2)   0.0004s   0.0003s   2830.0   3140.4" */
        const char *at = strstr(line, "(CurveSM2)");
        double ts, tv;
        if (at && sscanf(at + strlen("(CurveSM2)"), " %lfs %lfs %lf %lf", &ts, &tv, sign, verify) == 4)
            found = true;
    }
    int rc = pclose(p);
    return found && rc == 0;
}

int main(void)
{
    rs_err err;
    rs_sm2 *c = rs_sm2_new(&err);
    if (!c) {
        fprintf(stderr, "bench_sm2: no SM2 in this OpenSSL\n");
        return 1;
    }
    static const uint8_t chip[16] = "TESTCHIP00000001";
    static const uint8_t vin[17] = "LTESTHJ16N0000002";
    rs_sm2_key key;
    if (rs_sm2_key_derive(c, &key, 1, vin, sizeof vin, chip, sizeof chip, &err) != RS_OK) {
        fprintf(stderr, "bench_sm2: key\n");
        return 1;
    }
    uint8_t msg[223];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 31 + 7);

    /* Ours before and after openssl speed, so that a change of load during
     * the run shows in the spread and evens out in the sum. */
    long n0[4] = { 0 }, n1[4] = { 0 }, nw[4] = { 0 };
    double s0[4] = { 0 }, s1[4] = { 0 }, sw[4] = { 0 };
    bool fine = measure(c, &key, msg, sizeof msg, 0.3, nw, sw) && /* warms caches and clocks */
                measure(c, &key, msg, sizeof msg, 3.0, n0, s0);
    double os = 0, ov = 0;
    bool have = fine && openssl_speed(&os, &ov);
    fine = fine && measure(c, &key, msg, sizeof msg, 3.0, n1, s1);
    rs_sm2_free(c);
    if (!fine) {
        fprintf(stderr, "bench_sm2: an operation failed\n");
        return 1;
    }
    double r[4];
    for (int w = 0; w < 4; w++)
        r[w] = (n0[w] + n1[w]) / (s0[w] + s1[w]);
    double sign = r[SIGN], verify = r[VERIFY], sign_k = r[SIGN_K], sign_noza = r[SIGN_NO_ZA_CACHE];

    printf("sm2 %zu-byte message, one core:\n", sizeof msg);
    if (have) {
        printf("sm2 sign   (RFC 6979 nonce): %8.0f /s   openssl speed: %8.0f /s   ours/openssl %.2f\n", sign, os,
               sign / os);
        printf("sm2 verify (chip ID)       : %8.0f /s   openssl speed: %8.0f /s   ours/openssl %.2f\n", verify, ov,
               verify / ov);
    } else {
        printf("sm2 sign   (RFC 6979 nonce): %8.0f /s\n", sign);
        printf("sm2 verify (chip ID)       : %8.0f /s\n", verify);
        printf("openssl speed: not available\n");
    }
    printf("ours before / after openssl speed: sign %.0f / %.0f, verify %.0f / %.0f (the spread is machine noise)\n",
           n0[SIGN] / s0[SIGN], n1[SIGN] / s1[SIGN], n0[VERIFY] / s0[VERIFY], n1[VERIFY] / s1[VERIFY]);
    printf("sm2 sign   (given nonce)   : %8.0f /s   (RFC 6979 costs %.1f us per signature)\n", sign_k,
           (1 / sign - 1 / sign_k) * 1e6);
    printf("sm2 sign   (Z_A every time): %8.0f /s   (caching Z_A saves %.1f us per signature)\n", sign_noza,
           (1 / sign_noza - 1 / sign) * 1e6);
    return 0;
}
