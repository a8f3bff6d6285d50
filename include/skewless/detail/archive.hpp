// skewless/detail/archive.hpp — internal; do not rely on anything here.
//
// Reading bytes that may be hostile: a snapshot comes from shared storage. Every length
// is checked against the bytes left in the payload before anything is allocated,
// booleans are read as a byte that must be 0 or 1 (cereal would load any byte into a
// bool), and containers fill element by element. The forms on disk are those cereal's
// portable binary archive writes for the same types — a u64 size, then the elements; a
// bool as one byte — so no snapshot's bytes change.
//
//   detail::load_budget budget(in, payload.size());   // serial::restore, around decoding
//   detail::load_vector(ar, v);                        // in a load(Archive&)
#pragma once

#include <skewless/config.hpp>

#include <cereal/cereal.hpp>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace skewless::inline v1::detail {

[[noreturn]] inline void corrupt(const std::string& what) {
  throw std::runtime_error("skewless: snapshot " + what);
}

// The bytes a restore may still read from the stream it decodes. serial::restore holds
// one for the duration of a decode; outside one, lengths are not bounded by it (but
// containers still grow only as elements are read).
class load_budget {
 public:
  load_budget(std::istream& in, std::uint64_t size) : in_(&in), size_(size), previous_(current()) { current() = this; }
  ~load_budget() { current() = previous_; }
  load_budget(const load_budget&) = delete;
  load_budget& operator=(const load_budget&) = delete;

  // Bytes left, or nullopt when no restore is decoding on this thread.
  [[nodiscard]] static std::optional<std::uint64_t> left() {
    const load_budget* b = current();
    if (b == nullptr) return std::nullopt;
    const auto at = b->in_->tellg();
    if (at < 0) return 0;
    const auto pos = static_cast<std::uint64_t>(at);
    return pos >= b->size_ ? 0 : b->size_ - pos;
  }

 private:
  static const load_budget*& current() {
    thread_local const load_budget* c = nullptr;
    return c;
  }
  std::istream* in_;
  std::uint64_t size_;
  const load_budget* previous_;
};

// A length of items that take at least `min_bytes` each, refused when the bytes left
// cannot hold them.
template <class Archive> [[nodiscard]] std::uint64_t load_length(Archive& ar, std::uint64_t min_bytes = 1) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));
  if (const auto left = load_budget::left(); left && n > *left / min_bytes) {
    corrupt("claims " + std::to_string(n) + " items but has only " + std::to_string(*left) + " bytes left");
  }
  return n;
}

template <class Archive, class T> void save_vector(Archive& ar, const std::vector<T>& v) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(v.size())));
  for (const T& x : v) ar(x);
}
template <class Archive, class T> void load_vector(Archive& ar, std::vector<T>& v, std::uint64_t min_bytes = 1) {
  const std::uint64_t n = load_length(ar, min_bytes);
  v.clear();
  for (std::uint64_t i = 0; i < n; ++i) {
    T x{};
    ar(x);
    v.push_back(std::move(x));
  }
}

template <class Archive> void load_string(Archive& ar, std::string& s) {
  const std::uint64_t n = load_length(ar, 1);
  s.clear();
  std::string chunk(static_cast<std::size_t>(n < 4096 ? n : 4096), '\0');
  for (std::uint64_t done = 0; done < n;) {  // grows only as bytes are read
    const auto k = static_cast<std::size_t>(n - done < 4096 ? n - done : 4096);
    ar(cereal::binary_data(chunk.data(), k));
    s.append(chunk.data(), k);
    done += k;
  }
}

template <class Archive> void save_flag(Archive& ar, bool b) {
  ar(static_cast<std::uint8_t>(b ? 1 : 0));
}
template <class Archive> [[nodiscard]] bool load_flag(Archive& ar) {
  std::uint8_t b = 0;
  ar(b);
  if (b > 1) corrupt("has a flag byte that is neither 0 nor 1");
  return b == 1;
}

// std::optional<T> as cereal writes it: a bool "has no value", then the value if any.
template <class Archive, class T> void save_optional(Archive& ar, const std::optional<T>& o) {
  save_flag(ar, !o.has_value());
  if (o) ar(*o);
}
template <class Archive, class T> void load_optional(Archive& ar, std::optional<T>& o) {
  if (load_flag(ar)) {
    o.reset();
  } else {
    T x{};
    ar(x);
    o = x;
  }
}

// One serialize for both directions (cereal archives say which by is_loading).
template <class Archive, class T> void optional_field(Archive& ar, std::optional<T>& o) {
  if constexpr (Archive::is_loading::value) load_optional(ar, o);
  else save_optional(ar, o);
}

}  // namespace skewless::inline v1::detail
