// tests/kernels/scaled_integer.hpp — exact big-integer view of a double, for the
// oracles of the exact-arithmetic kernels (independent of the library's code).
#pragma once

#include <boost/multiprecision/cpp_int.hpp>

#include <bit>
#include <cstdint>

namespace skewless_test {

// x * 2^1074 as an exact integer (x finite).
inline boost::multiprecision::cpp_int scaled_integer(double x) {
  using boost::multiprecision::cpp_int;
  const auto b = std::bit_cast<std::uint64_t>(x);
  const int biased = static_cast<int>((b >> 52) & 0x7ff);
  std::uint64_t m = b & ((std::uint64_t{1} << 52) - 1);
  if (biased != 0) m |= std::uint64_t{1} << 52;
  cpp_int v = m;
  v <<= (biased == 0 ? 0 : biased - 1);
  return (b >> 63) ? cpp_int(-v) : v;
}

}  // namespace skewless_test
