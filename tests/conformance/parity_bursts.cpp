// Bursts of equal timestamps: 100,000 events of one entity at one microsecond, in
// ascending, descending, random and organ-pipe value order, then later events. Online
// ingest keeps the newest instant unsorted (sorted once when it closes), so every order
// costs O(log n) per event — before, a descending burst of 40,000 took 53 s — and the
// state after any order is the same: the same snapshot bytes, and reads (during the
// burst, at its instant, after it) equal to batch over the same events, bit for bit.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace bursts_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace bursts_test
BOOST_HANA_ADAPT_STRUCT(bursts_test::ev, k, ts, x);

using namespace skewless;
using bursts_test::ev;
using skewless_test::same_bits;
using us = std::chrono::microseconds;

namespace {
constexpr auto x = field<ev, "x">;
// Every kind of state a burst lands in: stream groups (sums, first/last, variance, a
// lagged window), extremum queues, tiles, lifetime parts, last_n places, kept entries,
// DDSketch, a distinct table and decayed ticks.
constexpr auto features = define_features<ev, "k", "ts">(
    feature<"n">(count(sliding(us(100)))), feature<"sum">(sum(x, sliding(us(100)))),
    feature<"mean">(mean(x, sliding(us(100)))), feature<"first">(first(x, sliding(us(100)))),
    feature<"last">(last(x, sliding(us(100)))), feature<"var">(var_pop(x, sliding(us(100)))),
    feature<"max">(max(x, sliding(us(100)))), feature<"min">(min(x, sliding(us(100)))),
    feature<"sum_lag">(sum(x, sliding(us(100)).ending(us(3)))), feature<"sum_t">(sum(x, tiled(us(40), us(10)))),
    feature<"last_t">(last(x, tiled(us(40), us(10)))), feature<"max_l">(max(x, lifetime())),
    feature<"first_l">(first(x, lifetime())), feature<"mean5">(mean(x, last_n(5))),
    feature<"last3">(last_k<3>(x, sliding(us(100)))), feature<"first2_t">(first_k<2>(x, tiled(us(40), us(10)))),
    feature<"q">(approx_quantile<0.5, 0.9>(x, lifetime())),
    feature<"distinct">(distinct_count(x, tiled(us(40), us(10)))), feature<"ewma">(ewma<us(5)>(x, sliding(us(100)))));

constexpr int burst = 100'000;

std::vector<double> burst_values(const std::string& order) {
  std::vector<double> v(burst);
  for (int i = 0; i < burst; ++i) v[static_cast<std::size_t>(i)] = static_cast<double>(i % 50'000) * 0.5 - 7.25;
  std::sort(v.begin(), v.end());
  if (order == "descending") std::reverse(v.begin(), v.end());
  if (order == "random") std::shuffle(v.begin(), v.end(), std::mt19937_64(skewless_test::base_seed()));
  if (order == "organ pipe") {  // up then down: every insertion lands mid-sequence
    std::vector<double> pipe;
    for (std::size_t i = 0; i < v.size(); i += 2) pipe.push_back(v[i]);
    for (std::size_t i = v.size() - 1 - (v.size() % 2 == 0 ? 0 : 1); i < v.size(); i -= 2) pipe.push_back(v[i]);
    v = pipe;
  }
  return v;
}

void require_row(const feature_vector<decltype(features)>& v, const feature_matrix& m, Eigen::Index row,
                 const char* when) {
  for (Eigen::Index c = 0; c < v.size(); ++c) {
    if (!same_bits(v[c], m(row, c))) {
      FAIL(when << ": column " << decltype(features)::names()[static_cast<std::size_t>(c)] << " online " << v[c]
                << " batch " << m(row, c));
    }
  }
}
}  // namespace

TEST_CASE("bursts: 100k events at one microsecond, in every order, give one state", "[conformance][burst]") {
  std::string first_snapshot;
  for (const std::string order : {"ascending", "descending", "random", "organ pipe"}) {
    INFO(order);
    const auto values = burst_values(order);
    std::vector<ev> events = {{1, 10, 1.0}, {1, 50, -2.0}};  // earlier events, outside the burst
    online::evaluator on(features.with_allowed_lateness(us(1000)));
    for (const ev& e : events) REQUIRE(on.ingest(e) == online::ingest_outcome::accepted);
    feature_vector<decltype(features)> v;
    std::vector<spine_row<std::int64_t>> spine;
    std::vector<feature_vector<decltype(features)>> served;
    for (int i = 0; i < burst; ++i) {
      const ev e{1, 100, values[static_cast<std::size_t>(i)]};
      REQUIRE(on.ingest(e) == online::ingest_outcome::accepted);
      events.push_back(e);
      if (i == 1 || i == burst / 2 || i == burst - 1) {  // reads during the burst
        for (std::int64_t t : {std::int64_t{100}, std::int64_t{101}, std::int64_t{150}}) {
          REQUIRE(on.features(1, t, v).ok());
          spine.push_back({1, t});
          served.push_back(v);
        }
        // They equal batch over the events so far.
        const auto so_far =
            batch::evaluate(features, events, std::vector<spine_row<std::int64_t>>(spine.end() - 3, spine.end()));
        for (Eigen::Index r = 0; r < 3; ++r)
          require_row(served[served.size() - 3 + static_cast<std::size_t>(r)], so_far.values, r, "during the burst");
      }
    }
    // The same state whatever the order: the same snapshot bytes.
    const std::string bytes = *serial::snapshot(on);
    if (first_snapshot.empty()) first_snapshot = bytes;
    CHECK(bytes == first_snapshot);
    // A late event inside the burst's instant's past, then the instant closes.
    for (const ev& e : {ev{1, 99, 3.5}, ev{1, 100, -1.0}, ev{1, 104, 2.0}, ev{1, 104, 1.0}, ev{1, 112, 0.5}}) {
      REQUIRE(on.ingest(e) == online::ingest_outcome::accepted);
      events.push_back(e);
    }
    std::vector<spine_row<std::int64_t>> after = {{1, 112}, {1, 113}, {1, 150}, {1, 205}, {1, 1000}};
    const auto expect = batch::evaluate(features, events, after);
    for (std::size_t r = 0; r < after.size(); ++r) {
      REQUIRE(on.features(1, after[r].time_us, v).ok());
      require_row(v, expect.values, static_cast<Eigen::Index>(r), "after the burst");
    }
    // And a restore in the middle of nothing changes nothing.
    online::evaluator back(features.with_allowed_lateness(us(1000)));
    REQUIRE(serial::restore(back, *serial::snapshot(on)).ok());
    REQUIRE(back.features(1, 205, v).ok());
    require_row(v, expect.values, 3, "after a restore");
  }
}
