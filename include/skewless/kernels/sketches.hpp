// skewless/kernels/sketches.hpp — HyperLogLog distinct counts and DDSketch quantiles.
//
// Both sketches are exact functions of the multiset of values added (registers are a
// max, bucket counts are integers), so merging tiles, folding a window and replaying a
// snapshot all reach the same sketch, and the estimate is computed from it by one
// deterministic function (IEEE +, *, /, sqrt only). Same interface as the states in
// collections.hpp: add, merge, finalize(t, out).
//
// HyperLogLog (Flajolet et al. 2007) with 2^P one-byte registers:
//   h = mix64(category_key(x))            (skewless/expr/category.hpp; -0.0 is +0.0)
//   register h >> (64 - P) keeps max(rank), rank = 1 + leading zeros of h << P (<= 65 - P)
// and Ertl's improved raw estimator ("New cardinality estimation algorithms for
// HyperLogLog sketches", 2017, algorithm 6): no bias tables, no HIP (whose value would
// depend on insertion order). Relative standard error about 1.04 / sqrt(2^P).
// Registers are stored sparse (index, rank pairs) until that is larger than dense.
//
// DDSketch (Masson et al. 2019) with relative accuracy alpha: a value's bucket is its
// sign and the top bits of its magnitude — exponent and the leading M mantissa bits,
// with M the least such that 2^-(M+1) <= alpha — so the index is bit extraction, not a
// logarithm. Magnitudes below 2^-1022 (subnormals, zeros) share bucket 0 and are
// reported as 0. Each bucket counts its values exactly (uint64). The q-quantile is the
// value of rank floor(q * (n - 1)) (0-based, lower); the sketch returns its bucket's
// representative 2·lo·hi/(lo + hi), within alpha of it relatively.
#pragma once

#include <skewless/expr/category.hpp>
#include <skewless/kernels/collections.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace skewless::inline v1 {

template <unsigned P> class hyperloglog {
  static_assert(P >= 4 && P <= 18, "skewless: approx_distinct_count precision must be in [4, 18]");

 public:
  static constexpr std::uint32_t m = std::uint32_t{1} << P;
  static constexpr unsigned q = 64 - P;  // ranks are 1..q+1

  void add(timed_value e) { set(e.value); }
  void set(double v) {
    const std::uint64_t h = mix64(category_key(v));
    const auto index = static_cast<std::uint32_t>(h >> q);
    const std::uint64_t w = h << P;
    const auto rank = static_cast<std::uint8_t>(w == 0 ? q + 1 : std::countl_zero(w) + 1);
    raise(index, rank);
  }
  void merge(const hyperloglog& o) {
    if (!o.dense_.empty()) {
      // Dense into dense, register by register (a loop the compiler vectorises). The
      // union has at least o's m / 4 registers, so it is dense either way.
      if (dense_.empty()) densify();
      for (std::uint32_t i = 0; i < m; ++i) dense_[i] = std::max(dense_[i], o.dense_[i]);
    } else {
      for (std::uint32_t x : o.sparse_) raise(x >> 8, static_cast<std::uint8_t>(x & 0xff));
    }
  }

  // The cardinality estimate (0 for an empty sketch), rounded to an integer.
  void finalize(std::int64_t, double* out) const noexcept { out[0] = estimate(); }

  [[nodiscard]] double estimate() const noexcept {
    std::array<double, q + 2> c{};  // register value histogram
    if (!dense_.empty()) {
      for (std::uint8_t r : dense_) c[r] += 1;
    } else {
      c[0] = static_cast<double>(m - sparse_.size());
      for (std::uint32_t x : sparse_) c[x & 0xff] += 1;
    }
    const double md = m;
    double z = md * tau((md - c[q + 1]) / md);
    for (unsigned k = q; k >= 1; --k) z = 0.5 * (z + c[k]);
    z += md * sigma(c[0] / md);
    const double alpha_inf = 0.72134752044448170368;  // 1 / (2 ln 2)
    return std::nearbyint(alpha_inf * md * md / z);   // +inf / z = 0 when empty
  }

  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    return dense_.capacity() + sparse_.capacity() * sizeof(std::uint32_t);
  }
  [[nodiscard]] bool empty() const noexcept { return dense_.empty() && sparse_.empty(); }
  void check(std::int64_t, std::int64_t) const {}  // load checks every register

  template <class Archive> void save(Archive& ar) const {
    detail::save_vector(ar, dense_);
    detail::save_vector(ar, sparse_);
  }
  template <class Archive> void load(Archive& ar) {
    detail::load_vector(ar, dense_, 1);
    detail::load_vector(ar, sparse_, 4);
    // A dense sketch comes from a sparse one of m / 4 registers: it has at least that many.
    const bool ok_dense =
        dense_.empty() || (dense_.size() == m && sparse_.empty() &&
                           std::all_of(dense_.begin(), dense_.end(), [](std::uint8_t r) { return r <= q + 1; }) &&
                           4 * static_cast<std::size_t>(std::count_if(dense_.begin(), dense_.end(),
                                                                      [](std::uint8_t r) { return r != 0; })) >=
                               m);
    bool ok_sparse = 4 * sparse_.size() < m || sparse_.empty();
    for (std::size_t i = 0; ok_sparse && i < sparse_.size(); ++i) {
      const std::uint32_t r = sparse_[i] & 0xff;
      ok_sparse =
          (sparse_[i] >> 8) < m && r >= 1 && r <= q + 1 && (i == 0 || (sparse_[i - 1] >> 8) < (sparse_[i] >> 8));
    }
    if (!ok_dense || !ok_sparse) throw std::runtime_error("skewless: snapshot has an invalid HyperLogLog sketch");
  }

 private:
  void raise(std::uint32_t index, std::uint8_t rank) {
    if (!dense_.empty()) {
      dense_[index] = std::max(dense_[index], rank);
      return;
    }
    const std::uint32_t x = (index << 8) | rank;
    const auto it = std::lower_bound(sparse_.begin(), sparse_.end(), index << 8);
    if (it != sparse_.end() && (*it >> 8) == index) {
      if ((*it & 0xff) < rank) *it = x;
      return;
    }
    sparse_.insert(it, x);
    // Sparse takes 4 bytes per non-zero register, dense one per register.
    if (4 * sparse_.size() >= m) densify();
  }
  void densify() {
    dense_.assign(m, 0);
    for (std::uint32_t y : sparse_) dense_[y >> 8] = static_cast<std::uint8_t>(y & 0xff);
    sparse_ = {};
  }
  static double sigma(double x) noexcept {
    if (x == 1.0) return std::numeric_limits<double>::infinity();
    double y = 1.0, z = x, prev;
    do {
      x *= x;
      prev = z;
      z += x * y;
      y += y;
    } while (z != prev);
    return z;
  }
  static double tau(double x) noexcept {
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
      x = std::sqrt(x);
      prev = z;
      y *= 0.5;
      const double d = 1.0 - x;
      z -= d * d * y;
    } while (z != prev);
    return z / 3.0;
  }

  std::vector<std::uint8_t> dense_;    // m registers, or empty while sparse
  std::vector<std::uint32_t> sparse_;  // (index << 8 | rank), by index, rank >= 1
};

namespace kernels_internal {
// Mantissa bits M of a DDSketch bucket for relative accuracy alpha: least M with
// 2^-(M+1) <= alpha.
consteval unsigned ddsketch_bits(double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) throw "skewless: approx_quantile needs 0 < alpha < 1";
  unsigned m = 0;
  double a = 0.5;
  while (a > alpha) {
    a *= 0.5;
    ++m;
  }
  if (m > 30) throw "skewless: approx_quantile: alpha below 2^-31 is not supported";
  return m;
}
}  // namespace kernels_internal

template <double Alpha, double... Qs> class ddsketch {
 public:
  static constexpr unsigned bits = kernels_internal::ddsketch_bits(Alpha);
  static constexpr unsigned shift = 52 - bits;
  // Bucket of a value: 0 for |v| < 2^-1022, else +-(bits of |v|) >> shift, which is
  // monotone in v.
  [[nodiscard]] static std::int64_t key_of(double v) noexcept {
    const double a = std::fabs(v);
    if (!(a >= std::numeric_limits<double>::min())) return 0;
    const auto k = static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(a) >> shift);
    return v < 0 ? -k : k;
  }
  // The value a bucket reports: the harmonic mean of its bounds, whose relative
  // distance to any value in the bucket is at most (hi - lo) / (hi + lo) <= alpha.
  [[nodiscard]] static double representative(std::int64_t key) noexcept {
    if (key == 0) return 0.0;
    const auto a = static_cast<std::uint64_t>(key < 0 ? -key : key);
    const double lo = std::bit_cast<double>(a << shift);
    const double hi = std::bit_cast<double>((a + 1) << shift);
    double r;
    if (std::isinf(lo) || std::isnan(lo)) {
      r = std::numeric_limits<double>::infinity();
    } else if (std::isinf(hi)) {
      r = lo;  // the last finite bucket: hi is not a double
    } else {
      const double ratio = hi / lo;
      r = lo * (2.0 * ratio / (1.0 + ratio));
    }
    return key < 0 ? -r : r;
  }

  using counts_type = key_counts<std::int64_t>;
  [[nodiscard]] static std::int64_t count_key(double v) noexcept { return key_of(v); }
  [[nodiscard]] const counts_type& counts() const noexcept { return buckets_; }
  void add(timed_value e) { buckets_.bump(key_of(e.value), 1); }
  void remove(timed_value e) { buckets_.drop(key_of(e.value)); }
  void merge(const ddsketch& o) { buckets_.merge(o.buckets_); }
  void merge_checked(const ddsketch& o) { buckets_.merge_checked(o.buckets_); }
  void unmerge(const ddsketch& o) { buckets_.unmerge(o.buckets_); }
  void finalize(std::int64_t, double* out) const noexcept { write(buckets_, out); }
  // One walk over the buckets, whatever the number of quantiles: the counts' total is
  // kept, so every rank is known before it.
  template <class Counts> static void write(const Counts& buckets, double* out) noexcept {
    constexpr std::size_t k = sizeof...(Qs);
    constexpr std::array<double, k> qs{Qs...};
    const std::uint64_t n = buckets.total();
    if (n == 0) {
      for (std::size_t i = 0; i < k; ++i) out[i] = kernels_internal::nan_value;
      return;
    }
    // The value of rank floor(q (n - 1)) (0-based, lower) for each q.
    std::array<std::uint64_t, k> rank{};
    std::array<bool, k> found{};
    for (std::size_t i = 0; i < k; ++i) rank[i] = static_cast<std::uint64_t>(qs[i] * static_cast<double>(n - 1));
    std::size_t left = k;
    std::uint64_t seen = 0;
    std::int64_t last = 0;
    for (const auto b : buckets.items()) {
      seen += b.count;
      last = b.key;
      for (std::size_t i = 0; i < k; ++i) {
        if (!found[i] && seen > rank[i]) {
          out[i] = representative(b.key);
          found[i] = true;
          --left;
        }
      }
      if (left == 0) return;
    }
    for (std::size_t i = 0; i < k; ++i) {
      if (!found[i]) out[i] = representative(last);
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return buckets_.heap_bytes(); }
  [[nodiscard]] bool empty() const noexcept { return buckets_.items().empty(); }
  // For a restore: every bucket is one a value can fall in (0, or a normal magnitude up
  // to infinity, either sign); the table itself is checked on load.
  void check(std::int64_t, std::int64_t) const {
    constexpr std::int64_t least = static_cast<std::int64_t>(std::uint64_t{0x0010000000000000} >> shift);
    constexpr std::int64_t most = static_cast<std::int64_t>(std::uint64_t{0x7ff0000000000000} >> shift);
    for (const auto b : buckets_.items()) {
      if (b.key == 0) continue;
      if (b.key < -most || b.key > most || (b.key > -least && b.key < least)) {
        throw std::runtime_error("skewless: snapshot has a DDSketch bucket no value falls in");
      }
    }
  }

  template <class Archive> void serialize(Archive& ar) { ar(buckets_); }

 private:
  key_counts<std::int64_t> buckets_;  // by key: value order
};

}  // namespace skewless::inline v1
