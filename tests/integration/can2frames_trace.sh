#!/usr/bin/env bash
# remsim can2frames on the real idle-truck trace: the frames decode cleanly
# and carry the truck's values (traces/README.md), for both profiles.
set -euo pipefail
remsim=${REMSIM:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
trace=$shared/traces/css-electronics/truck_idle_2021-10-25.candump
if [ ! -f "$trace" ]; then echo "skipped: $trace not found (set REMSIM_SHARED)"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$remsim" can2frames "$trace" --vin LTESTGB10A0000001 --out "$tmp/gb.log" 2>"$tmp/gb.err"
grep -q "57849 CAN frames, 127 protocol frames" "$tmp/gb.err"
"$remsim" decode "$tmp/gb.log" > "$tmp/gb.jsonl"
"$remsim" can2frames "$trace" --vin LTESTHJ16N0000002 --profile hj1239 2>/dev/null \
  | "$remsim" decode --profile hj1239 > "$tmp/hj.jsonl"
"$remsim" can2frames "$trace" --vin LTESTGB10A0000001 --json 2>/dev/null > "$tmp/direct.jsonl"

python3 - "$tmp/gb.jsonl" "$tmp/hj.jsonl" "$tmp/direct.jsonl" <<'PY'
import json, sys
def load(p): return [json.loads(l) for l in open(p)]
gb, hj, direct = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
assert len(gb) == 127 and all(r["ok"] for r in gb), "127 valid GB frames"
assert sum(r.get("warnings_total", 0) for r in gb) == 0, "GB frames decode without warnings"
assert [r["body"]["items"][-1]["serial"] for r in gb] == list(range(1, 128)), "daily serials 1..127"
assert len(direct) == 127 and direct[5]["hex"] == gb[5]["hex"], "--json describes the same frames"
streams = [i for r in gb for i in r["body"]["items"] if i["type_name"] == "stream_diesel"]
assert len(streams) == 127
def f(i, k): return i["fields"][k]
for s in streams:
    assert 640 <= f(s, "rpm")["value"] <= 660, f(s, "rpm")
    assert 71 <= f(s, "coolant")["value"] <= 72
    assert 85.65 <= f(s, "nox_up")["value"] <= 91.0, f(s, "nox_up")
    assert f(s, "nox_down")["state"] == "invalid"
    assert f(s, "scr_in")["state"] == "invalid"
    assert abs(f(s, "fuel_level")["value"] - 74.8) < 0.21
    assert abs(f(s, "odometer")["value"] - 13832.875) <= 0.1
fixed = [s for s in streams if not (f(s, "pos_status")["raw"] & 1)]
assert fixed, "a GNSS fix appears"
for s in fixed:
    assert 40 < f(s, "lat")["value"] < 44 and 89 < f(s, "lon")["value"] < 97  # Iowa
    assert f(s, "pos_status")["raw"] & 4, "west"
obd = [i["obd"] for r in gb for i in r["body"]["items"] if i["type_name"] == "obd"]
assert obd and all(o["mil"] == 1 and o["dtc_count"] == 4 for o in obd)
assert obd[0]["vin"] == "LTESTGB10A0000001"
assert len(hj) == 13 and all(r["ok"] for r in hj)
assert sum(len(r["body"]["items"]) for r in hj) >= 254  # stream + supplement per second, plus OBD
print("can2frames: GB 127 frames, HJ 13 packets, values as the README says")
PY

# usage and environment errors exit 2
set +e
"$remsim" can2frames "$trace" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "no --vin must exit 2"; exit 1; }
"$remsim" can2frames "$tmp/none.candump" --vin LTESTGB10A0000001 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "missing file must exit 2"; exit 1; }
"$remsim" can2frames "$trace" --vin LTESTGB10A0000001 --profile gb32960 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "gb32960 must exit 2"; exit 1; }
printf '(1.0) can0 18FEF100#00\n(1.1) can0 not-a-frame\n' > "$tmp/bad.candump"
"$remsim" can2frames "$tmp/bad.candump" --vin LTESTGB10A0000001 >/dev/null 2>"$tmp/bad.err"; rc=$?
[ $rc -eq 1 ] || { echo "unreadable lines must exit 1, got $rc"; cat "$tmp/bad.err"; exit 1; }
grep -q "1 lines could not be read" "$tmp/bad.err"
exit 0
