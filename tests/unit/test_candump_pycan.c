/* Cross-check: our candump reader against python-can's CanutilsLogReader,
 * frame by frame (timestamp to the microsecond, id, extended flag, dlc,
 * data, channel), on every .candump trace in shared/traces and on a small
 * file of edge cases.  tests/tools/pycan_dump.py prints python-can's view;
 * this suite prints ours in the same format and compares line by line.
 *
 * Skips, saying why, when no python3 with the 'can' module is found
 * (REMSIM_PYTHON, then python3 on PATH, then /usr/bin/python3: a pyenv
 * python3 first on PATH often lacks Debian's python3-can). */
#include "testutil.h"

#include <dirent.h>
#include <unistd.h>

#include "remsim/can.h"
#include "remsim/candump.h"

#define SCRIPT "tests/tools/pycan_dump.py"

static const char *find_python(void)
{
    static const char *const fixed[] = { "python3", "/usr/bin/python3" };
    const char *env = getenv("REMSIM_PYTHON");
    char cmd[512];
    if (env && *env) {
        snprintf(cmd, sizeof cmd, "'%s' -c 'import can' >/dev/null 2>&1", env);
        if (system(cmd) == 0)
            return env;
    }
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s -c 'import can' >/dev/null 2>&1", fixed[i]);
        if (system(cmd) == 0)
            return fixed[i];
    }
    return NULL;
}

/* Our frame in the script's line format. */
static void describe(const rs_can_port *p, const rs_can_frame *f, char *buf, size_t cap)
{
    if (f->flags & RS_CAN_ERR) {
        snprintf(buf, cap, "%llu E", (unsigned long long)f->ts_us);
        return;
    }
    char data[2 * RS_CAN_MAX_DLEN + 1] = "-";
    if (!(f->flags & RS_CAN_RTR) && f->len) {
        for (unsigned i = 0; i < f->len; i++)
            snprintf(data + 2 * i, 3, "%02X", f->data[i]);
    }
    bool ext = f->flags & RS_CAN_EXT;
    snprintf(buf, cap, "%llu %c %0*X %u %s %s %c", (unsigned long long)f->ts_us, ext ? 'X' : 'S',
             ext ? 8 : 3, f->id, f->len, data, rs_can_iface_name(&p->ifaces, f->iface),
             (f->flags & RS_CAN_RTR) ? 'R' : 'D');
}

/* Compares one file; returns the number of frames both agreed on. */
static unsigned long compare_file(const char *python, const char *path)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s '%s'", python, SCRIPT, path);
    FILE *py = popen(cmd, "r");
    assert_non_null(py);
    rs_err err;
    rs_can_port *p = rs_candump_open(path, 0, &err);
    assert_non_null(p);
    char theirs[512], ours[512];
    unsigned long n = 0;
    rs_can_frame f;
    rs_can_status st;
    while (fgets(theirs, sizeof theirs, py)) {
        theirs[strcspn(theirs, "\n")] = '\0';
        st = rs_can_read(p, &f, &err);
        if (st != RS_CAN_OK) {
            char msg[512];
            rs_candump_err_format(p, &err, msg, sizeof msg);
            print_message("%s: python-can has frame %lu '%s', we have %s (%s)\n", path, n + 1, theirs,
                          rs_can_status_name(st), st == RS_CAN_ERROR ? msg : "-");
            fail();
        }
        describe(p, &f, ours, sizeof ours);
        if (strcmp(ours, theirs) != 0) {
            print_message("%s line %llu: python-can '%s', remsim '%s'\n", path,
                          (unsigned long long)rs_candump_line(p), theirs, ours);
            fail();
        }
        n++;
    }
    int rc = pclose(py);
    assert_int_equal(rc, 0);
    st = rs_can_read(p, &f, &err);
    if (st != RS_CAN_END)
        print_message("%s: remsim has more frames than python-can after %lu\n", path, n);
    assert_int_equal(st, RS_CAN_END);
    rs_can_close(p);
    return n;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Every *.candump below dir (one level of subfolders, as traces/ is laid out). */
static unsigned compare_dir(const char *python, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned files = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 2) {
            files += compare_dir(python, path, depth + 1);
        } else if (S_ISREG(st.st_mode) && ends_with(de->d_name, ".candump")) {
            unsigned long n = compare_file(python, path);
            print_message("%s: %lu frames agree with python-can\n", path, n);
            assert_true(n > 0);
            files++;
        }
    }
    closedir(d);
    return files;
}

static const char *need_python(void)
{
    if (access(SCRIPT, R_OK) != 0) {
        print_message("skipped: %s not found (run the suite from the repository root)\n", SCRIPT);
        return NULL;
    }
    const char *py = find_python();
    if (!py)
        print_message("skipped: no python3 with python-can ('import can' fails; install python3-can "
                      "or set REMSIM_PYTHON)\n");
    return py;
}

static void test_traces_agree_with_python_can(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(traces, "traces");
    const char *py = need_python();
    if (!py)
        skip();
    assert_true(compare_dir(py, traces, 0) >= 3);
}

/* Line types python-can 4.x reads as we do: relative stamps, 11-bit ids,
 * remote frames with and without a length, empty data, error frames,
 * trailing direction tokens, two interfaces. */
static void test_edge_cases_agree_with_python_can(void **state)
{
    (void)state;
    const char *py = need_python();
    if (!py)
        skip();
    char path[] = "/tmp/remsim-pycan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "(0.5) vcan0 123#R3\n"
                               "(0.600000) vcan0 123#R\n"
                               "(0.700001) vcan1 7FF#\n"
                               "(0.8) vcan0 00000001#0102\n"
                               "(0.9) vcan0 1FFFFFFF#1122334455667788 R\n"
                               "(1.0) vcan1 456#AA T\n"
                               "(1.1) vcan0 20000080#0000000000000000\n"
                               "(1.000100) vcan0 000#00\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    assert_int_equal(compare_file(py, path), 8);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traces_agree_with_python_can),
        cmocka_unit_test(test_edge_cases_agree_with_python_can),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
