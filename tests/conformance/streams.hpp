// tests/conformance/streams.hpp — the random streams of the conformance suite: case
// shapes, windows and values that stress exactness. Free of Catch, so the Python test
// module (tests/python/conformance_module.cpp) draws the same streams.
#pragma once

#include <skewless/expr/feature_set.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace skewless_test {

using namespace skewless;

struct case_shape {
  int n_events;
  int n_keys;
  std::int64_t ts_range;
  int value_style;
  std::int64_t lateness;
  std::int64_t max_delay;
  std::int64_t ttl;  // 0: none
};

inline case_shape random_shape(std::mt19937_64& rng) {
  case_shape s{};
  s.n_events = static_cast<int>(rng() % 90);
  s.n_keys = 1 + static_cast<int>(rng() % 4);
  const std::int64_t ranges[] = {3, 20, 200, 5000};
  s.ts_range = ranges[rng() % 4];
  s.value_style = static_cast<int>(rng() % 4);
  const std::int64_t late[] = {0, s.ts_range / 4, s.ts_range / 2, s.ts_range * 4};
  s.lateness = late[rng() % 4];
  const std::int64_t delay[] = {0, s.ts_range / 3, s.ts_range * 4};
  s.max_delay = delay[rng() % 3];
  const std::int64_t ttl[] = {0, 0, s.ts_range / 6 + 1, s.ts_range / 2 + 1};
  s.ttl = ttl[rng() % 4];
  return s;
}

// The windows a case crosses its aggregates with, drawn in the case's time range:
// lagged and plain sliding, tiled (1 to 5 hops) and last_n (1 to 6).
struct random_windows {
  sliding_window lagged;
  tiled_window tiles;
  last_n_window recent;
  sliding_window plain;
};

inline random_windows make_random_windows(std::mt19937_64& rng, const case_shape& shape) {
  random_windows w{};
  w.lagged = {1 + static_cast<std::int64_t>(rng() % shape.ts_range),
              static_cast<std::int64_t>(rng() % (shape.ts_range + 1))};
  const std::int64_t hop = 1 + static_cast<std::int64_t>(rng() % (shape.ts_range / 2 + 1));
  w.tiles = {hop * (1 + static_cast<std::int64_t>(rng() % 5)), hop};
  w.recent = {1 + static_cast<std::uint32_t>(rng() % 6)};
  w.plain = {1 + static_cast<std::int64_t>(rng() % (2 * shape.ts_range))};
  return w;
}

// Values that stress exactness: ties, missing, infinities, signed zeros, subnormals and
// magnitudes from 1e-300 to 1e300 in one window, and catastrophic cancellation.
inline double random_value(std::mt19937_64& rng, int style) {
  const auto r = rng() % 100;
  switch (style) {
    case 0:  // few distinct values: ties everywhere
      if (r < 5) return std::numeric_limits<double>::quiet_NaN();
      return static_cast<double>(static_cast<int>(rng() % 9) - 4) * 0.25;
    case 1: {  // wild
      if (r < 8) return std::numeric_limits<double>::quiet_NaN();
      if (r < 10) return std::numeric_limits<double>::infinity();
      if (r < 12) return -std::numeric_limits<double>::infinity();
      if (r < 18) return -0.0;
      if (r < 24) return 0.0;
      if (r < 30) return std::bit_cast<double>(rng() % (std::uint64_t{1} << 52)) * (rng() & 1 ? -1 : 1);
      std::uniform_real_distribution<double> e(-300, 300);
      return (rng() & 1 ? -1.0 : 1.0) * std::pow(10.0, e(rng));
    }
    case 2: {  // cancellation
      const double big[] = {1e16, 1e300, 3e-300, 1.0};
      const double b = big[rng() % 4];
      return (rng() & 1 ? b : -b) + static_cast<double>(rng() % 7) * (r < 50 ? 1.0 : 1e-3);
    }
    default:  // money
      if (r < 3) return std::numeric_limits<double>::quiet_NaN();
      return static_cast<double>(static_cast<std::int64_t>(rng() % 200001) - 50000) / 100.0;
  }
}

}  // namespace skewless_test
