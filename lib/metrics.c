/* The metric registry and snapshot arithmetic (metrics.h). */
#include "remsim/metrics.h"

#include <errno.h>
#include <string.h>

#define FAILED(r) [RS_C_CONN_FAILED + RS_CONN_FAIL_##r]
#define TX(c) [RS_C_FRAMES_TX + (c) - 1]
#define TXB(c) [RS_C_BYTES_TX + (c) - 1]
#define RX(c) [RS_C_FRAMES_RX + (c) - 1]
#define DROP(r) [RS_C_SAMPLES_DROPPED + RS_DROP_##r]

const rs_metric_desc rs_counter_desc[RS_C_COUNT] = {
    [RS_C_CONNECTIONS_ATTEMPTED] = { "connections_attempted", "connections",
                                     "connection attempts started (first connects and reconnects)", false },
    FAILED(REFUSED) = { "connections_failed_refused", "connections", "attempts refused: nothing listens (ECONNREFUSED)", false },
    FAILED(TIMEOUT) = { "connections_failed_timeout", "connections", "attempts that timed out (ETIMEDOUT or the connect timer)", false },
    FAILED(RESET) = { "connections_failed_reset", "connections", "attempts reset by the peer during connect or handshake", false },
    FAILED(UNREACHABLE) = { "connections_failed_unreachable", "connections", "attempts to an unreachable network or host", false },
    FAILED(ADDR_IN_USE) = { "connections_failed_addr_in_use", "connections",
                            "attempts without a free local address: ephemeral ports exhausted (EADDRNOTAVAIL)", false },
    FAILED(TLS) = { "connections_failed_tls", "connections", "TLS handshakes that failed", false },
    FAILED(OTHER) = { "connections_failed_other", "connections", "attempts that failed for any other reason", false },
    [RS_C_RECONNECTS] = { "reconnects", "connections", "connection attempts after a connection was lost or failed", false },
    TX(0x01) = { "frames_tx_login", "frames", "vehicle login frames sent (0x01)", false },
    TX(0x02) = { "frames_tx_realtime", "frames", "real-time report frames sent (0x02)", false },
    TX(0x03) = { "frames_tx_reissue", "frames", "reissue report frames sent (0x03)", false },
    TX(0x04) = { "frames_tx_logout", "frames", "vehicle logout frames sent (0x04)", false },
    TX(0x05) = { "frames_tx_timecal", "frames", "time calibration requests sent (0x05)", false },
    TX(0x06) = { "frames_tx_tamper", "frames", "tamper alarm frames sent (0x06, HJ 1239)", false },
    TX(0x07) = { "frames_tx_activation", "frames", "activation frames sent (0x07, HJ 1239)", false },
    TX(0x08) = { "frames_tx_activation_answer", "frames", "activation answers sent (0x08; endpoints only)", false },
    TXB(0x01) = { "bytes_tx_login", "bytes", "bytes of login frames sent", false },
    TXB(0x02) = { "bytes_tx_realtime", "bytes", "bytes of real-time report frames sent", false },
    TXB(0x03) = { "bytes_tx_reissue", "bytes", "bytes of reissue report frames sent", false },
    TXB(0x04) = { "bytes_tx_logout", "bytes", "bytes of logout frames sent", false },
    TXB(0x05) = { "bytes_tx_timecal", "bytes", "bytes of time calibration requests sent", false },
    TXB(0x06) = { "bytes_tx_tamper", "bytes", "bytes of tamper alarm frames sent", false },
    TXB(0x07) = { "bytes_tx_activation", "bytes", "bytes of activation frames sent", false },
    TXB(0x08) = { "bytes_tx_activation_answer", "bytes", "bytes of activation answers sent", false },
    RX(0x01) = { "frames_rx_login", "frames", "login answers (echoes) received", false },
    RX(0x02) = { "frames_rx_realtime", "frames", "real-time report answers received", false },
    RX(0x03) = { "frames_rx_reissue", "frames", "reissue report answers received", false },
    RX(0x04) = { "frames_rx_logout", "frames", "logout answers received", false },
    RX(0x05) = { "frames_rx_timecal", "frames", "time calibration answers received", false },
    RX(0x06) = { "frames_rx_tamper", "frames", "tamper alarm answers received", false },
    RX(0x07) = { "frames_rx_activation", "frames", "frames with command 0x07 received", false },
    RX(0x08) = { "frames_rx_activation_answer", "frames", "activation answers received (0x08)", false },
    [RS_C_BYTES_RX] = { "bytes_rx", "bytes", "bytes received from endpoints, all frames", false },
    [RS_C_SAMPLES_GENERATED] = { "samples_generated", "samples", "samples the terminals produced (one per terminal per second)", false },
    [RS_C_SAMPLES_LIVE] = { "samples_live", "samples", "samples sent in real-time reports (0x02)", false },
    [RS_C_SAMPLES_REISSUED] = { "samples_reissued", "samples", "samples sent in reissue reports (0x03)", false },
    DROP(STORE_OVERFLOW) = { "samples_dropped_store_overflow", "samples", "samples lost because the reissue store was full", false },
    DROP(IGNITION_OFF) = { "samples_dropped_ignition_off", "samples", "samples not sent because the ignition was off", false },
    DROP(ENCODE) = { "samples_dropped_encode", "samples", "samples the frame encoder refused", false },
    DROP(CONN_LOST_UNSENT) = { "samples_dropped_conn_lost_unsent", "samples",
                               "samples in a send buffer when the connection was lost", false },
    [RS_C_TERMINALS_STOPPED] = { "terminals_stopped", "terminals", "vehicles stopped by a Lua error in their scenario", false },
    [RS_C_ACTIVATED] = { "terminals_activated", "terminals",
                         "HJ terminals whose activation succeeded (01 00, or 02 01 already activated)", false },
    [RS_C_ACTIVATION_VIN_ERROR] = { "activations_vin_error", "terminals", "HJ terminals refused activation with 02 02 (VIN error)", false },
    [RS_C_ACTIVATION_GAVE_UP] = { "activations_gave_up", "terminals",
                                  "HJ terminals that used every activation try without success", false },
    [RS_C_ACTIVATION_UNSENT] = { "activation_frames_unsent", "frames",
                                 "activation frames not written because the last one was still in the socket", false },
    [RS_C_TLS_HANDSHAKES] = { "tls_handshakes", "connections", "TLS handshakes completed (full or resumed)", false },
    [RS_C_TLS_RESUMED] = { "tls_resumed", "connections", "TLS handshakes that resumed an earlier session", false },
};

const rs_metric_desc rs_gauge_desc[RS_G_COUNT] = {
    [RS_G_CONNECTIONS_UP] = { "connections_up", "connections", "connections open now", false },
    [RS_G_REISSUE_BACKLOG] = { "reissue_backlog", "samples", "samples waiting in reissue stores", false },
    [RS_G_TERMINALS] = { "terminals", "terminals", "terminals running", false },
};

const rs_metric_desc rs_hist_desc[RS_H_COUNT] = {
    [RS_H_LATENCY_TIMECAL] = { "latency_timecal_us", "us", "time calibration request to its answer (0x05)", true },
    [RS_H_LATENCY_ACTIVATION] = { "latency_activation_us", "us", "activation (0x07) to its answer (0x08)", true },
    [RS_H_LATENCY_ECHO] = { "latency_echo_us", "us", "frame sent to its echo from the endpoint (0x01-0x04, 0x06)", true },
    [RS_H_CONNECT] = { "connect_us", "us", "connect() started to the TCP connection established", false },
    [RS_H_TLS_HANDSHAKE] = { "tls_handshake_us", "us", "TLS handshake started to finished", false },
};

static int find(const rs_metric_desc *t, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (t[i].name && !strcmp(t[i].name, name))
            return i;
    return -1;
}

int rs_counter_find(const char *name) { return find(rs_counter_desc, RS_C_COUNT, name); }
int rs_gauge_find(const char *name) { return find(rs_gauge_desc, RS_G_COUNT, name); }
int rs_hist_find(const char *name) { return find(rs_hist_desc, RS_H_COUNT, name); }

const char *rs_metric_cmd_name(unsigned cmd)
{
    static const char *const names[RS_METRIC_CMDS] = { "login", "realtime", "reissue", "logout",
                                                       "timecal", "tamper", "activation", "activation_answer" };
    return cmd >= 1 && cmd <= RS_METRIC_CMDS ? names[cmd - 1] : NULL;
}

rs_conn_fail rs_conn_fail_from_errno(int e)
{
    switch (e) {
    case ECONNREFUSED: return RS_CONN_FAIL_REFUSED;
    case ETIMEDOUT: return RS_CONN_FAIL_TIMEOUT;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return RS_CONN_FAIL_RESET;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN: return RS_CONN_FAIL_UNREACHABLE;
    case EADDRNOTAVAIL:
    case EADDRINUSE: return RS_CONN_FAIL_ADDR_IN_USE;
    default: return RS_CONN_FAIL_OTHER;
    }
}

void rs_metrics_init(rs_metrics *m) { memset(m, 0, sizeof *m); }

void rs_metrics_merge(rs_metrics *dst, const rs_metrics *src)
{
    for (unsigned i = 0; i < RS_C_COUNT; i++)
        dst->counter[i] += src->counter[i];
    for (unsigned i = 0; i < RS_G_COUNT; i++)
        dst->gauge[i] += src->gauge[i];
    for (unsigned i = 0; i < RS_H_COUNT; i++)
        rs_hist_merge(&dst->hist[i], &src->hist[i]);
}

bool rs_metrics_diff(rs_metrics *out, const rs_metrics *cur, const rs_metrics *prev)
{
    for (unsigned i = 0; i < RS_C_COUNT; i++) {
        if (cur->counter[i] < prev->counter[i]) {
            memset(out, 0, sizeof *out);
            return false;
        }
        out->counter[i] = cur->counter[i] - prev->counter[i];
    }
    for (unsigned i = 0; i < RS_G_COUNT; i++)
        out->gauge[i] = cur->gauge[i];
    for (unsigned i = 0; i < RS_H_COUNT; i++) {
        if (!rs_hist_diff(&out->hist[i], &cur->hist[i], &prev->hist[i])) {
            memset(out, 0, sizeof *out);
            return false;
        }
    }
    return true;
}

uint64_t rs_metrics_sum(const rs_metrics *m, rs_counter first, unsigned n)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < n && first + i < RS_C_COUNT; i++)
        s += m->counter[first + i];
    return s;
}

void rs_metrics_latency(const rs_metrics *m, rs_hist *out)
{
    rs_hist_clear(out);
    for (unsigned i = 0; i < RS_H_COUNT; i++)
        if (rs_hist_desc[i].latency)
            rs_hist_merge(out, &m->hist[i]);
}
