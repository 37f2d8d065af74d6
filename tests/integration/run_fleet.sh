#!/usr/bin/env bash
# remsim run on the network against the built-in endpoint: 40 trucks for
# 6 s; the per-VIN check passes, the views are written, --fail-if sets the
# exit code, an unknown metric is a usage error, and the frame log decodes.
set -u
remsim=${REMSIM:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
if [ ! -d "$shared/traces/drive-cycles" ]; then
  echo "skipped: $shared/traces/drive-cycles not found (set REMSIM_SHARED)"
  exit 77
fi
export REMSIM_SHARED=$shared
dir=$(mktemp -d -t rs_runfleet_XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$remsim" run scenarios/urban.lua -n 40 --duration 6 --results "$dir/a" --frame-log "$dir/frames.log" \
  --vins "$dir/vins.csv" --fail-if 'lost>0' >"$dir/out" 2>"$dir/err" || { cat "$dir/out" "$dir/err"; fail "run exited $?"; }
for f in result.json report.html junit.xml; do [ -s "$dir/a/$f" ] || fail "no $f"; done
grep -q "per-VIN check" "$dir/out" || fail "no per-VIN check in the summary"
tail -3 "$dir/out" | grep -q "RESULT: PASS" || fail "the summary does not end with the verdict"
python3 - "$dir/a/result.json" "$dir/vins.csv" <<'PY' || exit 1
import csv, json, sys
r = json.load(open(sys.argv[1]))
c = r["checks"]
assert c["ran"] and c["vins"] == 40 and c["lost"] == 0, c
assert c["generated"] == c["received"] > 40 * 4, c
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 40 and sum(int(x["generated"]) for x in rows) == c["generated"]
assert r["counters"]["connections_attempted"] == 40
PY
"$remsim" decode "$dir/frames.log" > /dev/null || fail "the frame log does not decode"

# a threshold that fails: exit 1
"$remsim" run scenarios/urban.lua -n 5 --duration 3 --results "$dir/b" -q --fail-if 'frames_per_s<1000000' >/dev/null 2>&1
[ $? = 1 ] || fail "a failed threshold must exit 1"
# an unknown metric: exit 2 before anything runs
"$remsim" run scenarios/urban.lua -n 5 --duration 3 --results "$dir/c" --fail-if 'p99_latncy_ms>5' >/dev/null 2>"$dir/err2"
[ $? = 2 ] || fail "an unknown metric must exit 2"
grep -q "p99_latency_ms" "$dir/err2" || fail "no close name suggested"
echo "ok"
