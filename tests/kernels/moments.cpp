// Tests for skewless/kernels/moments.hpp: variance_round against exact rational
// arithmetic (Boost.Multiprecision) with an independent correctly-rounding oracle.
#include <skewless/kernels/moments.hpp>

#include "kernels/scaled_integer.hpp"
#include "support.hpp"

#include <boost/multiprecision/cpp_int.hpp>
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using boost::multiprecision::cpp_int;
using namespace skewless;
using skewless_test::same_bits;

namespace {

using skewless_test::scaled_integer;

// The double nearest to num / (den * 2^2148), num >= 0, ties to even: binary search over
// the bits of non-negative doubles, independent of the library's rounding.
double oracle(const cpp_int& num, const cpp_int& den) {
  if (num <= 0) return 0.0;
  // value(bits) * den * 2^2148 = scaled(bits) * den * 2^1074
  auto lhs = [&](std::uint64_t bits) -> cpp_int {
    const cpp_int s =
        bits == 0x7ff0000000000000ull ? cpp_int(1) << (1024 + 1074) : scaled_integer(std::bit_cast<double>(bits));
    return (s * den) << 1074;
  };
  std::uint64_t lo = 0, hi = 0x7ff0000000000000ull;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (lhs(mid) <= num) lo = mid;
    else hi = mid - 1;
  }
  std::uint64_t best = lo;
  if (lo < 0x7ff0000000000000ull) {
    const cpp_int below = num - lhs(lo), above = lhs(lo + 1) - num;
    if (above < below || (above == below && (lo & 1) != 0)) best = lo + 1;
  }
  return std::bit_cast<double>(best);
}

double expected_variance(const std::vector<double>& xs, bool sample) {
  const std::size_t n = xs.size();
  if (n == 0 || (sample && n == 1)) return std::numeric_limits<double>::quiet_NaN();
  cpp_int s = 0, q = 0;
  for (double x : xs) {
    const cpp_int v = scaled_integer(x);
    s += v;
    q += v * v;
  }
  const cpp_int num = q * n - s * s;
  const cpp_int den = cpp_int(n) * (sample ? n - 1 : n);
  return oracle(num, den);
}

void check(const std::vector<double>& xs, const std::vector<double>& removed = {}) {
  exact_sum s1, s2;
  for (double x : xs) {
    s1.add(x);
    add_square(s2, x);
  }
  for (double x : removed) {
    s1.add(x);
    add_square(s2, x);
  }
  for (double x : removed) {
    s1.remove(x);
    remove_square(s2, x);
  }
  for (bool sample : {false, true}) {
    const double got = variance_round(xs.size(), s1, s2, sample);
    const double want = expected_variance(xs, sample);
    INFO("n=" << xs.size() << " sample=" << sample << " got " << got << " want " << want);
    REQUIRE(same_bits(got, want));
  }
}

}  // namespace

TEST_CASE("variance_round: correctly rounded on random data, removals included", "[kernels][moments]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 21);
  std::uniform_real_distribution<double> exponent(-140, 150);  // squares stay exact
  for (int c = 0; c < skewless_test::scaled(400); ++c) {
    const int style = static_cast<int>(rng() % 4);
    std::vector<double> xs, removed;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n + 5; ++i) {
      double x = 0;
      switch (style) {
        case 0: x = std::pow(10.0, exponent(rng)) * (rng() & 1 ? 1 : -1); break;
        case 1: x = 1e9 + static_cast<double>(rng() % 5); break;  // the cancellation case
        case 2: x = static_cast<double>(static_cast<int>(rng() % 9) - 4) * 0.25; break;
        default: x = static_cast<double>(static_cast<std::int64_t>(rng() % 200001) - 50000) / 100.0;
      }
      (i < n ? xs : removed).push_back(x);
    }
    check(xs, removed);
  }
}

TEST_CASE("variance_round: edge cases", "[kernels][moments]") {
  check({});
  check({3.5});
  check({2.0, 2.0, 2.0});  // exactly zero
  check({-0.0, 0.0});
  check({1e150, -1e150, 3.0});   // large but squares representable
  check({1e-140, 3e-140, 0.0});  // small but squares exact
  check({1e16, 1.0, -1e16, 2.0});
  // Outside the exact range the rules are fixed, not exact.
  exact_sum s1, s2;
  for (double x : {1e200, 1e200}) {
    s1.add(x);
    add_square(s2, x);
  }
  CHECK(variance_round(2, s1, s2, true) == std::numeric_limits<double>::infinity());
  exact_sum i1, i2;
  for (double x : {std::numeric_limits<double>::infinity(), 1.0}) {
    i1.add(x);
    add_square(i2, x);
  }
  CHECK(std::isnan(variance_round(2, i1, i2, false)));
}

TEST_CASE("variance_round: counts from a million to 2^41 (every division path)", "[kernels][moments]") {
  // k copies of a and j of b, summed by doubling merges: the oracle needs no loop
  // either. Counts under 2^32 whose kept bits fit 128 take one 128-by-64-bit
  // division; larger ones divide limb by limb, once by n m or by n and then by m.
  const std::pair<std::uint64_t, std::uint64_t> counts[] = {
      {1, 1}, {1ull << 20, (1ull << 20) - 1}, {(1ull << 31) + 7, 3}, {1ull << 33, 5}, {3, 1ull << 41}};
  const std::pair<double, double> values[] = {{1.5, -2.25}, {0.1, 1e6}, {1e-140, 3e-141}, {-7.0, 7.0}};
  auto copies = [](double x, std::uint64_t k, bool square) {
    exact_sum one, out;
    if (square) add_square(one, x);
    else one.add(x);
    for (int bit = 0; (k >> bit) != 0; ++bit) {
      if (((k >> bit) & 1) != 0) out.merge(one);
      one.merge(one);
    }
    return out;
  };
  for (const auto& [k, j] : counts) {
    for (const auto& [a, b] : values) {
      exact_sum s1 = copies(a, k, false), s2 = copies(a, k, true);
      s1.merge(copies(b, j, false));
      s2.merge(copies(b, j, true));
      const cpp_int A = scaled_integer(a), B = scaled_integer(b);
      const std::uint64_t n = k + j;
      const cpp_int s = cpp_int(k) * A + cpp_int(j) * B, q = cpp_int(k) * A * A + cpp_int(j) * B * B;
      for (bool sample : {false, true}) {
        const double want = oracle(q * n - s * s, cpp_int(n) * (sample ? n - 1 : n));
        INFO("k=" << k << " j=" << j << " a=" << a << " b=" << b << " sample=" << sample);
        CHECK(same_bits(variance_round(n, s1, s2, sample), want));
      }
    }
  }
}
