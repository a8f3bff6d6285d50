// skewless/detail/sequence_archive.hpp — internal; do not rely on anything here.
//
// The one archive form of skewless's own sequences (queue_vector, small_vector): a u64
// length, then the elements. A length the bytes left cannot hold, or beyond 2^40, is
// refused as corrupt before anything is allocated.
#pragma once

#include <skewless/detail/archive.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace skewless::inline v1::detail {

template <class Archive, class Seq> void save_sequence(Archive& ar, const Seq& seq) {
  const std::uint64_t n = seq.size();
  ar(n);
  for (std::size_t i = 0; i < seq.size(); ++i) ar(seq[i]);
}

template <class Archive, class Seq> void load_sequence(Archive& ar, Seq& seq) {
  // Bounded by the bytes left (an element takes at least 8), and grown element by
  // element, so a length alone allocates nothing.
  const std::uint64_t n = load_length(ar, 8);
  if (n > (std::uint64_t{1} << 40)) throw std::runtime_error("skewless: corrupt sequence length");
  seq.clear();
  for (std::uint64_t i = 0; i < n; ++i) {
    typename Seq::value_type x{};
    ar(x);
    seq.push_back(x);
  }
}

}  // namespace skewless::inline v1::detail
