// Tests for skewless/kernels/fixed_prefix.hpp: every range's sum is the exact sum of
// its terms (checked against big integers and against exact_sum), and build() refuses
// what does not fit rather than losing bits.
#include <skewless/kernels/fixed_prefix.hpp>
#include <skewless/kernels/moments.hpp>

#include "kernels/scaled_integer.hpp"
#include "support.hpp"

#include <boost/multiprecision/cpp_int.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using boost::multiprecision::cpp_int;
using skewless::exact_sum;
using skewless::fixed_prefix;
using skewless_test::same_bits;
using skewless_test::scaled_integer;

namespace {

// The exact value of an exact_sum's finite part times 2^1074, from its public view.
cpp_int exact_of(const exact_sum& s) {
  const auto v = s.value();
  cpp_int x = 0;
  for (int i = v.n - 1; i >= 0; --i) x = (x << 32) + v.limbs[static_cast<std::size_t>(i)];
  x <<= (v.e0 + 1074);
  return v.negative ? cpp_int(-x) : x;
}

// Checks every range [l, r) of `values` (all of them when few, random ones otherwise)
// against big integers and against exact_sum, and the rounded results bit for bit.
void check_ranges(const std::vector<double>& values, std::mt19937_64& rng) {
  fixed_prefix p;
  REQUIRE(p.build(values.size(), [&](std::size_t i, auto&& term) { term(values[i]); }));
  std::vector<cpp_int> prefix(values.size() + 1, 0);
  for (std::size_t i = 0; i < values.size(); ++i) prefix[i + 1] = prefix[i] + scaled_integer(values[i]);
  const std::size_t n = values.size();
  auto check = [&](std::size_t l, std::size_t r) {
    exact_sum from_prefix;
    from_prefix.add(12345.0);  // whatever it held is replaced
    p.range(l, r, from_prefix);
    exact_sum added;
    for (std::size_t i = l; i < r; ++i) added.add(values[i]);
    INFO("range [" << l << ", " << r << ") of " << n);
    CHECK(exact_of(from_prefix) == prefix[r] - prefix[l]);
    CHECK(from_prefix == added);
    CHECK(same_bits(from_prefix.round(), added.round()));
    CHECK(same_bits(from_prefix.divide_round(r - l + 1), added.divide_round(r - l + 1)));
    // Still a working accumulator afterwards.
    from_prefix.add(values.empty() ? 1.0 : values[0]);
    added.add(values.empty() ? 1.0 : values[0]);
    CHECK(from_prefix == added);
  };
  if (n <= 24) {
    for (std::size_t l = 0; l <= n; ++l) {
      for (std::size_t r = l; r <= n; ++r) check(l, r);
    }
  } else {
    for (int k = 0; k < 300; ++k) {
      std::size_t l = rng() % (n + 1), r = rng() % (n + 1);
      if (l > r) std::swap(l, r);
      check(l, r);
    }
  }
}

}  // namespace

TEST_CASE("fixed_prefix: ranges of money amounts are exact", "[kernels][fixed_prefix]") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> amount(3.5, 1.2);
  std::vector<double> v;
  for (int i = 0; i < 2000; ++i) v.push_back((rng() % 5 == 0 ? -1 : 1) * std::round(amount(rng) * 100) / 100);
  check_ranges(v, rng);
}

TEST_CASE("fixed_prefix: signed zeros, subnormals, the top of the range", "[kernels][fixed_prefix]") {
  std::mt19937_64 rng(8);
  const double tiny = std::numeric_limits<double>::denorm_min();
  check_ranges({}, rng);
  check_ranges({0.0, -0.0, 0.0}, rng);
  check_ranges({tiny, -tiny, 3 * tiny, 1e-310, -2.5e-308, 1e-300}, rng);
  const double big = std::numeric_limits<double>::max();
  check_ranges({big, -big, big / 3, 1e300, -0.0}, rng);
  check_ranges({1.0, 0x1p-100, -0x1p-120, 0x1p40, -3.0}, rng);
}

namespace {
// Ranges of build_squares(x) against add_square, and variances against exact_sum's.
void check_squares(const std::vector<double>& x, std::mt19937_64& rng) {
  fixed_prefix s1, s2;
  REQUIRE(s1.build(x.size(), [&](std::size_t i, auto&& term) { term(x[i]); }));
  REQUIRE(s2.build_squares(x.size(), [&](std::size_t i) { return x[i]; }));
  for (int k = 0; k < 200; ++k) {
    std::size_t l = rng() % (x.size() + 1), r = rng() % (x.size() + 1);
    if (l > r) std::swap(l, r);
    exact_sum a1, a2, b1, b2;
    for (std::size_t i = l; i < r; ++i) {
      a1.add(x[i]);
      skewless::add_square(a2, x[i]);
    }
    s1.range(l, r, b1);
    s2.range(l, r, b2);
    INFO("range [" << l << ", " << r << ")");
    CHECK(a2 == b2);
    CHECK(same_bits(skewless::variance_round(r - l, a1, a2, true), skewless::variance_round(r - l, b1, b2, true)));
  }
}
}  // namespace

TEST_CASE("fixed_prefix: squares as add_square adds them, exact squares or their two parts",
          "[kernels][fixed_prefix]") {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-1e4, 1e4);
  std::vector<double> money;
  for (int i = 0; i < 500; ++i) money.push_back(std::round(u(rng) * 100) / 100);
  check_squares(money, rng);  // one exact square per value
  // The edges of the exact-square path: 2^-537 is its lowest bit, 2^511 its bound; one
  // value past either takes every square as its two parts (add_square's own rounding
  // of a tiny error), a value of 2^-538 included.
  check_squares({0x1p-537, -3 * 0x1p-537, 0x1.fffffffffffffp-500, 0x1p-490, 0.0}, rng);
  check_squares({0x1.fffffffffffffp510, -0x1p510, 0x1p470, 3 * 0x1p460}, rng);
  check_squares({0x1p-538, 3 * 0x1p-520, 0x1p-500}, rng);
  check_squares({1e-200, -3e-190, 7e-180}, rng);
  check_squares({0x1p511, 0x1p480}, rng);
  check_squares({-0.0, 0.0}, rng);
}

TEST_CASE("fixed_prefix: squares that overflow or do not fit are refused", "[kernels][fixed_prefix]") {
  fixed_prefix p;
  auto squares = [&](const std::vector<double>& v) {
    return p.build_squares(v.size(), [&](std::size_t i) { return v[i]; });
  };
  CHECK_FALSE(squares({1e200, 1.0}));  // x*x is +inf
  CHECK_FALSE(squares({std::numeric_limits<double>::infinity()}));
  CHECK_FALSE(squares({1.0, 0x1p-90}));  // 2^0 and 2^-180 apart
  CHECK(squares({1.0, 0x1p-80}));
}

TEST_CASE("fixed_prefix: what does not fit is refused, whole", "[kernels][fixed_prefix]") {
  fixed_prefix p;
  auto build = [&](const std::vector<double>& v) {
    return p.build(v.size(), [&](std::size_t i, auto&& term) { term(v[i]); });
  };
  constexpr double inf = std::numeric_limits<double>::infinity();
  CHECK_FALSE(build({1.0, inf}));
  CHECK_FALSE(build({-inf, 1.0}));
  CHECK_FALSE(build({std::numeric_limits<double>::quiet_NaN()}));
  CHECK_FALSE(build({1e300, 1e-300}));
  // Terms are placed from the 32-bit chunk of the lowest bit: 2^0 and 2^-170 take
  // 179 bits from there, which fits; 2^-180 starts a chunk lower, 211 bits.
  CHECK(build({1.0, 0x1p-170, 1.0}));
  CHECK_FALSE(build({1.0, 0x1p-180}));
  // The bound counts the terms (the sum grows above the top): 2^60 and 2^-100 take
  // 175 bits, which fits for a few terms but not for 40,000.
  CHECK(build({0x1p60, 0x1p60, 0x1p-100}));
  std::vector<double> many(40'000, 0x1p60);
  many.push_back(0x1p-100);
  CHECK_FALSE(build(many));
  many.back() = 0x1p-60;
  CHECK(build(many));
}
