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
// Compact form: typical windows touch only a few adjacent chunks, so five of them are
// held inline (at a movable base) and the full 67 are allocated only when the values
// spread wider — 88 bytes instead of 560 for the common case, and rounding reads only
// the inline chunks. Infinities and NaNs are counted separately so that removing them
// is exact too.
#pragma once

#include <skewless/config.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

namespace skewless::inline v1 {

namespace kernels_internal {

__extension__ using uint128 = unsigned __int128;  // GCC/Clang extension, silenced for -pedantic

// Rounds (t + something in (0, 1) if sticky) * 2^e, negated if negative, to the
// nearest double, ties to even, with subnormals and overflow to infinity; t != 0, so
// the value is never an exact zero and keeps its sign even when it rounds to zero
// (-0.0, as IEEE does). Requires t >= 2^63 (normalized), so that the result keeps at
// most 53 of t's 64 bits and sticky only breaks ties. The one rounding routine.
[[nodiscard]] inline double round_u64(std::uint64_t t, int e, bool sticky, bool negative) noexcept {
  // The result's unit: 2^(e + 11) for a normal result, 2^-1074 below the normal range.
  const int shift = e + 63 >= -1022 ? 11 : -1074 - e;
  std::uint64_t bits = 0;
  if (shift < 64) [[likely]] {
    // Branch-free: whether to round up depends on the data and would mispredict.
    const std::uint64_t q = t >> shift;
    const std::uint64_t half = std::uint64_t{1} << (shift - 1);
    const std::uint64_t rest = t & ((half << 1) - 1);
    const std::uint64_t up = (rest >= half ? 1u : 0u) & ((sticky || (rest & (half - 1)) != 0 ? 1u : 0u) | (q & 1));
    // (exponent field - 1) << 52 plus q (whose bit 52 is the hidden bit) is the
    // double's bits; adding the round-up carries into the exponent when q overflows
    // 53 bits, up to infinity. For a subnormal, field == 0 and q < 2^52.
    const int field = e + shift + 1074;  // >= 0
    constexpr std::uint64_t inf_bits = std::uint64_t{2047} << 52;
    bits = field >= 2047 ? inf_bits : std::min((static_cast<std::uint64_t>(field) << 52) + q + up, inf_bits);
  } else if (shift == 64) {  // t / 2^64 is in [1/2, 1): 0 or the least subnormal
    bits = (t > (std::uint64_t{1} << 63) || sticky) ? 1 : 0;
  }
  if (negative) bits |= std::uint64_t{1} << 63;  // t != 0: even -0.0 when it underflows
  return std::bit_cast<double>(bits);
}

// round_u64 for a 128-bit q >= 2^55 (so that sticky only breaks ties): q's top 64 bits,
// any set bit below them joining the sticky bit.
[[nodiscard]] inline double round_u128(uint128 q, int e, bool sticky, bool negative) noexcept {
  const auto qh = static_cast<std::uint64_t>(q >> 64), ql = static_cast<std::uint64_t>(q);
  if (qh == 0) {
    const int z = std::countl_zero(ql);
    return round_u64(ql << z, e - z, sticky, negative);
  }
  const int z = std::countl_zero(qh);
  const std::uint64_t t = z == 0 ? qh : (qh << z) | (ql >> (64 - z));
  return round_u64(t, e + 64 - z, sticky || (ql << z) != 0, negative);
}

// Rounds the value (L * 2^e0 + something in (0, 2^e0) if sticky), negated if
// negative, as round_u64 does; an exact zero is +0.0. L is a little-endian array of n
// 32-bit limbs. Requires: if sticky, the result grid's unit is at least 4 * 2^e0
// (callers keep two guard bits), so sticky only breaks ties.
[[nodiscard]] inline double round_limbs(const std::uint32_t* limbs, int n, int e0, bool sticky,
                                        bool negative) noexcept {
  int top = n - 1;
  while (top >= 0 && limbs[top] == 0) --top;
  if (top < 0) return 0.0;
  const int p = top * 32 + (32 - std::countl_zero(limbs[top]));  // bit length
  // The 64 bits of L below its top (zeros below bit 0), and whether any bit under
  // them is set.
  const int lo = p - 64;
  const int first = lo >= 0 ? lo / 32 : -((-lo + 31) / 32);
  uint128 w = 0;
  for (int k = 2; k >= 0; --k) {
    const int li = first + k;
    w = (w << 32) | ((li >= 0 && li < n) ? limbs[li] : 0u);
  }
  const auto t = static_cast<std::uint64_t>(w >> (lo - first * 32));
  bool below = sticky;
  for (int i = 0; i < lo / 32 && !below; ++i) below = limbs[i] != 0;
  if (!below && lo > 0 && lo % 32 != 0) {
    below = (limbs[lo / 32] & ((std::uint32_t{1} << (lo % 32)) - 1)) != 0;
  }
  return round_u64(t, e0 + lo, below, negative);
}

}  // namespace kernels_internal

class exact_sum {
 public:
  static constexpr int chunk_bits = 32;
  static constexpr int chunk_count = 67;  // chunk i weighs 2^(32 i - 1074)
  static constexpr int inline_count = 5;  // chunks held without allocation

  exact_sum() noexcept = default;
  exact_sum(const exact_sum& o) { *this = o; }
  exact_sum(exact_sum&&) noexcept = default;
  exact_sum& operator=(exact_sum&&) noexcept = default;
  exact_sum& operator=(const exact_sum& o) {
    if (this == &o) return *this;
    inline_ = o.inline_;
    base_ = o.base_;
    pending_ = o.pending_;
    spilled_ = o.spilled_;
    if (o.rare_) {
      if (!rare_) rare_ = std::make_unique<rare_part>();
      *rare_ = *o.rare_;
    } else {
      rare_.reset();
    }
    return *this;
  }

  void add(double x) noexcept { accumulate(x, +1); }
  void remove(double x) noexcept { accumulate(x, -1); }

  void merge(const exact_sum& other) { combine(other, +1); }
  void subtract(const exact_sum& other) { combine(other, -1); }

  // Sets the sum to sum(chunks[i] * 2^(32 (base + i) - 1074)), i < inline_count: an
  // exact value a caller built in fixed point (fixed_prefix.hpp). Requires every
  // |chunks[i]| < 2^62 and 0 <= base <= chunk_count - inline_count.
  void assign_inline(const std::array<std::int64_t, 5>& chunks, int base) noexcept {
    static_assert(inline_count == 5, "assign_inline takes five chunks");
    inline_ = chunks;
    base_ = static_cast<std::int16_t>(base);
    spilled_ = false;
    rare_.reset();
    // The chunks may be near 2^62: normalize at the next add, before one can overflow.
    pending_ = (1u << 30) - 1;
  }

  // The correctly rounded value of the exact sum. An exact zero is +0.0; +inf and
  // -inf together, or any NaN added, give NaN.
  [[nodiscard]] double round() const noexcept { return divide_round(1); }

  // The correctly rounded value of (exact sum) / divisor, divisor > 0.
  [[nodiscard]] double divide_round(std::uint64_t divisor) const noexcept {
    if (auto special = special_value()) return *special;
    if (spilled_) return rounded_quotient(rare_->full.data(), chunk_count, 0, divisor);
    return inline_quotient(divisor);
  }

  // The finite part of the sum as a magnitude: limbs[0..n) little-endian 32-bit, with
  // value (negative ? -1 : 1) * limbs * 2^e0. For exact arithmetic beyond rounding
  // (variance). Infinities and NaNs are reported by special() instead.
  struct exact_value {
    std::array<std::uint32_t, chunk_count + 2> limbs;  // [0, n) set by value()
    int n = 0;
    int e0 = 0;
    bool negative = false;
  };
  [[nodiscard]] exact_value value() const noexcept {
    exact_value v;
    if (spilled_) {
      v.negative = to_magnitude(rare_->full.data(), chunk_count, v.limbs.data());
      v.n = chunk_count + 2;
      v.e0 = -1074;
    } else {
      v.negative = to_magnitude(inline_.data(), inline_count, v.limbs.data());
      v.n = inline_count + 2;
      v.e0 = 32 * base_ - 1074;
    }
    while (v.n > 0 && v.limbs[static_cast<std::size_t>(v.n - 1)] == 0) --v.n;
    // Zero limbs at the bottom (a spilled sum's are from 2^-1074 up) only cost the
    // arithmetic on the value: move them into e0.
    int low = 0;
    while (low < v.n && v.limbs[static_cast<std::size_t>(low)] == 0) ++low;
    if (low != 0) {
      std::copy(v.limbs.begin() + low, v.limbs.begin() + v.n, v.limbs.begin());
      v.n -= low;
      v.e0 += 32 * low;
    }
    return v;
  }
  // NaN if a NaN was added or both infinities were; else the infinity added, if any.
  [[nodiscard]] std::optional<double> special() const noexcept { return special_value(); }

  // True while the state fits the inline chunks and holds no infinity or NaN (no heap
  // memory).
  [[nodiscard]] bool is_inline() const noexcept { return !rare_; }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return rare_ ? sizeof(rare_part) : 0; }

  // Same exact value (and the same infinities and NaNs), whatever the history.
  friend bool operator==(const exact_sum& a, const exact_sum& b) noexcept {
    return a.canonical() == b.canonical() && a.specials() == b.specials();
  }

  // Serialization hooks (used by serial/ through cereal): the canonical chunks,
  // sparse, so the bytes depend only on the exact value.
  template <class Archive> void save(Archive& ar) const {
    const full_array c = canonical();
    const specials_count k = specials();
    ar(k.pos_inf, k.neg_inf, k.nan);
    std::uint32_t nonzero = 0;
    for (auto v : c) nonzero += v != 0;
    ar(nonzero);
    for (std::uint32_t i = 0; i < chunk_count; ++i) {
      if (c[i] != 0) ar(i, c[i]);
    }
  }
  // Refuses anything save() cannot have written for a sum of at most 2^64 values:
  // negative counts of infinities or NaNs, chunks out of order, zero, or outside their
  // canonical range (chunks below the top in [0, 2^32); the top one, of weight 2^1038,
  // under 2^50 in magnitude, since 2^64 doubles sum to less than 2^1088). Within those
  // bounds no carry, negation or merge overflows.
  template <class Archive> void load(Archive& ar) {
    exact_sum x;
    specials_count k;
    ar(k.pos_inf, k.neg_inf, k.nan);
    if (k.pos_inf < 0 || k.neg_inf < 0 || k.nan < 0) throw_invalid();
    std::uint32_t nonzero = 0;
    ar(nonzero);
    if (nonzero > chunk_count) throw_invalid();
    full_array c{};
    std::int64_t previous = -1;
    for (std::uint32_t k = 0; k < nonzero; ++k) {
      std::uint32_t i = 0;
      std::int64_t v = 0;
      ar(i, v);
      if (i >= chunk_count || static_cast<std::int64_t>(i) <= previous || v == 0) throw_invalid();
      const bool top = i == chunk_count - 1;
      if (top ? (v <= -(std::int64_t{1} << 50) || v >= (std::int64_t{1} << 50))
              : (v < 0 || v >= (std::int64_t{1} << chunk_bits))) {
        throw_invalid();
      }
      previous = i;
      c[i] = v;
    }
    x.store(c);
    x.add_specials(k, +1);
    *this = std::move(x);
  }
  // Whether no more than n infinities of each sign and n NaNs were added: a restore
  // checks it against the number of entries, which also keeps merges from overflowing.
  [[nodiscard]] bool specials_at_most(std::uint64_t n) const noexcept {
    const specials_count k = specials();
    return static_cast<std::uint64_t>(k.pos_inf) <= n && static_cast<std::uint64_t>(k.neg_inf) <= n &&
           static_cast<std::uint64_t>(k.nan) <= n;
  }
  // Whether the sum is exactly zero with no infinity or NaN in it.
  [[nodiscard]] bool is_zero() const noexcept {
    if (specials() != specials_count{}) return false;
    const full_array c = canonical();
    for (auto v : c) {
      if (v != 0) return false;
    }
    return true;
  }

 private:
  using full_array = std::array<std::int64_t, chunk_count>;
  // How many infinities of each sign and NaNs were added (less those removed).
  struct specials_count {
    std::int64_t pos_inf = 0;
    std::int64_t neg_inf = 0;
    std::int64_t nan = 0;
    friend bool operator==(const specials_count&, const specials_count&) = default;
  };
  // What almost no sum needs, kept off the inline state: the infinities and NaNs, and
  // all the chunks once the values span too many of them for inline_.
  struct rare_part {
    specials_count specials;
    full_array full{};  // the chunks, while spilled_
  };

  [[nodiscard]] specials_count specials() const noexcept { return rare_ ? rare_->specials : specials_count{}; }
  rare_part& rare() {
    if (!rare_) rare_ = std::make_unique<rare_part>();
    return *rare_;
  }
  // Frees the rare part once it holds nothing.
  void drop_rare_if_unused() noexcept {
    if (rare_ && !spilled_ && rare_->specials == specials_count{}) rare_.reset();
  }
  void add_specials(const specials_count& k, int sign) {
    if (k == specials_count{}) return;
    specials_count& r = rare().specials;
    r.pos_inf += sign * k.pos_inf;
    r.neg_inf += sign * k.neg_inf;
    r.nan += sign * k.nan;
    drop_rare_if_unused();
  }

  [[noreturn]] static void throw_invalid() { throw std::runtime_error("skewless: corrupt exact_sum in archive"); }

  // Adds sign * x (sign is +1 or -1). The hot path of every sum: no branch depends on
  // the value's bits except the rare ones (infinities, NaNs, zeros, a value outside
  // the inline chunks), and every value touches three chunks, so the add is the same
  // few instructions whatever the mantissa's alignment.
  void accumulate(double x, int sign) noexcept {
    const auto b = std::bit_cast<std::uint64_t>(x);
    const auto biased = static_cast<unsigned>(b >> 52) & 0x7ffu;
    if (biased == 0x7ffu) [[unlikely]] {
      accumulate_special(b, sign);
      return;
    }
    const std::uint64_t normal = biased != 0 ? 1 : 0;
    const std::uint64_t m = (b & ((std::uint64_t{1} << 52) - 1)) | (normal << 52);
    if (m == 0) [[unlikely]]
      return;  // +-0 adds nothing
    // The weight of m's bit 0 is 2^(pos - 1074); m << sh spans chunks idx .. idx + 2.
    const auto pos = biased - static_cast<unsigned>(normal);
    const auto idx = static_cast<int>(pos / chunk_bits);
    const auto sh = pos % chunk_bits;
    const std::uint64_t low = m << sh;
    const std::uint64_t high = (m >> 1) >> (63 - sh);  // bits 64.. of m << sh; sh < 32
    // Conditional negation: s is 0 to add, -1 to subtract.
    const std::int64_t s = -static_cast<std::int64_t>((b >> 63) ^ (sign < 0 ? 1u : 0u));
    const auto d0 = (static_cast<std::int64_t>(low & 0xffffffffu) ^ s) - s;
    const auto d1 = (static_cast<std::int64_t>(low >> 32) ^ s) - s;
    const auto d2 = (static_cast<std::int64_t>(high) ^ s) - s;
    const auto rel = static_cast<unsigned>(idx - base_);
    std::int64_t* const c = !spilled_ && rel <= inline_count - 3 ? inline_.data() + rel : chunks_for(idx);
    // Three scalar adds. Kept scalar on purpose: a vectorized pair of chunk adds
    // stores 16 bytes that the next value, landing one chunk over, cannot load
    // back by store forwarding, and that stall cost more than the adds.
    add_scalar(c[0], d0);
    add_scalar(c[1], d1);
    add_scalar(c[2], d2);
    // Each addition moves a chunk by less than 2^32: 2^30 of them cannot overflow.
    if (++pending_ >= (1u << 30)) [[unlikely]]
      normalize();
  }

#if defined(__GNUC__)
  [[gnu::noinline, gnu::cold]]
#endif
  void normalize() {
    pending_ = 0;
    store(canonical());
  }

  static void add_scalar(std::int64_t& chunk, std::int64_t d) noexcept {
    chunk += d;
#if defined(__GNUC__)
    __asm__("" : "+m"(chunk));  // no instruction; keeps this store apart from the next
#endif
  }

  // The chunks from idx on, when they are not among the inline ones: the full array,
  // after moving the inline chunks (or spilling) so that idx .. idx + 2 fit. Out of
  // line so that the hot path of accumulate stays small enough to inline.
#if defined(__GNUC__)
  [[gnu::noinline, gnu::cold]]
#endif
  std::int64_t* chunks_for(int idx) {
    if (spilled_) return rare_->full.data() + idx;
    if (inline_ == decltype(inline_){}) {
      // Nothing held (a new or emptied sum): what store() would do, without the
      // full-width pass.
      base_ = static_cast<std::int16_t>(std::min(idx, chunk_count - inline_count));
      return inline_.data() + (idx - base_);
    }
    store(canonical(), idx, idx + 2);
    return spilled_ ? rare_->full.data() + idx : inline_.data() + (idx - base_);
  }

  void accumulate_special(std::uint64_t b, int sign) noexcept {
    specials_count k;
    if ((b & ((std::uint64_t{1} << 52) - 1)) != 0) {
      k.nan = 1;
    } else if ((b >> 63) != 0) {
      k.neg_inf = 1;
    } else {
      k.pos_inf = 1;
    }
    add_specials(k, sign);
  }

  // The exact value as full-width chunks, carries propagated: chunks 0..n-2 in
  // [0, 2^32), the top one signed. Every value has exactly one such form.
  [[nodiscard]] full_array canonical() const noexcept {
    full_array c{};
    if (spilled_) {
      c = rare_->full;
    } else {
      for (int i = 0; i < inline_count; ++i) c[base_ + i] = inline_[i];
    }
    carry(c.data(), chunk_count);
    return c;
  }

  static void carry(std::int64_t* c, int n) noexcept {
    for (int i = 0; i + 1 < n; ++i) {
      const std::int64_t k = c[i] >> chunk_bits;  // floor division
      c[i] -= k * (std::int64_t{1} << chunk_bits);
      c[i + 1] += k;
    }
  }

  // Stores an exact value given as full chunks, leaving room for new digits at chunks
  // [want_lo, want_hi] (none if want_lo > want_hi): inline, as signed digits of the
  // magnitude, when the value and the new digits span fewer than inline_count chunks
  // (one chunk of headroom keeps carries inline); spilled to the full array otherwise.
  void store(const full_array& value, int want_lo = chunk_count, int want_hi = -1) {
    full_array mag = value;
    carry(mag.data(), chunk_count);
    const bool negative = mag[chunk_count - 1] < 0;
    if (negative) {
      for (auto& v : mag) v = -v;
      carry(mag.data(), chunk_count);
    }
    int lo = want_lo, hi = want_hi;
    for (int i = 0; i < chunk_count; ++i) {
      if (mag[i] != 0) {
        lo = std::min(lo, i);
        hi = std::max(hi, i);
      }
    }
    if (lo > hi) {  // zero
      spilled_ = false;
      inline_ = {};
      base_ = 0;
    } else if (hi + 1 - lo < inline_count && hi + 1 < chunk_count) {
      spilled_ = false;
      base_ = static_cast<std::int16_t>(std::min(lo, chunk_count - inline_count));
      for (int i = 0; i < inline_count; ++i) {
        inline_[i] = negative ? -mag[base_ + i] : mag[base_ + i];
      }
    } else {
      rare().full = value;
      spilled_ = true;
      inline_ = {};
      base_ = 0;
    }
    drop_rare_if_unused();
  }

  void combine(const exact_sum& other, int sign) {
    full_array a = canonical();
    const full_array b = other.canonical();
    for (int i = 0; i < chunk_count; ++i) a[i] += sign * b[i];
    const specials_count k = other.specials();
    pending_ = 0;
    store(a);
    add_specials(k, sign);
  }

  // NaN if any NaN is present or both infinities are; else the infinity present.
  [[nodiscard]] std::optional<double> special_value() const noexcept {
    if (!rare_) [[likely]]
      return std::nullopt;
    const specials_count& k = rare_->specials;
    if (k.nan != 0 || (k.pos_inf != 0 && k.neg_inf != 0)) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (k.pos_inf != 0) return std::numeric_limits<double>::infinity();
    if (k.neg_inf != 0) return -std::numeric_limits<double>::infinity();
    return std::nullopt;
  }

  // Sign and magnitude of sum(chunks[i] * 2^(32 i)) as n + 2 limbs (room for the
  // carries out of the top chunk); returns true when negative. One pass propagates the
  // carries into two's complement limbs (|chunk| < 2^62, so chunk + carry fits), a
  // second negates them when the value is negative.
  static bool to_magnitude(const std::int64_t* chunks, int n, std::uint32_t* limbs) noexcept {
    std::int64_t carry = 0;
    for (int i = 0; i < n; ++i) {
      const std::int64_t v = chunks[i] + carry;
      limbs[i] = static_cast<std::uint32_t>(v);
      carry = v >> chunk_bits;  // floor division
    }
    limbs[n] = static_cast<std::uint32_t>(carry);
    carry >>= chunk_bits;
    limbs[n + 1] = static_cast<std::uint32_t>(carry);
    const bool negative = (carry >> chunk_bits) < 0;
    if (negative) {
      std::uint32_t one = 1;
      for (int i = 0; i < n + 2; ++i) {
        const std::uint32_t v = ~limbs[i] + one;
        one = (one != 0 && v == 0) ? 1 : 0;
        limbs[i] = v;
      }
    }
    return negative;
  }

  // Correctly rounded (sum of chunks[i] * 2^(32 (base + i) - 1074)) / divisor.
  [[nodiscard]] static double rounded_quotient(const std::int64_t* chunks, int n, int base,
                                               std::uint64_t divisor) noexcept {
    constexpr int max_n = chunk_count + 2;
    const int m = n + 2;
    // Limbs, with room to shift left by up to 128 bits for the quotient's bits.
    constexpr int extra = 4;
    std::uint32_t all_limbs[max_n + extra];
    const bool negative = to_magnitude(chunks, n, all_limbs);
    // Zero limbs at the bottom (a spilled sum's are from 2^-1074 up) would only be
    // divided through: start at the first non-zero one.
    int low = 0;
    while (low < m && all_limbs[low] == 0) ++low;
    if (low == m) return 0.0;
    const std::uint32_t* const limbs = all_limbs + low;
    const int e0 = 32 * (base + low) - 1074;
    if (divisor == 1) return kernels_internal::round_limbs(limbs, m - low, e0, false, negative);
    // Shift left by s so that the quotient has at least 55 bits (two guard bits), then
    // long-divide by the divisor; a non-zero remainder is the sticky bit.
    int top = m - low - 1;
    while (top >= 0 && limbs[top] == 0) --top;
    const int p = top * 32 + (32 - std::countl_zero(limbs[top]));
    const int q = 64 - std::countl_zero(divisor);
    int s = 56 - (p - q);
    if (s < 2) s = 2;
    const int nl = top + 1 + (s + 31) / 32 + 1;  // limbs of the shifted dividend
    std::uint32_t shifted[max_n + extra];
    const int word = s / 32, bit = s % 32;
    for (int i = nl - 1; i >= 0; --i) {
      std::uint64_t v = 0;
      if (i - word >= 0 && i - word <= top) v = static_cast<std::uint64_t>(limbs[i - word]) << bit;
      if (bit != 0 && i - word - 1 >= 0 && i - word - 1 <= top) v |= limbs[i - word - 1] >> (32 - bit);
      shifted[i] = static_cast<std::uint32_t>(v);
    }
    bool inexact = false;
    if (divisor <= 0xffffffffu) {
      // Remainder and divisor fit 32 bits: 64-bit division per limb.
      std::uint64_t rem = 0;
      for (int i = nl - 1; i >= 0; --i) {
        const std::uint64_t cur = (rem << 32) | shifted[i];
        shifted[i] = static_cast<std::uint32_t>(cur / divisor);
        rem = cur % divisor;
      }
      inexact = rem != 0;
    } else {
      kernels_internal::uint128 rem = 0;
      for (int i = nl - 1; i >= 0; --i) {
        rem = (rem << 32) | shifted[i];
        shifted[i] = static_cast<std::uint32_t>(rem / divisor);
        rem %= divisor;
      }
      inexact = rem != 0;
    }
    return kernels_internal::round_limbs(shifted, nl, e0 - s, inexact, negative);
  }

  // rounded_quotient for the inline chunks, in 64-bit words: the five signed chunks
  // are under 2^62 in magnitude (pending_ bounds them), so their value is a 192-bit
  // two's complement integer. Its top 128 bits (normalized) divided once by the
  // divisor give a quotient of more than 63 bits; the remainder and the dropped low
  // word are the sticky bit.
  [[nodiscard]] double inline_quotient(std::uint64_t divisor) const noexcept {
    using kernels_internal::uint128;
    __extension__ using int128 = __int128;
    static_assert(inline_count == 5, "inline_quotient reads five chunks");
    const auto& c = inline_;
    const int128 lo = int128{c[0]} + (int128{c[1]} * (std::int64_t{1} << 32));
    const int128 mid = int128{c[2]} + (int128{c[3]} * (std::int64_t{1} << 32)) + (lo >> 64);
    const int128 top = int128{c[4]} + (mid >> 64);
    std::uint64_t w0 = static_cast<std::uint64_t>(lo);
    std::uint64_t w1 = static_cast<std::uint64_t>(mid);
    std::uint64_t w2 = static_cast<std::uint64_t>(top);  // |top| < 2^63
    const bool negative = top < 0;
    if (negative) {  // two's complement negation of (w2, w1, w0)
      w0 = ~w0 + 1;
      w1 = ~w1 + (w0 == 0 ? 1 : 0);
      w2 = ~w2 + ((w0 == 0 && w1 == 0) ? 1 : 0);
    }
    int e = 32 * base_ - 1074;  // weight of w0's bit 0
    // Normalize so that w2's top bit is set, moving whole words first.
    if (w2 == 0) {
      w2 = w1;
      w1 = w0;
      w0 = 0;
      e -= 64;
      if (w2 == 0) {
        w2 = w1;
        w1 = 0;
        e -= 64;
        if (w2 == 0) return 0.0;
      }
    }
    if (const int z = std::countl_zero(w2); z != 0) {
      w2 = (w2 << z) | (w1 >> (64 - z));
      w1 = (w1 << z) | (w0 >> (64 - z));
      w0 <<= z;
      e -= z;
    }
    if (divisor == 1) {
      return kernels_internal::round_u64(w2, e + 128, (w1 | w0) != 0, negative);
    }
    const uint128 n = (uint128{w2} << 64) | w1;  // n >= 2^127
    const uint128 q = n / divisor;               // q > 2^63
    const bool sticky = w0 != 0 || n % divisor != 0;
    return kernels_internal::round_u128(q, e + 64, sticky, negative);
  }

  std::array<std::int64_t, inline_count> inline_{};  // chunks base_ .. base_ + 4, unless spilled_
  std::unique_ptr<rare_part> rare_;                  // infinities, NaNs, spilled chunks
  std::uint32_t pending_ = 0;
  std::int16_t base_ = 0;
  bool spilled_ = false;  // the chunks are in rare_->full
};

}  // namespace skewless::inline v1
