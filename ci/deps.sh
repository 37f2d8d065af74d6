#!/usr/bin/env bash
# Installs the Debian packages remsim needs, only those that are missing.
# As root it runs apt-get; otherwise it prints the command to run and fails,
# so that a build never goes on with half its dependencies.
set -euo pipefail

packages=(
  build-essential pkg-config
  libev-dev          # event loop (fleet, endpoint)
  libssl-dev         # TLS, SM2/SM3
  openssl            # the CLI: tests cross-check SM2 signatures and PEM keys, bench_sm2 runs openssl speed
  liblua5.4-dev      # scenarios
  libcmocka-dev      # unit tests
  can-utils          # candump/canplayer for CAN tests
  python3 python3-can  # test scripts; reference candump reader for cross-checks
  xxd                # hex <-> binary in tests and the fuzz corpus
  openssl            # the command: certificates in tests/integration/tls_fleet.sh
  libpcap-dev        # remsim check: pcap/pcapng captures
  chromium           # headless test of the HTML conformance report
  clang libclang-rt-14-dev  # libFuzzer target (tests/fuzz)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
