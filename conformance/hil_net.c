/* The real-time loop of the terminal suite (hil_int.h): the listeners, the
 * terminal's connections and, with --virtual, the virtual terminal's own
 * client sockets, all non-blocking in one poll() loop with the CAN pacing
 * and the harness's timers.  One terminal under test needs a handful of
 * descriptors, so poll() is enough here; the fleet's libev machinery is for
 * thousands. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conformance/hil_int.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hil_now(const hil *h)
{
    if (h->virtual_time)
        return h->vnow;
    double speed = h->o->speed > 0 ? h->o->speed : 1.0;
    return h->start_ms + (int64_t)((double)(wall_ms() - h->wall0_ms) * speed);
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static rs_code split(const char *addr, char *host, size_t hcap, char *port, size_t pcap, rs_err *err)
{
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (!colon || colon == addr || !colon[1] || (size_t)(colon - addr) >= hcap || strlen(colon + 1) >= pcap)
        return rs_fail(err, RS_E_OPTION, 0, "--listen", "HOST:PORT, e.g. 127.0.0.1:9000", 0, 0, RS_NUM_NONE);
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    snprintf(port, pcap, "%s", colon + 1);
    return RS_OK;
}

static int listen_on(const char *host, char *port, size_t pcap, rs_err *err)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
        rs_fail(err, RS_E_OPTION, 0, "--listen", "a host and port this machine can bind", 0, 0, RS_NUM_NONE);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        rs_fail(err, RS_E_IO, 0, "--listen", "bind and listen (is the port free?)", e, 0, RS_NUM_GOT_ONLY);
        return -1;
    }
    freeaddrinfo(res);
    nonblock(fd);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        int p = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
        snprintf(port, pcap, "%d", p); /* port 0 resolved: a reopened listener takes the same one */
    }
    return fd;
}

rs_code hil_net_listen(hil *h, rs_err *err)
{
    h->listen_fd = h->national_fd = -1;
    rs_code rc = split(h->o->listen, h->listen_host, sizeof h->listen_host, h->listen_port, sizeof h->listen_port, err);
    if (rc == RS_OK && h->o->national)
        rc = split(h->o->national, h->nat_host, sizeof h->nat_host, h->nat_port, sizeof h->nat_port, err);
    if (rc != RS_OK)
        return rc;
    return hil_net_relisten(h, err);
}

rs_code hil_net_relisten(hil *h, rs_err *err)
{
    if (h->listen_fd < 0 && (h->listen_fd = listen_on(h->listen_host, h->listen_port, sizeof h->listen_port, err)) < 0)
        return err->code;
    if (h->o->national && h->national_fd < 0 &&
        (h->national_fd = listen_on(h->nat_host, h->nat_port, sizeof h->nat_port, err)) < 0)
        return err->code;
    snprintf(h->st->listen, sizeof h->st->listen, "%s:%s", h->listen_host, h->listen_port);
    return RS_OK;
}

/* The outage: listeners closed, so connects are refused (ECONNREFUSED). */
void hil_net_unlisten(hil *h)
{
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    if (h->national_fd >= 0)
        close(h->national_fd);
    h->listen_fd = h->national_fd = -1;
}

static bool append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *d, size_t n)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n)
            c *= 2;
        uint8_t *p = realloc(*buf, c);
        if (!p)
            return false;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, d, n);
    *len += n;
    return true;
}

/* Writes what the socket takes; false when the peer is gone. */
static bool flush(int fd, uint8_t *buf, size_t *len)
{
    while (*len) {
        ssize_t w = send(fd, buf, *len, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        memmove(buf, buf + w, *len - (size_t)w);
        *len -= (size_t)w;
    }
    return true;
}

void hil_net_send(hil *h, int c, const uint8_t *d, size_t n)
{
    hil_conn *k = &h->conns[c];
    if (k->fd < 0 || !append(&k->out, &k->out_len, &k->out_cap, d, n))
        return;
    flush(k->fd, k->out, &k->out_len);
}

void hil_net_close(hil *h, int c)
{
    hil_conn *k = &h->conns[c];
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    k->out_len = 0;
}

void hil_net_vconnect(hil *h, int link, int64_t now)
{
    (void)now;
    hil_vterm *vt = h->vt;
    if (vt->fd[link] >= 0)
        return;
    bool nat = link == RS_TERM_LINK_ACTIVATION && h->o->national;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    if (getaddrinfo(nat ? h->nat_host : h->listen_host, nat ? h->nat_port : h->listen_port, &hints, &res) != 0)
        return;
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return;
    }
    nonblock(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        return; /* refused: the terminal asks again after reconnect_ms */
    }
    vt->fd[link] = fd;
    vt->connecting[link] = true;
}

void hil_net_vsend(hil *h, int link, const uint8_t *d, size_t n)
{
    hil_vterm *vt = h->vt;
    if (vt->fd[link] < 0 || vt->connecting[link])
        return; /* the terminal sends only on a link it was told is up */
    if (append(&vt->sendq[link], &vt->sendq_len[link], &vt->sendq_cap[link], d, n))
        flush(vt->fd[link], vt->sendq[link], &vt->sendq_len[link]);
}

void hil_net_vclose(hil *h, int link)
{
    hil_vterm *vt = h->vt;
    if (vt->fd[link] >= 0) {
        flush(vt->fd[link], vt->sendq[link], &vt->sendq_len[link]);
        close(vt->fd[link]);
    }
    vt->fd[link] = -1;
    vt->connecting[link] = false;
    vt->sendq_len[link] = 0;
}

void hil_net_free(hil *h)
{
    hil_net_unlisten(h);
    for (uint32_t c = 0; c < h->n_conns; c++)
        hil_net_close(h, (int)c);
    if (h->vt)
        for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
            if (h->vt->fd[l] >= 0) {
                close(h->vt->fd[l]);
                h->vt->fd[l] = -1;
            }
}

static void accept_on(hil *h, int lfd, bool national, int64_t now)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
        if (fd < 0)
            return;
        nonblock(fd);
        char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?", peer[96];
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(peer, sizeof peer, "%s:%s", host, serv);
        if (hil_plat_open(h, now, peer, national, fd) < 0)
            close(fd);
    }
}

static void read_conn(hil *h, int c, int64_t now)
{
    hil_conn *k = &h->conns[c];
    uint8_t buf[4096];
    for (;;) {
        ssize_t r = recv(k->fd, buf, sizeof buf, 0);
        if (r > 0) {
            hil_plat_input(h, c, now, buf, (size_t)r);
            if (k->fd < 0)
                return;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        hil_net_close(h, c);
        hil_plat_closed(h, c, now, r == 0 ? "terminal closed" : "connection reset");
        return;
    }
}

static void vterm_io(hil *h, int link, short rev, int64_t now)
{
    hil_vterm *vt = h->vt;
    int fd = vt->fd[link];
    if (vt->connecting[link]) {
        int e = 0;
        socklen_t el = sizeof e;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e) {
            close(fd);
            vt->fd[link] = -1;
            vt->connecting[link] = false;
            return; /* refused (the outage): asked again after reconnect_ms */
        }
        vt->connecting[link] = false;
        hil_vterm_connected(h, now, link);
        return;
    }
    if (rev & POLLOUT)
        flush(fd, vt->sendq[link], &vt->sendq_len[link]);
    if (!(rev & (POLLIN | POLLHUP | POLLERR)))
        return;
    uint8_t buf[2048];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
            hil_vterm_received(h, now, link, buf, (size_t)r);
            if (vt->fd[link] != fd)
                return;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        close(fd);
        vt->fd[link] = -1;
        vt->sendq_len[link] = 0;
        hil_vterm_closed(h, now, link);
        return;
    }
}

enum { P_LISTEN = 0, P_NATIONAL, P_CONN, P_VTERM, P_CAN };

rs_code hil_net_loop(hil *h, rs_err *err)
{
    (void)err;
    struct pollfd pf[HIL_MAX_CONNS + 8];
    int what[HIL_MAX_CONNS + 8], idx[HIL_MAX_CONNS + 8];
    double speed = h->o->speed > 0 ? h->o->speed : 1.0;
    while (!h->finished) {
        int64_t now = hil_now(h);
        hil_step(h, now);
        if (h->finished)
            break;
        int n = 0;
        if (h->listen_fd >= 0) {
            pf[n] = (struct pollfd){ h->listen_fd, POLLIN, 0 };
            what[n++] = P_LISTEN;
        }
        if (h->national_fd >= 0) {
            pf[n] = (struct pollfd){ h->national_fd, POLLIN, 0 };
            what[n++] = P_NATIONAL;
        }
        for (uint32_t c = 0; c < h->n_conns; c++)
            if (h->conns[c].fd >= 0) {
                pf[n] = (struct pollfd){ h->conns[c].fd, (short)(POLLIN | (h->conns[c].out_len ? POLLOUT : 0)), 0 };
                idx[n] = (int)c;
                what[n++] = P_CONN;
            }
        if (h->vt)
            for (int l = 0; l < RS_TERM_LINK_COUNT; l++)
                if (h->vt->fd[l] >= 0) {
                    short ev = h->vt->connecting[l] || h->vt->sendq_len[l] ? POLLOUT : 0;
                    pf[n] = (struct pollfd){ h->vt->fd[l], (short)(POLLIN | ev), 0 };
                    idx[n] = l;
                    what[n++] = P_VTERM;
                }
        if (h->can && h->can->fd >= 0 && h->can->read) {
            pf[n] = (struct pollfd){ h->can->fd, POLLIN, 0 };
            what[n++] = P_CAN;
        }
        int64_t next = hil_next(h);
        int64_t wait = next > now ? (int64_t)((double)(next - now) / speed) : 0;
        if (wait > 200)
            wait = 200;
        if (poll(pf, (nfds_t)n, (int)wait) <= 0)
            continue;
        now = hil_now(h);
        for (int i = 0; i < n; i++) {
            if (!pf[i].revents)
                continue;
            switch (what[i]) {
            case P_LISTEN: accept_on(h, h->listen_fd, false, now); break;
            case P_NATIONAL: accept_on(h, h->national_fd, true, now); break;
            case P_CONN: {
                hil_conn *k = &h->conns[idx[i]];
                if (k->fd < 0)
                    break;
                if ((pf[i].revents & POLLOUT) && !flush(k->fd, k->out, &k->out_len)) {
                    hil_net_close(h, idx[i]);
                    hil_plat_closed(h, idx[i], now, "connection reset");
                    break;
                }
                if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
                    read_conn(h, idx[i], now);
                break;
            }
            case P_VTERM:
                if (h->vt->fd[idx[i]] == pf[i].fd)
                    vterm_io(h, idx[i], pf[i].revents, now);
                break;
            case P_CAN: {
                rs_can_frame f;
                rs_err e;
                while (rs_can_read(h->can, &f, &e) == RS_CAN_OK)
                    hil_vehicle_heard(&h->veh, &f);
                break;
            }
            }
        }
    }
    return RS_OK;
}
