// Tests for skewless/kernels/sketches.hpp: accuracy against exact answers on large
// random inputs, with the bounds docs/aggregations.md promises, and order-freedom.
#include <skewless/kernels/sketches.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace skewless;
using skewless_test::same_bits;

TEST_CASE("HyperLogLog estimates within 5 standard errors at every scale", "[kernels][sketches]") {
  // Documented: relative standard error 1.04 / sqrt(2^p). Each trial uses fresh values;
  // the bound is 5 sigma, and the mean error over trials must be under 1.5 sigma.
  std::mt19937_64 rng(2024);
  for (unsigned trial = 0; trial < 3; ++trial) {
    for (std::uint64_t n : {1ull, 10ull, 100ull, 1000ull, 5000ull, 20000ull, 100000ull, 1000000ull}) {
      hyperloglog<12> h12;
      hyperloglog<8> h8;
      const double base = static_cast<double>(rng() % 1000000) * 1e7;
      for (std::uint64_t i = 0; i < n; ++i) {
        const double v = base + static_cast<double>(i);  // n distinct values, added twice
        h12.set(v);
        h8.set(v);
        if (i % 3 == 0) h12.set(v);
      }
      const double sigma12 = 1.04 / std::sqrt(4096.0), sigma8 = 1.04 / std::sqrt(256.0);
      const double e12 = h12.estimate(), e8 = h8.estimate();
      INFO("n " << n << " p12 " << e12 << " p8 " << e8);
      CHECK(std::fabs(e12 / static_cast<double>(n) - 1) <= 5 * sigma12);
      CHECK(std::fabs(e8 / static_cast<double>(n) - 1) <= 5 * sigma8);
      if (n <= 100) CHECK(std::fabs(e12 - static_cast<double>(n)) <= 2);  // small sets: near exact
    }
  }
  hyperloglog<12> empty;
  CHECK(empty.estimate() == 0.0);
}

TEST_CASE("HyperLogLog mean error over many sets is near its standard error", "[kernels][sketches]") {
  std::mt19937_64 rng(7);
  double sum_sq = 0;
  const int sets = 60;
  for (int s = 0; s < sets; ++s) {
    hyperloglog<10> h;
    const std::uint64_t n = 30000;
    for (std::uint64_t i = 0; i < n; ++i) h.set(static_cast<double>(rng() >> 11));
    const double rel = h.estimate() / static_cast<double>(n) - 1;
    sum_sq += rel * rel;
  }
  const double rmse = std::sqrt(sum_sq / sets);
  INFO("rmse " << rmse << " vs 1.04/sqrt(1024) = " << 1.04 / 32);
  CHECK(rmse < 1.5 * 1.04 / 32);
}

TEST_CASE("HyperLogLog: sparse and dense forms, merge and order give the same sketch", "[kernels][sketches]") {
  std::mt19937_64 rng(99);
  std::vector<double> v;
  for (int i = 0; i < 3000; ++i) v.push_back(static_cast<double>(rng() % 2000) - 1000.5);
  v.push_back(-0.0);
  v.push_back(0.0);
  hyperloglog<10> a, b, c, d;
  for (double x : v) a.set(x);
  auto w = v;
  std::shuffle(w.begin(), w.end(), rng);
  for (std::size_t i = 0; i < w.size(); ++i) (i % 2 ? b : c).set(w[i]);
  b.merge(c);  // dense merged with dense
  d.set(5.0);
  d.merge(a);  // sparse merged with dense
  hyperloglog<10> e = a;
  e.set(5.0);
  CHECK(same_bits(a.estimate(), b.estimate()));
  CHECK(same_bits(d.estimate(), e.estimate()));
}

namespace {
template <class Sketch> void check_quantiles(const std::vector<double>& values, double alpha) {
  Sketch s;
  for (double x : values) s.add({0, x});
  auto sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double out[5];
  s.finalize(0, out);
  const double qs[] = {0.0, 0.25, 0.5, 0.99, 1.0};
  for (int i = 0; i < 5; ++i) {
    const auto rank = static_cast<std::size_t>(qs[i] * static_cast<double>(sorted.size() - 1));
    const double exact = sorted[rank];
    const double tolerance = std::fabs(exact) < 0x1p-1022 ? 0x1p-1022 : alpha * (1 + 1e-12) * std::fabs(exact);
    INFO("q " << qs[i] << " exact " << exact << " sketch " << out[i]);
    CHECK(std::fabs(out[i] - exact) <= tolerance);
  }
}
}  // namespace

TEST_CASE("DDSketch quantiles are within alpha (relative) of the exact lower quantile", "[kernels][sketches]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    std::vector<double> v;
    const int n = 1 + static_cast<int>(rng() % 50000);
    std::uniform_real_distribution<double> e(-300, 300), u(-1000, 1000);
    std::lognormal_distribution<double> ln(3, 2);
    for (int i = 0; i < n; ++i) {
      switch (round % 3) {
        case 0: v.push_back((rng() & 1 ? -1 : 1) * std::pow(10.0, e(rng))); break;  // 1e-300..1e300
        case 1: v.push_back(u(rng)); break;
        default: v.push_back(ln(rng)); break;  // latency-like
      }
    }
    check_quantiles<ddsketch<0.01, 0.0, 0.25, 0.5, 0.99, 1.0>>(v, 0.01);
    check_quantiles<ddsketch<0.001, 0.0, 0.25, 0.5, 0.99, 1.0>>(v, 0.001);
    check_quantiles<ddsketch<0.05, 0.0, 0.25, 0.5, 0.99, 1.0>>(v, 0.05);
  }
}

TEST_CASE("DDSketch edge values: infinities, zeros, subnormals, the largest doubles", "[kernels][sketches]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double big = std::numeric_limits<double>::max();
  ddsketch<0.01, 0.0, 0.5, 1.0> s;
  for (double x : {-inf, -0.0, 0x1p-1060, big, inf}) s.add({0, x});
  double out[3];
  s.finalize(0, out);
  CHECK(out[0] == -inf);
  CHECK(out[1] == 0.0);  // a subnormal reports 0
  CHECK(out[2] == inf);
  ddsketch<0.01, 1.0> t;
  t.add({0, big});
  t.finalize(0, out);
  CHECK(std::fabs(out[0] - big) <= 0.01 * big);
  ddsketch<0.01, 0.5> empty;
  empty.finalize(0, out);
  CHECK(std::isnan(out[0]));
  STATIC_REQUIRE(ddsketch<0.01, 0.5>::bits == 6);  // 2^-7 <= 0.01 < 2^-6
}
