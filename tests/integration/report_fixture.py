"""Result documents for the report_*.sh tests, written independently of the
C code from the format in docs/results.md: two shards of one run (a, b) and
the document one coordinator seeing both would have written (both).

Only stored fields are written (derived ones are optional on input), so the
tests also check that remsim reads a minimal, valid document.

usage: python3 report_fixture.py OUTDIR
"""
import json
import os
import random
import sys

T0 = 1716170000
SUB = 16


def bucket(v):
    """Index of the bucket holding v (docs/results.md, Histograms); None: overflow."""
    if v < SUB:
        return v
    if v >= 1 << 32:
        return None
    e = v.bit_length() - 1
    return SUB + (e - 4) * SUB + ((v >> (e - 4)) & (SUB - 1))


def bounds(i):
    if i < SUB:
        return i, i
    e = (i - SUB) // SUB + 4
    lo = (SUB + (i - SUB) % SUB) << (e - 4)
    return lo, lo + (1 << (e - 4)) - 1


class Hist:
    def __init__(self):
        self.values = []

    def add(self, v):
        self.values.append(v)

    def json(self):
        counts, over = {}, 0
        for v in self.values:
            i = bucket(v)
            if i is None:
                over += 1
            else:
                counts[i] = counts.get(i, 0) + 1
        vs = self.values
        return {
            "count": len(vs), "sum_us": sum(vs),
            "min_us": min(vs) if vs else 0, "max_us": max(vs) if vs else 0,
            "sub_buckets": SUB,
            "buckets": [[*bounds(i), counts[i]] for i in sorted(counts)],
            "overflow": over,
        }

    def p99_top(self):
        """Top of the bucket of rank ceil(0.99 n): the series' p99 column."""
        if not self.values:
            return 0
        s = sorted(self.values)
        rank = -(-99 * len(s) // 100)
        i = bucket(s[rank - 1])
        return 1 << 32 if i is None else bounds(i)[1]


COUNTERS = ["frames_tx_login", "bytes_tx_login", "frames_tx_realtime", "bytes_tx_realtime", "frames_tx_timecal",
            "bytes_tx_timecal", "frames_rx_timecal", "bytes_rx", "samples_generated", "samples_live",
            "samples_dropped_conn_lost_unsent", "connections_attempted", "connections_failed_refused"]


class Shard:
    """One shard's run: per-second cumulative counters, histograms, series rows."""

    def __init__(self, seed, first, seconds, terminals, vin_prefix, lossy):
        rnd = random.Random(seed)
        self.c = {k: 0 for k in COUNTERS}
        self.h = {"latency_timecal_us": Hist(), "latency_echo_us": Hist(), "connect_us": Hist()}
        self.rows = {}
        self.gauge_max = {"connections_up": 0, "reissue_backlog": 0, "terminals": 0}
        self.first, self.last = first, first + seconds - 1
        self.terminals = terminals
        for k in range(seconds):
            t = first + k
            end = k == seconds - 1
            lat = Hist()
            frames = bytes_ = rx = dropped = failed = 0
            if k == 0:
                self.c["connections_attempted"] += terminals + 1
                self.c["connections_failed_refused"] += 1
                failed += 1
                for _ in range(terminals):
                    self.c["frames_tx_login"] += 1
                    self.c["bytes_tx_login"] += 53
                    frames += 1
                    bytes_ += 53
                    self.h["connect_us"].add(100 + rnd.randrange(2000))
            for _ in range(terminals):
                n = 200 + rnd.randrange(30)
                self.c["frames_tx_realtime"] += 1
                self.c["bytes_tx_realtime"] += n
                self.c["samples_generated"] += 1
                self.c["samples_live"] += 1
                frames += 1
                bytes_ += n
                v = 300 + rnd.randrange(20000)
                self.h["latency_echo_us"].add(v)
                lat.add(v)
            if k % 10 == 0:
                self.c["frames_tx_timecal"] += 1
                self.c["bytes_tx_timecal"] += 24
                self.c["frames_rx_timecal"] += 1
                self.c["bytes_rx"] += 31
                frames += 1
                bytes_ += 24
                rx += 1
                v = 5000 + rnd.randrange(400000)
                if k == 20 and lossy:
                    v = 5_000_000_000   # beyond 71 min: overflow bucket
                self.h["latency_timecal_us"].add(v)
                lat.add(v)
            if lossy and k % 25 == 7:
                self.c["samples_dropped_conn_lost_unsent"] += 2
                dropped += 2
            up = 0 if end else terminals - rnd.randrange(2)
            backlog = 0 if end else rnd.randrange(50)
            self.gauge_max["connections_up"] = max(self.gauge_max["connections_up"], up)
            self.gauge_max["reissue_backlog"] = max(self.gauge_max["reissue_backlog"], backlog)
            self.gauge_max["terminals"] = max(self.gauge_max["terminals"], 0 if end else terminals)
            self.rows[t] = [t, 1, frames, bytes_, rx, terminals, dropped, failed, up, backlog,
                            len(lat.values), lat.p99_top()]
        self.vins = []
        for i in range(40):
            gen = 100
            rec = gen - (i % 5 if lossy and i % 3 == 0 else 0)
            self.vins.append((f"{vin_prefix}{i:08d}", gen, rec, 1 if rec < gen else 0))


def checks(vins):
    """The stored part of "checks" for a list of (vin, generated, received, conn_lost_unsent)."""
    reasons = ["store_overflow", "ignition_off", "encode", "conn_lost_unsent", "unexplained"]
    tot = {"vins": 0, "vins_with_loss": 0, "vins_with_duplicates": 0, "generated": 0, "received": 0,
           "lost": 0, "duplicates": 0}
    by = dict.fromkeys(reasons, 0)
    listed = []
    for vin, gen, rec, unsent in vins:
        lost, dup = max(gen - rec, 0), max(rec - gen, 0)
        vb = dict.fromkeys(reasons, 0)
        vb["conn_lost_unsent"] = min(unsent, lost)
        vb["unexplained"] = lost - vb["conn_lost_unsent"]
        tot["vins"] += 1
        tot["generated"] += gen
        tot["received"] += rec
        tot["lost"] += lost
        tot["duplicates"] += dup
        tot["vins_with_loss"] += lost > 0
        tot["vins_with_duplicates"] += dup > 0
        for r in reasons:
            by[r] += vb[r]
        if lost or dup:
            listed.append({"vin": vin, "generated": gen, "received": rec, "lost": lost, "duplicates": dup,
                           "lost_by": vb})
    listed.sort(key=lambda v: (-v["lost"], -v["duplicates"], v["vin"]))
    return {"ran": True, **tot, "lost_by": by, "listed": listed[:50]}


def document(shards, profile="hj1239", shard_text=""):
    counters = {k: sum(s.c[k] for s in shards) for k in COUNTERS}
    hists = {}
    for name in shards[0].h:
        h = Hist()
        for s in shards:
            h.values += s.h[name].values
        hists[name] = h.json()
    first, last = min(s.first for s in shards), max(s.last for s in shards)
    rows = []
    for t in range(first, last + 1):
        parts = [s.rows[t] for s in shards if t in s.rows]
        row = [t, 1] + [sum(p[c] for p in parts) for c in range(2, 11)]
        row.append(max(p[11] for p in parts))   # p99: an upper bound, not compared exactly
        rows.append(row)
    gauges = {g: {"last": 0, "max": sum(s.gauge_max[g] for s in shards)} for g in ("connections_up",
                                                                                    "reissue_backlog", "terminals")}
    return {
        "format": "remsim-result", "version": 1,
        "run": {"tool_version": "fixture", "command_line": "remsim run --fixture", "scenario": "highway.lua",
                "profile": profile, "endpoint": "127.0.0.1:7000", "terminals": sum(s.terminals for s in shards),
                "workers": 2 * len(shards), "source_addresses": ["127.0.0.%d" % (2 + i) for i in range(len(shards))],
                "shard": shard_text, "shards": 1, "seed": 7,
                "start_ms": first * 1000, "end_ms": (last + 1) * 1000},
        "counters": counters,
        "gauges": gauges,
        "histograms": hists,
        "series": {"span_s": 1, "columns": ["t", "seconds", "frames_tx", "bytes_tx", "frames_rx", "samples",
                                            "samples_dropped", "connections_failed", "connections_up",
                                            "reissue_backlog", "latency_n", "p99_latency_us"],
                   "rows": rows},
        "checks": checks([v for s in shards for v in s.vins]),
        "thresholds": [],
    }


def main():
    out = sys.argv[1]
    a = Shard(1, T0, 120, 20, "LTESTAA0", lossy=False)
    b = Shard(2, T0 + 30, 120, 15, "LTESTBB0", lossy=True)
    docs = {"a.json": document([a], shard_text="1/2"), "b.json": document([b], shard_text="2/2"),
            "both.json": document([a, b]), "other-profile.json": document([b], profile="gb17691")}
    for name, doc in docs.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
