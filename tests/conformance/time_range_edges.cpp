// The accepted time range, [-2^62, 2^62] us, at its edges: every window kind at its
// widest, every time-valued aggregate, events and queries at the first and last accepted
// microsecond. reference == batch == online bit for bit, the values that a time
// difference of 2^63 us gives are the true ones, and times outside the range are
// counted rejections (events) or errors / NaN rows (queries) in every back-end.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/snapshot.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace edges_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace edges_test
BOOST_HANA_ADAPT_STRUCT(edges_test::ev, k, ts, x);

using namespace skewless;
using edges_test::ev;
using skewless_test::same_bits;

namespace {
constexpr std::int64_t lo = min_time_us, hi = max_time_us;
constexpr std::chrono::microseconds widest{std::int64_t{1} << 61};
constexpr std::chrono::microseconds hop{std::int64_t{1} << 59};
constexpr auto x = field<ev, "x">;

constexpr auto features = define_features<ev, "k", "ts">(
    feature<"n_s">(count(sliding(widest))), feature<"sum_s">(sum(x, sliding(widest))),
    feature<"tsf_s">(time_since_first(sliding(widest))), feature<"tsl_s">(time_since_last(sliding(widest))),
    feature<"rate_s">(rate(std::chrono::hours(1), sliding(widest))), feature<"min_s">(min(x, sliding(widest))),
    feature<"last_s">(last(x, sliding(widest))), feature<"n_lag">(count(sliding(widest).ending(widest))),
    feature<"sum_lag">(sum(x, sliding(widest).ending(widest))),
    feature<"tsl_lag">(time_since_last(sliding(widest).ending(widest))), feature<"n_t">(count(tiled(widest, hop))),
    feature<"sum_t">(sum(x, tiled(widest, hop))), feature<"tsf_t">(time_since_first(tiled(widest, hop))),
    feature<"rate_t">(rate(std::chrono::hours(1), tiled(widest, hop))),
    feature<"first_t">(first(x, tiled(widest, hop))), feature<"n_last3">(count(last_n(3))),
    feature<"sum_last3">(sum(x, last_n(3))), feature<"tsf_last3">(time_since_first(last_n(3))),
    feature<"n_l">(count(lifetime())), feature<"sum_l">(sum(x, lifetime())),
    feature<"tsf_l">(time_since_first(lifetime())), feature<"tsl_l">(time_since_last(lifetime())),
    feature<"first_l">(first(x, lifetime())), feature<"last_l">(last(x, lifetime())),
    feature<"ewma_l">(ewma<std::chrono::hours(1)>(x, lifetime())),
    feature<"decayed_l">(decayed_sum<std::chrono::hours(24 * 365)>(x, lifetime())),
    feature<"decayed_t">(decayed_sum<std::chrono::hours(1)>(x, tiled(widest, hop))),
    feature<"top_last3">(last_k<2>(x, last_n(3))), feature<"tsl_t">(time_since_last(tiled(widest, hop))));

std::size_t column(std::string_view name) {
  const auto names = decltype(features)::names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  FAIL("no column " << name);
  return 0;
}

// In-range events, oldest first, at the edges and in between.
const std::vector<ev> in_range = {{1, lo, 1.0},     {1, lo + 1, 2.0}, {1, -1, 3.0}, {1, 0, 4.0},
                                  {1, hi - 1, 5.0}, {1, hi, 6.0},     {2, hi, 7.0}};
const std::vector<ev> out_of_range = {{1, lo - 1, 100.0},
                                      {1, hi + 1, 100.0},
                                      {1, std::numeric_limits<std::int64_t>::min(), 100.0},
                                      {1, std::numeric_limits<std::int64_t>::max(), 100.0}};
const std::vector<std::int64_t> query_times = {lo, lo + 1, -1, 0, 1, hi - 1, hi};
}  // namespace

TEST_CASE("time range edges: reference == batch == online at the first and last microsecond", "[conformance][time]") {
  std::vector<ev> all = in_range;
  all.insert(all.end(), out_of_range.begin(), out_of_range.end());
  std::vector<spine_row<std::int64_t>> spine;
  for (std::int64_t k : {1, 2, 3}) {
    for (std::int64_t t : query_times) spine.push_back({k, t});
  }
  const auto ref = reference::evaluate(features, all, spine);
  const auto bat = batch::evaluate(features, all, spine);
  REQUIRE(bat.status().ok());
  CHECK(bat.events_out_of_range == out_of_range.size());
  for (Eigen::Index r = 0; r < ref.rows(); ++r) {
    for (Eigen::Index c = 0; c < ref.cols(); ++c) {
      INFO("row " << r << " col " << decltype(features)::names()[static_cast<std::size_t>(c)]);
      REQUIRE(same_bits(ref(r, c), bat.values(r, c)));
      REQUIRE_FALSE(std::isinf(ref(r, c)));  // no overflow made an infinity
    }
  }
  // Online: for each query time, an evaluator fed the events up to it, in order and
  // with the out-of-range ones (rejected and counted), reads the batch row.
  for (std::size_t q = 0; q < query_times.size(); ++q) {
    const std::int64_t t = query_times[q];
    online::evaluator on(features);
    for (const ev& e : all) {
      const auto o = on.ingest(e);
      if (!in_time_range(e.ts)) {
        REQUIRE(o == online::ingest_outcome::rejected_time_out_of_range);
      } else {
        REQUIRE(o == online::ingest_outcome::accepted);
      }
      if (e.ts == hi) break;  // the rest would be later than some queries
    }
    for (std::int64_t k : {1, 2, 3}) {
      feature_vector<decltype(features)> v;
      const absl::Status s = on.features(k, t, v);
      online::read_info info;
      (void)on.features(k, t, v, info);
      if (info.known_entity && t < info.newest_event_us) {
        CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
        continue;
      }
      REQUIRE(s.ok());
      const Eigen::Index row = static_cast<Eigen::Index>((k - 1) * query_times.size() + q);
      for (Eigen::Index c = 0; c < v.size(); ++c) {
        INFO("T=" << t << " key " << k << " col " << c);
        REQUIRE(same_bits(v[c], bat.values(row, c)));
      }
    }
    // A snapshot at the edge restores to the same bytes.
    const auto bytes = serial::snapshot(on);
    REQUIRE(bytes.ok());
    online::evaluator back(features);
    REQUIRE(serial::restore(back, *bytes).ok());
    CHECK(*serial::snapshot(back) == *bytes);
  }
}

TEST_CASE("time range edges: differences of up to 2^63 us are exact, never overflowed", "[conformance][time]") {
  const std::vector<spine_row<std::int64_t>> spine = {{1, hi}, {1, lo + 1}};
  const auto bat = batch::evaluate(features, in_range, spine);
  // From the first accepted microsecond to the last: 2^63 us.
  const double full = static_cast<double>(std::uint64_t{1} << 63) / 1e6;
  CHECK(bat.values(0, column("tsf_l")) == full);
  CHECK(full == 9223372036854.775808);
  CHECK(bat.values(0, column("tsl_l")) == 1e-6);  // hi - 1 is the last before hi
  CHECK(bat.values(0, column("n_l")) == 5.0);
  CHECK(bat.values(0, column("sum_l")) == 15.0);
  CHECK(bat.values(0, column("first_l")) == 1.0);
  CHECK(bat.values(1, column("tsf_l")) == 1e-6);  // lo is before lo + 1
  CHECK(bat.values(1, column("n_l")) == 1.0);
  // The widest sliding window at hi: [hi - 2^61, hi) holds hi - 1 only.
  CHECK(bat.values(0, column("n_s")) == 1.0);
  // Lagged by 2^61 more: [hi - 2^62, hi - 2^61) = [0, 2^61 * 1): the event at 0.
  CHECK(bat.values(0, column("n_lag")) == 1.0);
  CHECK(bat.values(0, column("sum_lag")) == 4.0);
  CHECK(bat.values(0, column("tsl_lag")) == static_cast<double>(hi) / 1e6);
  // The window at lo + 1 lagged by 2^61 starts at lo - 2^62 ... and is empty.
  CHECK(bat.values(1, column("n_lag")) == 0.0);
  // last_n(3) at hi: -1, 0 and hi - 1.
  CHECK(bat.values(0, column("sum_last3")) == 12.0);
  CHECK(bat.values(0, column("tsf_last3")) == static_cast<double>(hi + 1) / 1e6);
}

TEST_CASE("time range: outside it, events are counted rejections and queries errors", "[conformance][time]") {
  // Online: a late event 2^63 us late is rejected, not accepted through an overflow.
  online::evaluator strict(features);
  REQUIRE(strict.ingest({1, hi, 1.0}) == online::ingest_outcome::accepted);
  CHECK(strict.ingest({1, lo, 1.0}) == online::ingest_outcome::rejected_too_late);
  const auto generous = features.with_allowed_lateness(std::chrono::microseconds::max());
  CHECK(generous.allowed_lateness_us == max_lateness_us);
  online::evaluator late(generous);
  REQUIRE(late.ingest({1, hi, 1.0}) == online::ingest_outcome::accepted);
  CHECK(late.ingest({1, lo, 1.0}) == online::ingest_outcome::rejected_too_late);  // 2^63 late
  CHECK(late.ingest({1, 0, 1.0}) == online::ingest_outcome::accepted);            // 2^62 late
  CHECK(late.ingest({1, hi + 1, 1.0}) == online::ingest_outcome::rejected_time_out_of_range);
  CHECK(late.counters().rejected(online::ingest_outcome::rejected_time_out_of_range) == 1);
  feature_vector<decltype(features)> v;
  CHECK(late.features(1, hi + 1, v).code() == absl::StatusCode::kInvalidArgument);
  CHECK(v.array().isNaN().all());
  CHECK(late.advance_to(lo - 1).code() == absl::StatusCode::kInvalidArgument);

  // Batch and reference: a row outside the range is NaN and named by status().
  const std::vector<spine_row<std::int64_t>> spine = {
      {1, 0}, {1, hi + 1}, {1, std::numeric_limits<std::int64_t>::min() + 10}, {1, hi}};
  const auto bat = batch::evaluate(features, in_range, spine);
  CHECK(bat.rows_out_of_range == 2);
  CHECK(bat.first_row_out_of_range == 1);
  CHECK(bat.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bat.status().message()), Catch::Contains("row 1"));
  CHECK(bat.values.row(1).array().isNaN().all());
  CHECK(bat.values.row(2).array().isNaN().all());
  CHECK(bat.values(3, column("n_l")) == 5.0);
  const auto ref = reference::evaluate(features, in_range, spine);
  for (Eigen::Index r = 0; r < ref.rows(); ++r)
    for (Eigen::Index c = 0; c < ref.cols(); ++c) CHECK(same_bits(ref(r, c), bat.values(r, c)));
}
