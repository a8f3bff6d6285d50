// Tests for skewless/online/window_state.hpp: each window's state under random
// insertion order and eviction equals a brute-force recomputation over the same entries.
// (Sliding windows keep their entries in stream groups: tests/online/stream_group.cpp and
// tests/conformance/parity_streams.cpp.)
#include <skewless/online/window_state.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

using namespace skewless;
using skewless_test::same_bits;

namespace {

constexpr unsigned all = part::count | part::sum | part::sum2 | part::min | part::max | part::first | part::last;

void require_same_parts(const window_parts& p, const std::vector<timed_value>& expected_entries) {
  window_parts expect;
  exact_sum sum, sum2;
  for (const auto& x : expected_entries) {
    sum.add(x.value);
    add_square(sum2, x.value);
    fold_parts<all>(expect, x);
  }
  REQUIRE(p.count == expect.count);
  REQUIRE(*p.sum == sum);
  REQUIRE(*p.sum2 == sum2);
  REQUIRE(p.min.has_value() == expect.min.has_value());
  if (p.min) {
    REQUIRE(same_bits(*p.min, *expect.min));
    REQUIRE(same_bits(*p.max, *expect.max));
    REQUIRE(*p.first == *expect.first);
    REQUIRE(*p.last == *expect.last);
  }
}

timed_value random_entry(std::mt19937_64& rng) {
  return {static_cast<std::int64_t>(rng() % 100), static_cast<double>(static_cast<int>(rng() % 9) - 4)};
}

}  // namespace

// Random insertions and evictions on a time window's state; after each step the state's
// parts for a random T equal those of the live entries in the window. `evict_point`
// gives where the evaluator could evict (for tiled: only at window starts).
template <class W, class EvictPoint> void check_time_window(std::mt19937_64& rng, const W& w, EvictPoint evict_point) {
  online::parts_window<all, W> state;
  std::vector<timed_value> live;
  std::int64_t evicted_before = std::numeric_limits<std::int64_t>::min();
  for (int step = 0; step < 60; ++step) {
    const timed_value e = random_entry(rng);
    if (e.ts < evicted_before) continue;  // the evaluator never inserts below its horizon
    state.insert(w, e);
    live.push_back(e);
    if (rng() % 5 == 0) {
      evicted_before = std::max(evicted_before, evict_point(static_cast<std::int64_t>(rng() % 100)));
      state.evict_before(evicted_before);
      std::erase_if(live, [&](const timed_value& x) { return x.ts < evicted_before; });
    }
    // Stored entries are all before the window's end (the evaluator holds newer ones).
    const std::int64_t t = 100 + window_lag(w) + static_cast<std::int64_t>(rng() % 50);
    window_parts p;
    parts_scratch<all> scratch;
    state.query(p, scratch, w, t);
    std::vector<timed_value> in;
    std::copy_if(live.begin(), live.end(), std::back_inserter(in),
                 [&](const timed_value& x) { return in_window(w, x.ts, t); });
    require_same_parts(p, in);
  }
}

TEST_CASE("window_state: tiled parts under random insertion order and eviction", "[online][window_state]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 12);
  for (int c = 0; c < skewless_test::scaled(300); ++c) {
    const std::int64_t hop = 1 + static_cast<std::int64_t>(rng() % 9);
    const tiled_window w{hop * (1 + static_cast<std::int64_t>(rng() % 6)), hop};
    check_time_window(rng, w, [&](std::int64_t t) { return window_start(w, t); });
  }
}

TEST_CASE("window_state: last_n keeps the n greatest places and answers any newest k", "[online][window_state]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 13);
  for (int c = 0; c < skewless_test::scaled(300); ++c) {
    const last_n_window w{1 + static_cast<std::uint32_t>(rng() % 8)};
    online::parts_window<all, last_n_window> state;
    std::vector<timed_value> all_slots;
    for (int step = 0; step < 60; ++step) {
      timed_value e = random_entry(rng);
      if (rng() % 4 == 0) e.value = no_entry;  // an event that takes a place, no value
      state.insert(w, e);
      all_slots.push_back(e);
      std::sort(all_slots.begin(), all_slots.end(), event_order_less);
      const std::size_t take = rng() % (w.n + 1);
      window_parts p;
      parts_scratch<all> scratch;
      state.query_newest(p, scratch, take);
      std::vector<timed_value> in;
      const std::size_t from = all_slots.size() > take ? all_slots.size() - take : 0;
      for (std::size_t i = from; i < all_slots.size(); ++i) {
        if (!is_no_entry(all_slots[i].value)) in.push_back(all_slots[i]);
      }
      require_same_parts(p, in);
    }
  }
}
