// Tests for skewless/serial/snapshot.hpp: round trips, and refusal of every bad input
// without touching the target.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace snap_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace snap_test
BOOST_HANA_ADAPT_STRUCT(snap_test::ev, k, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using snap_test::ev;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto features = define_features<ev, "k", "ts">(
    feature<"sum">(sum(x, sliding(1s))), feature<"max">(max(x, sliding(1s))), feature<"mean">(mean(x, lifetime())),
    feature<"first">(first(x, sliding(1s))), feature<"last3">(last_k<3>(x, tiled(2s, 500ms))),
    feature<"q">(approx_quantile<0.5>(x, sliding(1s))), feature<"hll">(approx_distinct_count<8>(x, lifetime())),
    feature<"ewma">(ewma<1s>(x, lifetime())), feature<"mode">(most_frequent(x, last_n(7))));
constexpr auto other = define_features<ev, "k", "ts">(feature<"sum">(sum(x, sliding(2s))));

online::evaluator<std::remove_const_t<decltype(features)>> filled() {
  online::evaluator on(features);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    (void)on.ingest({static_cast<std::int64_t>(rng() % 20), static_cast<std::int64_t>(i * 10'000),
                     static_cast<double>(rng() % 1000) * 0.25});
  }
  return on;
}
}  // namespace

TEST_CASE("snapshot: round trip is exact and byte-deterministic", "[serial]") {
  const auto on = filled();
  const auto bytes = serial::snapshot(on);
  REQUIRE(bytes.ok());
  online::evaluator restored(features);
  REQUIRE(serial::restore(restored, *bytes).ok());
  CHECK(*serial::snapshot(restored) == *bytes);
  CHECK(restored.counters().accepted() == 500);
  feature_vector<decltype(features)> a, b;
  for (std::int64_t k = 0; k < 20; ++k) {
    REQUIRE(on.features(k, 5'000'000, a).ok());
    REQUIRE(restored.features(k, 5'000'000, b).ok());
    CHECK(a == b);
  }
}

TEST_CASE("snapshot: another definition is refused, naming both fingerprints", "[serial]") {
  const auto bytes = serial::snapshot(filled());
  online::evaluator target(other);
  const auto s = serial::restore(target, *bytes);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  const std::string msg(s.message());
  CHECK_THAT(msg, Catch::Contains(absl::StrCat(absl::Hex(features.fingerprint(), absl::kZeroPad16))));
  CHECK_THAT(msg, Catch::Contains(absl::StrCat(absl::Hex(other.fingerprint(), absl::kZeroPad16))));
}

TEST_CASE("snapshot: a newer format is refused", "[serial]") {
  std::string bytes = *serial::snapshot(filled());
  bytes[8] = static_cast<char>(snapshot_format_version + 1);
  online::evaluator target(features);
  const auto s = serial::restore(target, bytes);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(s.message()), Catch::Contains("newer"));
}

TEST_CASE("snapshot: every truncation and every flipped byte is refused whole", "[serial]") {
  const std::string good = *serial::snapshot(filled());
  // The target has state of its own, which a refused restore must leave alone.
  online::evaluator target(features);
  REQUIRE(target.ingest({1, 42, 1.5}) == online::ingest_outcome::accepted);
  const std::string before = *serial::snapshot(target);
  for (std::size_t n = 0; n < good.size(); n += (n < 64 ? 1 : 7)) {
    CHECK_FALSE(serial::restore(target, std::string_view(good).substr(0, n)).ok());
  }
  CHECK_FALSE(serial::restore(target, good + "x").ok());
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      const auto s = serial::restore(target, bad);
      if (s.ok()) FAIL("flipped byte " << i << " was accepted");
    }
  }
  CHECK(*serial::snapshot(target) == before);
  CHECK(serial::restore(target, "not a snapshot at all, just some bytes").code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("snapshot: a state that breaks its own invariants is refused", "[serial]") {
  // A well-formed archive (valid checksum) can still carry an impossible state; each
  // state checks its invariants on load and the whole restore is refused.
  std::ostringstream out;
  {
    cereal::PortableBinaryOutputArchive ar(out);
    std::vector<key_counts<std::int64_t>::item> unsorted{{5, 1}, {2, 1}};
    ar(unsorted);
  }
  std::istringstream in(out.str());
  cereal::PortableBinaryInputArchive ar(in);
  key_counts<std::int64_t> counts;
  CHECK_THROWS_WITH(ar(counts), Catch::Contains("invalid count table"));
}
