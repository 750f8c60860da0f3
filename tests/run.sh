#!/usr/bin/env bash
# Runs Tessera's whole test suite on a fresh machine: installs the stock Redis tools the
# interoperability tests talk to, then builds everything (benchmarks included) and runs the
# unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=0
for tool in redis-server redis-cli redis-benchmark redis-sentinel redis-check-rdb; do
    command -v "$tool" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools redis-sentinel >/dev/null
fi

cargo build --all-targets
cargo test --lib --bins --tests -- --test-threads="${TESSERA_TEST_THREADS:-4}"
