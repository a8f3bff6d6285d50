// Online state per entity, measured from the state: sizeof(entity_state) plus the heap
// it holds, for one aggregate at a time on each window, after 60 days of one entity's
// events at two rates (one a minute and one every 10 s). Bounded windows (tiled,
// last_n, lifetime) stay the same size at both rates; sliding(W) grows with the events
// in W (the hand-written floor for that is 16 B per event: a timestamp and a double).
// Amounts take 100,000 distinct values, merchants 50; an embedding has 8 floats.
//
//   bench_state_size          # 30-day windows, 1-hour tiles, last_n(100)
//   SKEWLESS_BENCH_SMOKE=1    # 3-day windows, fewer events
#include "common.hpp"

#include <skewless/skewless.hpp>

#include <boost/hana/adapt_struct.hpp>

#include <array>
#include <cstdio>
#include <string>

namespace state_bench {
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  std::string merchant;  // one of 50
  std::array<float, 8> embedding;
};
}  // namespace state_bench
BOOST_HANA_ADAPT_STRUCT(state_bench::ev, user, ts, amount, merchant, embedding);

namespace {

using namespace skewless;
using state_bench::ev;
constexpr auto amount = field<ev, "amount">;
constexpr auto merchant = field<ev, "merchant">;
constexpr auto embedding = field<ev, "embedding">;
constexpr std::int64_t minute = 60'000'000;
constexpr std::int64_t day = 1440 * minute;

// Bytes of one entity's state after `days` of events every `step_us`.
template <class FS> std::size_t set_bytes_after(const FS& fs, std::int64_t days, std::int64_t step_us) {
  online::evaluator online(fs);
  std::uint64_t x = 12345;
  for (std::int64_t t = 0; t < days * day; t += step_us) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const double v = static_cast<double>((x >> 33) % 100000) / 100.0;
    ev e{1, t, v, "m" + std::to_string((x >> 20) % 50), {}};
    for (std::size_t i = 0; i < e.embedding.size(); ++i) e.embedding[i] = static_cast<float>((x >> i) % 7);
    if (online.ingest(e) != online::ingest_outcome::accepted) std::abort();
  }
  return sizeof(typename decltype(online)::entity_state) + online.state_heap_bytes();
}
template <class Agg> std::size_t bytes_after(const Agg& a, std::int64_t days, std::int64_t step_us) {
  return set_bytes_after(define_features<ev, "user", "ts">(feature<"f">(a)), days, step_us);
}

template <class W> void row(const char* window_name, const W& w, std::int64_t days) {
  using namespace std::chrono_literals;
  auto print_set = [&](const char* agg, const auto& fs) {
    const std::size_t slow = set_bytes_after(fs, days, minute);
    const std::size_t fast = set_bytes_after(fs, days, minute / 6);
    std::printf("| %-28s | %-16s | %12zu | %12zu |\n", agg, window_name, slow, fast);
  };
  auto print = [&](const char* agg, const auto& a) {
    print_set(agg, define_features<ev, "user", "ts">(feature<"f">(a)));
  };
  print("count", count(w));
  print("sum", sum(amount, w));
  print("mean", mean(amount, w));
  print("min", min(amount, w));
  print("max", max(amount, w));
  print("last", last(amount, w));
  print("variance", variance(amount, w));
  print("first_k<5>", first_k<5>(amount, w));
  print("last_k<5>", last_k<5>(amount, w));
  print("distinct_count (amount)", distinct_count(amount, w));
  print("distinct_count (merchant)", distinct_count(merchant, w));
  print("approx_distinct_count<12>", approx_distinct_count<12>(amount, w));
  print("most_frequent (merchant)", most_frequent(merchant, w));
  print("top_k_frequency<3>", top_k_frequency<3>(merchant, w));
  print("approx_quantile<.5,.99>", approx_quantile<0.5, 0.99>(amount, w));
  print("ewma<24h>", ewma<24h>(amount, w));
  print("decayed_sum<24h>", decayed_sum<24h>(amount, w));
  print("count_by (3 merchants)", count_by(merchant, vocabulary<"m1", "m2", "m3">, w));
  print("mean (8-dim vector)", mean(embedding, w));
  // Several aggregates of one stream (sliding windows share its entries).
  print_set("sum + count", define_features<ev, "user", "ts">(feature<"s">(sum(amount, w)), feature<"c">(count(w))));
  print_set("count, sum, mean, max, min",
            define_features<ev, "user", "ts">(feature<"c">(count(w)), feature<"s">(sum(amount, w)),
                                              feature<"m">(mean(amount, w)), feature<"x">(max(amount, w)),
                                              feature<"n">(min(amount, w))));
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  const bool small = bench::smoke();
  const std::int64_t days = small ? 6 : 60;
  std::printf(
      "Bytes of online state per entity (sizeof(entity_state) + heap), one aggregate,\n"
      "after %lld days of events at 1/min and 6/min:\n\n",
      static_cast<long long>(days));
  std::printf("| aggregate                    | window           |  1 event/min |  6 events/min |\n");
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
