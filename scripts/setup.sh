#!/usr/bin/env bash
# Installs what building and testing Conflux needs; safe to run again.
#   scripts/setup.sh           build dependencies (Debian packages)
#   scripts/setup.sh --tests   also the npm packages the interop tests run
#   scripts/setup.sh --bench   also the npm packages bench/compare runs (bench/js)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1
want_bench=0
[ "${1:-}" = "--bench" ] && want_bench=1

packages=(build-essential cmake pkg-config catch2 libbenchmark-dev libasio-dev libssl-dev rapidjson-dev
          zlib1g-dev libsqlite3-dev libhiredis-dev redis-server)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
# bench/load/compare-servers reads the load generator's JSON with jq.
[ $want_bench -eq 1 ] && packages+=(jq)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if [ $want_tests -eq 1 ] && [ -f tests/interop/package.json ]; then
  if [ ! -d tests/interop/node_modules ] || [ tests/interop/package.json -nt tests/interop/node_modules ]; then
    echo "setup: installing npm packages for the interop tests"
    (cd tests/interop && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)
    touch tests/interop/node_modules
  fi
fi

if [ $want_bench -eq 1 ] && [ -f bench/js/package.json ]; then
  if [ ! -d bench/js/node_modules ] || [ bench/js/package.json -nt bench/js/node_modules ]; then
    echo "setup: installing npm packages for the benchmark comparison"
    (cd bench/js && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)
    touch bench/js/node_modules
  fi
fi
