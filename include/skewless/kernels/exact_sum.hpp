// skewless/kernels/exact_sum.hpp — an exact accumulator for sums of doubles.
//
// exact_sum holds the exact real sum of the doubles added to it (and of the ones
// removed from it, subtracted), so adding in any order, merging partial sums, and
// subtract-on-evict all give the same state, and the result is rounded once:
// round() is the correctly rounded (nearest, ties to even) sum and divide_round(n)
// the correctly rounded sum / n. This is what makes every back-end agree to the bit.
//
//   skewless::exact_sum s;
//   s.add(1e300); s.add(1.0); s.add(-1e300);
//   s.round();            // 1.0, where naive summation gives 0.0
//   s.divide_round(3);    // the double nearest to 1/3
//
// Representation: a "small superaccumulator" (R. M. Neal, "Fast exact summation using
// small and large superaccumulators", arXiv:1505.05571, 2015): 32-bit digits kept in
// signed 64-bit chunks, so 2^30 additions fit before carries must be propagated.
// Chunk i weighs 2^(32 i - 1074); 67 chunks span every finite double with headroom.
// Infinities and NaNs are counted separately so that removing them is exact too.
#pragma once

#include <skewless/config.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>

namespace skewless::inline v1 {

namespace kernels_internal {

__extension__ using uint128 = unsigned __int128;  // GCC/Clang extension, silenced for -pedantic

// Rounds the non-negative value (L * 2^e0 + something in (0, 2^e0) if sticky) to the
// nearest double, ties to even, with subnormals and overflow to infinity. L is a
// little-endian array of n 32-bit limbs. Requires: if sticky, the result grid's unit is
// at least 4 * 2^e0 (callers keep two guard bits), so sticky only breaks ties.
[[nodiscard]] inline double round_limbs(const std::uint32_t* limbs, int n, int e0,
                                        bool sticky, bool negative) noexcept {
  int top = n - 1;
  while (top >= 0 && limbs[top] == 0) --top;
  std::uint64_t q = 0;
  int e = e0;
  if (top >= 0) {
    const int p = top * 32 + (32 - std::countl_zero(limbs[top]));  // bit length
    const int shift = (p - 1 + e0 >= -1022) ? p - 53 : -1074 - e0;
    auto bit_at = [&](int i) -> std::uint64_t {
      if (i < 0 || i >= n * 32) return 0;
      return (limbs[i / 32] >> (i % 32)) & 1u;
    };
    if (shift <= 0) {
      for (int i = p - 1; i >= 0; --i) q = (q << 1) | bit_at(i);
      q <<= -shift;
      e = e0 + shift;
    } else {
      for (int i = p - 1; i >= shift; --i) q = (q << 1) | bit_at(i);
      const bool round_bit = bit_at(shift - 1) != 0;
      bool below = sticky;
      const int guard = shift - 1;  // bits [0, guard) are below the round bit
      for (int w = 0; w < guard / 32 && !below; ++w) below = limbs[w] != 0;
      if (!below && guard % 32 != 0 && guard / 32 < n) {
        below = (limbs[guard / 32] & ((std::uint32_t{1} << (guard % 32)) - 1)) != 0;
      }
      e = e0 + shift;
      if (round_bit && (below || (q & 1) != 0)) {
        ++q;
        if (q == (std::uint64_t{1} << 53)) {
          q >>= 1;
          ++e;
        }
      }
    }
  }
  std::uint64_t bits = 0;
  constexpr std::uint64_t hidden = std::uint64_t{1} << 52;
  if (q == 0) {
    bits = 0;
  } else if (q < hidden) {
    bits = q;  // subnormal (e == -1074): the fraction field is q itself
  } else {
    const std::int64_t biased = std::int64_t{e} + 1075;
    bits = biased >= 2047 ? (std::uint64_t{2047} << 52)
                          : (static_cast<std::uint64_t>(biased) << 52) | (q - hidden);
  }
  if (negative && q != 0) bits |= std::uint64_t{1} << 63;
  return std::bit_cast<double>(bits);
}

}  // namespace kernels_internal

class exact_sum {
 public:
  static constexpr int chunk_bits = 32;
  static constexpr int chunk_count = 67;

  constexpr exact_sum() noexcept = default;

  void add(double x) noexcept { accumulate(x, +1); }
  void remove(double x) noexcept { accumulate(x, -1); }

  void merge(const exact_sum& other) noexcept { combine(other, +1); }
  void subtract(const exact_sum& other) noexcept { combine(other, -1); }

  // The correctly rounded value of the exact sum. An exact zero is +0.0; +inf and
  // -inf together, or any NaN added, give NaN.
  [[nodiscard]] double round() const noexcept {
    if (auto special = special_value()) return *special;
    return rounded_quotient(1);
  }

  // The correctly rounded value of (exact sum) / divisor, divisor > 0.
  [[nodiscard]] double divide_round(std::uint64_t divisor) const noexcept {
    if (auto special = special_value()) return *special;
    return rounded_quotient(divisor);
  }

  [[nodiscard]] bool is_empty_sum() const noexcept {
    if (pos_inf_ != 0 || neg_inf_ != 0 || nan_ != 0) return false;
    for (auto c : chunk_) {
      if (c != 0) return false;
    }
    return true;
  }

  // Same exact value, whatever the history of additions (state in canonical form).
  friend bool operator==(const exact_sum& a, const exact_sum& b) noexcept {
    exact_sum x = a, y = b;
    x.normalize();
    y.normalize();
    return x.chunk_ == y.chunk_ && x.pos_inf_ == y.pos_inf_ && x.neg_inf_ == y.neg_inf_ &&
           x.nan_ == y.nan_;
  }

  // Serialization hooks (used by serial/ through cereal). Writes the canonical form.
  template <class Archive>
  void save(Archive& ar) const {
    exact_sum x = *this;
    x.normalize();
    ar(x.pos_inf_, x.neg_inf_, x.nan_);
    // Sparse: count of nonzero chunks, then (index, value) pairs.
    std::uint32_t nonzero = 0;
    for (auto c : x.chunk_) nonzero += c != 0;
    ar(nonzero);
    for (std::uint32_t i = 0; i < chunk_count; ++i) {
      if (x.chunk_[i] != 0) ar(i, x.chunk_[i]);
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    exact_sum x;
    ar(x.pos_inf_, x.neg_inf_, x.nan_);
    std::uint32_t nonzero = 0;
    ar(nonzero);
    if (nonzero > chunk_count) throw_invalid();
    for (std::uint32_t k = 0; k < nonzero; ++k) {
      std::uint32_t i = 0;
      std::int64_t v = 0;
      ar(i, v);
      if (i >= chunk_count) throw_invalid();
      x.chunk_[i] = v;
    }
    *this = x;
  }

 private:
  [[noreturn]] static void throw_invalid() {
    throw std::runtime_error("skewless: corrupt exact_sum in archive");
  }

  void accumulate(double x, int sign) noexcept {
    const auto b = std::bit_cast<std::uint64_t>(x);
    const auto biased = static_cast<int>((b >> 52) & 0x7ff);
    const bool neg = (b >> 63) != 0;
    if (biased == 0x7ff) {
      if ((b & ((std::uint64_t{1} << 52) - 1)) != 0) {
        nan_ += sign;
      } else if (neg) {
        neg_inf_ += sign;
      } else {
        pos_inf_ += sign;
      }
      return;
    }
    std::uint64_t m = b & ((std::uint64_t{1} << 52) - 1);
    if (biased != 0) m |= std::uint64_t{1} << 52;
    if (m == 0) return;  // +-0 adds nothing
    const int pos = biased == 0 ? 0 : biased - 1;  // weight of m's bit 0 is 2^(pos-1074)
    const int idx = pos / chunk_bits;
    const auto v = static_cast<kernels_internal::uint128>(m) << (pos % chunk_bits);
    const auto lo = static_cast<std::int64_t>(static_cast<std::uint32_t>(v));
    const auto mid = static_cast<std::int64_t>(static_cast<std::uint32_t>(v >> 32));
    const auto hi = static_cast<std::int64_t>(v >> 64);
    const std::int64_t s = (neg ? -1 : 1) * sign;
    chunk_[idx] += s * lo;
    chunk_[idx + 1] += s * mid;
    chunk_[idx + 2] += s * hi;
    if (++pending_ >= (1u << 30)) normalize();
  }

  void combine(const exact_sum& other, int sign) noexcept {
    exact_sum o = other;
    o.normalize();
    normalize();
    for (int i = 0; i < chunk_count; ++i) chunk_[i] += sign * o.chunk_[i];
    pos_inf_ += sign * o.pos_inf_;
    neg_inf_ += sign * o.neg_inf_;
    nan_ += sign * o.nan_;
    normalize();
  }

  // Carry propagation: afterwards chunks 0..n-2 are in [0, 2^32) and the top chunk
  // carries the sign. Every exact value has exactly one such form.
  void normalize() noexcept {
    for (int i = 0; i + 1 < chunk_count; ++i) {
      const std::int64_t carry = chunk_[i] >> chunk_bits;  // floor division
      chunk_[i] -= carry * (std::int64_t{1} << chunk_bits);
      chunk_[i + 1] += carry;
    }
    pending_ = 0;
  }

  // NaN if any NaN is present or both infinities are; else the infinity present.
  [[nodiscard]] std::optional<double> special_value() const noexcept {
    if (nan_ != 0 || (pos_inf_ != 0 && neg_inf_ != 0)) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (pos_inf_ != 0) return std::numeric_limits<double>::infinity();
    if (neg_inf_ != 0) return -std::numeric_limits<double>::infinity();
    return std::nullopt;
  }

  [[nodiscard]] double rounded_quotient(std::uint64_t divisor) const noexcept {
    exact_sum x = *this;
    x.normalize();
    const bool negative = x.chunk_[chunk_count - 1] < 0;
    if (negative) {
      for (auto& c : x.chunk_) c = -c;
      x.normalize();
    }
    // Magnitude as 32-bit limbs, with room to shift left for the quotient's bits.
    constexpr int extra = 4;  // up to 128 bits of left shift
    std::array<std::uint32_t, chunk_count + extra> limbs{};
    for (int i = 0; i < chunk_count; ++i) limbs[i] = static_cast<std::uint32_t>(x.chunk_[i]);
    if (divisor == 1) {
      return kernels_internal::round_limbs(limbs.data(), chunk_count, -1074, false, negative);
    }
    // Shift left by s so that the quotient has at least 55 bits (two guard bits), then
    // long-divide by the divisor; a non-zero remainder is the sticky bit.
    int top = chunk_count - 1;
    while (top >= 0 && limbs[top] == 0) --top;
    if (top < 0) return 0.0;
    const int p = top * 32 + (32 - std::countl_zero(limbs[top]));
    const int q = 64 - std::countl_zero(divisor);
    int s = 56 - (p - q);
    if (s < 2) s = 2;
    const int n = chunk_count + extra;
    std::array<std::uint32_t, chunk_count + extra> shifted{};
    const int word = s / 32, bit = s % 32;
    for (int i = n - 1; i >= 0; --i) {
      std::uint64_t v = 0;
      if (i - word >= 0) v = static_cast<std::uint64_t>(limbs[i - word]) << bit;
      if (bit != 0 && i - word - 1 >= 0) v |= limbs[i - word - 1] >> (32 - bit);
      shifted[i] = static_cast<std::uint32_t>(v);
    }
    kernels_internal::uint128 rem = 0;
    for (int i = n - 1; i >= 0; --i) {
      rem = (rem << 32) | shifted[i];
      shifted[i] = static_cast<std::uint32_t>(rem / divisor);
      rem %= divisor;
    }
    return kernels_internal::round_limbs(shifted.data(), n, -1074 - s, rem != 0, negative);
  }

  std::array<std::int64_t, chunk_count> chunk_{};
  std::int64_t pos_inf_ = 0;
  std::int64_t neg_inf_ = 0;
  std::int64_t nan_ = 0;
  std::uint32_t pending_ = 0;
};

}  // namespace skewless::inline v1
