/* The conformance result document (conform.h, docs/conformance.md). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "remsim/conform.h"
#include "remsim/framelog.h"

static const char *tol_name(uint8_t t)
{
    static const char *const n[] = { "accept", "warn", "reject" };
    return t < 3 ? n[t] : "unknown";
}

static void profile_json(rs_json *j, const rs_profile *p)
{
    rs_json_obj_begin(j);
    rs_json_kstr(j, "name", rs_proto_name(p->proto));
    rs_json_kbool(j, "strict", p->strict);
    rs_json_key(j, "tolerances");
    rs_json_obj_begin(j);
    /* as applied: --strict turns every tolerance into reject */
    rs_json_kstr(j, "hash_in_hj", tol_name(rs_tol(p, p->hash_in_hj)));
    rs_json_kstr(j, "vin_check", tol_name(rs_tol(p, p->vin_check)));
    rs_json_kstr(j, "time_check", tol_name(rs_tol(p, p->time_check)));
    rs_json_kstr(j, "range_check", tol_name(rs_tol(p, p->range_check)));
    rs_json_kstr(j, "string_check", tol_name(rs_tol(p, p->string_check)));
    rs_json_kstr(j, "unknown_cmd", tol_name(rs_tol(p, p->unknown_cmd)));
    rs_json_kstr(j, "sig_missing", tol_name(rs_tol(p, p->sig_missing)));
    rs_json_kbool(j, "s6_variant", p->s6_variant);
    rs_json_obj_end(j);
    rs_json_obj_end(j);
}

static void time_text(rs_json *j, const char *key, int64_t ms)
{
    char t[RS_FRAMELOG_TIME_LEN + 1];
    if (ms <= 0) {
        rs_json_key(j, key);
        rs_json_null(j);
        return;
    }
    rs_framelog_time(ms, t);
    rs_json_kstr(j, key, t);
}

static void ref_json(rs_json *j, const rs_conf_ref *r)
{
    rs_json_kstr(j, "source", r->source);
    rs_json_kuint(j, "line", r->line);
    rs_json_kuint(j, "packet", r->packet);
    rs_json_kuint(j, "offset", r->offset);
    time_text(j, "time", r->time_ms);
    rs_json_kstr(j, "vin", r->vin);
    rs_json_kuint(j, "frame_len", r->frame_len);
    rs_json_khex(j, "hex", r->bytes, r->n);
    rs_json_kbool(j, "truncated", r->n < r->frame_len);
}

static void case_ids(rs_json *j, const char *key, const uint64_t *words)
{
    rs_json_key(j, key);
    rs_json_inline_next(j);
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++)
        if (words[i / 64] >> (i % 64) & 1)
            rs_json_str(j, rs_conf_case_get((rs_case_id)i)->id);
    rs_json_arr_end(j);
}

static void cases_json(rs_json *j, const rs_conf_run *run)
{
    rs_json_key(j, "cases");
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        const rs_conf_case_result *c = &run->cases[i];
        const rs_conf_case *d = rs_conf_case_get(c->id);
        rs_json_obj_begin(j);
        rs_json_kstr(j, "id", d->id);
        rs_json_kstr(j, "title", d->title);
        rs_json_kstr(j, "clause", d->clause);
        rs_json_kstr(j, "severity", rs_severity_name(rs_conf_severity(run, c->id)));
        rs_json_kstr(j, "verdict", rs_verdict_name(c->verdict));
        rs_json_kstr(j, "reason", c->reason);
        rs_json_kstr(j, "checks", d->checks);
        rs_json_kuint(j, "exercised", c->exercised);
        rs_json_kuint(j, "errors", c->n_sev[RS_SEV_ERROR]);
        rs_json_kuint(j, "warnings", c->n_sev[RS_SEV_WARN]);
        rs_json_kuint(j, "infos", c->n_sev[RS_SEV_INFO]);
        rs_json_kuint(j, "vins_failed", c->vins_failed);
        rs_json_key(j, "evidence");
        rs_json_arr_begin(j);
        for (unsigned k = 0; k < c->n_evidence; k++) {
            const rs_conf_finding *f = &c->evidence[k];
            rs_json_obj_begin(j);
            rs_json_kstr(j, "severity", rs_severity_name((rs_severity)f->severity));
            rs_json_kstr(j, "text", f->text);
            ref_json(j, &f->ref);
            rs_json_obj_end(j);
        }
        rs_json_arr_end(j);
        rs_json_obj_end(j);
    }
    rs_json_arr_end(j);
}

static void vins_json(rs_json *j, const rs_conf_run *run)
{
    rs_json_key(j, "vins");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "count", run->n_vins);
    rs_json_kuint(j, "passed", run->vins_by_verdict[0]);
    rs_json_kuint(j, "failed", run->vins_by_verdict[1]);
    rs_json_key(j, "list");
    rs_json_arr_begin(j);
    for (uint32_t i = 0; i < run->n_vins; i++) {
        const rs_conf_vin *v = &run->vins[i];
        rs_json_inline_next(j);
        rs_json_obj_begin(j);
        rs_json_kstr(j, "vin", v->vin);
        rs_json_kstr(j, "verdict", rs_verdict_name(v->verdict));
        rs_json_kuint(j, "frames", v->frames);
        rs_json_kuint(j, "errors", v->n_sev[RS_SEV_ERROR]);
        rs_json_kuint(j, "warnings", v->n_sev[RS_SEV_WARN]);
        rs_json_kuint(j, "infos", v->n_sev[RS_SEV_INFO]);
        case_ids(j, "failed_cases", v->failed_cases);
        case_ids(j, "warned_cases", v->warned_cases);
        rs_json_obj_end(j);
    }
    rs_json_arr_end(j);
    rs_json_obj_end(j);
}

static void traffic_json(rs_json *j, const rs_conf_traffic *t)
{
    rs_json_key(j, "traffic");
    rs_json_obj_begin(j);
    rs_json_kuint(j, "frames", t->frames);
    rs_json_kuint(j, "bytes", t->bytes);
    rs_json_kuint(j, "downlink_frames", t->downlink_frames);
    rs_json_kuint(j, "connections", t->connections);
    rs_json_key(j, "frames_by_command");
    rs_json_inline_next(j);
    rs_json_obj_begin(j);
    for (unsigned c = 0; c < 256; c++)
        if (t->frames_by_cmd[c]) {
            char k[8];
            snprintf(k, sizeof k, "0x%02X", c);
            rs_json_kuint(j, k, t->frames_by_cmd[c]);
        }
    rs_json_obj_end(j);
    rs_json_key(j, "packet_interval");
    rs_hist_json(j, &t->packet_interval);
    rs_json_key(j, "answer_latency");
    rs_hist_json(j, &t->answer_latency);
    rs_json_key(j, "series");
    rs_series_json(j, &t->series);
    rs_json_obj_end(j);
}

void rs_conf_json(rs_json *j, const rs_conf_run *run)
{
    rs_json_obj_begin(j);
    rs_json_kstr(j, "format", RS_CONF_FORMAT);
    rs_json_kint(j, "version", RS_CONF_VERSION);
    rs_json_kstr(j, "tool_version", run->tool_version);
    rs_json_kstr(j, "command_line", run->command_line);
    rs_json_kstr(j, "role", rs_conf_role_name(run->role));
    rs_json_key(j, "profile");
    profile_json(j, &run->profile);
    rs_json_key(j, "inputs");
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < run->n_inputs; i++)
        rs_json_str(j, run->inputs[i]);
    rs_json_arr_end(j);
    time_text(j, "start", run->start_ms);
    time_text(j, "end", run->end_ms);
    rs_json_kint(j, "start_ms", run->start_ms);
    rs_json_kint(j, "end_ms", run->end_ms);
    rs_json_kstr(j, "verdict", rs_conf_exit_code(run) ? "fail" : "pass");
    rs_json_key(j, "counts");
    rs_json_inline_next(j);
    rs_json_obj_begin(j);
    for (unsigned v = 0; v < RS_VERDICT_COUNT; v++)
        rs_json_kuint(j, rs_verdict_name((rs_verdict)v), run->counts[v]);
    rs_json_obj_end(j);
    rs_json_kuint(j, "findings_not_kept", run->findings_dropped);
    cases_json(j, run);
    vins_json(j, run);
    traffic_json(j, &run->traffic);
    rs_json_obj_end(j);
}

rs_code rs_conf_save(const rs_conf_run *run, const char *path, rs_err *err)
{
    bool out = !strcmp(path, "-");
    FILE *f = out ? stdout : fopen(path, "w");
    if (!f)
        return rs_fail(err, RS_E_IO, 0, path, "the result file can be written", errno, 0, RS_NUM_GOT_ONLY);
    rs_json j;
    rs_json_init_file(&j, f, true);
    rs_conf_json(&j, run);
    fputc('\n', f);
    rs_code rc = rs_json_status(&j, err);
    if (!out && fclose(f) != 0 && rc == RS_OK)
        rc = rs_fail(err, RS_E_IO, 0, path, "the result file can be written", errno, 0, RS_NUM_GOT_ONLY);
    return rc;
}
