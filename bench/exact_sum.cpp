// The exact accumulator versus plain double summation in the same sliding-window
// kernel: every step adds the entering value, removes the leaving one and reads the
// window sum. Inputs: money-like values (the common case, inline chunks) and values
// spanning 1e-300..1e300 (spilled chunks).
#include "common.hpp"

#include <skewless/kernels/exact_sum.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

constexpr std::size_t window = 1000;

const std::vector<double>& values(int kind) {
  static const auto make = [](int k) {
    std::mt19937_64 rng(5);
    std::vector<double> v(static_cast<std::size_t>(bench::size(1'000'000)));
    std::lognormal_distribution<double> money(3.5, 1.2);
    std::uniform_real_distribution<double> expo(-300, 300);
    for (auto& x : v) {
      x = k == 0 ? std::round(money(rng) * 100) / 100 : std::pow(10.0, expo(rng)) * (rng() & 1 ? 1 : -1);
    }
    return v;
  };
  static const std::vector<double> money = make(0), wide = make(1);
  return kind == 0 ? money : wide;
}

void double_sum(benchmark::State& state) {
  const auto& v = values(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    double s = 0, out = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      s += v[i];
      if (i >= window) s -= v[i - window];
      out += s;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values(0).size()));
}

void exact_sum(benchmark::State& state) {
  const auto& v = values(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    skewless::exact_sum s;
    double out = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      s.add(v[i]);
      if (i >= window) s.remove(v[i - window]);
      out += s.round();
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values(0).size()));
}

void exact_sum_no_read(benchmark::State& state) {
  const auto& v = values(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    skewless::exact_sum s;
    for (std::size_t i = 0; i < v.size(); ++i) {
      s.add(v[i]);
      if (i >= window) s.remove(v[i - window]);
    }
    benchmark::DoNotOptimize(s.round());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values(0).size()));
}

void double_sum_no_read(benchmark::State& state) {
  const auto& v = values(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    double s = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      s += v[i];
      if (i >= window) s -= v[i - window];
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values(0).size()));
}

}  // namespace

// Arg 0: money-like values; 1: magnitudes 1e-300..1e300.
BENCHMARK(double_sum)->ArgName("wide")->Arg(0)->Arg(1);
BENCHMARK(exact_sum)->ArgName("wide")->Arg(0)->Arg(1);
BENCHMARK(double_sum_no_read)->ArgName("wide")->Arg(0)->Arg(1);
BENCHMARK(exact_sum_no_read)->ArgName("wide")->Arg(0)->Arg(1);

BENCHMARK_MAIN();
