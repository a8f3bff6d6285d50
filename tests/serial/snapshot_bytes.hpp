// tests/serial/snapshot_bytes.hpp — editing a snapshot's payload as a hostile writer
// would: little-endian field bytes, a replace, and a new header whose size and checksum
// match, so that only the inner checks can refuse it.
#pragma once

#include <skewless/serial/snapshot.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace skewless_test {

template <class T> std::string le(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));  // the machines we run on are little-endian
  static_assert(std::endian::native == std::endian::little);
  return out;
}

inline std::string payload(const std::string& snapshot) {
  return snapshot.substr(skewless::serial::snapshot_header_size);
}

// The snapshot's header with the payload replaced, its size and checksum recomputed.
inline std::string reframe(const std::string& snapshot, const std::string& new_payload) {
  std::string out = snapshot.substr(0, 20);  // magic, version, fingerprint
  out += le<std::uint64_t>(new_payload.size());
  out += le<std::uint64_t>(skewless::fnv1a64(new_payload));
  out += new_payload;
  return out;
}

// Replaces the first occurrence of `from` with `to`; false if there is none.
inline bool replace_once(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) return false;
  s.replace(at, from.size(), to);
  return true;
}

}  // namespace skewless_test
