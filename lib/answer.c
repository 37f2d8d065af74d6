/* Answers (§5, §8, §9.3): a header copied from the request, a data unit of
 * at most 6 bytes written in place, rs_frame_seal() around it. */
#include "remsim/answer.h"

#include <string.h>

#include "remsim/time.h"

void rs_answer_cfg_init(rs_answer_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->mode = RS_ANSWER_TIMECAL;
    c->role = RS_ROLE_PLATFORM;
}

static const char *const mode_names[] = { "none", "timecal", "echo" };
static const char *const role_names[] = { "platform", "national" };

bool rs_answer_mode_parse(const char *name, rs_answer_mode *out)
{
    for (unsigned i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (!strcmp(name, mode_names[i])) {
            *out = (rs_answer_mode)i;
            return true;
        }
    return false;
}

const char *rs_answer_mode_name(rs_answer_mode m)
{
    return (unsigned)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "?";
}

bool rs_answer_role_parse(const char *name, rs_answer_role *out)
{
    for (unsigned i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (!strcmp(name, role_names[i])) {
            *out = (rs_answer_role)i;
            return true;
        }
    return false;
}

const char *rs_answer_role_name(rs_answer_role r)
{
    return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "?";
}

/* What goes in the data unit. */
typedef enum what {
    NOTHING = 0,
    REQ_TIME,    /* the request's first 6 data bytes */
    NOW_TIME,    /* the current time */
    ACT_STATUS   /* status, info */
} what;

static what terminal_answer(const rs_answer_cfg *c, const rs_msg *req, uint8_t *cmd)
{
    *cmd = req->frame.cmd;
    switch ((rs_msg_kind)req->kind) {
    case RS_MSG_TIMECAL_REQ:
        return NOW_TIME;
    case RS_MSG_LOGIN:
    case RS_MSG_REPORT:
    case RS_MSG_LOGOUT:
    case RS_MSG_TAMPER:
        return c->mode == RS_ANSWER_ECHO ? REQ_TIME : NOTHING;
    case RS_MSG_ACTIVATION:
        *cmd = RS_CMD_ACTIVATION_ANS;
        return c->role == RS_ROLE_NATIONAL ? ACT_STATUS : NOTHING;
    default:
        return NOTHING; /* answers, opaque and vendor bodies */
    }
}

static what gb32960_answer(const rs_msg *req)
{
    if (req->frame.resp != RS_RESP_REQUEST)
        return NOTHING;
    switch ((rs_msg_kind)req->kind) {
    case RS_MSG_HEARTBEAT:
    case RS_MSG_TIMECAL_REQ:
        return NOW_TIME;
    case RS_MSG_LOGIN:
    case RS_MSG_EV_REPORT:
    case RS_MSG_LOGOUT:
    case RS_MSG_PLAT_LOGIN:
    case RS_MSG_PLAT_LOGOUT:
        return REQ_TIME;
    default:
        return NOTHING;
    }
}

static rs_code seal(const rs_profile *p, const rs_answer_cfg *c, const rs_frame *req, uint8_t cmd, uint8_t resp,
                    uint8_t *out, size_t cap, size_t data_len, size_t *len, rs_err *err)
{
    rs_frame hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.start[0] = req->start[0];
    hdr.start[1] = req->start[1];
    hdr.cmd = c->wrong_cmd ? (uint8_t)(cmd + 0x10) : cmd;
    hdr.resp = resp;
    memcpy(hdr.vin, req->vin, RS_VIN_LEN);
    hdr.sw_version = req->sw_version;
    hdr.encryption = 0x01;
    return rs_frame_seal(p, &hdr, out, cap, data_len, len, err);
}

rs_code rs_answer_build(const rs_profile *p, const rs_answer_cfg *c, const rs_msg *req, int64_t now_ms,
                        uint8_t *out, size_t cap, size_t *len, rs_err *err)
{
    *len = 0;
    if (cap < RS_ANSWER_MAX_LEN)
        return rs_fail(err, RS_E_SPACE, 0, "answer", "answer buffer holds RS_ANSWER_MAX_LEN bytes",
                       (long long)cap, RS_ANSWER_MAX_LEN, RS_NUM_DEC);
    if (c->mode == RS_ANSWER_NONE)
        return RS_OK;
    bool gb32960 = p->proto == RS_PROTO_GB32960;
    uint8_t cmd = req->frame.cmd;
    what w = gb32960 ? gb32960_answer(req) : terminal_answer(c, req, &cmd);
    uint8_t *data = out + RS_HEADER_LEN;
    size_t n = 0;
    switch (w) {
    case NOTHING:
        return RS_OK;
    case REQ_TIME:
        if (req->frame.data_len < RS_TIME_LEN)
            return RS_OK;
        memcpy(data, req->frame.data, RS_TIME_LEN);
        n = RS_TIME_LEN;
        break;
    case NOW_TIME: {
        /* Floor division: the second that has begun, also before 1970. */
        int64_t s = now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
        rs_time t = rs_time_from_unix(s + c->time_offset_s);
        rs_time_write(&t, data);
        n = RS_TIME_LEN;
        break;
    }
    case ACT_STATUS: {
        rs_activation_ans a = { RS_ACT_OK, RS_ACT_INFO_NONE };
        if (c->activation && !c->activation(c->activation_ctx, req, &a))
            return RS_OK;
        data[0] = a.status;
        data[1] = a.info;
        n = 2;
        break;
    }
    }
    return seal(p, c, &req->frame, cmd, gb32960 ? RS_RESP_SUCCESS : 0, out, cap, n, len, err);
}

rs_code rs_answer_reject(const rs_profile *p, const rs_answer_cfg *c, const rs_frame *req, uint8_t *out,
                         size_t cap, size_t *len, rs_err *err)
{
    *len = 0;
    if (cap < RS_ANSWER_MAX_LEN)
        return rs_fail(err, RS_E_SPACE, 0, "answer", "answer buffer holds RS_ANSWER_MAX_LEN bytes",
                       (long long)cap, RS_ANSWER_MAX_LEN, RS_NUM_DEC);
    if (p->proto != RS_PROTO_GB32960 || c->mode == RS_ANSWER_NONE || req->resp != RS_RESP_REQUEST ||
        req->data_len < RS_TIME_LEN || !req->data)
        return RS_OK;
    memcpy(out + RS_HEADER_LEN, req->data, RS_TIME_LEN);
    return seal(p, c, req, req->cmd, RS_RESP_ERROR, out, cap, RS_TIME_LEN, len, err);
}
