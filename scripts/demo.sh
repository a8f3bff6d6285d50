#!/usr/bin/env bash
# The demo, end to end: installs what is missing, builds the quickstart example in
# Release mode and runs it (1M synthetic payments, batch training set, online replay
# with a snapshot/restart, bit-for-bit comparison). Extra arguments go to the program.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
build="${SKEWLESS_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target quickstart
"$build/examples/quickstart" "$@"
