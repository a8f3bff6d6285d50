// Tests for the restore principle of skewless/serial/snapshot.hpp: a snapshot that
// restores is one some sequence of accepted events could have produced. Each case takes
// a real snapshot, changes a few payload bytes into a state ingest cannot produce,
// recomputes the header's size and checksum (so the inner checks, not the checksum,
// must catch it), and requires the restore to be refused whole, leaving the target as
// it was. These are the findings of the audit in issue 13, one per case.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "serial/snapshot_bytes.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

namespace hostile_test {
struct ev {
  std::string k;
  std::int64_t ts;
  double x;
};
}  // namespace hostile_test
BOOST_HANA_ADAPT_STRUCT(hostile_test::ev, k, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using hostile_test::ev;
using skewless_test::le;
using skewless_test::reframe;
using skewless_test::replace_once;

namespace {
constexpr auto x = field<ev, "x">;
constexpr std::chrono::microseconds hop{1000};
constexpr auto features = define_features<ev, "k", "ts">(
    feature<"sum_t">(sum(x, tiled(4 * hop, hop))), feature<"max_l">(max(x, lifetime())),
    feature<"n5">(count(last_n(5))), feature<"q">(approx_quantile<0.5, 0.99>(x, lifetime())),
    feature<"ewma">(ewma<std::chrono::microseconds(500)>(x, sliding(10 * hop))),
    feature<"mode">(most_frequent(x, lifetime())), feature<"hll">(approx_distinct_count<4>(x, lifetime())),
    feature<"since">(time_since_last(lifetime())), feature<"sum_s">(sum(x, sliding(3 * hop))));
using evaluator_t = online::evaluator<decltype(features)>;

// One entity "user" with distinctive values and times: tiles at 0, 1000 and 2000 us,
// two events held at the newest instant 2500, 1234.5 as the lifetime max.
evaluator_t sample() {
  evaluator_t on(features);
  for (const ev& e : {ev{"user", 100, 3.0}, ev{"user", 1100, 1.0}, ev{"user", 2100, 1234.5}, ev{"user", 2200, 7.0},
                      ev{"user", 2500, 5.5}, ev{"user", 2500, 6.5}}) {
    REQUIRE(on.ingest(e) == online::ingest_outcome::accepted);
  }
  return on;
}

// The restore of `bytes` is refused with DataLoss and leaves a target with state of its
// own byte-identical.
void refused(const std::string& bytes, const char* why) {
  evaluator_t target(features);
  REQUIRE(target.ingest({"other", 1, 1.0}) == online::ingest_outcome::accepted);
  const std::string before = *serial::snapshot(target);
  const absl::Status s = serial::restore(target, bytes);
  INFO(why << ": " << s.message());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(*serial::snapshot(target) == before);
}

std::string good() {
  return *serial::snapshot(sample());
}
}  // namespace

TEST_CASE("hostile snapshot: the unmodified sample restores (the cases below change only bytes)", "[serial][hostile]") {
  const std::string bytes = good();
  evaluator_t target(features);
  REQUIRE(serial::restore(target, reframe(bytes, skewless_test::payload(bytes))).ok());
  CHECK(*serial::snapshot(target) == bytes);
}

TEST_CASE("hostile snapshot: exact-sum chunks out of their canonical range", "[serial][hostile]") {
  // 1.0 is chunk 33 (weight 2^(32*33-1074) = 2^-18) holding 2^18; make it 2^62, which
  // used to overflow the carries when tiles merged on restore.
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, le<std::uint32_t>(33) + le<std::int64_t>(1 << 18),
                       le<std::uint32_t>(33) + le<std::int64_t>(std::int64_t{1} << 62)));
  refused(reframe(good(), p), "chunk 2^62");
  // The top chunk at INT64_MIN (its negation was undefined).
  std::string q = skewless_test::payload(good());
  REQUIRE(replace_once(q, le<std::uint32_t>(33) + le<std::int64_t>(1 << 18),
                       le<std::uint32_t>(66) + le<std::int64_t>(std::numeric_limits<std::int64_t>::min())));
  refused(reframe(good(), q), "top chunk INT64_MIN");
}

TEST_CASE("hostile snapshot: a flag byte that is neither 0 nor 1", "[serial][hostile]") {
  // The lifetime max is saved as an optional: a "no value" flag 0, then 1234.5.
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, std::string(1, '\0') + le<double>(1234.5), std::string(1, '\x26') + le<double>(1234.5)));
  refused(reframe(good(), p), "flag byte 38");
}

TEST_CASE("hostile snapshot: held entries out of order or out of range", "[serial][hostile]") {
  // The two events at the newest instant wait in the held lists, in value order.
  const std::string a = le<std::int64_t>(2500) + le<double>(5.5);
  const std::string b = le<std::int64_t>(2500) + le<double>(6.5);
  std::string swapped = skewless_test::payload(good());
  REQUIRE(replace_once(swapped, a + b, b + a));
  refused(reframe(good(), swapped), "held out of order");
  std::string future = skewless_test::payload(good());
  REQUIRE(replace_once(future, a + b, a + le<std::int64_t>(9000) + le<double>(6.5)));
  refused(reframe(good(), future), "held after the newest event");
}

TEST_CASE("hostile snapshot: tiles out of order, misaligned or outside the window", "[serial][hostile]") {
  const std::string t1 = le<std::int64_t>(1000), t2 = le<std::int64_t>(2000);
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, t1, t2));  // two tiles starting at 2000
  refused(reframe(good(), p), "tiles out of order");
  std::string m = skewless_test::payload(good());
  REQUIRE(replace_once(m, t1, le<std::int64_t>(1001)));
  refused(reframe(good(), m), "misaligned tile");
}

TEST_CASE("hostile snapshot: an entity whose newest event is outside the accepted range", "[serial][hostile]") {
  // The entity record is its key, then newest (2500): make newest INT64_MAX, after which
  // every read failed and an event at -1 s was accepted through an overflow.
  const std::string key = le<std::uint64_t>(4) + "user";
  std::string p = skewless_test::payload(good());
  REQUIRE(
      replace_once(p, key + le<std::int64_t>(2500), key + le<std::int64_t>(std::numeric_limits<std::int64_t>::max())));
  refused(reframe(good(), p), "newest INT64_MAX");
}

TEST_CASE("hostile snapshot: last_n(5) with seven places", "[serial][hostile]") {
  // Before the instant at 2500, last_n keeps the four earlier places (count(): value 0).
  const std::string place = le<std::int64_t>(100) + le<double>(0.0);
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, le<std::uint64_t>(4) + place, le<std::uint64_t>(7) + place + place + place + place));
  refused(reframe(good(), p), "seven places");
}

TEST_CASE("hostile snapshot: sketch buckets and registers no value can reach", "[serial][hostile]") {
  // The DDSketch bucket of 1.0, the least value (key = bits >> (52 - 6)), count 1: key
  // INT64_MIN (still in order), which no value falls in; so is key 1, a subnormal's.
  const auto key = static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(1.0) >> 46);
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, le<std::int64_t>(key) + le<std::uint64_t>(1),
                       le<std::int64_t>(std::numeric_limits<std::int64_t>::min()) + le<std::uint64_t>(1)));
  refused(reframe(good(), p), "bucket INT64_MIN");
  std::string s = skewless_test::payload(good());
  REQUIRE(replace_once(s, le<std::int64_t>(key) + le<std::uint64_t>(1), le<std::int64_t>(1) + le<std::uint64_t>(1)));
  refused(reframe(good(), s), "bucket of no normal value");
  // A count that makes the table's total overflow.
  std::string c = skewless_test::payload(good());
  REQUIRE(replace_once(c, le<std::int64_t>(key) + le<std::uint64_t>(1),
                       le<std::int64_t>(key) + le<std::uint64_t>(~std::uint64_t{0})));
  refused(reframe(good(), c), "count overflow");
}

TEST_CASE("hostile snapshot: a length that claims more than the file holds allocates nothing", "[serial][hostile]") {
  // The key's length (4, "user") claims 2 GiB: refused before any allocation of that size
  // (tests/online/no_allocation.cpp measures it); so is a huge sequence length.
  const std::string key = le<std::uint64_t>(4) + "user";
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, key, le<std::uint64_t>(std::uint64_t{1} << 31) + "user"));
  refused(reframe(good(), p), "2 GiB key");
  std::string q = skewless_test::payload(good());
  REQUIRE(replace_once(q, le<std::uint64_t>(4) + le<std::int64_t>(100),
                       le<std::uint64_t>(std::uint64_t{1} << 40) + le<std::int64_t>(100)));
  refused(reframe(good(), q), "2^40 places");
}

TEST_CASE("hostile snapshot: a missing value inside a window", "[serial][hostile]") {
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, le<std::int64_t>(2200) + le<double>(7.0),
                       le<std::int64_t>(2200) + le<double>(std::numeric_limits<double>::quiet_NaN())));
  refused(reframe(good(), p), "NaN entry");
}

TEST_CASE("hostile snapshot: an entry time outside the accepted range reaches no arithmetic", "[serial][hostile]") {
  // The EWMA over a sliding window rebuilds its decayed total from its entries on load;
  // an entry at INT64_MIN made the tick arithmetic overflow before anything checked it.
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, le<std::int64_t>(2200) + le<double>(7.0),
                       le<std::int64_t>(std::numeric_limits<std::int64_t>::min()) + le<double>(7.0)));
  refused(reframe(good(), p), "entry at INT64_MIN");
}

TEST_CASE("hostile snapshot: tile counts whose merge overflows are refused before any read", "[serial][hostile]") {
  // most_frequent over tiles keeps the merge of its tiles; a restore rebuilds it, so
  // counts that each fit but overflow together must be refused, not wrapped.
  constexpr auto modes = define_features<ev, "k", "ts">(feature<"mode_t">(most_frequent(x, tiled(4 * hop, hop))));
  online::evaluator on(modes);
  REQUIRE(on.ingest({"user", 100, 7.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"user", 1100, 7.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"user", 2100, 5.0}) == online::ingest_outcome::accepted);  // releases 1100 into its tile
  const std::string bytes = *serial::snapshot(on);
  std::string p = skewless_test::payload(bytes);
  const std::string one = le<std::uint64_t>(category_key(7.0)) + le<std::uint64_t>(1);
  const std::string huge = le<std::uint64_t>(category_key(7.0)) + le<std::uint64_t>(std::uint64_t{1} << 63);
  REQUIRE(replace_once(p, one, huge));
  {
    online::evaluator back(modes);  // one huge tile alone is a valid table
    REQUIRE(serial::restore(back, reframe(bytes, p)).ok());
  }
  REQUIRE(replace_once(p, one, huge));
  online::evaluator target(modes);
  const absl::Status s = serial::restore(target, reframe(bytes, p));
  INFO(s.message());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(s.message()).find("overflow") != std::string::npos);
  CHECK(target.entity_count() == 0);
}

TEST_CASE("hostile snapshot: an order part absent where the count says there are entries", "[serial][hostile]") {
  // max(x, lifetime()) over six events, its max marked absent (flag 1, no value): the
  // lifetime state keeps a count for every aggregate, and presence must agree with it,
  // or a read gives NaN where events gave a value (issue 27, item 15).
  std::string p = skewless_test::payload(good());
  REQUIRE(replace_once(p, std::string(1, '\0') + le<double>(1234.5), std::string(1, '\1')));
  refused(reframe(good(), p), "max absent beside a count of 6");
}
