// tests/kafka/stream_events.hpp — the events, feature set and messages of the Kafka
// stream tests (tests/kafka/stream.cpp in process, tests/kafka/broker.cpp and
// tests/kafka/stream_node.cpp against a broker): payments of users who are active in
// turns (so lives end by TTL and advance_to evicts), late events within and beyond the
// lateness, amounts from 1e-300 to 1e300 with NaN, infinities and signed zeros, and
// malformed messages in between.
#pragma once

#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/kafka/partitioner.hpp>
#include <skewless/kafka/stream.hpp>
#include <skewless/online/evaluator.hpp>

#include "conformance/streams.hpp"
#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace stream_test {
struct payment {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  std::int32_t category;
};
}  // namespace stream_test
BOOST_HANA_ADAPT_STRUCT(stream_test::payment, user, ts, amount, category);

namespace stream_test {

using namespace std::chrono_literals;
using skewless::feature;

inline constexpr auto amount = skewless::field<payment, "amount">;
inline constexpr auto category = skewless::field<payment, "category">;
inline constexpr auto features =
    skewless::define_features<payment, "user", "ts">(
        feature<"n_1h">(skewless::count(skewless::sliding(1h))),
        feature<"sum_1h">(skewless::sum(amount, skewless::sliding(1h))),
        feature<"max_1d">(skewless::max(amount, skewless::sliding(24h))),
        feature<"sum_t">(skewless::sum(amount, skewless::tiled(6h, 10min))),
        feature<"categories_t">(skewless::distinct_count(category, skewless::tiled(6h, 10min))),
        feature<"mean_5">(skewless::mean(amount, skewless::last_n(5))),
        feature<"median_1d">(skewless::approx_quantile<0.5>(amount, skewless::sliding(24h))),
        feature<"since_last">(skewless::time_since_last(skewless::lifetime())),
        feature<"first">(skewless::first(amount, skewless::lifetime())))
        .with_ttl(30min)
        .with_allowed_lateness(5min);

inline constexpr std::int32_t partitions = 4;
inline constexpr std::int64_t start_us = 1'796'083'200'000'000;  // 2026-12-01T00:00:00Z

// The message key of a user: its decimal text.
inline std::string key_of(std::int64_t user) {
  return std::to_string(user);
}
inline std::int32_t partition_of(std::int64_t user) {
  return skewless::kafka::partition_for(key_of(user), partitions);
}

// A double as JSON that reads back to the same bits.
inline std::string json_number(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s(buf);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // -0 would read as the integer 0
  return s;
}

inline std::string to_json(const payment& p) {
  return "{\"user\":" + std::to_string(p.user) + ",\"ts\":" + std::to_string(p.ts) +
         ",\"amount\":" + json_number(p.amount) + ",\"category\":" + std::to_string(p.category) + "}";
}

// `n` payments in arrival order: about one a second; users 40 at a time, a new group
// each hour, so each user is idle for two hours between turns (TTL 30 min); 10% late
// by up to 4 min (within the lateness), `beyond` per mille by up to 20 min (beyond it).
inline std::vector<payment> payments(int n, std::uint64_t seed, int beyond = 5) {
  std::mt19937_64 rng(seed);
  std::vector<payment> out;
  out.reserve(static_cast<std::size_t>(n));
  std::int64_t t = start_us;
  for (int i = 0; i < n; ++i) {
    t += static_cast<std::int64_t>(rng() % 2'000'001);
    const std::int64_t hour = (t - start_us) / 3'600'000'000;
    const auto user = static_cast<std::int64_t>(40 * (hour % 3) + static_cast<std::int64_t>(rng() % 40));
    std::int64_t ts = t;
    const auto r = rng() % 1000;
    if (r < 100) ts -= static_cast<std::int64_t>(rng() % 240'000'001);
    else if (r < 100 + static_cast<unsigned>(beyond)) ts -= static_cast<std::int64_t>(rng() % 1'200'000'001);
    out.push_back({user, ts, skewless_test::random_value(rng, static_cast<int>(rng() % 4)),
                   static_cast<std::int32_t>(rng() % 7)});
  }
  return out;
}

// A Kafka message: key and value as produced.
struct raw_message {
  std::string key;
  std::string value;
};

// The messages of `events` per partition (partition_of), in arrival order, with one
// malformed message in about every 200 (not JSON, a wrong type, a missing field).
inline std::vector<std::vector<raw_message>> messages(const std::vector<payment>& events, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<raw_message>> out(partitions);
  const char* bad[] = {"{\"user\":1,", "{\"user\":\"x\",\"ts\":1,\"amount\":1,\"category\":1}",
                       "{\"user\":7,\"amount\":1,\"category\":1}", "[]"};
  for (const payment& p : events) {
    auto& part = out[static_cast<std::size_t>(partition_of(p.user))];
    if (rng() % 200 == 0) part.push_back({key_of(p.user), bad[rng() % 4]});
    part.push_back({key_of(p.user), to_json(p)});
  }
  return out;
}

using feature_set = std::remove_cvref_t<decltype(features)>;

// The events an exact consumer of `parts` ingests and the evaluator accepts: per
// partition those that decode and are not behind the watermark (the partition's newest
// less the lateness), then those an evaluator fed one by one accepts (each user's events
// are in one partition, in order, so any interleaving accepts the same).
inline std::vector<payment> accepted_events(const std::vector<std::vector<raw_message>>& parts) {
  std::vector<payment> kept;
  skewless::kafka::json_decoder<feature_set> decode;
  const std::int64_t delay = features.allowed_lateness_us;
  for (const auto& part : parts) {
    std::int64_t newest = skewless::kafka::no_time;
    for (const raw_message& m : part) {
      payment p{};
      if (decode(m.value, p) != skewless::kafka::decode_status::ok) continue;
      if (newest != skewless::kafka::no_time && p.ts < newest - delay) continue;
      newest = std::max(newest, p.ts);
      kept.push_back(p);
    }
  }
  skewless::online::evaluator<feature_set> one_by_one(features);
  std::vector<payment> accepted;
  for (const payment& p : kept) {
    if (one_by_one.ingest(p) == skewless::online::ingest_outcome::accepted) accepted.push_back(p);
  }
  return accepted;
}

// The snapshot bytes of a consumer that read all of `parts` from `topic` (partitions
// 0..n-1): fed in process, round robin, through kafka::stream.
inline std::string reference_snapshot(const std::vector<std::vector<raw_message>>& parts, const std::string& topic) {
  skewless::online::evaluator<feature_set> ev(features);
  skewless::kafka::stream_positions at;
  std::vector<skewless::kafka::topic_partition> all;
  for (std::size_t p = 0; p < parts.size(); ++p) all.push_back({topic, static_cast<std::int32_t>(p)});
  skewless::kafka::stream s(ev, at, all);
  skewless::kafka::json_decoder<feature_set> decode;
  auto time_of = [](const payment& e) { return feature_set::time_of(e); };
  skewless::kafka::decoded_batch<payment> b;
  for (std::size_t i = 0;; ++i) {
    b.clear();
    for (std::size_t p = 0; p < parts.size(); ++p) {
      if (i < parts[p].size()) {
        const raw_message& m = parts[p][i];
        b.add(static_cast<std::uint32_t>(p),
              {topic, static_cast<std::int32_t>(p), static_cast<std::int64_t>(i), m.key, m.value, -1, {}}, decode,
              time_of);
      }
    }
    if (b.empty()) break;
    s.apply(b);
  }
  return *s.snapshot();
}

// The first difference between what `online` reads for every user at two times after
// the newest accepted event and what batch computes over `accepted`, or "" if every
// value has the same bits.
template <class Online> std::string differs_from_batch(const Online& online, const std::vector<payment>& accepted) {
  std::int64_t newest = 0;
  for (const payment& p : accepted) newest = std::max(newest, p.ts);
  std::vector<skewless::spine_row<std::int64_t>> spine;
  for (std::int64_t user = 0; user < 120; ++user) {
    for (std::int64_t dt : {std::int64_t{1}, std::int64_t{600'000'000}}) spine.push_back({user, newest + dt});
  }
  const auto expect = skewless::batch::evaluate(features, accepted, spine);
  skewless::feature_vector<feature_set> v;
  for (std::size_t r = 0; r < spine.size(); ++r) {
    if (!online.features(spine[r].key, spine[r].time_us, v).ok()) return "a read failed";
    for (Eigen::Index c = 0; c < v.size(); ++c) {
      const double want = expect.values(static_cast<Eigen::Index>(r), c);
      if (!skewless_test::same_bits(v[c], want)) {
        return "user " + std::to_string(spine[r].key) + " at " + std::to_string(spine[r].time_us) + ": " +
               std::string(feature_set::names()[static_cast<std::size_t>(c)]) + " online " + std::to_string(v[c]) +
               " batch " + std::to_string(want);
      }
    }
  }
  return "";
}

}  // namespace stream_test
