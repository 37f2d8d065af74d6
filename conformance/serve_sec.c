/* HJ 1239 security on a worker: every accepted frame's signature checked
 * (serve_sig.c), counted in the totals and its VIN's record, a failure
 * written to the frame log; with --role national, the activation decided
 * (serve_act.c) before the answer is built, and handed to rs_answer_build
 * through the activation hook.
 *
 * Verification runs inline, on the frame's worker: about 1-3 thousand per
 * second per core (docs/serve.md, bench/bench_serve_sig.c), far above what
 * a fleet's 10-second packets need, and a frame never waits for another
 * worker. */
#include <stdio.h>
#include <string.h>

#include "conformance/serve_int.h"
#include "conformance/serve_sec.h"

bool serve_sec_worker_init(serve_worker *w)
{
    const serve_plan *pl = w->plan;
    w->answer = pl->o.answer;
    if (!w->answer.activation) { /* an embedding caller's own hook stays */
        w->answer.activation = serve_sec_activation_hook;
        w->answer.activation_ctx = w;
    }
    if (w->p->proto != RS_PROTO_HJ1239)
        return true;
    w->sm2 = rs_sm2_new(NULL);
    return w->sm2 != NULL;
}

void serve_sec_worker_free(serve_worker *w)
{
    rs_sm2_free(w->sm2);
    w->sm2 = NULL;
}

/* "# <time> <peer> <VIN> untrusted signature frame <offset> - <message>":
 * shaped like a rejection line, but the frame above it was accepted (and
 * logged); readers that only know rejections see a plain comment. */
static void log_failure(serve_conn *c, const uint8_t *vin, const serve_sig_result *r, int64_t now_ms)
{
    serve_worker *w = c->w;
    if (!w->have_log)
        return;
    /* The same budget as rejection lines: a flood must not flood the log. */
    uint32_t sec = (uint32_t)ev_now(w->loop);
    if (sec != c->rej_sec) {
        c->rej_sec = sec;
        c->rej_lines = 0;
    }
    if (++c->rej_lines > SERVE_REJECT_LINES_PER_S) {
        w->st.log_suppressed++;
        return;
    }
    char when[RS_FRAMELOG_TIME_LEN + 1], v[18], msg[RS_FRAMELOG_MSG_MAX], line[RS_FRAMELOG_MSG_MAX + 200];
    rs_framelog_time(now_ms, when);
    rs_framelog_vin_text(vin, v);
    rs_err_format(&r->err, msg, sizeof msg);
    snprintf(line, sizeof line, "%s %s %s untrusted signature frame %u - %s (%s)", when, c->peer, v,
             (unsigned)r->err.offset, msg, rs_serve_sig_fail_name((rs_serve_sig_fail)r->reason));
    rs_framelog_comment(&w->log, line);
}

bool serve_sec_on_frame(serve_conn *c, serve_vin_entry *e, const rs_msg *m, int64_t now_ms)
{
    serve_worker *w = c->w;
    const serve_plan *pl = w->plan;
    if (w->p->proto != RS_PROTO_HJ1239) /* only HJ frames are signed, only HJ activates */
        return true;
    serve_sig_result r;
    memset(&r, 0, sizeof r);
    if (pl->o.verify)
        serve_sig_check(w->sm2, pl->keys, w->p, m, &r);
    serve_sig_count(&r, &w->st, e ? &e->pub : NULL);
    if (r.verdict == SERVE_SIG_FAILED)
        log_failure(c, m->frame.vin, &r, now_ms);
    w->act_ready = false;
    if (m->kind == RS_MSG_ACTIVATION && pl->o.answer.role == RS_ROLE_NATIONAL) {
        bool taken;
        rs_serve_act a = serve_act_decide(pl->keys, w->sm2, m, &r, now_ms, pl->o.fault_activation, &w->act_ans,
                                          &taken);
        w->st.activations[a]++;
        if (taken)
            w->st.activation_vin_taken++;
        if (e)
            e->pub.activations[a]++;
        w->act_answer = a != RS_SERVE_ACT_UNANSWERED;
        w->act_ready = true;
    }
    return r.verdict != SERVE_SIG_FAILED;
}

bool serve_sec_activation_hook(void *ctx, const rs_msg *req, rs_activation_ans *ans)
{
    (void)req;
    serve_worker *w = ctx;
    if (!w->act_ready) /* not decided (cannot happen: every 0x07 is) */
        return false;
    w->act_ready = false;
    *ans = w->act_ans;
    return w->act_answer;
}
