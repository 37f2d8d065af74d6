#!/usr/bin/env bash
# make demo: the main job that exists today.  Decodes every shared test
# vector with its profile and prints one line per frame, then one frame in
# full.  (The fleet issue turns this into 1,000 terminals against the
# built-in endpoint.)
set -euo pipefail
remsim=${1:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
vectors=$shared/spec/vectors
if [ ! -d "$vectors" ]; then
  echo "demo: $vectors not found (set REMSIM_SHARED to the shared/ folder)" >&2
  exit 2
fi
mkdir -p out
: > out/demo-decoded.jsonl
for profile in gb17691 hj1239 gb32960; do
  opts=()
  [ "$profile" = gb17691 ] && opts=(--opt s6_variant=on)
  "$remsim" decode --profile "$profile" "${opts[@]}" "$vectors"/*-"$profile"-*.hex \
    $( [ "$profile" = gb17691 ] && echo "$vectors"/realtime-variant-tiza-01.hex ) \
    >> out/demo-decoded.jsonl || true   # bad-bcc is invalid on purpose
done
python3 - out/demo-decoded.jsonl <<'PY'
import json, sys, os
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'vector':34} {'profile':8} {'result':7} {'kind':26} {'VIN':18} notes")
for r in rows:
    name = os.path.basename(r["source"]["file"])
    kind = r.get("kind", "-")
    vin = r.get("header", {}).get("vin", "")
    if r["ok"]:
        notes = ", ".join(w["code"] for w in r.get("warnings", []))
        if kind == "report":
            items = r["body"]["items"]
            notes = f"{len(items)} item(s) " + notes
        res = "ok"
    else:
        e = r["error"]; res = "INVALID"; notes = f'{e["code"]} at byte {e["offset"]}'
    print(f"{name:34} {r['profile']:8} {res:7} {kind:26} {vin:18} {notes}")
ok = sum(r["ok"] for r in rows)
print(f"\n{len(rows)} frames: {ok} valid, {len(rows) - ok} invalid (bad-bcc-gb17691-01 is invalid on purpose)")
PY
echo
echo "One frame in full (remsim decode --pretty $vectors/realtime-gb17691-02.hex), first 40 lines:"
"$remsim" decode --pretty "$vectors/realtime-gb17691-02.hex" | head -40
echo "..."
echo "All frames as JSON Lines: out/demo-decoded.jsonl"
