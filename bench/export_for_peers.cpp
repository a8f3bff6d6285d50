// Writes the peer-comparison workload and skewless's answer to it, as raw little-endian
// columns (exact: no decimal round trip), and times skewless's batch evaluator on it:
//   DIR/events_user.i64, events_ts.i64, events_amount.f64
//   DIR/spine_user.i64, spine_ts.i64
//   DIR/skewless.f64            spine rows x 10 features, row-major
//   DIR/skewless_timing.txt     "threads seconds" lines, 3 runs per thread count
//
//   bench_export_for_peers DIR EVENTS SPINE_ROWS USERS
#include "payments.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
template <class T> bool write(const std::string& path, const T* data, std::size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data, sizeof(T), n, f) == n;
  return std::fclose(f) == 0 && ok;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DIR EVENTS SPINE_ROWS USERS\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::int64_t n_events = std::atoll(argv[2]), n_rows = std::atoll(argv[3]), users = std::atoll(argv[4]);
  const auto events = bench::generate(users, n_events, 21);
  const auto spine = bench::generate_spine(events, n_rows, 22);

  std::vector<std::int64_t> eu, et, su, st;
  std::vector<double> ea;
  for (const auto& e : events) {
    eu.push_back(e.user);
    et.push_back(e.ts);
    ea.push_back(e.amount);
  }
  for (const auto& r : spine) {
    su.push_back(r.key);
    st.push_back(r.time_us);
  }
  bool ok = write(dir + "/events_user.i64", eu.data(), eu.size()) &&
            write(dir + "/events_ts.i64", et.data(), et.size()) &&
            write(dir + "/events_amount.f64", ea.data(), ea.size()) &&
            write(dir + "/spine_user.i64", su.data(), su.size()) && write(dir + "/spine_ts.i64", st.data(), st.size());

  std::FILE* timing = std::fopen((dir + "/skewless_timing.txt").c_str(), "w");
  if (!ok || timing == nullptr) {  // a missing or read-only DIR: say so rather than crash
    std::fprintf(stderr, "bench_export_for_peers: cannot write to %s\n", dir.c_str());
    return 1;
  }
  skewless::feature_matrix values;
  for (unsigned threads : {1u, 2u}) {
    for (int run = 0; run < 3; ++run) {  // the peers get 3 runs too: min and median
      const auto t0 = std::chrono::steady_clock::now();
      auto r = skewless::batch::evaluate(bench::features10, events, spine, {.threads = threads});
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(timing, "%u %.6f\n", threads, s);
      values = std::move(r.values);
    }
  }
  std::fclose(timing);
  ok = ok && write(dir + "/skewless.f64", values.data(), static_cast<std::size_t>(values.size()));
  std::printf("wrote %lld events, %lld spine rows to %s\n", static_cast<long long>(n_events),
              static_cast<long long>(n_rows), dir.c_str());
  return ok ? 0 : 1;
}
