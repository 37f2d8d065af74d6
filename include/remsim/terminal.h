/* The virtual terminal: a pure state machine (design.md, protocol.md §5-§10).
 *
 * Events in: tick, connected, closed, bytes received, ignition on/off,
 * external power lost/restored, clock skew, and one 1 Hz sample (with an OBD
 * snapshot).  Out: frames to send (each with its link and command), requests
 * to open or close a link, and the next timer deadline.  The machine never
 * touches sockets or clocks and never allocates: the terminal struct, the
 * reissue store and the output queue all live in memory the caller owns, so
 * the same code runs in virtual time in tests and under libev in the fleet.
 *
 * Time: every event carries `now`, in milliseconds since the Unix epoch
 * (UTC), virtual or wall.  The terminal's own clock, which writes every time
 * field, is now + skew + calibration offset (§8); serials restart when the
 * GMT+8 day of that clock changes (§10).
 *
 * Bytes received are reassembled inside the terminal (rs_reasm over a small
 * per-link buffer): feed raw TCP chunks of any size.
 *
 * Using it:
 *     rs_terminal_init(t, profile, cfg, ident, store_mem, store_bytes, &err);
 *     for each event: rs_terminal_<event>(t, now, ..., out), e.g. rs_terminal_tick();
 *         then send out's frames in order on their links, then act on
 *         out->close, then on out->connect, call again at out->deadline,
 *         and rs_term_out_clear(out).
 * One rs_term_out (with its encoder scratch) serves every terminal of a
 * worker.  profile, cfg and the store must outlive the terminal. */
#ifndef REMSIM_TERMINAL_H
#define REMSIM_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remsim/error.h"
#include "remsim/field.h"
#include "remsim/msg.h"
#include "remsim/profile.h"
#include "remsim/reasm.h"

/* Links: the enterprise platform, and the MEE activation service that HJ
 * terminals reach over a dedicated connection (§9.2). */
typedef enum rs_term_link {
    RS_TERM_LINK_PLATFORM = 0,
    RS_TERM_LINK_ACTIVATION,
    RS_TERM_LINK_COUNT
} rs_term_link;

#define RS_TERM_NEVER INT64_MAX   /* "no deadline" */
#define RS_TERM_PACKET_MAX 10     /* samples per report packet, at most */
#define RS_TERM_DTC_MAX 16        /* DTCs an OBD snapshot keeps */
#define RS_TERM_RX_BUF 128        /* per-link receive buffer: answers are 27-31 bytes */
#define RS_TERM_REC_MAX 71        /* largest compact record (rs_terminal_rec_size) */

/* Frames one event can append, at most, and the bytes they can take: a
 * queue this size never overflows when it is drained after every event. */
#define RS_TERM_OUT_FRAMES 8
#define RS_TERM_OUT_BYTES 8192

/* --- configuration (shared by many terminals; defaults in docs/terminal.md) --- */
typedef struct rs_terminal_config {
    /* reporting (§7, §10) */
    uint8_t packet_samples;       /* samples per packet: 10, or 1 for the 1 s mode (1..10) */
    uint32_t packet_timeout_ms;   /* a partial packet goes out this long after its first sample */
    uint32_t obd_interval_ms;     /* OBD item: first packet after login, then this often; 0 = every packet */
    /* login (§6, §10) */
    bool login_wait_echo;         /* logged in only when the platform echoes 0x01 (else: once sent) */
    uint32_t login_retry_ms;      /* with login_wait_echo: resend a login this often */
    uint32_t reconnect_ms;        /* ask for a connection again this long after a close or a request */
    bool close_after_logout;      /* ask to close the platform link after the logout */
    /* time calibration (§8) */
    bool timecal_after_login;     /* send 0x05 right after login */
    uint32_t timecal_interval_ms; /* and then this often while logged in; 0 = never again */
    uint32_t timecal_max_age_ms;  /* apply an answer only this soon after the request; 0 = always */
    /* reissue (§10) */
    uint32_t store_records;       /* reissue store capacity, in compact samples */
    bool store_extras;            /* keep hybrid/supplement items in the store (70-byte records, else 45) */
    uint32_t reissue_interval_ms; /* one 0x03 packet this often while logged in and the store is not empty */
    uint8_t reissue_batch;        /* samples per 0x03 packet (1..10) */
    uint32_t resend_window_ms;    /* after a link breaks, reissue what was sent this long before
                                     (at least once: the protocol has no acknowledgement); 0 = off */
    uint8_t reissue_style;        /* rs_reissue_style: HJ send time and signature of a 0x03 (§7.2, §13) */
    /* HJ 1239 (§9) */
    bool tamper_alarm;            /* 0x06 on external power loss */
    uint32_t tamper_interval_ms;  /* repeated this often while the loss persists */
    bool activate;                /* send activation 0x07 on the activation link */
    uint32_t activation_retry_ms; /* resend when no answer or a 02 03 answer came */
    uint8_t activation_max_tries; /* attempts per power cycle, then give up */
    bool login_after_activation;  /* with activate: no platform login while activation is pending */
} rs_terminal_config;

/* How an HJ terminal reissues a packet (§13 tolerance list: both are seen). */
typedef enum rs_reissue_style {
    RS_REISSUE_RESIGN = 0,        /* new send time, signed again (S3) */
    RS_REISSUE_ORIGINAL           /* the packet as first formed: its send time, serial and signature */
} rs_reissue_style;

void rs_terminal_config_default(rs_terminal_config *c);
/* Checks ranges; the error names the option. */
rs_code rs_terminal_config_check(const rs_terminal_config *c, rs_err *err);
/* One option "key=value" by its name in docs/terminal.md (bools:
 * true|false|on|off|1|0; *_ms in milliseconds; obd_period in seconds, an
 * alias of obd_interval_ms for scenario files).  The error names the key. */
rs_code rs_terminal_config_set(rs_terminal_config *c, const char *kv, rs_err *err);
/* Whether key[0..len) names a terminal option. */
bool rs_terminal_config_has(const char *key, size_t len);

/* --- identity (per terminal) --- */
typedef struct rs_term_ident {
    uint8_t vin[RS_VIN_LEN];
    uint8_t iccid[RS_ICCID_LEN];
    uint8_t chip_id[RS_CHIP_ID_LEN];  /* HJ security chip (§9.2) */
    uint8_t pubkey[RS_PUBKEY_LEN];    /* X || Y */
    rs_sign_fn sign;                  /* HJ 0x02/0x03/0x07 signer; NULL: frames go unsigned */
    void *sign_ctx;
} rs_term_ident;

/* --- OBD snapshot: an rs_obd whose DTC list the snapshot owns --- */
typedef struct rs_term_obd {
    rs_obd obd;                       /* obd.dtc is ignored on input: the list lives in dtc[] */
    uint8_t dtc[4 * RS_TERM_DTC_MAX]; /* 4 bytes per DTC, as sent (§7.13) */
} rs_term_obd;

/* Copies o (its DTC list: o->dtc, 4 * dtc_count bytes; more than
 * RS_TERM_DTC_MAX DTCs are cut and false is returned). */
bool rs_term_obd_set(rs_term_obd *dst, const rs_obd *o);

/* --- output --- */
typedef struct rs_term_frame {
    uint8_t link;          /* rs_term_link */
    uint8_t cmd;           /* command id, for metrics */
    uint8_t n_samples;     /* stream samples carried (reports) */
    uint32_t off, len;     /* bytes in out->buf */
} rs_term_frame;

typedef struct rs_term_out {
    uint8_t *buf;          /* frame bytes, back to back */
    size_t cap, len;
    rs_term_frame frame[RS_TERM_OUT_FRAMES];
    unsigned n;
    uint8_t connect;       /* bit (1 << link): open this link */
    uint8_t close;         /* bit (1 << link): close this link (after sending its frames) */
    int64_t deadline;      /* call rs_terminal_tick() at this time (RS_TERM_NEVER: no timer) */
    uint32_t overflow;     /* frames that did not fit (they are not lost: see docs) */
    rs_msg *scratch;       /* encoder workspace (36 KiB), one per worker */
} rs_term_out;

void rs_term_out_init(rs_term_out *o, uint8_t *buf, size_t cap, rs_msg *scratch);
/* Forgets the frames and requests (after the caller acted on them). */
void rs_term_out_clear(rs_term_out *o);

/* --- statistics --- */
typedef enum rs_term_drop {
    RS_TERM_DROP_OVERFLOW = 0,    /* the reissue store was full: oldest sample dropped */
    RS_TERM_DROP_IGNITION_OFF,    /* sample arrived with ignition off */
    RS_TERM_DROP_ENCODE,          /* the codec refused a packet (should not happen) */
    RS_TERM_DROP_COUNT
} rs_term_drop;

typedef enum rs_term_act_state {
    RS_TERM_ACT_OFF = 0,          /* not configured */
    RS_TERM_ACT_PENDING,          /* trying */
    RS_TERM_ACT_DONE,             /* 0x08 01 00 */
    RS_TERM_ACT_ALREADY,          /* 0x08 02 01: chip already activated, treated as done (S2) */
    RS_TERM_ACT_VIN_ERROR,        /* 0x08 02 02: stopped for this power cycle */
    RS_TERM_ACT_GAVE_UP           /* max tries used without success */
} rs_term_act_state;

typedef struct rs_term_stats {
    uint32_t frames[16];          /* frames written, by command id (0x00-0x0F) */
    uint32_t samples;             /* samples accepted while ignition on */
    uint32_t sent_live;           /* samples sent in 0x02 */
    uint32_t sent_reissue;        /* samples sent in 0x03 */
    uint32_t stored;              /* samples put in the reissue store */
    uint32_t resent;              /* samples put back for reissue after a link broke (resend window) */
    uint32_t dropped[RS_TERM_DROP_COUNT];
    uint32_t backlog;             /* samples in the reissue store now */
    uint32_t values_invalid;      /* values outside their field's range, sent as invalid */
    uint32_t logins, logouts;
    uint32_t timecal_requests, timecal_applied, timecal_ignored;
    uint32_t tamper_alarms;
    uint32_t activation_tries;
    uint32_t echoes;              /* answers received (§5) */
    uint32_t rx_ignored;          /* good frames the terminal has no use for */
    uint32_t rx_errors;           /* reassembly errors (garbage, bad BCC) */
    uint32_t connect_requests;
    uint32_t out_overflow;        /* frames that found the output queue full */
} rs_term_stats;

/* --- the terminal (fields are private; the struct is public so fleets can
 * hold terminals in arrays) --- */
typedef struct rs_term_serial {
    int32_t day;                  /* GMT+8 day of the last serial */
    uint16_t last;                /* 0 before the first of the day */
} rs_term_serial;

typedef struct rs_term_linkst {
    bool connected;
    bool held;                    /* the caller's send queue is backed up (rs_terminal_hold) */
    int64_t next_connect;         /* when to ask for a connection */
    rs_reasm rx;
    uint8_t rxbuf[RS_TERM_RX_BUF];
} rs_term_linkst;

typedef struct rs_term_store {
    uint8_t *mem;
    uint32_t cap, head, count;
    uint16_t rec_size;
} rs_term_store;

typedef struct rs_terminal {
    const rs_profile *profile;
    const rs_terminal_config *cfg;
    rs_term_ident id;
    int64_t skew_ms, cal_ms;      /* clock = now + skew + cal */
    bool ignition, power_lost;
    bool login_sent, logged_in;
    uint16_t login_serial;        /* of the current session: the logout repeats it */
    rs_term_linkst link[RS_TERM_LINK_COUNT];
    rs_term_serial ser_login, ser_report, ser_tamper;
    int64_t next_login, next_timecal, timecal_sent_at, next_tamper, next_reissue, next_act;
    int64_t next_obd;             /* OBD item due in the first packet at or after this */
    bool obd_due;
    bool have_obd, have_pos;
    uint8_t pos_status;
    rs_val lon, lat;
    uint8_t act_state, act_tries;
    uint8_t n_pending;
    bool pending_live;            /* the pending samples were collected while logged in */
    int64_t pending_deadline;     /* partial packet flush */
    uint8_t pending[RS_TERM_PACKET_MAX][RS_TERM_REC_MAX];
    rs_term_obd obd;
    rs_term_store store;
    rs_term_store recent;         /* records sent lately, with their send second (resend window) */
    rs_term_stats stats;
} rs_terminal;

/* Bytes of one compact record under cfg, and the store size for n records
 * (with room for the resend window: two records per second of it). */
size_t rs_terminal_rec_size(const rs_terminal_config *cfg);
size_t rs_terminal_store_bytes(const rs_terminal_config *cfg);

/* store_mem may be NULL when store_bytes is 0 (then every sample collected
 * offline is dropped, and counted).  The store holds
 * store_bytes / rs_terminal_rec_size(cfg) records. */
rs_code rs_terminal_init(rs_terminal *t, const rs_profile *profile, const rs_terminal_config *cfg,
                         const rs_term_ident *id, void *store_mem, size_t store_bytes, rs_err *err);

/* Events.  Each appends to out and sets out->deadline. */
void rs_terminal_tick(rs_terminal *t, int64_t now, rs_term_out *out);
void rs_terminal_connected(rs_terminal *t, int64_t now, rs_term_link link, rs_term_out *out);
void rs_terminal_closed(rs_terminal *t, int64_t now, rs_term_link link, rs_term_out *out);
void rs_terminal_received(rs_terminal *t, int64_t now, rs_term_link link, const uint8_t *data, size_t n,
                          rs_term_out *out);
void rs_terminal_ignition(rs_terminal *t, int64_t now, bool on, rs_term_out *out);
void rs_terminal_ext_power(rs_terminal *t, int64_t now, bool present, rs_term_out *out);
/* Backpressure: the caller's send queue for link is backed up (held) or
 * drained again.  While the platform link is held, samples go to the
 * reissue store instead of live packets and reissue pauses; frames already
 * handed out are the caller's to send.  Releasing resumes reissue. */
void rs_terminal_hold(rs_terminal *t, int64_t now, rs_term_link link, bool held, rs_term_out *out);
/* The clock jumps: skew in ms added to now (kept until the next calibration answer). */
void rs_terminal_set_skew(rs_terminal *t, int64_t now, int64_t skew_ms, rs_term_out *out);
/* One 1 Hz sample; s->collect is ignored (the terminal stamps its own clock).
 * obd may be NULL: the last snapshot stays. */
void rs_terminal_sample(rs_terminal *t, int64_t now, const rs_sample *s, const rs_term_obd *obd,
                        rs_term_out *out);

/* The next time the terminal wants a tick, RS_TERM_NEVER when none. */
int64_t rs_terminal_deadline(const rs_terminal *t);
/* The terminal's clock, in ms since the epoch. */
int64_t rs_terminal_clock(const rs_terminal *t, int64_t now);
const rs_term_stats *rs_terminal_stats(const rs_terminal *t);
const char *rs_term_drop_name(rs_term_drop d);
const char *rs_term_act_name(rs_term_act_state s);

#endif
