/* Bytes between the platform and the virtual terminal (hil_int.h).  In
 * virtual time a link is a pair of calls in process: a connect is granted
 * at once unless the harness is in its outage (then refused, as a closed
 * listener refuses).  In real time every byte goes over TCP (hil_net.c),
 * a hardware terminal's and the virtual terminal's alike. */
#include <string.h>

#include "conformance/hil_int.h"

void hil_link_down(hil *h, int c, int64_t now, const uint8_t *d, size_t n)
{
    hil_conn *k = &h->conns[c];
    if (!k->open)
        return;
    if (!h->virtual_time) {
        hil_net_send(h, c, d, n);
        return;
    }
    /* Queued, not delivered here: this runs inside the terminal's own
     * output drain (a request answered while its frames are being sent),
     * and the terminal takes events one at a time. */
    (void)now;
    if (h->vt && k->link >= 0 && k->out_len + n <= sizeof k->vq) {
        memcpy(k->vq + k->out_len, d, n);
        k->out_len += n;
    }
}

void hil_link_deliver(hil *h, int64_t now)
{
    for (int round = 0; round < 16; round++) {
        bool any = false;
        for (uint32_t c = 0; c < h->n_conns; c++) {
            hil_conn *k = &h->conns[c];
            if (!k->out_len || !h->virtual_time)
                continue;
            uint8_t buf[sizeof k->vq];
            size_t n = k->out_len;
            memcpy(buf, k->vq, n);
            k->out_len = 0;
            any = true;
            if (k->open && k->link >= 0)
                hil_vterm_received(h, now, k->link, buf, n);
        }
        if (!any)
            return;
    }
}

void hil_link_up(hil *h, int link, int64_t now, const uint8_t *d, size_t n)
{
    if (!h->virtual_time) {
        hil_net_vsend(h, link, d, n);
        return;
    }
    int c = h->vt->conn[link];
    if (c >= 0)
        hil_plat_input(h, c, now, d, n);
}

void hil_link_connect(hil *h, int link, int64_t now)
{
    hil_vterm *vt = h->vt;
    if (!h->virtual_time) {
        hil_net_vconnect(h, link, now);
        return;
    }
    if (vt->conn[link] >= 0)
        return;
    if (hil_plat_refusing(h)) {
        h->st->refused++;
        return; /* the terminal asks again after reconnect_ms */
    }
    bool national = link == RS_TERM_LINK_ACTIVATION && h->o->national;
    int c = hil_plat_open(h, now, link == RS_TERM_LINK_ACTIVATION ? "virtual-activation" : "virtual", national, -1);
    if (c < 0)
        return;
    h->conns[c].link = link;
    vt->conn[link] = c;
    hil_vterm_connected(h, now, link);
}

void hil_link_close(hil *h, int link, int64_t now)
{
    hil_vterm *vt = h->vt;
    if (!h->virtual_time) {
        hil_net_vclose(h, link);
        return;
    }
    int c = vt->conn[link];
    if (c < 0)
        return;
    vt->conn[link] = -1;
    hil_plat_closed(h, c, now, "terminal closed");
}

void hil_link_drop(hil *h, int c, int64_t now)
{
    hil_conn *k = &h->conns[c];
    if (!h->virtual_time) {
        hil_net_close(h, c);
        return;
    }
    int link = k->link;
    if (h->vt && link >= 0 && h->vt->conn[link] == c) {
        h->vt->conn[link] = -1;
        k->open = false; /* nothing more reaches it while the terminal reacts */
        hil_vterm_closed(h, now, link);
        k->open = true;  /* hil_plat_closed records the close */
    }
}
