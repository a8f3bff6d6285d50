// Online ingest throughput: skewless's evaluator versus the hand-written baseline
// (bench/payments.hpp), for the 10-feature set, with entities that fit in cache and
// entities that do not. Reports events/s and the bytes of state per entity. Also a
// burst of 100,000 equal timestamps in three value orders.
#include "common.hpp"
#include "payments.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
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

}  // namespace

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
