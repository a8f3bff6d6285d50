// Online read latency: features(key, now) for random keys, each read timed on its own;
// median and p99 for skewless (20 and 10 features) and the hand-written baseline (10
// features), with entities in cache (10k) and in DRAM (1M); skewless again after
// advance_to(now), which the baseline's mutating read does implicitly. The timer's own
// cost is measured the same way and printed; it is not subtracted.
//
//   bench_read_latency            # full sizes
#include "common.hpp"
#include "payments.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct stats {
  double median, p99, mean;
};

template <class F> stats time_each(const std::vector<std::int64_t>& keys, F&& read) {
  std::vector<double> ns(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto t0 = clock_type::now();
    read(keys[i]);
    const auto t1 = clock_type::now();
    ns[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
  }
  double sum = 0;
  for (double x : ns) sum += x;
  std::sort(ns.begin(), ns.end());
  return {ns[ns.size() / 2], ns[ns.size() * 99 / 100], sum / static_cast<double>(ns.size())};
}

void print(const char* what, std::int64_t entities, const stats& s) {
  std::printf("%-28s entities=%-9lld median_ns=%-8.0f p99_ns=%-8.0f mean_ns=%.0f\n", what,
              static_cast<long long>(entities), s.median, s.p99, s.mean);
}

}  // namespace

int main() {
  for (const std::int64_t full : {std::int64_t{10'000}, std::int64_t{1'000'000}}) {
    const std::int64_t entities = bench::size(full);
    const auto events = bench::generate(entities, std::max<std::int64_t>(entities * 4, 400'000), 3);
    const std::int64_t now = events.back().ts + 1;
    skewless::online::evaluator<bench::features20_t> s20(bench::features20);
    skewless::online::evaluator<bench::features10_t> s10(bench::features10);
    bench::baseline::online base;
    for (const auto& e : events) {
      (void)s20.ingest(e);
      (void)s10.ingest(e);
      base.ingest(e);
    }
    std::mt19937_64 rng(9);
    std::vector<std::int64_t> keys(static_cast<std::size_t>(bench::size(1'000'000)));
    for (auto& k : keys) k = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(entities));

    // Warm-up pass so every structure is in the same state for each contender.
    skewless::feature_vector<bench::features20_t> v20;
    skewless::feature_vector<bench::features10_t> v10;
    double b10[10];
    for (std::int64_t k = 0; k < entities; ++k) base.read(k, now, b10);

    print("timer overhead", entities, time_each(keys, [](std::int64_t) {}));
    print("skewless 20 features", entities, time_each(keys, [&](std::int64_t k) { (void)s20.features(k, now, v20); }));
    print("skewless 10 features", entities, time_each(keys, [&](std::int64_t k) { (void)s10.features(k, now, v10); }));
    print("baseline 10 features", entities, time_each(keys, [&](std::int64_t k) { base.read(k, now, b10); }));
    // The serving pattern: a maintenance task declares the past (advance_to), which drops
    // window entries no query can see any more; reads stay const.
    (void)s20.advance_to(now);
    (void)s10.advance_to(now);
    print("skewless 20, after advance_to", entities,
          time_each(keys, [&](std::int64_t k) { (void)s20.features(k, now, v20); }));
    print("skewless 10, after advance_to", entities,
          time_each(keys, [&](std::int64_t k) { (void)s10.features(k, now, v10); }));
  }
  return 0;
}
