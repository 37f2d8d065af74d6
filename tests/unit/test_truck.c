/* End to end: scenario -> vehicle physics -> J1939 CAN frames -> J1939
 * decoder -> 1 Hz samples -> terminal -> protocol frames -> codec decode.
 * Every field of every report item must equal what the vehicle model set,
 * within the coarser of the field's report and J1939 resolutions; every OBD
 * item must equal the vehicle's OBD snapshot.  Also: offline runs lose no
 * sample across network outages, and are byte-identical run to run. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "remsim/framelog.h"
#include "remsim/ident.h"
#include "remsim/offline.h"
#include "remsim/run_setup.h"
#include "remsim/signals.h"
#include "tests/unit/testutil.h"

#define START_MS 1767225600000LL
#define SECONDS 900

/* A cycle with stops, accelerations and a long cruise, events that change
 * what the CAN bus carries: a MIL fault, a NOx sensor gone, a GNSS loss. */
static const char k_scn_fmt[] =
    "return {\n"
    "  vehicle = '%s',\n"
    "  cycle = function(t) local p = t %% 300\n"
    "    if p < 20 then return 0 elseif p < 60 then return (p - 20) * 1.5\n"
    "    elseif p < 240 then return 60 + 10 * math.sin(p / 15) else return math.max(0, 70 - (p - 240) * 2) end end,\n"
    "  duration = %d,\n"
    "  start = { lat = -33.86, lon = 151.21 },\n"
    "  events = {\n"
    "    { at = 200, dtc = { spn = 3226, fmi = 2 }, mil = true },\n"
    "    { at = 250, dtc = { spn = 102, fmi = 4 } },\n"
    "    { at = 300, sensor = 'nox_down', state = 'na' },\n"
    "    { at = 500, sensor = 'nox_down', state = 'ok' },\n"
    "    { at = 600, sensor = 'lat', state = 'na' },\n"
    "    { at = 640, sensor = 'lat', state = 'ok' },\n"
    "  },\n"
    "}\n";

static char g_dir[64];

static const char *write_scenario(const char *type, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.lua", g_dir, type);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, k_scn_fmt, type, SECONDS);
    fclose(f);
    return path;
}

typedef struct e2e {
    rs_run_setup setup;
    rs_sample truth[SECONDS + 2];
    rs_obd truth_obd[SECONDS + 2];
    uint8_t truth_dtc[SECONDS + 2][4 * RS_VEH_DTC_MAX];
    bool have[SECONDS + 2];
    rs_msg *msg;
    unsigned items_checked, values_checked, obd_checked, frames;
    unsigned reports;
} e2e;

static double tolerance(rs_field_id f, const rs_sig_cfg *sig)
{
    double lo, hi, step;
    if (rs_sig_field_range(f, sig, &lo, &hi, &step))
        return step * 1.0001 + 1e-9;
    return rs_fields[f].scale * 0.5001; /* no J1939 row: report rounding only */
}

static void check_item(e2e *e, const rs_item *it, int64_t collect_s)
{
    int64_t t = collect_s - START_MS / 1000 - 1;
    if (t < 0 || t > SECONDS || !e->have[t])
        fail_msg("item collect time %lld is outside the run", (long long)collect_s);
    const rs_sample *truth = &e->truth[t];
    if (it->type == RS_INFO_OBD) {
        const rs_obd *want = &e->truth_obd[t], *got = &it->u.obd;
        assert_int_equal(got->protocol, want->protocol);
        assert_int_equal(got->mil, want->mil);
        assert_int_equal(got->support, want->support);
        assert_int_equal(got->readiness, want->readiness);
        assert_memory_equal(got->vin, want->vin, RS_VIN_LEN);
        assert_memory_equal(got->calid, want->calid, RS_CALID_LEN);
        assert_memory_equal(got->cvn, want->cvn, RS_CVN_LEN);
        assert_memory_equal(got->iupr, want->iupr, RS_IUPR_LEN);
        assert_int_equal(got->dtc_count, want->dtc_count);
        if (want->dtc_count)
            assert_memory_equal(got->dtc, want->dtc, 4u * want->dtc_count);
        e->obd_checked++;
        return;
    }
    unsigned n;
    const uint8_t *layout = rs_info_layout(it->type, &n);
    if (!layout)
        return;
    e->items_checked++;
    for (unsigned i = 0; i < n; i++) {
        rs_field_id f = (rs_field_id)layout[i];
        rs_val want = truth->v[f], got = it->u.v[f];
        if (f == RS_F_TORQUE_MODE)
            continue; /* the terminal's own constant (can-signals.md §2.1), not a vehicle value */
        if (want.state != got.state)
            fail_msg("t=%lld %s: state %d, the vehicle set %d (value %g)", (long long)t, rs_fields[f].name,
                     got.state, want.state, want.value);
        if (want.state == RS_VALID && fabs(got.value - want.value) > tolerance(f, &e->setup.truck.sampler.sig))
            fail_msg("t=%lld %s: %.7g, the vehicle set %.7g (tolerance %g)", (long long)t, rs_fields[f].name,
                     got.value, want.value, tolerance(f, &e->setup.truck.sampler.sig));
        e->values_checked++;
    }
}

static void check_frames(e2e *e, rs_term_out *out)
{
    for (unsigned i = 0; i < out->n; i++) {
        const rs_term_frame *fr = &out->frame[i];
        e->frames++;
        rs_err err;
        assert_int_equal(rs_msg_decode(&e->setup.profile, out->buf + fr->off, fr->len, e->msg, &err), RS_OK);
        if (e->msg->kind != RS_MSG_REPORT)
            continue;
        e->reports++;
        const rs_report *r = &e->msg->u.report;
        /* Each item's sample time: HJ items carry it; GB packs consecutive
         * seconds under the time of the first (§7.1), extras (hybrid,
         * supplement) follow their stream item.  The OBD item is the
         * terminal's snapshot when it formed the packet: at its last sample. */
        int64_t at[RS_REPORT_MAX_ITEMS], last = 0;
        int64_t base = rs_time_to_unix(&r->time), cur = base - 1;
        for (unsigned k = 0; k < r->n_items; k++) {
            const rs_item *it = &r->item[k];
            bool stream = it->type == RS_INFO_STREAM_DIESEL || it->type == RS_INFO_STREAM_TWC ||
                          it->type == RS_INFO_STREAM_TWC_NOX;
            if (r->layout == RS_LAYOUT_GB) {
                if (stream)
                    cur++;
                at[k] = cur;
            } else {
                at[k] = rs_time_to_unix(&it->collect);
            }
            if (it->type != RS_INFO_OBD && at[k] > last)
                last = at[k];
        }
        for (unsigned k = 0; k < r->n_items; k++)
            check_item(e, &r->item[k], r->item[k].type == RS_INFO_OBD ? last : at[k]);
    }
    rs_term_out_clear(out);
}

static void run_e2e(const char *type, const char *profile)
{
    char path[256], kv[64];
    write_scenario(type, path, sizeof path);
    snprintf(kv, sizeof kv, "profile=%s", profile);
    const char *opts[] = { kv, "obd_poll=1", "obd_period=0" };
    e2e *e = calloc(1, sizeof *e);
    assert_non_null(e);
    rs_scn_opts so;
    rs_scn_opts_init(&so);
    char msg[512];
    if (rs_run_setup_load(&e->setup, path, &so, opts, 3, msg, sizeof msg) != RS_OK)
        fail_msg("%s", msg);
    e->msg = malloc(sizeof *e->msg);
    rs_truck_bus *bus = malloc(sizeof *bus);
    rs_msg *scratch = malloc(sizeof *scratch);
    static uint8_t outbuf[RS_TERM_OUT_BYTES];
    assert_true(e->msg && bus && scratch);
    rs_err err;
    assert_int_equal(rs_truck_bus_init(bus, &e->setup.truck, &err), RS_OK);
    rs_term_out out;
    rs_term_out_init(&out, outbuf, sizeof outbuf, scratch);
    rs_truck *k = calloc(1, sizeof *k);
    size_t store_bytes = rs_terminal_store_bytes(&e->setup.term);
    void *store = calloc(1, store_bytes);
    rs_term_ident id;
    memset(&id, 0, sizeof id);
    rs_ident_vin(7, 0, rs_scenario_type(e->setup.scn), id.vin);
    rs_ident_iccid(7, 0, id.iccid);
    assert_int_equal(rs_truck_init(k, e->setup.scn, 0, &e->setup.profile, &e->setup.term, &id, store,
                                   store_bytes, &err), RS_OK);

    for (int t = 0; t < SECONDS; t++) {
        int64_t now = START_MS + (int64_t)(t + 1) * 1000;
        int64_t d;
        while ((d = rs_terminal_deadline(&k->term)) < now) {
            rs_terminal_tick(&k->term, d, &out);
            check_frames(e, &out);
        }
        /* The truth must be recorded before the frames of this second are
         * checked: a packet can close on this very sample. */
        rs_truck_net net;
        rs_term_out_clear(&out);
        rs_sample truth;
        rs_truck_second(k, bus, e->setup.scn, now, &out, &net, &truth);
        e->truth[t] = truth;
        rs_vehicle_obd(&k->veh.car, &e->truth_obd[t]);
        memcpy(e->truth_obd[t].vin, id.vin, RS_VIN_LEN);
        memcpy(e->truth_dtc[t], k->veh.car.dtc, 4u * k->veh.car.dtc_count);
        e->truth_obd[t].dtc = e->truth_dtc[t];
        e->have[t] = true;
        uint8_t connect = out.connect;
        check_frames(e, &out);
        if (connect & (1u << RS_TERM_LINK_PLATFORM)) {
            rs_terminal_connected(&k->term, now, RS_TERM_LINK_PLATFORM, &out);
            check_frames(e, &out);
        }
    }
    rs_terminal_ignition(&k->term, START_MS + (SECONDS + 1) * 1000LL, false, &out);
    check_frames(e, &out);

    print_message("%s/%s: %u frames, %u report items, %u values, %u OBD items checked; "
                  "%llu CAN frames, %llu diagnostic answers deferred\n",
                  type, profile, e->frames, e->items_checked, e->values_checked, e->obd_checked,
                  (unsigned long long)bus->stats.can_frames, (unsigned long long)bus->stats.diag_deferred);
    /* every second of the run was reported (one stream item per sample) */
    const rs_term_stats *st = rs_terminal_stats(&k->term);
    assert_int_equal(st->samples, SECONDS);
    assert_int_equal(st->sent_live + st->sent_reissue, SECONDS);
    assert_true(e->items_checked >= SECONDS);
    assert_true(e->obd_checked >= SECONDS / 10 - 1);
    assert_int_equal(bus->stats.unencodable, 0);
    rs_truck_free(k, e->setup.scn);
    free(k);
    free(store);
    free(bus);
    free(scratch);
    free(e->msg);
    rs_run_setup_free(&e->setup);
    free(e);
}

static void test_e2e_diesel_gb(void **state)
{
    (void)state;
    run_e2e("diesel", "gb17691");
}

static void test_e2e_diesel_hj(void **state)
{
    (void)state;
    run_e2e("diesel", "hj1239");
}

static void test_e2e_gas_hj(void **state)
{
    (void)state;
    run_e2e("gas", "hj1239");
}

static void test_e2e_gas_nox_hj(void **state)
{
    (void)state;
    run_e2e("gas_nox", "hj1239");
}

static void test_e2e_hybrid_hj(void **state)
{
    (void)state;
    run_e2e("hybrid", "hj1239");
}

/* ---- offline runs ---- */

typedef struct seen {
    char vin[18];
    int64_t collect;
} seen;

static int cmp_seen(const void *a, const void *b)
{
    const seen *x = a, *y = b;
    int c = strcmp(x->vin, y->vin);
    if (c)
        return c;
    return x->collect < y->collect ? -1 : x->collect > y->collect;
}

/* Runs a scenario offline into a file; returns distinct (VIN, collect)
 * samples found in the file, and the result. */
static size_t offline(const char *scenario, uint32_t n, uint32_t duration, const char *file,
                      rs_offline_result *r, const char *const *opts, size_t n_opts)
{
    rs_run_setup setup;
    rs_scn_opts so;
    rs_scn_opts_init(&so);
    char msg[512];
    if (rs_run_setup_load(&setup, scenario, &so, opts, n_opts, msg, sizeof msg) != RS_OK)
        fail_msg("%s", msg);
    rs_offline_opts oo;
    rs_offline_opts_init(&oo);
    oo.n = n;
    oo.duration_s = duration;
    oo.out = fopen(file, "w");
    assert_non_null(oo.out);
    rs_err err;
    assert_int_equal(rs_offline_run(&setup, &oo, r, &err), RS_OK);
    fclose(oo.out);

    FILE *f = fopen(file, "r");
    assert_non_null(f);
    size_t cap = 1024, count = 0;
    seen *s = malloc(cap * sizeof *s);
    rs_msg *m = malloc(sizeof *m);
    char line[4096];
    uint8_t frame[2048];
    while (fgets(line, sizeof line, f)) {
        rs_framelog_rec rec;
        rs_err e;
        assert_int_equal(rs_framelog_parse(line, strlen(line), frame, sizeof frame, &rec, &e), RS_OK);
        assert_int_equal(rec.kind, RS_FRAMELOG_FRAME);
        assert_string_equal(rec.peer, RS_OFFLINE_PEER);
        assert_true(rec.has_vin);
        assert_int_equal(rs_msg_decode(&setup.profile, frame, rec.n, m, &e), RS_OK);
        assert_memory_equal(m->frame.vin, rec.vin, 17);
        char vin[18];
        memcpy(vin, rec.vin, 17);
        vin[17] = 0;
        if (m->kind != RS_MSG_REPORT)
            continue;
        for (unsigned k = 0; k < m->u.report.n_items; k++) {
            const rs_item *it = &m->u.report.item[k];
            if (it->type != RS_INFO_STREAM_DIESEL && it->type != RS_INFO_STREAM_TWC &&
                it->type != RS_INFO_STREAM_TWC_NOX)
                continue;
            if (count == cap)
                s = realloc(s, (cap *= 2) * sizeof *s);
            memcpy(s[count].vin, vin, 17);
            s[count].vin[17] = 0;
            rs_time c = m->u.report.layout == RS_LAYOUT_GB ? m->u.report.time : it->collect;
            s[count].collect = rs_time_to_unix(&c);
            count++;
        }
    }
    fclose(f);
    qsort(s, count, sizeof *s, cmp_seen);
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++)
        if (i == 0 || cmp_seen(&s[i], &s[i - 1]) != 0)
            distinct++;
    free(s);
    free(m);
    rs_run_setup_free(&setup);
    return distinct;
}

static void test_offline_outages_lose_nothing(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(vecto, "traces/drive-cycles");
    (void)vecto;
    char file[128];
    snprintf(file, sizeof file, "%s/flaky.log", g_dir);
    rs_offline_result r;
    size_t distinct = offline("scenarios/flaky_network.lua", 5, 1800, file, &r, NULL, 0);
    print_message("flaky_network, 5 trucks x 1800 s: %llu samples, %llu live, %llu reissued, %zu distinct in the log\n",
                  (unsigned long long)r.samples, (unsigned long long)r.sent_live,
                  (unsigned long long)r.sent_reissue, distinct);
    assert_true(r.sent_reissue > 0); /* the scenario's outages happened */
    assert_int_equal(r.dropped, 0);
    assert_int_equal(distinct, r.samples);
    assert_int_equal(r.sent_live + r.sent_reissue, r.samples);
}

static void test_offline_store_overflow_is_counted(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(vecto, "traces/drive-cycles");
    (void)vecto;
    char file[128];
    snprintf(file, sizeof file, "%s/small.log", g_dir);
    const char *opts[] = { "store_records=20" };
    rs_offline_result r;
    size_t distinct = offline("scenarios/flaky_network.lua", 3, 1800, file, &r, opts, 1);
    assert_true(r.dropped > 0);
    assert_int_equal(distinct + r.dropped, r.samples);
}

static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint64_t h = 1469598103934665603ull;
    int c;
    while ((c = fgetc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ull;
    fclose(f);
    return h;
}

static void test_offline_reproducible(void **state)
{
    (void)state;
    RS_REQUIRE_SHARED(vecto, "traces/drive-cycles");
    (void)vecto;
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/a.log", g_dir);
    snprintf(b, sizeof b, "%s/b.log", g_dir);
    rs_offline_result r;
    offline("scenarios/urban.lua", 4, 300, a, &r, NULL, 0);
    offline("scenarios/urban.lua", 4, 300, b, &r, NULL, 0);
    assert_true(r.frames > 100);
    assert_true(file_hash(a) == file_hash(b));
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_truck_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_diesel_gb),
        cmocka_unit_test(test_e2e_diesel_hj),
        cmocka_unit_test(test_e2e_gas_hj),
        cmocka_unit_test(test_e2e_gas_nox_hj),
        cmocka_unit_test(test_e2e_hybrid_hj),
        cmocka_unit_test(test_offline_outages_lose_nothing),
        cmocka_unit_test(test_offline_store_overflow_is_counted),
        cmocka_unit_test(test_offline_reproducible),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
