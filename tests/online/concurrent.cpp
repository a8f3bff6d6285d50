// Tests for skewless/online/concurrent_evaluator.hpp and the batched and erase paths of
// the evaluator. The threaded case runs readers, writers and a snapshot thread at once
// and checks every value read against the reference at the state the read saw; it is
// part of skewless_threaded_tests, which the ThreadSanitizer build runs.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/snapshot.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace concurrent_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double x;
};
}  // namespace concurrent_test
BOOST_HANA_ADAPT_STRUCT(concurrent_test::ev, user, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using concurrent_test::ev;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto features =
    define_features<ev, "user", "ts">(
        feature<"sum_10s">(sum(x, sliding(10s))), feature<"mean_1m">(mean(x, tiled(60s, 10s))),
        feature<"n">(count(lifetime())), feature<"distinct_1m">(distinct_count(x, sliding(60s))),
        feature<"last">(last(x, lifetime())), feature<"p50">(approx_quantile<0.01, 0.5>(x, tiled(60s, 10s))))
        .with_allowed_lateness(5s);
using FS = std::remove_cvref_t<decltype(features)>;
using vec = feature_vector<FS>;

// "u<i>" (built by append: g++ 12 warns falsely on "u" + std::to_string(i) here).
std::string user(std::uint64_t i) {
  std::string k = "u";
  k.append(std::to_string(i));
  return k;
}

bool same_row(const vec& a, const vec& b) {
  for (Eigen::Index c = 0; c < a.size(); ++c) {
    if (!skewless_test::same_bits(a[c], b[c])) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("concurrent evaluator: one thread gives the single evaluator's values and bytes", "[online][concurrent]") {
  std::mt19937_64 rng(skewless_test::base_seed());
  for (std::size_t shards : {1u, 2u, 3u, 256u}) {
    online::evaluator single(features);
    online::concurrent_evaluator con(features, shards);
    CHECK(con.shard_count() == std::bit_ceil(shards));
    std::vector<ev> batch;
    for (int i = 0; i < 3000; ++i) {
      batch.push_back({user(rng() % 40),
                       static_cast<std::int64_t>(i) * 100'000 - static_cast<std::int64_t>(rng() % 7'000'000),
                       static_cast<double>(rng() % 100)});
      if (rng() % 50 == 0 || i == 2999) {
        online::ingest_counters expect;
        for (const ev& e : batch) ++expect.by_outcome[static_cast<std::size_t>(single.ingest(e))];
        const online::ingest_counters got = con.ingest(std::span<const ev>(batch));
        REQUIRE(got.by_outcome == expect.by_outcome);
        batch.clear();
      }
    }
    CHECK(con.counters().by_outcome == single.counters().by_outcome);
    CHECK(con.counters().rejected() > 0);  // the stream has too-late events
    CHECK(con.entity_count() == single.entity_count());
    CHECK(*serial::snapshot(con) == *serial::snapshot(single));
    vec a, b;
    for (int u = 0; u < 41; ++u) {
      const std::string k = user(static_cast<std::uint64_t>(u));
      REQUIRE(single.features(k, 400'000'000, a).ok());
      REQUIRE(con.features(k, 400'000'000, b).ok());
      CHECK(same_row(a, b));
    }
  }
}

TEST_CASE("batched reads: a row per key, NaN rows and the first failure's status", "[online][concurrent]") {
  online::evaluator single(features);
  online::concurrent_evaluator con(features, 8);
  for (const ev& e : {ev{"a", 1'000'000, 1.0}, ev{"b", 5'000'000, 2.0}, ev{"c", 2'000'000, 3.0}}) {
    REQUIRE(single.ingest(e) == online::ingest_outcome::accepted);
    REQUIRE(con.ingest(e) == online::ingest_outcome::accepted);
  }
  const std::vector<std::string> keys = {"a", "b", "nobody", "c"};
  feature_matrix m1, m2;
  // T = 3 s: b's newest event (5 s) is later, so row 1 fails.
  const absl::Status s1 = single.features(std::span<const std::string>(keys), 3'000'000, m1);
  const absl::Status s2 = con.features(std::span<const std::string>(keys), 3'000'000, m2);
  CHECK(s1.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s2 == s1);
  CHECK_THAT(std::string(s1.message()), Catch::StartsWith("row 1: "));
  REQUIRE(m1.rows() == 4);
  REQUIRE(m2.rows() == 4);
  for (Eigen::Index c = 0; c < m1.cols(); ++c) {
    CHECK(std::isnan(m1(1, c)));
    CHECK(std::isnan(m2(1, c)));
  }
  vec v;
  for (Eigen::Index r : {0, 2, 3}) {
    REQUIRE(single.features(keys[static_cast<std::size_t>(r)], 3'000'000, v).ok());
    for (Eigen::Index c = 0; c < m1.cols(); ++c) {
      CHECK(skewless_test::same_bits(m1(r, c), v[c]));
      CHECK(skewless_test::same_bits(m2(r, c), v[c]));
    }
  }
  CHECK(m1(0, 2) == 1.0);  // count of a
  CHECK(m1(2, 2) == 0.0);  // nobody
  // All rows readable at 6 s.
  CHECK(con.features(std::span<const std::string>(keys), 6'000'000, m2).ok());
  CHECK(m2(1, 4) == 2.0);
}

TEST_CASE("erase: the entity is gone from reads, snapshots and later ingest", "[online][concurrent]") {
  online::evaluator single(features);
  online::concurrent_evaluator con(features, 16);
  const std::string secret = "user-to-forget-8f3a";
  for (int i = 0; i < 20; ++i) {
    for (const std::string& k : {secret, std::string("kept")}) {
      const ev e{k, i * 1'000'000, static_cast<double>(i)};
      REQUIRE(single.ingest(e) == online::ingest_outcome::accepted);
      REQUIRE(con.ingest(e) == online::ingest_outcome::accepted);
    }
  }
  CHECK(serial::snapshot(single)->find(secret) != std::string::npos);
  CHECK(single.erase(secret));
  CHECK(con.erase(std::string_view(secret)));
  CHECK_FALSE(single.erase(secret));
  CHECK_FALSE(con.erase(secret));
  CHECK_FALSE(single.contains(secret));
  CHECK_FALSE(con.contains(secret));
  CHECK(single.entity_count() == 1);
  CHECK(con.entity_count() == 1);
  for (const auto& bytes : {*serial::snapshot(single), *serial::snapshot(con)}) {
    CHECK(bytes.find(secret) == std::string::npos);
  }
  vec v;
  online::read_info info;
  REQUIRE(con.features(secret, 30'000'000, v, info).ok());
  CHECK_FALSE(info.known_entity);
  CHECK(v[2] == 0.0);
  // A later event starts a new entity: its old events are not counted, and an event
  // that would have been too late for the old one is accepted.
  REQUIRE(con.ingest(ev{secret, 3'000'000, 7.0}) == online::ingest_outcome::accepted);
  REQUIRE(single.ingest(ev{secret, 3'000'000, 7.0}) == online::ingest_outcome::accepted);
  REQUIRE(con.features(secret, 30'000'000, v).ok());
  CHECK(v[2] == 1.0);
  CHECK(v[4] == 7.0);
  const std::vector<ev> kept_and_new = [&] {
    std::vector<ev> out;
    for (int i = 0; i < 20; ++i) out.push_back({"kept", i * 1'000'000, static_cast<double>(i)});
    out.push_back({secret, 3'000'000, 7.0});
    return out;
  }();
  const std::vector<spine_row<std::string>> spine = {{secret, 30'000'000}, {"kept", 30'000'000}};
  const feature_matrix expect = reference::evaluate(features, kept_and_new, spine);
  for (Eigen::Index r = 0; r < 2; ++r) {
    REQUIRE(single.features(spine[static_cast<std::size_t>(r)].key, 30'000'000, v).ok());
    for (Eigen::Index c = 0; c < expect.cols(); ++c) CHECK(skewless_test::same_bits(expect(r, c), v[c]));
  }
}

TEST_CASE("concurrent evaluator: readers see whole per-entity states while writers ingest",
          "[online][concurrent][threads]") {
  // Each key's events have strictly increasing times, so the newest event a read
  // reports names the prefix of the key's events the read saw; the values must be that
  // prefix's, bit for bit, and a reader never sees a key go back to an earlier prefix.
  std::mt19937_64 rng(skewless_test::base_seed() + 7);
  constexpr int n_keys = 24;
  const int per_key = skewless_test::scaled(40);
  const std::int64_t t_read = std::int64_t{per_key + 10} * 3'000'000;
  std::vector<std::string> keys;
  std::vector<std::vector<ev>> events_of(n_keys);
  for (int k = 0; k < n_keys; ++k) {
    keys.push_back("k" + std::to_string(k));
    for (int i = 0; i < per_key; ++i) {
      events_of[k].push_back({keys[k], std::int64_t{i} * 3'000'000 + static_cast<std::int64_t>(rng() % 1'000'000),
                              static_cast<double>(rng() % 1000) / 8.0});
    }
  }
  // expected[k][j]: the features at t_read after the first j events of key k.
  std::vector<std::vector<vec>> expected(n_keys);
  for (int k = 0; k < n_keys; ++k) {
    for (int j = 0; j <= per_key; ++j) {
      const std::vector<ev> prefix(events_of[k].begin(), events_of[k].begin() + j);
      const feature_matrix m =
          reference::evaluate(features, prefix, std::vector<spine_row<std::string>>{{keys[k], t_read}});
      expected[k].push_back(m.row(0).transpose());
    }
  }
  auto prefix_of = [&](int k, const online::read_info& info) -> int {
    if (!info.known_entity) return 0;
    const auto& es = events_of[k];
    const auto it = std::find_if(es.begin(), es.end(), [&](const ev& e) { return e.ts == info.newest_event_us; });
    return it == es.end() ? -1 : static_cast<int>(it - es.begin()) + 1;
  };

  online::concurrent_evaluator con(features, 4);  // few shards: readers and writers meet
  std::atomic<int> writers_left{2};
  std::atomic<long> reads{0};
  std::atomic<long> bad{0};
  std::mutex report;
  std::string first_bad;
  auto fail = [&](const std::string& what) {
    if (bad.fetch_add(1) == 0) {
      std::lock_guard l(report);
      first_bad = what;
    }
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 r(static_cast<std::uint64_t>(w) + 99);
      std::vector<std::size_t> next(n_keys, 0);
      std::vector<int> mine;
      for (int k = w; k < n_keys; k += 2) mine.push_back(k);
      std::vector<ev> batch;
      while (!mine.empty()) {  // a random key's next event; flush batches of random sizes
        const std::size_t pick = r() % mine.size();
        const int k = mine[pick];
        batch.push_back(events_of[k][next[k]++]);
        if (next[k] == events_of[k].size()) mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(pick));
        if (r() % 4 != 0) continue;
        if (batch.size() == 1) {
          if (con.ingest(batch[0]) != online::ingest_outcome::accepted) fail("rejected");
        } else if (con.ingest(std::span<const ev>(batch)).accepted() != batch.size()) {
          fail("batch rejected");
        }
        batch.clear();
      }
      if (!batch.empty() && con.ingest(std::span<const ev>(batch)).accepted() != batch.size()) fail("rejected");
      writers_left.fetch_sub(1);
    });
  }
  for (int rd = 0; rd < 2; ++rd) {
    threads.emplace_back([&, rd] {
      std::mt19937_64 r(static_cast<std::uint64_t>(rd) + 7);
      std::vector<int> seen(n_keys, 0);
      vec v;
      feature_matrix m;
      while (writers_left.load() > 0 || r() % 64 != 0) {
        if (r() % 4 == 0) {  // a batched read of a few keys
          std::vector<std::string> ks;
          std::vector<int> idx;
          for (int i = 0; i < 5; ++i) {
            idx.push_back(static_cast<int>(r() % n_keys));
            ks.push_back(keys[idx.back()]);
          }
          if (!con.features(std::span<const std::string>(ks), t_read, m).ok()) fail("batched read failed");
          for (std::size_t i = 0; i < ks.size(); ++i) {
            const vec row = m.row(static_cast<Eigen::Index>(i)).transpose();
            const auto& cands = expected[idx[i]];
            if (std::none_of(cands.begin(), cands.end(), [&](const vec& c) { return same_row(c, row); })) {
              fail("batched row matches no prefix of " + ks[i]);
            }
          }
        } else {
          const int k = static_cast<int>(r() % n_keys);
          online::read_info info;
          if (!con.features(keys[k], t_read, v, info).ok()) fail("read failed");
          const int j = prefix_of(k, info);
          if (j < 0) {
            fail("unknown newest time for " + keys[k]);
          } else {
            if (!same_row(v, expected[k][j])) fail("torn read of " + keys[k] + " at prefix " + std::to_string(j));
            if (j < seen[k]) fail("went back in time: " + keys[k]);
            seen[k] = std::max(seen[k], j);
          }
        }
        reads.fetch_add(1);
      }
    });
  }
  threads.emplace_back([&] {  // snapshots: each entity in one at a state some prefix gives
    std::mt19937_64 r(5);
    int taken = 0;
    while (writers_left.load() > 0 || taken < 2) {
      const auto bytes = serial::snapshot(con);
      if (!bytes.ok()) {
        fail("snapshot failed");
        break;
      }
      online::evaluator<FS> restored(features);
      if (!serial::restore(restored, *bytes).ok()) fail("snapshot did not restore");
      vec v;
      for (int k = 0; k < n_keys; ++k) {
        online::read_info info;
        if (!restored.features(keys[k], t_read, v, info).ok()) fail("read of restored failed");
        const int j = prefix_of(k, info);
        if (j < 0 || !same_row(v, expected[k][j])) fail("snapshot holds a torn state of " + keys[k]);
      }
      ++taken;
      if (r() % 2 == 0) {
        if (!con.advance_to(std::int64_t{taken} * 1'000'000).ok()) fail("advance_to failed");
      }
    }
  });
  for (auto& t : threads) t.join();
  INFO(first_bad);
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
  WARN("concurrent: " << reads.load() << " reads checked while 2 writers ingested " << n_keys * per_key << " events");
  vec v;
  for (int k = 0; k < n_keys; ++k) {
    REQUIRE(con.features(keys[k], t_read, v).ok());
    CHECK(same_row(v, expected[k][per_key]));
  }
  CHECK(con.counters().accepted() == static_cast<std::uint64_t>(n_keys * per_key));
}

TEST_CASE("concurrent evaluator: TTL evictions and a memory limit while readers and writers run",
          "[online][concurrent][threads]") {
  // Keys come and go: key k takes events k*20 .. k*20+19, 100 ms apart, then is idle
  // for good. A maintenance thread advances to the stream's time as it goes, evicting
  // keys idle for more than TTL + lateness (15 s); readers read any key meanwhile. A
  // read at or after its entity's floor succeeds and gives the reference's values for
  // the key's events, or the never-seen values once the entity is gone or expired.
  constexpr auto with_ttl = features.with_ttl(10s);
  constexpr int n_events = 4000;
  auto key_of = [](int i) { return user(static_cast<std::uint64_t>(i / 20)); };
  auto ts_of = [](int i) { return std::int64_t{i} * 100'000; };
  online::concurrent_evaluator con(with_ttl, 4);
  con.set_memory_limit(std::size_t{1} << 40);  // a limit that never bites: the path runs
  std::atomic<std::int64_t> watermark{0};
  std::atomic<bool> done{false};
  std::atomic<long> bad{0}, reads{0};
  std::thread writer([&] {
    for (int i = 0; i < n_events; ++i) {
      if (con.ingest(ev{key_of(i), ts_of(i), static_cast<double>(i % 7)}) != online::ingest_outcome::accepted) ++bad;
      watermark.store(ts_of(i));
    }
    done.store(true);
  });
  std::thread maintenance([&] {
    while (!done.load()) {
      if (!con.advance_to(watermark.load()).ok()) ++bad;
      std::this_thread::yield();
    }
  });
  std::thread reader([&] {
    std::mt19937_64 r(3);
    vec v, never;
    online::evaluator<std::remove_cvref_t<decltype(with_ttl)>> empty(with_ttl);
    while (!done.load() || reads.load() < 1000) {
      const int k = static_cast<int>(r() % (n_events / 20));
      const std::int64_t t = watermark.load() + 1 + static_cast<std::int64_t>(r() % 20'000'000);
      online::read_info info;
      const absl::Status st = con.features(user(static_cast<std::uint64_t>(k)), t, v, info);
      if (!st.ok()) {
        if (st.code() != absl::StatusCode::kFailedPrecondition) ++bad;  // a newer event than t: fine
        continue;
      }
      if (!info.known_entity) {
        if (!empty.features("nobody", t, never).ok() || !same_row(v, never)) ++bad;
      } else if (!(v[2] >= 1 && v[2] <= 20)) {  // count(lifetime()) of one key's events
        ++bad;
      }
      ++reads;
    }
  });
  writer.join();
  maintenance.join();
  reader.join();
  CHECK(bad.load() == 0);
  REQUIRE(con.advance_to(ts_of(n_events - 1)).ok());
  // Left: the keys whose newest event is at most 15 s before the end.
  int left = 0;
  for (int k = 0; k < n_events / 20; ++k) {
    if (ts_of(n_events - 1) - ts_of(k * 20 + 19) <= 15'000'000) ++left;
  }
  CHECK(con.entity_count() == static_cast<std::size_t>(left));
  CHECK(con.removals().expired == static_cast<std::uint64_t>(n_events / 20 - left));
  CHECK(con.removals().evicted_for_memory == 0);
  CHECK(con.counters().accepted() == static_cast<std::uint64_t>(n_events));
}

TEST_CASE("memory accounting: by part, by shard, and the largest entities", "[online][concurrent]") {
  online::evaluator single(features);
  online::concurrent_evaluator con(features, 8);
  // User "hot" has many events in its windows, the others one each; one key is long
  // enough to live on the heap.
  const std::string long_key(100, 'k');
  std::vector<ev> events;
  for (int i = 0; i < 500; ++i) events.push_back({"hot", std::int64_t{i} * 10'000, static_cast<double>(i)});
  for (int u = 0; u < 50; ++u) events.push_back({user(static_cast<std::uint64_t>(u)), 1'000'000, 1.0});
  events.push_back({long_key, 1'000'000, 1.0});
  for (const ev& e : events) {
    REQUIRE(single.ingest(e) == online::ingest_outcome::accepted);
    REQUIRE(con.ingest(e) == online::ingest_outcome::accepted);
  }
  const online::memory_usage m = single.memory();
  CHECK(m.entities == 52);
  CHECK(m.window_bytes == single.state_heap_bytes());
  CHECK(m.entity_bytes >= 52 * sizeof(typename online::evaluator<FS>::entity_state) + long_key.size());
  CHECK(m.table_bytes >= 52 * sizeof(void*));
  CHECK(m.total_bytes() == m.table_bytes + m.entity_bytes + m.window_bytes);
  const online::memory_usage c = con.memory();
  CHECK(c.entities == m.entities);
  CHECK(c.entity_bytes == m.entity_bytes);
  CHECK(c.window_bytes == m.window_bytes);
  std::size_t by_shard = 0;
  for (const auto& s : con.memory_by_shard()) by_shard += s.entities;
  CHECK(by_shard == 52);
  for (const auto& top : {single.largest_entities(2), con.largest_entities(2)}) {
    REQUIRE(top.size() == 2);
    CHECK(top[0].first == "hot");
    CHECK(top[1].first == long_key);
    CHECK(top[0].second > top[1].second);
  }
  CHECK(single.largest_entities(0).empty());
  CHECK(single.largest_entities(100).size() == 52);
}
