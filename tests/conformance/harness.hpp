// tests/conformance/harness.hpp — the parity laws over random streams.
//
// For one random case (events, spine, windows, lateness, arrival order):
//   reference(S, spine) == batch(S, spine, 1 thread) == batch(S, spine, 2 threads)
//   online(any arrival order within lateness) == batch(S_accepted, (k, T)) for T >= newest
//   snapshot + restore at random points changes no later result, and re-snapshots to
//   the same bytes; each ingest outcome is the one the lateness rule predicts.
// Half the cases have a TTL: then batch and reference forget by the life rule, online
// starts new lives, rejects by the TTL reasons and evicts on advance_to, and every
// value still agrees.
// Every comparison is by bit pattern.
#pragma once

#include <skewless/batch/evaluate.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/snapshot.hpp>

#include "conformance/streams.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <vector>

namespace skewless_test {

using namespace skewless;

template <class M1, class M2> int count_mismatches(const M1& a, const M2& b, std::ostringstream& why) {
  int bad = 0;
  for (Eigen::Index r = 0; r < a.rows(); ++r) {
    for (Eigen::Index c = 0; c < a.cols(); ++c) {
      if (!same_bits(a(r, c), b(r, c))) {
        if (bad < 5) why << " [row " << r << " col " << c << ": " << a(r, c) << " vs " << b(r, c) << "]";
        ++bad;
      }
    }
  }
  return bad;
}

struct parity_stats {
  long cases = 0;
  long values_compared = 0;
  long online_queries = 0;
  long snapshots = 0;
  long rejected = 0;
  long advances = 0;
  long erased = 0;
  long expired = 0;    // entities evicted by advance_to after their TTL
  long new_lives = 0;  // events that started a new life of a known entity (TTL)
  long late = 0;       // accepted events older than their entity's newest (out of order)
  long with_ttl = 0;   // cases whose definition has a TTL
};

// MakeFeatures(rng, shape) -> feature set; MakeEvent(rng, key_index, ts, shape) -> event;
// MakeKey(key_index) -> key.
template <class MakeFeatures, class MakeEvent, class MakeKey>
void run_parity_case(std::uint64_t seed, MakeFeatures make_features, MakeEvent make_event, MakeKey make_key,
                     parity_stats& stats) {
  std::mt19937_64 rng(seed);
  const case_shape shape = random_shape(rng);
  const auto fs = make_features(rng, shape).with_ttl(std::chrono::microseconds(shape.ttl));
  using FS = std::remove_cvref_t<decltype(fs)>;
  using key_type = typename FS::key_type;
  using event_type = typename FS::event_type;

  std::vector<event_type> events;
  for (int i = 0; i < shape.n_events; ++i) {
    events.push_back(make_event(rng, static_cast<int>(rng() % shape.n_keys),
                                static_cast<std::int64_t>(rng() % shape.ts_range), shape));
  }
  std::vector<spine_row<key_type>> spine;
  const int n_rows = static_cast<int>(rng() % 60);
  for (int i = 0; i < n_rows; ++i) {
    spine.push_back({make_key(static_cast<int>(rng() % (shape.n_keys + 1))),
                     static_cast<std::int64_t>(rng() % (shape.ts_range * 3)) - 2});
  }
  for (const auto& e : events) {
    if (rng() % 3 == 0) spine.push_back({FS::key_of(e), FS::time_of(e)});
  }

  std::ostringstream why;
  why << "seed " << seed << " (rerun with SKEWLESS_SEED): ";
  ++stats.cases;
  if (fs.ttl_us > 0) ++stats.with_ttl;

  // Law 1: reference == batch, 1 and 2 threads.
  const auto ref = reference::evaluate(fs, events, spine);
  const auto b1 = batch::evaluate(fs, events, spine, {.threads = 1});
  const auto b2 = batch::evaluate(fs, events, spine, {.threads = 2, .min_parallel_size = 0});
  {
    const int bad1 = count_mismatches(ref, b1.values, why);
    const int bad2 = count_mismatches(b1.values, b2.values, why);
    INFO(why.str());
    REQUIRE(bad1 == 0);
    REQUIRE(bad2 == 0);
    stats.values_compared += 2 * ref.size();
  }

  // Law 2: online under a random arrival order within lateness, with snapshots.
  std::vector<std::pair<std::int64_t, std::size_t>> arrival;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::int64_t delay = shape.max_delay == 0 ? 0 : static_cast<std::int64_t>(rng() % (shape.max_delay + 1));
    arrival.push_back({FS::time_of(events[i]) + delay, i});
  }
  std::shuffle(arrival.begin(), arrival.end(), rng);
  std::stable_sort(arrival.begin(), arrival.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  online::evaluator<FS> on(fs);
  // The concurrent evaluator gets the same arrivals, in batches of random sizes, and
  // must agree with `on` on every value and every snapshot byte.
  const std::size_t shard_choices[] = {1, 4, 256};
  auto con = std::make_unique<online::concurrent_evaluator<FS>>(fs, shard_choices[rng() % 3]);
  std::vector<event_type> pending;
  online::ingest_counters pending_expected;
  auto flush = [&] {
    if (pending.empty()) return;
    online::ingest_counters got;
    if (pending.size() == 1 && rng() % 2 == 0) {
      ++got.by_outcome[static_cast<std::size_t>(con->ingest(pending[0]))];
    } else {
      got = con->ingest(std::span<const event_type>(pending));
    }
    INFO(why.str() << " concurrent batch outcomes");
    REQUIRE(got.by_outcome == pending_expected.by_outcome);
    pending.clear();
    pending_expected = {};
  };
  std::vector<event_type> accepted;
  std::map<key_type, std::int64_t> newest;
  std::map<key_type, std::int64_t> life_start;  // with a TTL: the current life's first event
  // advance_to: per-key horizons and the global one; a query may ask for T >= floor(k).
  std::map<key_type, std::int64_t> horizon;
  std::int64_t global_horizon = std::numeric_limits<std::int64_t>::min();
  auto floor_of = [&](const key_type& k) {
    std::int64_t f = global_horizon;
    if (auto it = newest.find(k); it != newest.end()) f = std::max(f, it->second);
    if (auto it = horizon.find(k); it != horizon.end()) f = std::max(f, it->second);
    return f;
  };
  feature_vector<FS> v;
  feature_vector<FS> cv;
  auto check_online_row = [&](const key_type& k, std::int64_t t) {
    flush();
    REQUIRE(on.features(k, t, v).ok());
    REQUIRE(con->features(k, t, cv).ok());
    const std::vector<spine_row<key_type>> one{{k, t}};
    const auto expect = reference::evaluate(fs, accepted, one);
    for (Eigen::Index c = 0; c < expect.cols(); ++c) {
      if (!same_bits(expect(0, c), v[c]) || !same_bits(v[c], cv[c])) {
        INFO(why.str() << " online mid-stream T=" << t << " col " << c << ": " << expect(0, c) << " vs " << v[c]
                       << " (concurrent " << cv[c] << ")");
        REQUIRE(same_bits(expect(0, c), v[c]));
        REQUIRE(same_bits(v[c], cv[c]));
      }
    }
    ++stats.online_queries;
    stats.values_compared += 2 * expect.cols();
  };

  for (const auto& [arrive, idx] : arrival) {
    const auto& e = events[idx];
    const key_type k = FS::key_of(e);
    const std::int64_t ts = FS::time_of(e);
    const auto it = newest.find(k);
    // What the lateness and TTL rules predict (times here are small: no overflow).
    const std::int64_t ttl = fs.ttl_us, lateness = fs.allowed_lateness_us;
    auto expect = online::ingest_outcome::accepted;
    bool new_life = it == newest.end();
    if (it == newest.end()) {
      if (ttl > 0 && global_horizon != std::numeric_limits<std::int64_t>::min() && ts < global_horizon - lateness) {
        expect = online::ingest_outcome::rejected_behind_horizon;
      }
    } else if (ts < it->second - lateness) {
      expect = online::ingest_outcome::rejected_too_late;
    } else if (ttl > 0 && ts - it->second > ttl) {
      new_life = true;
      ++stats.new_lives;
    } else if (ttl > 0 && ts < life_start[k]) {
      expect = online::ingest_outcome::rejected_before_life;
    }
    const auto outcome = on.ingest(e);
    pending.push_back(e);
    ++pending_expected.by_outcome[static_cast<std::size_t>(outcome)];
    if (rng() % 5 == 0) flush();
    {
      INFO(why.str() << " ingest outcome " << online::to_string(outcome) << ", expected " << online::to_string(expect));
      REQUIRE(outcome == expect);
    }
    if (expect != online::ingest_outcome::accepted) {
      ++stats.rejected;
    } else {
      if (it != newest.end() && !new_life && ts < it->second) ++stats.late;
      accepted.push_back(e);
      newest[k] = new_life ? ts : std::max(it->second, ts);
      if (new_life) life_start[k] = ts;
    }
    if (rng() % 16 == 0) {  // snapshot, restore into a fresh evaluator, continue on it
      const auto bytes = serial::snapshot(on);
      REQUIRE(bytes.ok());
      online::evaluator<FS> fresh(fs);
      const absl::Status restored = serial::restore(fresh, *bytes);
      INFO(why.str() << " restore: " << restored.message());
      REQUIRE(restored.ok());
      REQUIRE(*serial::snapshot(fresh) == *bytes);
      on = std::move(fresh);
      // The concurrent evaluator wrote the same bytes, and restores from them into
      // another shard count.
      flush();
      const auto con_bytes = serial::snapshot(*con);
      REQUIRE(con_bytes.ok());
      REQUIRE(*con_bytes == *bytes);
      auto con_fresh = std::make_unique<online::concurrent_evaluator<FS>>(fs, shard_choices[rng() % 3]);
      REQUIRE(serial::restore(*con_fresh, *bytes).ok());
      con = std::move(con_fresh);
      ++stats.snapshots;
    }
    if (rng() % 40 == 0) {  // erase the key: its events leave the expected history too
      flush();
      const bool had = newest.count(k) != 0;
      REQUIRE(on.erase(k) == had);
      REQUIRE(con->erase(k) == had);
      std::erase_if(accepted, [&](const event_type& a) { return FS::key_of(a) == k; });
      newest.erase(k);
      life_start.erase(k);
      horizon.erase(k);
      ++stats.erased;
    }
    if (rng() % 12 == 0) {  // declare the past: for this key or for every key
      // An erased key may have no floor: its events' times start at 0.
      const std::int64_t t =
          std::max<std::int64_t>(floor_of(k), 0) + static_cast<std::int64_t>(rng() % (shape.ts_range / 2 + 1));
      flush();
      if (rng() % 2 == 0) {
        REQUIRE(on.advance_to(k, t).ok());
        REQUIRE(con->advance_to(k, t).ok());
        if (newest.count(k)) horizon[k] = std::max(horizon.count(k) ? horizon[k] : t, t);
      } else {
        REQUIRE(on.advance_to(t).ok());
        REQUIRE(con->advance_to(t).ok());
        global_horizon = std::max(global_horizon, t);
        // With a TTL, entities beyond the reach of TTL + lateness are evicted; their
        // events stay in the history, which batch must forget by the same rule.
        for (auto n = newest.begin(); fs.ttl_us > 0 && n != newest.end();) {
          if (global_horizon - n->second > fs.ttl_us + fs.allowed_lateness_us) {
            life_start.erase(n->first);
            horizon.erase(n->first);
            n = newest.erase(n);
            ++stats.expired;
          } else {
            ++n;
          }
        }
        REQUIRE(on.entity_count() == newest.size());
      }
      ++stats.advances;
      feature_vector<FS> probe;
      if (floor_of(k) > std::numeric_limits<std::int64_t>::min() + 1) {
        REQUIRE_FALSE(on.features(k, floor_of(k) - 1, probe).ok());  // the past is refused
      }
    }
    if (rng() % 6 == 0) {  // a mid-stream read, at or after the earliest allowed time
      const std::int64_t n = std::max<std::int64_t>(floor_of(k), 0);
      const std::int64_t dt[] = {0, 0, 1, static_cast<std::int64_t>(rng() % (2 * shape.ts_range + 1))};
      check_online_row(k, n + dt[rng() % 4]);
    }
  }

  // Final: every key, several T at or after its newest, against batch on what was accepted.
  std::vector<spine_row<key_type>> final_rows;
  for (int ki = 0; ki <= shape.n_keys; ++ki) {
    const key_type k = make_key(ki);
    const std::int64_t base = std::max<std::int64_t>(floor_of(k), newest.count(k) ? floor_of(k) : 0);
    for (std::int64_t d : {std::int64_t{0}, std::int64_t{1}, shape.ts_range / 2, shape.ts_range * 2}) {
      final_rows.push_back({k, base + d});
    }
  }
  const auto expect = batch::evaluate(fs, accepted, final_rows);
  feature_matrix got(static_cast<Eigen::Index>(final_rows.size()), expect.values.cols());
  for (std::size_t r = 0; r < final_rows.size(); ++r) {
    REQUIRE(on.features(final_rows[r].key, final_rows[r].time_us, v).ok());
    got.row(static_cast<Eigen::Index>(r)) = v.transpose();
  }
  const int bad = count_mismatches(expect.values, got, why);
  INFO(why.str() << " online final");
  REQUIRE(bad == 0);
  // The concurrent evaluator, read in one batch.
  flush();
  std::map<std::int64_t, std::vector<std::size_t>> rows_at;
  for (std::size_t r = 0; r < final_rows.size(); ++r) rows_at[final_rows[r].time_us].push_back(r);
  feature_matrix con_got;
  for (const auto& [t, rows] : rows_at) {
    std::vector<key_type> keys;
    for (const std::size_t r : rows) keys.push_back(final_rows[r].key);
    REQUIRE(con->features(std::span<const key_type>(keys), t, con_got).ok());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (Eigen::Index c = 0; c < got.cols(); ++c) {
        INFO(why.str() << " concurrent final row " << rows[i] << " col " << c);
        REQUIRE(same_bits(got(static_cast<Eigen::Index>(rows[i]), c), con_got(static_cast<Eigen::Index>(i), c)));
      }
    }
  }
  REQUIRE(con->counters().by_outcome == on.counters().by_outcome);
  REQUIRE(con->entity_count() == on.entity_count());
  REQUIRE(on.entity_count() == newest.size());
  stats.online_queries += static_cast<long>(final_rows.size());
  stats.values_compared += 2 * expect.values.size();
}

// Runs `cases` random cases (scaled by SKEWLESS_CASES_SCALE) from seed * multiplier + c,
// reports what they covered, and fails unless they covered what the parity laws are
// about: snapshots, rejections, out-of-order events, advance_to and erasures, and with
// a TTL, new lives and expiries. A change that stops the harness from reaching one of
// these (a shape that never draws a TTL, a seed that never rejects) fails here instead
// of passing on fewer laws.
template <class MakeFeatures, class MakeEvent, class MakeKey>
parity_stats run_parity_suite(const char* name, std::uint64_t seed, std::uint64_t multiplier, int cases,
                              MakeFeatures make_features, MakeEvent make_event, MakeKey make_key) {
  parity_stats stats;
  const int n = scaled(cases);
  for (int c = 0; c < n; ++c) {
    run_parity_case(seed * multiplier + static_cast<std::uint64_t>(c), make_features, make_event, make_key, stats);
  }
  WARN(name << ": " << stats.cases << " cases (" << stats.with_ttl << " with a TTL), " << stats.values_compared
            << " values compared bit for bit, " << stats.online_queries << " online reads, " << stats.snapshots
            << " snapshot/restores, " << stats.advances << " advance_to, " << stats.erased << " erasures, "
            << stats.rejected << " events rejected, " << stats.late << " late events applied, " << stats.new_lives
            << " new lives (TTL), " << stats.expired << " expired");
  INFO(name << " with seed " << seed << ": the cases must reach every law");
  CHECK(stats.values_compared > 0);
  CHECK(stats.online_queries > 0);
  CHECK(stats.snapshots > 0);
  CHECK(stats.rejected > 0);
  CHECK(stats.late > 0);
  CHECK(stats.advances > 0);
  CHECK(stats.erased > 0);
  CHECK(stats.with_ttl > 0);
  CHECK(stats.new_lives > 0);
  CHECK(stats.expired > 0);
  return stats;
}

}  // namespace skewless_test
