#!/usr/bin/env bash
# The test suite. Installs what is missing (quietly), builds and runs ctest.
#
#   ./scripts/test.sh              g++ 12, Release: everything — unit, conformance,
#                                  examples, compile-fail diagnostics, header
#                                  self-containment, packaging, fuzz corpus replay, Arrow
#                                  interop with pyarrow and numpy, the Python module tests
#                                  (pytest, pip install of examples/python; the venv is
#                                  build/python-venv), and each benchmark for a moment on a
#                                  tiny workload
#   ./scripts/test.sh --clang      clang 19 (Debian 12's clang-19) with AddressSanitizer +
#                                  UndefinedBehaviorSanitizer: everything but the benchmarks —
#                                  unit, conformance, examples, diagnostics, headers — so one
#                                  build is both the second compiler and the sanitizer run
#   ./scripts/test.sh --tsan       g++ 12 with ThreadSanitizer: the multi-threaded tests
#                                  (skewless_threaded_tests: the concurrent evaluator with
#                                  reader, writer and snapshot threads, batch on 2 and 5
#                                  threads, the conformance suite's 2-thread batch)
#   ./scripts/test.sh --fuzz [s]   clang 19 libFuzzer + ASan + UBSan: each fuzz target for
#                                  s seconds (default 120) from tests/fuzz/corpus; fails on
#                                  any finding, leaving it in build-fuzz/findings/
#   ./scripts/test.sh --sanitize   g++ 12 with ASan + UBSan over every runtime test (not in
#                                  CI: the g++ sanitized build takes ~14 min on 2 cores,
#                                  clang's ~9; run it when a change is compiler-specific)
#   ./scripts/test.sh --all        the first four in turn (what .ci/run does)
#   ./scripts/test.sh --quick      the edit-test loop: g++ 12 -O1, the unit and conformance
#                                  tests only (no examples, benchmarks, Python, Spark,
#                                  compile-fail or packaging checks), conformance at a
#                                  tenth of its cases (SKEWLESS_CASES_SCALE=0.1 unless
#                                  set); build-quick/. Not a substitute for the full run
#
# The sanitized builds leave out the fuzz corpus replay (the fuzz build runs that corpus
# under ASan + UBSan) and the benchmarks.
# SKEWLESS_SEED=random (or a number) changes the conformance seed; SKEWLESS_CASES_SCALE
# multiplies the number of random cases. Build directories: build/ (or
# $SKEWLESS_BUILD_DIR), build-asan/, build-tsan/, build-clang/, build-fuzz/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="$(nproc)"
mode="${1:-}"

timed_build() {  # dir target...
  local dir="$1"; shift
  local start=$(date +%s)
  cmake --build "$dir" -j "$jobs" "$@"
  echo "skewless: build took $(( $(date +%s) - start )) s"
}

# -fsanitize=undefined is complete, for g++ 12 too: the g++ constexpr bug it used to trip
# over (GCC PR 71962, with std::string in constant evaluation) no longer applies, since
# column names are built without a constexpr std::string.
sanitize_flags="-fno-sanitize-recover=all -fno-omit-frame-pointer"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

primary() {
  "$root/scripts/install-deps.sh" libbenchmark-dev python3-dev python3-venv clang-format-19
  # skewless::kafka (librdkafka, simdjson), the broker the Kafka tests start (its jars
  # come from Maven into ~/.cache/skewless; kcat tells when it answers) and cpp-httplib
  # for examples/inference_service.
  "$root/scripts/install-deps.sh" librdkafka-dev libsimdjson-dev kcat maven libcpp-httplib-dev
  # Spark (tests/python/test_spark.py) runs on a JVM: Debian 12's Java 17 if none is here.
  command -v java >/dev/null || "$root/scripts/install-deps.sh" openjdk-17-jre-headless
  local build="${SKEWLESS_BUILD_DIR:-$root/build}"
  # A private venv for the Arrow interop test (tests/arrow/interop.py) and the Python
  # module tests (tests/python: nanobind, scikit-build-core, pytest, and the producers
  # the module reads from).
  local python
  python="$("$root/scripts/python-venv.sh" "$build/python-venv" $(cat "$root/scripts/python-requirements.txt"))"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSKEWLESS_BUILD_BENCH=ON \
    -DSKEWLESS_KAFKA=ON -DSKEWLESS_PYTHON="$python" >/dev/null
  timed_build "$build"
  (cd "$build" && ctest -j "$jobs" --output-on-failure)
}

quick() {
  "$root/scripts/install-deps.sh"
  local build="$root/build-quick"
  # -O1 and precompiled headers: the build is most of the loop's time (a clean one
  # took 4m22 at -O2, 3m18 at -O1, 2m58 at -O1 with the headers precompiled).
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
    -DSKEWLESS_TEST_PCH=ON -DSKEWLESS_BUILD_BENCH=OFF -DSKEWLESS_BUILD_EXAMPLES=OFF \
    -DSKEWLESS_COMPILE_CHECKS=OFF -DSKEWLESS_INSTALL=OFF -DSKEWLESS_FUZZ_REPLAY=OFF -DSKEWLESS_PYTHON= >/dev/null
  timed_build "$build"
  local start=$(date +%s)
  (cd "$build" && SKEWLESS_CASES_SCALE="${SKEWLESS_CASES_SCALE:-0.1}" ctest -j "$jobs" --output-on-failure)
  echo "skewless: tests took $(( $(date +%s) - start )) s"
}

# A sanitized build in $1 with compiler $2 and sanitizers $3; more cmake options after.
configure_sanitized() {
  local build="$1" cxx="$2" sanitizers="$3"; shift 3
  CXX="$cxx" cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS="-fsanitize=$sanitizers $sanitize_flags" \
    -DSKEWLESS_INSTALL=OFF -DSKEWLESS_FUZZ_REPLAY=OFF "$@" >/dev/null
}

sanitize() {
  "$root/scripts/install-deps.sh"
  local build="$root/build-asan"
  configure_sanitized "$build" g++ address,undefined -DSKEWLESS_COMPILE_CHECKS=OFF
  timed_build "$build"
  (cd "$build" && ctest -j "$jobs" --output-on-failure)
}

tsan() {
  "$root/scripts/install-deps.sh"
  local build="$root/build-tsan"
  configure_sanitized "$build" g++ thread -DSKEWLESS_BUILD_EXAMPLES=OFF -DSKEWLESS_COMPILE_CHECKS=OFF
  timed_build "$build" --target skewless_threaded_tests
  # ThreadSanitizer's shadow memory needs the kernel's smaller mmap randomisation.
  local run=()
  if setarch "$(uname -m)" -R true 2>/dev/null; then run=(setarch "$(uname -m)" -R); fi
  "${run[@]}" "$build/tests/skewless_threaded_tests"
}

clang() {
  "$root/scripts/install-deps.sh" clang-19 libclang-rt-19-dev librdkafka-dev libsimdjson-dev kcat maven \
    libcpp-httplib-dev
  local build="$root/build-clang"
  configure_sanitized "$build" clang++-19 address,undefined -DSKEWLESS_KAFKA=ON
  timed_build "$build"
  (cd "$build" && ctest -j "$jobs" --output-on-failure)
}

fuzz() {
  local seconds="${1:-120}"
  "$root/scripts/install-deps.sh" clang-19 libclang-rt-19-dev
  local build="$root/build-fuzz"
  "$root/scripts/install-deps.sh" librdkafka-dev libsimdjson-dev
  configure_sanitized "$build" clang++-19 address,undefined -DSKEWLESS_FUZZ=ON -DSKEWLESS_BUILD_EXAMPLES=OFF \
    -DSKEWLESS_COMPILE_CHECKS=OFF -DSKEWLESS_KAFKA=ON
  timed_build "$build" --target fuzz_restore fuzz_ingest fuzz_json
  rm -rf "$build/findings"
  mkdir -p "$build/findings"
  for target in restore ingest json; do
    # New inputs go to a scratch corpus: the committed one stays as reviewed.
    local scratch="$build/corpus/$target" log="$build/findings/$target.log" status=0 time="$seconds"
    # The JSON decoder is small and fast to explore: half the time.
    [ "$target" = json ] && time=$((seconds / 2))
    mkdir -p "$scratch"
    echo "== fuzz_$target for ${time} s"
    (cd "$build/findings" && "$build/tests/fuzz/fuzz_$target" -max_total_time="$time" \
       -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "$scratch" "$root/tests/fuzz/corpus/$target") \
       >"$log" 2>&1 || status=$?
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)" "$log" || true
    if [ "$status" -ne 0 ]; then
      grep -E "invariant|ERROR|SUMMARY|runtime error|Test unit written" "$log" || tail -20 "$log"
      echo "skewless: fuzz_$target found a failing input (see $build/findings)"
      exit 1
    fi
  done
}

case "$mode" in
  "") primary ;;
  --quick) quick ;;
  --sanitize) sanitize ;;
  --tsan) tsan ;;
  --clang) clang ;;
  --fuzz) fuzz "${2:-120}" ;;
  --all)
    primary
    clang
    tsan
    fuzz "${2:-120}"
    ;;
  *) echo "usage: $0 [--quick|--sanitize|--tsan|--clang|--fuzz [seconds]|--all]" >&2; exit 2 ;;
esac
