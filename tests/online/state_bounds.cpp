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

template <class Agg>
std::size_t bytes_after(const Agg& a, std::int64_t minutes, std::int64_t events_per_minute) {
  const auto fs = define_features<bounds::ev, "user", "ts">(feature<"f">(a));
  online::evaluator online(fs);
  const std::int64_t step = minute / events_per_minute;
  for (std::int64_t t = 0; t < minutes * minute; t += step) {
    REQUIRE(online.ingest({1, t, static_cast<double>(t % 977) * 0.25}) ==
            online::ingest_outcome::accepted);
  }
  return sizeof(typename decltype(online)::entity_state) + online.state_heap_bytes();
}

template <class Agg>
void check_tiled_bound(const Agg& a) {
  using tile = typename online::window_state<parts_of_v<Agg>, tiled_window>::tile;
  const std::size_t tiles = static_cast<std::size_t>(a.window.width_us / a.window.hop_us) + 1;
  const std::size_t bound =
      sizeof(typename online::evaluator<decltype(define_features<bounds::ev, "user", "ts">(
          feature<"f">(a)))>::entity_state) +
      2 * tiles * sizeof(tile);  // live tiles, times the buffer's growth factor
  const std::int64_t minutes = 3 * a.window.width_us / minute;  // three windows of history
  const std::size_t slow = bytes_after(a, minutes, 1);
  const std::size_t fast = bytes_after(a, minutes, 12);
  INFO("tile " << sizeof(tile) << " B, bound " << bound << " B, measured " << slow << " / " << fast);
  CHECK(slow <= bound);
  CHECK(fast <= bound);
  CHECK(fast == slow);  // twelve times the events, the same state
}

}  // namespace

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
  CHECK(fast > 8 * slow);                          // the measurement sees the entries
  CHECK(slow >= 1440 * sizeof(timed_value));      // at least one entry per event in W
}
