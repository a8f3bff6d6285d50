// Online state per entity, measured from the state: sizeof(entity_state) plus the heap
// it holds, for one aggregate at a time on each window, after 60 days of one entity's
// events at two rates (one a minute and one every 10 s). Bounded windows (tiled,
// last_n, lifetime) stay the same size at both rates; sliding(W) grows with the events
// in W (the hand-written floor for that is 16 B per event: a timestamp and a double).
//
//   bench_state_size          # 30-day windows, 1-hour tiles, last_n(100)
//   SKEWLESS_BENCH_SMOKE=1    # 3-day windows, fewer events
#include "common.hpp"

#include <skewless/skewless.hpp>

#include <boost/hana/adapt_struct.hpp>

#include <cstdio>
#include <string>

namespace state_bench {
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace state_bench
BOOST_HANA_ADAPT_STRUCT(state_bench::ev, user, ts, amount);

namespace {

using namespace skewless;
using state_bench::ev;
constexpr auto amount = field<ev, "amount">;
constexpr std::int64_t minute = 60'000'000;
constexpr std::int64_t day = 1440 * minute;

// Bytes of one entity's state after `days` of events every `step_us`.
template <class Agg>
std::size_t bytes_after(const Agg& a, std::int64_t days, std::int64_t step_us) {
  const auto fs = define_features<ev, "user", "ts">(feature<"f">(a));
  online::evaluator online(fs);
  std::uint64_t x = 12345;
  for (std::int64_t t = 0; t < days * day; t += step_us) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const double v = static_cast<double>((x >> 33) % 100000) / 100.0;
    if (online.ingest(ev{1, t, v}) != online::ingest_outcome::accepted) std::abort();
  }
  return sizeof(typename decltype(online)::entity_state) + online.state_heap_bytes();
}

template <class W>
void row(const char* window_name, const W& w, std::int64_t days) {
  auto print = [&](const char* agg, const auto& a) {
    const std::size_t slow = bytes_after(a, days, minute);
    const std::size_t fast = bytes_after(a, days, minute / 6);
    std::printf("| %-10s | %-22s | %12zu | %12zu |\n", agg, window_name, slow, fast);
  };
  print("count", count(w));
  print("sum", sum(amount, w));
  print("mean", mean(amount, w));
  print("min", min(amount, w));
  print("max", max(amount, w));
  print("last", last(amount, w));
  print("variance", variance(amount, w));
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  const bool small = bench::smoke();
  const std::int64_t days = small ? 6 : 60;
  std::printf("Bytes of online state per entity (sizeof(entity_state) + heap), one aggregate,\n"
              "after %lld days of events at 1/min and 6/min:\n\n",
              static_cast<long long>(days));
  std::printf("| aggregate  | window                 |  1 event/min |  6 events/min |\n");
  std::printf("|---|---|---:|---:|\n");
  if (small) {
    row("tiled(3d, 1h)", tiled(72h, 1h), days);
    row("sliding(3d)", sliding(72h), days);
  } else {
    row("tiled(30d, 1h)", tiled(720h, 1h), days);
    row("sliding(30d)", sliding(720h), days);
  }
  row("last_n(100)", last_n(100), days);
  row("lifetime()", lifetime(), days);
  return 0;
}
