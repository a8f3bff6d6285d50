// examples/service — the online evaluator inside a service: one consumer thread ingests
// an event stream in batches and writes durable snapshots named by stream offset,
// request threads read features meanwhile, a user is erased on request, and the process
// "restarts" from its newest snapshot plus a replay of the stream after that offset.
// At the end every user's served features equal the batch evaluator's on the same
// events (without the erased user's events from before the erasure), bit for bit.
//
//   service [--users N] [--events N] [--readers N] [--seed N]
#include "../quickstart/payments.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using payments::transaction;
using evaluator_type = skewless::online::concurrent_evaluator<std::remove_cvref_t<decltype(payments::features)>>;

bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Events in arrival order: time order, but some arrive up to 4 minutes late (the
// feature set allows 5).
std::vector<transaction> generate(int users, int events, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> amount(3.5, 1.2);
  const std::int64_t start = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
  std::vector<transaction> out;
  for (int i = 0; i < events; ++i) {
    const std::int64_t on_time = start + std::int64_t{i} * 2'000'000;
    const std::int64_t late = rng() % 10 == 0 ? static_cast<std::int64_t>(rng() % 240'000'000) : 0;
    out.push_back({static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(users)), on_time - late, amount(rng),
                   static_cast<std::int32_t>(rng() % 20), rng() % 3 != 0});
  }
  return out;
}

// The snapshot with the greatest offset in `dir` that restores, and that offset.
std::size_t restore_newest(evaluator_type& state, const fs::path& dir) {
  std::vector<std::pair<std::size_t, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("state-", 0) == 0 && name.size() > 11 && name.substr(name.size() - 5) == ".snap") {
      found.push_back({std::stoull(name.substr(6, name.size() - 11)), entry.path()});
    }
  }
  std::sort(found.rbegin(), found.rend());
  for (const auto& [offset, path] : found) {
    if (const absl::Status s = skewless::serial::read_snapshot(state, path.string()); s.ok()) return offset;
    else std::printf("skipping %s: %s\n", path.c_str(), std::string(s.message()).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int users = 5000, n_events = 200'000, readers = 2;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--users")) users = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--events")) n_events = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--readers")) readers = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const std::vector<transaction> stream = generate(users, n_events, seed);
  const fs::path dir = fs::temp_directory_path() / ("skewless-service-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  // --- The service: a consumer thread, request threads, a deletion request. ---------
  auto online = std::make_unique<evaluator_type>(payments::features);
  const std::int64_t erased_user = 0;                  // the hottest key is asked to be forgotten
  const std::size_t erase_at = stream.size() / 2;      // ... at this stream offset
  const std::size_t crash_at = stream.size() * 4 / 5;  // the process dies here
  std::atomic<std::int64_t> now{stream.front().ts_us};
  std::atomic<bool> stop{false};
  std::atomic<long> served{0}, retried{0};

  std::vector<std::thread> request_threads;
  for (int r = 0; r < readers; ++r) {
    request_threads.emplace_back([&, r] {
      std::mt19937_64 rng(static_cast<std::uint64_t>(r));
      skewless::feature_vector<decltype(payments::features)> v;
      while (!stop.load(std::memory_order_relaxed)) {
        // A request at "now": the newest event time the consumer has published, plus a
        // margin; a read of an entity the consumer has meanwhile moved past it fails
        // (FAILED_PRECONDITION, output NaN) and would be asked again.
        const std::int64_t t = now.load() + 1'800'000'000;  // 30 minutes
        const auto user = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(users));
        if (online->features(user, t, v).ok()) served.fetch_add(1);
        else retried.fetch_add(1);
      }
    });
  }

  const auto t0 = std::chrono::steady_clock::now();
  std::size_t snapshots = 0;
  std::thread consumer([&] {
    constexpr std::size_t batch = 512, snapshot_every = 20'000;
    std::int64_t newest = now.load();
    for (std::size_t offset = 0; offset < crash_at;) {
      const std::size_t end = std::min({offset + batch, crash_at, offset < erase_at ? erase_at : crash_at});
      const std::span<const transaction> events(stream.data() + offset, end - offset);
      const auto outcome = online->ingest(events);
      if (outcome.rejected() != 0)
        std::printf("rejected %llu events\n", static_cast<unsigned long long>(outcome.rejected()));
      for (const auto& e : events) newest = std::max(newest, e.ts_us);
      now.store(newest);
      offset = end;
      if (offset == erase_at) online->erase(erased_user);
      if (offset % snapshot_every < batch) {  // a durable snapshot, named by its offset
        const fs::path path = dir / ("state-" + std::to_string(offset) + ".snap");
        if (const absl::Status s = skewless::serial::write_snapshot(*online, path.string()); !s.ok()) {
          std::printf("snapshot failed: %s\n", std::string(s.message()).c_str());
        }
        ++snapshots;
      }
    }
  });
  consumer.join();
  const double ingest_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop.store(true);
  for (auto& t : request_threads) t.join();
  std::printf(
      "service: %zu events ingested in %.3f s while %d request threads served %ld reads (%ld asked again), %zu "
      "snapshots\n",
      crash_at, ingest_s, readers, served.load(), retried.load(), snapshots);

  // --- The process dies; a new one restores the newest snapshot and replays. --------
  online = std::make_unique<evaluator_type>(payments::features);
  const std::size_t resume = restore_newest(*online, dir);
  for (std::size_t offset = resume; offset < stream.size(); offset += 512) {
    const std::size_t end = std::min(offset + 512, stream.size());
    if (offset < erase_at && end > erase_at) {  // the erasure is part of the stream's history
      online->ingest(std::span<const transaction>(stream.data() + offset, erase_at - offset));
      online->erase(erased_user);
      online->ingest(std::span<const transaction>(stream.data() + erase_at, end - erase_at));
    } else {
      online->ingest(std::span<const transaction>(stream.data() + offset, end - offset));
      if (end == erase_at) online->erase(erased_user);
    }
  }
  std::printf("restart: restored the snapshot at offset %zu and replayed %zu events\n", resume, stream.size() - resume);
  fs::remove_all(dir);

  // --- Training data: the same events, minus the erased user's from before the
  // erasure (removing them from the event store is the caller's job). ---------------
  std::vector<transaction> kept;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    if (!(i < erase_at && stream[i].user_id == erased_user)) kept.push_back(stream[i]);
  }
  std::int64_t t_final = 0;
  for (const auto& e : stream) t_final = std::max(t_final, e.ts_us + 1);
  std::vector<skewless::spine_row<std::int64_t>> spine;
  std::vector<std::int64_t> keys;
  for (std::int64_t u = 0; u < users; ++u) {
    spine.push_back({u, t_final});
    keys.push_back(u);
  }
  const auto training = skewless::batch::evaluate(payments::features, kept, spine);
  skewless::feature_matrix served_rows;
  if (const absl::Status s = online->features(std::span<const std::int64_t>(keys), t_final, served_rows); !s.ok()) {
    std::printf("FAILED: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::size_t differ = 0;
  for (Eigen::Index r = 0; r < training.values.rows(); ++r) {
    for (Eigen::Index c = 0; c < training.values.cols(); ++c) {
      if (!same_bits(training.values(r, c), served_rows(r, c))) {
        ++differ;
        break;
      }
    }
  }
  std::printf("parity: %zu users, %zu rows differ between serving (after restart) and training\n",
              static_cast<std::size_t>(users), differ);
  if (differ != 0) {
    std::printf("FAILED: training and serving disagree\n");
    return 1;
  }
  std::printf("OK: training and serving agree on every row.\n");
  return 0;
}
