// Tests for skewless/batch/evaluate.hpp: spine order, threads, events as the spine.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/reference/evaluate.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

namespace batch_test {
struct ev {
  std::int32_t k;
  std::int64_t ts;
  float x;
};
}  // namespace batch_test
BOOST_HANA_ADAPT_STRUCT(batch_test::ev, k, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using batch_test::ev;
using skewless_test::same_bits;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto features = define_features<ev, "k", "ts">(
    feature<"sum_1s">(sum(x, sliding(1s))), feature<"max_life">(max(x, lifetime())),
    feature<"share_pos">(mean(x > 0, sliding(2s))), feature<"last">(last(x, sliding(1s))));

bool same(const feature_matrix& a, const feature_matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    for (Eigen::Index c = 0; c < a.cols(); ++c)
      if (!same_bits(a(r, c), b(r, c))) return false;
  return true;
}

std::vector<ev> random_events(std::mt19937_64& rng, int n, int keys) {
  std::vector<ev> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({static_cast<std::int32_t>(rng() % keys), static_cast<std::int64_t>(rng() % 5'000'000),
                   static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 8.0f});
  }
  return out;
}
}  // namespace

TEST_CASE("batch: rows come back in spine order with column names", "[batch]") {
  const std::vector<ev> events = {{1, 0, 1}, {2, 0, 5}, {1, 500'000, 2}};
  const std::vector<spine_row<std::int32_t>> spine = {{2, 10}, {1, 600'000}, {1, 10}, {9, 1}};
  const auto r = batch::evaluate(features, events, spine);
  REQUIRE(r.values.rows() == 4);
  CHECK(r.columns[0] == "sum_1s");
  CHECK(r.values(0, 0) == 5.0);
  CHECK(r.values(1, 0) == 3.0);
  CHECK(r.values(2, 0) == 1.0);
  CHECK(r.values(3, 0) == 0.0);
  CHECK(r.values(1, 3) == 2.0);
}

TEST_CASE("batch: the events as their own spine never see themselves", "[batch]") {
  const std::vector<ev> events = {{1, 0, 1}, {1, 0, 7}, {1, 3, 2}};
  const auto r = batch::evaluate(features, events);
  CHECK(r.values(0, 0) == 0.0);  // the other event at ts 0 is not strictly before
  CHECK(r.values(1, 0) == 0.0);
  CHECK(r.values(2, 0) == 8.0);
}

TEST_CASE("batch: thread count never changes a bit", "[batch]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 7);
  const auto events = random_events(rng, 60'000, 500);
  std::vector<spine_row<std::int32_t>> spine;
  for (int i = 0; i < 30'000; ++i) {
    spine.push_back({static_cast<std::int32_t>(rng() % 520), static_cast<std::int64_t>(rng() % 5'200'000)});
  }
  const auto one = batch::evaluate(features, events, spine, {.threads = 1});
  const auto two = batch::evaluate(features, events, spine, {.threads = 2, .min_parallel_size = 0});
  const auto five = batch::evaluate(features, events, spine, {.threads = 5, .min_parallel_size = 0});
  CHECK(same(one.values, two.values));
  CHECK(same(one.values, five.values));
  // And a sample of rows against the oracle.
  std::vector<spine_row<std::int32_t>> sample(spine.begin(), spine.begin() + 200);
  const auto ref = reference::evaluate(features, events, sample);
  CHECK(same(ref, one.values.topRows(200)));
}

TEST_CASE("batch: events sorted on many threads, with (key, time) ties everywhere, give the same bits", "[batch]") {
  // 100k events of 50 keys in 2,000 microseconds: every (key, time) has ~1 other event,
  // which the parallel sort and its merges may put in either order.
  std::mt19937_64 rng(skewless_test::base_seed() + 11);
  std::vector<ev> events;
  for (int i = 0; i < 100'000; ++i) {
    events.push_back({static_cast<std::int32_t>(rng() % 50), static_cast<std::int64_t>(rng() % 2'000),
                      static_cast<float>(static_cast<int>(rng() % 17) - 8)});
  }
  std::vector<spine_row<std::int32_t>> spine;
  for (int i = 0; i < 40'000; ++i) {
    spine.push_back({static_cast<std::int32_t>(rng() % 55), static_cast<std::int64_t>(rng() % 2'100)});
  }
  const auto one = batch::evaluate(features, events, spine, {.threads = 1});
  for (const unsigned threads : {2u, 3u, 5u, 16u}) {
    INFO(threads << " threads");
    CHECK(same(one.values,
               batch::evaluate(features, events, spine, {.threads = threads, .min_parallel_size = 0}).values));
  }
  std::vector<spine_row<std::int32_t>> sample(spine.begin(), spine.begin() + 100);
  CHECK(same(reference::evaluate(features, events, sample), one.values.topRows(100)));
}

TEST_CASE("batch: events from any input range", "[batch]") {
  const std::vector<ev> events = {{1, 0, 1}, {2, 0, 5}, {1, 500'000, 2}, {1, 700'000, -4}};
  const std::vector<spine_row<std::int32_t>> spine = {{1, 800'000}, {2, 1}};
  const auto from_vector = batch::evaluate(features, events, spine);
  // A filtered view is neither sized nor random-access.
  auto positive = events | std::views::filter([](const ev& e) { return e.x > 0; });
  const auto from_view = batch::evaluate(features, positive, spine);
  CHECK(from_vector.values(0, 0) == -1.0);
  CHECK(from_view.values(0, 0) == 3.0);
  CHECK(from_view.values(1, 0) == 5.0);
}

namespace batch_test {
struct named_ev {
  std::string user;
  std::int64_t ts;
  double x;
};
}  // namespace batch_test
BOOST_HANA_ADAPT_STRUCT(batch_test::named_ev, user, ts, x);

TEST_CASE("batch: spine keys of a value-preserving type name the same entities", "[batch]") {
  // A narrower integer type widens to the key type (a wider one does not compile:
  // tests/diagnostics/key_narrowing_batch.cpp).
  const std::vector<ev> events = {{1, 0, 1}, {2, 0, 5}, {1, 500'000, 2}};
  const std::vector<spine_row<std::int32_t>> exact = {{2, 10}, {1, 600'000}};
  const std::vector<spine_row<std::int16_t>> narrow = {{2, 10}, {1, 600'000}};
  CHECK(same(batch::evaluate(features, events, exact).values, batch::evaluate(features, events, narrow).values));
  // A std::string key takes std::string_view and const char* spines.
  constexpr auto nx = field<batch_test::named_ev, "x">;
  constexpr auto named = define_features<batch_test::named_ev, "user", "ts">(feature<"sum">(sum(nx, lifetime())));
  const std::vector<batch_test::named_ev> named_events = {{"a", 0, 1.5}, {"b", 0, 4}, {"a", 5, 2}};
  const std::vector<spine_row<std::string>> owned = {{"a", 10}, {"b", 10}, {"c", 10}};
  const std::vector<spine_row<std::string_view>> viewed = {{"a", 10}, {"b", 10}, {"c", 10}};
  const std::vector<spine_row<const char*>> literal = {{"a", 10}, {"b", 10}, {"c", 10}};
  const auto r = batch::evaluate(named, named_events, owned);
  CHECK(r.values(0, 0) == 3.5);
  CHECK(r.values(1, 0) == 4.0);
  CHECK(same(r.values, batch::evaluate(named, named_events, viewed).values));
  CHECK(same(r.values, batch::evaluate(named, named_events, literal).values));
  CHECK(same(r.values, reference::evaluate(named, named_events, viewed)));
}

TEST_CASE("batch: result<decltype(features)> names the result", "[batch]") {
  const std::vector<ev> events = {{1, 0, 1}};
  const std::vector<spine_row<std::int32_t>> spine = {{1, 10}};
  batch::result<decltype(features)> r = batch::evaluate(features, events, spine);
  CHECK(r.values(0, 0) == 1.0);
  CHECK(r.columns[3] == "last");
  // A row copies into a feature_vector with .transpose() (the matrix is row-major).
  feature_vector<decltype(features)> v = r.values.row(0).transpose();
  CHECK(v[0] == 1.0);
}

namespace batch_test {
struct named {
  std::string k;
  std::int64_t ts;
  double x;
};
}  // namespace batch_test
BOOST_HANA_ADAPT_STRUCT(batch_test::named, k, ts, x);

TEST_CASE("batch: string keys over many buckets and threads give the oracle's bits", "[batch]") {
  // 3,000 keys (some longer than a short string), hot key 0 with a fifth of the events,
  // enough events and rows for many buckets; sum and mean over 1s share one sweep, max
  // over 1s rides on it, lifetime ones on theirs.
  using batch_test::named;
  constexpr auto nx = field<named, "x">;
  constexpr auto fs = define_features<named, "k", "ts">(
      feature<"sum">(sum(nx, sliding(1s))), feature<"mean">(mean(nx, sliding(1s))),
      feature<"max">(max(nx, sliding(1s))), feature<"n">(count(sliding(2s))), feature<"n_all">(count(lifetime())),
      feature<"sum_all">(sum(nx, lifetime())), feature<"last3">(sum(nx, last_n(3))));
  std::mt19937_64 rng(skewless_test::base_seed() + 13);
  auto key = [&](std::uint64_t i) { return (i % 3 == 0 ? "a-long-route-name-" : "k") + std::to_string(i); };
  const double values[] = {1e300, -1e300, 1e-300, -0.0, 0.0, 2.5, -7.25, std::numeric_limits<double>::infinity()};
  std::vector<named> events;
  for (int i = 0; i < 40'000; ++i) {
    events.push_back(
        {key(rng() % 5 == 0 ? 0 : rng() % 3000), static_cast<std::int64_t>(rng() % 4'000'000), values[rng() % 8]});
  }
  std::vector<spine_row<std::string>> spine;
  for (int i = 0; i < 20'000; ++i) {
    spine.push_back({key(rng() % 3100), static_cast<std::int64_t>(rng() % 4'200'000)});
  }
  const auto one = batch::evaluate(fs, events, spine, {.threads = 1});
  CHECK(same(one.values, batch::evaluate(fs, events, spine, {.threads = 3, .min_parallel_size = 0}).values));
  std::vector<spine_row<std::string>> sample(spine.begin(), spine.begin() + 300);
  sample.push_back({key(0), 4'100'000});
  const auto ref = reference::evaluate(fs, events, sample);
  CHECK(same(ref.topRows(300), one.values.topRows(300)));
  CHECK(same(ref.bottomRows(1), batch::evaluate(fs, events, std::vector{sample.back()}).values));
}

TEST_CASE("batch: filters with equal constants share a stream, different constants never do", "[batch]") {
  // where(x > 1) over 1s, over 2s and over the last 3 events is one stream (one column,
  // one gather, every place kept for last_n); where(x > 2) has the same types and must
  // stay apart, as must mean(x > 1) (a value with a constant).
  constexpr auto fs = define_features<ev, "k", "ts">(
      feature<"s1">(sum(x, sliding(1s)).where(x > 1.0f)), feature<"s2">(sum(x, sliding(1s)).where(x > 2.0f)),
      feature<"n1">(count(sliding(2s)).where(x > 1.0f)), feature<"l1">(sum(x, last_n(3)).where(x > 1.0f)),
      feature<"m1">(mean(x > 1.0f, sliding(1s))), feature<"m2">(mean(x > 2.0f, sliding(1s))),
      feature<"s1b">(sum(x, sliding(2s)).where(x > 1.0f)));
  std::mt19937_64 rng(skewless_test::base_seed() + 17);
  const auto events = random_events(rng, 20'000, 300);
  std::vector<spine_row<std::int32_t>> spine;
  for (int i = 0; i < 4'000; ++i) {
    spine.push_back({static_cast<std::int32_t>(rng() % 310), static_cast<std::int64_t>(rng() % 5'200'000)});
  }
  const auto batch = batch::evaluate(fs, events, spine, {.threads = 2, .min_parallel_size = 0});
  const auto ref = reference::evaluate(fs, events, spine);
  CHECK(same(ref, batch.values));
  // The filters select different events, so a merge of x > 1 with x > 2 would show.
  bool differ = false;
  for (Eigen::Index r = 0; r < batch.values.rows(); ++r) differ = differ || batch.values(r, 0) != batch.values(r, 1);
  CHECK(differ);
}

TEST_CASE("batch: events in time order and the same events shuffled give the same bits", "[batch]") {
  // In time order, buckets are grouped by a counting sort on the key hash, and keys
  // sharing a sub-bucket with a hot key are sorted apart; shuffled, by a comparison
  // sort. Equal times (many per key) and a key with a third of the events included.
  std::mt19937_64 rng(skewless_test::base_seed() + 19);
  std::vector<ev> events;
  for (int i = 0; i < 150'000; ++i) {
    const auto k = static_cast<std::int32_t>(rng() % 3 == 0 ? 7 : rng() % 4000);
    events.push_back({k, i / 3 * 40, static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 8.0f});
  }
  std::vector<spine_row<std::int32_t>> spine;
  for (int i = 0; i < 30'000; ++i) {
    spine.push_back({static_cast<std::int32_t>(rng() % 4100), static_cast<std::int64_t>(rng() % 2'100'000)});
  }
  const auto in_order = batch::evaluate(features, events, spine, {.threads = 2, .min_parallel_size = 0});
  auto shuffled = events;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  CHECK(same(in_order.values, batch::evaluate(features, shuffled, spine, {.threads = 1}).values));
  std::vector<spine_row<std::int32_t>> sample(spine.begin(), spine.begin() + 150);
  sample.push_back({7, 2'000'000});
  const auto ref = reference::evaluate(features, events, sample);
  CHECK(same(ref.topRows(150), in_order.values.topRows(150)));
  CHECK(same(ref.bottomRows(1), batch::evaluate(features, events, std::vector{sample.back()}).values));
}

TEST_CASE("batch: a bucket's sort orders (hash, key, time) on every path", "[batch]") {
  // sort_bucket directly, with hashes made to collide in their top bits: pairs of keys
  // per sub-bucket (insertion), dozens of keys per sub-bucket (comparison sort), one
  // key, and input out of time order (comparison sort of the whole bucket).
  using event = batch::batch_internal::keyed_event<std::int64_t>;
  std::mt19937_64 rng(skewless_test::base_seed() + 23);
  std::vector<event> tmp;
  std::vector<std::uint32_t> starts;
  for (const bool time_ordered : {true, false}) {
    for (const int keys : {1, 40, 150, 2000}) {
      for (const int n : {300, 5000}) {
        std::vector<event> v;
        for (int i = 0; i < n; ++i) {
          const auto key = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(keys));
          // The top bits (the sub-bucket) hold key / 2 for 300 events, key % 4 for 5000.
          const auto h = n == 300 ? static_cast<std::uint32_t>(key / 2) << 23 | static_cast<std::uint32_t>(key)
                                  : static_cast<std::uint32_t>(key % 4) << 30 | static_cast<std::uint32_t>(key);
          const std::int64_t ts = time_ordered ? i / 2 : static_cast<std::int64_t>(rng() % 1000);
          v.push_back({key, ts, static_cast<std::uint32_t>(i), h});
        }
        auto sorted = v;
        batch::batch_internal::sort_bucket(sorted.data(), sorted.data() + sorted.size(), tmp, starts);
        INFO(keys << " keys, " << n << " events, time ordered: " << time_ordered);
        CHECK(std::is_sorted(sorted.begin(), sorted.end(), [](const event& a, const event& b) {
          return a.h != b.h ? a.h < b.h : (a.key != b.key ? a.key < b.key : a.ts < b.ts);
        }));
        auto by_place = [](const event& a, const event& b) { return a.at < b.at; };
        std::sort(sorted.begin(), sorted.end(), by_place);
        bool same_events = true;
        for (std::size_t i = 0; i < v.size(); ++i) {
          same_events = same_events && v[i].at == sorted[i].at && v[i].key == sorted[i].key &&
                        v[i].ts == sorted[i].ts && v[i].h == sorted[i].h;
        }
        CHECK(same_events);
      }
    }
  }
}

TEST_CASE("batch: sums from prefix sums where a key's values fit, entry by entry where not, give the oracle's bits",
          "[batch]") {
  // Each key's values are one family. Keys whose values fit 190 bits take their sums,
  // means and variances from the stream's prefix sums (kernels/fixed_prefix.hpp); the
  // others (values 2^380 apart, just over the bound, an infinity) fall back to adding
  // and removing entries. NaN is missing and never enters. Every window type reads the
  // same prefix sums.
  using batch_test::named;
  constexpr auto nx = field<named, "x">;
  constexpr auto fs = define_features<named, "k", "ts">(
      feature<"sum_1s">(sum(nx, sliding(1s))), feature<"mean_1s">(mean(nx, sliding(1s))),
      feature<"sd_1s">(stddev_samp(nx, sliding(1s))), feature<"var_3s">(var_pop(nx, sliding(3s))),
      feature<"sum_3s_lag">(sum(nx, sliding(3s).ending(1s))), feature<"mean_all">(mean(nx, lifetime())),
      feature<"sd_all">(stddev_samp(nx, lifetime())), feature<"sum_last4">(sum(nx, last_n(4))),
      feature<"sd_last4">(stddev_samp(nx, last_n(4))), feature<"big">(sum(nx, sliding(1s)).where(nx > 100.0)));
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<double>> families = {
      {0.01, 12.34, -5.5, 1e4, 99.99, -0.0, 0.0, 250.0},      // money: fits
      {1.0, 0x1p-170, -3.0, 0x1p-169},                        // 179 bits: fits
      {1.0, 0x1p-180, -3.0},                                  // 211 bits: does not
      {1e190, -1e-190, 2.5},                                  // far apart: does not
      {0x1p-1074, -0x1p-1060, 1e-310, 2.5e-308},              // subnormals: fit
      {std::numeric_limits<double>::max(), -1e308, 1e300},    // the top: fits
      {1.5, inf, -2.0},                                       // an infinity: does not
      {std::numeric_limits<double>::quiet_NaN(), 7.0, -7.0},  // NaN is missing
      {1e154, -1e154, 3e153},                                 // squares overflow
  };
  std::mt19937_64 rng(skewless_test::base_seed() + 19);
  auto key = [](std::uint64_t family, std::uint64_t i) {
    std::string k = std::to_string(family);
    k += '-';
    k += std::to_string(i);
    return k;
  };
  std::vector<named> events;
  for (int i = 0; i < 30'000; ++i) {
    const std::size_t f = rng() % families.size();
    const auto& values = families[f];
    events.push_back(
        {key(f, rng() % 40), static_cast<std::int64_t>(rng() % 20'000'000), values[rng() % values.size()]});
  }
  std::vector<spine_row<std::string>> spine;
  for (int i = 0; i < 3'000; ++i) {
    spine.push_back({key(rng() % families.size(), rng() % 41), static_cast<std::int64_t>(rng() % 21'000'000)});
  }
  const auto one = batch::evaluate(fs, events, spine, {.threads = 1});
  CHECK(same(reference::evaluate(fs, events, spine), one.values));
  CHECK(same(one.values, batch::evaluate(fs, events, spine, {.threads = 2, .min_parallel_size = 0}).values));
}

TEST_CASE(
    "batch: one sweep per stream, with windows ending at T sharing their extremes and lagged ones apart, "
    "gives the oracle's bits",
    "[batch]") {
  // Every window kind over one stream, with min, max, first and last (the extremes the
  // windows ending at T share; a lagged window keeps its own), riders on lagged and
  // shared windows, last_n's places, and few distinct values and times so that ties,
  // -0.0 against 0.0 and repeated extremes are everywhere. NaN is missing.
  using batch_test::named;
  constexpr auto nx = field<named, "x">;
  constexpr auto fs = define_features<named, "k", "ts">(
      feature<"min_1s">(min(nx, sliding(1s))), feature<"max_1s">(max(nx, sliding(1s))),
      feature<"max_3s">(max(nx, sliding(3s))), feature<"min_life">(min(nx, lifetime())),
      feature<"first_3s">(first(nx, sliding(3s))), feature<"last_1s">(last(nx, sliding(1s))),
      feature<"max_lag">(max(nx, sliding(2s).ending(1s))), feature<"min_lag">(min(nx, sliding(2s).ending(1s))),
      feature<"mean_lag">(mean(nx, sliding(2s).ending(1s))), feature<"max_lag2">(max(nx, sliding(1s).ending(500ms))),
      feature<"max_last5">(max(nx, last_n(5))), feature<"min_last5">(min(nx, last_n(5))),
      feature<"n_last5">(count(last_n(5))), feature<"max_tiled">(max(nx, tiled(3s, 1s))),
      feature<"n_3s">(count(sliding(3s))), feature<"sum_life">(sum(nx, lifetime())));
  const double values[] = {-0.0,
                           0.0,
                           1.0,
                           -1.0,
                           2.0,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(),
                           1e300};
  std::mt19937_64 rng(skewless_test::base_seed() + 23);
  std::vector<named> events;
  for (int i = 0; i < 20'000; ++i) {
    events.push_back({std::to_string(rng() % 30), static_cast<std::int64_t>(rng() % 400) * 25'000,
                      values[rng() % (rng() % 4 == 0 ? 9 : 5)]});
  }
  std::vector<spine_row<std::string>> spine;
  for (int i = 0; i < 3'000; ++i) {
    spine.push_back({std::to_string(rng() % 31), static_cast<std::int64_t>(rng() % 420) * 25'000});
  }
  const auto one = batch::evaluate(fs, events, spine, {.threads = 1});
  CHECK(same(reference::evaluate(fs, events, spine), one.values));
  CHECK(same(one.values, batch::evaluate(fs, events, spine, {.threads = 2, .min_parallel_size = 0}).values));
}
