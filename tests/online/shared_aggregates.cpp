// Tests for identical aggregates in the online evaluator (skewless/online/evaluator.hpp):
// an aggregate used by several features — the same kind, argument, window and filter —
// is kept and read once, and every value, snapshot and restore is as if each feature
// kept its own copy. Stream-group aggregates share by riding (tests/online/stream_group.cpp).
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/snapshot.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace shared_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double x;
};
}  // namespace shared_test
BOOST_HANA_ADAPT_STRUCT(shared_test::ev, user, ts, x);

using namespace skewless;
using shared_test::ev;
using us = std::chrono::microseconds;
using skewless_test::same_bits;

namespace {
constexpr auto x = field<ev, "x">;
// Each kind of state that is not in a stream group — a sketch over tiles, a monotonic
// queue over a sliding window, a collection over the lifetime — used again inside
// another feature, and one that differs only in its window (not shared).
constexpr auto twice = define_features<ev, "user", "ts">(
                           feature<"q">(approx_quantile<0.5, 0.9>(x, tiled(us(400), us(40)))),
                           feature<"m">(max(x, sliding(us(300)))), feature<"k">(last_k<3>(x, lifetime())),
                           feature<"q_again">(approx_quantile<0.5, 0.9>(x, tiled(us(400), us(40)))),
                           feature<"m_plus">(max(x, sliding(us(300))) + 1.0),
                           feature<"k_again">(last_k<3>(x, lifetime())), feature<"m_other">(max(x, sliding(us(200)))))
                           .with_allowed_lateness(us(60));

// The same set with the copies made distinct by a filter that passes every value but
// NaN (which no aggregate takes anyway): nothing is shared, each copy computed on its own.
constexpr double lowest = -std::numeric_limits<double>::infinity();
constexpr auto distinct =
    define_features<ev, "user", "ts">(
        feature<"q">(approx_quantile<0.5, 0.9>(x, tiled(us(400), us(40)))), feature<"m">(max(x, sliding(us(300)))),
        feature<"k">(last_k<3>(x, lifetime())),
        feature<"q_again">(approx_quantile<0.5, 0.9>(x, tiled(us(400), us(40))).where(x >= lowest)),
        feature<"m_plus">(max(x, sliding(us(300))).where(x >= lowest) + 1.0),
        feature<"k_again">(last_k<3>(x, lifetime()).where(x >= lowest)), feature<"m_other">(max(x, sliding(us(200)))))
        .with_allowed_lateness(us(60));
using twice_t = std::remove_cvref_t<decltype(twice)>;
using distinct_t = std::remove_cvref_t<decltype(distinct)>;

std::vector<ev> random_stream(std::uint64_t seed, int n, bool nan = true) {
  std::mt19937_64 rng(seed);
  const double specials[] = {
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), -0.0, 1e-300, 1e300,
      std::numeric_limits<double>::quiet_NaN()};
  std::vector<ev> out;
  std::int64_t t = 0;
  for (int i = 0; i < n; ++i) {
    t += static_cast<std::int64_t>(rng() % 20);  // equal times happen
    // Some events late, within the allowed lateness.
    const std::int64_t ts = rng() % 5 == 0 ? t - static_cast<std::int64_t>(rng() % 50) : t;
    const double v = rng() % 10 == 0 ? specials[rng() % (nan ? 6 : 5)] : static_cast<double>(rng() % 1000) / 8.0;
    out.push_back({rng() % 3 == 0 ? "a" : "b", ts, v});
  }
  return out;
}
}  // namespace

TEST_CASE("shared aggregates: kept once, read once, equal to unshared copies, batch and the reference",
          "[online][shared]") {
  const auto events = random_stream(skewless_test::base_seed() + 5, skewless_test::scaled(3000));
  online::evaluator two(twice);
  online::evaluator apart(distinct);
  online::concurrent_evaluator con(twice, 4);
  std::vector<ev> accepted;
  std::int64_t newest = 0;
  const auto same_row = [](const auto& v, const auto& w) {
    for (Eigen::Index c = 0; c < v.size(); ++c) REQUIRE(same_bits(v[c], w[c]));
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const ev& e = events[i];
    const auto outcome = two.ingest(e);
    REQUIRE(apart.ingest(e) == outcome);
    REQUIRE(con.ingest(e) == outcome);
    if (outcome == online::ingest_outcome::accepted) {
      accepted.push_back(e);
      newest = std::max(newest, e.ts);
    }
    if (i % 7 == 0) {  // reads of the state so far, at and after each key's newest event
      for (const char* key : {"a", "b"}) {
        feature_vector<twice_t> v, w;
        feature_vector<distinct_t> u;
        const std::int64_t t = newest + static_cast<std::int64_t>(i % 90);
        if (!two.features(std::string(key), t, v).ok()) continue;
        REQUIRE(con.features(std::string(key), t, w).ok());
        REQUIRE(apart.features(std::string(key), t, u).ok());
        same_row(v, w);
        same_row(v, u);
        // The copies read what the originals read.
        // (Columns: q 0-1, m 2, k 3-5, q_again 6-7, m_plus 8, k_again 9-11, m_other 12.)
        REQUIRE(v.size() == 13);
        for (int c = 0; c < 2; ++c) REQUIRE(same_bits(v[6 + c], v[c]));
        REQUIRE(same_bits(v[8], v[2] + 1.0));
        for (int c = 0; c < 3; ++c) REQUIRE(same_bits(v[9 + c], v[3 + c]));
      }
    }
    if (i == events.size() / 2) {  // a snapshot round trip mid-stream changes nothing
      const auto bytes = serial::snapshot(two);
      REQUIRE(bytes.ok());
      online::evaluator back(twice);
      REQUIRE(serial::restore(back, *bytes).ok());
      CHECK(*serial::snapshot(back) == *bytes);
      two = std::move(back);
    }
  }
  // After the stream: online, batch and the reference agree on every row.
  std::vector<spine_row<std::string>> spine;
  for (std::int64_t t = newest; t <= newest + 500; t += 7) {
    spine.push_back({"a", t});
    spine.push_back({"b", t});
  }
  const auto b = batch::evaluate(twice, accepted, spine);
  const auto r = reference::evaluate(twice, accepted, spine);
  for (std::size_t i = 0; i < spine.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    feature_vector<twice_t> v;
    REQUIRE(two.features(spine[i].key, spine[i].time_us, v).ok());
    for (Eigen::Index c = 0; c < r.cols(); ++c) {
      INFO("row " << i << " column " << c);
      REQUIRE(same_bits(v[c], r(row, c)));
      REQUIRE(same_bits(b.values(row, c), r(row, c)));
    }
  }
  // The shared states hold no second copy.
  CHECK(two.memory().window_bytes < apart.memory().window_bytes);
}

TEST_CASE("shared aggregates: a snapshot holds each copy in full, as when every feature kept its own",
          "[online][shared][serial]") {
  // Without NaNs, the unshared copies hold exactly the originals' states: the payloads
  // must be the same bytes, since a shared state is written once per aggregate.
  online::evaluator two(twice);
  online::evaluator apart(distinct);
  for (const ev& e : random_stream(skewless_test::base_seed() + 9, 600, /*nan=*/false)) {
    REQUIRE(two.ingest(e) == apart.ingest(e));
  }
  REQUIRE(two.entity_count() == 2);
  const auto shared_bytes = serial::snapshot(two);
  const auto apart_bytes = serial::snapshot(apart);
  REQUIRE(shared_bytes.ok());
  REQUIRE(apart_bytes.ok());
  CHECK(shared_bytes->substr(serial::snapshot_header_size) == apart_bytes->substr(serial::snapshot_header_size));
  CHECK(two.state_heap_bytes() < apart.state_heap_bytes());
  // Restored, the copies are checked and dropped; the values are the same.
  online::evaluator back(twice);
  REQUIRE(serial::restore(back, *shared_bytes).ok());
  online::evaluator apart_back(distinct);
  REQUIRE(serial::restore(apart_back, *apart_bytes).ok());
  CHECK(back.state_heap_bytes() < apart_back.state_heap_bytes());
  CHECK(*serial::snapshot(back) == *shared_bytes);
  for (const char* key : {"a", "b"}) {
    feature_vector<twice_t> v, w;
    feature_vector<distinct_t> u;
    REQUIRE(two.features(std::string(key), 1'000'000, v).ok());
    REQUIRE(back.features(std::string(key), 1'000'000, w).ok());
    REQUIRE(apart.features(std::string(key), 1'000'000, u).ok());
    for (Eigen::Index c = 0; c < v.size(); ++c) {
      CHECK(same_bits(v[c], w[c]));
      CHECK(same_bits(v[c], u[c]));
    }
  }
}
