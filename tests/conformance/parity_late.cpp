// Late events in any order over long windows: 12,000 events of one entity (pairs at
// equal times), all within the allowed lateness, arriving in time order, reversed, at
// random and organ-pipe, with values from 1e-300 to 1e300, NaN, infinities and signed
// zeros. Each window then holds more than 4,096 entries, so every window buffer is in
// its tiered form (detail/queue_vector.hpp) and late events land in the middle of it.
// Reads during the stream equal batch over the events so far, bit for bit; a snapshot
// restored mid-stream carries on; the final state has the same bytes in every order and
// its reads equal batch and the reference evaluator.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/snapshot.hpp>

#include "streams.hpp"
#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace late_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace late_test
BOOST_HANA_ADAPT_STRUCT(late_test::ev, k, ts, x);

using namespace skewless;
using late_test::ev;
using skewless_test::same_bits;
using us = std::chrono::microseconds;

namespace {
constexpr auto x = field<ev, "x">;
constexpr us width{20'000};
// Every structure a late event lands in: a stream group (sums, first/last, variance and
// a lagged window), extremum queues, tiles with parts and with states, last_n places
// with parts and with a state, kept entries of sliding state windows, lifetime parts.
constexpr auto features = define_features<ev, "k", "ts">(
    feature<"n">(count(sliding(width))), feature<"sum">(sum(x, sliding(width))),
    feature<"mean">(mean(x, sliding(width))), feature<"first">(first(x, sliding(width))),
    feature<"last">(last(x, sliding(width))), feature<"var">(var_pop(x, sliding(width))),
    feature<"sum_lag">(sum(x, sliding(width).ending(us(500)))), feature<"max">(max(x, sliding(width))),
    feature<"min">(min(x, sliding(width))), feature<"sum_t">(sum(x, tiled(width, us(100)))),
    feature<"distinct_t">(distinct_count(x, tiled(width, us(100)))), feature<"mean_n">(mean(x, last_n(6000))),
    feature<"q_n">(approx_quantile<0.5>(x, last_n(5000))), feature<"q">(approx_quantile<0.1, 0.9>(x, sliding(width))),
    feature<"distinct">(distinct_count(x, sliding(width))), feature<"max_l">(max(x, lifetime())));
using row = feature_vector<decltype(features)>;

constexpr int count_of_events = 12'000;

// The events in time order (pairs share a time), values by index: every order has the
// same multiset.
std::vector<ev> events_in_time_order() {
  std::mt19937_64 rng(skewless_test::base_seed() + 2027);
  std::vector<ev> v;
  for (int i = 0; i < count_of_events; ++i) v.push_back({1, 1'000 + i / 2, skewless_test::random_value(rng, i % 4)});
  return v;
}

std::vector<ev> arrival(const std::string& order) {
  std::vector<ev> v = events_in_time_order();
  if (order == "reverse") std::reverse(v.begin(), v.end());
  if (order == "random") std::shuffle(v.begin(), v.end(), std::mt19937_64(skewless_test::base_seed() + 7));
  if (order == "organ pipe") {  // every other event up, then the rest down: each lands mid-buffer
    std::vector<ev> pipe;
    for (std::size_t i = 0; i < v.size(); i += 2) pipe.push_back(v[i]);
    for (std::size_t i = v.size() - 1; i < v.size(); i -= 2) pipe.push_back(v[i]);
    v = pipe;
  }
  return v;
}

void require_row(const row& v, const feature_matrix& m, Eigen::Index r, const std::string& when) {
  for (Eigen::Index c = 0; c < v.size(); ++c) {
    if (!same_bits(v[c], m(r, c))) {
      FAIL(when << ": column " << decltype(features)::names()[static_cast<std::size_t>(c)] << " online " << v[c]
                << " expected " << m(r, c));
    }
  }
}
}  // namespace

TEST_CASE("late events: any arrival order within the lateness gives batch's bits over long windows",
          "[conformance][late]") {
  const auto fs = features.with_allowed_lateness(us(1'000'000));
  std::string first_snapshot;
  for (const std::string order : {"time", "reverse", "random", "organ pipe"}) {
    INFO(order << " order");
    const std::vector<ev> stream = arrival(order);
    auto on = std::make_unique<online::evaluator<decltype(fs)>>(fs);
    std::vector<ev> so_far;
    row v;
    for (std::size_t i = 0; i < stream.size(); ++i) {
      REQUIRE(on->ingest(stream[i]) == online::ingest_outcome::accepted);
      so_far.push_back(stream[i]);
      if (i + 1 == 6'000) {  // restored mid-stream, and the restored state carries on
        auto back = std::make_unique<online::evaluator<decltype(fs)>>(fs);
        REQUIRE(serial::restore(*back, *serial::snapshot(*on)).ok());
        on = std::move(back);
      }
      if (i + 1 == 1'000 || i + 1 == 5'000 || i + 1 == 9'000) {
        std::int64_t newest = 0;
        for (const ev& e : so_far) newest = std::max(newest, e.ts);
        const std::vector<spine_row<std::int64_t>> at = {{1, newest}, {1, newest + 1}, {1, newest + 15'000}};
        const auto expect = batch::evaluate(fs, so_far, at);
        for (std::size_t r = 0; r < at.size(); ++r) {
          REQUIRE(on->features(1, at[r].time_us, v).ok());
          require_row(v, expect.values, static_cast<Eigen::Index>(r), "after " + std::to_string(i + 1) + " events");
        }
      }
    }
    const std::string bytes = *serial::snapshot(*on);
    if (first_snapshot.empty()) first_snapshot = bytes;
    CHECK(bytes == first_snapshot);  // one state, whatever the order
    const std::int64_t newest = 1'000 + (count_of_events - 1) / 2;
    const std::vector<spine_row<std::int64_t>> at = {
        {1, newest}, {1, newest + 1}, {1, newest + 10'000}, {1, newest + 19'999}, {1, newest + 30'000}};
    const auto expect = batch::evaluate(fs, so_far, at);
    const auto oracle = reference::evaluate(fs, so_far, at);
    for (std::size_t r = 0; r < at.size(); ++r) {
      REQUIRE(on->features(1, at[r].time_us, v).ok());
      require_row(v, expect.values, static_cast<Eigen::Index>(r), "at the end, against batch");
      require_row(v, oracle, static_cast<Eigen::Index>(r), "at the end, against the reference");
    }
  }
}
