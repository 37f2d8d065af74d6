/* The key store (keystore.h): files of one VIN saved and loaded, obtain
 * loads before it makes, the stored chip ID wins, scan registers every
 * public key and names the file that is wrong. */
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"

#include "remsim/keystore.h"

static const uint8_t CHIP[16] = "TESTCHIP00000001";
static const uint8_t VIN1[17] = "LRSAAAAA1RS000001";
static const uint8_t VIN2[17] = "LRSAAAAA3RS000002";
static const uint8_t VIN3[17] = "LRSAAAAA5RS000003";

static rs_sm2 *c;
static char root[] = "/tmp/rs-keystore-XXXXXX";
static char dir[300];
static int case_no;

static int setup(void **state)
{
    (void)state;
    c = rs_sm2_new(NULL);
    return c && mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rs_sm2_free(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh directory per test; it does not exist yet (save creates it). */
static int fresh_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/keys%d", root, ++case_no);
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

static const char *file_of(const uint8_t vin[17], const char *suffix)
{
    static char path[512];
    assert_true(rs_keystore_path(path, sizeof path, dir, vin, suffix));
    return path;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_save_then_load(void **state)
{
    (void)state;
    rs_sm2_key k, back;
    uint8_t chip[16];
    rs_err err;
    ok(rs_sm2_key_generate(c, &k, CHIP, 16, &err), &err);
    ok(rs_keystore_save(dir, VIN1, &k, CHIP, &err), &err);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(file_of(VIN1, ".key.pem"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t len = 0;
    uint8_t *text = rs_test_read_file(file_of(VIN1, ".chip"), &len);
    assert_non_null(text);
    assert_int_equal(len, 17);
    assert_memory_equal(text, "TESTCHIP00000001\n", 17);
    free(text);
    ok(rs_keystore_load(c, dir, VIN1, true, &back, chip, &err), &err);
    assert_memory_equal(&back, &k, sizeof k);
    assert_memory_equal(chip, CHIP, 16);
    ok(rs_keystore_load(c, dir, VIN1, false, &back, chip, &err), &err);
    assert_false(back.has_priv);
    assert_memory_equal(back.pub, k.pub, 64);
    assert_memory_equal(back.za, k.za, 32);
    /* No temporary file is left behind. */
    int n = 0;
    struct dirent **names;
    int m = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < m; i++) {
        n += names[i]->d_name[0] != '.';
        assert_null(strstr(names[i]->d_name, ".tmp."));
        free(names[i]);
    }
    free(names);
    assert_int_equal(n, 3);
}

static void test_missing_vin_is_enoent(void **state)
{
    (void)state;
    rs_sm2_key k;
    uint8_t chip[16];
    rs_err err;
    assert_int_equal(rs_keystore_load(c, dir, VIN1, true, &k, chip, &err), RS_E_IO);
    assert_int_equal(err.got, ENOENT);
    assert_string_equal(err.field, file_of(VIN1, ".key.pem"));
    assert_int_equal(rs_keystore_load(c, dir, VIN1, false, &k, chip, &err), RS_E_IO);
    assert_int_equal(err.got, ENOENT);
    /* A VIN that could not name a file. */
    static const uint8_t bad_vin[17] = "../../../etc/pass";
    assert_int_equal(rs_keystore_load(c, dir, bad_vin, true, &k, chip, &err), RS_E_VIN);
    assert_int_equal(err.offset, 0);
}

static void test_obtain_derives_then_loads(void **state)
{
    (void)state;
    uint8_t chip[16];
    memcpy(chip, CHIP, 16);
    rs_sm2_key k, again, expect;
    bool created = false;
    rs_err err;
    ok(rs_keystore_obtain(c, dir, RS_KEYSTORE_DERIVE, 7, VIN1, chip, &k, &created, &err), &err);
    assert_true(created);
    ok(rs_sm2_key_derive(c, &expect, 7, VIN1, 17, CHIP, 16, &err), &err);
    assert_memory_equal(&k, &expect, sizeof k);
    assert_int_equal(access(file_of(VIN1, ".key.pem"), R_OK), 0);
    /* Again, offering another chip ID: the stored one wins. */
    uint8_t other[16];
    memcpy(other, "RSIMxyz000000042", 16);
    ok(rs_keystore_obtain(c, dir, RS_KEYSTORE_DERIVE, 999, VIN1, other, &again, &created, &err), &err);
    assert_false(created);
    assert_memory_equal(other, CHIP, 16);
    assert_memory_equal(&again, &k, sizeof k);
    /* Without a directory nothing is written, the key is the derived one. */
    memcpy(chip, CHIP, 16);
    ok(rs_keystore_obtain(c, NULL, RS_KEYSTORE_DERIVE, 7, VIN2, chip, &again, &created, &err), &err);
    assert_true(created);
    ok(rs_sm2_key_derive(c, &expect, 7, VIN2, 17, CHIP, 16, &err), &err);
    assert_memory_equal(&again, &expect, sizeof k);
    assert_int_equal(access(file_of(VIN2, ".key.pem"), F_OK), -1);
}

static void test_obtain_generates_and_keeps(void **state)
{
    (void)state;
    uint8_t chip[16];
    memcpy(chip, CHIP, 16);
    rs_sm2_key k, again, derived;
    bool created = false;
    rs_err err;
    ok(rs_keystore_obtain(c, dir, RS_KEYSTORE_GENERATE, 7, VIN1, chip, &k, &created, &err), &err);
    assert_true(created);
    ok(rs_sm2_key_derive(c, &derived, 7, VIN1, 17, CHIP, 16, &err), &err);
    assert_memory_not_equal(k.priv, derived.priv, 32);
    ok(rs_keystore_obtain(c, dir, RS_KEYSTORE_GENERATE, 7, VIN1, chip, &again, &created, &err), &err);
    assert_false(created);
    assert_memory_equal(&again, &k, sizeof k);
    /* The signing key and the registered public key agree. */
    static const uint8_t m[] = "0x02 data unit";
    rs_sig sig;
    rs_sm2_key pub;
    rs_sm2_idmatch which;
    ok(rs_sm2_sign(c, &k, m, sizeof m, &sig, &err), &err);
    ok(rs_keystore_load(c, dir, VIN1, false, &pub, chip, &err), &err);
    ok(rs_sm2_verify(c, &pub, m, sizeof m, &sig, &which, &err), &err);
    assert_int_equal(which, RS_SM2_ID_CHIP);
}

static void test_obtain_does_not_replace_a_public_only_terminal(void **state)
{
    (void)state;
    rs_sm2_key real, k;
    rs_err err;
    ok(rs_sm2_key_generate(c, &real, CHIP, 16, &err), &err);
    real.has_priv = false; /* a real chip: the public key only */
    memset(real.priv, 0, 32);
    ok(rs_keystore_save(dir, VIN1, &real, CHIP, &err), &err);
    assert_int_equal(access(file_of(VIN1, ".key.pem"), F_OK), -1);
    uint8_t chip[16];
    memcpy(chip, CHIP, 16);
    bool created = true;
    assert_int_equal(rs_keystore_obtain(c, dir, RS_KEYSTORE_DERIVE, 1, VIN1, chip, &k, &created, &err), RS_E_IO);
    assert_int_equal(err.got, ENOENT);
    assert_false(created);
    assert_string_equal(err.field, file_of(VIN1, ".key.pem"));
    /* Its public key is still the real one. */
    ok(rs_keystore_load(c, dir, VIN1, false, &k, chip, &err), &err);
    assert_memory_equal(k.pub, real.pub, 64);
    /* A bad chip ID for a new key is refused before anything is written. */
    uint8_t bad_chip[16];
    memcpy(bad_chip, "TESTCHIP0000000\x01", 16);
    assert_int_equal(rs_keystore_obtain(c, dir, RS_KEYSTORE_DERIVE, 1, VIN2, bad_chip, &k, NULL, &err), RS_E_STRING);
    assert_int_equal(err.offset, 15);
    assert_int_equal(access(file_of(VIN2, ".pub.pem"), F_OK), -1);
}

typedef struct seen {
    int n;
    uint8_t vin[4][17];
    uint8_t chip[4][16];
    rs_sm2_key key[4];
} seen;

static rs_code collect(void *ctx, const uint8_t vin[17], const uint8_t chip[16], const rs_sm2_key *key, rs_err *err)
{
    (void)err;
    seen *s = ctx;
    assert_true(s->n < 4);
    memcpy(s->vin[s->n], vin, 17);
    memcpy(s->chip[s->n], chip, 16);
    s->key[s->n] = *key;
    s->n++;
    return RS_OK;
}

static void save_derived(const uint8_t vin[17], const char *chip, rs_sm2_key *k)
{
    rs_err err;
    ok(rs_sm2_key_derive(c, k, 3, vin, 17, (const uint8_t *)chip, 16, &err), &err);
    ok(rs_keystore_save(dir, vin, k, (const uint8_t *)chip, &err), &err);
}

static void test_scan_visits_every_public_key(void **state)
{
    (void)state;
    rs_sm2_key k1, k2, k3;
    save_derived(VIN3, "CHIPTHREE0000003", &k3);
    save_derived(VIN1, "CHIPONE000000001", &k1);
    save_derived(VIN2, "CHIPTWO000000002", &k2);
    /* Unrelated files are ignored. */
    char path[512];
    snprintf(path, sizeof path, "%s/README.txt", dir);
    write_text(path, "registered terminals\n");
    snprintf(path, sizeof path, "%s/platform.pub.pem", dir);
    write_text(path, "not ours\n");
    seen s = { 0 };
    size_t count = 0;
    rs_err err;
    ok(rs_keystore_scan(c, dir, collect, &s, &count, &err), &err);
    assert_int_equal(count, 3);
    assert_int_equal(s.n, 3);
    /* In file name order, public only, ID = chip ID. */
    assert_memory_equal(s.vin[0], VIN1, 17);
    assert_memory_equal(s.vin[1], VIN2, 17);
    assert_memory_equal(s.vin[2], VIN3, 17);
    assert_memory_equal(s.chip[1], "CHIPTWO000000002", 16);
    assert_false(s.key[0].has_priv);
    assert_memory_equal(s.key[0].pub, k1.pub, 64);
    assert_memory_equal(s.key[2].pub, k3.pub, 64);
    assert_memory_equal(s.key[1].za, k2.za, 32);
}

static rs_code stop_at_second(void *ctx, const uint8_t vin[17], const uint8_t chip[16], const rs_sm2_key *key,
                              rs_err *err)
{
    (void)vin, (void)chip, (void)key;
    int *n = ctx;
    if (++*n == 2)
        return rs_fail(err, RS_E_LIMIT, 0, "registry", "the registry holds one terminal", 2, 1, RS_NUM_DEC);
    return RS_OK;
}

static void test_scan_errors_name_the_file(void **state)
{
    (void)state;
    rs_sm2_key k;
    save_derived(VIN1, "CHIPONE000000001", &k);
    save_derived(VIN2, "CHIPTWO000000002", &k);
    rs_err err;
    seen s = { 0 };
    /* The visitor can stop the scan. */
    int n = 0;
    assert_int_equal(rs_keystore_scan(c, dir, stop_at_second, &n, NULL, &err), RS_E_LIMIT);
    assert_int_equal(n, 2);
    /* A public key file that does not parse. */
    write_text(file_of(VIN2, ".pub.pem"), "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n");
    assert_int_equal(rs_keystore_scan(c, dir, collect, &s, NULL, &err), RS_E_SYNTAX);
    assert_string_equal(err.field, file_of(VIN2, ".pub.pem"));
    /* Not an SM2 key: a P-256 public key. */
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    assert_true(pk && bio && PEM_write_bio_PUBKEY(bio, pk) == 1 && BIO_write(bio, "", 1) == 1);
    char *p256 = NULL;
    assert_true(BIO_get_mem_data(bio, &p256) > 0);
    write_text(file_of(VIN2, ".pub.pem"), p256);
    BIO_free(bio);
    EVP_PKEY_free(pk);
    assert_int_equal(rs_keystore_scan(c, dir, collect, &s, NULL, &err), RS_E_VALUE);
    assert_string_equal(err.field, file_of(VIN2, ".pub.pem"));
    /* A 17-character name that is not a VIN. */
    unlink(file_of(VIN2, ".pub.pem"));
    char path[512];
    snprintf(path, sizeof path, "%s/lrsaaaaa1rs000009.pub.pem", dir);
    write_text(path, "x");
    assert_int_equal(rs_keystore_scan(c, dir, collect, &s, NULL, &err), RS_E_VIN);
    assert_string_equal(err.field, path);
    unlink(path);
    /* A missing chip file. */
    save_derived(VIN2, "CHIPTWO000000002", &k);
    unlink(file_of(VIN2, ".chip"));
    assert_int_equal(rs_keystore_scan(c, dir, collect, &s, NULL, &err), RS_E_IO);
    assert_int_equal(err.got, ENOENT);
    assert_string_equal(err.field, file_of(VIN2, ".chip"));
    /* The directory itself missing. */
    assert_int_equal(rs_keystore_scan(c, "/nonexistent/keys", collect, &s, NULL, &err), RS_E_IO);
    assert_int_equal(err.got, ENOENT);
}

static void test_bad_chip_files(void **state)
{
    (void)state;
    rs_sm2_key k, back;
    uint8_t chip[16];
    rs_err err;
    save_derived(VIN1, "CHIPONE000000001", &k);
    static const struct {
        const char *text;
        size_t offset;
    } bad[] = {
        { "CHIPONE00000001\n", 15 },    /* 15 characters */
        { "CHIPONE0000000012\n", 17 },  /* 17 */
        { "CHIPONE00000000\x7f\n", 15 }, /* not printable */
        { "CHIPONE000000001\nmore\n", 16 },
        { "", 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(file_of(VIN1, ".chip"), bad[i].text);
        assert_int_equal(rs_keystore_load(c, dir, VIN1, true, &back, chip, &err), RS_E_STRING);
        assert_string_equal(err.field, file_of(VIN1, ".chip"));
        assert_int_equal(err.offset, bad[i].offset);
    }
    /* Accepted: CRLF, or no newline at all. */
    write_text(file_of(VIN1, ".chip"), "CHIPONE000000001\r\n");
    ok(rs_keystore_load(c, dir, VIN1, true, &back, chip, &err), &err);
    write_text(file_of(VIN1, ".chip"), "CHIPONE000000001");
    ok(rs_keystore_load(c, dir, VIN1, true, &back, chip, &err), &err);
    assert_memory_equal(chip, "CHIPONE000000001", 16);
    /* A huge chip file. */
    char big[200];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = 0;
    write_text(file_of(VIN1, ".chip"), big);
    assert_int_equal(rs_keystore_load(c, dir, VIN1, true, &back, chip, &err), RS_E_STRING);
    assert_true(rs_keystore_chip_id_ok(CHIP));
    assert_false(rs_keystore_chip_id_ok((const uint8_t *)"TESTCHIP0000000\n"));
}

static void test_key_and_public_file_must_agree(void **state)
{
    (void)state;
    rs_sm2_key a, b, back;
    uint8_t chip[16];
    rs_err err;
    save_derived(VIN1, "CHIPONE000000001", &a);
    save_derived(VIN2, "CHIPTWO000000002", &b);
    /* VIN2's public key under VIN1's name. */
    size_t len = 0;
    uint8_t *text = rs_test_read_file(file_of(VIN2, ".pub.pem"), &len);
    assert_non_null(text);
    write_text(file_of(VIN1, ".pub.pem"), (const char *)text);
    free(text);
    assert_int_equal(rs_keystore_load(c, dir, VIN1, true, &back, chip, &err), RS_E_VALUE);
    assert_string_equal(err.field, file_of(VIN1, ".pub.pem"));
    /* A public key where the private one should be. */
    text = rs_test_read_file(file_of(VIN2, ".pub.pem"), &len);
    write_text(file_of(VIN2, ".key.pem"), (const char *)text);
    free(text);
    assert_int_equal(rs_keystore_load(c, dir, VIN2, true, &back, chip, &err), RS_E_VALUE);
    assert_string_equal(err.field, file_of(VIN2, ".key.pem"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_save_then_load, fresh_dir),
        cmocka_unit_test_setup(test_missing_vin_is_enoent, fresh_dir),
        cmocka_unit_test_setup(test_obtain_derives_then_loads, fresh_dir),
        cmocka_unit_test_setup(test_obtain_generates_and_keeps, fresh_dir),
        cmocka_unit_test_setup(test_obtain_does_not_replace_a_public_only_terminal, fresh_dir),
        cmocka_unit_test_setup(test_scan_visits_every_public_key, fresh_dir),
        cmocka_unit_test_setup(test_scan_errors_name_the_file, fresh_dir),
        cmocka_unit_test_setup(test_bad_chip_files, fresh_dir),
        cmocka_unit_test_setup(test_key_and_public_file_must_agree, fresh_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
