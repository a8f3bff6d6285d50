#!/usr/bin/env bash
# The test suite: installs what is missing, builds everything (tests, examples,
# compile-fail diagnostics, header self-containment, benchmarks) and runs ctest on all
# cores, which also runs each benchmark for a moment on a tiny workload.
# SKEWLESS_SEED=random (or a number) changes the conformance seed; SKEWLESS_CASES_SCALE
# multiplies the number of random cases.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh" libbenchmark-dev
build="${SKEWLESS_BUILD_DIR:-$root/build}"
jobs="$(nproc)"
start=$(date +%s)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSKEWLESS_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$jobs"
echo "skewless: build took $(( $(date +%s) - start )) s"
cd "$build"
ctest -j "$jobs" --output-on-failure
