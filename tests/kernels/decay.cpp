// Tests for skewless/kernels/decay.hpp: pow2 against libm, decayed sums and ewma
// against a long double evaluation of the definition, order-freedom and the horizon.
#include <skewless/kernels/decay.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace skewless;
using skewless_test::same_bits;

TEST_CASE("pow2 is within 3 ulp of 2^f for 0 <= f < 16", "[kernels][decay]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 16.0);
  for (int i = 0; i < 100000; ++i) {
    const double f = i < 16 ? static_cast<double>(i) : u(rng);
    const long double exact = std::exp2(static_cast<long double>(f));
    const double got = pow2(f);
    const double ulp = std::nextafter(got, std::numeric_limits<double>::infinity()) - got;
    INFO("f " << f);
    REQUIRE(std::fabs(static_cast<long double>(got) - exact) <= 3 * ulp);
    if (i < 16) REQUIRE(got == std::ldexp(1.0, i));  // exact at integers
  }
}

namespace {
template <class S> double value(const S& s, std::int64_t t) {
  double out;
  s.finalize(t, &out);
  return out;
}
}  // namespace

TEST_CASE("decayed_sum and ewma match the definition to 1e-12", "[kernels][decay]") {
  constexpr std::int64_t h = 3'600'000'000;  // 1 hour
  std::mt19937_64 rng(17);
  for (int round = 0; round < 200; ++round) {
    decayed_ticks<h, false> ds;
    decayed_ticks<h, true> ew;
    std::vector<timed_value> es;
    const int n = 1 + static_cast<int>(rng() % 200);
    const std::int64_t t0 = 1'700'000'000'000'000 + static_cast<std::int64_t>(rng() % (1000 * h));
    for (int i = 0; i < n; ++i) {
      es.push_back(
          {t0 + static_cast<std::int64_t>(rng() % (200 * h)), static_cast<double>(rng() % 100000) / 100.0 + 1.0});
    }
    for (const auto& e : es) {
      ds.add(e);
      ew.add(e);
    }
    const std::int64_t t = t0 + 200 * h + static_cast<std::int64_t>(rng() % (5 * h));
    long double sum = 0, wsum = 0;
    for (const auto& e : es) {
      const long double w = std::exp2(-static_cast<long double>(t - e.ts) / h);
      sum += e.value * w;
      wsum += w;
    }
    INFO("round " << round);
    CHECK(std::fabs(value(ds, t) / static_cast<double>(sum) - 1) < 1e-12);
    CHECK(std::fabs(value(ew, t) / static_cast<double>(sum / wsum) - 1) < 1e-12);
  }
}

TEST_CASE("decayed state: any order and any split merge to the same bits", "[kernels][decay]") {
  std::mt19937_64 rng(23);
  for (int round = 0; round < 300; ++round) {
    std::vector<timed_value> es;
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      const double mags[] = {1e-300, 1.0, 1e300, 3.5, -2.0};
      es.push_back({static_cast<std::int64_t>(rng() % 10000) - 500, mags[rng() % 5] * static_cast<double>(rng() % 9)});
    }
    auto shuffled = es;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    decayed_ticks<3, true> a, b, c;
    decayed_ticks<3, false> d, e;
    for (const auto& x : es) {
      a.add(x);
      d.add(x);
    }
    const std::size_t cut = es.empty() ? 0 : rng() % es.size();
    for (std::size_t i = 0; i < shuffled.size(); ++i) {
      (i < cut ? b : c).add(shuffled[i]);
      e.add(shuffled[i]);
    }
    b.merge(c);
    const std::int64_t t = 9500 + static_cast<std::int64_t>(rng() % 100000);
    CHECK(same_bits(value(a, t), value(b, t)));
    CHECK(same_bits(value(d, t), value(e, t)));
  }
}

TEST_CASE("decayed_sum decays to +0 after the horizon — ewma does not underflow", "[kernels][decay]") {
  decayed_ticks<1, false> ds;
  decayed_ticks<1, true> ew;
  for (std::int64_t ts : {0, 5, 9}) {
    ds.add({ts, 1e300});
    ew.add({ts, 2.5});
  }
  CHECK(value(ds, 10) > 0);
  CHECK(same_bits(value(ds, 10 + 16 * 140), 0.0));
  CHECK(value(ew, 1'000'000) == 2.5);  // a million half-lives later: still the mean
  decayed_ticks<1, true> empty;
  CHECK(std::isnan(value(empty, 0)));
}

TEST_CASE("decayed state: removing the oldest entries equals never adding them", "[kernels][decay]") {
  std::mt19937_64 rng(29);
  for (int round = 0; round < 300; ++round) {
    std::vector<timed_value> es;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      es.push_back({static_cast<std::int64_t>(rng() % 20000), static_cast<double>(rng() % 9) - 4.5});
    }
    std::sort(es.begin(), es.end(), event_order_less);
    const std::size_t cut = rng() % es.size();
    decayed_ticks<2, true> slid, fresh;
    decayed_ticks<2, false> slid_sum, fresh_sum;
    for (const auto& e : es) slid.add(e), slid_sum.add(e);
    for (std::size_t i = 0; i < cut; ++i) slid.remove(es[i]), slid_sum.remove(es[i]);
    for (std::size_t i = cut; i < es.size(); ++i) fresh.add(es[i]), fresh_sum.add(es[i]);
    const std::int64_t t = 20000 + static_cast<std::int64_t>(rng() % 1000);
    CHECK(same_bits(value(slid, t), value(fresh, t)));
    CHECK(same_bits(value(slid_sum, t), value(fresh_sum, t)));
  }
}
