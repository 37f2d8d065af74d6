#!/usr/bin/env bash
# Runs every cmocka suite given as arguments, then every integration script
# in tests/integration, and prints one closing line:
#   tests: N passed, N failed, N skipped
# A suite counts its own cases; an integration script is one case that
# exits 0 (pass), 77 (skip, with its reason on stdout) or anything else (fail).
set -u
passed=0 failed=0 skipped=0
failures=()

for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  echo "$out" | grep -E '^\[  (PASSED|FAILED|SKIPPED) |^\[  ERROR   \]|^\[  FAILED  \] [a-z_]' | sed "s|^|$(basename "$t"): |"
  p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  s=$(echo "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
    # crashed or died before cmocka could count
    echo "$out" | tail -20
    failed=$((failed + 1))
  fi
  [ "$rc" -ne 0 ] && failures+=("$(basename "$t")")
done

for s in tests/integration/*.sh; do
  [ -e "$s" ] || continue
  name=$(basename "$s" .sh)
  out=$(timeout 600 bash "$s" 2>&1); rc=$?
  case $rc in
    0)  passed=$((passed + 1)); echo "integration $name: passed" ;;
    77) skipped=$((skipped + 1)); echo "integration $name: skipped: $(echo "$out" | tail -1)" ;;
    *)  failed=$((failed + 1)); failures+=("$name"); echo "integration $name: FAILED (exit $rc)"; echo "$out" | tail -30 | sed 's/^/    /' ;;
  esac
done

[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
