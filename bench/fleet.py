#!/usr/bin/env python3
"""make bench-fleet: the fleet and the built-in endpoint together on this machine.

Runs `remsim run` (simulator workers and reference-endpoint workers, all on
loopback) for three cases and prints, per case: connections, frames/s, CPU
microseconds per frame on each side, RSS per terminal (simulator) and per
connection (endpoint), and the per-VIN check.  Processes are told apart by
name: fleet workers call themselves rs-fleet-N, every other child of the run
is the endpoint's.

    bench/fleet.py REMSIM [case ...]      cases: 50k, speed10, 1hz, hj10k (default: all)
"""
import json
import os
import subprocess
import sys
import time

CASES = {
    # 50,000 terminals connected and reporting for 60 s (ramp 5,000/s first)
    "50k": dict(n=50000, ramp=5000, report_s=60, speed=1, opts=[]),
    # 10,000 terminals at 10x with one-sample packets: 100,000 frames/s
    "speed10": dict(n=10000, ramp=0, report_s=60, speed=10, opts=["packet_samples=1"]),
    # 5,000 terminals at one frame per second each
    "1hz": dict(n=5000, ramp=0, report_s=60, speed=1, opts=["packet_samples=1"]),
    # 10,000 HJ 1239 terminals: activation, then SM2-signed packets that the
    # built-in endpoint verifies (1,000 signed packets/s at speed 1)
    "hj10k": dict(n=10000, ramp=2000, report_s=60, speed=1, opts=[], profile="hj1239"),
}

HZ = os.sysconf("SC_CLK_TCK")


def children(pid):
    """Every descendant of pid, as {pid: comm}."""
    out, pending = {}, [pid]
    while pending:
        p = pending.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            continue
        for k in kids:
            try:
                with open(f"/proc/{k}/comm") as f:
                    out[k] = f.read().strip()
            except OSError:
                continue
            pending.append(k)
    return out


def stat(pid):
    """(cpu seconds, rss bytes) of one process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / HZ
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return None


def run_case(remsim, name, c):
    ramp_s = c["n"] / c["ramp"] if c["ramp"] else 0
    duration = int(ramp_s + c["report_s"] + 0.999)
    outdir = f"out/bench-fleet/{name}"
    os.makedirs(outdir, exist_ok=True)
    cmd = [remsim, "run", "scenarios/urban.lua", "-n", str(c["n"]), "--duration", str(duration),
           "--speed", str(c["speed"]), "--results", outdir, "-q"]
    if c["ramp"]:
        cmd += ["--ramp", str(c["ramp"])]
    if c.get("profile"):
        cmd += ["--profile", c["profile"]]
    for o in c["opts"]:
        cmd += ["--opt", o]
    print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    last = {}       # pid -> (comm, cpu, rss) last seen
    peak = {"fleet": 0, "endpoint": 0}
    while proc.poll() is None:
        time.sleep(1.0)
        rss_now = {"fleet": 0, "endpoint": 0}
        for pid, comm in children(proc.pid).items():
            s = stat(pid)
            if not s:
                continue
            last[pid] = (comm, s[0], s[1])
            rss_now["fleet" if comm.startswith("rs-fleet") else "endpoint"] += s[1]
        for side in peak:
            peak[side] = max(peak[side], rss_now[side])
    err = proc.stderr.read()
    wall = time.time() - t0
    try:
        with open(f"{outdir}/result.json") as f:
            r = json.load(f)
    except OSError:
        print(f"   no result document; remsim said:\n{err}")
        return False
    cpu = {"fleet": 0.0, "endpoint": 0.0}
    for pid, (comm, c_s, _) in last.items():
        cpu["fleet" if comm.startswith("rs-fleet") else "endpoint"] += c_s
    counters = r["counters"]
    frames = sum(v for k, v in counters.items() if k.startswith("frames_tx_"))
    fails = sum(v for k, v in counters.items() if k.startswith("connections_failed"))
    cols = r["series"]["columns"]
    rows = [dict(zip(cols, row)) for row in r["series"]["rows"]]
    rates = [row["frames_tx"] / row["seconds"] for row in rows if row["seconds"]]
    steady = sorted(rates)[len(rates) // 2] if rates else 0
    chk = r["checks"]
    peak_up = r["gauges"]["connections_up"]["max"]
    print(f"   connections: {counters.get('connections_attempted', 0)} attempted, peak up {peak_up}, "
          f"{fails} failed")
    print(f"   frames: {frames} in {wall:.0f} s wall; median {steady:,.0f} frames/s over the run's seconds")
    if frames:
        print(f"   CPU per frame: simulator {cpu['fleet'] / frames * 1e6:.1f} us, "
              f"endpoint {cpu['endpoint'] / frames * 1e6:.1f} us "
              f"(CPU s: simulator {cpu['fleet']:.1f}, endpoint {cpu['endpoint']:.1f})")
    print(f"   RSS: simulator {peak['fleet'] / c['n'] / 1024:.1f} KiB per terminal "
          f"({peak['fleet'] / 2**20:.0f} MiB), endpoint {peak['endpoint'] / c['n'] / 1024:.1f} KiB "
          f"per connection ({peak['endpoint'] / 2**20:.0f} MiB)")
    if c.get("profile") == "hj1239":
        signed = counters.get("frames_tx_realtime", 0) + counters.get("frames_tx_reissue", 0)
        # the endpoint counts a sample as received only when its packet's
        # signature verified: a passing per-VIN check means every one did
        print(f"   signed packets: {signed} ({signed / wall:,.0f}/s over the wall time), each verified "
              f"by the endpoint; activated {counters.get('terminals_activated', 0)} of {c['n']}")
    print(f"   per-VIN check: {chk.get('verdict')}: generated {chk.get('generated')}, received "
          f"{chk.get('received')}, lost {chk.get('lost')}, duplicates {chk.get('duplicates')}")
    ok = chk.get("verdict") == "pass" and fails == 0 and proc.returncode == 0
    if not ok:
        print(f"   FAILED (exit {proc.returncode}); remsim said:\n{err}")
    return ok


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    remsim = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    ok = True
    for n in names:
        if n not in CASES:
            print(f"unknown case {n}; cases: {', '.join(CASES)}")
            return 2
        ok = run_case(remsim, n, CASES[n]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
