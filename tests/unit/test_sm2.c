/* SM2 with SM3 (sm2.h): the constructed signed vectors byte for byte, both
 * directions of interoperability with OpenSSL (the CLI verifies ours, ours
 * verifies OpenSSL's), deterministic nonces checked against an independent
 * RFC 6979 computation, and every way a signature can be wrong. */
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "testutil.h"

#include "remsim/msg.h"
#include "remsim/sm2.h"

/* protocol.md §14 / vectors/README.md: the test key, chip ID and nonce. */
static const char D_HEX[] = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
static const char PUB_HEX[] = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
                              "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
static const char K_HEX[] = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";
static const char N_HEX[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";
static const uint8_t CHIP[16] = "TESTCHIP00000001";

static rs_sm2 *c;

static void unhex(const char *h, uint8_t *out, size_t n)
{
    assert_int_equal(strlen(h), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static int setup(void **state)
{
    (void)state;
    c = rs_sm2_new(NULL);
    return c ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rs_sm2_free(c);
    return 0;
}

static void ok(rs_code rc, const rs_err *err)
{
    if (rc != RS_OK) {
        char text[512];
        rs_err_format(err, text, sizeof text);
        fail_msg("%s", text);
    }
}

static void test_key(rs_sm2_key *k)
{
    uint8_t d[32];
    unhex(D_HEX, d, 32);
    rs_err err;
    ok(rs_sm2_key_from_priv(c, k, d, CHIP, 16, &err), &err);
}

static void random_key(rs_sm2_key *k, const uint8_t *id, size_t id_len)
{
    rs_err err;
    ok(rs_sm2_key_generate(c, k, id, id_len, &err), &err);
}

/* --- the signed vectors --- */

static size_t load_hex(const char *file, uint8_t *out, size_t cap)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "spec/vectors/%s", file);
    assert_non_null(rs_test_shared(rel, path, sizeof path));
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

typedef struct fixed_nonce {
    rs_sm2 *c;
    const rs_sm2_key *key;
    uint8_t k[32];
} fixed_nonce;

static bool sign_with_fixed_nonce(void *ctx, const uint8_t *msg, size_t len, rs_sig *sig)
{
    const fixed_nonce *f = ctx;
    return rs_sm2_sign_k(f->c, f->key, msg, len, f->k, sig, NULL) == RS_OK;
}

static const char *const signed_vectors[] = {
    "activation-hj1239-02.hex", "realtime-hj1239-01.hex", "realtime-hj1239-02.hex", "realtime-hj1239-03.hex",
    "realtime-hj1239-04.hex",   "reissue-hj1239-01.hex",
};

static uint8_t frame[RS_MAX_FRAME_LEN], reencoded[RS_MAX_FRAME_LEN];
static rs_msg msg;

static void test_public_key_of_the_test_key(void **state)
{
    (void)state;
    rs_sm2_key k;
    test_key(&k);
    uint8_t want[64];
    unhex(PUB_HEX, want, 64);
    assert_memory_equal(k.pub, want, 64);
    assert_true(k.has_priv);
    assert_int_equal(k.id_len, 16);
    assert_memory_equal(k.id, CHIP, 16);
}

static void test_vectors_reproduced_byte_for_byte(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(dir, "spec/vectors/README.md");
    rs_sm2_key key;
    test_key(&key);
    fixed_nonce f = { c, &key, { 0 } };
    unhex(K_HEX, f.k, 32);
    rs_profile p;
    rs_profile_init(&p, RS_PROTO_HJ1239);
    for (size_t i = 0; i < sizeof signed_vectors / sizeof signed_vectors[0]; i++) {
        const char *file = signed_vectors[i];
        size_t n = load_hex(file, frame, sizeof frame);
        rs_err err;
        ok(rs_msg_decode(&p, frame, n, &msg, &err), &err);
        const rs_sig *want = msg.kind == RS_MSG_ACTIVATION ? &msg.u.act.sig : &msg.u.report.sig;
        if (msg.kind == RS_MSG_ACTIVATION)
            assert_memory_equal(msg.u.act.pubkey, key.pub, 64); /* 0x07 carries X || Y of d */
        const uint8_t *span;
        size_t span_len;
        assert_true(rs_msg_signed_span(&msg, &span, &span_len));
        rs_sig sig;
        ok(rs_sm2_sign_k(c, &key, span, span_len, f.k, &sig, &err), &err);
        assert_int_equal(sig.r_len, 32);
        assert_int_equal(sig.s_len, 32);
        assert_int_equal(want->r_len, 32);
        if (memcmp(sig.r, want->r, 32) || memcmp(sig.s, want->s, 32))
            fail_msg("%s: r or s differs from the vector", file);
        rs_sm2_idmatch which;
        ok(rs_sm2_verify(c, &key, span, span_len, want, &which, &err), &err);
        assert_int_equal(which, RS_SM2_ID_CHIP);
        /* The whole frame again, signed by the codec's hook. */
        size_t len = 0;
        ok(rs_msg_encode_signed(&p, &msg, sign_with_fixed_nonce, &f, reencoded, sizeof reencoded, &len, &err), &err);
        assert_int_equal(len, n);
        if (memcmp(reencoded, frame, n))
            fail_msg("%s: re-encoded frame differs", file);
        print_message("%s: r, s and frame reproduced\n", file);
    }
}

/* --- the openssl command verifies ours --- */

static bool have_openssl_cli(void)
{
    return system("openssl version >/dev/null 2>&1") == 0;
}

#define REQUIRE_OPENSSL_CLI()                                                                   \
    do {                                                                                        \
        if (!have_openssl_cli()) {                                                              \
            print_message("skipped: the openssl command is not installed (Debian package "     \
                          "openssl, ci/deps.sh)\n");                                           \
            skip();                                                                             \
        }                                                                                       \
    } while (0)

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* (r, s) as the DER SEQUENCE OpenSSL takes. */
static size_t sig_der(const rs_sig *sig, uint8_t *der, size_t cap)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig->r, sig->r_len, NULL), *s = BN_bin2bn(sig->s, sig->s_len, NULL);
    assert_true(es && r && s && ECDSA_SIG_set0(es, r, s));
    int n = i2d_ECDSA_SIG(es, NULL);
    assert_true(n > 0 && (size_t)n <= cap);
    uint8_t *p = der;
    assert_int_equal(i2d_ECDSA_SIG(es, &p), n);
    ECDSA_SIG_free(es);
    return (size_t)n;
}

/* Exit status of `openssl pkeyutl -verify` (0: verified). */
static int cli_verify(const rs_sm2_key *k, const uint8_t *m, size_t len, const rs_sig *sig, const char *id)
{
    for (const char *p = id; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'));
    char dir[] = "/tmp/rs-sm2-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pub[64], bin[64], der[64], cmd[512];
    snprintf(pub, sizeof pub, "%s/pub.pem", dir);
    snprintf(bin, sizeof bin, "%s/msg.bin", dir);
    snprintf(der, sizeof der, "%s/sig.der", dir);
    rs_err err;
    ok(rs_sm2_key_write_pem(k, pub, false, &err), &err);
    write_bytes(bin, m, len);
    uint8_t d[80];
    write_bytes(der, d, sig_der(sig, d, sizeof d));
    snprintf(cmd, sizeof cmd,
             "openssl pkeyutl -verify -pubin -inkey %s -rawin -digest sm3 -pkeyopt distid:%s -in %s -sigfile %s "
             ">/dev/null 2>&1",
             pub, id, bin, der);
    int rc = system(cmd);
    unlink(pub);
    unlink(bin);
    unlink(der);
    rmdir(dir);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_openssl_cli_verifies_the_vectors_key(void **state)
{
    (void)state;
    REQUIRE_OPENSSL_CLI();
    rs_sm2_key key;
    test_key(&key);
    static const uint8_t m[] = "any bytes at all";
    rs_sig sig;
    uint8_t k[32];
    unhex(K_HEX, k, 32);
    rs_err err;
    ok(rs_sm2_sign_k(c, &key, m, sizeof m - 1, k, &sig, &err), &err);
    assert_int_equal(cli_verify(&key, m, sizeof m - 1, &sig, "TESTCHIP00000001"), 0);
    ok(rs_sm2_sign(c, &key, m, sizeof m - 1, &sig, &err), &err);
    assert_int_equal(cli_verify(&key, m, sizeof m - 1, &sig, "TESTCHIP00000001"), 0);
    /* The check can fail: another ID, or another message. */
    assert_int_not_equal(cli_verify(&key, m, sizeof m - 1, &sig, "TESTCHIP00000002"), 0);
    assert_int_not_equal(cli_verify(&key, m, sizeof m - 2, &sig, "TESTCHIP00000001"), 0);
}

static void test_openssl_cli_verifies_random_keys_and_messages(void **state)
{
    (void)state;
    REQUIRE_OPENSSL_CLI();
    for (int i = 0; i < 6; i++) {
        char id[17];
        snprintf(id, sizeof id, "RSIMCHIP%08d", 1000 + i * 7);
        rs_sm2_key key;
        random_key(&key, (const uint8_t *)id, 16);
        uint8_t m[700];
        size_t len = 1 + (size_t)i * 131 % sizeof m;
        assert_int_equal(RAND_bytes(m, (int)len), 1);
        rs_sig sig;
        rs_err err;
        ok(rs_sm2_sign(c, &key, m, len, &sig, &err), &err);
        if (cli_verify(&key, m, len, &sig, id))
            fail_msg("key %d, %zu bytes: deterministic signature rejected by openssl", i, len);
        uint8_t k[32];
        assert_int_equal(RAND_bytes(k, 32), 1);
        k[0] &= 0x7F; /* below n */
        ok(rs_sm2_sign_k(c, &key, m, len, k, &sig, &err), &err);
        if (cli_verify(&key, m, len, &sig, id))
            fail_msg("key %d, %zu bytes: signature with a given nonce rejected by openssl", i, len);
    }
}

/* --- ours verifies OpenSSL's --- */

static EVP_PKEY *evp_of(const rs_sm2_key *k)
{
    char pem[2048];
    size_t n = 0;
    rs_err err;
    ok(rs_sm2_key_to_pem(k, true, pem, sizeof pem, &n, &err), &err);
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(pk);
    return pk;
}

static void openssl_sign(const rs_sm2_key *k, const char *id, const uint8_t *m, size_t len, rs_sig *sig)
{
    EVP_PKEY *pk = evp_of(k);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(pk, NULL);
    assert_true(mctx && pctx);
    assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, id, strlen(id)), 1);
    EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
    assert_int_equal(EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, pk), 1);
    uint8_t der[80];
    size_t dlen = sizeof der;
    assert_int_equal(EVP_DigestSign(mctx, der, &dlen, m, len), 1);
    const uint8_t *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    assert_non_null(es);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig->r, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig->s, 32), 32);
    sig->r_len = sig->s_len = 32;
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pk);
}

static void test_we_verify_openssl_signatures(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        rs_sm2_key key;
        random_key(&key, CHIP, 16);
        uint8_t m[300];
        size_t len = (size_t)i * 37;
        assert_int_equal(RAND_bytes(m, (int)sizeof m), 1);
        rs_sig sig;
        rs_sm2_idmatch which;
        rs_err err;
        openssl_sign(&key, "TESTCHIP00000001", m, len, &sig);
        ok(rs_sm2_verify(c, &key, m, len, &sig, &which, &err), &err);
        assert_int_equal(which, RS_SM2_ID_CHIP);
        openssl_sign(&key, RS_SM2_DEFAULT_ID, m, len, &sig);
        ok(rs_sm2_verify(c, &key, m, len, &sig, &which, &err), &err);
        assert_int_equal(which, RS_SM2_ID_DEFAULT);
        openssl_sign(&key, "SOMEOTHERCHIPID1", m, len, &sig);
        assert_int_equal(rs_sm2_verify(c, &key, m, len, &sig, &which, &err), RS_E_SIGNATURE);
        assert_int_equal(which, RS_SM2_ID_NONE);
    }
}

/* --- Z_A and the deterministic nonce, computed independently --- */

static void sm3_of(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[32])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned n = 0;
    assert_true(m && EVP_DigestInit_ex(m, EVP_sm3(), NULL) && EVP_DigestUpdate(m, a, alen) &&
                (!b || EVP_DigestUpdate(m, b, blen)) && EVP_DigestFinal_ex(m, out, &n) && n == 32);
    EVP_MD_CTX_free(m);
}

static void test_za_follows_gbt32918(void **state)
{
    (void)state;
    static const char curve[] = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
                                "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
                                "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
                                "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0";
    rs_sm2_key key;
    test_key(&key);
    uint8_t buf[2 + 16 + 128 + 64];
    buf[0] = 0x00;
    buf[1] = 0x80; /* ENTL = 128 bits */
    memcpy(buf + 2, CHIP, 16);
    unhex(curve, buf + 18, 128);
    memcpy(buf + 146, key.pub, 64);
    uint8_t za[32];
    sm3_of(buf, sizeof buf, NULL, 0, za);
    assert_memory_equal(key.za, za, 32);
    /* A new ID changes Z_A; setting the old one back restores it. */
    rs_err err;
    ok(rs_sm2_key_set_id(c, &key, (const uint8_t *)"12345678", 8, &err), &err);
    assert_memory_not_equal(key.za, za, 32);
    ok(rs_sm2_key_set_id(c, &key, CHIP, 16, &err), &err);
    assert_memory_equal(key.za, za, 32);
}

static void hmac(const uint8_t key[32], const uint8_t *m, size_t len, uint8_t out[32])
{
    size_t n = 0;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, key, 32, m, len, out, 32, &n));
    assert_int_equal(n, 32);
}

/* RFC 6979 §3.2 a-h with HMAC-SM3, first candidate (qlen = hlen = 256). */
static void rfc6979_k(const uint8_t x[32], const uint8_t e[32], uint8_t k[32])
{
    uint8_t n[32], h[32], K[32], V[32], buf[32 + 1 + 64];
    unhex(N_HEX, n, 32);
    memcpy(h, e, 32);
    if (memcmp(h, n, 32) >= 0) { /* bits2octets: h mod n, one subtraction suffices */
        int borrow = 0;
        for (int i = 31; i >= 0; i--) {
            int v = h[i] - n[i] - borrow;
            borrow = v < 0;
            h[i] = (uint8_t)v;
        }
    }
    memset(V, 0x01, 32);
    memset(K, 0x00, 32);
    for (uint8_t sep = 0; sep < 2; sep++) {
        memcpy(buf, V, 32);
        buf[32] = sep;
        memcpy(buf + 33, x, 32);
        memcpy(buf + 65, h, 32);
        hmac(K, buf, sizeof buf, K);
        hmac(K, V, 32, V);
    }
    hmac(K, V, 32, V);
    memcpy(k, V, 32);
}

static void test_deterministic_nonce_is_rfc6979_hmac_sm3(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        rs_sm2_key key;
        if (i == 0)
            test_key(&key);
        else
            random_key(&key, CHIP, 16);
        uint8_t m[64];
        memset(m, 'a' + i, sizeof m);
        uint8_t e[32], k[32];
        sm3_of(key.za, 32, m, sizeof m, e);
        rfc6979_k(key.priv, e, k);
        rs_sig a, b;
        rs_err err;
        ok(rs_sm2_sign(c, &key, m, sizeof m, &a, &err), &err);
        ok(rs_sm2_sign_k(c, &key, m, sizeof m, k, &b, &err), &err);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

static void test_signing_is_deterministic(void **state)
{
    (void)state;
    rs_sm2_key key;
    random_key(&key, CHIP, 16);
    static const uint8_t m1[] = "report 1", m2[] = "report 2";
    rs_sig a, b, d;
    rs_err err;
    ok(rs_sm2_sign(c, &key, m1, sizeof m1, &a, &err), &err);
    ok(rs_sm2_sign(c, &key, m1, sizeof m1, &b, &err), &err);
    ok(rs_sm2_sign(c, &key, m2, sizeof m2, &d, &err), &err);
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_not_equal(a.r, d.r, 32);
    /* The codec hook signs the same way. */
    rs_sm2_signer s = { c, &key };
    rs_sig h;
    assert_true(rs_sm2_sign_hook(&s, m1, sizeof m1, &h));
    assert_memory_equal(&a, &h, sizeof a);
    /* Another key, same message: another signature. */
    rs_sm2_key other;
    random_key(&other, CHIP, 16);
    ok(rs_sm2_sign(c, &other, m1, sizeof m1, &d, &err), &err);
    assert_memory_not_equal(a.r, d.r, 32);
}

/* --- what must not verify --- */

static void expect_reject(const rs_sm2_key *k, const uint8_t *m, size_t len, const rs_sig *sig, const char *rule_part)
{
    rs_sm2_idmatch which = RS_SM2_ID_CHIP;
    rs_err err = { 0 };
    assert_int_equal(rs_sm2_verify(c, k, m, len, sig, &which, &err), RS_E_SIGNATURE);
    assert_int_equal(which, RS_SM2_ID_NONE);
    assert_non_null(err.rule);
    if (rule_part && !strstr(err.rule, rule_part))
        fail_msg("rule '%s' does not say '%s'", err.rule, rule_part);
}

static void test_a_flipped_bit_anywhere_fails(void **state)
{
    (void)state;
    rs_sm2_key key;
    test_key(&key);
    uint8_t m[1500];
    for (size_t i = 0; i < sizeof m; i++)
        m[i] = (uint8_t)(i * 7 + 3);
    rs_sig sig;
    rs_err err;
    /* Every bit of a short message. */
    size_t short_len = 40;
    ok(rs_sm2_sign(c, &key, m, short_len, &sig, &err), &err);
    for (size_t bit = 0; bit < short_len * 8; bit++) {
        m[bit / 8] ^= (uint8_t)(1u << bit % 8);
        expect_reject(&key, m, short_len, &sig, NULL);
        m[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
    /* Sampled bits of a long one. */
    ok(rs_sm2_sign(c, &key, m, sizeof m, &sig, &err), &err);
    for (size_t bit = 5; bit < sizeof m * 8; bit += 97) {
        m[bit / 8] ^= (uint8_t)(1u << bit % 8);
        expect_reject(&key, m, sizeof m, &sig, NULL);
        m[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
    /* Every bit of r and of s. */
    for (int part = 0; part < 2; part++)
        for (int bit = 0; bit < 256; bit++) {
            rs_sig bad = sig;
            uint8_t *v = part ? bad.s : bad.r;
            v[bit / 8] ^= (uint8_t)(1u << bit % 8);
            expect_reject(&key, m, sizeof m, &bad, NULL);
        }
    /* A message one byte shorter or longer. */
    expect_reject(&key, m, sizeof m - 1, &sig, NULL);
    rs_sm2_idmatch which;
    ok(rs_sm2_verify(c, &key, m, sizeof m, &sig, &which, &err), &err);
}

static void test_wrong_key_and_wrong_id(void **state)
{
    (void)state;
    rs_sm2_key key, other, same_key_other_id;
    test_key(&key);
    random_key(&other, CHIP, 16);
    same_key_other_id = key;
    rs_err err;
    ok(rs_sm2_key_set_id(c, &same_key_other_id, (const uint8_t *)"TESTCHIP00000002", 16, &err), &err);
    static const uint8_t m[] = "activation";
    rs_sig sig;
    ok(rs_sm2_sign(c, &key, m, sizeof m, &sig, &err), &err);
    expect_reject(&other, m, sizeof m, &sig, "chip ID or the default ID");
    expect_reject(&same_key_other_id, m, sizeof m, &sig, "chip ID or the default ID");
    /* Signed with the default ID: the verifier knows the chip ID, falls
     * back and says so. */
    rs_sm2_key def = key;
    ok(rs_sm2_key_set_id(c, &def, (const uint8_t *)RS_SM2_DEFAULT_ID, 16, &err), &err);
    ok(rs_sm2_sign(c, &def, m, sizeof m, &sig, &err), &err);
    rs_sm2_idmatch which = RS_SM2_ID_NONE;
    ok(rs_sm2_verify(c, &key, m, sizeof m, &sig, &which, &err), &err);
    assert_int_equal(which, RS_SM2_ID_DEFAULT);
    assert_string_equal(rs_sm2_idmatch_name(which), "default");
    ok(rs_sm2_verify(c, &def, m, sizeof m, &sig, &which, &err), &err);
    assert_int_equal(which, RS_SM2_ID_CHIP);
    assert_string_equal(rs_sm2_idmatch_name(RS_SM2_ID_CHIP), "chip");
    assert_string_equal(rs_sm2_idmatch_name(RS_SM2_ID_NONE), "none");
    /* A public-only key verifies and cannot sign. */
    rs_sm2_key pub;
    ok(rs_sm2_key_from_pub(c, &pub, key.pub, CHIP, 16, &err), &err);
    assert_false(pub.has_priv);
    ok(rs_sm2_sign(c, &key, m, sizeof m, &sig, &err), &err);
    ok(rs_sm2_verify(c, &pub, m, sizeof m, &sig, &which, &err), &err);
    assert_int_equal(which, RS_SM2_ID_CHIP);
    assert_int_equal(rs_sm2_sign(c, &pub, m, sizeof m, &sig, &err), RS_E_OPTION);
}

static void test_r_s_range_and_length(void **state)
{
    (void)state;
    rs_sm2_key key;
    test_key(&key);
    static const uint8_t m[] = "range";
    rs_sig sig, bad;
    rs_err err;
    ok(rs_sm2_sign(c, &key, m, sizeof m, &sig, &err), &err);
    bad = sig;
    memset(bad.r, 0, 32);
    expect_reject(&key, m, sizeof m, &bad, "r in [1, n-1] (§9.1)");
    bad = sig;
    unhex(N_HEX, bad.r, 32);
    expect_reject(&key, m, sizeof m, &bad, "r in [1, n-1] (§9.1)");
    bad = sig;
    memset(bad.s, 0xFF, 32);
    expect_reject(&key, m, sizeof m, &bad, "s in [1, n-1] (§9.1)");
    bad = sig;
    bad.r_len = 0;
    expect_reject(&key, m, sizeof m, &bad, "r length 1..32");
    bad = sig;
    bad.r_len = 33;
    expect_reject(&key, m, sizeof m, &bad, "r length 1..32");
    bad = sig;
    bad.s_len = 0;
    expect_reject(&key, m, sizeof m, &bad, "s length 1..32");
    bad = sig;
    bad.s_len = 255;
    expect_reject(&key, m, sizeof m, &bad, "s length 1..32");
    /* r + s = n: t = 0. */
    bad = sig;
    BIGNUM *n = NULL, *r = BN_bin2bn(sig.r, 32, NULL);
    assert_true(BN_hex2bn(&n, N_HEX) && r && BN_sub(n, n, r));
    assert_int_equal(BN_bn2binpad(n, bad.s, 32), 32);
    BN_free(n);
    BN_free(r);
    expect_reject(&key, m, sizeof m, &bad, "t = (r + s) mod n");
}

/* A signature whose r (part 0) or s (part 1) starts with a zero byte,
 * found by trying nonces in order. */
static void find_leading_zero(const rs_sm2_key *key, const uint8_t *m, size_t len, int part, rs_sig *sig)
{
    uint8_t k[32] = { 0x11 };
    for (uint32_t i = 1; i < 20000; i++) {
        k[28] = (uint8_t)(i >> 24), k[29] = (uint8_t)(i >> 16), k[30] = (uint8_t)(i >> 8), k[31] = (uint8_t)i;
        rs_err err;
        ok(rs_sm2_sign_k(c, key, m, len, k, sig, &err), &err);
        if ((part ? sig->s : sig->r)[0] == 0)
            return;
    }
    fail_msg("no signature with a leading zero byte in 20000 nonces");
}

static void test_short_r_and_s_verify(void **state)
{
    (void)state;
    rs_sm2_key key;
    test_key(&key);
    static const uint8_t m[] = "short parts";
    for (int part = 0; part < 2; part++) {
        rs_sig sig;
        find_leading_zero(&key, m, sizeof m, part, &sig);
        rs_sm2_idmatch which;
        rs_err err;
        ok(rs_sm2_verify(c, &key, m, sizeof m, &sig, &which, &err), &err); /* 32 bytes, zero kept */
        /* Strip the leading zero bytes: the §9.1 tolerance. */
        uint8_t *v = part ? sig.s : sig.r;
        uint8_t *vlen = part ? &sig.s_len : &sig.r_len;
        size_t z = 0;
        while (z < 31 && v[z] == 0)
            z++;
        memmove(v, v + z, 32 - z);
        *vlen = (uint8_t)(32 - z);
        assert_true(*vlen < 32);
        ok(rs_sm2_verify(c, &key, m, sizeof m, &sig, &which, &err), &err);
        assert_int_equal(which, RS_SM2_ID_CHIP);
    }
}

/* --- keys --- */

static void test_key_ranges_and_ids(void **state)
{
    (void)state;
    uint8_t d[32] = { 0 };
    rs_sm2_key k;
    rs_err err;
    assert_int_equal(rs_sm2_key_from_priv(c, &k, d, CHIP, 16, &err), RS_E_VALUE); /* d = 0 */
    unhex(N_HEX, d, 32);
    d[31] -= 1; /* n - 1 */
    assert_int_equal(rs_sm2_key_from_priv(c, &k, d, CHIP, 16, &err), RS_E_VALUE);
    assert_non_null(strstr(err.rule, "[1, n-2]"));
    d[31] -= 1; /* n - 2: the largest allowed */
    ok(rs_sm2_key_from_priv(c, &k, d, CHIP, 16, &err), &err);
    memset(d, 0, 32);
    d[31] = 1;
    ok(rs_sm2_key_from_priv(c, &k, d, CHIP, 16, &err), &err);
    assert_int_equal(rs_sm2_key_from_priv(c, &k, d, CHIP, 0, &err), RS_E_OPTION);
    uint8_t long_id[33];
    memset(long_id, 'A', sizeof long_id);
    assert_int_equal(rs_sm2_key_from_priv(c, &k, d, long_id, 33, &err), RS_E_OPTION);
    ok(rs_sm2_key_from_priv(c, &k, d, long_id, 32, &err), &err);
    /* A point off the curve. */
    uint8_t pub[64];
    unhex(PUB_HEX, pub, 64);
    pub[63] ^= 1;
    assert_int_equal(rs_sm2_key_from_pub(c, &k, pub, CHIP, 16, &err), RS_E_VALUE);
    memset(pub, 0xFF, 64); /* coordinates above p */
    assert_int_equal(rs_sm2_key_from_pub(c, &k, pub, CHIP, 16, &err), RS_E_VALUE);
    /* A given nonce outside [1, n-1]. */
    rs_sm2_key key;
    test_key(&key);
    rs_sig sig;
    uint8_t zero[32] = { 0 };
    assert_int_equal(rs_sm2_sign_k(c, &key, d, 32, zero, &sig, &err), RS_E_VALUE);
    assert_string_equal(err.field, "nonce");
}

static void test_derive_is_reproducible(void **state)
{
    (void)state;
    rs_sm2_key a, b, other_seed, other_label;
    static const uint8_t vin1[] = "LRSAAAAA1RS000001", vin2[] = "LRSAAAAA1RS000002";
    rs_err err;
    ok(rs_sm2_key_derive(c, &a, 42, vin1, 17, CHIP, 16, &err), &err);
    ok(rs_sm2_key_derive(c, &b, 42, vin1, 17, CHIP, 16, &err), &err);
    ok(rs_sm2_key_derive(c, &other_seed, 43, vin1, 17, CHIP, 16, &err), &err);
    ok(rs_sm2_key_derive(c, &other_label, 42, vin2, 17, CHIP, 16, &err), &err);
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_not_equal(a.priv, other_seed.priv, 32);
    assert_memory_not_equal(a.priv, other_label.priv, 32);
    /* A derived key is a whole key: it signs, and its public key is d·G. */
    rs_sm2_key again;
    ok(rs_sm2_key_from_priv(c, &again, a.priv, CHIP, 16, &err), &err);
    assert_memory_equal(again.pub, a.pub, 64);
    rs_sig sig;
    rs_sm2_idmatch which;
    ok(rs_sm2_sign(c, &a, vin1, 17, &sig, &err), &err);
    ok(rs_sm2_verify(c, &again, vin1, 17, &sig, &which, &err), &err);
    /* Generated keys differ from each other. */
    rs_sm2_key g1, g2;
    random_key(&g1, CHIP, 16);
    random_key(&g2, CHIP, 16);
    assert_memory_not_equal(g1.priv, g2.priv, 32);
}

static void test_empty_message(void **state)
{
    (void)state;
    rs_sm2_key key;
    test_key(&key);
    rs_sig sig;
    rs_sm2_idmatch which;
    rs_err err;
    ok(rs_sm2_sign(c, &key, NULL, 0, &sig, &err), &err);
    ok(rs_sm2_verify(c, &key, NULL, 0, &sig, &which, &err), &err);
    uint8_t one = 0;
    expect_reject(&key, &one, 1, &sig, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_key_of_the_test_key),
        cmocka_unit_test(test_vectors_reproduced_byte_for_byte),
        cmocka_unit_test(test_openssl_cli_verifies_the_vectors_key),
        cmocka_unit_test(test_openssl_cli_verifies_random_keys_and_messages),
        cmocka_unit_test(test_we_verify_openssl_signatures),
        cmocka_unit_test(test_za_follows_gbt32918),
        cmocka_unit_test(test_deterministic_nonce_is_rfc6979_hmac_sm3),
        cmocka_unit_test(test_signing_is_deterministic),
        cmocka_unit_test(test_a_flipped_bit_anywhere_fails),
        cmocka_unit_test(test_wrong_key_and_wrong_id),
        cmocka_unit_test(test_r_s_range_and_length),
        cmocka_unit_test(test_short_r_and_s_verify),
        cmocka_unit_test(test_key_ranges_and_ids),
        cmocka_unit_test(test_derive_is_reproducible),
        cmocka_unit_test(test_empty_message),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
