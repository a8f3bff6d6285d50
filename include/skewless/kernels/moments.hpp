// skewless/kernels/moments.hpp — variance from exact sums, rounded once.
//
// Over a window of n values x_i, with S1 = sum x_i and S2 = sum x_i^2 held exactly:
//
//   var_pop  = (n * S2 - S1^2) / n^2
//   var_samp = (n * S2 - S1^2) / (n * (n - 1))
//
// evaluated in exact integer arithmetic and rounded once to the nearest double (ties to
// even). Both sums are order-free and removable, so every back-end and every window
// algorithm gives the same bits. Each square enters S2 as the exact pair
// (x*x, fma(x, x, -x*x)); that is exact when 2^-485 <= |x| < 2^512 (about 1e-146 to
// 1e154). Outside that range the rounded square is used: a square that overflows makes
// the variance +inf, and tiny values lose their last bits the same way everywhere.
// An infinite x makes the variance NaN; fewer than 1 (pop) or 2 (samp) values give NaN.
//
//   skewless::exact_sum s1, s2;
//   for (double x : {1.0, 2.0, 4.0}) { s1.add(x); skewless::add_square(s2, x); }
//   skewless::variance_round(3, s1, s2, false);   // 7/3 correctly rounded
#pragma once

#include <skewless/kernels/exact_sum.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace skewless::inline v1 {

// The two doubles whose exact sum stands for x^2 in S2: x*x and the two-product's
// error fma(x, x, -x*x) (0 when x*x is not finite).
struct square_parts {
  double hi;
  double lo;
  explicit square_parts(double x) noexcept : hi(x * x), lo(std::isfinite(hi) ? std::fma(x, x, -hi) : 0.0) {}
};

// Adds (removes) x^2 to (from) an exact sum as the exact two-product of x with itself.
inline void add_square(exact_sum& s, double x, int sign = +1) noexcept {
  const square_parts sq(x);
  if (sign > 0) {
    s.add(sq.hi);
    s.add(sq.lo);
  } else {
    s.remove(sq.hi);
    s.remove(sq.lo);
  }
}
inline void remove_square(exact_sum& s, double x) noexcept {
  add_square(s, x, -1);
}

namespace kernels_internal {

// A fixed-capacity unsigned integer of 32-bit limbs, little-endian; enough for the
// square of any exact sum (2 x 69 limbs) shifted for rounding. No allocation; limbs
// at and above n are not read (and not initialised: most values use a few of them).
struct wide_uint {
  static constexpr int capacity = 150;
  std::array<std::uint32_t, capacity> limb;
  int n = 0;  // limbs in use; limb[n - 1] != 0 unless n == 0

  void trim() noexcept {
    while (n > 0 && limb[static_cast<std::size_t>(n - 1)] == 0) --n;
  }
  [[nodiscard]] int bit_length() const noexcept {
    return n == 0 ? 0 : 32 * (n - 1) + (32 - std::countl_zero(limb[static_cast<std::size_t>(n - 1)]));
  }
};

inline void wide_from_limbs(wide_uint& w, const std::uint32_t* l, int n) noexcept {
  w.n = n;
  for (int i = 0; i < n; ++i) w.limb[static_cast<std::size_t>(i)] = l[i];
  w.trim();
}

inline void wide_mul(wide_uint& out, const wide_uint& a, const wide_uint& b) noexcept {
  out.n = a.n + b.n;
  std::fill_n(out.limb.begin(), out.n, 0u);
  for (int i = 0; i < a.n; ++i) {
    std::uint64_t carry = 0;
    const std::uint64_t ai = a.limb[static_cast<std::size_t>(i)];
    for (int j = 0; j < b.n; ++j) {
      auto& o = out.limb[static_cast<std::size_t>(i + j)];
      const std::uint64_t cur = ai * b.limb[static_cast<std::size_t>(j)] + o + carry;
      o = static_cast<std::uint32_t>(cur);
      carry = cur >> 32;
    }
    out.limb[static_cast<std::size_t>(i + b.n)] = static_cast<std::uint32_t>(carry);
  }
  out.trim();
}

inline void wide_mul_small(wide_uint& w, std::uint64_t m) noexcept {
  uint128 carry = 0;
  for (int i = 0; i < w.n; ++i) {
    const uint128 cur = static_cast<uint128>(w.limb[static_cast<std::size_t>(i)]) * m + carry;
    w.limb[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(cur);
    carry = cur >> 32;
  }
  while (carry != 0) {
    w.limb[static_cast<std::size_t>(w.n++)] = static_cast<std::uint32_t>(carry);
    carry >>= 32;
  }
}

inline void wide_shift_left(wide_uint& w, int bits) noexcept {
  if (w.n == 0 || bits == 0) return;
  const int words = bits / 32, b = bits % 32;
  const int n = w.n + words + 1;
  for (int i = n - 1; i >= 0; --i) {
    const int src = i - words;
    std::uint64_t v = 0;
    if (src >= 0 && src < w.n) v = static_cast<std::uint64_t>(w.limb[static_cast<std::size_t>(src)]) << b;
    if (b != 0 && src - 1 >= 0 && src - 1 < w.n) v |= w.limb[static_cast<std::size_t>(src - 1)] >> (32 - b);
    w.limb[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(v);
  }
  w.n = n;
  w.trim();
}

[[nodiscard]] inline int wide_compare(const wide_uint& a, const wide_uint& b) noexcept {
  if (a.n != b.n) return a.n < b.n ? -1 : 1;
  for (int i = a.n - 1; i >= 0; --i) {
    const auto x = a.limb[static_cast<std::size_t>(i)], y = b.limb[static_cast<std::size_t>(i)];
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// a -= b, requires a >= b.
inline void wide_sub(wide_uint& a, const wide_uint& b) noexcept {
  std::int64_t borrow = 0;
  for (int i = 0; i < a.n; ++i) {
    std::int64_t cur = static_cast<std::int64_t>(a.limb[static_cast<std::size_t>(i)]) - borrow -
                       (i < b.n ? static_cast<std::int64_t>(b.limb[static_cast<std::size_t>(i)]) : 0);
    borrow = cur < 0 ? 1 : 0;
    a.limb[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(cur + (borrow << 32));
  }
  a.trim();
}

// w /= d, returns whether the remainder was non-zero.
inline bool wide_div_small(wide_uint& w, std::uint64_t d) noexcept {
  if (d <= 0xffffffffu) {
    // Each step's dividend, rem * 2^32 + limb with rem < d, fits in 64 bits: no
    // 128-bit division (a library call).
    std::uint64_t rem = 0;
    for (int i = w.n - 1; i >= 0; --i) {
      const std::uint64_t cur = (rem << 32) | w.limb[static_cast<std::size_t>(i)];
      w.limb[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(cur / d);
      rem = cur % d;
    }
    w.trim();
    return rem != 0;
  }
  uint128 rem = 0;
  for (int i = w.n - 1; i >= 0; --i) {
    rem = (rem << 32) | w.limb[static_cast<std::size_t>(i)];
    w.limb[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(rem / d);
    rem %= d;
  }
  w.trim();
  return rem != 0;
}

}  // namespace kernels_internal

// The correctly rounded variance of n values with exact sums s1 (of x) and s2 (of x^2,
// built with add_square): divided by n (population) or n - 1 (sample).
[[nodiscard]] inline double variance_round(std::uint64_t n, const exact_sum& s1, const exact_sum& s2,
                                           bool sample) noexcept {
  using namespace kernels_internal;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (n == 0 || (sample && n == 1)) return nan;
  if (s1.special()) return nan;                                      // an infinite value
  if (s2.special()) return std::numeric_limits<double>::infinity();  // a square overflowed
  const auto v1 = s1.value();
  const auto v2 = s2.value();
  // X = S1^2 = A^2 2^(2 a), Y = n S2 = n B 2^b, both as integers over 2^e.
  wide_uint x, y;
  {
    wide_uint a;
    wide_from_limbs(a, v1.limbs.data(), v1.n);
    wide_mul(x, a, a);
  }
  wide_from_limbs(y, v2.limbs.data(), v2.n);
  wide_mul_small(y, n);
  const int ex = 2 * v1.e0, ey = v2.e0;
  const int e = std::min(ex, ey);
  wide_shift_left(x, ex - e);
  wide_shift_left(y, ey - e);
  // N = Y - X, with Y's sign (S2 >= 0 mathematically; its rounded squares may not be).
  if (v2.negative) return 0.0;
  const int c = wide_compare(y, x);
  if (c <= 0) return 0.0;  // exactly zero (or below zero through rounded tiny squares)
  wide_sub(y, x);
  // The quotient by n and by n or n - 1 needs only its top 55 bits and whether
  // anything is left (the sticky bit): keep `need` bits of N (57 more than the
  // divisors'), dropping whole limbs below them into the sticky bit, or shift N up to
  // them. floor(N / d) of the kept bits is the exact quotient's integer part, and the
  // quotient is inexact exactly when a remainder or a dropped bit is non-zero.
  const std::uint64_t m = sample ? n - 1 : n;
  const int need = 58 + static_cast<int>(std::bit_width(n) + std::bit_width(m));
  int low = e;  // weight of y's bit 0
  bool inexact = false;
  int len = y.bit_length();
  if (len > need + 32) {
    const int drop = (len - need) / 32;
    for (int i = 0; i < drop && !inexact; ++i) inexact = y.limb[static_cast<std::size_t>(i)] != 0;
    std::copy(y.limb.begin() + drop, y.limb.begin() + y.n, y.limb.begin());
    y.n -= drop;
    low += 32 * drop;
    len -= 32 * drop;
  }
  const int s = std::max(0, need - len);
  wide_shift_left(y, s);
  if (y.n <= 4 && n <= 0xffffffffu) {
    // The kept bits fit 128 and n m fits 64 (windows under 2^32 values): one
    // 128-by-64-bit division; the quotient is at least 2^57.
    uint128 v = 0;
    for (int i = y.n - 1; i >= 0; --i) v = (v << 32) | y.limb[static_cast<std::size_t>(i)];
    const std::uint64_t d = n * m;
    const uint128 q = v / d;
    inexact = inexact || v - q * d != 0;
    return round_u128(q, low - s, inexact, false);
  }
  // floor(floor(y / n) / m) = floor(y / (n m)), inexact exactly when either step is:
  // one division when n m fits in 32 bits (windows of up to 65,536 values).
  if (n <= 0xffffu && m <= 0xffffu) {
    inexact = wide_div_small(y, n * m) || inexact;
  } else {
    inexact = wide_div_small(y, n) || inexact;
    inexact = wide_div_small(y, m) || inexact;
  }
  return round_limbs(y.limb.data(), y.n, low - s, inexact, false);
}

}  // namespace skewless::inline v1
