// bench/common.hpp — sizes and helpers shared by the benchmark programs.
//
// SKEWLESS_BENCH_SMOKE=1 shrinks every workload so CI can run each benchmark for a
// moment (it never judges timings); otherwise the sizes are the documented ones.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace bench {

inline bool smoke() {
  const char* s = std::getenv("SKEWLESS_BENCH_SMOKE");
  return s != nullptr && std::strcmp(s, "0") != 0 && *s != '\0';
}

// n in a full run, a small fraction in a smoke run.
inline std::int64_t size(std::int64_t n) {
  return smoke() ? std::max<std::int64_t>(n / 1000, 1000) : n;
}

}  // namespace bench
