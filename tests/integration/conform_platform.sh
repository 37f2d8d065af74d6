#!/usr/bin/env bash
# remsim conform platform: the platform suite against the reference endpoint
# (remsim serve on 127.0.0.1), clean and with each of its test faults.
#
#   1. gb17691, endpoint with --answers echo and 2 workers, the frame-log
#      oracle (python3) and a GB/T 32960 endpoint as --plat-target: every
#      platform case passes, none skipped (9.3 activation is HJ only: n/a).
#   2. hj1239 against --role national with --national, the oracle as a Lua
#      hook: every case passes; skipped only 12.3/p-platform-login (no
#      --plat-target given, said so in its reason).
#   3. gb17691, no oracle, defaults: passes; skipped only 7/p-stored (needs
#      --oracle) and 12.3/p-platform-login (needs --plat-target).
#   4. each test fault of the endpoint: exit 1, the matching cases fail with
#      a reason that says what went wrong, every other case still passes:
#        wrong-time        -> 8/p-timecal-accuracy ("+3600.0 s from true time")
#        wrong-answer-cmd  -> 5/p-answer-command, 8/p-timecal-answer ("0x15")
#        close-on-valid=15 -> 6/p-keeps-connection ("after 15 valid frames")
#        drop-every=10     -> 7/p-stored ("not stored", the 9th report)
#      (wrong-time and wrong-answer-cmd run without the oracle, so 7/p-stored
#      is skipped there: that is the runtime budget, not a finding.)
#   5. gb32960 against the GB/T 32960 endpoint: 12.3 over --target and the
#      robustness cases pass (the emission cases do not apply); a case file
#      that ends in a Lua error: its case skipped with the error, exit 2.
#   6. over TLS (when the openssl command is there to make certificates).
#   7. --junit (xml.etree) and --html of the wrong-answer-cmd run; exit 2 for
#      an unreachable target and for a case directory without case files.
# Every run but 3 uses --slow-ms 40 (the slow sender trickles 1 s, not 2.5 s).
# About 105 s.  Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}
case $remsim in /*) ;; *) remsim=$PWD/$remsim ;; esac

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi

tmp=$(mktemp -d -t rs_confplat_XXXXXX)
declare -A pid port
cleanup() {
  for n in "${!pid[@]}"; do kill -9 -- "-${pid[$n]}" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$root" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
t_start=$SECONDS

# start NAME SERVE-ARGS...: an endpoint in its own process group (a stop
# takes its workers too), its frame log in $tmp/NAME.log
start() {
  local name=$1; shift
  setsid "$remsim" serve --listen 127.0.0.1:0 --port-file "$tmp/$name.port" --idle-timeout 60 \
    --log "$tmp/$name.log" --summary "$tmp/$name.summary.json" "$@" >"$tmp/$name.serve.out" 2>&1 &
  pid[$name]=$!
  for _ in $(seq 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
  [ -s "$tmp/$name.port" ] || { cat "$tmp/$name.serve.out"; fail "remsim serve ($name) did not start"; }
  port[$name]=$(cat "$tmp/$name.port")
}
stop() {
  kill -TERM -- "-${pid[$1]}" 2>/dev/null
  wait "${pid[$1]}" 2>/dev/null
  unset "pid[$1]"
}

# verdicts.py REPORT [skip:ID ...] [ID=fail:RE ...]: every platform case
# (/p-) must pass or be n/a, except those named: skip:ID must be skipped
# (its reason is printed), ID=fail:RE must fail with a reason RE matches.
cat >"$tmp/verdicts.py" <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
skips = {a[5:] for a in sys.argv[2:] if a.startswith("skip:")}
fails = dict(a.split("=fail:", 1) for a in sys.argv[2:] if "=fail:" in a)
seen = 0
for c in doc["cases"]:
    cid, v, why = c["id"], c["verdict"], c.get("reason", "")
    if "/p-" not in cid:
        continue
    seen += 1
    if cid in fails:
        if v != "fail":
            sys.exit(f"{cid}: {v}, want fail ({why})")
        if not re.search(fails[cid], why):
            sys.exit(f"{cid}: the reason does not match '{fails[cid]}': {why}")
        print(f"  fail  {cid}: {why[:200]}")
    elif cid in skips:
        if v != "skipped" or not why:
            sys.exit(f"{cid}: {v}, want skipped with a reason ({why})")
        print(f"  skip  {cid}: {why[:160]}")
    elif v not in ("pass", "not_applicable"):
        sys.exit(f"{cid}: {v}, want pass ({why})")
if seen != 19:
    sys.exit(f"{seen} platform cases in the report, want 19")
n = doc["counts"]
if (n["fail"] > 0) != bool(fails) or n["skipped"] != len(skips):
    sys.exit(f"counts {n}: want {len(fails)} failing, {len(skips)} skipped")
print(f"  counts {n}")
EOF

# conform NAME WANT_RC ARGS...: runs the suite, report in $tmp/NAME.json
conform() {
  local name=$1 want=$2; shift 2
  local t0=$SECONDS
  "$remsim" conform platform -q --json "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>&1
  local rc=$?
  [ "$rc" = "$want" ] || { tail -30 "$tmp/$name.out"; fail "$name: exit $rc, want $want"; }
  echo "  ($name: exit $rc in $((SECONDS - t0)) s)"
}
oracle_py() { echo "python3 scenarios/conform/oracle_framelog.py --log $tmp/$1.log"; }

start plat --profile gb32960 --workers 1      # the forwarding-link receiver of every run

echo "1. gb17691, echo answers, 2 workers, oracle, --plat-target: every case passes"
start gb --workers 2 --answers echo
conform gb 0 --slow-ms 40 --target "127.0.0.1:${port[gb]}" --plat-target "127.0.0.1:${port[plat]}" \
  --oracle "$(oracle_py gb)"
python3 "$tmp/verdicts.py" "$tmp/gb.json" || fail "gb17691 verdicts"
grep -q 'echoed (0x01' "$tmp/gb.json" || fail "the login echo was not seen and judged"
stop gb

echo "2. hj1239 against the national platform, the oracle as a Lua hook"
start hj --workers 1 --profile hj1239 --role national
REMSIM_FRAMELOG=$tmp/hj.log conform hj 0 --slow-ms 40 --profile hj1239 --national --target "127.0.0.1:${port[hj]}" \
  --oracle scenarios/conform/oracle_framelog.lua
python3 "$tmp/verdicts.py" "$tmp/hj.json" skip:12.3/p-platform-login || fail "hj1239 verdicts"
grep -q '"9.3/p-activation-answer"' "$tmp/hj.json" && grep -q 'valid activation 01 00' "$tmp/hj.json" ||
  fail "the activation case did not see 01 00"
stop hj
python3 - "$tmp/hj.summary.json" <<'EOF' || fail "hj1239: the endpoint's view"
import json, sys
s = json.load(open(sys.argv[1]))
a, sg = s["activation"], s["signatures"]
# the case's valid activation, accepted once; its reports verified against
# the key it registered is not asked (other VINs report unactivated)
assert a["ok"] >= 1 and a["already"] >= 1 and a["vin_error"] >= 1 and a["other"] >= 1, a
assert sg["failed"] == 0, sg
EOF

echo "3. gb17691, defaults, no oracle"
start plain --workers 1
conform plain 0 --target "127.0.0.1:${port[plain]}"
python3 "$tmp/verdicts.py" "$tmp/plain.json" skip:7/p-stored skip:12.3/p-platform-login || fail "no-oracle verdicts"
grep -q 'needs --oracle' "$tmp/plain.json" || fail "7/p-stored does not say it needs --oracle"
stop plain

echo "4. the endpoint's test faults"
start f_time --workers 1 --fault wrong-time
conform f_time 1 --slow-ms 40 --target "127.0.0.1:${port[f_time]}" --plat-target "127.0.0.1:${port[plat]}"
python3 "$tmp/verdicts.py" "$tmp/f_time.json" skip:7/p-stored \
  "8/p-timecal-accuracy=fail:\+3(599|600)\.[0-9] s from true time" || fail "wrong-time"
stop f_time

start f_cmd --workers 1 --fault wrong-answer-cmd
conform f_cmd 1 --slow-ms 40 --target "127.0.0.1:${port[f_cmd]}" --plat-target "127.0.0.1:${port[plat]}" \
  --junit "$tmp/f_cmd.xml" --html "$tmp/f_cmd.html"
python3 "$tmp/verdicts.py" "$tmp/f_cmd.json" skip:7/p-stored "5/p-answer-command=fail:sent 0x15" \
  "8/p-timecal-answer=fail:answered with command 0x15" || fail "wrong-answer-cmd"
stop f_cmd

start f_close --workers 1 --fault close-on-valid=15
conform f_close 1 --slow-ms 40 --target "127.0.0.1:${port[f_close]}" --plat-target "127.0.0.1:${port[plat]}" \
  --oracle "$(oracle_py f_close)"
python3 "$tmp/verdicts.py" "$tmp/f_close.json" \
  "6/p-keeps-connection=fail:closed the connection after 15 valid frames" || fail "close-on-valid"
stop f_close

start f_drop --workers 1 --fault drop-every=10
conform f_drop 1 --slow-ms 40 --target "127.0.0.1:${port[f_drop]}" --plat-target "127.0.0.1:${port[plat]}" \
  --oracle "$(oracle_py f_drop)"
python3 "$tmp/verdicts.py" "$tmp/f_drop.json" "7/p-stored=fail:1 of 10 not stored \(oracle\): 0x02 real-time report \(serial 9," ||
  fail "drop-every"
stop f_drop
grep -q '"fault_dropped": [1-9]' "$tmp/f_drop.summary.json" || fail "drop-every: the endpoint dropped nothing"

echo "5. gb32960 (the forwarding-link receiver itself as the target): platform login and robustness"
conform ev 0 --slow-ms 40 --profile gb32960 --target "127.0.0.1:${port[plat]}" --oracle "$(oracle_py plat)"
python3 "$tmp/verdicts.py" "$tmp/ev.json" || fail "gb32960 verdicts"

echo "   a broken case file: its cases skipped with the Lua error, exit 2"
mkdir -p "$tmp/broken"
echo 'return { cases = { "3.5/p-garbage" }, run = function() local x = nil; return x.field end }' \
  >"$tmp/broken/broken.lua"
conform broken 2 --profile gb32960 --target "127.0.0.1:${port[plat]}" --cases "$tmp/broken"
grep -q 'case script error: .*broken.lua' "$tmp/broken.json" || fail "the script error is not the skip reason"
stop plat

if command -v openssl >/dev/null 2>&1; then
  echo "6. over TLS (remsim serve --tls, certificates from the openssl command)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=test CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tmp/srv.key" -out "$tmp/srv.csr" 2>/dev/null &&
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tmp/srv.ext" &&
  openssl x509 -req -in "$tmp/srv.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
    -extfile "$tmp/srv.ext" -out "$tmp/srv.pem" 2>/dev/null || fail "openssl: test certificates"
  start tls --workers 1 --tls --tls-cert "$tmp/srv.pem" --tls-key "$tmp/srv.key"
  conform tls 0 --slow-ms 40 --tls --tls-ca "$tmp/ca.pem" --target "127.0.0.1:${port[tls]}"
  python3 "$tmp/verdicts.py" "$tmp/tls.json" skip:7/p-stored skip:12.3/p-platform-login || fail "TLS verdicts"
  grep -q '(TLS)' "$tmp/tls.json" || fail "the report does not say TLS"
  stop tls
else
  echo "6. over TLS: not run (the openssl command is not installed)"
fi

echo "7. reports and exit status"
python3 - "$tmp/f_cmd.xml" "$tmp/f_cmd.html" <<'EOF' || fail "JUnit / HTML"
import sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
failed = sorted(c.get("name", "") for c in cases if c.find("failure") is not None)
assert len(cases) > 19, f"{len(cases)} testcases"
assert any("5/p-answer-command" in n for n in failed) and any("8/p-timecal-answer" in n for n in failed) \
    and len(failed) == 2, failed
html = open(sys.argv[2], encoding="utf-8").read()
assert html.lstrip().lower().startswith("<!doctype html") and "</html>" in html, "not a whole HTML document"
assert "5/p-answer-command" in html and "sent 0x15" in html, "the failing case and its reason are not in the HTML"
class P(HTMLParser):
    pass
P().feed(html)
print(f"  junit: {len(cases)} testcases, failing {failed}; html: {len(html)} bytes")
EOF
"$remsim" conform platform -q --target 127.0.0.1:1 >"$tmp/unreach.out" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'target' "$tmp/unreach.out" || { cat "$tmp/unreach.out"; fail "unreachable target: exit $rc, want 2"; }
"$remsim" conform platform -q --target 127.0.0.1:9 --cases "$tmp" >"$tmp/nocases.out" 2>&1; rc=$?
[ "$rc" = 2 ] || { cat "$tmp/nocases.out"; fail "no case files: exit $rc, want 2"; }
echo "conform_platform: all checks passed in $((SECONDS - t_start)) s"
