// Tests for skewless/online/internal/event_ranges.hpp: batched ingest (and batch
// evaluation) from any range of events — range-v3 and standard views — gives the
// outcomes, values and snapshot bytes of the same events in a vector.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "conformance/streams.hpp"
#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>
#include <range/v3/view/concat.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>

#include <cstdint>
#include <random>
#include <ranges>
#include <vector>

namespace ranges_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
// A producer's record, turned into the event struct by a transform view.
struct record {
  std::int64_t user;
  std::int64_t at;
  double cents;
};
}  // namespace ranges_test
BOOST_HANA_ADAPT_STRUCT(ranges_test::ev, k, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using ranges_test::ev;

namespace {

constexpr auto x = field<ev, "x">;
const auto fs =
    define_features<ev, "k", "ts">(feature<"n">(count(sliding(1h))), feature<"sum">(sum(x, sliding(2h))),
                                   feature<"max">(max(x, lifetime())), feature<"last3">(last_k<3>(x, last_n(5))))
        .with_allowed_lateness(10min);
using FS = std::remove_cvref_t<decltype(fs)>;

// Two logs of 7,000 events each (more than one ingest chunk), keys 0..49, some late.
std::vector<ev> log_of(std::uint64_t seed, std::int64_t from) {
  std::mt19937_64 rng(seed);
  std::vector<ev> out;
  for (std::int64_t i = 0; i < 7000; ++i) {
    const std::int64_t late =
        static_cast<std::int64_t>(rng() % 3) == 0 ? static_cast<std::int64_t>(rng() % 900'000'000) : 0;
    out.push_back({static_cast<std::int64_t>(rng() % 50), from + i * 1'000'000 - late,
                   skewless_test::random_value(rng, static_cast<int>(rng() % 4))});
  }
  return out;
}

template <class Evaluator, class Events>
std::pair<online::ingest_counters, std::string> ingest_all(Evaluator& on, Events&& events) {
  const online::ingest_counters c = on.ingest(std::forward<Events>(events));
  auto bytes = serial::snapshot(on);
  REQUIRE(bytes.ok());
  return {c, *bytes};
}

}  // namespace

TEST_CASE("ingest from a range-v3 concatenation equals ingest of one vector", "[online][ranges]") {
  const std::vector<ev> a = log_of(1, 0), b = log_of(2, 7'000'000'000);
  std::vector<ev> both = a;
  both.insert(both.end(), b.begin(), b.end());

  online::evaluator<FS> expect(fs);
  const auto [ec, eb] = ingest_all(expect, std::span<const ev>(both));
  REQUIRE(ec.rejected() > 0);  // the lateness rule is exercised, and agrees

  online::evaluator<FS> got(fs);
  const auto [gc, gb] = ingest_all(got, ranges::views::concat(a, b));
  CHECK(gc.by_outcome == ec.by_outcome);
  CHECK(gb == eb);

  online::concurrent_evaluator<FS> con(fs, 4);
  const auto [cc, cb] = ingest_all(con, ranges::views::concat(a, b));
  CHECK(cc.by_outcome == ec.by_outcome);
  CHECK(cb == eb);
}

TEST_CASE("ingest from filter and transform views equals ingest of their vectors", "[online][ranges]") {
  const std::vector<ev> a = log_of(3, 0);
  const auto keep = [](const ev& e) { return e.k % 3 != 0; };
  std::vector<ev> kept;
  for (const ev& e : a) {
    if (keep(e)) kept.push_back(e);
  }
  online::evaluator<FS> expect(fs);
  const auto [ec, eb] = ingest_all(expect, std::span<const ev>(kept));

  online::evaluator<FS> std_view(fs);
  const auto [sc, sb] = ingest_all(std_view, a | std::views::filter(keep));
  CHECK(sc.by_outcome == ec.by_outcome);
  CHECK(sb == eb);

  online::evaluator<FS> v3_view(fs);
  const auto [vc, vb] = ingest_all(v3_view, a | ranges::views::filter(keep));
  CHECK(vc.by_outcome == ec.by_outcome);
  CHECK(vb == eb);

  // Producer records made into events on the fly (each element a temporary).
  std::vector<ranges_test::record> records;
  for (const ev& e : kept) records.push_back({e.k, e.ts, e.x});
  online::concurrent_evaluator<FS> con(fs, 3);
  const auto [tc, tb] = ingest_all(
      con, records | std::views::transform([](const ranges_test::record& r) { return ev{r.user, r.at, r.cents}; }));
  CHECK(tc.by_outcome == ec.by_outcome);
  CHECK(tb == eb);
}

TEST_CASE("batch::evaluate reads a range-v3 concatenation in place, with the vector's bits", "[batch][ranges]") {
  const std::vector<ev> a = log_of(4, 0), b = log_of(5, 3'000'000'000);
  std::vector<ev> both = a;
  both.insert(both.end(), b.begin(), b.end());
  std::vector<spine_row<std::int64_t>> spine;
  for (std::size_t i = 0; i < both.size(); i += 7) spine.push_back({both[i].k, both[i].ts + 1});
  const auto expect = batch::evaluate(fs, both, spine, {.threads = 1});
  const auto got = batch::evaluate(fs, ranges::views::concat(a, b), spine, {.threads = 2, .min_parallel_size = 0});
  const auto filtered =
      batch::evaluate(fs, ranges::views::concat(a, b) | ranges::views::filter([](const ev&) { return true; }), spine);
  REQUIRE(expect.values.rows() == static_cast<Eigen::Index>(spine.size()));
  for (Eigen::Index r = 0; r < expect.values.rows(); ++r) {
    for (Eigen::Index c = 0; c < expect.values.cols(); ++c) {
      INFO("row " << r << " col " << c);
      REQUIRE(skewless_test::same_bits(expect.values(r, c), got.values(r, c)));
      REQUIRE(skewless_test::same_bits(expect.values(r, c), filtered.values(r, c)));
    }
  }
}
