// skewless/serial/snapshot.hpp — save and restore the online state, all or nothing.
//
//   absl::StatusOr<std::string> bytes = skewless::serial::snapshot(online);
//   ...
//   skewless::online::evaluator fresh(features);
//   absl::Status s = skewless::serial::restore(fresh, *bytes);   // or a clear error
//
// Layout (little-endian), snapshot_format_version 4:
//   offset  0  8 bytes  magic "SKWLSNAP"
//   offset  8  u32      format version
//   offset 12  u64      fingerprint of the feature set that wrote it
//   offset 20  u64      payload size in bytes
//   offset 28  u64      FNV-1a 64 checksum of the payload
//   offset 36  payload  cereal portable binary: ingest counters, then the entities in
//                       key order (so equal states give equal bytes)
// Every header field is checked and the checksum covers the payload, so a wrong
// definition, a newer format, a truncated file or any flipped byte is refused with a
// status that says which; the evaluator is replaced only after the whole payload
// decoded, so a refused snapshot changes nothing.
//
// The restore principle: a snapshot that restores is one that some sequence of
// accepted events could have produced. The checksum only guards against accidents; the
// payload is also checked as if hostile (it comes from shared storage): every length
// against the bytes left before anything is allocated, every flag byte for 0 or 1, and
// every invariant ingest maintains, per state — times inside the accepted range and
// the entity's windows, entries and tiles in order and aligned, no empty tile, at most
// n places for last_n, extremum queues monotone, exact-sum chunks canonical and
// bounded, sketch registers and buckets ones a value can reach, counts that do not
// overflow. What no state can show is whether two aggregates' states came from the
// same events (a snapshot holds states, not events), so a crafted file can still pair
// a count with another aggregate's unrelated sum; each value is still one some events
// give.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/expr/canonical.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/version.hpp>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/vector.hpp>

#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace skewless::inline v1::serial {

inline constexpr char snapshot_magic[8] = {'S', 'K', 'W', 'L', 'S', 'N', 'A', 'P'};
inline constexpr std::size_t snapshot_header_size = 36;

namespace serial_internal {

inline void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return v;
}
inline std::string hex(std::uint64_t v) {
  return absl::StrCat("0x", absl::Hex(v, absl::kZeroPad16));
}

}  // namespace serial_internal

// The online state as bytes.
template <class FS>
[[nodiscard]] absl::StatusOr<std::string> snapshot(const online::evaluator<FS>& state) {
  using namespace serial_internal;
  std::ostringstream payload_stream(std::ios::binary);
  try {
    cereal::PortableBinaryOutputArchive ar(payload_stream);
    state.save(ar);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("skewless: snapshot failed: ", e.what()));
  }
  const std::string payload = std::move(payload_stream).str();
  std::string out;
  out.reserve(snapshot_header_size + payload.size());
  out.append(snapshot_magic, sizeof snapshot_magic);
  put_le(out, snapshot_format_version, 4);
  put_le(out, state.fingerprint(), 8);
  put_le(out, payload.size(), 8);
  put_le(out, fnv1a64(payload), 8);
  out += payload;
  return out;
}

// Replaces `state` with the snapshot's, or leaves it untouched and says why not.
template <class FS>
[[nodiscard]] absl::Status restore(online::evaluator<FS>& state, std::string_view bytes) {
  using namespace serial_internal;
  if (bytes.size() < snapshot_header_size) {
    return absl::DataLossError(absl::StrCat("skewless: snapshot truncated: ", bytes.size(),
                                            " bytes, shorter than the ", snapshot_header_size,
                                            "-byte header"));
  }
  if (std::memcmp(bytes.data(), snapshot_magic, sizeof snapshot_magic) != 0) {
    return absl::InvalidArgumentError("skewless: not a skewless snapshot (bad magic bytes)");
  }
  const auto version = get_le(bytes, 8, 4);
  if (version != snapshot_format_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "skewless: snapshot format version ", version, " is ",
        version > snapshot_format_version ? "newer than" : "older than",
        " this build's format version ", snapshot_format_version,
        version > snapshot_format_version ? "; upgrade skewless to read it" : "; no converter exists"));
  }
  const auto fingerprint = get_le(bytes, 12, 8);
  if (fingerprint != state.fingerprint()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "skewless: snapshot was written by feature set ", hex(fingerprint),
        " but this evaluator's feature set is ", hex(state.fingerprint()),
        "; the definitions differ, so the state cannot be used"));
  }
  const auto size = get_le(bytes, 20, 8);
  if (size != bytes.size() - snapshot_header_size) {
    return absl::DataLossError(absl::StrCat("skewless: snapshot payload is ",
                                            bytes.size() - snapshot_header_size,
                                            " bytes but the header says ", size,
                                            " (truncated or padded file)"));
  }
  const std::string_view payload = bytes.substr(snapshot_header_size);
  const auto checksum = get_le(bytes, 28, 8);
  if (fnv1a64(payload) != checksum) {
    return absl::DataLossError(
        "skewless: snapshot checksum mismatch: the payload is corrupt");
  }
  online::evaluator<FS> fresh(state.definition());
  try {
    std::istringstream in(std::string(payload), std::ios::binary);
    const detail::load_budget budget(in, payload.size());  // every length is bounded by it
    cereal::PortableBinaryInputArchive ar(in);
    fresh.load(ar);
    if (in.peek() != std::char_traits<char>::eof()) {
      return absl::DataLossError("skewless: snapshot payload has trailing bytes");
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("skewless: snapshot payload is corrupt: ", e.what()));
  }
  state = std::move(fresh);
  return absl::OkStatus();
}

// File helpers: the whole snapshot is written to / read from one file.
[[nodiscard]] inline absl::Status write_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) return absl::UnavailableError(absl::StrCat("skewless: cannot write ", path));
  return absl::OkStatus();
}

[[nodiscard]] inline absl::StatusOr<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("skewless: cannot open ", path));
  std::ostringstream s;
  s << f.rdbuf();
  return std::move(s).str();
}

}  // namespace skewless::inline v1::serial
