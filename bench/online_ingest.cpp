// Online ingest throughput: skewless's evaluator versus the hand-written baseline
// (bench/payments.hpp), for the 10-feature set, with entities that fit in cache and
// entities that do not. Reports events/s and the bytes of state per entity.
#include "common.hpp"
#include "payments.hpp"

#include <benchmark/benchmark.h>

#include <map>
#include <memory>

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
    bytes = entities * (sizeof(typename decltype(online)::element_type::entity_state) +
                        sizeof(std::int64_t)) +
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

}  // namespace

// Entity counts: cache-resident (10k) up to DRAM-resident (1M to 10M; the 10M run needs
// about 17 GiB); see docs/benchmarks.md.
BENCHMARK(skewless_ingest)->ArgName("entities")->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Arg(3'000'000)->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(baseline_ingest)->ArgName("entities")->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Arg(3'000'000)->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
