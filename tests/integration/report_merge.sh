#!/usr/bin/env bash
# remsim report merge: the documents of two shards of a run (written by
# report_fixture.py from the documented format) merge into what one
# coordinator seeing both wrote: counters, histograms, checks, gauges' last
# values and the series counts exactly, peaks as upper bounds; the order of
# the inputs does not matter; different profiles are refused.
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/tests/integration/report_fixture.py" "$tmp" || { echo "fixture failed"; exit 1; }

exec python3 - "$remsim" "$tmp" <<'PY'
import json, os, subprocess, sys

remsim, tmp = sys.argv[1:3]
failures = []

def check(cond, what):
    if not cond:
        failures.append(what)
    return cond

def run(*args):
    p = subprocess.run([remsim, "report", *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")

def path(name):
    return os.path.join(tmp, name)

def load(name):
    return json.load(open(path(name)))

STORED_HIST = ("count", "sum_us", "min_us", "max_us", "sub_buckets", "buckets", "overflow")
EXACT_COLUMNS = ("t", "seconds", "frames_tx", "bytes_tx", "frames_rx", "samples", "samples_dropped",
                 "connections_failed", "connections_up", "latency_n")
BOUND_COLUMNS = ("reissue_backlog", "p99_latency_us")

code, out, err = run("merge", path("a.json"), path("b.json"), "-o", path("m.json"), "-q")
check(code == 1, f"merge: exit {code} (the merged run lost samples: 1); {err}")
# the reference: the one-run document, normalised by remsim the same way
code, out, err = run(path("both.json"), "-q", "-o", path("both2.json"))
check(code == 1, f"one run: exit {code}; {err}")
m, one = load("m.json"), load("both2.json")

check(m["counters"] == one["counters"], "counters equal")
check(m["summary"] == one["summary"], f"summary equal: {m['summary']} vs {one['summary']}")
for name, h in one["histograms"].items():
    mh = m["histograms"][name]
    check(all(mh[k] == h[k] for k in STORED_HIST), f"histogram {name} equal")
    check(mh["p99_us"] == h["p99_us"], f"histogram {name}: same p99")
check(m["checks"] == one["checks"], "checks equal")
for g, v in one["gauges"].items():
    check(m["gauges"][g]["last"] == v["last"], f"gauge {g} last")
    check(m["gauges"][g]["max"] >= v["max"], f"gauge {g} max is an upper bound")
cols = m["series"]["columns"]
check(cols == one["series"]["columns"] and m["series"]["span_s"] == one["series"]["span_s"], "series layout")
check(len(m["series"]["rows"]) == len(one["series"]["rows"]) == 150, f"series rows {len(m['series']['rows'])}")
for r, q in zip(m["series"]["rows"], one["series"]["rows"]):
    for c in EXACT_COLUMNS:
        i = cols.index(c)
        if r[i] != q[i]:
            failures.append(f"series t={q[0]} {c}: {r[i]} != {q[i]}")
    for c in BOUND_COLUMNS:
        i = cols.index(c)
        if r[i] < q[i]:
            failures.append(f"series t={q[0]} {c}: {r[i]} below {q[i]}")
run_m = m["run"]
check(run_m["terminals"] == 35 and run_m["workers"] == 4 and run_m["shards"] == 2 and run_m["shard"] == "",
      f"run info combined: {run_m}")
check(run_m["start_ms"] == one["run"]["start_ms"] and run_m["end_ms"] == one["run"]["end_ms"], "start and end")
check(run_m["source_addresses"] == ["127.0.0.2"], f"addresses joined: {run_m['source_addresses']}")

# the order of the shards does not change the sums
code, out, err = run("merge", path("b.json"), path("a.json"), "-o", path("m2.json"), "-q")
m2 = load("m2.json")
for k in ("counters", "histograms", "checks", "series", "summary", "gauges"):
    check(m2[k] == m[k], f"merge b+a == a+b: {k}")

# a merged document reads and writes back to the same bytes
code, out, err = run(path("m.json"), "-q", "-o", path("m3.json"))
check(open(path("m.json"), "rb").read() == open(path("m3.json"), "rb").read(), "merged document round trip")

# thresholds given to merge are evaluated on the sum; the summary is printed
code, out, err = run("merge", path("a.json"), path("b.json"), "-o", path("m4.json"), "--fail-if", "lost>27")
check(code == 1 and "FAIL     lost>27" in out and "observed 28" in out, f"merge --fail-if: {code}")

# merging a shard with itself three times: counts triple
code, out, err = run("merge", path("a.json"), path("a.json"), path("a.json"), "-o", path("aaa.json"), "-q")
a, aaa = load("a.json"), load("aaa.json")
check(code == 0, f"merge of three: exit {code}; {err}")
check(all(aaa["counters"][k] == 3 * v for k, v in a["counters"].items()), "three shards: counters triple")
check(aaa["histograms"]["latency_echo_us"]["count"] == 3 * a["histograms"]["latency_echo_us"]["count"],
      "three shards: histogram counts triple")

# errors
code, out, err = run("merge", path("a.json"), path("other-profile.json"), "-o", path("x.json"))
check(code == 2 and "run.profile" in err, f"different profiles: {code} {err}")
check(not os.path.exists(path("x.json")), "nothing written after an error")
code, out, err = run("merge", path("a.json"), path("b.json"))
check(code == 2 and "-o" in err, f"merge without -o: {code} {err}")
code, out, err = run("merge", "-o", path("y.json"))
check(code == 2, f"merge without inputs: {code}")
code, out, err = run("merge", path("a.json"), path("nope.json"), "-o", path("z.json"))
check(code == 2 and "nope.json" in err, f"merge with a missing input: {code} {err}")

if failures:
    print(f"{len(failures)} check(s) failed:")
    for f in failures[:40]:
        print("  " + f)
    sys.exit(1)
print("report_merge: all checks passed")
PY
