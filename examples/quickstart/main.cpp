// examples/quickstart — one feature definition, a training set and a live service that
// agree to the bit.
//
// 1. generate synthetic card payments for many users (power-law activity),
// 2. build a point-in-time-correct training set with the batch evaluator (one row per
//    labelled transaction, features as of just before it),
// 3. replay the same events through the online evaluator as a scoring service would:
//    score each labelled transaction on arrival, then ingest it; halfway, snapshot the
//    state and restart from the snapshot,
// 4. check every served vector equals its training row bit for bit, and print timings.
//
//   quickstart [--users N] [--events N] [--seed N]
#include "payments.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Power-law activity: user u's weight ~ 1 / (u + 1)^1.1, so a few users are very hot.
std::vector<payments::transaction> generate(int users, int events, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> cdf(static_cast<std::size_t>(users));
  double acc = 0;
  for (int u = 0; u < users; ++u) cdf[static_cast<std::size_t>(u)] = acc += 1.0 / std::pow(u + 1.0, 1.1);
  std::uniform_real_distribution<double> uni(0.0, acc);
  std::lognormal_distribution<double> amount(3.5, 1.2);
  const std::int64_t start = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
  const std::int64_t span = 30LL * 24 * 3600 * 1'000'000;
  std::vector<payments::transaction> out;
  out.reserve(static_cast<std::size_t>(events));
  for (int i = 0; i < events; ++i) {
    const auto user = std::lower_bound(cdf.begin(), cdf.end(), uni(rng)) - cdf.begin();
    const std::int64_t ts = start + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span)) / 1000 * 1000;
    const double a = rng() % 200 == 0 ? std::nan("") : std::round(amount(rng) * 100) / 100;
    out.push_back({user * 7919 + 13, ts, a, static_cast<std::int32_t>(rng() % 20), rng() % 4 != 0});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int users = 50'000, n_events = 1'000'000;
  std::uint64_t seed = 42;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--users") users = std::atoi(argv[i + 1]);
    else if (a == "--events") n_events = std::atoi(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const auto& fs = payments::features;
  using FS = std::remove_cvref_t<decltype(fs)>;
  std::printf("skewless %d.%d.%d quickstart: %zu features, fingerprint %016llx\n", skewless::version.major,
              skewless::version.minor, skewless::version.patch, FS::size,
              static_cast<unsigned long long>(fs.fingerprint()));

  auto t0 = clock_type::now();
  auto events = generate(users, n_events, seed);
  std::printf("generated %d transactions for %d users in %.2f s\n", n_events, users, seconds_since(t0));

  // Labels: every 10th transaction is labelled; its features are as of its own time.
  std::vector<skewless::spine_row<std::int64_t>> spine;
  std::vector<std::size_t> labelled;
  for (std::size_t i = 0; i < events.size(); i += 10) {
    spine.push_back({events[i].user_id, events[i].ts_us});
    labelled.push_back(i);
  }

  t0 = clock_type::now();
  const auto training = skewless::batch::evaluate(fs, events, spine);
  const double t_batch = seconds_since(t0);
  std::printf("batch: training set of %zu rows x %zu features in %.3f s (%.2f M rows/s, %.2f M events/s)\n",
              spine.size(), FS::size, t_batch, spine.size() / t_batch / 1e6, events.size() / t_batch / 1e6);

  // The service sees events in time order; it scores a labelled transaction on arrival
  // (features as of its time, so it never sees itself), then ingests it.
  std::vector<std::size_t> order(events.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return events[a].ts_us < events[b].ts_us; });
  std::vector<std::int64_t> row_of(events.size(), -1);
  for (std::size_t r = 0; r < labelled.size(); ++r) row_of[labelled[r]] = static_cast<std::int64_t>(r);

  skewless::online::evaluator online(fs);
  skewless::feature_vector<FS> v;
  std::size_t matched = 0, mismatched = 0;
  double t_ingest = 0, t_read = 0, t_snapshot = 0, t_restore = 0;
  std::size_t snapshot_bytes = 0;
  std::size_t reads = 0;
  for (std::size_t n = 0; n < order.size(); ++n) {
    const auto& e = events[order[n]];
    if (const auto r = row_of[order[n]]; r >= 0) {
      const auto tr = clock_type::now();
      const absl::Status s = online.features(e.user_id, e.ts_us, v);
      t_read += seconds_since(tr);
      ++reads;
      if (!s.ok()) {
        std::printf("error: %s\n", std::string(s.message()).c_str());
        return 1;
      }
      bool same = true;
      for (Eigen::Index c = 0; c < v.size(); ++c) same = same && same_bits(v[c], training.values(r, c));
      same ? ++matched : ++mismatched;
      if (!same && mismatched <= 3) std::printf("MISMATCH at training row %lld\n", static_cast<long long>(r));
    }
    const auto ti = clock_type::now();
    if (online.ingest(e) != skewless::online::ingest_outcome::accepted) {
      std::printf("error: event rejected\n");
      return 1;
    }
    t_ingest += seconds_since(ti);
    if (n == order.size() / 2) {  // a restart: snapshot, then continue from the snapshot
      const auto ts = clock_type::now();
      const auto bytes = skewless::serial::snapshot(online);
      t_snapshot = seconds_since(ts);
      if (!bytes.ok()) return 1;
      snapshot_bytes = bytes->size();
      const auto tr = clock_type::now();
      skewless::online::evaluator restarted(fs);
      if (const auto s = skewless::serial::restore(restarted, *bytes); !s.ok()) {
        std::printf("error: %s\n", std::string(s.message()).c_str());
        return 1;
      }
      online = std::move(restarted);
      t_restore = seconds_since(tr);
    }
  }
  std::printf("online: ingested %zu events in %.3f s (%.2f M events/s), %zu reads, mean read %.0f ns\n", events.size(),
              t_ingest, events.size() / t_ingest / 1e6, reads, t_read / reads * 1e9);
  std::printf("snapshot at the halfway point: %.1f MB written in %.3f s, restored in %.3f s\n", snapshot_bytes / 1e6,
              t_snapshot, t_restore);
  std::printf("parity: %zu of %zu served vectors equal their training rows bit for bit, %zu differ\n", matched,
              matched + mismatched, mismatched);

  std::printf("\nfirst training rows:\n%-22s", "");
  for (auto name : FS::names()) std::printf(" %.10s", std::string(name).c_str());
  std::printf("\n");
  for (int r = 0; r < 4 && r < training.values.rows(); ++r) {
    std::printf("user %-8lld row %-6d", static_cast<long long>(spine[static_cast<std::size_t>(r)].key), r);
    for (Eigen::Index c = 0; c < training.values.cols(); ++c) std::printf(" %10.4g", training.values(r, c));
    std::printf("\n");
  }
  if (mismatched != 0 || matched != labelled.size()) {
    std::printf("FAILED: training and serving disagree\n");
    return 1;
  }
  std::printf("\nOK: training and serving agree on every row.\n");
  return 0;
}
