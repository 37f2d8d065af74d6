#!/usr/bin/env bash
# remsim serve on a free loopback port, driven by a python3 client.
#
# Three terminals log in, report, ask for the time and log out; garbage and
# a bad BCC are mixed in.  Checks the answers (echo mode), the exit status
# after SIGTERM, the frame log (decoded by remsim decode as it is), the
# per-VIN summary JSON, the text summary, and usage errors.
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
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$remsim" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --workers 2 --answers echo \
  --log "$tmp/frames.log" --summary "$tmp/summary.json" --idle-timeout 30 \
  >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
if [ ! -s "$tmp/port" ]; then
  echo "remsim serve did not start:"; cat "$tmp/stderr"; exit 1
fi
port=$(cat "$tmp/port")

python3 - "$port" <<'PY' || exit 1
import socket, sys, time

port = int(sys.argv[1])

def frame(cmd, vin, data):
    body = bytes([cmd]) + vin + bytes([1, 1]) + len(data).to_bytes(2, "big") + data
    bcc = 0
    for b in body:
        bcc ^= b
    return b"##" + body + bytes([bcc])

T = bytes([26, 11, 22, 16, 0, 0])
def at(s):  # T + s seconds (s < 60)
    return T[:5] + bytes([s])

def login(vin, serial):
    return frame(1, vin, T + serial.to_bytes(2, "big") + b"89860123456789012345")

def realtime(vin, first, n, serial):
    items = b"".join(bytes([0x02]) + serial.to_bytes(2, "big") + bytes(37) for _ in range(n))
    return frame(2, vin, at(first) + items)

def timecal(vin):
    return frame(5, vin, b"")

def logout(vin, serial):
    return frame(4, vin, at(59) + serial.to_bytes(2, "big"))

def answers(sock, want):
    sock.settimeout(5)
    data = b""
    while len(data) < 31 * want:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return [data[i:i + 31] for i in range(0, len(data), 31)]

failures = []
for k in range(3):
    vin = b"LTESTCLI0%08d" % k
    s = socket.create_connection(("127.0.0.1", port))
    bad = bytearray(login(vin, 1))
    bad[-1] ^= 0xFF
    s.sendall(b"junk\x00\x01" + login(vin, 1) + realtime(vin, 0, 10, 1) + bytes(bad) +
              realtime(vin, 10, 10, 2) + timecal(vin) + logout(vin, 1))
    got = answers(s, 5)
    cmds = [a[2] for a in got]
    if cmds != [1, 2, 2, 5, 4]:
        failures.append(f"terminal {k}: answer commands {cmds}")
    if any(a[3:20] != vin for a in got):
        failures.append(f"terminal {k}: answer VINs")
    if got and got[0][24:30] != T:
        failures.append(f"terminal {k}: login echo carries {got[0][24:30].hex()}")
    s.close()
if failures:
    print("\n".join(failures))
    sys.exit(1)
PY

sleep 0.3
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
if [ "$rc" -ne 1 ]; then
  echo "exit status $rc after SIGTERM, expected 1 (frames were rejected)"; cat "$tmp/stderr"; exit 1
fi

"$remsim" decode "$tmp/frames.log" >"$tmp/decoded.jsonl"; drc=$?
if [ "$drc" -ne 0 ]; then
  echo "remsim decode of the frame log exited $drc"; head -5 "$tmp/decoded.jsonl"; exit 1
fi

python3 - "$tmp" <<'PY' || exit 1
import json, os, sys
tmp = sys.argv[1]
failures = []
def check(c, what):
    if not c:
        failures.append(what)

recs = [json.loads(l) for l in open(os.path.join(tmp, "decoded.jsonl"))]
check(len(recs) == 15, f"decoded {len(recs)} frames, expected 15")
check(all(r["ok"] for r in recs), "every logged frame decodes")
kinds = {}
for r in recs:
    kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
check(kinds == {"login": 3, "report": 6, "time_calibration_request": 3, "logout": 3}, f"kinds {kinds}")

log = open(os.path.join(tmp, "frames.log")).read().splitlines()
frames = [l for l in log if not l.startswith("#")]
check(all(len(l.split()) == 4 and l.split()[0].endswith("Z") and l.split()[1].startswith("127.0.0.1:")
          for l in frames), "frame lines: time peer VIN hex")
check(sum(" rejected bcc " in l for l in log) == 3, "three bcc rejections logged")
check(sum(" rejected start stream 0 " in l for l in log) == 3, "leading junk logged at stream byte 0")
check(sum(l.startswith("# ") and " open " in l for l in log) == 3, "three open events")

s = json.load(open(os.path.join(tmp, "summary.json")))
t = s["totals"]
check(s["command"] == "serve" and s["workers"] == 2 and s["answers"] == "echo", "summary header")
check(t["frames"] == 15 and t["answers"] == 15, f"frames/answers {t['frames']}/{t['answers']}")
check(t["rejected_by_reason"].get("bcc") == 3, f"rejected {t['rejected_by_reason']}")
check(t["samples"] == {"live": 60, "reissue": 0, "untimed": 0, "distinct": 60, "duplicates": 0, "untrusted": 0},
      f"samples {t['samples']}")
check(t["connections"]["accepted"] == 3 and t["connections"]["open"] == 0, "connections")
check(t["vins"] == 3 and len(s["vins"]) == 3, "three VINs")
for k, v in enumerate(s["vins"]):
    check(v["vin"] == "LTESTCLI0%08d" % k, f"vin {k}: {v['vin']}")
    check(v["logins"] == 1 and v["logouts"] == 1 and v["rejected"] == 1, f"vin {k}: sessions {v}")
    check(v["frames"] == {"0x01": 1, "0x02": 2, "0x04": 1, "0x05": 1}, f"vin {k}: frames {v['frames']}")
    check(v["samples_live"] == 20 and v["samples_distinct"] == 20 and v["duplicates"] == 0, f"vin {k}: samples")
    check(v["first_collect"] == "2026-11-22 16:00:00" and v["last_collect"] == "2026-11-22 16:00:19",
          f"vin {k}: collect {v['first_collect']} .. {v['last_collect']}")

out = open(os.path.join(tmp, "stdout")).read()
check("frames       15" in out and "rejected     6 (start 3, bcc 3)" in out, "text summary on stdout:\n" + out)
err = open(os.path.join(tmp, "stderr")).read()
check("listening on 127.0.0.1" in err and "2 workers" in err, "banner on stderr:\n" + err)
if failures:
    print("\n".join(failures))
    sys.exit(1)
PY

# usage and environment errors: exit 2 with a message
for args in "--workers 0" "--listen nowhere" "--answers loud" "--fault explode" "--opt no_such=1" "extra"; do
  # shellcheck disable=SC2086
  "$remsim" serve $args >/dev/null 2>"$tmp/err"; rc=$?
  if [ "$rc" -ne 2 ] || [ ! -s "$tmp/err" ]; then
    echo "remsim serve $args: exit $rc, expected 2 with a message"; exit 1
  fi
done
python3 -c '
import socket, subprocess, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
p = subprocess.run([sys.argv[1], "serve", "--listen", "127.0.0.1:%d" % s.getsockname()[1], "--duration", "1"],
                   capture_output=True, text=True, timeout=30)
sys.exit(0 if p.returncode == 2 and "cannot start" in p.stderr else 1)
' "$remsim" || { echo "a port in use: expected exit 2 with 'cannot start'"; exit 1; }
"$remsim" serve --help | grep -q -- "--forward HOST:PORT" || { echo "help text"; exit 1; }

# --duration stops by itself, cleanly: exit 0 with nothing rejected
"$remsim" serve --listen 127.0.0.1:0 --workers 1 --duration 0.5 >"$tmp/out2" 2>/dev/null; rc=$?
[ "$rc" -eq 0 ] || { echo "--duration: exit $rc"; exit 1; }
grep -q "accepted 0" "$tmp/out2" || { echo "--duration: summary"; cat "$tmp/out2"; exit 1; }
echo "serve_cli: all checks passed"
