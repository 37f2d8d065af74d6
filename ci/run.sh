#!/usr/bin/env bash
# What CI runs: the README's test command, then the fuzz smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
make test
make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
