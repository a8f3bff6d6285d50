// tests/support.hpp — helpers shared by the tests: bit-pattern equality and seeds.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

namespace skewless_test {

// Equal bit patterns; any NaN equals any NaN (NaN payloads are not part of the contract).
inline bool same_bits(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// CI uses a fixed seed; SKEWLESS_SEED=<n> replays one, SKEWLESS_SEED=random draws one.
inline std::uint64_t base_seed() {
  const char* s = std::getenv("SKEWLESS_SEED");
  if (s == nullptr || *s == '\0') return 20261121;
  if (std::string(s) == "random") return std::random_device{}() * 0x9e3779b97f4a7c15ull;
  return std::strtoull(s, nullptr, 10);
}

// How many random cases a property runs: SKEWLESS_CASES scales it (default 1).
inline int scaled(int n) {
  const char* s = std::getenv("SKEWLESS_CASES_SCALE");
  if (s == nullptr || *s == '\0') return n;
  return static_cast<int>(n * std::strtod(s, nullptr));
}

}  // namespace skewless_test
