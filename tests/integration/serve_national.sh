#!/usr/bin/env bash
# remsim serve --role national --profile hj1239: the MEE activation service
# and the endpoint's signature checks, driven by a python3 socket client
# with the signed vectors of ../shared/spec/vectors.
#
#   run 1 (national, 2 workers): activation-hj1239-02 -> 01 00; the same
#     again -> 02 01; its body VIN changed (BCC fixed; the signature no
#     longer verifies) -> 02 03.  Then on other connections:
#     realtime-hj1239-01 verifies; the same with one body byte flipped fails
#     (logged, VIN and reason in the summary); another VIN: key unknown.
#   run 2 (platform, --keys DIR): the README public key written as
#     DIR/LTESTHJ16N0000002.pub.pem (+ .chip): realtime-hj1239-01 verifies
#     without any activation.
#   run 3: --fault activation=vin-error answers 02 02 to a good activation.
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}
shared=${REMSIM_SHARED:-$root/../shared}
vectors=$shared/spec/vectors

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi
if [ ! -f "$vectors/activation-hj1239-02.hex" ] || [ ! -f "$vectors/realtime-hj1239-01.hex" ]; then
  echo "skipped: shared vectors not found at $vectors (set REMSIM_SHARED or put shared/ beside the project)"
  exit 77
fi

tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The client: frames from the vectors, edited where a case needs it.
cat >"$tmp/client.py" <<'PY'
import socket, sys

def load(name):
    return bytes.fromhex(open(f"{sys.argv[2]}/{name}").read().strip())

def seal(f):
    """Recomputes the BCC (XOR of bytes 2 .. n-2)."""
    f = bytearray(f)
    b = 0
    for x in f[2:-1]:
        b ^= x
    f[-1] = b
    return bytes(f)

def with_vin(f, at, vin):
    f = bytearray(f)
    f[at:at + 17] = vin
    return seal(f)

def flipped(f, at):
    f = bytearray(f)
    f[at] ^= 0x01
    return seal(f)

def timecal(vin):
    return seal(b"~~\x05" + vin + b"\x01\x01\x00\x00\x00")

def answers(s, want, timeout=5):
    s.settimeout(timeout)
    data = b""
    out = []
    try:
        while len(out) < want:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            while len(data) >= 25:
                n = 25 + int.from_bytes(data[22:24], "big")
                if len(data) < n:
                    break
                out.append(data[:n])
                data = data[n:]
    except socket.timeout:
        pass
    return out

port = int(sys.argv[1])
case = sys.argv[3]
act = load("activation-hj1239-02.hex")
rt = load("realtime-hj1239-01.hex")
VIN = b"LTESTHJ16N0000002"
failures = []

def connect():
    return socket.create_connection(("127.0.0.1", port))

def activate(s, frame):
    s.sendall(frame)
    got = answers(s, 1)
    if len(got) != 1 or got[0][2] != 0x08:
        return None
    return got[0][24:26].hex()

def report(frame, vin):
    s = connect()
    s.sendall(frame + timecal(vin))
    got = answers(s, 1)
    s.close()
    if len(got) != 1 or got[0][2] != 0x05:
        failures.append(f"no time answer after the report for {vin}")

if case == "national":
    s = connect()
    for want, frame, what in [("0100", act, "first activation"),
                              ("0201", act, "second activation (already)"),
                              ("0203", with_vin(act, 24 + 86, b"LTESTHJ16N0000003"), "body VIN changed")]:
        got = activate(s, frame)
        if got != want:
            failures.append(f"{what}: answer {got}, expected {want}")
    s.close()
    report(rt, VIN)                                   # verifies
    report(flipped(rt, 24 + 40), VIN)                 # fails: a body byte flipped
    report(with_vin(rt, 3, b"LTESTHJ16N0000099"), b"LTESTHJ16N0000099")   # key unknown
elif case == "keys":
    report(rt, VIN)
elif case == "fault":
    s = connect()
    got = activate(s, act)
    if got != "0202":
        failures.append(f"--fault activation=vin-error: answer {got}, expected 0202")
    s.close()
if failures:
    print("\n".join(failures))
    sys.exit(1)
PY

# start NAME ARGS...: starts remsim serve, sets $pid and $port
start() {
  local name=$1
  shift
  "$remsim" serve --listen 127.0.0.1:0 --port-file "$tmp/$name.port" --profile hj1239 --idle-timeout 30 \
    --log "$tmp/$name.log" --summary "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  for _ in $(seq 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
  if [ ! -s "$tmp/$name.port" ]; then
    echo "remsim serve ($name) did not start:"; cat "$tmp/$name.err"; exit 1
  fi
  port=$(cat "$tmp/$name.port")
}

# stop NAME WANT_RC
stop() {
  sleep 0.3
  kill -TERM "$pid"
  wait "$pid"; local rc=$?
  pid=
  if [ "$rc" -ne "$2" ]; then
    echo "$1: exit status $rc after SIGTERM, expected $2"; cat "$tmp/$1.err" "$tmp/$1.out"; exit 1
  fi
}

# --- run 1: the national platform ---
start national --role national --workers 2
python3 "$tmp/client.py" "$port" "$vectors" national || exit 1
stop national 1   # a signature failed: findings

python3 - "$tmp" <<'PY' || exit 1
import json, os, sys
tmp = sys.argv[1]
failures = []
def check(c, what):
    if not c:
        failures.append(what)
s = json.load(open(os.path.join(tmp, "national.json")))
a, sg, t = s["activation"], s["signatures"], s["totals"]
check(s["role"] == "national", "role")
check(a["ok"] == 1 and a["already"] == 1 and a["other"] == 1 and a["vin_error"] == 0, f"activation {a}")
check(a["registry"]["registered"] == 1 and a["registry"]["capacity"] == 100000, f"registry {a['registry']}")
# verified: the two good activations and the good report; failed: the edited
# activation and the flipped report; unknown: the other VIN's report
check(sg["checked"] is True, "signatures checked")
check(sg["verified"] == 3 and sg["verified_default_id"] == 0, f"verified {sg}")
check(sg["failed"] == 2 and sg["unknown_key"] == 1 and sg["missing"] == 0, f"failed/unknown {sg}")
check(sg["failing_vins"] == [{"vin": "LTESTHJ16N0000002", "failed": 2, "verified": 3, "reason": "no_match"}],
      f"failing_vins {sg['failing_vins']}")
check(sg["failing_vins_not_listed"] == 0, "failing_vins_not_listed")
check(sg["samples_untrusted"] == 2 and t["samples"]["untrusted"] == 2, f"untrusted {t['samples']}")
check(t["samples"]["distinct"] == 2 + 2, f"distinct {t['samples']}")  # good report + unknown-key report
check(t["rejected"] == 0, "nothing rejected")
vins = {v["vin"]: v for v in s["vins"]}
v = vins.get("LTESTHJ16N0000002", {})
check(v.get("activations") == {"ok": 1, "already": 1, "other": 1}, f"per-VIN activations {v.get('activations')}")
check(v.get("signatures", {}).get("first_failure") == "no_match", f"per-VIN signatures {v.get('signatures')}")
check(v.get("samples_distinct") == 2 and v.get("samples_untrusted") == 2, "per-VIN samples")
check(vins.get("LTESTHJ16N0000099", {}).get("signatures", {}).get("unknown_key") == 1, "unknown key per VIN")
log = open(os.path.join(tmp, "national.log")).read().splitlines()
bad = [l for l in log if " untrusted signature frame " in l]
check(len(bad) == 2 and all(" LTESTHJ16N0000002 " in l and "(no_match)" in l for l in bad), "log lines:\n" + "\n".join(bad))
check(sum(1 for l in log if not l.startswith("#")) == 3 + 3 + 3, "every frame logged")
out = open(os.path.join(tmp, "national.out")).read()
check("signatures   verified 3" in out and "FAILED 2" in out, "text summary:\n" + out)
check("sig failed   LTESTHJ16N0000002: 2 frames (no_match)" in out, "text summary failing VIN:\n" + out)
check("activation   ok 1, already 1" in out or " ok 1 already 1" in out, "text summary activation:\n" + out)
if failures:
    print("\n".join(failures))
    sys.exit(1)
PY
"$remsim" decode --profile hj1239 "$tmp/national.log" >/dev/null || { echo "the log does not decode"; exit 1; }

# --- run 2: pre-registered keys, no activation ---
mkdir -p "$tmp/keys"
python3 - "$tmp/keys" <<'PY' || exit 1
import base64, sys
# The README public key as SubjectPublicKeyInfo: id-ecPublicKey, curve SM2 (1.2.156.10197.1.301)
xy = bytes.fromhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
                   "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
der = bytes.fromhex("3059301306072A8648CE3D020106082A811CCF5501822D034200") + b"\x04" + xy
b64 = base64.b64encode(der).decode()
pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + \
      "\n-----END PUBLIC KEY-----\n"
open(f"{sys.argv[1]}/LTESTHJ16N0000002.pub.pem", "w").write(pem)
open(f"{sys.argv[1]}/LTESTHJ16N0000002.chip", "w").write("TESTCHIP00000001\n")
PY
# Cross-check the hand-made key with the openssl CLI when it is there.
if command -v openssl >/dev/null 2>&1; then
  python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(
    "30310201010420" "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
    "A00A06082A811CCF5501822D"))' >"$tmp/priv.der"
  if openssl pkey -inform DER -in "$tmp/priv.der" -pubout -out "$tmp/pub-openssl.pem" 2>/dev/null; then
    cmp -s "$tmp/pub-openssl.pem" "$tmp/keys/LTESTHJ16N0000002.pub.pem" ||
      { echo "openssl derives another public key from the README private key"; exit 1; }
  fi
fi
start keys --keys "$tmp/keys" --workers 1
python3 "$tmp/client.py" "$port" "$vectors" keys || exit 1
stop keys 0
python3 - "$tmp" <<'PY' || exit 1
import json, os, sys
s = json.load(open(os.path.join(sys.argv[1], "keys.json")))
sg, a = s["signatures"], s["activation"]
ok = (sg["verified"] == 1 and sg["failed"] == 0 and sg["unknown_key"] == 0 and sg["keys_loaded"] == 1 and
      a["registry"]["preregistered"] == 1 and a["ok"] == 0)
if not ok:
    print(f"--keys: signatures {sg}, activation {a}")
    sys.exit(1)
PY

# --- run 3: a fault for testing terminals ---
start fault --role national --workers 1 --fault activation=vin-error
python3 "$tmp/client.py" "$port" "$vectors" fault || exit 1
stop fault 0
grep -q '"activation": "vin-error"' "$tmp/fault.json" || { echo "fault not in the summary"; exit 1; }
grep -q "FAULTS ACTIVE" "$tmp/fault.err" || { echo "fault banner"; exit 1; }

# usage errors
for args in "--verify maybe" "--registry-size 0" "--fault activation=loud" "--keys /nonexistent-dir"; do
  # shellcheck disable=SC2086
  "$remsim" serve --profile hj1239 --listen 127.0.0.1:0 --duration 0.2 $args >/dev/null 2>"$tmp/err"; rc=$?
  if [ "$rc" -ne 2 ] || [ ! -s "$tmp/err" ]; then
    echo "remsim serve $args: exit $rc, expected 2 with a message"; exit 1
  fi
done
echo "serve_national: all checks passed"
