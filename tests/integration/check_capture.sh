#!/usr/bin/env bash
# remsim check on captures made here:
#  (a) the frame log of an offline fleet run: no errors, exit 0;
#  (b) a copy with one fault of each kind injected (flipped BCC, skipped
#      serial, wrong length, logout with the wrong serial, duplicated frame,
#      garbage line): each found under its case id at its line, exit 1;
#  (c) pcap and pcapng files built from the same frames (split and coalesced
#      across TCP segments, one retransmission, two segments out of order,
#      answers from the platform): the same verdicts as the log; and the
#      sequence faults of (b) found in a pcap too;
#  plus the JUnit view (valid XML, one testcase per case) and --vin.
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}
tools="$root/tests/integration/capture_tools.py"

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi
shared=${REMSIM_SHARED:-$root/../shared}
if [ ! -d "$shared/traces" ]; then
  echo "skipped: shared data not found at $shared (the urban scenario reads a drive cycle; set REMSIM_SHARED)"; exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cd "$root" || exit 1
"$remsim" run scenarios/urban.lua --offline --out "$tmp/frames.log" -n 3 --duration 600 >"$tmp/run.out" 2>&1 ||
  fail "remsim run --offline: $(tail -3 "$tmp/run.out")"

# (a) a clean log
"$remsim" check "$tmp/frames.log" --json "$tmp/clean.json" --junit "$tmp/clean.xml" >"$tmp/a.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/a.out"; fail "(a) clean log: exit $rc, want 0"; }
tail -1 "$tmp/a.out" | grep -q '^PASS: .* 0 failed' || fail "(a) summary is not the last line: $(tail -1 "$tmp/a.out")"

# (b) injected faults
python3 "$tools" inject "$tmp/frames.log" "$tmp/faulty.log" "$tmp/faults.json" || fail "inject"
"$remsim" check "$tmp/faulty.log" --json "$tmp/faulty.json" >"$tmp/b.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/b.out"; fail "(b) faulty log: exit $rc, want 1"; }

# (c) the same frames as TCP captures
python3 "$tools" pcap "$tmp/frames.log" "$tmp/clean.pcap" || fail "pcap"
python3 "$tools" pcap "$tmp/frames.log" "$tmp/clean.pcapng" --pcapng || fail "pcapng"
python3 "$tools" pcap "$tmp/faulty.log" "$tmp/faulty.pcap" || fail "faulty pcap"
for f in clean.pcap clean.pcapng; do
  "$remsim" check "$tmp/$f" --json "$tmp/$f.json" -q >"$tmp/c.out" 2>&1
  rc=$?
  [ $rc -eq 0 ] || { cat "$tmp/c.out"; fail "(c) $f: exit $rc, want 0"; }
  python3 "$tools" verdicts "$tmp/clean.json" "$tmp/$f.json" --ignore 3.5/coalesced || fail "(c) $f: verdicts differ from the log's"
done
"$remsim" check "$tmp/faulty.pcap" --json "$tmp/faulty.pcap.json" -q >"$tmp/d.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/d.out"; fail "(c) faulty pcap: exit $rc, want 1"; }

# --vin: only that VIN's frames
vin=$(python3 -c "import json;print(json.load(open('$tmp/faults.json'))[0]['vin'])")
"$remsim" check "$tmp/faulty.log" --vin "$vin" --json "$tmp/vin.json" -q >/dev/null 2>&1
"$remsim" check --vin SHORT "$tmp/faulty.log" >/dev/null 2>&1
[ $? -eq 2 ] || fail "--vin with a bad VIN: want exit 2"
"$remsim" check "$tmp/does-not-exist.log" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a missing file: want exit 2"

exec python3 - "$tmp" <<'PY'
import json, os, sys
import xml.etree.ElementTree as ET

tmp = sys.argv[1]
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

def load(name):
    return json.load(open(os.path.join(tmp, name)))

def cases(doc):
    return {c["id"]: c for c in doc["cases"]}

clean = load("clean.json")
check(clean["format"] == "remsim-conformance" and clean["role"] == "capture", "document format and role")
check(clean["counts"]["fail"] == 0, "(a) no failed case")
check(sum(c["errors"] for c in clean["cases"]) == 0, "(a) no error finding")
check(clean["vins"]["count"] == 3 and clean["vins"]["failed"] == 0, "(a) three VINs, none failed")
check(sum(clean["counts"].values()) == len(clean["cases"]), "(a) counts add up to the cases")
cc = cases(clean)
for must in ("3.1/bcc", "3.1/length", "10/report-serial", "6.2/logout-serial", "10/packet-interval"):
    check(cc[must]["verdict"] == "pass", f"(a) {must} passes: {cc[must]['verdict']} {cc[must]['reason']}")
check(cc["9.1/sig-verify"]["verdict"] == "not_applicable", "(a) signatures are not part of gb17691")
check(cc["3.5/coalesced"]["verdict"] == "skipped", "(a) coalesced is skipped for a frame log")

faulty = load("faulty.json")
fc = cases(faulty)
for f in json.load(open(os.path.join(tmp, "faults.json"))):
    c = fc[f["case"]]
    hits = [e for e in c["evidence"] if e["line"] == f["line"] and (not f["vin"] or e["vin"] == f["vin"])]
    check(hits, f"(b) {f['case']} at line {f['line']} VIN {f['vin']!r}: not among {[(e['line'], e['vin']) for e in c['evidence']]}")
for must in ("3.1/bcc", "3.1/length", "3.5/garbage"):
    check(fc[must]["verdict"] == "fail", f"(b) {must} fails")
for must in ("10/report-serial", "6.2/logout-serial", "10/duplicate-sample"):
    check(fc[must]["warnings"] >= 1 and fc[must]["verdict"] == "pass", f"(b) {must}: a warning (not an error without --strict)")
check(faulty["vins"]["failed"] == 2, f"(b) two VINs failed (BCC, length): {faulty['vins']['failed']}")

for name in ("clean.pcap.json", "clean.pcapng.json"):
    d = load(name)
    c = cases(d)
    check(c["3.5/coalesced"]["verdict"] == "pass" and c["3.5/coalesced"]["infos"] > 0, f"(c) {name}: coalesced frames noted")
    check(d["traffic"]["downlink_frames"] == 3, f"(c) {name}: three answers seen")
    check(d["traffic"]["answer_latency"]["count"] == 3, f"(c) {name}: answer latency recorded")
    check(d["traffic"]["frames"] == clean["traffic"]["frames"] + 3, f"(c) {name}: every frame of the log")

fp = cases(load("faulty.pcap.json"))
for must in ("10/report-serial", "6.2/logout-serial", "10/duplicate-sample"):
    check(fp[must]["warnings"] >= 1, f"(c) faulty pcap: {must} found")
check(fp["3.1/bcc"]["verdict"] == "fail", "(c) faulty pcap: BCC fails")

v = load("vin.json")
check(v["vins"]["count"] == 1, f"--vin: one VIN, got {v['vins']['count']}")

x = ET.parse(os.path.join(tmp, "clean.xml")).getroot()
suite = x.find("testsuite")
check(suite is not None and len(suite.findall("testcase")) == len(clean["cases"]), "JUnit: a testcase per case")
check(int(suite.get("failures")) == 0, "JUnit: no failure")
check(int(suite.get("skipped")) == clean["counts"]["skipped"] + clean["counts"]["not_applicable"], "JUnit: skipped count")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
PY
