#!/usr/bin/env bash
# HJ 1239 terminals on the network against the built-in endpoint, which
# then plays the national platform: every terminal activates (0x07 -> 0x08)
# before it logs in, its packets are SM2-signed with the key from --keys DIR,
# and a packet taken from the frame log verifies with the openssl CLI against
# the public key file the run wrote (an implementation that is not ours).
# A second run with the same directory reuses the keys.
set -u
remsim=${REMSIM:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
if [ ! -d "$shared/traces/drive-cycles" ]; then
  echo "skipped: $shared/traces/drive-cycles not found (set REMSIM_SHARED)"
  exit 77
fi
export REMSIM_SHARED=$shared
dir=$(mktemp -d -t rs_runhj_XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$remsim" run scenarios/regional.lua -n 30 --duration 15 --keys "$dir/keys" --results "$dir/a" \
  --frame-log "$dir/frames.log" --fail-if 'lost>0' >"$dir/out" 2>"$dir/err" ||
  { cat "$dir/out" "$dir/err"; fail "run exited $?"; }
[ "$(ls "$dir/keys" | grep -c '\.key\.pem$')" = 30 ] || fail "30 private keys expected in --keys DIR"
[ "$(ls "$dir/keys" | grep -c '\.pub\.pem$')" = 30 ] || fail "30 public keys expected"
[ "$(ls "$dir/keys" | grep -c '\.chip$')" = 30 ] || fail "30 chip ID files expected"
python3 - "$dir/a/result.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counters"]
assert c["terminals_activated"] == 30, c.get("terminals_activated")
assert c["frames_tx_activation"] >= 30 and c["frames_rx_activation_answer"] >= 30, c
assert r["checks"]["lost"] == 0 and r["checks"]["generated"] > 30 * 10, r["checks"]
PY

# One real-time frame from the log, checked by openssl: data unit without its
# 66-byte block is the message; (r, s) become DER.
if command -v openssl >/dev/null; then
  python3 - "$dir/frames.log" "$dir" <<'PY' || exit 1
import sys
frame = None
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    hexs = line.split()[-1]
    b = bytes.fromhex(hexs)
    if b[2] == 0x02:
        frame = b
        break
assert frame, "no real-time frame in the log"
vin = frame[3:20].decode()
n = int.from_bytes(frame[22:24], "big")
unit = frame[24:24 + n]
msg, blk = unit[:-66], unit[-66:]
assert blk[0] == 32 and blk[33] == 32, "signature block shape"
def der_int(x):
    x = x.lstrip(b"\0") or b"\0"
    if x[0] & 0x80:
        x = b"\0" + x
    return b"\x02" + bytes([len(x)]) + x
body = der_int(blk[1:33]) + der_int(blk[34:66])
open(sys.argv[2] + "/msg.bin", "wb").write(msg)
open(sys.argv[2] + "/sig.der", "wb").write(b"\x30" + bytes([len(body)]) + body)
open(sys.argv[2] + "/vin", "w").write(vin)
PY
  vin=$(cat "$dir/vin")
  chip=$(tr -d '\n' < "$dir/keys/$vin.chip")
  openssl pkeyutl -verify -pubin -inkey "$dir/keys/$vin.pub.pem" -rawin -digest sm3 -pkeyopt "distid:$chip" \
    -in "$dir/msg.bin" -sigfile "$dir/sig.der" >"$dir/v.out" 2>&1 || { cat "$dir/v.out"; fail "openssl does not verify $vin's packet"; }
  grep -q "Signature Verified Successfully" "$dir/v.out" || fail "openssl: $(cat "$dir/v.out")"
else
  echo "note: no openssl CLI; the cross-check with openssl was not run"
fi

# The same directory again: the keys are read, not made anew.
sum1=$(cat "$dir/keys"/*.pub.pem | sha256sum)
"$remsim" run scenarios/regional.lua -n 30 --duration 5 --keys "$dir/keys" --results "$dir/b" -q \
  --frame-log "$dir/frames2.log" >/dev/null 2>&1 || fail "second run exited $?"
sum2=$(cat "$dir/keys"/*.pub.pem | sha256sum)
[ "$sum1" = "$sum2" ] || fail "the second run changed the stored keys"

# --tls: the activation link runs TLS too (the built-in endpoint's throwaway CA)
"$remsim" run scenarios/regional.lua -n 10 --duration 8 --tls --results "$dir/t" -q >/dev/null 2>&1 ||
  fail "--tls run exited $?"
python3 - "$dir/t/result.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counters"]
assert c["terminals_activated"] == 10 and c["tls_handshakes"] == 20, (c["terminals_activated"], c["tls_handshakes"])
assert r["checks"]["lost"] == 0, r["checks"]
PY

# --unsigned: HJ packets without the signature block
"$remsim" run scenarios/regional.lua -n 3 --duration 5 --unsigned --results "$dir/c" -q \
  --frame-log "$dir/frames3.log" >/dev/null 2>&1 || fail "--unsigned run exited $?"
"$remsim" decode --profile hj1239 "$dir/frames3.log" > "$dir/d3.json"
grep -q '"signature":null' "$dir/d3.json" || fail "--unsigned: no unsigned report in the log"
grep -q '"signature":{' "$dir/d3.json" && fail "--unsigned frames carry a signature"
echo "ok"
