// Tests for skewless/online/evaluator.hpp: ingest outcomes, lateness, query rules.
#include <skewless/adapters/absl_time.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace online_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double x;
};
struct timed_ev {
  std::int64_t user;
  absl::Time at;
  double x;
};
}  // namespace online_test
BOOST_HANA_ADAPT_STRUCT(online_test::ev, user, ts, x);
BOOST_HANA_ADAPT_STRUCT(online_test::timed_ev, user, at, x);

using namespace skewless;
using namespace std::chrono_literals;
using online_test::ev;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto features =
    define_features<ev, "user", "ts">(feature<"sum_10s">(sum(x, sliding(10s))), feature<"n">(count(lifetime())),
                                      feature<"last">(last(x, lifetime())))
        .with_allowed_lateness(5s);
using vec = feature_vector<decltype(features)>;
}  // namespace

TEST_CASE("online: strict rule at T equal to the newest event", "[online]") {
  online::evaluator on(features);
  REQUIRE(on.ingest({"a", 1'000'000, 1.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"a", 2'000'000, 2.0}) == online::ingest_outcome::accepted);
  vec v;
  REQUIRE(on.features("a", 2'000'000, v).ok());
  CHECK(v[0] == 1.0);  // the event at T itself is not visible
  CHECK(v[1] == 1.0);
  REQUIRE(on.features("a", 2'000'001, v).ok());
  CHECK(v[0] == 3.0);
  CHECK(v[2] == 2.0);
  REQUIRE(on.features("a", 12'000'000, v).ok());
  CHECK(v[0] == 2.0);  // window [2s, 12s)
  REQUIRE(on.features("a", 12'000'001, v).ok());
  CHECK(v[0] == 0.0);
  CHECK(v[1] == 2.0);
}

TEST_CASE("online: unknown entities read empty windows", "[online]") {
  online::evaluator on(features);
  vec v;
  REQUIRE(on.features("nobody", 5, v).ok());
  CHECK(v[0] == 0.0);
  CHECK(v[1] == 0.0);
  CHECK(std::isnan(v[2]));
}

TEST_CASE("online: queries before the newest event are an error", "[online]") {
  online::evaluator on(features);
  REQUIRE(on.ingest({"a", 1'000'000, 1.0}) == online::ingest_outcome::accepted);
  vec v;
  const auto s = on.features("a", 999'999, v);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(s.message()), Catch::Contains("before the entity's newest"));
}

TEST_CASE("online: too-late events are rejected, counted, and change nothing", "[online]") {
  online::evaluator on(features);
  REQUIRE(on.ingest({"a", 10'000'000, 1.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"a", 5'000'000, 2.0}) == online::ingest_outcome::accepted);  // exactly L late
  const auto before = serial::snapshot(on);
  REQUIRE(before.ok());
  CHECK(on.ingest({"a", 4'999'999, 3.0}) == online::ingest_outcome::rejected_too_late);
  CHECK(on.ingest({"a", std::int64_t{1} << 62 | 1, 3.0}) == online::ingest_outcome::rejected_time_out_of_range);
  CHECK(on.counters().accepted() == 2);
  CHECK(on.counters().rejected(online::ingest_outcome::rejected_too_late) == 1);
  CHECK(on.counters().rejected(online::ingest_outcome::rejected_time_out_of_range) == 1);
  CHECK(on.counters().rejected() == 2);
  // Only the counters moved: the entity state is byte-identical.
  online::evaluator replay(features);
  REQUIRE(serial::restore(replay, *before).ok());
  vec a, b;
  REQUIRE(on.features("a", 10'000'001, a).ok());
  REQUIRE(replay.features("a", 10'000'001, b).ok());
  CHECK(a == b);
  CHECK(a[0] == 3.0);
  CHECK(on.entity_count() == 1);
}

TEST_CASE("online: absl::Time event times", "[online]") {
  constexpr auto tx = field<online_test::timed_ev, "x">;
  constexpr auto tf = define_features<online_test::timed_ev, "user", "at">(feature<"sum_1m">(sum(tx, sliding(1min))));
  online::evaluator on(tf);
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  REQUIRE(on.ingest({7, t0, 2.5}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({7, t0 + absl::Seconds(30), 1.5}) == online::ingest_outcome::accepted);
  feature_vector<decltype(tf)> v;
  REQUIRE(on.features(7, t0 + absl::Seconds(61), v).ok());
  CHECK(v[0] == 1.5);
  CHECK_THAT(tf.canonical_text(), Catch::Contains("time at:absl_time"));
}

TEST_CASE("online: advance_to declares the past and changes no later answer", "[online]") {
  online::evaluator on(features);
  for (std::int64_t i = 0; i < 50; ++i) {
    REQUIRE(on.ingest({i % 2 ? "a" : "b", i * 1'000'000, static_cast<double>(i)}) == online::ingest_outcome::accepted);
  }
  vec before, after;
  REQUIRE(on.features("a", 55'000'000, before).ok());
  REQUIRE(on.advance_to(52'000'000).ok());
  REQUIRE(on.features("a", 55'000'000, after).ok());
  CHECK(before == after);
  const auto s = on.features("a", 51'999'999, after);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(s.message()), Catch::Contains("advanced to"));
  // An entity created later inherits the declaration.
  REQUIRE(on.ingest({"c", 40'000'000, 1.0}) == online::ingest_outcome::accepted);
  CHECK_FALSE(on.features("c", 45'000'000, after).ok());
  CHECK_FALSE(on.features("never-seen", 45'000'000, after).ok());
  REQUIRE(on.features("c", 52'000'000, after).ok());
  CHECK(after[0] == 0.0);  // 40 s is outside [42 s, 52 s)
  CHECK(after[1] == 1.0);  // but counted over the lifetime
  // One entity only.
  REQUIRE(on.advance_to("a", 60'000'000).ok());
  CHECK_FALSE(on.features("a", 59'000'000, after).ok());
  CHECK(on.features("b", 59'000'000, after).ok());
  CHECK(on.advance_to(std::int64_t{1} << 62 | 7).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("online: a failed read fills the output with NaN, on every failure path", "[online]") {
  online::evaluator on(features);
  REQUIRE(on.ingest({"a", 10'000'000, 1.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"b", 20'000'000, 2.0}) == online::ingest_outcome::accepted);
  vec v;
  auto all_missing = [&] { return v.array().isNaN().all(); };
  // Each failure follows a good read of another entity, whose values must not leak.
  auto fail_after_good_read = [&](auto&& failing_read) {
    REQUIRE(on.features("b", 30'000'000, v).ok());
    REQUIRE_FALSE(all_missing());
    const absl::Status s = failing_read();
    CHECK_FALSE(s.ok());
    CHECK(all_missing());
    return s.code();
  };
  // T before the entity's newest event.
  CHECK(fail_after_good_read([&] { return on.features("a", 9'000'000, v); }) == absl::StatusCode::kFailedPrecondition);
  // T outside the accepted time range, for a known and an unknown entity.
  CHECK(fail_after_good_read([&] { return on.features("a", std::int64_t{1} << 62 | 1, v); }) ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fail_after_good_read([&] { return on.features("zz", -(std::int64_t{1} << 62) - 1, v); }) ==
        absl::StatusCode::kInvalidArgument);
  // T before the time the state was advanced to, for a known and an unknown entity.
  REQUIRE(on.advance_to(25'000'000).ok());
  CHECK(fail_after_good_read([&] { return on.features("a", 24'000'000, v); }) == absl::StatusCode::kFailedPrecondition);
  CHECK(fail_after_good_read([&] { return on.features("zz", 24'000'000, v); }) ==
        absl::StatusCode::kFailedPrecondition);
  // With a read_info, too, which then says nothing was found.
  online::read_info info;
  CHECK(fail_after_good_read([&] { return on.features("zz", 24'000'000, v, info); }) ==
        absl::StatusCode::kFailedPrecondition);
  CHECK_FALSE(info.known_entity);
}

TEST_CASE("online: a read says whether the entity is known, without changing values", "[online]") {
  online::evaluator on(features);
  REQUIRE(on.ingest({"a", 10'000'000, 1.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"a", 12'000'000, 2.0}) == online::ingest_outcome::accepted);
  vec known, unknown, plain;
  online::read_info info;
  REQUIRE(on.features("a", 12'000'000, known, info).ok());
  CHECK(info.known_entity);
  CHECK(info.newest_event_us == 12'000'000);
  REQUIRE(on.features("a", 12'000'000, plain).ok());
  CHECK(known == plain);  // the read_info overload gives the same values
  // An idle known entity whose windows are empty reads what an unknown one reads...
  REQUIRE(on.features("a", 100'000'000, known, info).ok());
  CHECK(info.known_entity);
  REQUIRE(on.features("nobody", 100'000'000, unknown, info).ok());
  // ... but the read_info and contains() tell them apart.
  CHECK_FALSE(info.known_entity);
  CHECK(info.newest_event_us == std::numeric_limits<std::int64_t>::min());
  CHECK(on.contains("a"));
  CHECK(on.contains(std::string("a")));
  CHECK_FALSE(on.contains("nobody"));
  CHECK(known[0] == unknown[0]);  // sum over 10 s: both empty
  CHECK(known[1] == 2.0);         // lifetime count: only the known entity has events
  CHECK(unknown[1] == 0.0);
}

TEST_CASE("online: keys are taken by value-preserving types only", "[online]") {
  // std::string keys: std::string, std::string_view and const char* name the same entity.
  online::evaluator on(features);
  REQUIRE(on.ingest({"user-1", 1'000'000, 3.0}) == online::ingest_outcome::accepted);
  vec a, b, c;
  const std::string owned = "user-1";
  REQUIRE(on.features(owned, 2'000'000, a).ok());
  REQUIRE(on.features(std::string_view(owned), 2'000'000, b).ok());
  REQUIRE(on.features("user-1", 2'000'000, c).ok());
  CHECK(a[0] == 3.0);
  CHECK(a == b);
  CHECK(a == c);
  REQUIRE(on.advance_to(std::string_view("user-1"), 1'500'000).ok());
  CHECK_FALSE(on.features(owned, 1'400'000, a).ok());

  // Integer keys: narrower integer types widen; wider ones do not compile
  // (tests/diagnostics/key_narrowing_*.cpp).
  constexpr auto tx = field<online_test::timed_ev, "x">;
  STATIC_REQUIRE(key_type_accepts<std::int64_t, std::int32_t>);
  STATIC_REQUIRE(key_type_accepts<std::int64_t, std::uint32_t>);
  STATIC_REQUIRE(key_type_accepts<std::int32_t, std::int16_t>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::int32_t, std::int64_t>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::int32_t, std::uint32_t>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::uint64_t, std::int64_t>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::int64_t, std::uint64_t>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::int64_t, bool>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::int64_t, double>);
  STATIC_REQUIRE(key_type_accepts<std::string, std::string_view>);
  STATIC_REQUIRE(key_type_accepts<std::string, const char*>);
  STATIC_REQUIRE(key_type_accepts<std::string, char[4]>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::string, int>);
  STATIC_REQUIRE_FALSE(key_type_accepts<std::int64_t, std::string>);
  constexpr auto tf = define_features<online_test::timed_ev, "user", "at">(feature<"sum_1m">(sum(tx, sliding(1min))));
  online::evaluator timed(tf);
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  REQUIRE(timed.ingest({7, t0, 2.5}) == online::ingest_outcome::accepted);
  feature_vector<decltype(tf)> w;
  REQUIRE(timed.features(std::int16_t{7}, t0 + absl::Seconds(1), w).ok());
  CHECK(w[0] == 2.5);
  CHECK(timed.contains(std::uint8_t{7}));
}

TEST_CASE("online: evaluator<decltype(features)> is the evaluator of the definition", "[online]") {
  // decltype of a constexpr definition is const-qualified; every type a user names with
  // it must work as with the plain type.
  online::evaluator<decltype(features)> on(features);
  online::evaluator<const std::remove_cvref_t<decltype(features)>&> by_ref(features);
  REQUIRE(on.ingest({"a", 1'000'000, 1.5}) == online::ingest_outcome::accepted);
  const auto bytes = serial::snapshot(on);
  REQUIRE(bytes.ok());
  online::evaluator<decltype(features)> restored(features);
  REQUIRE(serial::restore(restored, *bytes).ok());
  REQUIRE(serial::restore(by_ref, *bytes).ok());
  feature_vector<decltype(features)> a;
  feature_vector<const std::remove_cvref_t<decltype(features)>&> b;
  REQUIRE(restored.features("a", 2'000'000, a).ok());
  REQUIRE(by_ref.features("a", 2'000'000, b).ok());
  CHECK(a[0] == 1.5);
  CHECK(a == b);
  // It is the same evaluator: it binds where the plain type is expected.
  online::evaluator<std::remove_cvref_t<decltype(features)>>& plain = on;
  CHECK(plain.entity_count() == 1);
  on = std::move(restored);
  CHECK(on.entity_count() == 1);
}
