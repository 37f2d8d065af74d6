/* The harness's platform (hil_int.h): every connection's bytes through the
 * reassembler, every frame kept with its arrival time (the record the
 * cases read), time calibration and activation answered as the reference
 * endpoint answers them (answer.h), and the frame log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance/hil_int.h"

rs_code hil_plat_init(hil *h, rs_err *err)
{
    h->pmsg = malloc(sizeof *h->pmsg);
    if (!h->pmsg)
        return rs_fail(err, RS_E_SPACE, 0, "platform", "memory for the decoder", 0, 0, RS_NUM_NONE);
    if (h->o->frames_out) {
        if (rs_framelog_open(&h->log, h->o->frames_out, false, RS_MAX_FRAME_LEN, err) != RS_OK)
            return err->code;
        h->log_open = true;
    }
    return RS_OK;
}

void hil_plat_free(hil *h)
{
    for (uint32_t i = 0; i < h->n_conns; i++) {
        free(h->conns[i].rxbuf);
        free(h->conns[i].out);
    }
    for (size_t i = 0; i < h->n_frames; i++)
        free(h->frames[i].bytes);
    free(h->frames);
    free(h->pmsg);
    if (h->log_open) {
        rs_err err;
        rs_framelog_close(&h->log, &err);
        h->log_open = false;
    }
}

/* One entry of the record; len 0 and no bytes: the connection closed. */
static void keep(hil *h, int c, int64_t now, bool down, bool coalesced, const uint8_t *d, size_t n)
{
    if (h->n_frames == h->cap_frames) {
        size_t cap = h->cap_frames ? 2 * h->cap_frames : 256;
        hil_frame *f = realloc(h->frames, cap * sizeof *f);
        if (!f)
            return;
        h->frames = f;
        h->cap_frames = cap;
    }
    uint8_t *copy = NULL;
    if (n && !(copy = malloc(n)))
        return;
    if (n)
        memcpy(copy, d, n);
    hil_frame *f = &h->frames[h->n_frames++];
    f->at_ms = now;
    f->conn = (uint32_t)c;
    f->down = down;
    f->coalesced = coalesced;
    f->len = (uint32_t)n;
    f->bytes = copy;
    if (h->log_open && n) {
        char peer[80];
        snprintf(peer, sizeof peer, "%s%s", down ? ">" : "", h->conns[c].peer);
        rs_framelog_frame(&h->log, now, peer, n >= 21 ? d + 4 : NULL, d, n);
    }
}

int hil_plat_open(hil *h, int64_t now, const char *peer, bool national, int fd)
{
    if (h->n_conns >= HIL_MAX_CONNS)
        return -1;
    int c = (int)h->n_conns;
    hil_conn *k = &h->conns[c];
    memset(k, 0, sizeof *k);
    if (!(k->rxbuf = malloc(HIL_RX_CAP)))
        return -1;
    h->n_conns++;
    k->open = true;
    k->national = national;
    k->fd = fd;
    k->link = -1;
    k->opened_ms = now;
    snprintf(k->peer, sizeof k->peer, "%s", peer);
    rs_reasm_init(&k->rx, &h->setup.profile, k->rxbuf, HIL_RX_CAP);
    h->st->connections++;
    if (h->log_open)
        rs_framelog_event(&h->log, now, k->peer, NULL, "open", national ? "national" : NULL);
    hil_note(h, "connection %d from %s%s", c, peer, national ? " (activation listener)" : "");
    return c;
}

/* What the reference endpoint answers in its timecal mode as the national
 * platform (answer.h): 0x05 with the harness's time (GMT+8), and 0x07 with
 * 08 01 00 on either listener.  Built here rather than with
 * rs_answer_build() because answer.h and conform.h both name an
 * RS_ROLE_PLATFORM. */
static void answer(hil *h, int c, int64_t now, const uint8_t *frame, size_t len)
{
    rs_err err;
    rs_msg *m = h->pmsg;
    const rs_profile *p = &h->setup.profile;
    if (rs_msg_decode(p, frame, len, m, &err) != RS_OK)
        return;
    if (m->kind != RS_MSG_TIMECAL_REQ && m->kind != RS_MSG_ACTIVATION)
        return;
    rs_frame req = m->frame;
    bool timecal = m->kind == RS_MSG_TIMECAL_REQ;
    rs_msg_init(m, p, timecal ? RS_MSG_TIMECAL_ANS : RS_MSG_ACTIVATION_ANS, req.vin);
    m->frame.sw_version = req.sw_version;
    if (timecal) {
        m->u.time = rs_time_from_unix(now / 1000);
    } else {
        m->u.act_ans.status = RS_ACT_OK;
        m->u.act_ans.info = RS_ACT_INFO_NONE;
    }
    uint8_t a[64];
    size_t n = 0;
    if (rs_msg_encode(p, m, a, sizeof a, &n, &err) != RS_OK || !n)
        return;
    keep(h, c, now, true, false, a, n);
    h->st->frames_out++;
    hil_link_down(h, c, now, a, n);
}

void hil_plat_input(hil *h, int c, int64_t now, const uint8_t *d, size_t n)
{
    hil_conn *k = &h->conns[c];
    while (n && k->open) {
        size_t took = rs_reasm_feed(&k->rx, d, n);
        d += took;
        n -= took;
        const uint8_t *frame;
        size_t len;
        rs_err err;
        rs_reasm_event ev;
        while (k->open && (ev = rs_reasm_next(&k->rx, &frame, &len, &err)) != RS_REASM_NEED_MORE) {
            if (ev != RS_REASM_FRAME) {
                if (h->log_open)
                    rs_framelog_reject(&h->log, now, k->peer, NULL, &err, false, NULL, 0);
                continue;
            }
            h->st->frames_in++;
            keep(h, c, now, false, k->rx.feed_frames > 1, frame, len);
            answer(h, c, now, frame, len);
        }
        if (!took)
            break;
    }
}

void hil_plat_closed(hil *h, int c, int64_t now, const char *why)
{
    hil_conn *k = &h->conns[c];
    if (!k->open)
        return;
    k->open = false;
    k->closed_ms = now;
    keep(h, c, now, false, false, NULL, 0);
    if (h->log_open)
        rs_framelog_event(&h->log, now, k->peer, NULL, "close", why);
    hil_note(h, "connection %d closed (%s)", c, why);
}

void hil_plat_close_all(hil *h, int64_t now, const char *why)
{
    for (uint32_t c = 0; c < h->n_conns; c++)
        if (h->conns[c].open) {
            hil_link_drop(h, (int)c, now);
            hil_plat_closed(h, (int)c, now, why);
        }
}

bool hil_plat_refusing(const hil *h)
{
    return h->in_outage;
}
