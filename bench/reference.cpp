// The reference evaluator on real-sized data: 10,000 spine rows over 3M events, one
// core, for two shapes — many users (the payments workload: 100k Zipf users) and few
// hot keys (229 users, flights-like: each row's key has ~13k events). Printed beside
// the batch evaluator on the same rows (the same work done incrementally), as a ratio.
// The reference is meant to be naive; this says whether users can afford to run it on
// their own data. The goal is under 10 s per shape.
//
//   bench_reference            # full sizes; SKEWLESS_BENCH_SMOKE=1 for a moment
#include "common.hpp"
#include "payments.hpp"

#include <chrono>
#include <cstdio>
#include <vector>

namespace {

template <class F> double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class FS>
void run(const char* shape, const char* set, const FS& fs, const std::vector<bench::payment>& events,
         const std::vector<skewless::spine_row<std::int64_t>>& spine) {
  skewless::feature_matrix ref;
  const double t_ref = seconds([&] { ref = skewless::reference::evaluate(fs, events, spine); });
  skewless::feature_matrix bat;
  const double t_batch = seconds([&] { bat = skewless::batch::evaluate(fs, events, spine, {.threads = 1}).values; });
  long differ = 0;
  for (Eigen::Index r = 0; r < ref.rows(); ++r)
    for (Eigen::Index c = 0; c < ref.cols(); ++c)
      if (!(ref(r, c) == bat(r, c) || (ref(r, c) != ref(r, c) && bat(r, c) != bat(r, c)))) ++differ;
  std::printf(
      "%-10s %-11s events=%-8zu rows=%-6zu reference_s=%-7.2f batch_s=%-6.2f ratio=%-6.1f differing_values=%ld\n",
      shape, set, events.size(), spine.size(), t_ref, t_batch, t_ref / t_batch, differ);
}

}  // namespace

int main() {
  const std::int64_t n_events = bench::size(3'000'000);
  const std::int64_t n_rows = bench::smoke() ? 100 : 10'000;
  for (const auto& [shape, users] :
       {std::pair{"many_keys", bench::size(100'000)}, std::pair{"hot_keys", std::int64_t{229}}}) {
    const auto events = bench::generate(users, n_events, 11);
    const auto spine = bench::generate_spine(events, n_rows, 12);
    run(shape, "10_features", bench::features10, events, spine);
    run(shape, "20_features", bench::features20, events, spine);
  }
}
