/* libFuzzer target: the candump reader on arbitrary text.  Every frame it
 * returns must be a legal CAN frame; errors must name a column inside the
 * line; the reader must always come to the end. */
#include <stdlib.h>

#include "remsim/candump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_err err;
    rs_can_port *p = rs_candump_open_mem((const char *)data, size, size && (data[0] & 1) ? RS_CANDUMP_KEEP_FD : 0,
                                         &err);
    if (!p)
        abort();
    rs_can_frame f;
    size_t guard = 0;
    for (;;) {
        int rc = rs_can_read(p, &f, &err);
        if (rc == RS_CAN_END)
            break;
        if (rc == RS_CAN_OK) {
            if (f.len > RS_CAN_MAX_DLEN)
                abort();
            if (!(f.flags & RS_CAN_EXT) && !(f.flags & RS_CAN_ERR) && f.id > 0x7FF)
                abort();
            if (f.id > 0x1FFFFFFF)
                abort();
        } else if (rc != RS_CAN_ERROR) {
            abort(); /* a memory source never blocks */
        }
        if (++guard > size + 1)
            abort(); /* each read consumes at least one line */
    }
    rs_can_close(p);
    return 0;
}
