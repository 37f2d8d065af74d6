#!/usr/bin/env bash
# Runs each libFuzzer binary for N seconds, seeded with the shared vectors
# (converted to binary under build/fuzz/corpus; never copied into the repo).
# Exit non-zero on any crash or sanitizer report.
set -euo pipefail
secs=$1; shift
shared=${REMSIM_SHARED:-../shared}
corpus=build/fuzz/corpus
mkdir -p "$corpus"
if [ -d "$shared/spec/vectors" ]; then
  for f in "$shared"/spec/vectors/*.hex; do
    name=$(basename "$f" .hex)
    # byte 0: profile (0 gb17691, 1 hj1239, 2 gb32960); byte 1: chunk size
    case $name in *gb32960*) prof=02;; *hj1239*) prof=01;; *) prof=00;; esac
    for chunk in 00 07 ff; do
      printf '%s%s%s' "$prof" "$chunk" "$(tr -d '\r\n' < "$f")" | xxd -r -p > "$corpus/$name-$chunk.bin" 2>/dev/null \
        || python3 -c "import sys;open(sys.argv[1],'wb').write(bytes.fromhex(sys.argv[2]))" "$corpus/$name-$chunk.bin" "$prof$chunk$(tr -d '\r\n' < "$f")"
    done
  done
else
  echo "fuzz: shared vectors not found at $shared/spec/vectors; starting from an empty corpus"
fi
for bin in "$@"; do
  echo "fuzz: $bin for ${secs}s"
  work=build/fuzz/work-$(basename "$bin")
  mkdir -p "$work"
  "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix=build/fuzz/ "$work" "$corpus" 2>&1 | tail -15
  echo "fuzz: $(basename "$bin"): no crash in ${secs}s"
done
