// Serving while ingesting: one writer thread ingests the payments stream as fast as it
// can while one reader thread reads random users' 10 features, each read timed on its
// own. Reported: the writer's events/s and the reader's median, p99 and p99.9, for
//
//   skewless   online::concurrent_evaluator (batched ingest of 256 events, and one at a
//              time), 256 shards;
//   baseline   the hand-written 10-feature state (bench/payments.hpp) in 256 shards, each
//              behind a std::mutex: what a service without skewless would write (its
//              reads evict, so they take the lock exclusively).
//
// Also single-threaded ingest rates: the single evaluator per event, the concurrent one
// per event and batched, and the baseline, so the cost of the locks is visible.
//
//   bench_concurrent_serving [entities]     # default 1,000,000; 4 events per entity
#include "common.hpp"
#include "payments.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using concurrent = skewless::online::concurrent_evaluator<bench::features10_t>;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// The baseline's state, sharded like skewless's, each shard behind a mutex.
class sharded_baseline {
 public:
  void ingest(const bench::payment& p) {
    shard& s = shards_[index(p.user)];
    std::lock_guard l(s.mu);
    s.state.ingest(p);
  }
  void ingest(std::span<const bench::payment> batch) {
    for (const auto& p : batch) ingest(p);
  }
  void read(std::int64_t user, std::int64_t t, double* out) {
    shard& s = shards_[index(user)];
    std::lock_guard l(s.mu);
    s.state.read(user, t, out);
  }

 private:
  static std::size_t index(std::int64_t user) {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(user) * 0x9E3779B97F4A7C15ull) >> 56);
  }
  struct alignas(64) shard {
    std::mutex mu;
    bench::baseline::online state;
  };
  std::vector<shard> shards_ = std::vector<shard>(256);
};

struct run_result {
  double events_per_s;
  long reads;
  double median_ns, p99_ns, p999_ns;
};

// Ingests events[from, to) on a writer thread (in batches of `batch`, or one by one when
// batch == 1) while this thread reads random users at `now`, timing each read.
template <class Ingest, class Read>
run_result serve(const std::vector<bench::payment>& events, std::size_t from, std::size_t batch, std::int64_t users,
                 Ingest ingest, Read read) {
  std::atomic<bool> done{false};
  double writer_s = 0;
  std::thread writer([&] {
    const auto t0 = clock_type::now();
    for (std::size_t i = from; i < events.size(); i += batch) {
      ingest(std::span<const bench::payment>(events.data() + i, std::min(batch, events.size() - i)));
    }
    writer_s = seconds_since(t0);
    done.store(true);
  });
  std::mt19937_64 rng(11);
  std::vector<double> ns;
  ns.reserve(1 << 22);
  while (!done.load(std::memory_order_relaxed)) {
    const auto user = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(users));
    const auto t0 = clock_type::now();
    read(user);
    ns.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
  }
  writer.join();
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    return ns.empty() ? 0.0 : ns[static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1))];
  };
  return {static_cast<double>(events.size() - from) / writer_s, static_cast<long>(ns.size()), at(0.5), at(0.99),
          at(0.999)};
}

void print(const char* what, const run_result& r) {
  std::printf("%-44s writer_Mev_s=%-7.2f reads=%-9ld median_ns=%-7.0f p99_ns=%-7.0f p999_ns=%.0f\n", what,
              r.events_per_s / 1e6, r.reads, r.median_ns, r.p99_ns, r.p999_ns);
}

template <class F> double rate(const std::vector<bench::payment>& events, F&& ingest_all) {
  const auto t0 = clock_type::now();
  ingest_all();
  return static_cast<double>(events.size()) / seconds_since(t0) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t users = bench::size(argc > 1 ? std::atoll(argv[1]) : 1'000'000);
  const auto events = bench::generate(users, users * 4, 5);
  const std::int64_t now = events.back().ts + 1;
  const std::size_t warm = events.size() / 2;  // every user exists before the timed half
  std::printf("entities=%lld events=%zu (timed: the second half, %zu), 2 threads\n", static_cast<long long>(users),
              events.size(), events.size() - warm);

  // Single-threaded ingest of the whole stream.
  {
    skewless::online::evaluator<bench::features10_t> single(bench::features10), single_batched(bench::features10);
    concurrent per_event(bench::features10), batched(bench::features10);
    bench::baseline::online base;
    const double r_single = rate(events, [&] {
      for (const auto& e : events) (void)single.ingest(e);
    });
    const double r_single_batched = rate(events, [&] {
      for (std::size_t i = 0; i < events.size(); i += 256) {
        (void)single_batched.ingest(
            std::span<const bench::payment>(events.data() + i, std::min<std::size_t>(256, events.size() - i)));
      }
    });
    const double r_con = rate(events, [&] {
      for (const auto& e : events) (void)per_event.ingest(e);
    });
    const double r_batched = rate(events, [&] {
      for (std::size_t i = 0; i < events.size(); i += 256) {
        (void)batched.ingest(
            std::span<const bench::payment>(events.data() + i, std::min<std::size_t>(256, events.size() - i)));
      }
    });
    const double r_base = rate(events, [&] {
      for (const auto& e : events) base.ingest(e);
    });
    std::printf(
        "single-thread ingest, M events/s: evaluator per event %.2f, batched(256) %.2f; concurrent per event "
        "%.2f, batched(256) %.2f; baseline %.2f (baseline / concurrent batched %.2f)\n",
        r_single, r_single_batched, r_con, r_batched, r_base, r_base / r_batched);
  }

  {  // A durable snapshot of the whole state, and a restore from it.
    concurrent con(bench::features10);
    (void)con.ingest(std::span<const bench::payment>(events));
    const std::string path = "bench_concurrent_serving.snap";
    auto t0 = clock_type::now();
    const absl::Status w = skewless::serial::write_snapshot(con, path);
    const double write_s = seconds_since(t0);
    concurrent restored(bench::features10);
    t0 = clock_type::now();
    const absl::Status r = skewless::serial::read_snapshot(restored, path);
    const double read_s = seconds_since(t0);
    const skewless::online::memory_usage m = con.memory();
    std::printf(
        "snapshot: %s/%s, write_snapshot %.3f s, read_snapshot %.3f s, file %.1f MB; state %.1f MB "
        "(table %.1f, entities %.1f, windows %.1f), %.0f B/entity\n",
        w.ok() ? "ok" : "FAILED", r.ok() ? "ok" : "FAILED", write_s, read_s,
        static_cast<double>(std::filesystem::file_size(path)) / 1e6, static_cast<double>(m.total_bytes()) / 1e6,
        static_cast<double>(m.table_bytes) / 1e6, static_cast<double>(m.entity_bytes) / 1e6,
        static_cast<double>(m.window_bytes) / 1e6, static_cast<double>(m.total_bytes()) / static_cast<double>(users));
    std::filesystem::remove(path);
  }

  for (const std::size_t batch : {std::size_t{4096}, std::size_t{256}, std::size_t{1}}) {
    auto con = std::make_unique<concurrent>(bench::features10);
    (void)con->ingest(std::span<const bench::payment>(events.data(), warm));
    skewless::feature_vector<bench::features10_t> v;
    const run_result r = serve(
        events, warm, batch, users,
        [&](std::span<const bench::payment> b) {
          if (b.size() == 1) (void)con->ingest(b[0]);
          else (void)con->ingest(b);
        },
        [&](std::int64_t user) { (void)con->features(user, now, v); });
    const std::string what = batch == 1 ? "skewless concurrent, ingest per event"
                                        : "skewless concurrent, ingest batches of " + std::to_string(batch);
    print(what.c_str(), r);
  }
  {
    auto base = std::make_unique<sharded_baseline>();
    base->ingest(std::span<const bench::payment>(events.data(), warm));
    double out[10];
    const run_result r = serve(
        events, warm, 256, users, [&](std::span<const bench::payment> b) { base->ingest(b); },
        [&](std::int64_t user) { base->read(user, now, out); });
    print("baseline, 256 mutex shards", r);
  }
  return 0;
}
