// skewless/detail/sequence_archive.hpp — internal; do not rely on anything here.
//
// The one archive form of skewless's own sequences (queue_vector, small_vector): a u64
// length, then the elements. A length beyond 2^40 is refused as corrupt before anything
// is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace skewless::inline v1::detail {

template <class Archive, class Seq>
void save_sequence(Archive& ar, const Seq& seq) {
  const std::uint64_t n = seq.size();
  ar(n);
  for (std::size_t i = 0; i < seq.size(); ++i) ar(seq[i]);
}

template <class Archive, class Seq>
void load_sequence(Archive& ar, Seq& seq) {
  std::uint64_t n = 0;
  ar(n);
  if (n > (std::uint64_t{1} << 40)) throw std::runtime_error("skewless: corrupt sequence length");
  seq.clear();
  for (std::uint64_t i = 0; i < n; ++i) {
    typename Seq::value_type x{};
    ar(x);
    seq.push_back(x);
  }
}

}  // namespace skewless::inline v1::detail
