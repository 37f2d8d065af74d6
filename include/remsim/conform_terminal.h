/* The terminal suite, hardware in the loop (docs/conformance.md,
 * "Certifying a terminal (HIL)").
 *
 * remsim plays both sides of a T-box: the vehicle on CAN (a Lua scenario
 * drives the vehicle model, whose J1939 frames go out on a SocketCAN
 * interface, into a candump file for canplayer, or onto an in-memory bus
 * read by remsim's own virtual terminal) and the platform on TCP (it
 * listens, answers time calibration and activation, records every frame
 * with its arrival time, and causes an outage).  At the end it compares
 * what the terminal reported with what the scenario injected, second by
 * second, and gives the RS_CASE_T_* cases of the catalogue (conform.h)
 * their verdicts; every frame also goes through the per-frame rules
 * (conform_rules.h).
 *
 *     rs_hil_opts o; rs_hil_opts_init(&o);
 *     o.scenario = "scenarios/urban.lua"; o.virtual_term = true; o.speed = 0;
 *     rs_conf_run *run = NULL; rs_hil_stats st; char msg[512];
 *     if (rs_hil_run(&o, &run, &st, msg, sizeof msg) != RS_OK) ...  // usage / environment: msg says why
 *     // run is finished: verdicts set, views can be written; rs_conf_free(run)
 *
 * Time: a hardware terminal runs on the wall clock, so the harness does too
 * (speed 1).  With the virtual terminal the clock may run faster (speed N)
 * or not at all (speed 0: virtual time, the links in process, no TCP),
 * which is how the test suite runs. */
#ifndef REMSIM_CONFORM_TERMINAL_H
#define REMSIM_CONFORM_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "remsim/conform.h"
#include "remsim/error.h"

#define RS_HIL_MAX_SET 32

/* Terminal faults of the virtual terminal: TEST ONLY.  They exist to prove
 * that the cases can fail; the harness applies them to the virtual
 * terminal's frames after it made them (conformance/hil_fault.c), never in
 * a normal run. */
typedef struct rs_hil_fault {
    int wrong_scale;             /* rs_field_id whose raw value is doubled in every report; -1 none */
    bool skip_serial;            /* from the second live report on, serials of that day are one higher */
    bool no_reissue;             /* 0x03 packets are dropped: the store empties without reissue */
    bool bad_signature;          /* one bit of every 0x02 signature is flipped (HJ) */
} rs_hil_fault;

/* "wrong-scale=FIELD", "skip-serial", "no-reissue", "bad-signature": adds
 * one fault.  The error names the fault or the field. */
rs_code rs_hil_fault_parse(rs_hil_fault *f, const char *text, rs_err *err);

typedef struct rs_hil_opts {
    const char *scenario;        /* Lua scenario file (required) */
    const char *listen;          /* HOST:PORT the platform listens on (required unless speed 0) */
    const char *national;        /* HOST:PORT of the activation service; NULL: the same listener */
    const char *can_iface;       /* --can IFACE: SocketCAN, full fidelity */
    const char *can_out;         /* --can-out FILE: candump log for canplayer */
    bool virtual_term;           /* --virtual: remsim's virtual terminal is the device under test */
    uint32_t duration_s;         /* vehicle drive: 120 */
    uint32_t outage_at_s;        /* harness second the outage starts: 30 */
    uint32_t outage_s;           /* its length (0: none): 30 */
    uint32_t linger_s;           /* after the drive, wait this long for the last frames: 20 (virtual: 2) */
    uint32_t max_delay_s;        /* a reported second may lag the injected one by up to this [U]: 2 */
    double speed;                /* harness clock / wall clock: 1; other values only with --virtual; 0: virtual time */
    int64_t start_unix;          /* harness clock at start; 0: wall clock now (speed 0: 60 s before a
                                    GMT+8 midnight, so the daily serial reset is exercised) */
    const char *keys;            /* --keys DIR: registered public keys (and the virtual terminal's keys) */
    const char *injected_out;    /* what the vehicle injected, one JSON line per second; NULL none */
    const char *frames_out;      /* every frame, both directions, in the frame-log format; NULL none */
    const char *set[RS_HIL_MAX_SET];   /* scenario / profile / terminal options key=value */
    size_t n_set;
    const char *vin;             /* the vehicle's VIN (VI answer, virtual terminal); NULL: from the seed */
    uint64_t seed;               /* virtual terminal identity and keys: 1 */
    int32_t skew_s;              /* virtual terminal clock off by this at start (time calibration corrects it) */
    rs_hil_fault fault;          /* TEST ONLY */
    FILE *progress;              /* a line per event worth seeing (NULL: quiet) */
} rs_hil_opts;

void rs_hil_opts_init(rs_hil_opts *o);

typedef struct rs_hil_stats {
    uint64_t seconds;            /* vehicle seconds driven */
    uint64_t can_frames;         /* CAN frames put out */
    uint64_t frames_in;          /* frames received from the terminal */
    uint64_t frames_out;         /* answers sent */
    uint64_t connections;        /* connections accepted */
    uint64_t refused;            /* connection attempts refused during the outage (virtual only) */
    uint64_t samples_reported;   /* distinct collect seconds reported */
    uint64_t values_checked;
    uint64_t faults_applied;     /* frames a test fault changed or dropped */
    char listen[96];             /* the address actually bound (port 0 resolved) */
} rs_hil_stats;

/* Runs the suite.  RS_OK: *run holds the finished run (the caller frees
 * it); anything else is a usage or environment problem (exit code 2),
 * msg says what, and *run is NULL.  "no CAN support in this kernel
 * (AF_CAN refused)" is the message when --can finds no AF_CAN. */
rs_code rs_hil_run(const rs_hil_opts *o, rs_conf_run **run, rs_hil_stats *st, char *msg, size_t cap);

#endif
