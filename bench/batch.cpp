// Batch training sets: skewless's batch evaluator (1 and 2 threads) versus the
// hand-written baseline, for the 10-feature set over 10M events and 1M spine rows
// (sorting included). Reports spine rows/s.
#include "common.hpp"
#include "payments.hpp"

#include <benchmark/benchmark.h>

namespace {

struct workload {
  std::vector<bench::payment> events;
  std::vector<skewless::spine_row<std::int64_t>> spine;
};

const workload& data() {
  static const workload w = [] {
    workload x;
    x.events = bench::generate(bench::size(1'000'000), bench::size(10'000'000), 11);
    x.spine = bench::generate_spine(x.events, bench::size(1'000'000), 12);
    return x;
  }();
  return w;
}

void skewless_batch(benchmark::State& state) {
  const auto& w = data();
  const skewless::batch::options opt{.threads = static_cast<unsigned>(state.range(0))};
  for (auto _ : state) {
    auto r = skewless::batch::evaluate(bench::features10, w.events, w.spine, opt);
    benchmark::DoNotOptimize(r.values.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.spine.size()));
  state.counters["events"] = static_cast<double>(w.events.size());
}

void baseline_batch(benchmark::State& state) {
  const auto& w = data();
  std::vector<double> out;
  for (auto _ : state) {
    bench::baseline::batch(w.events, w.spine, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.spine.size()));
  state.counters["events"] = static_cast<double>(w.events.size());
}

}  // namespace

BENCHMARK(skewless_batch)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK(baseline_batch)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

BENCHMARK_MAIN();
