/* Bytes from a link: reassembled into frames (rs_reasm over the link's
 * small buffer) and read as answers (§5, §8, §9.3).  Answers are welcome
 * but never required: nothing here is waited on except what the config
 * asks for (login echo, activation answer). */
#include <string.h>

#include "sim/terminal_internal.h"

static void answer(rs_terminal *t, int64_t now, const uint8_t *buf, size_t len, rs_term_out *out)
{
    rs_frame f;
    rs_err err;
    if (rs_frame_parse(t->profile, buf, len, &f, &err, NULL) != RS_OK) {
        t->stats.rx_errors++;
        return;
    }
    /* S2 checks command and VIN; an answer for another vehicle is not ours. */
    if (memcmp(f.vin, t->id.vin, RS_VIN_LEN) != 0) {
        t->stats.rx_ignored++;
        return;
    }
    switch (f.cmd) {
    case RS_CMD_TIMECAL:
        if (f.data_len == RS_TIME_LEN) {
            rs_time tm;
            rs_time_read(&tm, f.data);
            if (rs_time_valid(&tm)) {
                rs_tm_on_timecal_answer(t, now, &tm);
                return;
            }
        }
        t->stats.rx_ignored++;
        return;
    case RS_CMD_LOGIN:
        t->stats.echoes++;
        rs_tm_on_login_echo(t, now, out);
        return;
    case RS_CMD_REALTIME:
    case RS_CMD_REISSUE:
    case RS_CMD_LOGOUT:
    case RS_CMD_TAMPER:
        t->stats.echoes++;
        return;
    case RS_CMD_ACTIVATION_ANS:
        if (f.data_len == 2) {
            rs_tm_on_activation_answer(t, now, f.data[0], f.data[1], out);
            return;
        }
        t->stats.rx_ignored++;
        return;
    default:
        t->stats.rx_ignored++;
        return;
    }
}

void rs_terminal_received(rs_terminal *t, int64_t now, rs_term_link link, const uint8_t *data, size_t n,
                          rs_term_out *out)
{
    rs_reasm *r = &t->link[link].rx;
    while (n) {
        size_t took = rs_reasm_feed(r, data, n);
        data += took;
        n -= took;
        const uint8_t *fr;
        size_t len;
        rs_err err;
        rs_reasm_event ev;
        unsigned events = 0;
        while ((ev = rs_reasm_next(r, &fr, &len, &err)) != RS_REASM_NEED_MORE) {
            events++;
            if (ev == RS_REASM_FRAME)
                answer(t, now, fr, len, out);
            else
                t->stats.rx_errors++;
        }
        if (took == 0 && events == 0) {
            /* Full buffer and nothing to take out: cannot happen with a
             * working reassembler, but never spin on it. */
            t->stats.rx_errors++;
            break;
        }
    }
    rs_tm_step(t, now, out);
}
