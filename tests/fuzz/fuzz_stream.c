/* libFuzzer target: the stream decoder end to end.
 *
 * Byte 0 picks the profile and its tolerances, byte 1 the chunk size; the
 * rest is a TCP byte stream.  Every frame the reassembler returns is
 * decoded; a frame that decodes cleanly (no warning) must re-encode to
 * exactly the same bytes.  Sanitizers catch the rest. */
#include <stdlib.h>
#include <string.h>

#include "remsim/msg.h"
#include "remsim/reasm.h"

static uint8_t rbuf[RS_MAX_FRAME_LEN];
static uint8_t out[RS_MAX_FRAME_LEN];
static rs_msg msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    rs_profile p;
    rs_profile_init(&p, (rs_proto)(data[0] % RS_PROTO_COUNT));
    p.s6_variant = data[0] & 0x10;
    p.strict = data[0] & 0x20;
    size_t chunk = (size_t)data[1] + 1;
    data += 2;
    size -= 2;

    rs_reasm r;
    rs_reasm_init(&r, &p, rbuf, (data[-1] & 1) ? 512 : sizeof rbuf);
    size_t pos = 0;
    for (;;) {
        const uint8_t *f;
        size_t fl;
        rs_err err;
        rs_reasm_event ev;
        while ((ev = rs_reasm_next(&r, &f, &fl, &err)) != RS_REASM_NEED_MORE) {
            if (ev != RS_REASM_FRAME)
                continue;
            if (rs_msg_decode(&p, f, fl, &msg, &err) != RS_OK) {
                char text[512];
                rs_err_format(&err, text, sizeof text);
                continue;
            }
            if (msg.n_warn_total)
                continue;
            size_t len = 0;
            if (rs_msg_encode(&p, &msg, out, sizeof out, &len, &err) != RS_OK || len != fl ||
                memcmp(out, f, fl) != 0)
                abort(); /* a clean decode must round-trip */
        }
        if (pos >= size)
            break;
        size_t take = chunk < size - pos ? chunk : size - pos;
        pos += rs_reasm_feed(&r, data + pos, take);
    }
    rs_err err;
    rs_reasm_finish(&r, &err);
    if (r.consumed != size)
        abort(); /* every byte is a frame or counted as skipped */
    return 0;
}
