#!/usr/bin/env bash
# The endpoint hung (SIGSTOP), killed (SIGKILL) and restarted mid-run:
# after recovery every sample the terminals generated reaches it, live or
# reissued, checked per VIN against the frame logs of both endpoint lives.
# Loopback only; about 40 s.  The frames the dead endpoint never read are
# lost on the wire; the terminals run with a 30 s resend window (at least
# once: the protocol has no acknowledgement), so they send them again.
set -u
remsim=${REMSIM:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
if [ ! -d "$shared/traces/drive-cycles" ]; then
  echo "skipped: $shared/traces/drive-cycles not found (set REMSIM_SHARED)"
  exit 77
fi
export REMSIM_SHARED=$shared
dir=$(mktemp -d -t rs_fault_XXXXXX)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill -9 -- "-$serve_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_serve() { # $1: log file.  Its own process group, so SIGKILL takes its workers too.
  setsid "$remsim" serve --listen "127.0.0.1:$port" --workers 1 --log "$1" --no-events >"$dir/serve.out" 2>&1 &
  serve_pid=$!
  for _ in $(seq 50); do
    python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && return 0
    sleep 0.1
  done
  echo "the endpoint did not start"; cat "$dir/serve.out"; exit 1
}

start_serve "$dir/a.log"
"$remsim" run scenarios/urban.lua -n 30 --duration 40 --target "127.0.0.1:$port" \
  --opt resend_window_ms=30000 --opt reconnect_ms=2000 --opt packet_samples=1 --vins "$dir/vins.csv" \
  --results "$dir/res" -q >"$dir/run.out" 2>&1 &
run_pid=$!
sleep 10
kill -STOP -- "-$serve_pid"  # the endpoint hangs: frames pile up unread in its sockets
sleep 4
kill -9 -- "-$serve_pid"     # and dies with its workers: what it had not read is gone
wait "$serve_pid" 2>/dev/null || true
sleep 4
start_serve "$dir/b.log"
wait "$run_pid"
rc=$?
kill -TERM -- "-$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=
if [ "$rc" != 0 ]; then echo "remsim run exited $rc"; cat "$dir/run.out"; exit 1; fi

cat "$dir/a.log" "$dir/b.log" | grep -v '^#' > "$dir/all.log"
"$remsim" decode "$dir/all.log" > "$dir/all.jsonl" || true
python3 - "$dir/vins.csv" "$dir/all.jsonl" <<'PY'
import csv, datetime, json, sys
gen = {r["vin"]: int(r["generated"]) for r in csv.DictReader(open(sys.argv[1]))}
got = {}
for line in open(sys.argv[2]):
    m = json.loads(line)
    if not m.get("ok") or m.get("kind") != "report":
        continue
    vin = m["header"]["vin"]; body = m["body"]
    t0 = datetime.datetime.strptime(body["time"], "%Y-%m-%d %H:%M:%S"); n = 0
    for it in body["items"]:
        if it.get("type") not in (2, 3, 5):
            continue
        # GB: consecutive seconds under the packet time (protocol.md 7.1)
        got.setdefault(vin, set()).add(t0 + datetime.timedelta(seconds=n))
        n += 1
lost = {v: g - len(got.get(v, ())) for v, g in gen.items() if g != len(got.get(v, ()))}
total = sum(gen.values())
print(f"{len(gen)} VINs, {total} samples generated, {sum(len(s) for s in got.values())} distinct received")
if lost:
    print("lost per VIN:", lost)
    sys.exit(1)
PY
