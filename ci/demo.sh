#!/usr/bin/env bash
# make demo: the main job.  1,000 virtual trucks on the urban scenario for
# 60 s against the built-in reference endpoint on loopback: a progress line
# while it runs, the summary last, and under out/ the result document, the
# HTML report with charts, JUnit XML and the endpoint's frame log.
set -euo pipefail
remsim=${1:-build/remsim}
shared=${REMSIM_SHARED:-../shared}
if [ ! -d "$shared/traces/drive-cycles" ]; then
  echo "demo: $shared/traces/drive-cycles not found (set REMSIM_SHARED to the shared/ folder)" >&2
  exit 2
fi
export REMSIM_SHARED=$shared
mkdir -p out
rm -f out/frames.log out/demo-decoded.jsonl
exec "$remsim" run scenarios/urban.lua -n "${DEMO_TRUCKS:-1000}" --duration "${DEMO_SECONDS:-60}" \
  --results out --frame-log out/frames.log --fail-if 'lost>0' --fail-if 'p99_latency_ms>1000'
