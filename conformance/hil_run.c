/* The terminal suite's course (conform_terminal.h): setup, then second by
 * second the vehicle on CAN, the outage the harness causes, the end of the
 * drive, and at last the cases read from the record. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance/hil_int.h"
#include "remsim/candump.h"
#include "remsim/ident.h"
#include "remsim/socketcan.h"

/* 60 s before 2026-01-02 00:00 GMT+8: a virtual run crosses a GMT+8
 * midnight, so the daily serial reset (§10) is exercised. */
#define HIL_VIRTUAL_START 1767283140LL

void rs_hil_opts_init(rs_hil_opts *o)
{
    memset(o, 0, sizeof *o);
    o->duration_s = 120;
    o->outage_at_s = 30;
    o->outage_s = 30;
    o->linger_s = 20;
    o->max_delay_s = 2;
    o->speed = 1.0;
    o->seed = 1;
    o->fault.wrong_scale = -1;
}

void hil_note(const hil *h, const char *fmt, ...)
{
    if (!h->o->progress)
        return;
    char when[RS_FRAMELOG_TIME_LEN + 1];
    rs_framelog_time(h->virtual_time ? h->vnow : hil_now(h), when);
    va_list ap;
    va_start(ap, fmt);
    fprintf(h->o->progress, "%s ", when);
    vfprintf(h->o->progress, fmt, ap);
    fputc('\n', h->o->progress);
    va_end(ap);
}

static bool faulty(const rs_hil_fault *f)
{
    return f->wrong_scale >= 0 || f->skip_serial || f->no_reissue || f->bad_signature;
}

static rs_code usage(char *msg, size_t cap, const char *text)
{
    snprintf(msg, cap, "%s", text);
    return RS_E_OPTION;
}

static rs_code check_opts(const rs_hil_opts *o, char *msg, size_t cap)
{
    int sinks = (o->can_iface != NULL) + (o->can_out != NULL) + o->virtual_term;
    if (!o->scenario)
        return usage(msg, cap, "--scenario FILE is required");
    if (sinks != 1)
        return usage(msg, cap, "give exactly one of --can IFACE, --can-out FILE, --virtual");
    if (!o->virtual_term && (o->speed != 1.0 || o->start_unix || faulty(&o->fault) || o->skew_s))
        return usage(msg, cap, "--speed, --start, --virtual-skew and --virtual-fault need --virtual "
                               "(a hardware terminal runs on the wall clock)");
    if (o->speed < 0)
        return usage(msg, cap, "--speed: a factor > 0, or 0 for virtual time");
    if (o->speed != 0 && !o->listen)
        return usage(msg, cap, "--listen HOST:PORT is required (except with --virtual --speed 0)");
    if (!o->duration_s || o->duration_s > 7 * 86400)
        return usage(msg, cap, "--duration: 1 s to 7 days");
    if (o->max_delay_s > 60)
        return usage(msg, cap, "--max-delay: 0..60 s");
    return RS_OK;
}

static rs_code open_can(hil *h, char *msg, size_t cap)
{
    const rs_hil_opts *o = h->o;
    rs_err err;
    if (o->virtual_term) {
        if (!(h->bus = rs_canbus_mem_new("hil0", &err)) ||
            !(h->bus_port = rs_canbus_mem_attach(h->bus, 0, 0, &err))) {
            rs_err_format(&err, msg, cap);
            return err.code;
        }
        return RS_OK;
    }
    if (o->can_out) {
        if (!(h->can = rs_candump_create(o->can_out, "can0", &err))) {
            char why[256];
            rs_err_format(&err, why, sizeof why);
            snprintf(msg, cap, "--can-out %s: %s", o->can_out, why);
            return err.code;
        }
        return RS_OK;
    }
    h->can = rs_socketcan_open(o->can_iface, RS_SOCKETCAN_NONBLOCK, NULL, 0, &err);
    if (!h->can) {
        if (err.got == EAFNOSUPPORT)
            snprintf(msg, cap, "--can %s: no CAN support in this kernel (AF_CAN refused); "
                     "load can, can_raw (and vcan) or use --can-out FILE with canplayer", o->can_iface);
        else {
            char why[256];
            rs_err_format(&err, why, sizeof why);
            snprintf(msg, cap, "--can %s: %s", o->can_iface, why);
        }
        return RS_E_IO;
    }
    return RS_OK;
}

static bool user_set(const rs_hil_opts *o, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < o->n_set; i++)
        if (!strncmp(o->set[i], key, n) && o->set[i][n] == '=')
            return true;
    return false;
}

static rs_code setup(hil *h, char *msg, size_t cap)
{
    const rs_hil_opts *o = h->o;
    rs_code rc = check_opts(o, msg, cap);
    if (rc != RS_OK)
        return rc;
    h->listen_fd = h->national_fd = -1;
    h->second_t0 = -1;
    h->virtual_time = o->virtual_term && o->speed == 0;
    rs_scn_opts so;
    rs_scn_opts_init(&so);
    if ((rc = rs_run_setup_load(&h->setup, o->scenario, &so, o->set, o->n_set, msg, cap)) != RS_OK)
        return rc;
    h->have_setup = true;
    rs_err err;
    rs_proto proto = h->setup.profile.proto;
    if (proto != RS_PROTO_GB17691 && proto != RS_PROTO_HJ1239)
        return usage(msg, cap, "the terminal suite covers gb17691 and hj1239 terminals");
    /* A virtual HJ terminal activates first (§9.2), unless told otherwise. */
    if (o->virtual_term && proto == RS_PROTO_HJ1239 && !user_set(o, "activate"))
        rs_run_setup_set(&h->setup, "activate=true", &err);
    if (o->vin) {
        if (strlen(o->vin) != RS_VIN_LEN)
            return usage(msg, cap, "--vin: 17 characters");
        memcpy(h->vin, o->vin, RS_VIN_LEN);
    } else {
        rs_ident_vin(o->seed, 0, rs_scenario_type(h->setup.scn), h->vin);
    }
    if (!(h->sm2 = rs_sm2_new(&err)) || hil_plat_init(h, &err) != RS_OK ||
        hil_vehicle_init(&h->veh, &h->setup, &err) != RS_OK) {
        rs_err_format(&err, msg, cap);
        return err.code;
    }
    if (!(h->inj = calloc(o->duration_s + 2, sizeof *h->inj)))
        return usage(msg, cap, "out of memory for the injected samples");
    if ((rc = open_can(h, msg, cap)) != RS_OK)
        return rc;
    if (o->virtual_term && hil_vterm_new(h, &err) != RS_OK) {
        rs_err_format(&err, msg, cap);
        return err.code;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->wall0_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (h->virtual_time)
        h->start_ms = (o->start_unix ? o->start_unix : HIL_VIRTUAL_START) * 1000;
    else
        h->start_ms = o->start_unix ? o->start_unix * 1000 : h->wall0_ms;
    h->vnow = h->start_ms;
    h->end_ms = h->start_ms + (int64_t)o->duration_s * 1000;
    h->outage_from = h->outage_to = 0;
    if (o->outage_s && o->outage_at_s < o->duration_s) {
        h->outage_from = h->start_ms + (int64_t)o->outage_at_s * 1000;
        h->outage_to = h->outage_from + (int64_t)o->outage_s * 1000;
    }
    if (!h->virtual_time && hil_net_listen(h, &err) != RS_OK) {
        char why[256];
        rs_err_format(&err, why, sizeof why);
        snprintf(msg, cap, "%s: %s", o->listen, why);
        return err.code;
    }
    if (!(h->run = rs_conf_new(RS_ROLE_TERMINAL, &h->setup.profile, &err))) {
        rs_err_format(&err, msg, cap);
        return err.code;
    }
    char in[RS_CONF_SOURCE_MAX];
    snprintf(in, sizeof in, "scenario %s", o->scenario);
    rs_conf_add_input(h->run, in);
    snprintf(in, sizeof in, "%s", o->virtual_term ? (h->virtual_time ? "virtual terminal, virtual time"
                                                                    : "virtual terminal over TCP")
                                  : o->can_iface ? "SocketCAN" : "candump file");
    rs_conf_add_input(h->run, in);
    if (o->can_iface || o->can_out) {
        snprintf(in, sizeof in, "can %s", o->can_iface ? o->can_iface : o->can_out);
        rs_conf_add_input(h->run, in);
    }
    if (!h->virtual_time) {
        snprintf(in, sizeof in, "listen %s", h->st->listen);
        rs_conf_add_input(h->run, in);
    }
    return RS_OK;
}

static void cleanup(hil *h)
{
    if (!h->virtual_time)
        hil_net_free(h);
    hil_vterm_free(h);
    if (h->can) {
        rs_err err;
        if (h->o->can_out)
            rs_candump_flush(h->can, &err);
        rs_can_close(h->can);
    }
    rs_can_close(h->bus_port);
    if (h->bus)
        rs_canbus_mem_release(h->bus);
    hil_vehicle_free(&h->veh, &h->setup);
    hil_plat_free(h);
    free(h->inj);
    rs_sm2_free(h->sm2);
    if (h->have_setup)
        rs_run_setup_free(&h->setup);
}

/* Frames of the current second due by now go out (virtual time: all). */
static void can_pump(hil *h, int64_t now, bool all)
{
    hil_vehicle *v = &h->veh;
    rs_err err;
    while (v->next < v->n) {
        rs_can_frame *f = &v->fr[v->next];
        if (!all && (int64_t)(f->ts_us / 1000u) > now)
            break;
        rs_can_port *p = h->bus_port ? h->bus_port : h->can;
        rs_can_status s = rs_can_write(p, f, &err);
        if (s == RS_CAN_AGAIN)
            break; /* SocketCAN queue full: retried on the next step */
        if (s != RS_CAN_OK && !h->can_write_failed) {
            h->can_write_failed = true;
            char why[256];
            rs_err_format(&err, why, sizeof why);
            hil_note(h, "CAN write failed: %s", why);
        }
        v->next++;
        h->st->can_frames++;
    }
    if (h->vt)
        hil_vterm_can(h, now);
}

static void outage_step(hil *h, int64_t now)
{
    if (h->outage_from == h->outage_to)
        return;
    if (!h->in_outage && !h->outage_done && now >= h->outage_from) {
        h->in_outage = true;
        hil_note(h, "outage: connections closed, refused for %u s", h->o->outage_s);
        if (!h->virtual_time)
            hil_net_unlisten(h);
        hil_plat_close_all(h, now, "outage");
    }
    if (h->in_outage && now >= h->outage_to) {
        h->in_outage = false;
        h->outage_done = true;
        rs_err err;
        if (!h->virtual_time && hil_net_relisten(h, &err) != RS_OK)
            hil_note(h, "outage end: cannot listen again on %s", h->st->listen);
        hil_note(h, "outage over: accepting again");
    }
}

void hil_step(hil *h, int64_t now)
{
    const rs_hil_opts *o = h->o;
    if (!h->started) {
        h->started = true;
        if (h->vt)
            hil_vterm_start(h, h->start_ms);
    }
    outage_step(h, now);
    while (h->seconds < o->duration_s && h->start_ms + (int64_t)h->seconds * 1000 <= now) {
        can_pump(h, now, true); /* what is left of the second before */
        int64_t t0 = h->start_ms + (int64_t)h->seconds * 1000;
        if (h->vt)
            hil_vterm_tick_until(h, t0);
        hil_vehicle_second(&h->veh, &h->setup, h->vin, (uint64_t)t0 * 1000u, &h->inj[h->seconds + 1]);
        h->seconds++;
        h->st->seconds++;
        h->second_t0 = t0;
    }
    can_pump(h, now, h->virtual_time);
    if (h->vt)
        hil_vterm_tick_until(h, now);
    if (!h->stopped && now >= h->end_ms) {
        can_pump(h, now, true);
        h->stopped = true;
        if (h->vt) {
            hil_vterm_advance(h, h->end_ms); /* the last second's sample */
            hil_vterm_stop(h, h->end_ms);
        }
        hil_note(h, "drive over after %u s%s", o->duration_s, h->vt ? ": ignition off" : ": CAN silent");
    }
    uint32_t linger = h->vt ? (o->linger_s < 2 ? o->linger_s : 2) : o->linger_s;
    if (h->stopped && now >= h->end_ms + (int64_t)linger * 1000)
        h->finished = true;
    if (h->log_open)
        rs_framelog_tick(&h->log, now);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t hil_next(const hil *h)
{
    int64_t n = INT64_MAX;
    if (h->seconds < h->o->duration_s)
        n = h->start_ms + (int64_t)h->seconds * 1000;
    if (!h->virtual_time && h->veh.next < h->veh.n) {
        int64_t due = (int64_t)(h->veh.fr[h->veh.next].ts_us / 1000u);
        /* A real bus gets each frame at its time; the virtual terminal's
         * sampler reads message time, so its memory bus is fed every 100 ms. */
        n = min64(n, h->bus_port ? (due / 100 + 1) * 100 : due);
    }
    if (h->outage_from != h->outage_to && !h->outage_done)
        n = min64(n, h->in_outage ? h->outage_to : h->outage_from);
    if (!h->stopped)
        n = min64(n, h->end_ms);
    else
        n = min64(n, h->end_ms + (int64_t)(h->vt ? 2 : h->o->linger_s) * 1000);
    if (h->vt)
        n = min64(n, hil_vterm_deadline(h));
    return n;
}

static void virtual_loop(hil *h)
{
    while (!h->finished) {
        int64_t next = hil_next(h);
        h->vnow = next > h->vnow ? next : h->vnow + 1;
        hil_step(h, h->vnow);
    }
}

rs_code rs_hil_run(const rs_hil_opts *o, rs_conf_run **run, rs_hil_stats *st, char *msg, size_t cap)
{
    *run = NULL;
    memset(st, 0, sizeof *st);
    hil *h = calloc(1, sizeof *h);
    if (!h)
        return usage(msg, cap, "out of memory");
    h->o = o;
    h->st = st;
    msg[0] = 0;
    rs_code rc = setup(h, msg, cap);
    if (rc == RS_OK) {
        hil_note(h, "terminal suite: %s, %s, VIN %.17s, %u s drive, outage %u s at %u s", o->scenario,
                 rs_proto_name(h->setup.profile.proto), (const char *)h->vin, o->duration_s, o->outage_s,
                 o->outage_at_s);
        if (h->virtual_time) {
            virtual_loop(h);
        } else {
            rc = hil_net_loop(h, &h->io_err);
        }
        if (o->injected_out && hil_write_injected(h, o->injected_out, &h->io_err) != RS_OK) {
            rs_err_format(&h->io_err, msg, cap);
            rc = RS_E_IO;
        }
        hil_check(h);
        hil_check_values(h);
        hil_check_signatures(h);
        rs_conf_finish(h->run);
        if (rc == RS_OK) {
            *run = h->run;
            h->run = NULL;
        }
    }
    rs_conf_free(h->run);
    cleanup(h);
    free(h);
    return rc;
}
