// skewless/kernels/fixed_prefix.hpp — exact sums of any range of a run of doubles, by
// prefix sums in fixed point.
//
// A window's exact sum (exact_sum.hpp) is kept by adding each entry as it enters and
// removing it as it leaves. A batch sweep knows all of a key's entries up front, so it
// can instead add each entry once into a running total and keep the total after each
// entry; the exact sum of entries [l, r) is then prefix[r] - prefix[l], one
// subtraction, for every window over the same entries. This is exact (and so gives the
// same rounded bits as exact_sum) when all the terms' bits fit one fixed-point word:
// 192-bit two's complement, aligned on exact_sum's 32-bit chunks, with room for the
// sum of all of them. Real data almost always fits (a key's amounts from 0.01 to 1e5
// and their squares span under 180 bits); build() says when a run does not (terms
// whose magnitudes are too far apart, an infinity or a NaN) and the caller falls back
// to exact_sum.
//
//   skewless::fixed_prefix p;
//   std::vector<double> v{1.0, 1e-10, 3.0};
//   p.build(v.size(), [&](std::size_t i, auto&& term) { term(v[i]); });   // true
//   skewless::exact_sum s;
//   p.range(1, 3, s);   // s is exactly 1e-10 + 3.0
#pragma once

#include <skewless/kernels/exact_sum.hpp>
#include <skewless/kernels/moments.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace skewless::inline v1 {

class fixed_prefix {
 public:
  // The most bits a sum may take (its magnitude is below 2^max_bits): the top 64-bit
  // word then stays under 2^62 in magnitude, as exact_sum's inline chunks must.
  static constexpr int max_bits = 190;

  // Prefix sums over n entries; terms(i, term) calls term(x) for each double x that
  // entry i contributes (one value, or a square's two parts). Returns false, holding
  // nothing, when a term is infinite or NaN or the terms do not fit max_bits.
  template <class Terms> bool build(std::size_t n, const Terms& terms) {
    prefix_.clear();
    bounds b;
    for (std::size_t i = 0; i < n; ++i) terms(i, [&](double x) { b.add(x); });
    if (!b.finite || !place(b.low, b.top, b.count)) return false;
    prefix_.resize(n + 1);
    word acc{};
    prefix_[0] = acc;
    for (std::size_t i = 0; i < n; ++i) {
      terms(i, [&](double x) { add(acc, x); });
      prefix_[i + 1] = acc;
    }
    return true;
  }

  // Prefix sums of the squares of n values, value(i) each, as add_square (moments.hpp)
  // adds them: x*x and its fma error, whose sum is x^2 exactly unless x^2 could
  // overflow or the error underflow. When every value is clear of both (a set bit no
  // lower than 2^-537, magnitude under 2^511), each exact square m^2 2^(2e) (x = m 2^e,
  // m odd) is added as one integer, with no fma; otherwise the two parts are.
  template <class Value> bool build_squares(std::size_t n, const Value& value) {
    prefix_.clear();
    bounds b;
    for (std::size_t i = 0; i < n; ++i) b.add(value(i));
    if (!b.finite) return false;
    if (b.top >= 0 && (b.low < 537 || b.top > 1585)) {
      return build(n, [&](std::size_t i, auto&& term) {
        const square_parts sq(value(i));
        term(sq.hi);
        term(sq.lo);
      });
    }
    // x^2 = m^2 2^(2e): its lowest set bit is at position 2 low - 1074 and it is below
    // position 2 top - 1074 (positions count from 2^-1074).
    if (!place(2 * b.low - 1074, 2 * b.top - 1074, b.count)) return false;
    prefix_.resize(n + 1);
    word acc{};
    prefix_[0] = acc;
    for (std::size_t i = 0; i < n; ++i) {
      const auto bits = std::bit_cast<std::uint64_t>(value(i));
      const auto biased = static_cast<int>((bits >> 52) & 0x7ff);
      std::uint64_t m = mantissa(bits, biased);
      if (m != 0) {
        const int zeros = std::countr_zero(m);
        m >>= zeros;
        const int low = biased - (biased != 0 ? 1 : 0) + zeros;  // x's lowest set bit
        add_shifted(acc, uint128{m} * m, 2 * low - 1074 - base_ * exact_sum::chunk_bits, 0);
      }
      prefix_[i + 1] = acc;
    }
    return true;
  }

  // The exact sum of entries [l, r) (l <= r <= n) into s, whatever s held.
  void range(std::size_t l, std::size_t r, exact_sum& s) const noexcept {
    const word& a = prefix_[r];
    const word& b = prefix_[l];
    const uint128 lo_a = low_of(a), lo_b = low_of(b);
    const uint128 lo = lo_a - lo_b;
    const std::uint64_t hi = a[2] - b[2] - (lo_a < lo_b ? 1 : 0);
    constexpr std::uint64_t low32 = 0xffffffffu;
    const auto d0 = static_cast<std::uint64_t>(lo), d1 = static_cast<std::uint64_t>(lo >> 64);
    s.assign_inline(
        {static_cast<std::int64_t>(d0 & low32), static_cast<std::int64_t>(d0 >> 32),
         static_cast<std::int64_t>(d1 & low32), static_cast<std::int64_t>(d1 >> 32), static_cast<std::int64_t>(hi)},
        base_);
  }

 private:
  using word = std::array<std::uint64_t, 3>;  // little-endian two's complement
  using uint128 = kernels_internal::uint128;

  static std::uint64_t mantissa(std::uint64_t b, int biased) noexcept {
    return (b & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{biased != 0 ? 1u : 0u} << 52);
  }

  static uint128 low_of(const word& w) noexcept { return (uint128{w[1]} << 64) | w[0]; }

  // Where a run's terms lie, as bit positions from 2^-1074: the lowest set bit and one
  // past the highest; how many terms are not zero; whether all are finite.
  struct bounds {
    int low = 1 << 20;
    int top = -1;
    std::size_t count = 0;
    bool finite = true;

    void add(double x) noexcept {
      const auto b = std::bit_cast<std::uint64_t>(x);
      const auto biased = static_cast<int>((b >> 52) & 0x7ff);
      if (biased == 0x7ff) {
        finite = false;
        return;
      }
      const std::uint64_t m = mantissa(b, biased);
      if (m == 0) return;
      const int pos = biased - (biased != 0 ? 1 : 0);
      low = std::min(low, pos + std::countr_zero(m));
      top = std::max(top, pos + static_cast<int>(std::bit_width(m)));
      ++count;
    }
  };

  // Chooses the word's base for `count` terms whose bits lie in positions [low, top)
  // (none when top < 0); false when their sum could need more than max_bits.
  bool place(int low, int top, std::size_t count) noexcept {
    base_ = top < 0 ? 0 : std::min(low / exact_sum::chunk_bits, exact_sum::chunk_count - exact_sum::inline_count);
    return top < 0 || top - base_ * exact_sum::chunk_bits + static_cast<int>(std::bit_width(count)) <= max_bits;
  }

  // acc += v * 2^shift, negated when `negative` is 1; v > 0, shift >= 0 and
  // v * 2^shift < 2^max_bits.
  static void add_shifted(word& acc, uint128 v, int shift, std::uint64_t negative) noexcept {
    uint128 t_lo = 0;
    std::uint64_t t_hi = 0;
    if (shift < 128) {
      t_lo = v << shift;
      t_hi = shift == 0 ? 0 : static_cast<std::uint64_t>(v >> (128 - shift));
    } else {
      t_hi = static_cast<std::uint64_t>(v) << (shift - 128);
    }
    // Two's complement negation without a branch (the low parts of squares have
    // random signs): ~t + 1 across the 192 bits.
    const std::uint64_t mask = 0 - negative;
    t_lo = (t_lo ^ ((uint128{mask} << 64) | mask)) + negative;
    t_hi = (t_hi ^ mask) + (negative != 0 && t_lo == 0 ? 1 : 0);
    const uint128 lo = low_of(acc);
    const uint128 sum = lo + t_lo;
    acc[0] = static_cast<std::uint64_t>(sum);
    acc[1] = static_cast<std::uint64_t>(sum >> 64);
    acc[2] += t_hi + (sum < lo ? 1 : 0);
  }

  // acc += x, x finite and its bits within the word (build checked them).
  void add(word& acc, double x) const noexcept {
    const auto b = std::bit_cast<std::uint64_t>(x);
    const auto biased = static_cast<int>((b >> 52) & 0x7ff);
    std::uint64_t m = mantissa(b, biased);
    if (m == 0) return;
    // m * 2^shift is |x| in the word's units, from its lowest set bit (the base may be
    // above the mantissa's bit 0).
    const int zeros = std::countr_zero(m);
    m >>= zeros;
    add_shifted(acc, m, biased - (biased != 0 ? 1 : 0) + zeros - base_ * exact_sum::chunk_bits, b >> 63);
  }

  std::vector<word> prefix_;
  int base_ = 0;  // chunk whose weight is the word's bit 0: 2^(32 base_ - 1074)
};

}  // namespace skewless::inline v1
