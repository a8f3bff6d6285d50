// Fuzz target: snapshot restore. The first byte picks a feature set; the rest is the
// payload, framed with a header whose fingerprint, size and checksum match, so every
// input reaches the payload decoder. A refused input must leave the evaluator as it
// was; an accepted one must be a reachable state: reads at any allowed time succeed
// with values a reachable state can give, a snapshot of it restores to the same bytes,
// and ingest after it still works.
//   clang++-19 -fsanitize=fuzzer,address,undefined ...   (see scripts/test.sh --fuzz)
#include "fuzz/definitions.hpp"

namespace {

std::string frame(std::uint64_t fingerprint, std::string_view payload) {
  std::string out(skewless::serial::snapshot_magic, sizeof skewless::serial::snapshot_magic);
  auto put = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(skewless::snapshot_format_version, 4);
  put(fingerprint, 8);
  put(payload.size(), 8);
  put(skewless::fnv1a64(payload), 8);
  out.append(payload);
  return out;
}

template <class FS> void run(const FS& fs, std::string_view payload) {
  using namespace skewless;
  online::evaluator<FS> target(fs);
  // A target with state of its own: a refused restore must not touch it.
  fuzz::reader seed(reinterpret_cast<const std::uint8_t*>("\x01\x05\x07\x02"), 4);
  (void)target.ingest(fuzz::make_event<FS>(seed));
  const std::string before = *serial::snapshot(target);
  const std::string bytes = frame(fs.fingerprint(), payload);
  const absl::Status s = serial::restore(target, bytes);
  if (!s.ok()) {
    fuzz::require(*serial::snapshot(target) == before, "a refused restore changed the evaluator");
    return;
  }
  feature_vector<FS> v;
  online::read_info info;
  for (const auto& k : target.keys()) {
    fuzz::require(target.features(k, max_time_us, v, info).ok(), "a read at the end of time failed");
    // Known, unless a TTL has expired it by the end of time.
    fuzz::require(info.known_entity || fs.ttl_us > 0, "a restored entity is unknown");
    fuzz::check_values<FS>(v);
    if (target.features(k, info.newest_event_us, v).ok()) fuzz::check_values<FS>(v);
  }
  // Idempotent: the restored state snapshots to bytes that restore to the same state.
  const std::string again = *serial::snapshot(target);
  online::evaluator<FS> copy(fs);
  fuzz::require(serial::restore(copy, again).ok(), "a restored state's snapshot is refused");
  fuzz::require(*serial::snapshot(copy) == again, "a restored state does not snapshot to itself");
  // And it takes events: one at each entity's newest time.
  for (const auto& k : target.keys()) {
    (void)target.features(k, max_time_us, v, info);
    auto e = fuzz::make_event<FS>(seed);
    e.k = k;
    e.ts = info.known_entity ? info.newest_event_us : max_time_us;  // expired: a new life
    (void)target.ingest(e);
    fuzz::require(target.features(k, max_time_us, v).ok(), "a read after ingest failed");
    fuzz::check_values<FS>(v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  fuzz::with_set(data[0], [&](const auto& fs) { run(fs, payload); });
  return 0;
}

// Seeds for the corpus: snapshots of each feature set after random ingest (with and
// without advance_to), and of an empty evaluator, each behind its selector byte.
void fuzz_write_seeds(const char* dir) {
  using namespace skewless;
  for (std::size_t set = 0; set < fuzz::selector_count; ++set) {
    fuzz::with_set(set, [&](const auto& fs) {
      using FS = std::remove_cvref_t<decltype(fs)>;
      for (int variant = 0; variant < 3; ++variant) {
        online::evaluator<FS> on(fs.with_allowed_lateness(std::chrono::microseconds(20)));
        std::vector<std::uint8_t> bytes;
        for (int i = 0; i < 600; ++i)
          bytes.push_back(static_cast<std::uint8_t>((i * 2654435761u + set * 97 + variant) >> 7));
        fuzz::reader r(bytes.data(), bytes.size());
        for (int i = 0; variant < 2 && i < 60; ++i) {
          auto e = fuzz::make_event<FS>(r);
          e.ts = static_cast<std::int64_t>(r.byte() % 80);  // inside the range, with ties
          (void)on.ingest(e);
        }
        if (variant == 1) (void)on.advance_to(70);
        const std::string snap = *serial::snapshot(on);
        std::string input(1, static_cast<char>(set));
        input += snap.substr(serial::snapshot_header_size);
        const std::string path = std::string(dir) + "/seed-set" + std::to_string(set) + "-" + std::to_string(variant);
        std::FILE* f = std::fopen(path.c_str(), "wb");
        fuzz::require(f != nullptr, "cannot write a seed");
        std::fwrite(input.data(), 1, input.size(), f);
        std::fclose(f);
      }
    });
  }
}
