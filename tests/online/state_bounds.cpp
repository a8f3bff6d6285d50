// Memory bounds of online state, measured from the state (sizeof(entity_state) plus
// the heap it holds), not assumed: tiled(W, H) stays within W/H + 1 tile partials
// whatever the event rate; sliding(W) grows with the events in W.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>

#include <catch2/catch.hpp>

#include <boost/hana/adapt_struct.hpp>

namespace bounds {
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace bounds
BOOST_HANA_ADAPT_STRUCT(bounds::ev, user, ts, amount);

using namespace skewless;
using namespace std::chrono_literals;

namespace {

constexpr auto amount = field<bounds::ev, "amount">;
constexpr std::int64_t minute = 60'000'000;

// Values cycle through `distinct` values (977 by default: new values all the time).
template <class FS>
std::size_t set_bytes_after(const FS& fs, std::int64_t minutes, std::int64_t events_per_minute,
                            std::int64_t distinct = 977) {
  online::evaluator online(fs);
  const std::int64_t step = minute / events_per_minute;
  std::int64_t i = 0;
  for (std::int64_t t = 0; t < minutes * minute; t += step, ++i) {
    const std::int64_t v = distinct == 977 ? t % 977 : i % distinct;
    REQUIRE(online.ingest({1, t, static_cast<double>(v) * 0.25}) == online::ingest_outcome::accepted);
  }
  return sizeof(typename decltype(online)::entity_state) + online.state_heap_bytes();
}
template <class Agg>
std::size_t bytes_after(const Agg& a, std::int64_t minutes, std::int64_t events_per_minute,
                        std::int64_t distinct = 977) {
  return set_bytes_after(define_features<bounds::ev, "user", "ts">(feature<"f">(a)), minutes, events_per_minute,
                         distinct);
}

template <class Agg> void check_tiled_bound(const Agg& a) {
  using tile = typename online::parts_window<parts_of_v<Agg>, tiled_window>::tile;
  const std::size_t tiles = static_cast<std::size_t>(a.window.width_us / a.window.hop_us) + 1;
  const std::size_t bound = sizeof(typename online::evaluator<decltype(define_features<bounds::ev, "user", "ts">(
                                       feature<"f">(a)))>::entity_state) +
                            2 * tiles * sizeof(tile);           // live tiles, times the buffer's growth factor
  const std::int64_t minutes = 3 * a.window.width_us / minute;  // three windows of history
  const std::size_t slow = bytes_after(a, minutes, 1);
  const std::size_t fast = bytes_after(a, minutes, 12);
  INFO("tile " << sizeof(tile) << " B, bound " << bound << " B, measured " << slow << " / " << fast);
  CHECK(slow <= bound);
  CHECK(fast <= bound);
  CHECK(fast == slow);  // twelve times the events, the same state
}

// Aggregates with a state: one state per tile, so the bound is W/H + 1 tiles of the
// state's own size, which for value-keeping states depends on the distinct values per
// tile (here 10, the same at both rates), not on the number of events.
template <class Agg> void check_tiled_state_bound(const Agg& a, std::size_t state_heap_per_tile) {
  using tile = typename online::state_window<state_of_t<Agg>, tiled_window>::tile;
  const std::size_t tiles = static_cast<std::size_t>(a.window.width_us / a.window.hop_us) + 1;
  const std::size_t bound = sizeof(typename online::evaluator<decltype(define_features<bounds::ev, "user", "ts">(
                                       feature<"f">(a)))>::entity_state) +
                            2 * tiles * sizeof(tile) + tiles * state_heap_per_tile;
  const std::int64_t minutes = 3 * a.window.width_us / minute;
  const std::size_t slow = bytes_after(a, minutes, 1, 10);
  const std::size_t fast = bytes_after(a, minutes, 12, 10);
  INFO("tile " << sizeof(tile) << " B, bound " << bound << " B, measured " << slow << " / " << fast);
  CHECK(slow <= bound);
  CHECK(fast <= bound);
  CHECK(fast == slow);
}

}  // namespace

TEST_CASE("state: tiled(W, H) bounds aggregates with a state at any event rate", "[online][memory]") {
  constexpr auto w = tiled(24h, 1h);
  check_tiled_state_bound(first_k<4>(amount, w), 0);
  check_tiled_state_bound(last_k<4>(amount, w), 0);
  check_tiled_state_bound(distinct_count(amount, w), 16 * 16);
  check_tiled_state_bound(most_frequent(amount, w), 16 * 16);
  check_tiled_state_bound(approx_quantile<0.5, 0.9>(amount, w), 16 * 16);
  check_tiled_state_bound(approx_distinct_count<10>(amount, w), 16 * 4);
  check_tiled_state_bound(ewma<6h>(amount, w), 2 * (sizeof(decayed_ticks<1, true>::tick) + 2 * 536));
}

TEST_CASE("state: tiled(W, H) holds at most W/H + 1 tiles at any event rate", "[online][memory]") {
  constexpr auto w = tiled(24h, 1h);
  check_tiled_bound(count(w));
  check_tiled_bound(sum(amount, w));
  check_tiled_bound(mean(amount, w));
  check_tiled_bound(max(amount, w));
  check_tiled_bound(last(amount, w));
}

TEST_CASE("state: sliding(W) grows with the events in the window", "[online][memory]") {
  constexpr auto w = sliding(24h);
  const std::size_t slow = bytes_after(sum(amount, w), 3 * 1440, 1);
  const std::size_t fast = bytes_after(sum(amount, w), 3 * 1440, 12);
  CHECK(fast > 8 * slow);                     // the measurement sees the entries
  CHECK(slow >= 1440 * sizeof(timed_value));  // at least one entry per event in W
}

TEST_CASE("state: sliding aggregates of one stream keep its entries once", "[online][memory]") {
  // count, sum, mean and max over 1h, 6h and 24h of one stream: one buffer of 24h of
  // entries (16 B each) for all of them, not one per aggregate.
  const auto fs = define_features<bounds::ev, "user", "ts">(
      feature<"c1">(count(sliding(1h))), feature<"s1">(sum(amount, sliding(1h))),
      feature<"m1">(mean(amount, sliding(1h))), feature<"c6">(count(sliding(6h))),
      feature<"s6">(sum(amount, sliding(6h))), feature<"x6">(max(amount, sliding(6h))),
      feature<"c24">(count(sliding(24h))), feature<"s24">(sum(amount, sliding(24h))),
      feature<"m24">(mean(amount, sliding(24h))), feature<"x24">(max(amount, sliding(24h))));
  const std::size_t all = set_bytes_after(fs, 3 * 1440, 4);
  const std::size_t one = bytes_after(sum(amount, sliding(24h)), 3 * 1440, 4);
  const std::size_t entries = 4 * 1440 * sizeof(timed_value);  // the events in 24h
  CHECK(one >= entries);
  // Ten aggregates cost the one buffer and a fixed part per aggregate (cursors, sums
  // and short extremum queues). The buffer's capacity is at most 4x its live entries:
  // a dead prefix up to the live size, and vector growth.
  CHECK(all <= one + 4096);
  CHECK(all <= 4 * entries + 4096);
}
