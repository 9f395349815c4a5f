#!/usr/bin/env bash
# Builds Conflux and runs the `conflux` program (arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCONFLUX_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target conflux
if [ $# -eq 0 ]; then
  echo "run: starting \`conflux serve --allow-anonymous\` (development mode; see README for tokens)"
  set -- serve --allow-anonymous
fi
exec build/bin/conflux "$@"
