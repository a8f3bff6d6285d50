// Tests for the lifetime of online state: TTL (lives, expired reads, the two TTL
// rejections, eviction on advance_to, snapshots) and the soft memory limit. The parity
// of all this with batch and reference over random streams is in tests/conformance/.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/catalog.hpp>
#include <skewless/serial/snapshot.hpp>

#include "serial/snapshot_bytes.hpp"
#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ttl_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double x;
};
}  // namespace ttl_test
BOOST_HANA_ADAPT_STRUCT(ttl_test::ev, user, ts, x);

using namespace skewless;
using ttl_test::ev;
using us = std::chrono::microseconds;
using skewless_test::same_bits;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto plain =
    define_features<ev, "user", "ts">(feature<"n">(count(lifetime())), feature<"sum_50">(sum(x, sliding(us(50)))),
                                      feature<"first">(first(x, lifetime())));
// TTL 10 us, lateness 5 us.
constexpr auto with_ttl = plain.with_ttl(us(10)).with_allowed_lateness(us(5));
using FS = std::remove_cvref_t<decltype(with_ttl)>;
using vec = feature_vector<FS>;

// The features of `key` at t, from a fresh reference over `events`.
vec expected(const std::vector<ev>& events, const std::string& key, std::int64_t t) {
  const auto m = reference::evaluate(with_ttl, events, std::vector<spine_row<std::string>>{{key, t}});
  return m.row(0).transpose();
}
bool same(const vec& a, const vec& b) {
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (!same_bits(a[i], b[i])) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("ttl: part of the fingerprint, the canonical text and the catalog", "[online][ttl]") {
  static_assert(with_ttl.fingerprint() != plain.fingerprint());
  static_assert(plain.with_ttl(us(10)).fingerprint() != plain.with_ttl(us(11)).fingerprint());
  // No TTL (0 or negative) is the set without one: older fingerprints are unchanged.
  static_assert(plain.with_ttl(us(0)).fingerprint() == plain.fingerprint());
  static_assert(plain.with_ttl(us(-3)).fingerprint() == plain.fingerprint());
  CHECK(with_ttl.canonical_text().find("\nttl 10 us\n") != std::string::npos);
  CHECK(plain.canonical_text().find("ttl") == std::string::npos);
  CHECK(plain.with_ttl(us(std::numeric_limits<std::int64_t>::max())).ttl_us == std::int64_t{1} << 62);
  const auto back = serial::parse_catalog_json(serial::catalog_json(with_ttl));
  REQUIRE(back.ok());
  CHECK(back->ttl_us == 10);
  CHECK(fnv1a64(back->canonical_text) == with_ttl.fingerprint());
  // A catalog from before TTL existed (no member) reads as no TTL.
  std::string old = serial::catalog_json(plain);
  const auto at = old.find("\"ttl_us\"");
  REQUIRE(at != std::string::npos);
  old.erase(at, old.find('\n', at) - at + 1);
  const auto old_back = serial::parse_catalog_json(old);
  REQUIRE(old_back.ok());
  CHECK(old_back->ttl_us == 0);
}

TEST_CASE("ttl: lives, expired reads and the TTL rejections", "[online][ttl]") {
  online::evaluator on(with_ttl);
  std::vector<ev> accepted;
  auto ingest = [&](std::int64_t ts, double v) {
    const ev e{"a", ts, v};
    const auto o = on.ingest(e);
    if (o == online::ingest_outcome::accepted) accepted.push_back(e);
    return o;
  };
  CHECK(ingest(0, 1) == online::ingest_outcome::accepted);
  CHECK(ingest(10, 2) == online::ingest_outcome::accepted);              // 10 after: same life
  CHECK(ingest(21, 4) == online::ingest_outcome::accepted);              // 11 after: a new life
  CHECK(ingest(19, 8) == online::ingest_outcome::rejected_before_life);  // within lateness, before the life
  CHECK(ingest(15, 8) == online::ingest_outcome::rejected_too_late);
  CHECK(ingest(25, 16) == online::ingest_outcome::accepted);
  CHECK(ingest(22, 32) == online::ingest_outcome::accepted);  // late, inside the life
  CHECK(on.counters().rejected(online::ingest_outcome::rejected_before_life) == 1);

  vec v;
  online::read_info info;
  REQUIRE(on.features("a", 26, v, info).ok());
  CHECK(info.known_entity);
  CHECK(v[0] == 3.0);   // the current life only: 21, 22, 25
  CHECK(v[1] == 52.0);  // not the old life's 1 + 2, although inside the 50 us window
  CHECK(v[2] == 4.0);   // first of the life
  CHECK(same(v, expected(accepted, "a", 26)));
  REQUIRE(on.features("a", 35, v, info).ok());  // 10 after the newest: still alive
  CHECK(info.known_entity);
  CHECK(v[0] == 3.0);
  REQUIRE(on.features("a", 36, v, info).ok());  // 11 after: expired, reads as never seen
  CHECK_FALSE(info.known_entity);
  CHECK(v[0] == 0.0);
  CHECK(v[1] == 0.0);
  CHECK(std::isnan(v[2]));
  vec never;
  REQUIRE(on.features("nobody", 36, never).ok());
  CHECK(same(v, never));
  CHECK(same(v, expected(accepted, "a", 36)));
  // Batch agrees on every row, including the past it alone can answer.
  std::vector<spine_row<std::string>> spine;
  for (std::int64_t t = -1; t <= 40; ++t) spine.push_back({"a", t});
  const auto b = batch::evaluate(with_ttl, accepted, spine);
  const auto r = reference::evaluate(with_ttl, accepted, spine);
  for (Eigen::Index i = 0; i < r.rows(); ++i) {
    for (Eigen::Index c = 0; c < r.cols(); ++c) CHECK(same_bits(b.values(i, c), r(i, c)));
  }
  CHECK(r(11, 0) == 1.0);  // T = 10: the event at 0 (not the one at T itself)
  CHECK(r(12, 0) == 2.0);  // T = 11: the first life, newest 10
  CHECK(r(21, 0) == 2.0);  // T = 20: 10 after the first life's newest
  CHECK(r(22, 0) == 0.0);  // T = 21: expired (11 after), the second life not yet begun
}

TEST_CASE("ttl: advance_to evicts beyond TTL + lateness, and the evicted key's late events are refused",
          "[online][ttl]") {
  online::evaluator on(with_ttl);
  REQUIRE(on.ingest({"old", 100, 1}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"new", 110, 1}) == online::ingest_outcome::accepted);
  REQUIRE(on.advance_to(115).ok());  // 15 after "old": not beyond TTL + lateness
  CHECK(on.entity_count() == 2);
  CHECK(on.removals().expired == 0);
  REQUIRE(on.advance_to(116).ok());
  CHECK(on.entity_count() == 1);
  CHECK_FALSE(on.contains("old"));
  CHECK(on.removals().expired == 1);
  // The snapshot does not hold it.
  const auto bytes = serial::snapshot(on);
  REQUIRE(bytes.ok());
  CHECK(bytes->find("old") == std::string::npos);
  CHECK(bytes->find("new") != std::string::npos);
  // An event of an absent key older than horizon - lateness could have belonged to the
  // forgotten life: refused. One at or after it starts a new life.
  CHECK(on.ingest({"old", 110, 1}) == online::ingest_outcome::rejected_behind_horizon);
  CHECK(on.ingest({"never", 110, 1}) == online::ingest_outcome::rejected_behind_horizon);
  CHECK(on.ingest({"old", 111, 1}) == online::ingest_outcome::accepted);
  CHECK(on.counters().rejected(online::ingest_outcome::rejected_behind_horizon) == 2);
  // advance_to for one key declares its past but evicts nothing.
  REQUIRE(on.advance_to("new", 1000).ok());
  CHECK(on.contains("new"));
}

TEST_CASE("ttl: a snapshot keeps each life's start, and a hostile one is refused", "[online][ttl][serial]") {
  online::evaluator on(with_ttl);
  REQUIRE(on.ingest({"a", 0, 1}) == online::ingest_outcome::accepted);
  REQUIRE(on.ingest({"a", 20, 2}) == online::ingest_outcome::accepted);  // a new life at 20
  const auto bytes = serial::snapshot(on);
  REQUIRE(bytes.ok());
  online::evaluator back(with_ttl);
  REQUIRE(serial::restore(back, *bytes).ok());
  CHECK(*serial::snapshot(back) == *bytes);
  CHECK(back.ingest({"a", 18, 4}) == online::ingest_outcome::rejected_before_life);
  CHECK(back.counters().rejected(online::ingest_outcome::rejected_before_life) == 1);
  // A set without a TTL has another fingerprint: its evaluator refuses the snapshot.
  online::evaluator<std::remove_cvref_t<decltype(plain)>> other(plain);
  CHECK_FALSE(serial::restore(other, *bytes).ok());
  // The life's start follows the key "a" (its length, then the byte): 20 -> 21, after
  // the newest event, is refused whole and leaves the target untouched.
  std::string p = skewless_test::payload(*bytes);
  REQUIRE(skewless_test::replace_once(p,
                                      skewless_test::le<std::uint64_t>(1) + "a" + skewless_test::le<std::int64_t>(20),
                                      skewless_test::le<std::uint64_t>(1) + "a" + skewless_test::le<std::int64_t>(21)));
  const std::string framed = skewless_test::reframe(*bytes, p);
  const std::string before = *serial::snapshot(back);
  const absl::Status s = serial::restore(back, framed);
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("life") != std::string::npos);
  CHECK(*serial::snapshot(back) == before);
}

TEST_CASE("ttl: no overflow at the ends of the accepted time range", "[online][ttl]") {
  constexpr auto longest = plain.with_ttl(us(std::int64_t{1} << 62)).with_allowed_lateness(us(std::int64_t{1} << 62));
  online::evaluator on(longest);
  REQUIRE(on.ingest({"a", min_time_us, 1}) == online::ingest_outcome::accepted);
  // 2^63 after the newest: more than the TTL, a new life.
  REQUIRE(on.ingest({"a", max_time_us, 2}) == online::ingest_outcome::accepted);
  feature_vector<decltype(longest)> v;
  REQUIRE(on.features("a", max_time_us, v).ok());
  CHECK(v[0] == 0.0);  // the new life's event is at T itself
  REQUIRE(on.ingest({"b", min_time_us, 1}) == online::ingest_outcome::accepted);
  REQUIRE(on.advance_to(max_time_us).ok());  // 2^63 is not beyond TTL + lateness (2^63)
  CHECK(on.contains("b"));
  REQUIRE(on.features("b", max_time_us, v).ok());
  CHECK(v[0] == 0.0);  // expired: 2^63 after its newest
}

TEST_CASE("memory limit: advance_to evicts the least recently updated entities until the state fits",
          "[online][memory]") {
  online::evaluator on(plain);
  for (int i = 0; i < 1000; ++i) {
    // Entity i's newest event is at i (entity 999 the most recent), each with a few events.
    for (int j = 2; j >= 0; --j)
      REQUIRE(on.ingest({"user-" + std::to_string(i), i - j, 1.0}) == online::ingest_outcome::accepted);
  }
  const std::size_t full = on.memory().total_bytes();
  on.set_memory_limit(full / 2);
  REQUIRE(on.advance_to(1000).ok());
  const std::size_t kept = on.entity_count();
  CHECK(on.memory().total_bytes() <= full / 2);
  CHECK(kept > 300);  // the table stays; about half the entities go
  CHECK(kept < 600);
  CHECK(on.removals().evicted_for_memory == 1000 - kept);
  // The oldest went first: exactly the newest `kept` remain.
  for (int i = 0; i < 1000; ++i)
    CHECK(on.contains("user-" + std::to_string(i)) == (i >= 1000 - static_cast<int>(kept)));
  // Under the limit nothing more goes; without one nothing goes.
  REQUIRE(on.advance_to(1001).ok());
  CHECK(on.entity_count() == kept);
  on.set_memory_limit(0);
  REQUIRE(on.ingest({"late-comer", 2000, 1.0}) == online::ingest_outcome::accepted);
  REQUIRE(on.advance_to(1002).ok());
  CHECK(on.entity_count() == kept + 1);
  // The limit and the counters outlive a restore (they are the process's, not the state's).
  on.set_memory_limit(full / 4);
  const auto bytes = serial::snapshot(on);
  REQUIRE(bytes.ok());
  REQUIRE(serial::restore(on, *bytes).ok());
  CHECK(on.memory_limit() == full / 4);
  CHECK(on.removals().evicted_for_memory == 1000 - kept);

  // The concurrent evaluator splits the limit over its shards.
  online::concurrent_evaluator<std::remove_cvref_t<decltype(plain)>> con(plain, 4);
  for (int i = 0; i < 1000; ++i)
    REQUIRE(con.ingest(ev{"user-" + std::to_string(i), i, 1.0}) == online::ingest_outcome::accepted);
  const std::size_t con_full = con.memory().total_bytes();
  con.set_memory_limit(con_full / 2);
  REQUIRE(con.advance_to(1000).ok());
  for (const auto& m : con.memory_by_shard()) CHECK(m.total_bytes() <= con_full / 2 / 4);
  CHECK(con.removals().evicted_for_memory == 1000 - con.entity_count());
  CHECK(con.entity_count() < 700);
}
