/* Counters: names, the shared page, sums, and their views (the summary
 * JSON, the text summary, the progress line). */
#include <inttypes.h>
#include <string.h>

#include "conformance/serve_int.h"
#include "remsim/time.h"

_Static_assert(sizeof(rs_serve_totals) % sizeof(uint64_t) == 0, "totals are whole words");

static const char *const close_names[RS_SERVE_CLOSE_COUNT] = {
    "peer_closed", "reset", "idle", "rate_limit", "fault", "shutdown", "tls_failed",
};
static const char *const refuse_names[RS_SERVE_REFUSE_COUNT] = { "over_limit", "no_descriptor" };
static const char *const finding_names[RS_SERVE_FIND_COUNT] = {
    "login_serial", "logout_serial", "report_serial", "no_session", "tamper_serial",
};

const char *rs_serve_close_name(rs_serve_close c)
{
    return (unsigned)c < RS_SERVE_CLOSE_COUNT ? close_names[c] : "?";
}

const char *rs_serve_refuse_name(rs_serve_refuse r)
{
    return (unsigned)r < RS_SERVE_REFUSE_COUNT ? refuse_names[r] : "?";
}

const char *rs_serve_finding_name(rs_serve_finding f)
{
    return (unsigned)f < RS_SERVE_FIND_COUNT ? finding_names[f] : "?";
}

void serve_publish(_Atomic uint64_t *slot, const rs_serve_totals *t)
{
    uint64_t v[SERVE_WORDS];
    memcpy(v, t, sizeof v);
    for (size_t i = 0; i < SERVE_WORDS; i++)
        atomic_store_explicit(&slot[i], v[i], memory_order_relaxed);
}

void serve_read_slot(const _Atomic uint64_t *slot, rs_serve_totals *t)
{
    uint64_t v[SERVE_WORDS];
    for (size_t i = 0; i < SERVE_WORDS; i++)
        v[i] = atomic_load_explicit(&slot[i], memory_order_relaxed);
    memcpy(t, v, sizeof v);
}

void serve_totals_add(rs_serve_totals *dst, const rs_serve_totals *src)
{
    uint64_t a[SERVE_WORDS], b[SERVE_WORDS];
    memcpy(a, dst, sizeof a);
    memcpy(b, src, sizeof b);
    for (size_t i = 0; i < SERVE_WORDS; i++)
        a[i] += b[i];
    memcpy(dst, a, sizeof a);
}

/* --- JSON --- */

static void cmd_key(char *buf, unsigned cmd)
{
    static const char hex[] = "0123456789abcdef";
    buf[0] = '0';
    buf[1] = 'x';
    buf[2] = hex[cmd >> 4];
    buf[3] = hex[cmd & 15];
    buf[4] = 0;
}

static void code_counts(rs_json *j, const char *key, const uint64_t *by)
{
    rs_json_key(j, key);
    rs_json_obj_begin(j);
    for (int c = 1; c < RS_E_COUNT; c++)
        if (by[c])
            rs_json_kuint(j, rs_code_name((rs_code)c), by[c]);
    rs_json_obj_end(j);
}

void serve_totals_json(rs_json *j, const rs_serve_totals *t)
{
    rs_json_obj_begin(j);
    rs_json_key(j, "connections");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "accepted", t->conn_accepted);
    rs_json_kuint(j, "open", t->conn_open);
    rs_json_key(j, "refused");
    rs_json_obj_begin(j);
    for (int i = 0; i < RS_SERVE_REFUSE_COUNT; i++)
        rs_json_kuint(j, refuse_names[i], t->conn_refused[i]);
    rs_json_obj_end(j);
    rs_json_key(j, "closed");
    rs_json_obj_begin(j);
    for (int i = 0; i < RS_SERVE_CLOSE_COUNT; i++)
        rs_json_kuint(j, close_names[i], t->conn_closed[i]);
    rs_json_obj_end(j);
    rs_json_obj_end(j);

    rs_json_kuint(j, "bytes_in", t->bytes_in);
    rs_json_kuint(j, "bytes_out", t->bytes_out);
    rs_json_kuint(j, "frames", t->frames);
    rs_json_key(j, "frames_by_command");
    rs_json_obj_begin(j);
    for (unsigned c = 0; c < 256; c++)
        if (t->frames_by_cmd[c]) {
            char k[5];
            cmd_key(k, c);
            rs_json_kuint(j, k, t->frames_by_cmd[c]);
        }
    rs_json_obj_end(j);
    rs_json_kuint(j, "answers", t->answers);
    rs_json_kuint(j, "rejected", t->rejected);
    code_counts(j, "rejected_by_reason", t->rejected_by);
    rs_json_kuint(j, "garbage_bytes", t->garbage_bytes);
    code_counts(j, "warnings", t->warnings_by);
    rs_json_key(j, "findings");
    rs_json_obj_begin(j);
    for (int i = 0; i < RS_SERVE_FIND_COUNT; i++)
        rs_json_kuint(j, finding_names[i], t->findings[i]);
    rs_json_obj_end(j);

    rs_json_key(j, "samples");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "live", t->samples_live);
    rs_json_kuint(j, "reissue", t->samples_reissue);
    rs_json_kuint(j, "untimed", t->samples_untimed);
    rs_json_kuint(j, "distinct", t->samples_distinct);
    rs_json_kuint(j, "duplicates", t->duplicates);
    rs_json_kuint(j, "untrusted", t->samples_untrusted);
    rs_json_obj_end(j);
    rs_json_kuint(j, "vins", t->vins);
    rs_json_kuint(j, "vin_table_bytes", t->vin_bytes);
    rs_json_kuint(j, "fault_dropped", t->fault_dropped);
    rs_json_kuint(j, "read_pauses", t->read_pauses);

    rs_json_key(j, "log");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "lines", t->log_lines);
    rs_json_kuint(j, "bytes", t->log_bytes);
    rs_json_kuint(j, "errors", t->log_errors);
    rs_json_kuint(j, "suppressed", t->log_suppressed);
    rs_json_obj_end(j);

    rs_json_key(j, "forward");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "frames", t->fwd_frames);
    rs_json_kuint(j, "bytes", t->fwd_bytes);
    rs_json_kuint(j, "dropped_backlog_full", t->fwd_dropped);
    rs_json_kuint(j, "connects", t->fwd_connects);
    rs_json_kuint(j, "connect_failures", t->fwd_connect_failures);
    rs_json_kuint(j, "disconnects", t->fwd_disconnects);
    rs_json_kuint(j, "backlog_bytes", t->fwd_backlog);
    rs_json_obj_end(j);

    rs_json_key(j, "tls");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "handshakes", t->tls_handshakes);
    rs_json_kuint(j, "resumed", t->tls_resumed);
    rs_json_kuint(j, "handshake_us_total", t->tls_handshake_us);
    uint64_t failed = 0;
    for (int i = 1; i < RS_TLS_FAIL_COUNT; i++)
        failed += t->tls_failed[i];
    rs_json_kuint(j, "failed", failed);
    rs_json_key(j, "failed_by_reason");
    rs_json_obj_begin(j);
    for (int i = 1; i < RS_TLS_FAIL_COUNT; i++)
        if (t->tls_failed[i])
            rs_json_kuint(j, rs_tls_fail_name((rs_tls_fail)i), t->tls_failed[i]);
    rs_json_obj_end(j);
    rs_json_obj_end(j);
    rs_json_obj_end(j);
}

static void collect_text(rs_json *j, const char *key, int64_t unix_s, bool any)
{
    if (!any) {
        rs_json_key(j, key);
        rs_json_null(j);
        return;
    }
    rs_time t = rs_time_from_unix(unix_s);
    char buf[RS_TIME_TEXT];
    rs_time_format(&t, buf);
    rs_json_kstr(j, key, buf);
}

void serve_vin_json(rs_json *j, const rs_serve_vin *v)
{
    rs_json_obj_begin(j);
    rs_json_kbytes(j, "vin", v->vin, 17);
    rs_json_kuint(j, "logins", v->logins);
    rs_json_kuint(j, "logouts", v->logouts);
    rs_json_key(j, "frames");
    rs_json_obj_begin(j);
    for (unsigned c = 1; c < RS_SERVE_VIN_CMDS; c++)
        if (v->frames[c]) {
            char k[5];
            cmd_key(k, c);
            rs_json_kuint(j, k, v->frames[c]);
        }
    if (v->frames[0])
        rs_json_kuint(j, "other", v->frames[0]);
    rs_json_obj_end(j);
    rs_json_kuint(j, "samples_live", v->samples_live);
    rs_json_kuint(j, "samples_reissue", v->samples_reissue);
    rs_json_kuint(j, "samples_untimed", v->samples_untimed);
    rs_json_kuint(j, "samples_distinct", v->samples_distinct);
    rs_json_kuint(j, "duplicates", v->duplicates);
    rs_json_kuint(j, "rejected", v->rejected);
    rs_json_kuint(j, "findings", v->findings);
    bool any = v->samples_distinct > 0;
    collect_text(j, "first_collect", v->first_collect, any);
    collect_text(j, "last_collect", v->last_collect, any);
    rs_json_kuint(j, "samples_untrusted", v->samples_untrusted);
    rs_json_key(j, "signatures");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "verified", v->sig_verified);
    rs_json_kuint(j, "default_id", v->sig_default_id);
    rs_json_kuint(j, "failed", v->sig_failed);
    rs_json_kuint(j, "unknown_key", v->sig_unknown_key);
    rs_json_kuint(j, "missing", v->sig_missing);
    if (v->sig_fail_reason)
        rs_json_kstr(j, "first_failure", rs_serve_sig_fail_name((rs_serve_sig_fail)v->sig_fail_reason));
    else {
        rs_json_key(j, "first_failure");
        rs_json_null(j);
    }
    rs_json_obj_end(j);
    rs_json_key(j, "activations");
    rs_json_obj_begin(j);
    for (int a = 0; a < RS_SERVE_ACT_COUNT; a++)
        if (v->activations[a])
            rs_json_kuint(j, rs_serve_act_name((rs_serve_act)a), v->activations[a]);
    rs_json_obj_end(j);
    rs_json_obj_end(j);
}

/* --- text --- */

static void by_code_text(FILE *out, const uint64_t *by)
{
    const char *sep = " (";
    for (int c = 1; c < RS_E_COUNT; c++)
        if (by[c]) {
            fprintf(out, "%s%s %" PRIu64, sep, rs_code_name((rs_code)c), by[c]);
            sep = ", ";
        }
    if (sep[0] == ',')
        fputc(')', out);
}

void serve_totals_text(FILE *out, const rs_serve_totals *t, rs_proto proto)
{
    fprintf(out, "  connections  accepted %" PRIu64 ", open %" PRIu64, t->conn_accepted, t->conn_open);
    for (int i = 0; i < RS_SERVE_REFUSE_COUNT; i++)
        if (t->conn_refused[i])
            fprintf(out, ", refused %s %" PRIu64, refuse_names[i], t->conn_refused[i]);
    fprintf(out, "; closed:");
    bool any = false;
    for (int i = 0; i < RS_SERVE_CLOSE_COUNT; i++)
        if (t->conn_closed[i]) {
            fprintf(out, "%s %s %" PRIu64, any ? "," : "", close_names[i], t->conn_closed[i]);
            any = true;
        }
    fprintf(out, "%s\n", any ? "" : " none");
    fprintf(out, "  frames       %" PRIu64, t->frames);
    const char *sep = " (";
    for (unsigned c = 0; c < 256; c++)
        if (t->frames_by_cmd[c]) {
            const char *name = rs_command_name(proto, (uint8_t)c);
            fprintf(out, "%s0x%02X %s %" PRIu64, sep, c, name ? name : "unknown", t->frames_by_cmd[c]);
            sep = ", ";
        }
    fprintf(out, "%s; bytes in %" PRIu64 ", out %" PRIu64 "\n", sep[0] == ',' ? ")" : "", t->bytes_in, t->bytes_out);
    fprintf(out, "  answers      %" PRIu64 "\n", t->answers);
    fprintf(out, "  rejected     %" PRIu64, t->rejected);
    by_code_text(out, t->rejected_by);
    fprintf(out, "; garbage bytes %" PRIu64 "\n", t->garbage_bytes);
    bool warn = false;
    for (int c = 1; c < RS_E_COUNT; c++)
        warn = warn || t->warnings_by[c];
    if (warn) {
        fprintf(out, "  warnings    ");
        by_code_text(out, t->warnings_by);
        fputc('\n', out);
    }
    bool find = false;
    for (int i = 0; i < RS_SERVE_FIND_COUNT; i++)
        find = find || t->findings[i];
    if (find) {
        fprintf(out, "  findings    ");
        for (int i = 0; i < RS_SERVE_FIND_COUNT; i++)
            if (t->findings[i])
                fprintf(out, " %s %" PRIu64, finding_names[i], t->findings[i]);
        fputc('\n', out);
    }
    fprintf(out,
            "  samples      live %" PRIu64 ", reissue %" PRIu64 ", distinct %" PRIu64 ", duplicates %" PRIu64
            ", untimed %" PRIu64 "%s",
            t->samples_live, t->samples_reissue, t->samples_distinct, t->duplicates, t->samples_untimed,
            t->samples_untrusted ? "" : "\n");
    if (t->samples_untrusted)
        fprintf(out, "; UNTRUSTED %" PRIu64 " (signature failed; not in the others)\n", t->samples_untrusted);
    fprintf(out, "  vins         %" PRIu64 " (tables %" PRIu64 " KiB)\n", t->vins, t->vin_bytes / 1024);
    if (t->fault_dropped)
        fprintf(out, "  fault        dropped %" PRIu64 " frames on purpose (--fault drop-every)\n", t->fault_dropped);
    if (t->log_lines || t->log_errors)
        fprintf(out, "  log          %" PRIu64 " lines, %" PRIu64 " bytes, %" PRIu64 " write errors, %" PRIu64
                     " rejection lines suppressed\n",
                t->log_lines, t->log_bytes, t->log_errors, t->log_suppressed);
    if (t->fwd_connects || t->fwd_connect_failures || t->fwd_frames || t->fwd_dropped)
        fprintf(out,
                "  forward      %" PRIu64 " frames, %" PRIu64 " bytes; dropped %" PRIu64 " (backlog full); connects %" PRIu64
                ", failures %" PRIu64 ", disconnects %" PRIu64 "; backlog %" PRIu64 " bytes\n",
                t->fwd_frames, t->fwd_bytes, t->fwd_dropped, t->fwd_connects, t->fwd_connect_failures,
                t->fwd_disconnects, t->fwd_backlog);
    uint64_t tls_failed = 0;
    for (int i = 1; i < RS_TLS_FAIL_COUNT; i++)
        tls_failed += t->tls_failed[i];
    if (t->tls_handshakes || tls_failed) {
        fprintf(out, "  tls          %" PRIu64 " handshakes (%" PRIu64 " resumed, mean %.2f ms); failed %" PRIu64,
                t->tls_handshakes, t->tls_resumed,
                t->tls_handshakes ? (double)t->tls_handshake_us / (double)t->tls_handshakes / 1000.0 : 0.0, tls_failed);
        const char *tsep = " (";
        for (int i = 1; i < RS_TLS_FAIL_COUNT; i++)
            if (t->tls_failed[i]) {
                fprintf(out, "%s%s %" PRIu64, tsep, rs_tls_fail_name((rs_tls_fail)i), t->tls_failed[i]);
                tsep = ", ";
            }
        fprintf(out, "%s\n", tsep[0] == ',' ? ")" : "");
    }
}

void rs_serve_progress_line(const rs_serve_totals *now, const rs_serve_totals *before, double dt, double elapsed,
                            FILE *out)
{
    double rate = dt > 0 && now->frames >= before->frames ? (double)(now->frames - before->frames) / dt : 0;
    fprintf(out,
            "serve %7.1fs  open %" PRIu64 "  accepted %" PRIu64 "  frames %" PRIu64 " (%.0f/s)  samples %" PRIu64
            "  answers %" PRIu64 "  rejected %" PRIu64 "  vins %" PRIu64 "\n",
            elapsed, now->conn_open, now->conn_accepted, now->frames, rate, now->samples_live + now->samples_reissue,
            now->answers, now->rejected, now->vins);
}
