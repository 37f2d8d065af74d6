/* Trucks on one core: vehicle physics -> J1939 CAN frames -> decoder ->
 * sampler -> terminal -> protocol frames, for 10,000 trucks in sampled
 * fidelity sharing one Lua state and one bus.  Prints truck-seconds per CPU
 * second (target >= 500,000) and memory per truck: Lua, C state, and RSS
 * growth (target <= 4 KiB Lua, <= 8 KiB in all; the reissue store is
 * reported apart: it holds samples only while a terminal is offline).
 * Needs shared/ (the drive cycle): $REMSIM_SHARED or ../shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua.h>

#include "remsim/ident.h"
#include "remsim/run_setup.h"

#define TRUCKS 10000
#define SECONDS 120

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double lua_bytes(lua_State *L)
{
    lua_gc(L, LUA_GCCOLLECT);
    return lua_gc(L, LUA_GCCOUNT) * 1024.0 + lua_gc(L, LUA_GCCOUNTB);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int bench(const char *path, const char *label)
{
    rs_run_setup setup;
    rs_scn_opts so;
    rs_scn_opts_init(&so);
    so.seed = 1;
    char msg[512];
    if (rs_run_setup_load(&setup, path, &so, NULL, 0, msg, sizeof msg) != RS_OK) {
        fprintf(stderr, "bench_truck: %s\n", msg);
        return strstr(msg, "not found") || strstr(msg, "cannot open") ? 77 : 1;
    }
    lua_State *L = rs_scenario_lua(setup.scn);
    /* The store is address space until an outage fills it: measured apart. */
    size_t store_bytes = rs_terminal_store_bytes(&setup.term);
    rs_truck_bus *bus = malloc(sizeof *bus);
    rs_msg *scratch = malloc(sizeof *scratch);
    static uint8_t outbuf[RS_TERM_OUT_BYTES];
    rs_term_out out;
    rs_err err;
    if (!bus || !scratch || rs_truck_bus_init(bus, &setup.truck, &err) != RS_OK)
        return 1;
    rs_term_out_init(&out, outbuf, sizeof outbuf, scratch);

    long rss0 = rss_kib();
    double lua0 = lua_bytes(L);
    rs_truck *k = calloc(TRUCKS, sizeof *k);
    uint8_t *stores = calloc(TRUCKS, store_bytes);
    if (!k || !stores)
        return 1;
    for (uint32_t i = 0; i < TRUCKS; i++) {
        rs_term_ident id;
        memset(&id, 0, sizeof id);
        rs_ident_vin(1, i, rs_scenario_type(setup.scn), id.vin);
        rs_ident_iccid(1, i, id.iccid);
        if (rs_truck_init(&k[i], setup.scn, i, &setup.profile, &setup.term, &id, stores + i * store_bytes,
                          store_bytes, &err) != RS_OK)
            return 1;
    }
    double lua_per = (lua_bytes(L) - lua0) / TRUCKS;

    unsigned long long frames = 0, bytes = 0;
    double t0 = cpu_s();
    for (unsigned t = 0; t < SECONDS; t++) {
        int64_t now = 1767225600000LL + (int64_t)(t + 1) * 1000;
        for (uint32_t i = 0; i < TRUCKS; i++) {
            int64_t d;
            while ((d = rs_terminal_deadline(&k[i].term)) < now) {
                rs_terminal_tick(&k[i].term, d, &out);
                frames += out.n;
                bytes += out.len;
                rs_term_out_clear(&out);
            }
            rs_truck_second(&k[i], bus, setup.scn, now, &out, NULL, NULL);
            if (out.connect & 1) { /* an always-there link: login at once */
                rs_term_out_clear(&out);
                rs_terminal_connected(&k[i].term, now, RS_TERM_LINK_PLATFORM, &out);
            }
            frames += out.n;
            bytes += out.len;
            rs_term_out_clear(&out);
        }
    }
    double dt = cpu_s() - t0;
    long rss1 = rss_kib();

    /* The vehicle side alone, for comparison: physics and J1939 encoding
     * of the same trucks, no decoding and no terminal. */
    rs_vcan_out vo = { .frames = bus->frame, .cap = RS_TRUCK_BUS_FRAMES };
    double v0 = cpu_s();
    for (unsigned t = 0; t < SECONDS; t++)
        for (uint32_t i = 0; i < TRUCKS; i++) {
            rs_sample smp;
            rs_obd obd;
            memset(&obd, 0, sizeof obd);
            rs_scn_step(setup.scn, &k[i].veh, &smp, NULL);
            rs_vehicle_obd_dtc(&k[i].veh.car, &obd);
            rs_vcan_encode(&setup.truck.vcan, &smp, &obd, (uint64_t)t * 1000000u, &vo, NULL);
        }
    double vdt = cpu_s() - v0;
    double per = (double)TRUCKS * SECONDS / dt;
    printf("truck %-18s %d trucks x %d s, sampled fidelity, CAN round trip: %.0f truck-seconds per CPU second "
           "(%.2f us each; %.1f CAN frames per truck-second); %llu frames, %llu bytes\n",
           label, TRUCKS, SECONDS, per, dt / ((double)TRUCKS * SECONDS) * 1e6,
           (double)bus->stats.can_frames / ((double)TRUCKS * SECONDS), frames, bytes);
    printf("truck %-18s memory per truck: %.0f B Lua, %zu B C (vehicle %zu, terminal %zu), RSS growth %.0f B "
           "(store touched only offline: %zu B reserved); shared bus %zu KiB\n",
           label, lua_per, sizeof(rs_truck), sizeof(rs_scn_vehicle), sizeof(rs_terminal),
           (double)(rss1 - rss0) * 1024.0 / TRUCKS, store_bytes, sizeof(rs_truck_bus) / 1024);
    printf("truck %-18s vehicle side alone (physics + J1939 encoding): %.0f vehicle-seconds per CPU second\n",
           label, (double)TRUCKS * SECONDS / vdt);
    for (uint32_t i = 0; i < TRUCKS; i++)
        rs_truck_free(&k[i], setup.scn);
    free(k);
    free(stores);
    free(bus);
    free(scratch);
    rs_run_setup_free(&setup);
    return 0;
}

int main(void)
{
    int rc = bench("scenarios/urban.lua", "urban");
    if (rc == 0)
        rc = bench("scenarios/longhaul.lua", "longhaul (HJ)");
    if (rc == 77) {
        printf("bench_truck: skipped, shared/ not found (set REMSIM_SHARED)\n");
        return 0;
    }
    return rc;
}
