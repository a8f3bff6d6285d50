// Tests for skewless/online/stream_group.hpp beyond parity (which
// tests/conformance/parity_streams.cpp checks bit for bit, with equal windows often):
// which members of a group ride on which.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>

#include <catch2/catch.hpp>

#include <boost/hana/adapt_struct.hpp>

namespace streams {
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace streams
BOOST_HANA_ADAPT_STRUCT(streams::ev, user, ts, amount);

using namespace skewless;
using namespace std::chrono_literals;

TEST_CASE("stream group: members of equal window ride on the first that computes their parts",
          "[online][stream_group]") {
  constexpr auto amount = field<streams::ev, "amount">;
  constexpr auto h = sliding(1h);
  constexpr auto d = sliding(24h);
  const auto fs = define_features<streams::ev, "user", "ts">(
      feature<"count_h">(count(h)), feature<"sum_h">(sum(amount, h)), feature<"mean_h">(mean(amount, h)),
      feature<"count_d">(count(d)), feature<"sum_d">(sum(amount, d)), feature<"mean_d">(mean(amount, d)),
      feature<"var_h">(var_samp(amount, h)), feature<"first_d">(first(amount, d)),
      feature<"count_x_h">(count(amount, h)), feature<"rate_d">(rate(1h, d)),
      feature<"sum_lag">(sum(amount, sliding(1h).ending(1h))), feature<"mean_h2">(mean(amount, h)));
  using aggs_t = std::remove_cvref_t<decltype(fs.aggregates())>;
  using plan = online::online_internal::stream_plan<aggs_t>;
  static_assert(plan::group_count == 1, "one stream: amount, no filter");
  const auto layout = std::get<0>(online::stream_layouts_of(fs.aggregates()));
  // Members in feature order. count() counts events with a missing amount too, so it
  // rides only on count(); count(amount) counts values, so it rides on sum(amount).
  const std::array<std::uint8_t, 12> expected{
      0,   // count_h
      1,   // sum_h
      1,   // mean_h: sum_h's count and sum
      3,   // count_d: count_h's window differs
      4,   // sum_d
      4,   // mean_d
      6,   // var_h: needs the sum of squares, which no earlier member keeps
      7,   // first_d: needs first, which no earlier member computes
      1,   // count_x_h
      3,   // rate_d: count_d's count
      10,  // sum_lag: a lagged window is another window
      1,   // mean_h2
  };
  CHECK(layout == expected);

  // Riders keep no state: the same events cost the same bytes with or without them.
  online::evaluator with(fs);
  online::evaluator without(define_features<streams::ev, "user", "ts">(
      feature<"count_h">(count(h)), feature<"sum_h">(sum(amount, h)), feature<"count_d">(count(d)),
      feature<"sum_d">(sum(amount, d)), feature<"var_h">(var_samp(amount, h)), feature<"first_d">(first(amount, d)),
      feature<"sum_lag">(sum(amount, sliding(1h).ending(1h)))));
  for (std::int64_t i = 0; i < 5000; ++i) {
    const streams::ev e{i % 7, i * 60'000'000, static_cast<double>(i % 101) * 1e-3};
    REQUIRE(with.ingest(e) == online::ingest_outcome::accepted);
    REQUIRE(without.ingest(e) == online::ingest_outcome::accepted);
  }
  CHECK(with.state_heap_bytes() == without.state_heap_bytes());
  feature_vector<decltype(fs)> v;
  feature_vector<std::remove_cvref_t<decltype(without.definition())>> u;
  const std::int64_t t = 5000 * std::int64_t{60'000'000};
  REQUIRE(with.features(3, t, v).ok());
  REQUIRE(without.features(3, t, u).ok());
  CHECK(v[1] == u[1]);   // sum_h
  CHECK(v[2] == v[11]);  // mean_h == mean_h2
  CHECK(v[8] == v[0]);   // count_x_h == count_h: no amount is missing
}
