/* TCP streams out of pcap/pcapng files (tcpcap.h): link layer, IP and TCP
 * headers, then per-direction sequence ordering. */
#include "remsim/tcpcap.h"
#include "remsim/index.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct held {
    struct held *next;
    uint32_t seq;
    uint32_t len;
    uint64_t packet;
    int64_t time_us;
    uint8_t data[];
} held;

typedef struct dir_state {
    bool started;
    uint32_t next;           /* next sequence number expected */
    uint64_t offset;         /* stream offset of next */
    held *hold;              /* early segments, by sequence */
    size_t held_bytes;
} dir_state;

typedef struct flow {
    uint8_t family;          /* 4 or 6 */
    uint8_t a[16], b[16];    /* a: the side that sent the flow's first packet */
    uint16_t pa, pb;
    bool client_known, a_is_client;
    uint32_t id;
    dir_state d[2];          /* [0]: a -> b, [1]: b -> a */
    char text[RS_TCPCAP_FLOW_TEXT];
} flow;

typedef struct reader {
    rs_tcpcap_fn fn;
    void *ctx;
    rs_tcpcap_stats *st;
    flow *flows;
    uint32_t n, cap;
    rs_index ix;                  /* both directions of a flow -> flows[] */
    bool nomem;
} reader;

/* --- flow table --- */

static uint32_t key_hash(uint8_t fam, const uint8_t *x, uint16_t px, const uint8_t *y, uint16_t py)
{
    /* symmetric: both directions land on the same flow */
    uint32_t h1 = 2166136261u, h2 = 2166136261u;
    unsigned n = fam == 4 ? 4 : 16;
    for (unsigned i = 0; i < n; i++) {
        h1 = (h1 ^ x[i]) * 16777619u;
        h2 = (h2 ^ y[i]) * 16777619u;
    }
    h1 = (h1 ^ px) * 16777619u;
    h2 = (h2 ^ py) * 16777619u;
    return h1 ^ h2 ^ fam;
}

static bool same_side(const flow *f, const uint8_t *x, uint16_t px, const uint8_t *y, uint16_t py, unsigned n)
{
    return f->pa == px && f->pb == py && !memcmp(f->a, x, n) && !memcmp(f->b, y, n);
}

static uint32_t flow_hash(const void *ctx, uint32_t i)
{
    const flow *f = &((const reader *)ctx)->flows[i];
    return key_hash(f->family, f->a, f->pa, f->b, f->pb);
}

static void addr_text(char *buf, size_t cap, uint8_t fam, const uint8_t *a, uint16_t port)
{
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, ip, sizeof ip);
    snprintf(buf, cap, fam == 4 ? "%s:%u" : "[%s]:%u", ip, port);
}

static void set_text(flow *f)
{
    char a[64], b[64];
    addr_text(a, sizeof a, f->family, f->a, f->pa);
    addr_text(b, sizeof b, f->family, f->b, f->pb);
    bool a_client = f->client_known ? f->a_is_client : f->pa > f->pb;
    snprintf(f->text, sizeof f->text, "%s > %s", a_client ? a : b, a_client ? b : a);
}

/* The flow of a packet from x to y, and whether it goes a -> b. */
static flow *flow_get(reader *r, uint8_t fam, const uint8_t *x, uint16_t px, const uint8_t *y, uint16_t py,
                      bool *fwd)
{
    unsigned n = fam == 4 ? 4 : 16;
    if (!rs_index_reserve(&r->ix, r->n, flow_hash, r))
        return NULL;
    uint32_t *s = rs_index_probe(&r->ix, key_hash(fam, x, px, y, py));
    for (; *s; s = rs_index_step(&r->ix, s)) {
        flow *f = &r->flows[*s - 1];
        if (f->family == fam) {
            if (same_side(f, x, px, y, py, n)) {
                *fwd = true;
                return f;
            }
            if (same_side(f, y, py, x, px, n)) {
                *fwd = false;
                return f;
            }
        }
    }
    if (r->n == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 64;
        flow *nf = realloc(r->flows, cap * sizeof *nf);
        if (!nf)
            return NULL;
        r->flows = nf;
        r->cap = cap;
    }
    flow *f = &r->flows[r->n];
    memset(f, 0, sizeof *f);
    f->family = fam;
    memcpy(f->a, x, n);
    memcpy(f->b, y, n);
    f->pa = px;
    f->pb = py;
    f->id = r->n + 1;
    set_text(f);
    *s = ++r->n;
    r->st->flows++;
    *fwd = true;
    return f;
}

/* --- delivery --- */

static bool is_client(const flow *f, int dir)
{
    bool a_client = f->client_known ? f->a_is_client : f->pa > f->pb;
    return dir == 0 ? a_client : !a_client;
}

static void emit(reader *r, flow *f, int dir, uint8_t kind, const uint8_t *p, size_t n, uint64_t packet,
                 int64_t t)
{
    rs_tcpcap_event ev = { kind, f->id, is_client(f, dir), f->text, p, n, f->d[dir].offset, packet, t };
    r->fn(r->ctx, &ev);
}

/* Hands over the part of [seq, seq+n) at or after next. */
static void deliver(reader *r, flow *f, int dir, uint32_t seq, const uint8_t *p, size_t n, uint64_t packet,
                    int64_t t)
{
    dir_state *d = &f->d[dir];
    int32_t behind = (int32_t)(d->next - seq);
    if (behind > 0) {
        size_t skip = (size_t)behind < n ? (size_t)behind : n;
        r->st->retransmitted += skip;
        p += skip;
        n -= skip;
    }
    if (n == 0)
        return;
    emit(r, f, dir, RS_TCPCAP_DATA, p, n, packet, t);
    r->st->bytes += n;
    d->next += (uint32_t)n;
    d->offset += n;
}

static void drain_held(reader *r, flow *f, int dir)
{
    dir_state *d = &f->d[dir];
    while (d->hold && (int32_t)(d->hold->seq - d->next) <= 0) {
        held *h = d->hold;
        d->hold = h->next;
        d->held_bytes -= h->len;
        deliver(r, f, dir, h->seq, h->data, h->len, h->packet, h->time_us);
        free(h);
    }
}

/* Skips to the first held segment: the bytes before it were never seen. */
static void jump_gap(reader *r, flow *f, int dir)
{
    dir_state *d = &f->d[dir];
    if (!d->hold)
        return;
    uint32_t missing = d->hold->seq - d->next;
    emit(r, f, dir, RS_TCPCAP_GAP, NULL, missing, d->hold->packet, d->hold->time_us);
    r->st->gap_bytes += missing;
    d->next = d->hold->seq;
    d->offset += missing;
    drain_held(r, f, dir);
}

static void hold(reader *r, flow *f, int dir, uint32_t seq, const uint8_t *p, size_t n, uint64_t packet,
                 int64_t t)
{
    dir_state *d = &f->d[dir];
    held *h = malloc(sizeof *h + n);
    if (!h) {
        r->nomem = true;
        return;
    }
    h->seq = seq;
    h->len = (uint32_t)n;
    h->packet = packet;
    h->time_us = t;
    memcpy(h->data, p, n);
    held **at = &d->hold;
    while (*at && (int32_t)((*at)->seq - seq) <= 0)
        at = &(*at)->next;
    h->next = *at;
    *at = h;
    d->held_bytes += n;
    r->st->out_of_order++;
    while (d->held_bytes > RS_TCPCAP_HOLD_MAX && d->hold)
        jump_gap(r, f, dir);
}

static void segment(reader *r, flow *f, bool fwd, uint8_t flags, uint32_t seq, const uint8_t *p, size_t n,
                    uint64_t packet, int64_t t)
{
    int dir = fwd ? 0 : 1;
    dir_state *d = &f->d[dir];
    bool syn = flags & 0x02, ack = flags & 0x10;
    if (syn && !ack && !f->client_known) {
        f->client_known = true;
        f->a_is_client = fwd;
        set_text(f);
    }
    if (syn) {
        d->started = true;
        d->next = seq + 1;
        seq++;
    }
    if (n == 0)
        return;
    if (!d->started) {
        d->started = true;
        d->next = seq;
    }
    if ((int32_t)(seq - d->next) > 0) {
        hold(r, f, dir, seq, p, n, packet, t);
        return;
    }
    deliver(r, f, dir, seq, p, n, packet, t);
    drain_held(r, f, dir);
}

/* --- headers --- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offset of the IP header and its version (4, 6), or 0 when not IP. */
static size_t link_skip(int dlt, const uint8_t *p, size_t n, int *ver)
{
    size_t off = 0;
    uint16_t et = 0;
    switch (dlt) {
    case DLT_EN10MB:
        if (n < 14)
            return 0;
        et = be16(p + 12);
        off = 14;
        while ((et == 0x8100 || et == 0x88A8) && n >= off + 4) {
            et = be16(p + off + 2);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (n < 16)
            return 0;
        et = be16(p + 14);
        off = 16;
        break;
    case DLT_LINUX_SLL2:
        if (n < 20)
            return 0;
        et = be16(p);
        off = 20;
        break;
    case DLT_NULL:
    case DLT_LOOP: {
        if (n < 4)
            return 0;
        uint32_t af = dlt == DLT_LOOP ? be32(p) : (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
        if (af > 0xFFFF) /* written in the other byte order */
            af = be32(p);
        et = af == 2 ? 0x0800 : (af == 24 || af == 28 || af == 30) ? 0x86DD : 0;
        off = 4;
        break;
    }
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        if (n < 1)
            return 0;
        et = (p[0] >> 4) == 4 ? 0x0800 : (p[0] >> 4) == 6 ? 0x86DD : 0;
        off = 0;
        break;
    default:
        return 0;
    }
    if (et == 0x0800)
        *ver = 4;
    else if (et == 0x86DD)
        *ver = 6;
    else
        return (size_t)-1;
    return off;
}

static bool dlt_known(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 || dlt == DLT_NULL ||
           dlt == DLT_LOOP || dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

static void packet(reader *r, int dlt, const uint8_t *p, size_t n, uint64_t no, int64_t t)
{
    int ver = 0;
    size_t off = link_skip(dlt, p, n, &ver);
    if (off == (size_t)-1 || (off == 0 && ver == 0)) {
        r->st->skipped++;
        return;
    }
    p += off;
    n -= off;
    const uint8_t *src, *dst;
    size_t ip_len, total;
    if (ver == 4) {
        if (n < 20 || (p[0] >> 4) != 4 || p[9] != 6 || (be16(p + 6) & 0x3FFF) != 0) {
            r->st->skipped++; /* not TCP, or a fragment */
            return;
        }
        ip_len = (size_t)(p[0] & 0x0F) * 4;
        total = be16(p + 2);
        src = p + 12;
        dst = p + 16;
    } else {
        if (n < 40 || (p[0] >> 4) != 6 || p[6] != 6) {
            r->st->skipped++;
            return;
        }
        ip_len = 40;
        total = 40u + be16(p + 4);
        src = p + 8;
        dst = p + 24;
    }
    if (total > n || total < ip_len + 20 || ip_len < 20) {
        r->st->skipped++; /* truncated capture (snaplen) or a broken header */
        return;
    }
    const uint8_t *tcp = p + ip_len;
    size_t tcp_len = (size_t)(tcp[12] >> 4) * 4;
    if (tcp_len < 20 || ip_len + tcp_len > total) {
        r->st->skipped++;
        return;
    }
    r->st->tcp_packets++;
    bool fwd;
    flow *f = flow_get(r, (uint8_t)ver, src, be16(tcp), dst, be16(tcp + 2), &fwd);
    if (!f) {
        r->nomem = true;
        return;
    }
    segment(r, f, fwd, tcp[13], be32(tcp + 4), tcp + tcp_len, total - ip_len - tcp_len, no, t);
}

bool rs_tcpcap_is_capture(const uint8_t *h, size_t n)
{
    if (n < 4)
        return false;
    uint32_t m = be32(h);
    return m == 0xA1B2C3D4 || m == 0xD4C3B2A1 || m == 0xA1B23C4D || m == 0x4D3CB2A1 || m == 0x0A0D0D0A;
}

static void finish_flows(reader *r)
{
    for (uint32_t i = 0; i < r->n; i++) {
        flow *f = &r->flows[i];
        for (int dir = 0; dir < 2; dir++)
            while (f->d[dir].hold)
                jump_gap(r, f, dir);
        emit(r, f, 0, RS_TCPCAP_END, NULL, 0, 0, 0);
    }
}

static void free_reader(reader *r)
{
    for (uint32_t i = 0; i < r->n; i++)
        for (int dir = 0; dir < 2; dir++) {
            held *h = r->flows[i].d[dir].hold;
            while (h) {
                held *next = h->next;
                free(h);
                h = next;
            }
        }
    free(r->flows);
    rs_index_free(&r->ix);
}

rs_code rs_tcpcap_read(const char *path, rs_tcpcap_fn fn, void *ctx, rs_tcpcap_stats *st, rs_err *err)
{
    rs_tcpcap_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    char ebuf[PCAP_ERRBUF_SIZE];
    errno = 0;
    pcap_t *pc = pcap_open_offline(path, ebuf);
    if (!pc)
        return rs_fail(err, RS_E_IO, 0, "capture", "a pcap or pcapng file libpcap can open", errno, 0,
                       errno ? RS_NUM_GOT_ONLY : RS_NUM_NONE);
    int dlt = pcap_datalink(pc);
    if (!dlt_known(dlt)) {
        pcap_close(pc);
        return rs_fail(err, RS_E_VALUE, 0, "link type",
                       "link layers read: Ethernet, Linux cooked (SLL, SLL2), raw IP, BSD loopback", dlt, 0,
                       RS_NUM_GOT_ONLY);
    }
    reader r;
    memset(&r, 0, sizeof r);
    r.fn = fn;
    r.ctx = ctx;
    r.st = st;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while (!r.nomem && (rc = pcap_next_ex(pc, &h, &data)) == 1) {
        st->packets++;
        packet(&r, dlt, data, h->caplen, st->packets, (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
    }
    rs_code out = RS_OK;
    if (r.nomem)
        out = rs_fail(err, RS_E_LIMIT, 0, "memory", "flows and held segments fit in memory", 0, 0, RS_NUM_NONE);
    else if (rc == PCAP_ERROR)
        out = rs_fail(err, RS_E_IO, (size_t)st->packets, "capture",
                      "the capture file is complete (libpcap stopped reading it)", 0, 0, RS_NUM_NONE);
    if (out == RS_OK)
        finish_flows(&r);
    free_reader(&r);
    pcap_close(pc);
    return out;
}
