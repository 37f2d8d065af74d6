/* Private to the platform suite (conform_platform.h):
 *
 *   platform_net.c     the network driver: connections, non-blocking sends
 *                      with split/delay, receive through the reassembler,
 *                      one poll loop that moves every connection of a case
 *   platform_wire.c    frames the cases send, built with the codec
 *   platform_oracle.c  the oracle: an external command or a Lua hook file
 *   platform_lua.c     the Lua API the case files see
 *   platform_run.c     finding, selecting and running case files, verdicts
 */
#ifndef REMSIM_CONFORMANCE_PLATFORM_INT_H
#define REMSIM_CONFORMANCE_PLATFORM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "remsim/conform.h"
#include "remsim/conform_platform.h"
#include "remsim/msg.h"
#include "remsim/reasm.h"
#include "remsim/sm2.h"
#include "remsim/tls.h"

#define PF_RX_CAP (RS_MAX_FRAME_LEN + 64)   /* a connection's reassembly buffer */
#define PF_MAX_CONNS 4096                    /* open at once in one case */
#define PF_MAX_DECLARED 8
#define PF_ERR_TEXT 256

/* --- the run (one per rs_platform_run) --- */

typedef struct pf_suite {
    const rs_platform_opts *o;
    rs_conf_run *run;
    rs_platform_stats *st;
    rs_profile plat_profile;         /* GB32960-shaped forwarding link (§12.3) */
    char host[256];                  /* of o->target */
    char port[16];
    char plat_host[256], plat_port[16];
    rs_sm2 *sm2;                     /* signing for HJ frames; NULL when unavailable */
    rs_tls_ctx *tls;                 /* NULL: plain TCP */
    lua_State *oracle_L;             /* the --oracle .lua hook, loaded once */
    int oracle_ref;
    uint32_t vin_next;               /* VINs made so far */
    uint32_t vin_base;               /* from the start time: fresh VINs each run */
    char pass_note[RS_CASE_COUNT][RS_CONF_TEXT_MAX];   /* first pass() reason per case */
    rs_msg *scratch;                 /* decode and encode scratch (36 KiB) */
} pf_suite;

/* --- a connection --- */

typedef struct pf_conn {
    struct pf_case *cs;
    struct pf_conn *next, *prev;     /* the case's list */
    int fd;
    rs_tls_conn *tls;
    const rs_profile *profile;       /* how its frames are read */
    bool eof, reset, closed;         /* peer closed; reset; closed by us */
    int err_no;                      /* last socket error */
    char peer[96], local[96];
    /* pending output: bytes sent in chunks of `split` with `delay_ms` between */
    uint8_t *out;
    size_t out_len, out_off, out_cap;
    unsigned split;                  /* 0: as much as the socket takes */
    unsigned delay_ms;
    int64_t next_send_ms;
    size_t chunk_left;               /* bytes of the current chunk still to write */
    /* input */
    uint8_t *rx;
    rs_reasm reasm;
    int64_t last_read_ms;
    int64_t last_send_ms;            /* when the last byte went out */
    uint64_t frames_in, bytes_in, bytes_out, garbage_in;
} pf_conn;

/* --- the case file running --- */

typedef struct pf_case {
    pf_suite *s;
    lua_State *L;
    const char *file;                /* base name */
    int64_t deadline_ms;             /* monotonic */
    unsigned timeout_ms;
    bool timed_out;
    rs_case_id declared[PF_MAX_DECLARED];
    unsigned n_declared;
    rs_case_id current;
    bool recorded[RS_CASE_COUNT];    /* this file said something about the case */
    pf_conn *conns;
    unsigned n_conns;
} pf_case;

/* platform_net.c */
int64_t pf_mono_ms(void);
int64_t pf_wall_ms(void);
/* Connects (blocking up to the case deadline and timeout_ms), TCP_NODELAY,
 * TLS when the suite has it and tls is true.  NULL with why filled. */
pf_conn *pf_conn_open(pf_case *cs, const char *host, const char *port, const rs_profile *p, bool tls,
                      unsigned timeout_ms, char *why, size_t why_cap);
/* Queues bytes: split 0 = as they are (one write when the socket takes
 * them), else chunks of `split` bytes, delay_ms apart.  false when the
 * connection is closed or broken (why says so). */
bool pf_conn_queue(pf_conn *c, const uint8_t *p, size_t n, unsigned split, unsigned delay_ms, char *why,
                   size_t why_cap);
/* Moves every connection of the case until `until` says stop or the time
 * (monotonic ms) comes; returns false when the case deadline stopped it. */
typedef bool (*pf_until_fn)(void *ctx);
bool pf_pump(pf_case *cs, int64_t until_ms, pf_until_fn until, void *ctx);
/* Waits until the connection's output is written (true) or broke. */
bool pf_conn_flush(pf_conn *c, int64_t until_ms);
/* The next frame (or stream error) received, waiting until until_ms.
 *   1 frame in *f and *len (valid until the next call); 0 timeout;
 *  -1 the connection ended (eof/reset) with nothing more; 2 bytes rejected
 *     by the reassembler (*err) */
int pf_conn_recv(pf_conn *c, int64_t until_ms, const uint8_t **f, size_t *len, rs_err *err);
void pf_conn_close(pf_conn *c);
void pf_case_close_all(pf_case *cs);
const char *pf_conn_state(const pf_conn *c);   /* "open", "closed by the platform", "reset", ... */

/* platform_wire.c: each builder encodes one frame into a pf_built and
 * returns true, or false with why filled. */
#define PF_FRAME_CAP 4096            /* the largest frame a builder makes (a 10-sample HJ report is ~1 KB) */
typedef struct pf_built {
    uint8_t b[PF_FRAME_CAP];
    size_t len;
    char why[PF_ERR_TEXT];
} pf_built;
typedef struct pf_report_spec {
    uint8_t cmd;                     /* 0x02 or 0x03 */
    int64_t first_s;                 /* collect time of the first sample (Unix s) */
    unsigned samples;                /* 1..10 */
    uint16_t serial;
    bool obd;                        /* an OBD item first */
    double speed;                    /* km/h of every sample */
} pf_report_spec;
bool pf_wire_login(pf_suite *s, const uint8_t vin[RS_VIN_LEN], uint16_t serial, int64_t t_s, pf_built *out);
bool pf_wire_logout(pf_suite *s, const uint8_t vin[RS_VIN_LEN], uint16_t serial, int64_t t_s, pf_built *out);
bool pf_wire_report(pf_suite *s, const uint8_t vin[RS_VIN_LEN], const pf_report_spec *r, pf_built *out);
bool pf_wire_timecal(pf_suite *s, const uint8_t vin[RS_VIN_LEN], pf_built *out);
bool pf_wire_heartbeat(pf_suite *s, const uint8_t vin[RS_VIN_LEN], pf_built *out);
typedef struct pf_act_spec {
    const uint8_t *body_vin;         /* NULL: the header VIN */
    uint8_t chip[RS_CHIP_ID_LEN];
    uint64_t key_seed;               /* SM2 key from (seed, VIN) */
    bool no_sig;
} pf_act_spec;
bool pf_wire_activation(pf_suite *s, const uint8_t vin[RS_VIN_LEN], const pf_act_spec *a, int64_t t_s,
                        pf_built *out);
bool pf_wire_plat_login(pf_suite *s, const char *id, uint16_t serial, const char *user, const char *password,
                        int64_t t_s, pf_built *out);
/* Any command with any data unit, sealed under profile p (unknown commands). */
bool pf_wire_frame(const rs_profile *p, uint8_t cmd, uint8_t resp, const uint8_t vin[RS_VIN_LEN],
                   const uint8_t *data, size_t n, uint8_t *out, size_t cap, size_t *len, char *why, size_t wcap);
/* A fresh valid VIN for this run (rs_vin_make over the prefix). */
void pf_wire_vin(pf_suite *s, uint8_t vin[RS_VIN_LEN]);
/* The SM2 key a played HJ terminal signs with, from (seed, VIN). */
bool pf_wire_key(pf_suite *s, const uint8_t vin[RS_VIN_LEN], const uint8_t chip[RS_CHIP_ID_LEN], uint64_t seed,
                 rs_sm2_key *k);

/* platform_oracle.c */
rs_code pf_oracle_open(pf_suite *s, rs_err *err, char *why, size_t why_cap);
void pf_oracle_close(pf_suite *s);
/* Pushes the answer (a Lua value) for the query at stack index q of L, or
 * nil and a reason.  Returns the number of values pushed (1 or 2). */
int pf_oracle_query(pf_suite *s, lua_State *L, int q);
/* Lua <-> JSON, shared with the tests. */
bool pf_lua_to_json(lua_State *L, int idx, char *buf, size_t cap, char *why, size_t why_cap);
bool pf_json_to_lua(lua_State *L, const char *text, size_t len, char *why, size_t why_cap);

/* platform_lua.c */
/* Opens the sandboxed libraries and the API into cs->L. */
void pf_lua_open(pf_case *cs, const char *dir);
/* Records a verdict for case id from C or Lua: kind 'p' pass, 'f' fail,
 * 'n' not applicable, 's' skip. */
void pf_verdict(pf_case *cs, rs_case_id id, char kind, const char *reason, const rs_conf_ref *ref);

#endif
