// Tests for skewless/online/window_state.hpp: sliding state under late insertion equals
// a brute-force recomputation over the same entries.
#include <skewless/online/window_state.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

using namespace skewless;
using skewless_test::same_bits;

TEST_CASE("window_state: sliding parts under random insertion order and eviction",
          "[online][window_state]") {
  constexpr unsigned all = part::count | part::sum | part::min | part::max | part::first | part::last;
  std::mt19937_64 rng(skewless_test::base_seed() + 11);
  for (int c = 0; c < skewless_test::scaled(300); ++c) {
    const sliding_window w{1 + static_cast<std::int64_t>(rng() % 40)};
    online::window_state<all, sliding_window> state;
    std::vector<timed_value> live;
    std::int64_t evicted_before = std::numeric_limits<std::int64_t>::min();
    for (int step = 0; step < 60; ++step) {
      const timed_value e{static_cast<std::int64_t>(rng() % 100),
                          static_cast<double>(static_cast<int>(rng() % 9) - 4)};
      if (e.ts < evicted_before) continue;  // the evaluator never inserts below its horizon
      state.insert(e);
      live.push_back(e);
      if (rng() % 5 == 0) {
        evicted_before = std::max(evicted_before, static_cast<std::int64_t>(rng() % 100) - 40);
        state.evict_before(evicted_before);
        std::erase_if(live, [&](const timed_value& x) { return x.ts < evicted_before; });
      }
      const std::int64_t t = 100 + static_cast<std::int64_t>(rng() % 50);
      window_parts p;
      exact_sum scratch;
      state.query(p, scratch, w, t);
      window_parts expect;
      exact_sum sum;
      for (const auto& x : live) {
        if (!in_window(w, x.ts, t)) continue;
        sum.add(x.value);
        fold_parts<all>(expect, x);
      }
      REQUIRE(p.count == expect.count);
      REQUIRE(same_bits(p.sum->round(), sum.round()));
      REQUIRE(p.min.has_value() == expect.min.has_value());
      if (p.min) {
        REQUIRE(same_bits(*p.min, *expect.min));
        REQUIRE(same_bits(*p.max, *expect.max));
        REQUIRE(*p.first == *expect.first);
        REQUIRE(*p.last == *expect.last);
      }
    }
  }
}

TEST_CASE("window_state: heap bytes grow with the window, not the history",
          "[online][window_state]") {
  online::window_state<part::sum | part::count, sliding_window> state;
  const sliding_window w{100};
  for (std::int64_t t = 0; t < 100'000; ++t) {
    state.insert({t, 1.0});
    state.evict_before(window_start(w, t + 1));
  }
  // 100 live entries of 16 bytes; the buffer may hold up to about twice that.
  CHECK(state.heap_bytes() <= 4 * 100 * sizeof(timed_value));
}
