// Hashes of every output bit of the benchmark feature sets: batch (1 and 2 threads),
// the reference, online reads after an out-of-order replay, and the snapshot bytes of
// the single and the concurrent evaluator. A change that should not change any value or
// any snapshot byte (a refactoring) must print the same lines before and after:
//
//   bench_output_hashes > before.txt   # on the old commit
//   bench_output_hashes > after.txt    # on the new one
//   diff before.txt after.txt          # empty
//
// Sizes: 1M events of 50k users and 200k spine rows (SKEWLESS_BENCH_SMOKE=1: 1,000x
// smaller). The sets are payments.hpp's 10, 20 and 50 features and one set with every
// aggregate family over every window kind, with a TTL and an allowed lateness.
#include "common.hpp"
#include "payments.hpp"

#include <skewless/skewless.hpp>

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace skewless;
using bench::payment;

constexpr auto amount = bench::amount;
constexpr auto user = field<payment, "user">;

constexpr auto every_family =
    define_features<payment, "user", "ts">(
        feature<"count_t">(count(tiled(7 * 24h, 1h))), feature<"sum_t">(sum(amount, tiled(7 * 24h, 1h))),
        feature<"var_t">(var_samp(amount, tiled(7 * 24h, 1h))), feature<"max_t">(max(amount, tiled(24h, 1h))),
        feature<"first_t">(first(amount, tiled(24h, 1h))), feature<"last_n_sum">(sum(amount, last_n(5))),
        feature<"last_n_min">(min(amount, last_n(5))), feature<"last_n_cnt">(count(last_n(7)).where(amount > 50.0)),
        feature<"lag_sum">(sum(amount, sliding(24h).ending(1h))),
        feature<"lag_max">(max(amount, sliding(24h).ending(1h))), feature<"life_mean">(mean(amount, lifetime())),
        feature<"life_std">(stddev_pop(amount, lifetime())), feature<"rate_1d">(rate(1h, sliding(24h))),
        feature<"tsl">(time_since_last(lifetime())), feature<"tsf">(time_since_first(sliding(7 * 24h))),
        feature<"first3">(first_k<3>(amount, sliding(24h))), feature<"last3">(last_k<3>(amount, tiled(24h, 1h))),
        feature<"ewma">(ewma<24h>(amount, lifetime())), feature<"decayed">(decayed_sum<6h>(amount, sliding(7 * 24h))),
        feature<"distinct">(distinct_count(user, sliding(24h))),
        feature<"approx_distinct">(approx_distinct_count(user, tiled(7 * 24h, 1h))),
        feature<"freq">(most_frequent(user, last_n(20))),
        feature<"quantiles">(approx_quantile<0.5, 0.99>(amount, tiled(7 * 24h, 1h))),
        feature<"ratio">(sum(amount, sliding(1h)) / max(count(sliding(24h)), 1)),
        feature<"big_share">(count(sliding(24h)).where(amount > 100.0) / max(count(sliding(24h)), 1)))
        .with_ttl(5 * 24h)
        .with_allowed_lateness(10min);

struct fnv {
  std::uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 1099511628211ull;
  }
  void value(double v) {
    const auto b = std::bit_cast<std::uint64_t>(v);
    bytes(&b, sizeof b);
  }
};

template <class M> std::uint64_t hash_matrix(const M& m) {
  fnv f;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) f.value(m(r, c));
  return f.h;
}

void line(const char* set, const char* what, std::uint64_t h) {
  std::printf("%-14s %-28s %016" PRIx64 "\n", set, what, h);
}

template <class FS>
void run(const char* name, const FS& fs, const std::vector<payment>& events,
         const std::vector<spine_row<std::int64_t>>& spine, std::int64_t users) {
  line(name, "fingerprint", fs.fingerprint());
  const auto b1 = batch::evaluate(fs, events, spine, {.threads = 1});
  const auto b2 = batch::evaluate(fs, events, spine, {.threads = 2, .min_parallel_size = 0});
  line(name, "batch 1 thread", hash_matrix(b1.values));
  line(name, "batch 2 threads", hash_matrix(b2.values));
  const std::size_t small = std::min<std::size_t>(events.size(), 20000);
  const std::vector<payment> head(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(small));
  const std::vector<spine_row<std::int64_t>> few(
      spine.begin(), spine.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(spine.size(), 2000)));
  line(name, "reference (head)", hash_matrix(reference::evaluate(fs, head, few)));

  // Online: arrival out of order within 5 minutes, then every user read at the end.
  std::vector<payment> arrival = events;
  std::mt19937_64 rng(7);
  for (std::size_t i = 1; i < arrival.size(); ++i) {
    const std::size_t j = i - std::min<std::size_t>(i, rng() % 4);
    if (arrival[i].ts - arrival[j].ts < 5 * 60'000'000) std::swap(arrival[i], arrival[j]);
  }
  online::evaluator<FS> on(fs);
  online::concurrent_evaluator<FS> con(fs, 8);
  fnv outcomes;
  for (std::size_t i = 0; i < arrival.size(); ++i) {
    const auto o = on.ingest(arrival[i]);
    const auto c = static_cast<int>(o);
    outcomes.bytes(&c, sizeof c);
  }
  con.ingest(std::span<const payment>(arrival));
  line(name, "online outcomes", outcomes.h);
  const std::int64_t now = events.back().ts + 1;
  fnv reads;
  feature_vector<FS> v;
  for (std::int64_t u = 0; u < users; ++u) {
    if (on.features(u, now, v).ok()) {
      for (Eigen::Index c = 0; c < v.size(); ++c) reads.value(v[c]);
    }
  }
  line(name, "online reads", reads.h);
  const auto snap = serial::snapshot(on);
  const auto con_snap = serial::snapshot(con);
  fnv s, cs;
  if (snap.ok()) s.bytes(snap->data(), snap->size());
  if (con_snap.ok()) cs.bytes(con_snap->data(), con_snap->size());
  line(name, "snapshot bytes", s.h);
  line(name, "concurrent snapshot bytes", cs.h);
  line(name, "catalog", [&] {
    fnv c;
    const std::string text = serial::catalog_json(fs);
    c.bytes(text.data(), text.size());
    return c.h;
  }());
}

}  // namespace

int main() {
  const std::int64_t users = bench::size(50'000);
  const auto events = bench::generate(users, bench::size(1'000'000), 42);
  const auto spine = bench::generate_spine(events, bench::size(200'000), 43);
  run("payments10", bench::features10, events, spine, users);
  run("payments20", bench::features20, events, spine, users);
  run("payments50", bench::features50, events, spine, users);
  run("every_family", every_family, events, spine, users);
}
