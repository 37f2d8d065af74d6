/* Private to sim/terminal*.c: compact records, the reissue store, frame
 * output and the clock.  Split so each file keeps one job. */
#ifndef REMSIM_SIM_TERMINAL_INTERNAL_H
#define REMSIM_SIM_TERMINAL_INTERNAL_H

#include "remsim/terminal.h"

/* Compact record: what the terminal keeps of one sample between its
 * collection and its packet (and in the reissue store).  Wire-encoded raw
 * bodies, so a sample costs 45 or 70 bytes instead of a 560-byte rs_sample,
 * and re-encoding it later is exact.
 *   0  u32  collect time, Unix seconds of the terminal clock
 *   4  u16  serial of the record's first item (GB per-item serial; HJ packet serial)
 *   6  u8   stream type (0x02, 0x03, 0x05)
 *   7  u8   flags: REC_HYBRID, REC_SUPPLEMENT
 *   8  u8   send offset: seconds from this collect time to the forming of
 *           the record's packet (its HJ send time), 0..255; what an
 *           "original" reissue sends again (reissue_style)
 *   9  37   stream body (30/32/37 bytes used)
 *   46 8    hybrid body (71-byte records only)
 *   54 17   supplement body (71-byte records only) */
enum { REC_HYBRID = 1, REC_SUPPLEMENT = 2 };
#define REC_HDR 9
#define REC_OFF_HYBRID 46
#define REC_OFF_SUPPLEMENT 54
#define REC_SIZE_SHORT 46
#define REC_SIZE_FULL 71

uint32_t rs_tm_rec_collect(const uint8_t *rec);
uint16_t rs_tm_rec_serial(const uint8_t *rec);
void rs_tm_rec_set_serial(uint8_t *rec, uint16_t serial);
/* The record's packet was formed at terminal second formed_s (clamped to
 * the byte), and the send second that gives back. */
void rs_tm_rec_set_formed(uint8_t *rec, int64_t formed_s);
uint32_t rs_tm_rec_formed(const uint8_t *rec);
/* Items the record turns into (1..3). */
unsigned rs_tm_rec_n_items(const uint8_t *rec);
/* Sample -> record.  Values outside their field's range become invalid
 * markers; *n_invalid counts them. */
void rs_tm_rec_encode(const rs_profile *p, const rs_sample *s, uint32_t collect, uint8_t *rec, size_t rec_size,
                      uint32_t *n_invalid);
/* Record -> items for the encoder (stream, then hybrid, then supplement).
 * GB serials: per_item ? serial + k : serial. */
unsigned rs_tm_rec_items(const rs_profile *p, const uint8_t *rec, bool per_item, rs_item *items);
/* Copies a record between sizes (extras dropped when dst is short). */
void rs_tm_rec_copy(uint8_t *dst, size_t dst_size, const uint8_t *src);

/* The reissue store: a ring of records, oldest first. */
size_t rs_tm_recent_records(const rs_terminal_config *cfg);
size_t rs_tm_recent_bytes(const rs_terminal_config *cfg);
void rs_tm_store_init(rs_term_store *s, void *mem, size_t bytes, uint16_t rec_size);
/* Appends; when full the oldest goes first and true is returned. */
bool rs_tm_store_push(rs_term_store *s, const uint8_t *rec);
const uint8_t *rs_tm_store_at(const rs_term_store *s, uint32_t i);
void rs_tm_store_pop(rs_term_store *s, uint32_t n);

/* Clock and serials. */
int64_t rs_tm_clock_s(const rs_terminal *t, int64_t now);
uint16_t rs_tm_serial_next(rs_term_serial *c, int64_t unix_s);
uint16_t rs_tm_serial_add(uint16_t serial, unsigned k);

/* Output: encodes m (signed when sign is set and the terminal has a signer)
 * into out.  RS_E_SPACE when the queue is full (counted), another code
 * when the codec refused. */
rs_code rs_tm_emit(rs_terminal *t, rs_term_out *out, rs_term_link link, const rs_msg *m, bool sign,
                uint8_t n_samples);
bool rs_tm_send_login(rs_terminal *t, int64_t now, rs_term_out *out);
bool rs_tm_send_logout(rs_terminal *t, int64_t now, rs_term_out *out);
bool rs_tm_send_timecal(rs_terminal *t, int64_t now, rs_term_out *out);
bool rs_tm_send_tamper(rs_terminal *t, int64_t now, rs_term_out *out);
bool rs_tm_send_activation(rs_terminal *t, int64_t now, rs_term_out *out);
/* A report from n records (cmd 0x02 or 0x03); with_obd adds the OBD item first. */
rs_code rs_tm_send_report(rs_terminal *t, int64_t now, rs_term_out *out, uint8_t cmd, const uint8_t *const *recs,
                       unsigned n, bool with_obd);
/* The same with the HJ send time given (an "original" reissue repeats the
 * packet's first send time, so the signed bytes are the same again). */
rs_code rs_tm_send_report_at(rs_terminal *t, rs_term_out *out, uint8_t cmd,
                             const uint8_t *const *recs, unsigned n, bool with_obd, int64_t send_s);

/* Answers (terminal_rx.c) call back into the machine. */
void rs_tm_on_login_echo(rs_terminal *t, int64_t now, rs_term_out *out);
void rs_tm_on_activation_answer(rs_terminal *t, int64_t now, uint8_t status, uint8_t info, rs_term_out *out);
void rs_tm_on_timecal_answer(rs_terminal *t, int64_t now, const rs_time *tm);
/* Runs due timers and sets out->deadline: every event ends with it. */
void rs_tm_step(rs_terminal *t, int64_t now, rs_term_out *out);

#endif
