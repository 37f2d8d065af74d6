/* SM2 keys as PEM (sm2.h): our files round-trip, the openssl command reads
 * what we write and we read what it writes, and keys that are not SM2 or
 * not PEM are refused with the right code. */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"

#include "remsim/sm2.h"

static const uint8_t CHIP[16] = "TESTCHIP00000001";
static rs_sm2 *c;
static char dir[] = "/tmp/rs-sm2pem-XXXXXX";

static int setup(void **state)
{
    (void)state;
    c = rs_sm2_new(NULL);
    return c && mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rs_sm2_free(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void ok(rs_code rc, const rs_err *err)
{
    if (rc != RS_OK) {
        char text[512];
        rs_err_format(err, text, sizeof text);
        fail_msg("%s", text);
    }
}

static const char *in_dir(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

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

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_memory_round_trip(void **state)
{
    (void)state;
    rs_sm2_key k, back;
    rs_err err;
    ok(rs_sm2_key_generate(c, &k, CHIP, 16, &err), &err);
    char pem[2048];
    size_t n = 0;
    ok(rs_sm2_key_to_pem(&k, true, pem, sizeof pem, &n, &err), &err);
    assert_int_equal(strlen(pem), n);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
    ok(rs_sm2_key_from_pem(c, &back, pem, n, CHIP, 16, &err), &err);
    assert_true(back.has_priv);
    assert_memory_equal(&back, &k, sizeof k);
    ok(rs_sm2_key_to_pem(&k, false, pem, sizeof pem, &n, &err), &err);
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    assert_null(strstr(pem, "PRIVATE"));
    ok(rs_sm2_key_from_pem(c, &back, pem, n, (const uint8_t *)"OTHERID", 7, &err), &err);
    assert_false(back.has_priv);
    assert_memory_equal(back.pub, k.pub, 64);
    assert_int_equal(back.id_len, 7); /* the ID is the caller's, not the file's */
    /* Too small a buffer, and a public key asked for its private part. */
    assert_int_equal(rs_sm2_key_to_pem(&k, true, pem, 100, &n, &err), RS_E_SPACE);
    assert_int_equal(rs_sm2_key_to_pem(&back, true, pem, sizeof pem, &n, &err), RS_E_OPTION);
}

static void test_file_round_trip_and_modes(void **state)
{
    (void)state;
    rs_sm2_key k, back;
    rs_err err;
    ok(rs_sm2_key_generate(c, &k, CHIP, 16, &err), &err);
    char kp[256], pp[256];
    in_dir("rt.key.pem", kp, sizeof kp);
    in_dir("rt.pub.pem", pp, sizeof pp);
    /* An existing world-readable file is narrowed to 0600. */
    FILE *f = fopen(kp, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(kp, 0644), 0);
    ok(rs_sm2_key_write_pem(&k, kp, true, &err), &err);
    ok(rs_sm2_key_write_pem(&k, pp, false, &err), &err);
    struct stat st;
    assert_int_equal(stat(kp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    ok(rs_sm2_key_read_pem(c, &back, kp, CHIP, 16, &err), &err);
    assert_memory_equal(&back, &k, sizeof k);
    ok(rs_sm2_key_read_pem(c, &back, pp, CHIP, 16, &err), &err);
    assert_false(back.has_priv);
    assert_memory_equal(back.pub, k.pub, 64);
    assert_memory_equal(back.za, k.za, 32);
    char missing[256];
    assert_int_equal(rs_sm2_key_read_pem(c, &back, in_dir("nope.pem", missing, sizeof missing), CHIP, 16, &err),
                     RS_E_IO);
    assert_int_equal(err.got, ENOENT);
    assert_string_equal(err.field, missing);
}

static void test_openssl_reads_ours(void **state)
{
    (void)state;
    REQUIRE_OPENSSL_CLI();
    rs_sm2_key k, theirs;
    rs_err err;
    ok(rs_sm2_key_generate(c, &k, CHIP, 16, &err), &err);
    char kp[256], pp[256], cmd[1024];
    in_dir("ours.key.pem", kp, sizeof kp);
    in_dir("ours-by-openssl.pub.pem", pp, sizeof pp);
    ok(rs_sm2_key_write_pem(&k, kp, true, &err), &err);
    snprintf(cmd, sizeof cmd, "openssl pkey -in %s -text -noout 2>/dev/null | grep -q 'ASN1 OID: SM2'", kp);
    assert_int_equal(run(cmd), 0);
    /* openssl derives the public key from our private one: the same point. */
    snprintf(cmd, sizeof cmd, "openssl pkey -in %s -pubout -out %s 2>/dev/null", kp, pp);
    assert_int_equal(run(cmd), 0);
    ok(rs_sm2_key_read_pem(c, &theirs, pp, CHIP, 16, &err), &err);
    assert_memory_equal(theirs.pub, k.pub, 64);
    /* and reads our public file. */
    ok(rs_sm2_key_write_pem(&k, pp, false, &err), &err);
    snprintf(cmd, sizeof cmd, "openssl pkey -pubin -in %s -text -noout 2>/dev/null | grep -q 'ASN1 OID: SM2'", pp);
    assert_int_equal(run(cmd), 0);
}

static void read_genpkey(const char *args, const char *name)
{
    char kp[256], pp[256], pub_name[64], cmd[1024];
    in_dir(name, kp, sizeof kp);
    snprintf(pub_name, sizeof pub_name, "%.50s.pub", name);
    in_dir(pub_name, pp, sizeof pp);
    snprintf(cmd, sizeof cmd, "openssl genpkey %s -out %s 2>/dev/null && openssl pkey -in %s -pubout -out %s 2>/dev/null",
             args, kp, kp, pp);
    assert_int_equal(run(cmd), 0);
    rs_sm2_key k, pub;
    rs_err err;
    ok(rs_sm2_key_read_pem(c, &k, kp, CHIP, 16, &err), &err);
    assert_true(k.has_priv);
    ok(rs_sm2_key_read_pem(c, &pub, pp, CHIP, 16, &err), &err);
    assert_false(pub.has_priv);
    assert_memory_equal(pub.pub, k.pub, 64);
    /* The key signs, and the public half openssl wrote verifies it. */
    static const uint8_t m[] = "openssl key";
    rs_sig sig;
    rs_sm2_idmatch which;
    ok(rs_sm2_sign(c, &k, m, sizeof m, &sig, &err), &err);
    ok(rs_sm2_verify(c, &pub, m, sizeof m, &sig, &which, &err), &err);
    assert_int_equal(which, RS_SM2_ID_CHIP);
}

static void test_we_read_openssl_genpkey(void **state)
{
    (void)state;
    REQUIRE_OPENSSL_CLI();
    read_genpkey("-algorithm SM2", "gen-sm2.pem");
    read_genpkey("-algorithm EC -pkeyopt ec_paramgen_curve:SM2", "gen-ec-sm2.pem");
}

static void write_evp(EVP_PKEY *pk, bool private_part, char *pem, size_t cap, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(private_part ? PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
                                  : PEM_write_bio_PUBKEY(bio, pk),
                     1);
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    assert_true(n > 0 && (size_t)n < cap);
    memcpy(pem, p, (size_t)n);
    pem[n] = 0;
    *len = (size_t)n;
    BIO_free(bio);
}

static void test_not_sm2_keys_are_refused(void **state)
{
    (void)state;
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_true(ed && p256);
    EVP_PKEY *keys[] = { ed, p256 };
    for (int i = 0; i < 2; i++)
        for (int priv = 0; priv < 2; priv++) {
            char pem[2048];
            size_t n;
            write_evp(keys[i], priv, pem, sizeof pem, &n);
            rs_sm2_key k;
            rs_err err = { 0 };
            assert_int_equal(rs_sm2_key_from_pem(c, &k, pem, n, CHIP, 16, &err), RS_E_VALUE);
            assert_non_null(strstr(err.rule, "SM2"));
        }
    EVP_PKEY_free(ed);
    EVP_PKEY_free(p256);
}

static void test_garbage_is_a_syntax_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "hello\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rs_sm2_key k;
        rs_err err = { 0 };
        assert_int_equal(rs_sm2_key_from_pem(c, &k, bad[i], strlen(bad[i]), CHIP, 16, &err), RS_E_SYNTAX);
    }
    /* A truncated copy of a good file. */
    rs_sm2_key k;
    rs_err err;
    ok(rs_sm2_key_generate(c, &k, CHIP, 16, &err), &err);
    char pem[2048];
    size_t n;
    ok(rs_sm2_key_to_pem(&k, true, pem, sizeof pem, &n, &err), &err);
    assert_int_equal(rs_sm2_key_from_pem(c, &k, pem, n / 2, CHIP, 16, &err), RS_E_SYNTAX);
    /* From a file, the error names the file. */
    char path[256];
    in_dir("garbage.pem", path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(rs_sm2_key_read_pem(c, &k, path, CHIP, 16, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, path);
}

static void test_mismatched_public_part_is_refused(void **state)
{
    (void)state;
    /* A PKCS#8 file whose embedded public key is not d·G: built by giving
     * OpenSSL a private key and another key's public point. */
    rs_sm2_key a, b;
    rs_err err;
    ok(rs_sm2_key_generate(c, &a, CHIP, 16, &err), &err);
    ok(rs_sm2_key_generate(c, &b, CHIP, 16, &err), &err);
    rs_sm2_key mixed = a;
    memcpy(mixed.pub, b.pub, 64);
    char pem[2048];
    size_t n;
    if (rs_sm2_key_to_pem(&mixed, true, pem, sizeof pem, &n, &err) != RS_OK) {
        print_message("skipped: this OpenSSL refuses to build a key with a foreign public point\n");
        skip();
    }
    rs_sm2_key k;
    assert_int_equal(rs_sm2_key_from_pem(c, &k, pem, n, CHIP, 16, &err), RS_E_VALUE);
    assert_non_null(strstr(err.rule, "d·G"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_round_trip),
        cmocka_unit_test(test_file_round_trip_and_modes),
        cmocka_unit_test(test_openssl_reads_ours),
        cmocka_unit_test(test_we_read_openssl_genpkey),
        cmocka_unit_test(test_not_sm2_keys_are_refused),
        cmocka_unit_test(test_garbage_is_a_syntax_error),
        cmocka_unit_test(test_mismatched_public_part_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
