/* HJ 1239 security of the reference endpoint (conformance/serve_sec.h):
 * the shared key registry (claim, find, a full table, two processes
 * claiming the same VIN and chip at once), the activation decision for
 * every 0x08 code, the signature checks of reports (chip ID, default ID,
 * failure, unknown key), and the whole path through rs_serve with two
 * workers: an activation on one connection, its terminal's reports on
 * others, counts merged per VIN.
 *
 * Keys: the README test key of ../shared/spec/vectors (the GM/T 0003
 * example key), made in C so frames can be re-signed; the published
 * vectors are used where ../shared is there. */
#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance/serve_sec.h"
#include "remsim/framelog.h"
#include "remsim/msg.h"
#include "remsim/reasm.h"
#include "remsim/serve.h"
#include "remsim/sm2.h"
#include "remsim/vin.h"

static const uint8_t test_d[32] = {
    0x39, 0x45, 0x20, 0x8F, 0x7B, 0x21, 0x44, 0xB1, 0x3F, 0x36, 0xE3, 0x8A, 0xC6, 0xD3, 0x9F, 0x95,
    0x88, 0x93, 0x93, 0x69, 0x28, 0x60, 0xB5, 0x1A, 0x42, 0xFB, 0x81, 0xEF, 0x4D, 0xF7, 0xC5, 0xB8,
};
static const char chip1[] = "TESTCHIP00000001";
static const char vin_hj[] = "LTESTHJ16N0000002"; /* valid check digit */
static const rs_time T0 = { 24, 5, 20, 7, 59, 0 };

static rs_msg scratch, dec;
static rs_sm2 *g_sm2;

static int setup(void **state)
{
    (void)state;
    rs_err err;
    g_sm2 = rs_sm2_new(&err);
    return g_sm2 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rs_sm2_free(g_sm2);
    return 0;
}

static void key_for(rs_sm2_key *k, const uint8_t d[32], const char *id)
{
    rs_err err;
    assert_int_equal(rs_sm2_key_from_priv(g_sm2, k, d, (const uint8_t *)id, strlen(id), &err), RS_OK);
}

/* Another private key: d with its last byte changed. */
static void other_key(rs_sm2_key *k, const char *id)
{
    uint8_t d[32];
    memcpy(d, test_d, 32);
    d[31] ^= 0x5A;
    key_for(k, d, id);
}

static void pub_only(const rs_sm2_key *full, const char *id, rs_sm2_key *pub)
{
    rs_err err;
    assert_int_equal(rs_sm2_key_from_pub(g_sm2, pub, full->pub, (const uint8_t *)id, strlen(id), &err), RS_OK);
}

static void vin_n(int k, uint8_t vin[17])
{
    char s[18];
    snprintf(s, sizeof s, "LTESTKEY0%08d", k);
    memcpy(vin, s, 17);
}

/* --- frames --- */

/* An activation signed by `signer`: header VIN hdr_vin, body VIN body_vin,
 * chip ID and public key as given. */
static size_t f_activation(const rs_profile *p, const rs_sm2_key *signer, const char *chip, const uint8_t *pub,
                           const uint8_t *hdr_vin, const uint8_t *body_vin, uint8_t *out, size_t cap)
{
    rs_msg_init(&scratch, p, RS_MSG_ACTIVATION, hdr_vin);
    rs_activation *a = &scratch.u.act;
    a->time = T0;
    memcpy(a->chip_id, chip, RS_CHIP_ID_LEN);
    memcpy(a->pubkey, pub, RS_PUBKEY_LEN);
    memcpy(a->vin, body_vin, RS_VIN_LEN);
    a->has_sig = true;
    rs_sm2_signer sg = { g_sm2, signer };
    size_t len;
    rs_err err;
    assert_int_equal(rs_msg_encode_signed(p, &scratch, rs_sm2_sign_hook, &sg, out, cap, &len, &err), RS_OK);
    return len;
}

/* An HJ real-time report of n samples from T0 + first, signed by signer
 * (NULL: unsigned). */
static size_t f_report(const rs_profile *p, const rs_sm2_key *signer, const uint8_t *vin, int first, int n,
                       uint16_t serial, uint8_t *out, size_t cap)
{
    rs_msg_init(&scratch, p, RS_MSG_REPORT, vin);
    scratch.frame.cmd = RS_CMD_REALTIME;
    rs_report *r = &scratch.u.report;
    r->time = rs_time_from_unix(rs_time_to_unix(&T0) + first + n);
    r->serial = serial;
    rs_sample s;
    rs_sample_init(&s);
    s.v[RS_F_SPEED] = rs_val_ok(60);
    s.v[RS_F_RPM] = rs_val_ok(1200);
    for (int i = 0; i < n; i++) {
        rs_item_from_sample(&r->item[i], RS_INFO_STREAM_DIESEL, &s);
        r->item[i].collect = rs_time_from_unix(rs_time_to_unix(&T0) + first + i);
    }
    r->n_items = (uint8_t)n;
    size_t len;
    rs_err err;
    if (!signer) {
        assert_int_equal(rs_msg_encode(p, &scratch, out, cap, &len, &err), RS_OK);
        return len;
    }
    r->has_sig = true;
    rs_sm2_signer sg = { g_sm2, signer };
    assert_int_equal(rs_msg_encode_signed(p, &scratch, rs_sm2_sign_hook, &sg, out, cap, &len, &err), RS_OK);
    return len;
}

static void decode(const rs_profile *p, const uint8_t *f, size_t n)
{
    rs_err err;
    assert_int_equal(rs_msg_decode(p, f, n, &dec, &err), RS_OK);
}

/* Flips one byte of the data unit and fixes the BCC. */
static void flip(uint8_t *f, size_t n, size_t data_off)
{
    f[RS_HEADER_LEN + data_off] ^= 0x01;
    uint8_t bcc = 0;
    for (size_t i = 2; i + 1 < n; i++)
        bcc ^= f[i];
    f[n - 1] = bcc;
}

static size_t load_vector(const char *file, uint8_t *out, size_t cap)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "spec/vectors/%s", file);
    if (!rs_test_shared(rel, path, sizeof path))
        return 0;
    size_t len = 0;
    uint8_t *text = rs_test_read_file(path, &len);
    assert_non_null(text);
    size_t n = 0;
    for (size_t i = 0; i + 1 < len && text[i] != '\n' && text[i] != '\r'; i += 2) {
        unsigned v;
        assert_int_equal(sscanf((char *)text + i, "%2x", &v), 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    free(text);
    return n;
}

#define REQUIRE_VECTOR(n, file, buf)                                                                       \
    size_t n = load_vector(file, buf, sizeof buf);                                                         \
    if (n == 0) {                                                                                          \
        print_message("skipped: shared vector '%s' not found (set REMSIM_SHARED or put shared/ beside the " \
                      "project)\n",                                                                         \
                      file);                                                                               \
        skip();                                                                                            \
    }

/* --- the registry --- */

static void test_registry_claim_find_full(void **state)
{
    (void)state;
    serve_keys *k;
    rs_err err;
    assert_int_equal(serve_keys_create(0, &k, &err), RS_E_OPTION);
    assert_int_equal(serve_keys_create(3, &k, &err), RS_OK);
    rs_sm2_key key;
    key_for(&key, test_d, chip1);
    uint8_t v0[17], v1[17], v2[17], v3[17];
    vin_n(0, v0);
    vin_n(1, v1);
    vin_n(2, v2);
    vin_n(3, v3);
    const uint8_t *c1 = (const uint8_t *)chip1, *c2 = (const uint8_t *)"TESTCHIP00000002",
                  *c3 = (const uint8_t *)"TESTCHIP00000003", *c4 = (const uint8_t *)"TESTCHIP00000004";
    assert_null(serve_keys_find_vin(k, v0));
    const serve_key_entry *ex;
    assert_int_equal(serve_keys_add(k, v0, c1, &key, &T0, 1000, SERVE_KEY_ACTIVATION, &ex), SERVE_KEYS_ADDED);
    const serve_key_entry *e = serve_keys_find_vin(k, v0);
    assert_non_null(e);
    assert_memory_equal(e->chip, chip1, 16);
    assert_memory_equal(e->key.pub, key.pub, 64);
    assert_int_equal(e->registered_ms, 1000);
    assert_ptr_equal(serve_keys_find_chip(k, c1), e);
    /* the same chip, for this VIN or another: taken */
    assert_int_equal(serve_keys_add(k, v0, c1, &key, &T0, 1001, SERVE_KEY_ACTIVATION, &ex), SERVE_KEYS_CHIP_TAKEN);
    assert_ptr_equal(ex, e);
    assert_int_equal(serve_keys_add(k, v1, c1, &key, &T0, 1001, SERVE_KEY_ACTIVATION, &ex), SERVE_KEYS_CHIP_TAKEN);
    /* another chip on a registered VIN */
    assert_int_equal(serve_keys_add(k, v0, c2, &key, &T0, 1001, SERVE_KEY_ACTIVATION, &ex), SERVE_KEYS_VIN_TAKEN);
    assert_ptr_equal(ex, e);
    /* fill it: 3 entries, the 4th is counted, not a crash */
    assert_int_equal(serve_keys_add(k, v1, c2, &key, &T0, 1, SERVE_KEY_ACTIVATION, NULL), SERVE_KEYS_ADDED);
    assert_int_equal(serve_keys_add(k, v2, NULL, &key, NULL, 1, SERVE_KEY_PREREGISTERED, NULL), SERVE_KEYS_ADDED);
    assert_int_equal(serve_keys_add(k, v3, c3, &key, &T0, 1, SERVE_KEY_ACTIVATION, NULL), SERVE_KEYS_FULL);
    assert_int_equal(serve_keys_add(k, v3, c4, &key, &T0, 1, SERVE_KEY_ACTIVATION, NULL), SERVE_KEYS_FULL);
    assert_null(serve_keys_find_vin(k, v3));
    assert_non_null(serve_keys_find_vin(k, v2));
    assert_false(serve_keys_find_vin(k, v2)->has_chip);
    serve_keys_stats s;
    serve_keys_stats_get(k, &s);
    assert_int_equal(s.capacity, 3);
    assert_int_equal(s.live, 3);
    assert_int_equal(s.preregistered, 1);
    assert_int_equal(s.full, 2);
    assert_int_equal(s.dead, 0);
    assert_int_equal(s.bytes, serve_keys_bytes(3));
    serve_keys_destroy(k);
}

/* Two processes register the same VINs (and, for half of them, the same
 * chip) at once, released together by a pipe: for each VIN exactly one
 * wins, the other is told CHIP_TAKEN or VIN_TAKEN. */
static void test_registry_concurrent_claims(void **state)
{
    (void)state;
    enum { ROUNDS = 400 };
    serve_keys *k;
    rs_err err;
    assert_int_equal(serve_keys_create(2 * ROUNDS, &k, &err), RS_OK);
    rs_sm2_key key;
    key_for(&key, test_d, chip1);
    int go[2], res[2][2];
    assert_int_equal(pipe(go), 0);
    pid_t pid[2];
    for (int w = 0; w < 2; w++) {
        assert_int_equal(pipe(res[w]), 0);
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] == 0) {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) != 1) /* wait for the start */
                _exit(2);
            uint8_t out[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                uint8_t vin[17], chip[17];
                vin_n(i, vin);
                /* even rounds: the same chip in both; odd: one chip each */
                snprintf((char *)chip, sizeof chip, "CHIP%05d%07d", i, i % 2 ? w : 0);
                out[i] = (uint8_t)serve_keys_add(k, vin, chip, &key, &T0, w, SERVE_KEY_ACTIVATION, NULL);
            }
            ssize_t wr = write(res[w][1], out, sizeof out);
            _exit(wr == (ssize_t)sizeof out ? 0 : 3);
        }
        close(res[w][1]);
    }
    close(go[0]);
    assert_int_equal(write(go[1], "gg", 2), 2); /* both start at once */
    close(go[1]);
    uint8_t got[2][ROUNDS];
    for (int w = 0; w < 2; w++) {
        size_t n = 0;
        while (n < ROUNDS) {
            ssize_t r = read(res[w][0], got[w] + n, ROUNDS - n);
            assert_true(r > 0);
            n += (size_t)r;
        }
        close(res[w][0]);
        int status;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        int wins = (got[0][i] == SERVE_KEYS_ADDED) + (got[1][i] == SERVE_KEYS_ADDED);
        if (wins != 1)
            fail_msg("round %d: %d winners (%d, %d)", i, wins, got[0][i], got[1][i]);
        uint8_t lost = got[0][i] == SERVE_KEYS_ADDED ? got[1][i] : got[0][i];
        assert_int_equal(lost, i % 2 ? SERVE_KEYS_VIN_TAKEN : SERVE_KEYS_CHIP_TAKEN);
        uint8_t vin[17];
        vin_n(i, vin);
        const serve_key_entry *e = serve_keys_find_vin(k, vin);
        assert_non_null(e);
        assert_int_equal(e->registered_ms, got[0][i] == SERVE_KEYS_ADDED ? 0 : 1);
    }
    serve_keys_stats s;
    serve_keys_stats_get(k, &s);
    assert_int_equal(s.live, ROUNDS);
    serve_keys_destroy(k);
}

/* --- signatures and activation decisions, without sockets --- */

static rs_serve_act act_of(serve_keys *k, const rs_profile *p, const uint8_t *f, size_t n, rs_activation_ans *ans,
                           bool *taken, serve_sig_result *sig)
{
    decode(p, f, n);
    serve_sig_check(g_sm2, k, p, &dec, sig);
    return serve_act_decide(k, g_sm2, &dec, sig, 5000, RS_SERVE_ACT_FAULT_NONE, ans, taken);
}

static void test_activation_decisions(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    serve_keys *k;
    rs_err err;
    assert_int_equal(serve_keys_create(4, &k, &err), RS_OK);
    rs_sm2_key key, key2;
    key_for(&key, test_d, chip1);
    other_key(&key2, "TESTCHIP00000002");
    const uint8_t *vin = (const uint8_t *)vin_hj;
    uint8_t f[512], vin2[17], bad_vin[17];
    assert_true(rs_vin_make("LTE", "STHJ1", 'N', '0', 3, vin2)); /* valid, another terminal */
    memcpy(bad_vin, "LTESTHJ17N0000002", 17); /* check digit wrong */
    rs_activation_ans ans;
    serve_sig_result sig;
    bool taken;

    /* a good activation: 01 00, registered */
    size_t n = f_activation(&p, &key, chip1, key.pub, vin, vin, f, sizeof f);
    assert_int_equal(n, 194);
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_OK);
    assert_int_equal(sig.verdict, SERVE_SIG_VERIFIED);
    assert_int_equal(ans.status, RS_ACT_OK);
    assert_int_equal(ans.info, RS_ACT_INFO_NONE);
    const serve_key_entry *e = serve_keys_find_vin(k, vin);
    assert_non_null(e);
    assert_memory_equal(e->key.pub, key.pub, 64);
    assert_memory_equal(e->chip, chip1, 16);
    /* again: the chip is registered, 02 01 */
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_ALREADY);
    assert_int_equal(ans.status, RS_ACT_FAILED);
    assert_int_equal(ans.info, RS_ACT_INFO_ALREADY);
    /* the same chip for another (valid) VIN: 02 01 */
    n = f_activation(&p, &key, chip1, key.pub, vin2, vin2, f, sizeof f);
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_ALREADY);
    /* header VIN and body VIN differ, signature good: 02 02 */
    n = f_activation(&p, &key2, "TESTCHIP00000002", key2.pub, vin2, vin, f, sizeof f);
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_VIN_ERROR);
    assert_int_equal(sig.verdict, SERVE_SIG_VERIFIED);
    assert_int_equal(ans.status, RS_ACT_FAILED);
    assert_int_equal(ans.info, RS_ACT_INFO_VIN);
    /* consistent VINs that break the VIN rules: 02 02 */
    n = f_activation(&p, &key2, "TESTCHIP00000002", key2.pub, bad_vin, bad_vin, f, sizeof f);
    p.vin_check = RS_TOL_ACCEPT; /* the codec lets it through; the national platform does not */
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_VIN_ERROR);
    rs_profile_init(&p, RS_PROTO_HJ1239);
    /* a body byte changed after signing (BCC fixed): 02 03 */
    n = f_activation(&p, &key2, "TESTCHIP00000002", key2.pub, vin2, vin2, f, sizeof f);
    flip(f, n, 90);
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_OTHER);
    assert_int_equal(sig.verdict, SERVE_SIG_FAILED);
    assert_int_equal(sig.reason, RS_SERVE_SIGFAIL_NO_MATCH);
    assert_int_equal(ans.info, RS_ACT_INFO_OTHER);
    assert_null(serve_keys_find_vin(k, vin2));
    /* signed by a key other than the one it carries: 02 03 */
    n = f_activation(&p, &key, "TESTCHIP00000002", key2.pub, vin2, vin2, f, sizeof f);
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_OTHER);
    /* a new chip on a registered VIN: 02 03, counted as "VIN taken" */
    n = f_activation(&p, &key2, "TESTCHIP00000002", key2.pub, vin, vin, f, sizeof f);
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_OTHER);
    assert_true(taken);
    /* no signature (tolerated by sig_missing=warn): 02 03 */
    n = f_activation(&p, &key2, "TESTCHIP00000002", key2.pub, vin2, vin2, f, sizeof f);
    decode(&p, f, n);
    dec.u.act.has_sig = false;
    serve_sig_check(g_sm2, k, &p, &dec, &sig);
    assert_int_equal(sig.verdict, SERVE_SIG_MISSING);
    assert_int_equal(serve_act_decide(k, g_sm2, &dec, &sig, 1, 0, &ans, &taken), RS_SERVE_ACT_OTHER);
    /* --verify off: not checked, registered on the VIN rules alone */
    decode(&p, f, n);
    memset(&sig, 0, sizeof sig);
    assert_int_equal(serve_act_decide(k, g_sm2, &dec, &sig, 1, 0, &ans, &taken), RS_SERVE_ACT_OK);
    assert_non_null(serve_keys_find_vin(k, vin2));
    /* faults force the answer to everyone */
    assert_int_equal(serve_act_decide(k, g_sm2, &dec, &sig, 1, RS_SERVE_ACT_FAULT_VIN_ERROR, &ans, &taken),
                     RS_SERVE_ACT_VIN_ERROR);
    assert_int_equal(ans.info, RS_ACT_INFO_VIN);
    assert_int_equal(serve_act_decide(k, g_sm2, &dec, &sig, 1, RS_SERVE_ACT_FAULT_OTHER, &ans, &taken),
                     RS_SERVE_ACT_OTHER);
    assert_int_equal(serve_act_decide(k, g_sm2, &dec, &sig, 1, RS_SERVE_ACT_FAULT_ALREADY, &ans, &taken),
                     RS_SERVE_ACT_ALREADY);
    assert_int_equal(serve_act_decide(k, g_sm2, &dec, &sig, 1, RS_SERVE_ACT_FAULT_SILENT, &ans, &taken),
                     RS_SERVE_ACT_UNANSWERED);
    assert_false(serve_act_answer(RS_SERVE_ACT_UNANSWERED, &ans));
    /* a full registry: 02 03, counted apart */
    uint8_t v[17];
    for (int i = 0; i < 3; i++) { /* 2 of 4 entries used: two more fit */
        char chip[17];
        snprintf(chip, sizeof chip, "TESTCHIP0000010%d", i);
        assert_true(rs_vin_make("LTE", "STKEY", 'N', '0', (uint32_t)i, v));
        rs_sm2_key kc;
        other_key(&kc, chip); /* the signer's ID is the chip ID it sends */
        n = f_activation(&p, &kc, chip, kc.pub, v, v, f, sizeof f);
        assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), i < 2 ? RS_SERVE_ACT_OK : RS_SERVE_ACT_TABLE_FULL);
    }
    assert_int_equal(ans.info, RS_ACT_INFO_OTHER);
    assert_int_equal(serve_act_decide(NULL, g_sm2, &dec, &sig, 1, 0, &ans, &taken), RS_SERVE_ACT_TABLE_FULL);
    serve_keys_destroy(k);
}

/* A pre-registered key (no activation seen) with the same public key as an
 * activation: the same terminal, "already". */
static void test_activation_of_preregistered(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    serve_keys *k;
    rs_err err;
    assert_int_equal(serve_keys_create(4, &k, &err), RS_OK);
    rs_sm2_key key, pub;
    key_for(&key, test_d, chip1);
    pub_only(&key, RS_SM2_DEFAULT_ID, &pub);
    const uint8_t *vin = (const uint8_t *)vin_hj;
    assert_int_equal(serve_keys_add(k, vin, NULL, &pub, NULL, 1, SERVE_KEY_PREREGISTERED, NULL), SERVE_KEYS_ADDED);
    uint8_t f[512];
    size_t n = f_activation(&p, &key, chip1, key.pub, vin, vin, f, sizeof f);
    rs_activation_ans ans;
    serve_sig_result sig;
    bool taken;
    assert_int_equal(act_of(k, &p, f, n, &ans, &taken, &sig), RS_SERVE_ACT_ALREADY);
    assert_false(taken);
    serve_keys_destroy(k);
}

static void test_report_signatures(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    serve_keys *k;
    rs_err err;
    assert_int_equal(serve_keys_create(8, &k, &err), RS_OK);
    rs_sm2_key key, dflt, reg, pre;
    key_for(&key, test_d, chip1);
    key_for(&dflt, test_d, RS_SM2_DEFAULT_ID);
    pub_only(&key, chip1, &reg);
    const uint8_t *vin = (const uint8_t *)vin_hj;
    uint8_t f[2048], other[17];
    vin_n(7, other);
    serve_sig_result r;
    rs_serve_totals st;
    rs_serve_vin v;
    memset(&st, 0, sizeof st);
    memset(&v, 0, sizeof v);

    /* unknown key: not verifiable */
    size_t n = f_report(&p, &key, vin, 0, 3, 1, f, sizeof f);
    decode(&p, f, n);
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_UNKNOWN_KEY);
    serve_sig_count(&r, &st, &v);
    assert_int_equal(serve_keys_add(k, vin, (const uint8_t *)chip1, &reg, &T0, 1, SERVE_KEY_ACTIVATION, NULL),
                     SERVE_KEYS_ADDED);
    /* the chip ID */
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_VERIFIED);
    assert_true(r.ns > 0);
    serve_sig_count(&r, &st, &v);
    /* signed with the default ID: verifies, says so */
    n = f_report(&p, &dflt, vin, 3, 3, 2, f, sizeof f);
    decode(&p, f, n);
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_VERIFIED_DEFAULT);
    serve_sig_count(&r, &st, &v);
    /* a body byte changed: fails with both IDs */
    n = f_report(&p, &key, vin, 6, 3, 3, f, sizeof f);
    flip(f, n, 20);
    decode(&p, f, n);
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_FAILED);
    assert_int_equal(r.reason, RS_SERVE_SIGFAIL_NO_MATCH);
    assert_int_equal(r.err.code, RS_E_SIGNATURE);
    assert_int_equal(r.err.offset, RS_HEADER_LEN + dec.u.report.sig_offset);
    serve_sig_count(&r, &st, &v);
    /* r = 0: out of range, told apart */
    n = f_report(&p, &key, vin, 9, 3, 4, f, sizeof f);
    decode(&p, f, n);
    memset(dec.u.report.sig.r, 0, 32);
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_FAILED);
    assert_int_equal(r.reason, RS_SERVE_SIGFAIL_RANGE);
    serve_sig_count(&r, &st, &v);
    /* unsigned (tolerated): missing */
    n = f_report(&p, NULL, vin, 12, 3, 5, f, sizeof f);
    decode(&p, f, n);
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_MISSING);
    serve_sig_count(&r, &st, &v);
    /* not HJ: not checked */
    rs_profile gb;
    rs_profile_init(&gb, RS_PROTO_GB17691);
    serve_sig_check(g_sm2, k, &gb, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_NOT_CHECKED);

    assert_int_equal(st.sig_verified, 1);
    assert_int_equal(st.sig_verified_default, 1);
    assert_int_equal(st.sig_failed, 2);
    assert_int_equal(st.sig_unknown_key, 1);
    assert_int_equal(st.sig_missing, 1);
    assert_int_equal(v.sig_verified, 2);
    assert_int_equal(v.sig_default_id, 1);
    assert_int_equal(v.sig_failed, 2);
    assert_int_equal(v.sig_fail_reason, RS_SERVE_SIGFAIL_NO_MATCH); /* the first one */
    assert_string_equal(rs_serve_sig_fail_name(RS_SERVE_SIGFAIL_NO_MATCH), "no_match");

    /* pre-registered without a chip ID: the default ID is all it has */
    pub_only(&key, RS_SM2_DEFAULT_ID, &pre);
    assert_int_equal(serve_keys_add(k, other, NULL, &pre, NULL, 1, SERVE_KEY_PREREGISTERED, NULL), SERVE_KEYS_ADDED);
    n = f_report(&p, &dflt, other, 0, 2, 1, f, sizeof f);
    decode(&p, f, n);
    serve_sig_check(g_sm2, k, &p, &dec, &r);
    assert_int_equal(r.verdict, SERVE_SIG_VERIFIED_DEFAULT);
    assert_true(r.key_preregistered);
    serve_keys_destroy(k);
}

/* The published vectors: activation-hj1239-02 verifies with the key it
 * carries; realtime-hj1239-01 with that key once registered; a flipped
 * body byte fails. */
static void test_vectors_verify(void **state)
{
    (void)state;
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    uint8_t act[512], rt[1024];
    REQUIRE_VECTOR(na, "activation-hj1239-02.hex", act);
    REQUIRE_VECTOR(nr, "realtime-hj1239-01.hex", rt);
    serve_keys *k;
    rs_err err;
    assert_int_equal(serve_keys_create(4, &k, &err), RS_OK);
    rs_activation_ans ans;
    serve_sig_result sig;
    bool taken;
    assert_int_equal(act_of(k, &p, act, na, &ans, &taken, &sig), RS_SERVE_ACT_OK);
    assert_int_equal(sig.verdict, SERVE_SIG_VERIFIED);
    decode(&p, rt, nr);
    serve_sig_check(g_sm2, k, &p, &dec, &sig);
    assert_int_equal(sig.verdict, SERVE_SIG_VERIFIED);
    flip(rt, nr, 40);
    decode(&p, rt, nr);
    serve_sig_check(g_sm2, k, &p, &dec, &sig);
    assert_int_equal(sig.verdict, SERVE_SIG_FAILED);
    serve_keys_destroy(k);
}

/* --- through the endpoint --- */

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        assert_true(k > 0);
        b += k;
        n -= (size_t)k;
    }
}

/* One answer frame within 5 s, or 0 bytes. */
static size_t one_answer(int fd, const rs_profile *p, uint8_t *out, size_t cap)
{
    static uint8_t rb[1024];
    rs_reasm r;
    rs_reasm_init(&r, p, rb, sizeof rb);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 5000) <= 0)
            return 0;
        uint8_t buf[512];
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0)
            return 0;
        rs_reasm_feed(&r, buf, (size_t)k);
        const uint8_t *f;
        size_t len;
        rs_err err;
        if (rs_reasm_next(&r, &f, &len, &err) == RS_REASM_FRAME) {
            assert_true(len <= cap);
            memcpy(out, f, len);
            return len;
        }
    }
}

/* Sends frames on a connection, then a time request; waits for the time
 * answer (so everything before it was handled). */
static void send_and_sync(int fd, const rs_profile *p, const uint8_t *b, size_t n, const uint8_t *vin)
{
    uint8_t buf[4096], ans[64];
    memcpy(buf, b, n);
    rs_msg_init(&scratch, p, RS_MSG_TIMECAL_REQ, vin);
    size_t len;
    assert_int_equal(rs_msg_encode(p, &scratch, buf + n, sizeof buf - n, &len, NULL), RS_OK);
    send_all(fd, buf, n + len);
    assert_int_equal(one_answer(fd, p, ans, sizeof ans), 31);
}

static void test_endpoint_national(void **state)
{
    (void)state;
    rs_serve_opts o;
    rs_serve_opts_init(&o);
    rs_profile_init(&o.profile, RS_PROTO_HJ1239);
    o.host = "127.0.0.1";
    o.workers = 2;
    o.answer.role = RS_ROLE_NATIONAL;
    o.registry_size = 16;
    char log[] = "/tmp/remsim-test-keys-log-XXXXXX";
    int lfd = mkstemp(log);
    assert_true(lfd >= 0);
    close(lfd);
    o.log_path = log;
    rs_serve h;
    rs_err err;
    assert_int_equal(rs_serve_start(&o, &h, &err), RS_OK);
    const rs_profile *p = &o.profile;
    rs_sm2_key key;
    key_for(&key, test_d, chip1);
    const uint8_t *vin = (const uint8_t *)vin_hj;
    uint8_t f[4096], ans[64];

    /* activation, then again */
    size_t n = f_activation(p, &key, chip1, key.pub, vin, vin, f, sizeof f);
    int fd = dial(h.port);
    for (int i = 0; i < 2; i++) {
        send_all(fd, f, n);
        assert_int_equal(one_answer(fd, p, ans, sizeof ans), 27);
        decode(p, ans, 27);
        assert_int_equal(dec.kind, RS_MSG_ACTIVATION_ANS);
        assert_int_equal(dec.u.act_ans.status, i == 0 ? RS_ACT_OK : RS_ACT_FAILED);
        assert_int_equal(dec.u.act_ans.info, i == 0 ? RS_ACT_INFO_NONE : RS_ACT_INFO_ALREADY);
    }
    close(fd);
    /* reports on other connections, 6 good and 1 tampered: the kernel
     * spreads them over both workers (all on the activation's worker: 1 in
     * 128), and each must find the key the activation registered */
    for (int c = 0; c < 7; c++) {
        n = f_report(p, &key, vin, c * 10, 10, (uint16_t)(c + 1), f, sizeof f);
        if (c == 6)
            flip(f, n, 30);
        fd = dial(h.port);
        send_and_sync(fd, p, f, n, vin);
        close(fd);
    }
    /* a VIN nobody activated */
    uint8_t other[17];
    vin_n(5, other);
    n = f_report(p, &key, other, 0, 4, 1, f, sizeof f);
    fd = dial(h.port);
    send_and_sync(fd, p, f, n, other);
    close(fd);

    assert_int_equal(rs_serve_stop(&h, &err), RS_OK);
    const rs_serve_totals *t = rs_serve_result(&h);
    assert_int_equal(t->activations[RS_SERVE_ACT_OK], 1);
    assert_int_equal(t->activations[RS_SERVE_ACT_ALREADY], 1);
    assert_int_equal(t->sig_verified, 6 + 2); /* six reports, two activations */
    assert_int_equal(t->sig_failed, 1);
    assert_int_equal(t->sig_unknown_key, 1);
    assert_int_equal(t->samples_untrusted, 10);
    assert_int_equal(t->samples_live, 60 + 4);
    assert_int_equal(t->samples_distinct, 64);
    assert_int_equal(t->rejected, 0);
    const rs_serve_vin *v = rs_serve_vin_find(&h, vin);
    assert_non_null(v);
    assert_int_equal(v->sig_verified, 8);
    assert_int_equal(v->sig_failed, 1);
    assert_int_equal(v->sig_fail_reason, RS_SERVE_SIGFAIL_NO_MATCH);
    assert_int_equal(v->samples_distinct, 60);
    assert_int_equal(v->samples_untrusted, 10);
    assert_int_equal(v->activations[RS_SERVE_ACT_OK], 1);
    assert_int_equal(v->activations[RS_SERVE_ACT_ALREADY], 1);
    assert_int_equal(rs_serve_vin_find(&h, other)->sig_unknown_key, 1);
    rs_serve_free(&h);

    /* the log: every frame, and one "untrusted signature" line for the VIN */
    size_t len;
    char *text = (char *)rs_test_read_file(log, &len);
    assert_non_null(text);
    char *line = strstr(text, " untrusted signature frame ");
    assert_non_null(line);
    assert_non_null(strstr(text, "LTESTHJ16N0000002 untrusted signature frame"));
    assert_null(strstr(line + 1, " untrusted signature frame "));
    assert_non_null(strstr(line, "(no_match)"));
    free(text);
    unlink(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_claim_find_full),
        cmocka_unit_test(test_registry_concurrent_claims),
        cmocka_unit_test(test_activation_decisions),
        cmocka_unit_test(test_activation_of_preregistered),
        cmocka_unit_test(test_report_signatures),
        cmocka_unit_test(test_vectors_verify),
        cmocka_unit_test(test_endpoint_national),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
