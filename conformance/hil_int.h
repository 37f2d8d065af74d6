/* Private to the terminal suite (conform_terminal.h):
 *
 *   hil_run.c      setup, the run's course (seconds, outage, end), cases
 *   hil_vehicle.c  the vehicle: scenario -> physics -> J1939 frames (full
 *                  fidelity, TP/BAM), answers to the terminal's requests
 *   hil_vterm.c    the virtual terminal: memory bus -> J1939 receiver ->
 *                  sampler -> terminal state machine -> frames
 *   hil_fault.c    TEST ONLY: the --virtual-fault post-processing
 *   hil_plat.c     the platform: connections, reassembly, answers, the
 *                  frame record
 *   hil_link.c     moving bytes: in process (virtual time) or TCP
 *   hil_net.c      the real-time loop: TCP sockets, CAN pacing, poll()
 *   hil_check.c    the cases from the record: sampling, packets, serials,
 *                  sessions, reissue, time calibration, activation
 *   hil_values.c   value fidelity and signatures
 */
#ifndef REMSIM_CONFORMANCE_HIL_INT_H
#define REMSIM_CONFORMANCE_HIL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/can.h"
#include "remsim/canbus_mem.h"
#include "remsim/conform.h"
#include "remsim/conform_rules.h"
#include "remsim/conform_terminal.h"
#include "remsim/framelog.h"
#include "remsim/j1939_tp.h"
#include "remsim/msg.h"
#include "remsim/reasm.h"
#include "remsim/run_setup.h"
#include "remsim/sampler.h"
#include "remsim/sm2.h"
#include "remsim/term_keys.h"
#include "remsim/terminal.h"
#include "remsim/truck.h"
#include "remsim/vehicle_can.h"

#define HIL_RX_CAP 16384          /* reassembly buffer per connection: terminal frames are < 2 KiB */
#define HIL_MAX_CONNS 64
#define HIL_READY_MAX 8           /* samples the sampler emitted before the terminal took them */

/* --- what the vehicle injected, per harness second --- */
typedef struct hil_inj {
    bool have;                    /* the vehicle drove this second with the ignition on */
    rs_sample s;                  /* physics, in physical units (before J1939 quantisation) */
    uint8_t mil;                  /* 0/1 */
    uint8_t dtc_count;
} hil_inj;

/* --- the vehicle --- */
typedef struct hil_vehicle {
    rs_vcan_cfg vcan;             /* full fidelity copy of the setup's */
    rs_scn_vehicle veh;
    bool made;
    rs_can_frame *fr;             /* this second's frames, by time */
    size_t n, cap, next;          /* next: first not yet put out */
    rs_vcan_out vout;
    rs_tp_tx tx;
    uint8_t diag_due;             /* bit per rs_vcan_diag answer to send */
    uint32_t next_poll;           /* vehicle second of the next unsolicited diagnostic round */
    bool ign;
    uint64_t unencodable, requests;
} hil_vehicle;

/* --- the platform's record --- */
typedef struct hil_frame {
    int64_t at_ms;                /* arrival (uplink) or send (downlink), harness clock */
    uint32_t conn;
    bool down;                    /* platform -> terminal */
    bool coalesced;               /* arrived in one read with another frame */
    uint32_t len;
    uint8_t *bytes;
} hil_frame;

typedef struct hil_conn {
    bool open;
    bool national;                /* accepted on the activation listener */
    int fd;                       /* TCP; -1 in process */
    int link;                     /* in process: the virtual terminal's link */
    char peer[64];
    rs_reasm rx;
    uint8_t *rxbuf;
    uint8_t *out;                 /* TCP bytes waiting for the socket */
    size_t out_len, out_cap;
    int64_t opened_ms, closed_ms;
    uint8_t vq[512];              /* in process: answers queued for the virtual terminal (out_len) */
} hil_conn;

/* Fault state (hil_fault.c). */
typedef struct hil_fault_state {
    rs_hil_fault f;
    unsigned live_reports;        /* 0x02 seen so far */
    int32_t shift_day;            /* GMT+8 day whose serials from shift_from on are shifted */
    uint16_t shift_from;
    uint64_t applied;
} hil_fault_state;

/* --- the virtual terminal --- */
typedef struct hil_vterm {
    rs_terminal term;
    uint8_t *store;
    rs_msg *scratch;
    uint8_t outbuf[RS_TERM_OUT_BYTES];
    rs_term_out out;
    rs_can_port *port;            /* its port on the memory bus */
    rs_j1939_rx rx;
    rs_sampler smp;
    rs_term_ident id;
    rs_term_signer signer;
    uint8_t stream;               /* the stream type it is configured for (§7.3) */
    bool hybrid;
    /* samples the sampler emitted, for the terminal */
    unsigned n_ready;
    int64_t ready_at[HIL_READY_MAX];
    rs_sample ready[HIL_READY_MAX];
    rs_term_obd ready_obd[HIL_READY_MAX];
    rs_truck_obd obd_known;       /* the slow OBD answers kept (unknown until answered) */
    int fd[RS_TERM_LINK_COUNT];   /* TCP: client sockets, -1 none */
    bool connecting[RS_TERM_LINK_COUNT];
    uint8_t *sendq[RS_TERM_LINK_COUNT];
    size_t sendq_len[RS_TERM_LINK_COUNT], sendq_cap[RS_TERM_LINK_COUNT];
    int conn[RS_TERM_LINK_COUNT]; /* in process: the platform connection of each link, -1 none */
    hil_fault_state fs;
    int depth;                    /* drains in progress (answers wait until 0) */
} hil_vterm;

/* --- the whole harness --- */
typedef struct hil {
    const rs_hil_opts *o;
    rs_hil_stats *st;
    rs_conf_run *run;
    rs_run_setup setup;
    bool have_setup;
    rs_err io_err;
    bool virtual_time;            /* speed 0: no wall clock, links in process */
    int64_t start_ms;             /* harness clock at second 0 */
    int64_t wall0_ms;             /* wall clock at second 0 (real time) */
    int64_t outage_from, outage_to;   /* harness ms; equal: none */
    bool in_outage;
    bool outage_done;
    bool started, stopped, finished;
    int64_t vnow;                 /* virtual time: the current event's time */
    int64_t end_ms;               /* the drive ends (ignition off) */
    uint32_t seconds;             /* vehicle seconds driven so far */
    uint8_t vin[RS_VIN_LEN];
    rs_sm2 *sm2;
    /* vehicle side */
    hil_vehicle veh;
    hil_inj *inj;                 /* o->duration_s + 2 entries; inj[i]: key second start_s + i */
    rs_can_port *can;             /* SocketCAN port or candump writer; NULL with --virtual */
    rs_canbus_mem *bus;           /* --virtual */
    rs_can_port *bus_port;        /* the vehicle's port on it */
    bool can_write_failed;
    /* platform side */
    rs_rules *rules;              /* per-frame rules, fed as frames arrive */
    rs_msg *pmsg;                 /* platform decode scratch */
    hil_conn conns[HIL_MAX_CONNS];
    uint32_t n_conns;
    hil_frame *frames;
    size_t n_frames, cap_frames;
    int listen_fd, national_fd;   /* TCP listeners, -1 none */
    char listen_host[64], listen_port[8], nat_host[64], nat_port[8];
    rs_framelog log;
    bool log_open;
    int64_t second_t0;            /* start of the vehicle second being sent, -1 none */
    /* the device under test, when virtual */
    hil_vterm *vt;
} hil;

/* hil_run.c */
int64_t hil_now(const hil *h);                 /* harness clock, ms */
void hil_note(const hil *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Everything due by now: outage edges, vehicle seconds, CAN frames, the
 * virtual terminal's timers; sets h->finished at the end. */
void hil_step(hil *h, int64_t now);
/* When the next thing is due (harness ms). */
int64_t hil_next(const hil *h);

/* hil_vehicle.c */
rs_code hil_vehicle_init(hil_vehicle *v, rs_run_setup *su, rs_err *err);
void hil_vehicle_free(hil_vehicle *v, rs_run_setup *su);
/* Steps the scenario one second; frames for [t0_us, t0_us + 1 s) in v->fr.
 * False when the vehicle stopped (scenario error). */
bool hil_vehicle_second(hil_vehicle *v, rs_run_setup *su, const uint8_t vin[RS_VIN_LEN], uint64_t t0_us,
                        hil_inj *inj);
/* A frame from the bus: a J1939 request (PGN 59904) for DM5/DM19/DM20/VI is answered next second. */
void hil_vehicle_heard(hil_vehicle *v, const rs_can_frame *f);

/* hil_vterm.c */
rs_code hil_vterm_new(hil *h, rs_err *err);
void hil_vterm_free(hil *h);
void hil_vterm_start(hil *h, int64_t now);       /* ignition on (and the clock skew) */
void hil_vterm_stop(hil *h, int64_t now);        /* ignition off */
void hil_vterm_can(hil *h, int64_t now);         /* read the memory bus, feed the sampler */
void hil_vterm_advance(hil *h, int64_t now);     /* samples due by now on a silent bus */
void hil_vterm_tick_until(hil *h, int64_t before);   /* due timers before `before` */
int64_t hil_vterm_deadline(const hil *h);
void hil_vterm_connected(hil *h, int64_t now, int link);
void hil_vterm_closed(hil *h, int64_t now, int link);
void hil_vterm_received(hil *h, int64_t now, int link, const uint8_t *d, size_t n);
/* After every event: frames out (through the faults), closes, connects. */
void hil_vterm_drain(hil *h, int64_t now);

/* hil_fault.c (TEST ONLY).  False: drop the frame.  *len may change. */
bool hil_fault_apply(hil_fault_state *fs, const rs_profile *p, const rs_term_ident *id, rs_msg *scratch,
                     uint8_t *frame, size_t *len, size_t cap);

/* hil_plat.c */
rs_code hil_plat_init(hil *h, rs_err *err);
void hil_plat_free(hil *h);
int hil_plat_open(hil *h, int64_t now, const char *peer, bool national, int fd);
void hil_plat_input(hil *h, int c, int64_t now, const uint8_t *d, size_t n);
/* The connection ended (peer or harness); why for the frame log. */
void hil_plat_closed(hil *h, int c, int64_t now, const char *why);
/* Closes every open connection (the outage). */
void hil_plat_close_all(hil *h, int64_t now, const char *why);
bool hil_plat_refusing(const hil *h);

/* hil_link.c: moving bytes between the two sides */
void hil_link_down(hil *h, int c, int64_t now, const uint8_t *d, size_t n);   /* platform -> terminal */
void hil_link_up(hil *h, int link, int64_t now, const uint8_t *d, size_t n);  /* virtual terminal -> platform */
/* The virtual terminal asks for a link: in process it is granted (or
 * refused in the outage) at once; over TCP a connect starts. */
void hil_link_connect(hil *h, int link, int64_t now);
void hil_link_close(hil *h, int link, int64_t now);       /* the virtual terminal closes */
void hil_link_drop(hil *h, int c, int64_t now);           /* the platform closes connection c */
/* In process: hands the queued answers to the virtual terminal. */
void hil_link_deliver(hil *h, int64_t now);

/* hil_net.c */
rs_code hil_net_listen(hil *h, rs_err *err);
void hil_net_unlisten(hil *h);
rs_code hil_net_relisten(hil *h, rs_err *err);
rs_code hil_net_loop(hil *h, rs_err *err);   /* real time until the end */
void hil_net_free(hil *h);
/* TCP connect for a virtual terminal link (non-blocking). */
void hil_net_vconnect(hil *h, int link, int64_t now);
void hil_net_vsend(hil *h, int link, const uint8_t *d, size_t n);
void hil_net_vclose(hil *h, int link);
void hil_net_send(hil *h, int c, const uint8_t *d, size_t n);
void hil_net_close(hil *h, int c);

/* hil_check.c, hil_values.c */
void hil_check(hil *h);
void hil_check_values(hil *h);
void hil_check_signatures(hil *h);
rs_code hil_write_injected(hil *h, const char *path, rs_err *err);

#endif
