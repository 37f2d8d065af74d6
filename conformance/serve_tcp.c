/* Plain TCP: the transport of serve connections, and socket helpers.
 *
 * A TLS transport later implements the same three calls over an SSL object
 * kept in conn->tp_ctx (SSL_read/SSL_write report "want read/write" as
 * EAGAIN); nothing above this file touches the socket for data. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance/serve_int.h"

static ssize_t tcp_read(serve_conn *c, void *buf, size_t n)
{
    ssize_t k;
    do
        k = recv(c->fd, buf, n, 0);
    while (k < 0 && errno == EINTR);
    return k;
}

static ssize_t tcp_write(serve_conn *c, const void *buf, size_t n)
{
    ssize_t k;
    do
        k = send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (k < 0 && errno == EINTR);
    return k;
}

static void tcp_close(serve_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

const serve_transport serve_tcp = { "tcp", tcp_read, tcp_write, tcp_close };

bool serve_split_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') { /* [v6]:port */
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return false;
        h = s + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= cap)
        return false;
    unsigned long p = 0;
    const char *d = colon + 1;
    if (!*d)
        return false;
    for (; *d; d++) {
        if (*d < '0' || *d > '9')
            return false;
        p = p * 10 + (unsigned long)(*d - '0');
        if (p > 65535)
            return false;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (uint16_t)p;
    return true;
}

bool serve_resolve(const char *host, uint16_t port, bool passive, struct sockaddr_storage *ss, socklen_t *len,
                   const char **why)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", (unsigned)port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0 || !res) {
        *why = rc ? gai_strerror(rc) : "no address";
        return false;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    *why = NULL;
    return true;
}

int serve_bind_socket(const struct sockaddr *sa, socklen_t len, int backlog)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* REUSEPORT: every worker binds the same address and gets its own
     * accept queue; the kernel spreads connections over them. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 || bind(fd, sa, len) != 0 ||
        (backlog > 0 && listen(fd, backlog) != 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

void serve_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
        snprintf(out, cap, "-");
    }
}
