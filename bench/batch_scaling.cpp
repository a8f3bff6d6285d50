// How the batch evaluator scales with events, features and threads, and what memory it
// needs, beside the hand-written baseline (bench/payments.hpp) where one exists:
//
//   payments: 1M, 10M, 30M events (users and spine rows a tenth of that), 10 and 50
//             features, 1 and 2 threads; the baseline computes the 10 features.
//   routes:   a flights-like shape: 3M events of 300 string keys, one key with 5% of
//             them, 10 features, 1 and 2 threads (few, hot keys: the hard case for
//             spreading work over threads).
//
// Each cell is the min and median of 3 runs, sorting included. "extra MiB" is the peak
// resident memory above what the process held before the call (Linux: VmHWM after
// resetting it through /proc/self/clear_refs), with the output matrix; "x input" is
// that over the bytes of the events and spine given.
//
//   bench_batch_scaling [--json FILE]      (SKEWLESS_BENCH_SMOKE=1: tiny sizes)
#include "common.hpp"
#include "payments.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

struct leg {
  std::string route;
  std::int64_t ts;
  double delay;
};

}  // namespace bench

BOOST_HANA_ADAPT_STRUCT(bench::leg, route, ts, delay);

namespace {

using namespace std::chrono_literals;
constexpr auto delay = skewless::field<bench::leg, "delay">;
constexpr auto routes10 = skewless::define_features<bench::leg, "route", "ts">(
    skewless::feature<"count_1h">(skewless::count(skewless::sliding(1h))),
    skewless::feature<"sum_1h">(skewless::sum(delay, skewless::sliding(1h))),
    skewless::feature<"mean_1h">(skewless::mean(delay, skewless::sliding(1h))),
    skewless::feature<"count_1d">(skewless::count(skewless::sliding(24h))),
    skewless::feature<"sum_1d">(skewless::sum(delay, skewless::sliding(24h))),
    skewless::feature<"mean_1d">(skewless::mean(delay, skewless::sliding(24h))),
    skewless::feature<"max_1d">(skewless::max(delay, skewless::sliding(24h))),
    skewless::feature<"sum_7d">(skewless::sum(delay, skewless::sliding(7 * 24h))),
    skewless::feature<"mean_7d">(skewless::mean(delay, skewless::sliding(7 * 24h))),
    skewless::feature<"max_7d">(skewless::max(delay, skewless::sliding(7 * 24h))));

// `keys` string keys over a year, key 0 with `hot` of the events and the rest Zipf-like;
// time ordered, as a day's file of flights would be.
std::vector<bench::leg> generate_routes(std::int64_t n, int keys, double hot, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> names;
  for (int k = 0; k < keys; ++k)
    names.push_back("R" + std::to_string(1000 + k * 7919 % 9000) + "-" + std::to_string(k));
  std::vector<double> cdf;
  double acc = 0;
  for (int k = 1; k < keys; ++k) cdf.push_back(acc += 1.0 / k);
  std::uniform_real_distribution<double> uni(0, 1);
  std::lognormal_distribution<double> minutes(2.0, 1.3);
  const std::int64_t span = 365 * bench::day_us;
  std::vector<bench::leg> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const int k = uni(rng) < hot
                      ? 0
                      : 1 + static_cast<int>(std::lower_bound(cdf.begin(), cdf.end(), uni(rng) * acc) - cdf.begin());
    out[static_cast<std::size_t>(i)] = {names[static_cast<std::size_t>(std::min(k, keys - 1))],
                                        i * (span / std::max<std::int64_t>(n, 1)),
                                        std::round(minutes(rng) * 10) / 10 - 5};
  }
  return out;
}

std::vector<skewless::spine_row<std::string>> routes_spine(const std::vector<bench::leg>& events, std::int64_t rows,
                                                           std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<skewless::spine_row<std::string>> spine(static_cast<std::size_t>(rows));
  const std::int64_t end = events.back().ts + 1;
  for (auto& r : spine) {
    r = {events[rng() % events.size()].route, static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(end))};
  }
  return spine;
}

std::int64_t status_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(f, line)) {
    if (line.compare(0, n, field) == 0) return std::atoll(line.c_str() + n + 1);
  }
  return -1;
}

struct cell {
  double min_s = 0, median_s = 0;
  double extra_mib = -1;
};

// 3 runs of f; the peak memory of the first.
cell measure(const std::function<void()>& f) {
  malloc_trim(0);
  const std::int64_t before = status_kib("VmRSS:");
  {
    std::ofstream("/proc/self/clear_refs") << "5";
  }
  std::vector<double> s;
  cell c;
  for (int run = 0; run < 3; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (run == 0) {
      const std::int64_t peak = status_kib("VmHWM:");
      if (before >= 0 && peak >= before) c.extra_mib = static_cast<double>(peak - before) / 1024;
    }
  }
  std::sort(s.begin(), s.end());
  c.min_s = s[0];
  c.median_s = s[1];
  return c;
}

std::ostringstream json;
bool first_json = true;

void report(const char* set, std::int64_t events, std::int64_t rows, const char* who, int features, unsigned threads,
            const cell& c, double input_bytes, double base_s) {
  const double input_mib = input_bytes / (1024.0 * 1024.0);
  std::printf("%-9s %9lld %8lld %-9s %3d %3u %9.3f %9.3f", set, static_cast<long long>(events),
              static_cast<long long>(rows), who, features, threads, c.min_s, c.median_s);
  if (c.extra_mib >= 0) {
    std::printf(" %9.0f %7.2f", c.extra_mib, c.extra_mib / input_mib);
  } else {
    std::printf(" %9s %7s", "-", "-");
  }
  if (base_s > 0) std::printf(" %9.2f", c.min_s / base_s);
  std::printf("\n");
  std::fflush(stdout);
  json << (first_json ? "" : ",\n") << "  {\"set\": \"" << set << "\", \"events\": " << events << ", \"rows\": " << rows
       << ", \"who\": \"" << who << "\", \"features\": " << features << ", \"threads\": " << threads
       << ", \"min_s\": " << c.min_s << ", \"median_s\": " << c.median_s << ", \"extra_mib\": " << c.extra_mib
       << ", \"input_mib\": " << input_mib << "}";
  first_json = false;
}

}  // namespace

int main(int argc, char** argv) {
  const char* json_path = argc == 3 && std::strcmp(argv[1], "--json") == 0 ? argv[2] : nullptr;
  std::printf("%-9s %9s %8s %-9s %3s %3s %9s %9s %9s %7s %9s\n", "set", "events", "rows", "who", "F", "thr", "min s",
              "median s", "extra MiB", "x input", "/baseline");
  for (const std::int64_t n : {std::int64_t{1'000'000}, std::int64_t{10'000'000}, std::int64_t{30'000'000}}) {
    const std::int64_t events_n = bench::size(n), rows_n = events_n / 10;
    const auto events = bench::generate(std::max<std::int64_t>(events_n / 10, 1), events_n, 31);
    const auto spine = bench::generate_spine(events, rows_n, 32);
    const double input = static_cast<double>(events.size() * sizeof(bench::payment) +
                                             spine.size() * sizeof(skewless::spine_row<std::int64_t>));
    std::vector<double> base_out;
    const cell base = measure([&] { bench::baseline::batch(events, spine, base_out); });
    report("payments", events_n, rows_n, "baseline", 10, 1, base, input, 0);
    for (const unsigned threads : {1u, 2u}) {
      const skewless::batch::options opt{.threads = threads};
      const cell c10 = measure([&] {
        auto r = skewless::batch::evaluate(bench::features10, events, spine, opt);
        if (r.values.rows() != rows_n) std::abort();
      });
      report("payments", events_n, rows_n, "skewless", 10, threads, c10, input, base.min_s);
      const cell c50 = measure([&] {
        auto r = skewless::batch::evaluate(bench::features50, events, spine, opt);
        if (r.values.rows() != rows_n) std::abort();
      });
      report("payments", events_n, rows_n, "skewless", 50, threads, c50, input, base.min_s);
    }
  }
  {
    const std::int64_t events_n = bench::size(3'000'000), rows_n = events_n / 10;
    const auto events = generate_routes(events_n, 300, 0.05, 41);
    const auto spine = routes_spine(events, rows_n, 42);
    double input = 0;
    for (const auto& e : events) input += sizeof(e) + (e.route.size() > 15 ? e.route.size() + 1 : 0);
    for (const auto& r : spine) input += sizeof(r) + (r.key.size() > 15 ? r.key.size() + 1 : 0);
    for (const unsigned threads : {1u, 2u}) {
      const skewless::batch::options opt{.threads = threads};
      const cell c = measure([&] {
        auto r = skewless::batch::evaluate(routes10, events, spine, opt);
        if (r.values.rows() != rows_n) std::abort();
      });
      report("routes", events_n, rows_n, "skewless", 10, threads, c, input, 0);
    }
  }
  if (json_path != nullptr) std::ofstream(json_path) << "[\n" << json.str() << "\n]\n";
  return 0;
}
