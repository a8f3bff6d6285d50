// Read latency of a rich, ad-click-like feature vector: 17 features (counts, CTR,
// distinct ads, the last ads shown, dwell-time quantiles, the most frequent category
// over tiled(30d, 1h), an EWMA, an embedding mean and its cosine drift), read for
// random users after 30 days of impressions at about one per user-minute for the
// active users. Median and p99 of single reads, for the whole vector and for the
// most_frequent feature alone, beside a hand-written baseline for that one feature
// (an hourly ring of category counts with a running total, the way one would write it
// by hand), so the ratio says what the generic state costs.
//
//   bench_ad_click            # 2,000 users x 30 days (about 8.6M events)
#include "common.hpp"

#include <skewless/skewless.hpp>

#include <absl/container/btree_map.h>
#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <random>
#include <vector>

namespace bench {
struct impression {
  std::int64_t user;
  std::int64_t ts;
  std::int64_t ad;
  std::int64_t category;
  double clicked;  // 0 or 1
  double dwell_s;
  Eigen::Vector4d emb;
};
}  // namespace bench
BOOST_HANA_ADAPT_STRUCT(bench::impression, user, ts, ad, category, clicked, dwell_s, emb);

namespace {

using namespace std::chrono_literals;
using namespace skewless;
using bench::impression;

constexpr auto ad = field<impression, "ad">;
constexpr auto category = field<impression, "category">;
constexpr auto clicked = field<impression, "clicked">;
constexpr auto dwell = field<impression, "dwell_s">;
constexpr auto emb = field<impression, "emb">;
constexpr auto week = 7 * 24h;
constexpr auto month = 30 * 24h;

constexpr auto ad_click = define_features<impression, "user", "ts">(
    feature<"impressions_1d">(count(sliding(24h))), feature<"clicks_1d">(sum(clicked, sliding(24h))),
    feature<"ctr_1d">(sum(clicked, sliding(24h)) / count(sliding(24h))),
    feature<"impressions_7d">(count(sliding(week))),
    feature<"ctr_7d">(sum(clicked, sliding(week)) / count(sliding(week))),
    feature<"clicks_30d">(sum(clicked, tiled(month, 1h))),
    feature<"distinct_ads_7d">(distinct_count(ad, sliding(week))), feature<"last_ads">(last_k<3>(ad, lifetime())),
    feature<"dwell_q">(approx_quantile<0.5, 0.9>(dwell, tiled(week, 1h))),
    feature<"top_category_30d">(most_frequent(category, tiled(month, 1h))),
    feature<"ewma_dwell">(ewma<24h>(dwell, lifetime())), feature<"emb_mean_7d">(mean(emb, tiled(week, 1h))),
    feature<"emb_drift">(cosine(mean(emb, tiled(week, 1h)), mean(emb, lifetime()))),
    feature<"since_click">(time_since_last(lifetime()).where(clicked > 0.0)),
    feature<"max_dwell_1d">(max(dwell, sliding(24h))), feature<"impressions_all">(count(lifetime())),
    feature<"ads_30d_approx">(approx_distinct_count<10>(ad, tiled(month, 24h))));
using ad_click_t = std::remove_cvref_t<decltype(ad_click)>;
static_assert(ad_click_t::feature_count == 17);

constexpr auto mode_only =
    define_features<impression, "user", "ts">(feature<"top_category_30d">(most_frequent(category, tiled(month, 1h))));
using mode_only_t = std::remove_cvref_t<decltype(mode_only)>;

// The hand-written baseline for most_frequent(category, tiled(30d, 1h)): per user a
// deque of (hour, counts) and the counts of all hours held; a read takes out the hours
// that left the window (copying the total only then) and scans for the most frequent.
class mode_baseline {
 public:
  void ingest(const impression& e) {
    user& u = users_[e.user];
    const std::int64_t hour = floor_div(e.ts, bench_hour);
    if (u.hours.empty() || u.hours.back().first != hour) u.hours.push_back({hour, {}});
    ++u.hours.back().second[e.category];
    ++u.total[e.category];
  }
  double read(std::int64_t key, std::int64_t t) const {
    const auto it = users_.find(key);
    if (it == users_.end()) return std::numeric_limits<double>::quiet_NaN();
    const user& u = it->second;
    // Window [T - 30d, T) in whole hours: the hours starting at or after T - 30d's hour.
    const std::int64_t first_hour = floor_div(t - month_us, bench_hour) + 1;
    std::size_t gone = 0;
    while (gone < u.hours.size() && u.hours[gone].first < first_hour) ++gone;
    const counts* total = &u.total;
    counts copy;
    if (gone > 0) {
      copy = u.total;
      for (std::size_t i = 0; i < gone; ++i) {
        for (const auto& [c, n] : u.hours[i].second) {
          if ((copy[c] -= n) == 0) copy.erase(c);
        }
      }
      total = &copy;
    }
    std::int64_t best = 0;
    std::uint64_t best_n = 0;
    for (const auto& [c, n] : *total) {
      if (n > best_n) best = c, best_n = n;
    }
    return best_n == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(best);
  }

 private:
  static constexpr std::int64_t bench_hour = 3'600'000'000;
  static constexpr std::int64_t month_us = 30 * 24 * bench_hour;
  using counts = absl::btree_map<std::int64_t, std::uint64_t>;
  struct user {
    std::deque<std::pair<std::int64_t, counts>> hours;
    counts total;
  };
  absl::flat_hash_map<std::int64_t, user> users_;
};

std::vector<impression> generate(std::int64_t users, int days, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<impression> out;
  std::exponential_distribution<double> gap(1.0 / 60e6);  // one per minute on average
  std::normal_distribution<double> normal;
  for (std::int64_t u = 0; u < users; ++u) {
    // Each user is active a few hours a day, at about one impression a minute then.
    for (int d = 0; d < days; ++d) {
      const std::int64_t start = d * 24 * 3'600'000'000LL + static_cast<std::int64_t>(rng() % 16) * 3'600'000'000LL;
      const std::int64_t end = start + (1 + static_cast<std::int64_t>(rng() % 4)) * 3'600'000'000LL;
      for (std::int64_t t = start; t < end; t += 1 + static_cast<std::int64_t>(gap(rng))) {
        impression e{u,
                     t,
                     static_cast<std::int64_t>(rng() % 500),
                     static_cast<std::int64_t>(rng() % 40),
                     rng() % 30 == 0 ? 1.0 : 0.0,
                     std::abs(normal(rng)) * 8,
                     {}};
        for (int i = 0; i < 4; ++i) e.emb[i] = normal(rng);
        out.push_back(e);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.ts < b.ts; });
  return out;
}

struct stats {
  double median, p99;
};
template <class F> stats time_each(const std::vector<std::int64_t>& keys, F&& read) {
  std::vector<double> ns(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    read(keys[i]);
    const auto t1 = std::chrono::steady_clock::now();
    ns[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
  }
  std::sort(ns.begin(), ns.end());
  return {ns[ns.size() / 2], ns[ns.size() * 99 / 100]};
}

}  // namespace

int main() {
  const std::int64_t users = bench::smoke() ? 20 : 2'000;
  const int days = bench::smoke() ? 3 : 30;
  const auto events = generate(users, days, 11);
  const std::int64_t now = events.back().ts + 1;
  online::evaluator<ad_click_t> full(ad_click);
  online::evaluator<mode_only_t> mode(mode_only);
  mode_baseline base;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& e : events) (void)full.ingest(e);
  const double ingest_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : events) {
    (void)mode.ingest(e);
    base.ingest(e);
  }
  (void)full.advance_to(now);
  (void)mode.advance_to(now);

  std::mt19937_64 rng(5);
  std::vector<std::int64_t> keys(bench::smoke() ? 1'000 : 200'000);
  for (auto& k : keys) k = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(users));
  // The baseline and skewless agree on every user (a wrong baseline would be a cheap one).
  feature_vector<mode_only_t> mv;
  for (std::int64_t u = 0; u < users; ++u) {
    if (!mode.features(u, now, mv).ok() ||
        !(mv[0] == base.read(u, now) || (std::isnan(mv[0]) && std::isnan(base.read(u, now))))) {
      std::fprintf(stderr, "baseline and skewless differ for user %lld\n", static_cast<long long>(u));
      return 1;
    }
  }
  feature_vector<ad_click_t> v;
  const stats s_full = time_each(keys, [&](std::int64_t k) { (void)full.features(k, now, v); });
  const stats s_mode = time_each(keys, [&](std::int64_t k) { (void)mode.features(k, now, mv); });
  double sink = 0;
  const stats s_base = time_each(keys, [&](std::int64_t k) { sink += base.read(k, now); });
  const auto m = full.memory();
  std::printf(
      "ad_click: %lld users, %zu events over %d days (%.0f per user-day), ingest %.2f M events/s, "
      "%.0f KB/user\n",
      static_cast<long long>(users), events.size(), days,
      static_cast<double>(events.size()) / static_cast<double>(users * days),
      static_cast<double>(events.size()) / ingest_s / 1e6,
      static_cast<double>(m.total_bytes()) / static_cast<double>(users) / 1024);
  std::printf("%-40s median_ns=%-8.0f p99_ns=%.0f\n", "skewless 17 features", s_full.median, s_full.p99);
  std::printf("%-40s median_ns=%-8.0f p99_ns=%.0f\n", "skewless most_frequent tiled(30d,1h)", s_mode.median,
              s_mode.p99);
  std::printf("%-40s median_ns=%-8.0f p99_ns=%.0f (ratio skewless/baseline %.2f)%s\n",
              "baseline most_frequent tiled(30d,1h)", s_base.median, s_base.p99, s_mode.median / s_base.median,
              sink == 0.12345 ? " " : "");
  return 0;
}
