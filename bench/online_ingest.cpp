// Online ingest throughput: skewless's evaluator versus the hand-written baseline
// (bench/payments.hpp), for the 10-feature set, with entities that fit in cache and
// entities that do not. Reports events/s and the bytes of state per entity. Also a
// burst of 100,000 equal timestamps in three value orders, and late events: 100,000
// events within the allowed lateness arriving in time order, reversed or at random
// (their baseline is the same events in time order), and a burst of 200,000 equal
// timestamps into the same set, whose last_n(2^20) keeps them all.
#include "common.hpp"
#include "payments.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

namespace {

struct workload {
  std::vector<bench::payment> events;
};

// Cached per entity count: generating 20M events takes longer than ingesting them.
const workload& data(std::int64_t entities) {
  static std::map<std::int64_t, std::unique_ptr<workload>> cache;
  auto& w = cache[entities];
  if (!w) {
    w = std::make_unique<workload>();
    // At least 2 events per entity, and at least 4M events for the small cases.
    const std::int64_t n = bench::size(std::max<std::int64_t>(4'000'000, 2 * entities));
    w->events = bench::generate(bench::size(entities), n, 7);
  }
  return *w;
}

void skewless_ingest(benchmark::State& state) {
  const auto& w = data(state.range(0));
  std::size_t entities = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto online = std::make_unique<skewless::online::evaluator<bench::features10_t>>(bench::features10);
    state.ResumeTiming();
    for (const auto& e : w.events) benchmark::DoNotOptimize(online->ingest(e));
    state.PauseTiming();
    entities = online->entity_count();
    bytes = entities * (sizeof(typename decltype(online)::element_type::entity_state) + sizeof(std::int64_t)) +
            online->state_heap_bytes();
    online.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.events.size()));
  state.counters["entities"] = static_cast<double>(entities);
  state.counters["bytes_per_entity"] = static_cast<double>(bytes) / static_cast<double>(entities);
}

void baseline_ingest(benchmark::State& state) {
  const auto& w = data(state.range(0));
  std::size_t entities = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto online = std::make_unique<bench::baseline::online>();
    state.ResumeTiming();
    for (const auto& e : w.events) online->ingest(e);
    state.PauseTiming();
    entities = online->users();
    bytes = online->bytes();
    online.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.events.size()));
  state.counters["entities"] = static_cast<double>(entities);
  state.counters["bytes_per_entity"] = static_cast<double>(bytes) / static_cast<double>(entities);
}

// A burst: 100,000 events of one entity at one microsecond, values in ascending (0),
// descending (1) or random (2) order, then one later event that closes the instant.
// Before, a descending burst was quadratic (53 s for 40,000 events).
std::vector<bench::payment> burst_events(std::int64_t order) {
  const std::int64_t n = bench::size(100'000);
  std::vector<bench::payment> events;
  for (std::int64_t i = 0; i < n; ++i) events.push_back({1, 1'000'000, static_cast<double>(i % 5000) * 0.25});
  if (order == 1) std::reverse(events.begin(), events.end());
  if (order == 2) std::shuffle(events.begin(), events.end(), std::mt19937_64(5));
  events.push_back({1, 2'000'000, 1.0});
  return events;
}

void skewless_burst(benchmark::State& state) {
  const auto events = burst_events(state.range(0));
  for (auto _ : state) {
    skewless::online::evaluator<bench::features10_t> online(bench::features10);
    for (const auto& e : events) benchmark::DoNotOptimize(online.ingest(e));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
}

void baseline_burst(benchmark::State& state) {
  const auto events = burst_events(state.range(0));
  for (auto _ : state) {
    bench::baseline::online online;
    for (const auto& e : events) online.ingest(e);
    benchmark::DoNotOptimize(online.users());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
}

// Every structure a late event lands in: a stream group (sums, and a lagged window),
// an extremum queue, kept entries of sliding states (a quantile sketch and an exact
// distinct count), tiles, and last_n(2^20) places.
using skewless::sliding;
using std::chrono_literals::operator""h;
using std::chrono_literals::operator""s;
using std::chrono_literals::operator""min;
constexpr auto amount = skewless::field<bench::payment, "amount">;
constexpr auto late_features = skewless::define_features<bench::payment, "user", "ts">(
                                   skewless::feature<"count_1h">(skewless::count(sliding(1h))),
                                   skewless::feature<"sum_1h">(skewless::sum(amount, sliding(1h))),
                                   skewless::feature<"sum_1h_lag">(skewless::sum(amount, sliding(1h).ending(5min))),
                                   skewless::feature<"max_1h">(skewless::max(amount, sliding(1h))),
                                   skewless::feature<"median_1h">(skewless::approx_quantile<0.5>(amount, sliding(1h))),
                                   skewless::feature<"distinct_1h">(skewless::distinct_count(amount, sliding(1h))),
                                   skewless::feature<"sum_tiled">(skewless::sum(amount, skewless::tiled(1h, 1s))),
                                   skewless::feature<"mean_last">(skewless::mean(amount, skewless::last_n(1 << 20))))
                                   .with_allowed_lateness(2h);

// 100,000 events of one entity 10 ms apart (all in every window: buffers of 100,000
// entries), arriving in time order (0), reversed (1) or shuffled (2).
std::vector<bench::payment> late_events(std::int64_t order) {
  const std::int64_t n = bench::size(100'000);
  std::vector<bench::payment> events;
  for (std::int64_t i = 0; i < n; ++i)
    events.push_back({1, 1'000'000 + i * 10'000, static_cast<double>(i % 977) * 0.25});
  if (order == 1) std::reverse(events.begin(), events.end());
  if (order == 2) std::shuffle(events.begin(), events.end(), std::mt19937_64(5));
  return events;
}

void run_late_set(benchmark::State& state, const std::vector<bench::payment>& events) {
  for (auto _ : state) {
    skewless::online::evaluator<std::remove_const_t<decltype(late_features)>> online(late_features);
    for (const auto& e : events) benchmark::DoNotOptimize(online.ingest(e));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
}

void skewless_late(benchmark::State& state) {
  run_late_set(state, late_events(state.range(0)));
}

// 200,000 events at one microsecond, values descending (1) or shuffled (2), then one
// later event. Before, last_n(2^20) inserted each in place: 43.5 s descending.
void skewless_late_set_burst(benchmark::State& state) {
  const std::int64_t n = bench::size(200'000);
  std::vector<bench::payment> events;
  for (std::int64_t i = 0; i < n; ++i) events.push_back({1, 1'000'000, static_cast<double>(n - i) * 0.25});
  if (state.range(0) == 2) std::shuffle(events.begin(), events.end(), std::mt19937_64(5));
  events.push_back({1, 2'000'000, 1.0});
  run_late_set(state, events);
}

}  // namespace

BENCHMARK(skewless_late)->ArgName("order")->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(skewless_late_set_burst)->ArgName("order")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(skewless_burst)->ArgName("order")->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(baseline_burst)->ArgName("order")->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Entity counts: cache-resident (10k) up to DRAM-resident (1M to 10M; the 10M run needs
// about 17 GiB); see docs/benchmarks.md.
void entity_counts(benchmark::internal::Benchmark* b) {
  b->ArgName("entities")->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Arg(3'000'000)->Arg(10'000'000);
  b->Unit(benchmark::kMillisecond)->Iterations(1);
}
BENCHMARK(skewless_ingest)->Apply(entity_counts);
BENCHMARK(baseline_ingest)->Apply(entity_counts);

BENCHMARK_MAIN();
