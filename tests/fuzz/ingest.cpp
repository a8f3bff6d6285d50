// Fuzz target: event ingest. The bytes pick a feature set and a lateness, then become a
// sequence of events (times at the accepted range's edges and beyond, ties, values
// with NaN, infinities, signed zeros and extreme magnitudes) interleaved with
// advance_to and snapshot/restore. After each accepted event the entity reads at its
// newest time with values a reachable state gives; at the end every entity's online
// read equals batch and the reference over the accepted events, bit for bit.
#include "fuzz/definitions.hpp"

#include <algorithm>
#include <map>

namespace {

bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

template <class FS> void run(const FS& definition, fuzz::reader& r) {
  using namespace skewless;
  const std::int64_t lateness[] = {0, 5, 1000, max_lateness_us};
  const auto fs = definition.with_allowed_lateness(std::chrono::microseconds(lateness[r.byte() % 4]));
  using F = std::remove_cvref_t<decltype(fs)>;
  using key_type = typename F::key_type;
  online::evaluator<F> on(fs);
  std::vector<fuzz::event_of<F>> accepted;
  std::int64_t horizon = std::numeric_limits<std::int64_t>::min();
  feature_vector<F> v;
  for (int step = 0; step < 64 && !r.empty(); ++step) {
    const std::uint8_t op = r.byte();
    if (op % 16 == 0) {  // declare the past
      const std::int64_t t = r.time();
      if (on.advance_to(t).ok()) horizon = std::max(horizon, t);
      continue;
    }
    if (op % 16 == 1) {  // restart from a snapshot
      const std::string bytes = *serial::snapshot(on);
      online::evaluator<F> fresh(fs);
      const absl::Status restored = serial::restore(fresh, bytes);
      if (!restored.ok()) std::fprintf(stderr, "%s\n", std::string(restored.message()).c_str());
      fuzz::require(restored.ok(), "a snapshot of ingested state is refused");
      fuzz::require(*serial::snapshot(fresh) == bytes, "a restored snapshot differs");
      on = std::move(fresh);
      continue;
    }
    const auto e = fuzz::make_event<F>(r);
    const auto outcome = on.ingest(e);
    fuzz::require((outcome == online::ingest_outcome::rejected_time_out_of_range) == !in_time_range(e.ts),
                  "the time range rule");
    if (outcome != online::ingest_outcome::accepted) continue;
    accepted.push_back(e);
    online::read_info info;
    fuzz::require(
        on.features(e.k, std::max(e.ts, horizon), v, info).ok() || info.newest_event_us > std::max(e.ts, horizon),
        "a read at the newest time failed");
    if (on.features(e.k, max_time_us, v).ok()) fuzz::check_values<F>(v);
  }
  // Parity: online == batch == reference at each entity's floor and after.
  // An entity's newest event is its key's newest accepted one (a read cannot say once
  // a TTL has expired the entity).
  std::map<key_type, std::int64_t> newest;
  for (const auto& e : accepted) {
    const auto [it, fresh] = newest.try_emplace(e.k, e.ts);
    if (!fresh) it->second = std::max(it->second, e.ts);
  }
  std::vector<spine_row<key_type>> spine;
  for (const auto& k : on.keys()) {
    const std::int64_t floor = std::max(newest.at(k), horizon);
    for (std::int64_t t : {floor, floor + 1, floor + 17, max_time_us}) {
      if (in_time_range(t)) spine.push_back({k, t});
    }
  }
  const auto batch_rows = batch::evaluate(fs, accepted, spine);
  const auto reference_rows = reference::evaluate(fs, accepted, spine);
  for (std::size_t row = 0; row < spine.size(); ++row) {
    fuzz::require(on.features(spine[row].key, spine[row].time_us, v).ok(), "a read at the floor failed");
    for (Eigen::Index c = 0; c < v.size(); ++c) {
      const auto r_ = static_cast<Eigen::Index>(row);
      fuzz::require(same_bits(v[c], batch_rows.values(r_, c)), "online and batch differ");
      fuzz::require(same_bits(v[c], reference_rows(r_, c)), "online and the reference differ");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader r(data, size);
  fuzz::with_set(r.byte(), [&](const auto& fs) { run(fs, r); });
  return 0;
}

// Seeds for the corpus: a few event sequences per feature set.
void fuzz_write_seeds(const char* dir) {
  for (std::size_t set = 0; set < fuzz::selector_count; ++set) {
    for (int variant = 0; variant < 2; ++variant) {
      std::string input(1, static_cast<char>(set));
      std::uint64_t h = 0x9e3779b97f4a7c15ull * (set * 2 + variant + 1);
      for (int i = 0; i < 400; ++i) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        input.push_back(static_cast<char>(h >> 56));
      }
      const std::string path = std::string(dir) + "/seed-set" + std::to_string(set) + "-" + std::to_string(variant);
      std::FILE* f = std::fopen(path.c_str(), "wb");
      fuzz::require(f != nullptr, "cannot write a seed");
      std::fwrite(input.data(), 1, input.size(), f);
      std::fclose(f);
    }
  }
}
