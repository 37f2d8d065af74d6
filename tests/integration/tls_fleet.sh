#!/usr/bin/env bash
# TLS end to end on loopback, certificates made with the openssl command:
#  1. remsim serve --tls and 1000 terminals with --tls --tls-ca: every
#     sample reaches the endpoint (per VIN: the run's --vins against the
#     endpoint's summary), 1000 handshakes on both sides, none failed.
#  2. a run trusting another CA: no connection comes up, the failures are
#     counted as tls, the endpoint counts the refusal.
#  3. an endpoint with --tls-verify-client: terminals without a client
#     certificate are refused and counted (no_peer_certificate); with a
#     certificate from the CA they report.
# About 40 s.  Exit 0 pass, 77 skip, else fail.
set -u
remsim=${REMSIM:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
if [ ! -d "$shared/traces/drive-cycles" ]; then
  echo "skipped: $shared/traces/drive-cycles not found (set REMSIM_SHARED)"; exit 77
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "skipped: the openssl command is not installed (Debian package openssl)"; exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
export REMSIM_SHARED=$shared
dir=$(mktemp -d -t rs_tlsfleet_XXXXXX)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill -9 -- "-$serve_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- certificates: a CA, a server certificate for 127.0.0.1, a client one; another CA
mkca() { # $1: name
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1 CA" \
    -keyout "$dir/$1-ca.key" -out "$dir/$1-ca.pem" 2>/dev/null || fail "openssl: CA $1"
}
mkcert() { # $1: CA name, $2: leaf name, $3: extensions
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$dir/$2.key" -out "$dir/$2.csr" 2>/dev/null || fail "openssl: request $2"
  printf '%s\n' "$3" > "$dir/$2.ext"
  openssl x509 -req -in "$dir/$2.csr" -CA "$dir/$1-ca.pem" -CAkey "$dir/$1-ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/$2.ext" -out "$dir/$2.pem" 2>/dev/null || fail "openssl: sign $2"
}
mkca good
mkca other
mkcert good server "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
mkcert good client "extendedKeyUsage=clientAuth"

start_serve() { # $1: name, then serve options.  Its own process group (stops take the workers too).
  local name=$1; shift
  rm -f "$dir/$name.port"
  setsid "$remsim" serve --listen 127.0.0.1:0 --port-file "$dir/$name.port" --workers 1 --no-events \
    --summary "$dir/$name.json" --tls --tls-cert "$dir/server.pem" --tls-key "$dir/server.key" "$@" \
    >"$dir/$name.out" 2>"$dir/$name.err" &
  serve_pid=$!
  for _ in $(seq 100); do [ -s "$dir/$name.port" ] && break; sleep 0.1; done
  [ -s "$dir/$name.port" ] || { cat "$dir/$name.err"; fail "remsim serve ($name) did not start"; }
  port=$(cat "$dir/$name.port")
}
stop_serve() {
  kill -TERM -- "-$serve_pid" 2>/dev/null
  wait "$serve_pid" 2>/dev/null
  serve_pid=
}

# --- 1. 1000 terminals over TLS, every sample per VIN
start_serve main
grep -q "(tls)" "$dir/main.err" || fail "the banner does not say tls"
"$remsim" run scenarios/urban.lua -n 1000 --duration 20 --ramp 500 --target "127.0.0.1:$port" \
  --tls --tls-ca "$dir/good-ca.pem" --vins "$dir/vins.csv" --results "$dir/res" -q >"$dir/run.out" 2>&1 \
  || { cat "$dir/run.out"; fail "the TLS run exited $?"; }
stop_serve
python3 - "$dir/res/result.json" "$dir/vins.csv" "$dir/main.json" <<'PY' || exit 1
import csv, json, sys
r = json.load(open(sys.argv[1]))
c, h = r["counters"], r["histograms"]
assert c["connections_attempted"] == 1000, c["connections_attempted"]
assert c["tls_handshakes"] == 1000 and c["connections_failed_tls"] == 0, c
assert h["tls_handshake_us"]["count"] == 1000, h["tls_handshake_us"]
assert r["gauges"]["connections_up"]["max"] == 1000, r["gauges"]
gen = {x["vin"]: int(x["generated"]) for x in csv.DictReader(open(sys.argv[2]))}
s = json.load(open(sys.argv[3]))
t = s["totals"]["tls"]
assert t["handshakes"] == 1000 and t["failed"] == 0, t
got = {v["vin"]: v["samples_distinct"] for v in s["vins"]}
assert len(gen) == 1000
lost = {v: g - got.get(v, 0) for v, g in gen.items() if got.get(v, 0) != g}
assert not lost, f"{len(lost)} VINs lost samples: {list(lost.items())[:5]}"
print(f"1000 TLS terminals: {sum(gen.values())} samples, every one received; "
      f"handshake p50 {h['tls_handshake_us']['p50_us'] / 1000:.1f} ms")
PY

# --- 2. a CA that did not sign the endpoint: nothing comes up, counted as tls
start_serve wrongca
"$remsim" run scenarios/urban.lua -n 20 --duration 4 --target "127.0.0.1:$port" \
  --tls --tls-ca "$dir/other-ca.pem" --results "$dir/res2" >"$dir/run2.out" 2>&1
grep -q "unable to get local issuer certificate" "$dir/run2.out" || { cat "$dir/run2.out"; fail "the reason is not said"; }
stop_serve
python3 - "$dir/res2/result.json" "$dir/wrongca.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counters"]
assert r["gauges"]["connections_up"]["max"] == 0, r["gauges"]
assert c["tls_handshakes"] == 0 and c["connections_failed_tls"] >= 20, c
assert c["connections_failed_tls"] == c["connections_attempted"], c
t = json.load(open(sys.argv[2]))["totals"]
assert t["tls"]["failed_by_reason"].get("peer_rejected_certificate", 0) >= 20, t["tls"]
assert t["frames"] == 0 and t["connections"]["closed"]["tls_failed"] >= 20, t
print(f"wrong CA: 0 up, {c['connections_failed_tls']} failures counted as tls")
PY

# --- 3. mutual authentication
start_serve mutual --tls-verify-client --tls-ca "$dir/good-ca.pem"
"$remsim" run scenarios/urban.lua -n 10 --duration 4 --target "127.0.0.1:$port" \
  --tls --tls-ca "$dir/good-ca.pem" --results "$dir/res3" -q >"$dir/run3.out" 2>&1
"$remsim" run scenarios/urban.lua -n 10 --duration 4 --seed 2 --target "127.0.0.1:$port" \
  --tls --tls-ca "$dir/good-ca.pem" --tls-cert "$dir/client.pem" --tls-key "$dir/client.key" \
  --vins "$dir/vins4.csv" --results "$dir/res4" -q >"$dir/run4.out" 2>&1 || { cat "$dir/run4.out"; fail "mutual run exited $?"; }
stop_serve
python3 - "$dir/res3/result.json" "$dir/res4/result.json" "$dir/mutual.json" "$dir/vins4.csv" <<'PY' || exit 1
import csv, json, sys
no_cert, with_cert, s = (json.load(open(p)) for p in sys.argv[1:4])
c = no_cert["counters"]
# TLS 1.3: the client finishes first and sends its login, then the endpoint's
# alert ends the link.  The alert is read (a tls failure) unless the reset for
# the unread login overtakes it (a disconnection): either way nothing is answered.
assert c["tls_handshakes"] == 10 and c["bytes_rx"] == 0 and c["frames_rx_login"] == 0, c
assert c["connections_failed_tls"] <= 10, c
t = s["totals"]["tls"]
assert t["failed_by_reason"].get("no_peer_certificate", 0) >= 10, t
assert with_cert["counters"]["tls_handshakes"] == 10 and with_cert["counters"]["connections_failed_tls"] == 0
gen = {x["vin"]: int(x["generated"]) for x in csv.DictReader(open(sys.argv[4]))}
got = {v["vin"]: v["samples_distinct"] for v in s["vins"]}
assert all(got.get(v, 0) == g for v, g in gen.items()), "mutual: samples missing"
assert len(got) == 10, f"frames from terminals without a certificate reached the endpoint: {len(got)} VINs"
print(f"mutual: {t['failed_by_reason']['no_peer_certificate']} refused without a certificate, "
      f"10 accepted with one, {sum(gen.values())} samples received")
PY
echo "ok"
