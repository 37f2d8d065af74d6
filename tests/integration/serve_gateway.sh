#!/usr/bin/env bash
# remsim serve as a gateway: terminals -> gateway (--forward) -> upstream.
#
# The shared vectors (GB 17691 login, real-time, reissue, logout, time
# calibration) are sent to the gateway over several connections.  After
# SIGINT to the gateway (graceful: backlog drained) and SIGTERM to the
# upstream, both frame logs must hold the same frames, byte for byte, and
# both decode without error.
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
if [ ! -f "$vectors/realtime-gb17691-02.hex" ]; then
  echo "skipped: shared vectors not found at $vectors (set REMSIM_SHARED or put shared/ beside the project)"
  exit 77
fi

tmp=$(mktemp -d)
up_pid= gw_pid=
cleanup() {
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null
  [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

"$remsim" serve --listen 127.0.0.1:0 --port-file "$tmp/up.port" --workers 1 --log "$tmp/up.log" \
  --summary "$tmp/up.json" >"$tmp/up.out" 2>"$tmp/up.err" &
up_pid=$!
wait_port "$tmp/up.port" || { echo "upstream did not start"; cat "$tmp/up.err"; exit 1; }
"$remsim" serve --listen 127.0.0.1:0 --port-file "$tmp/gw.port" --workers 2 --log "$tmp/gw.log" \
  --forward "127.0.0.1:$(cat "$tmp/up.port")" --summary "$tmp/gw.json" >"$tmp/gw.out" 2>"$tmp/gw.err" &
gw_pid=$!
wait_port "$tmp/gw.port" || { echo "gateway did not start"; cat "$tmp/gw.err"; exit 1; }

python3 - "$(cat "$tmp/gw.port")" "$vectors" <<'PY' || exit 1
import socket, sys
port, vectors = int(sys.argv[1]), sys.argv[2]
def vec(name):
    return bytes.fromhex(open(f"{vectors}/{name}.hex").read().strip())
session = (vec("login-gb17691-02") + vec("realtime-gb17691-02") + vec("realtime-gb17691-03") +
           vec("reissue-gb17691-01") + vec("logout-gb17691-02") + vec("timing-req-gb17691-01"))
for k in range(6):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(session)
    s.settimeout(5)
    ans = s.recv(31)  # the time answer: everything before it was read
    if len(ans) != 31 or ans[2] != 5:
        print(f"connection {k}: no time answer ({ans.hex()})")
        sys.exit(1)
    s.close()
PY

kill -INT "$gw_pid"; wait "$gw_pid"; gw_rc=$?; gw_pid=
kill -TERM "$up_pid"; wait "$up_pid"; up_rc=$?; up_pid=
[ "$gw_rc" -eq 0 ] || { echo "gateway exit $gw_rc"; cat "$tmp/gw.err"; exit 1; }
[ "$up_rc" -eq 0 ] || { echo "upstream exit $up_rc"; cat "$tmp/up.err"; exit 1; }

for side in gw up; do
  "$remsim" decode "$tmp/$side.log" >"$tmp/$side.jsonl" || { echo "$side log does not decode"; exit 1; }
done

python3 - "$tmp" <<'PY' || exit 1
import json, os, sys
tmp = sys.argv[1]
def frames(side):
    return sorted(l.split()[-1] for l in open(os.path.join(tmp, side + ".log")) if not l.startswith("#"))
gw, up = frames("gw"), frames("up")
failures = []
if len(gw) != 36 or gw != up:
    failures.append(f"gateway logged {len(gw)} frames, upstream {len(up)}; same bytes: {gw == up}")
g = json.load(open(os.path.join(tmp, "gw.json")))["totals"]
u = json.load(open(os.path.join(tmp, "up.json")))["totals"]
if g["forward"]["frames"] != 36 or g["forward"]["dropped_backlog_full"] != 0 or g["forward"]["connects"] < 2:
    failures.append(f"gateway forward counters {g['forward']}")
if u["frames"] != 36 or u["connections"]["accepted"] != 2:
    failures.append(f"upstream: {u['frames']} frames over {u['connections']['accepted']} connections "
                    "(one per gateway worker)")
if g["samples"] != u["samples"] or g["samples"]["distinct"] == 0:
    failures.append(f"samples differ: gateway {g['samples']}, upstream {u['samples']}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
PY
echo "serve_gateway: all checks passed"
