// bench/payments.hpp — the benchmark workload: synthetic payments with power-law user
// activity, the 10-feature set the benchmarks time, a 20-feature set for reads, and
// the hand-written baseline that computes the 10 features with no abstraction.
#pragma once

#include <skewless/skewless.hpp>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace bench {

struct payment {
  std::int64_t user;
  std::int64_t ts;  // microseconds
  double amount;
};

}  // namespace bench

BOOST_HANA_ADAPT_STRUCT(bench::payment, user, ts, amount);

namespace bench {

using namespace std::chrono_literals;
inline constexpr std::int64_t hour_us = 3'600'000'000;
inline constexpr std::int64_t day_us = 24 * hour_us;
inline constexpr std::int64_t week_us = 7 * day_us;

inline constexpr auto amount = skewless::field<payment, "amount">;

// count/sum/mean/max over 1h, 1d, 7d sliding windows, plus any extra features.
template <class... Extra> constexpr auto ten_features_and(const Extra&... extra) {
  return skewless::define_features<payment, "user", "ts">(
      skewless::feature<"count_1h">(skewless::count(skewless::sliding(1h))),
      skewless::feature<"sum_1h">(skewless::sum(amount, skewless::sliding(1h))),
      skewless::feature<"mean_1h">(skewless::mean(amount, skewless::sliding(1h))),
      skewless::feature<"count_1d">(skewless::count(skewless::sliding(24h))),
      skewless::feature<"sum_1d">(skewless::sum(amount, skewless::sliding(24h))),
      skewless::feature<"mean_1d">(skewless::mean(amount, skewless::sliding(24h))),
      skewless::feature<"max_1d">(skewless::max(amount, skewless::sliding(24h))),
      skewless::feature<"sum_7d">(skewless::sum(amount, skewless::sliding(7 * 24h))),
      skewless::feature<"mean_7d">(skewless::mean(amount, skewless::sliding(7 * 24h))),
      skewless::feature<"max_7d">(skewless::max(amount, skewless::sliding(7 * 24h))), extra...);
}

inline constexpr auto features10 = ten_features_and();

// The 10 above plus last/min/lifetime aggregates: the read-latency vector.
inline constexpr auto features20 =
    ten_features_and(skewless::feature<"count_7d">(skewless::count(skewless::sliding(7 * 24h))),
                     skewless::feature<"min_1d">(skewless::min(amount, skewless::sliding(24h))),
                     skewless::feature<"min_7d">(skewless::min(amount, skewless::sliding(7 * 24h))),
                     skewless::feature<"last_1h">(skewless::last(amount, skewless::sliding(1h))),
                     skewless::feature<"last">(skewless::last(amount, skewless::lifetime())),
                     skewless::feature<"count_all">(skewless::count(skewless::lifetime())),
                     skewless::feature<"sum_all">(skewless::sum(amount, skewless::lifetime())),
                     skewless::feature<"mean_all">(skewless::mean(amount, skewless::lifetime())),
                     skewless::feature<"max_all">(skewless::max(amount, skewless::lifetime())),
                     skewless::feature<"since_last">(skewless::time_since_last(skewless::lifetime())));

// 50 features, ten aggregates over each of five windows (1h, 6h, 1d, 7d, 30d): count,
// sum, mean, min, max, stddev, first and last of the amount, and the count and sum of
// large payments (a where() with a literal: a stream of its own each). The batch
// scaling benchmark's wide set.
inline constexpr auto features50 = skewless::define_features<payment, "user", "ts">(
    skewless::feature<"count_1h">(skewless::count(skewless::sliding(1h))),
    skewless::feature<"sum_1h">(skewless::sum(amount, skewless::sliding(1h))),
    skewless::feature<"mean_1h">(skewless::mean(amount, skewless::sliding(1h))),
    skewless::feature<"min_1h">(skewless::min(amount, skewless::sliding(1h))),
    skewless::feature<"max_1h">(skewless::max(amount, skewless::sliding(1h))),
    skewless::feature<"stddev_1h">(skewless::stddev_samp(amount, skewless::sliding(1h))),
    skewless::feature<"first_1h">(skewless::first(amount, skewless::sliding(1h))),
    skewless::feature<"last_1h">(skewless::last(amount, skewless::sliding(1h))),
    skewless::feature<"n_large_1h">(skewless::count(skewless::sliding(1h)).where(amount > 100.0)),
    skewless::feature<"sum_large_1h">(skewless::sum(amount, skewless::sliding(1h)).where(amount > 100.0)),
    skewless::feature<"count_6h">(skewless::count(skewless::sliding(6h))),
    skewless::feature<"sum_6h">(skewless::sum(amount, skewless::sliding(6h))),
    skewless::feature<"mean_6h">(skewless::mean(amount, skewless::sliding(6h))),
    skewless::feature<"min_6h">(skewless::min(amount, skewless::sliding(6h))),
    skewless::feature<"max_6h">(skewless::max(amount, skewless::sliding(6h))),
    skewless::feature<"stddev_6h">(skewless::stddev_samp(amount, skewless::sliding(6h))),
    skewless::feature<"first_6h">(skewless::first(amount, skewless::sliding(6h))),
    skewless::feature<"last_6h">(skewless::last(amount, skewless::sliding(6h))),
    skewless::feature<"n_large_6h">(skewless::count(skewless::sliding(6h)).where(amount > 100.0)),
    skewless::feature<"sum_large_6h">(skewless::sum(amount, skewless::sliding(6h)).where(amount > 100.0)),
    skewless::feature<"count_1d">(skewless::count(skewless::sliding(24h))),
    skewless::feature<"sum_1d">(skewless::sum(amount, skewless::sliding(24h))),
    skewless::feature<"mean_1d">(skewless::mean(amount, skewless::sliding(24h))),
    skewless::feature<"min_1d">(skewless::min(amount, skewless::sliding(24h))),
    skewless::feature<"max_1d">(skewless::max(amount, skewless::sliding(24h))),
    skewless::feature<"stddev_1d">(skewless::stddev_samp(amount, skewless::sliding(24h))),
    skewless::feature<"first_1d">(skewless::first(amount, skewless::sliding(24h))),
    skewless::feature<"last_1d">(skewless::last(amount, skewless::sliding(24h))),
    skewless::feature<"n_large_1d">(skewless::count(skewless::sliding(24h)).where(amount > 100.0)),
    skewless::feature<"sum_large_1d">(skewless::sum(amount, skewless::sliding(24h)).where(amount > 100.0)),
    skewless::feature<"count_7d">(skewless::count(skewless::sliding(7 * 24h))),
    skewless::feature<"sum_7d">(skewless::sum(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"mean_7d">(skewless::mean(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"min_7d">(skewless::min(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"max_7d">(skewless::max(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"stddev_7d">(skewless::stddev_samp(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"first_7d">(skewless::first(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"last_7d">(skewless::last(amount, skewless::sliding(7 * 24h))),
    skewless::feature<"n_large_7d">(skewless::count(skewless::sliding(7 * 24h)).where(amount > 100.0)),
    skewless::feature<"sum_large_7d">(skewless::sum(amount, skewless::sliding(7 * 24h)).where(amount > 100.0)),
    skewless::feature<"count_30d">(skewless::count(skewless::sliding(30 * 24h))),
    skewless::feature<"sum_30d">(skewless::sum(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"mean_30d">(skewless::mean(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"min_30d">(skewless::min(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"max_30d">(skewless::max(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"stddev_30d">(skewless::stddev_samp(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"first_30d">(skewless::first(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"last_30d">(skewless::last(amount, skewless::sliding(30 * 24h))),
    skewless::feature<"n_large_30d">(skewless::count(skewless::sliding(30 * 24h)).where(amount > 100.0)),
    skewless::feature<"sum_large_30d">(skewless::sum(amount, skewless::sliding(30 * 24h)).where(amount > 100.0)));

using features10_t = std::remove_cvref_t<decltype(features10)>;
using features20_t = std::remove_cvref_t<decltype(features20)>;
using features50_t = std::remove_cvref_t<decltype(features50)>;

// Events in time order over `days` days; user u has weight 1 / (u + 1)^skew, so a few
// users are very hot and most are in a long tail (skew 1.1 is Zipf-like). Every user
// appears at least once when events >= users.
inline std::vector<payment> generate(std::int64_t users, std::int64_t events, std::uint64_t seed, int days = 30,
                                     double skew = 1.1) {
  std::mt19937_64 rng(seed);
  std::vector<double> cdf(static_cast<std::size_t>(users));
  double acc = 0;
  for (std::int64_t u = 0; u < users; ++u) cdf[static_cast<std::size_t>(u)] = acc += std::pow(u + 1.0, -skew);
  std::uniform_real_distribution<double> uni(0.0, acc);
  std::lognormal_distribution<double> amt(3.5, 1.2);
  const std::int64_t span = days * day_us;
  std::vector<payment> out(static_cast<std::size_t>(events));
  for (std::int64_t i = 0; i < events; ++i) {
    const std::int64_t user =
        i < users && events >= users ? i : std::lower_bound(cdf.begin(), cdf.end(), uni(rng)) - cdf.begin();
    out[static_cast<std::size_t>(i)] = {user, 0, std::round(amt(rng) * 100) / 100};
  }
  std::shuffle(out.begin(), out.end(), rng);
  for (std::int64_t i = 0; i < events; ++i)
    out[static_cast<std::size_t>(i)].ts = i * (span / std::max<std::int64_t>(events, 1));
  return out;
}

// Spine rows: random users (weighted like the events), at random times.
inline std::vector<skewless::spine_row<std::int64_t>> generate_spine(const std::vector<payment>& events,
                                                                     std::int64_t rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<skewless::spine_row<std::int64_t>> spine(static_cast<std::size_t>(rows));
  const std::int64_t end = events.empty() ? 1 : events.back().ts + 1;
  for (auto& r : spine) {
    const auto& e = events[rng() % events.size()];
    r = {e.user, static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(end))};
  }
  return spine;
}

// ---- the hand-written baseline ------------------------------------------------------
// The same 10 features with plain doubles, no templates, no exactness: one struct per
// user in a flat_hash_map, a time-ordered ring of (ts, amount) per window with running
// double sums, and a monotonic deque for max. In-order events only.
namespace baseline {

struct entry {
  std::int64_t ts;
  double amount;
};

struct window {
  std::int64_t width;
  std::vector<entry> ring;  // entries in time order, [head, end)
  std::size_t head = 0;
  double sum = 0;
  std::vector<entry> maxq;  // decreasing amounts, [max_head, end)
  std::size_t max_head = 0;

  void push(entry e, bool track_max) {
    ring.push_back(e);
    sum += e.amount;
    if (track_max) {
      while (maxq.size() > max_head && maxq.back().amount <= e.amount) maxq.pop_back();
      maxq.push_back(e);
    }
  }
  void evict(std::int64_t t) {
    const std::int64_t start = t - width;
    while (head < ring.size() && ring[head].ts < start) sum -= ring[head++].amount;
    while (max_head < maxq.size() && maxq[max_head].ts < start) ++max_head;
    if (head > 64 && head * 2 > ring.size()) {
      ring.erase(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(head));
      head = 0;
    }
    if (max_head > 64 && max_head * 2 > maxq.size()) {
      maxq.erase(maxq.begin(), maxq.begin() + static_cast<std::ptrdiff_t>(max_head));
      max_head = 0;
    }
  }
  [[nodiscard]] double count() const { return static_cast<double>(ring.size() - head); }
  [[nodiscard]] double max() const { return max_head < maxq.size() ? maxq[max_head].amount : NAN; }
};

struct user_state {
  window h{hour_us}, d{day_us}, w{week_us};
  std::int64_t newest = INT64_MIN;
  // Events at the newest instant: not visible to a query at exactly that time.
  std::vector<double> pending;
};

// 10 features as of t (> every applied event) into out.
inline void features(const window& h, const window& d, const window& w, double* out) {
  out[0] = h.count();
  out[1] = h.sum;
  out[2] = h.count() > 0 ? h.sum / h.count() : NAN;
  out[3] = d.count();
  out[4] = d.sum;
  out[5] = d.count() > 0 ? d.sum / d.count() : NAN;
  out[6] = d.max();
  out[7] = w.sum;
  out[8] = w.count() > 0 ? w.sum / w.count() : NAN;
  out[9] = w.max();
}

class online {
 public:
  void ingest(const payment& p) {
    user_state& s = users_[p.user];
    if (p.ts > s.newest) {
      for (double a : s.pending) push(s, {s.newest, a});
      s.pending.clear();
      s.h.evict(p.ts);
      s.d.evict(p.ts);
      s.w.evict(p.ts);
      s.newest = p.ts;
    }
    s.pending.push_back(p.amount);
  }
  // Requires t > the user's newest event (the benchmarks read at now = newest + 1).
  void read(std::int64_t user, std::int64_t t, double* out) {
    auto it = users_.find(user);
    if (it == users_.end()) {
      for (int i = 0; i < 10; ++i) out[i] = (i == 0 || i == 1 || i == 3 || i == 4 || i == 7) ? 0 : NAN;
      return;
    }
    user_state& s = it->second;
    for (double a : s.pending) push(s, {s.newest, a});
    s.pending.clear();
    s.h.evict(t);
    s.d.evict(t);
    s.w.evict(t);
    features(s.h, s.d, s.w, out);
  }
  [[nodiscard]] std::size_t users() const { return users_.size(); }
  [[nodiscard]] std::size_t bytes() const {
    std::size_t b = users_.capacity() * (sizeof(std::int64_t) + sizeof(user_state) + 1);
    for (const auto& [k, s] : users_) {
      for (const window* w : {&s.h, &s.d, &s.w}) b += (w->ring.capacity() + w->maxq.capacity()) * sizeof(entry);
      b += s.pending.capacity() * sizeof(double);
    }
    return b;
  }

 private:
  static void push(user_state& s, entry e) {
    s.h.push(e, false);
    s.d.push(e, true);
    s.w.push(e, true);
  }
  absl::flat_hash_map<std::int64_t, user_state> users_;
};

// Batch: sort events and spine by (user, time), sweep each user's events with the same
// windows; out is rows x 10, row-major, in spine order.
inline void batch(const std::vector<payment>& events, const std::vector<skewless::spine_row<std::int64_t>>& spine,
                  std::vector<double>& out) {
  std::vector<payment> ev = events;
  std::sort(ev.begin(), ev.end(),
            [](const payment& a, const payment& b) { return a.user != b.user ? a.user < b.user : a.ts < b.ts; });
  std::vector<std::uint32_t> order(spine.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return spine[a].key != spine[b].key ? spine[a].key < spine[b].key : spine[a].time_us < spine[b].time_us;
  });
  out.assign(spine.size() * 10, 0.0);
  std::size_t e = 0;
  for (std::size_t r = 0; r < order.size();) {
    const std::int64_t user = spine[order[r]].key;
    while (e < ev.size() && ev[e].user < user) ++e;
    window h{hour_us}, d{day_us}, w{week_us};
    std::size_t next = e;
    for (; r < order.size() && spine[order[r]].key == user; ++r) {
      const std::int64_t t = spine[order[r]].time_us;
      while (next < ev.size() && ev[next].user == user && ev[next].ts < t) {
        const entry x{ev[next].ts, ev[next].amount};
        h.push(x, false);
        d.push(x, true);
        w.push(x, true);
        ++next;
      }
      h.evict(t);
      d.evict(t);
      w.evict(t);
      features(h, d, w, out.data() + std::size_t{order[r]} * 10);
    }
    while (e < ev.size() && ev[e].user == user) ++e;
  }
}

}  // namespace baseline
}  // namespace bench

namespace bench {

// A payment as a Kafka producer would send it: {"user":…,"ts":…,"amount":…}, the
// amount as its shortest round-trip text (bench/kafka_decode.cpp, kafka_consumer.cpp).
inline std::string to_json(const payment& p) {
  char buf[128];
  char* at = buf;
  const auto put = [&](const char* s) {
    while (*s != '\0') *at++ = *s++;
  };
  put("{\"user\":");
  at = std::to_chars(at, buf + sizeof(buf), p.user).ptr;
  put(",\"ts\":");
  at = std::to_chars(at, buf + sizeof(buf), p.ts).ptr;
  put(",\"amount\":");
  at = std::to_chars(at, buf + sizeof(buf), p.amount).ptr;
  put("}");
  return std::string(buf, at);
}

}  // namespace bench
