// Tests for skewless/kernels/exact_sum.hpp against exact big-integer arithmetic
// (Boost.Multiprecision), with an independent correctly-rounding oracle.
#include <skewless/kernels/exact_sum.hpp>

#include "kernels/scaled_integer.hpp"
#include "support.hpp"

#include <boost/multiprecision/cpp_int.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using boost::multiprecision::cpp_int;
using skewless::exact_sum;
using skewless_test::same_bits;

namespace {

using skewless_test::scaled_integer;

// The double nearest to n / (divisor * 2^1074), ties to even, found by binary search
// over positive doubles ordered by their bits: independent of exact_sum's rounding.
double oracle_round(const cpp_int& n, std::uint64_t divisor) {
  if (n == 0) return 0.0;
  const bool neg = n < 0;
  const cpp_int mag = neg ? cpp_int(-n) : n;
  // value(bits) * divisor compared with mag, for bits in [0, inf]; inf counts as 2^1024.
  auto scaled_of = [&](std::uint64_t bits) -> cpp_int {
    if (bits == 0x7ff0000000000000ull) return cpp_int(1) << (1024 + 1074);
    return scaled_integer(std::bit_cast<double>(bits));
  };
  std::uint64_t lo = 0, hi = 0x7ff0000000000000ull;  // largest bits with value*div <= mag
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (scaled_of(mid) * divisor <= mag) lo = mid;
    else hi = mid - 1;
  }
  std::uint64_t best = lo;
  if (lo < 0x7ff0000000000000ull) {
    const cpp_int below = mag - scaled_of(lo) * divisor;
    const cpp_int above = scaled_of(lo + 1) * divisor - mag;
    if (above < below || (above == below && (lo & 1) != 0)) best = lo + 1;
  }
  const double r = std::bit_cast<double>(best);
  return neg ? -r : r;
}

struct model {
  cpp_int exact = 0;
  int pos_inf = 0, neg_inf = 0, nan = 0;
  void add(double x, int sign) {
    if (std::isnan(x)) nan += sign;
    else if (std::isinf(x)) (x > 0 ? pos_inf : neg_inf) += sign;
    else exact += sign * scaled_integer(x);
  }
  double expect(std::uint64_t divisor) const {
    if (nan != 0 || (pos_inf != 0 && neg_inf != 0)) return std::numeric_limits<double>::quiet_NaN();
    if (pos_inf != 0) return std::numeric_limits<double>::infinity();
    if (neg_inf != 0) return -std::numeric_limits<double>::infinity();
    return oracle_round(exact, divisor);
  }
};

double random_double(std::mt19937_64& rng, int style) {
  std::uniform_int_distribution<int> pick(0, 9);
  switch (style) {
    case 0: {  // any finite bit pattern: subnormals to the largest
      double x;
      do x = std::bit_cast<double>(rng());
      while (!std::isfinite(x));
      return x;
    }
    case 1: {  // magnitudes 1e-300 .. 1e300 mixed
      std::uniform_real_distribution<double> e(-300, 300);
      return (rng() & 1 ? -1 : 1) * std::pow(10.0, e(rng)) * (1 + (rng() % 1000) / 997.0);
    }
    case 2: {  // subnormals and tiny normals
      return std::bit_cast<double>(rng() % (std::uint64_t{1} << 54)) * (rng() & 1 ? -1 : 1);
    }
    default: {  // money-like values
      return static_cast<double>(static_cast<std::int64_t>(rng() % 2000001) - 1000000) / 100.0 +
             (pick(rng) == 0 ? 1e16 : 0.0);
    }
  }
}

}  // namespace

TEST_CASE("exact_sum: known values", "[kernels][exact_sum]") {
  exact_sum s;
  CHECK(same_bits(s.round(), 0.0));
  s.add(1e300);
  s.add(1.0);
  s.add(-1e300);
  CHECK(s.round() == 1.0);
  CHECK(same_bits(s.divide_round(3), 1.0 / 3.0));
  exact_sum z;
  z.add(-0.0);
  CHECK(same_bits(z.round(), 0.0));  // the exact sum zero is +0.0
  exact_sum big;
  big.add(std::numeric_limits<double>::max());
  big.add(std::numeric_limits<double>::max());
  CHECK(big.round() == std::numeric_limits<double>::infinity());
  CHECK(big.divide_round(2) == std::numeric_limits<double>::max());
  exact_sum inf;
  inf.add(std::numeric_limits<double>::infinity());
  CHECK(inf.round() == std::numeric_limits<double>::infinity());
  inf.add(-std::numeric_limits<double>::infinity());
  CHECK(std::isnan(inf.round()));
  inf.remove(std::numeric_limits<double>::infinity());
  CHECK(inf.round() == -std::numeric_limits<double>::infinity());
}

TEST_CASE("exact_sum: round and divide_round are correctly rounded", "[kernels][exact_sum]") {
  std::mt19937_64 rng(skewless_test::base_seed());
  const int cases = skewless_test::scaled(400);
  for (int c = 0; c < cases; ++c) {
    const int style = c % 4;
    const int n = 1 + static_cast<int>(rng() % 40);
    exact_sum s;
    model m;
    for (int i = 0; i < n; ++i) {
      double x = random_double(rng, style);
      if (i % 3 == 1 && rng() % 2 == 0) x = -x * (1 + 0x1p-52);  // near-cancellation
      s.add(x);
      m.add(x, +1);
    }
    const std::uint64_t div = 1 + rng() % (c % 5 == 0 ? 1000000007ull : 17ull);
    INFO("case " << c << " style " << style << " divisor " << div);
    CHECK(same_bits(s.round(), m.expect(1)));
    CHECK(same_bits(s.divide_round(div), m.expect(div)));
  }
}

TEST_CASE("exact_sum: long add/remove sequences stay exact", "[kernels][exact_sum]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 1);
  for (int c = 0; c < skewless_test::scaled(40); ++c) {
    exact_sum s;
    model m;
    std::vector<double> live;
    for (int step = 0; step < 2000; ++step) {
      if (!live.empty() && rng() % 3 == 0) {
        const std::size_t i = rng() % live.size();
        s.remove(live[i]);
        m.add(live[i], -1);
        live[i] = live.back();
        live.pop_back();
      } else {
        const double x = rng() % 50 == 0 ? std::numeric_limits<double>::infinity() * (rng() & 1 ? 1 : -1)
                                         : random_double(rng, static_cast<int>(rng() % 4));
        s.add(x);
        m.add(x, +1);
        live.push_back(x);
      }
    }
    CHECK(same_bits(s.round(), m.expect(1)));
    CHECK(same_bits(s.divide_round(7), m.expect(7)));
    // Same multiset added in another order: the same state.
    std::shuffle(live.begin(), live.end(), rng);
    exact_sum fresh;
    for (double x : live) fresh.add(x);
    CHECK(fresh == s);
    // Merging halves gives the same state too.
    exact_sum a, b;
    for (std::size_t i = 0; i < live.size(); ++i) (i % 2 ? a : b).add(live[i]);
    a.merge(b);
    CHECK(a == s);
    a.subtract(b);
    b.merge(a);
    CHECK(b == s);
  }
}

TEST_CASE("exact_sum: millions of additions of extreme values stay exact", "[kernels][exact_sum]") {
  // Each addition puts full 32-bit digits into the top chunks.
  exact_sum s;
  model m;
  const double x = std::bit_cast<double>(0x7fefffffffffffffull);  // max finite
  for (int i = 0; i < 3'000'000; ++i) s.add(i % 2 ? x : -x / 2);
  m.exact = cpp_int(1'500'000) * scaled_integer(x) - cpp_int(1'500'000) * scaled_integer(x / 2);
  CHECK(same_bits(s.round(), m.expect(1)));
  CHECK(same_bits(s.divide_round(3'000'000), m.expect(3'000'000)));
}

TEST_CASE("exact_sum: compact form stays inline for typical data and spills when wide", "[kernels][exact_sum]") {
  exact_sum money;
  model m;
  for (int i = 0; i < 10000; ++i) {
    const double x = static_cast<double>((i * 7919) % 100000) / 100.0 * (i % 3 == 0 ? -1 : 1);
    money.add(x);
    m.add(x, +1);
  }
  CHECK(money.is_inline());
  CHECK(money.heap_bytes() == 0);
  CHECK(same_bits(money.round(), m.expect(1)));

  exact_sum wide = money;
  wide.add(1e300);
  wide.add(4.9e-324);
  CHECK_FALSE(wide.is_inline());
  wide.remove(1e300);
  wide.remove(4.9e-324);
  CHECK(wide == money);
  CHECK(same_bits(wide.round(), money.round()));
  CHECK(same_bits(wide.divide_round(10000), m.expect(10000)));

  // Values at the top of the double range keep the inline chunks inside the array.
  exact_sum top;
  model mt;
  for (double x : {1e300, -3e300, 1.7976931348623157e308, -1.7976931348623157e308, 5e299}) {
    top.add(x);
    mt.add(x, +1);
    CHECK(same_bits(top.round(), mt.expect(1)));
  }
  // A copy is deep: changing it leaves the original alone.
  exact_sum copy = wide;
  copy.add(1e-300);
  CHECK_FALSE(copy == wide);
}

TEST_CASE("exact_sum: inline sums round correctly at ties, subnormals, overflow and any divisor",
          "[kernels][exact_sum]") {
  // Sums of a value and fractions of its last place: exact ties, just above and
  // below, in every binade, divided by small, power-of-two and 64-bit divisors.
  std::mt19937_64 rng(skewless_test::base_seed() + 7);
  const int cases = skewless_test::scaled(3000);
  int inline_cases = 0;
  for (int c = 0; c < cases; ++c) {
    const int biased = static_cast<int>(rng() % 2047);  // 0: subnormal
    const std::uint64_t frac = rng() & ((std::uint64_t{1} << 52) - 1);
    const double x = std::bit_cast<double>((std::uint64_t(biased) << 52) | frac) * (rng() & 1 ? -1 : 1);
    const int ulp_exp = (biased == 0 ? 1 : biased) - 1075;  // the last place of x
    exact_sum s;
    model m;
    s.add(x);
    m.add(x, +1);
    for (int k = 0, n = static_cast<int>(rng() % 3); k <= n; ++k) {
      // +-(1/2, 1/4 or 3/4) ulp, or one ulp below the half: where ties are decided.
      const int sub = 1 + static_cast<int>(rng() % 3);
      double y = std::ldexp(static_cast<double>(1 + rng() % 3), ulp_exp - sub);
      if (rng() % 4 == 0) y = std::ldexp(1.0, ulp_exp - 1) - std::ldexp(1.0, ulp_exp - 40);
      if (y == 0 || !std::isfinite(y)) continue;
      y *= rng() & 1 ? -1 : 1;
      s.add(y);
      m.add(y, +1);
    }
    if (rng() % 8 == 0) {  // cancel to a small or zero remainder
      s.add(-x);
      m.add(-x, +1);
    }
    std::uint64_t div = 1;
    switch (rng() % 5) {
      case 0: div = 1; break;
      case 1: div = 1 + rng() % 1000; break;
      case 2: div = std::uint64_t{1} << (rng() % 64); break;
      case 3: div = (std::uint64_t{1} << (32 + rng() % 32)) + (rng() % 3) - 1; break;
      default: div = rng() | 1; break;  // up to 2^64 - 1
    }
    inline_cases += s.is_inline();
    INFO("case " << c << " x " << std::hexfloat << x << " divisor " << div << " got " << s.divide_round(div) << " want "
                 << m.expect(div) << std::defaultfloat);
    CHECK(same_bits(s.round(), m.expect(1)));
    CHECK(same_bits(s.divide_round(div), m.expect(div)));
  }
  CHECK(inline_cases > cases / 2);  // the path under test
}

TEST_CASE("exact_sum: infinities and NaNs live off the inline state and leave with their removal",
          "[kernels][exact_sum]") {
  static_assert(sizeof(exact_sum) <= 56, "five inline chunks, one pointer, the counters");
  exact_sum money;
  for (int i = 1; i <= 100; ++i) money.add(i * 0.25);
  REQUIRE(money.is_inline());
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();

  exact_sum s = money;
  s.add(inf);
  CHECK_FALSE(s.is_inline());
  CHECK(s.heap_bytes() > 0);
  CHECK(s.round() == inf);
  s.add(-inf);
  CHECK(std::isnan(s.round()));
  s.remove(inf);
  CHECK(s.round() == -inf);
  s.remove(-inf);
  CHECK(s.is_inline());  // nothing left to keep: the heap part is freed
  CHECK(s.heap_bytes() == 0);
  CHECK(s == money);
  CHECK(same_bits(s.round(), money.round()));

  // A spilled sum with a NaN keeps both in its heap part.
  s.add(nan);
  s.add(1e300);
  CHECK(std::isnan(s.round()));
  exact_sum copy = s;
  CHECK(copy == s);
  s.remove(1e300);
  CHECK_FALSE(s.is_inline());
  CHECK(std::isnan(s.divide_round(3)));
  s.remove(nan);
  CHECK(s == money);  // equal value; the chunks stay spilled until the sum is next stored
  CHECK(same_bits(s.round(), money.round()));
  CHECK_FALSE(copy == s);

  // Merging and subtracting carry the counts too.
  exact_sum a, b;
  a.add(1.0);
  b.add(inf);
  a.merge(b);
  CHECK(a.round() == inf);
  a.subtract(b);
  CHECK(a.is_inline());
  CHECK(a.round() == 1.0);
}
