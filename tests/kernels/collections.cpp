// Tests for skewless/kernels/collections.hpp: the k first/last entries, distinct values
// and frequencies, against hand-computed answers, and their order-freedom.
#include <skewless/kernels/collections.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace skewless;
using skewless_test::same_bits;

namespace {
template <class S, std::size_t N> std::array<double, N> values_of(const S& s) {
  std::array<double, N> out{};
  s.finalize(0, out.data());
  return out;
}
}  // namespace

TEST_CASE("first_k keeps the k oldest by (ts, value) — missing slots at the end", "[kernels]") {
  kept_entries<3, false> s;
  for (timed_value e : {timed_value{5, 1.0}, timed_value{2, 7.0}, timed_value{2, -1.0}, timed_value{9, 4.0}}) s.add(e);
  const auto v = values_of<decltype(s), 3>(s);
  CHECK(v[0] == -1.0);  // ts 2, the smaller value first
  CHECK(v[1] == 7.0);
  CHECK(v[2] == 1.0);
  kept_entries<3, false> one;
  one.add({4, 2.5});
  const auto w = values_of<decltype(one), 3>(one);
  CHECK(w[0] == 2.5);
  CHECK(std::isnan(w[1]));
  CHECK(std::isnan(w[2]));
}

TEST_CASE("last_k keeps the k newest, oldest first, the newest in the last column", "[kernels]") {
  kept_entries<3, true> s;
  for (timed_value e :
       {timed_value{5, 1.0}, timed_value{2, 7.0}, timed_value{9, 4.0}, timed_value{9, -0.0}, timed_value{1, 3.0}}) {
    s.add(e);
  }
  const auto v = values_of<decltype(s), 3>(s);
  CHECK(v[0] == 1.0);
  CHECK(same_bits(v[1], -0.0));  // ts 9: -0.0 before 4.0 under totalOrder
  CHECK(v[2] == 4.0);
  kept_entries<3, true> two;
  two.add({4, 2.5});
  two.add({3, 1.5});
  const auto w = values_of<decltype(two), 3>(two);
  CHECK(std::isnan(w[0]));
  CHECK(w[1] == 1.5);
  CHECK(w[2] == 2.5);
}

TEST_CASE("distinct values count numbers once — -0.0 and +0.0 are one value", "[kernels]") {
  distinct_values s;
  for (double x : {1.0, 2.0, 1.0, -0.0, 0.0, std::numeric_limits<double>::infinity(), 2.0}) s.add({0, x});
  CHECK(values_of<decltype(s), 1>(s)[0] == 4.0);
  distinct_values t;
  t.add({0, 3.0});
  t.add({0, 1.0});
  s.merge(t);
  CHECK(values_of<decltype(s), 1>(s)[0] == 5.0);
}

TEST_CASE("frequencies: most frequent first, ties to the smaller value, NaN when short", "[kernels]") {
  value_frequencies<3> s;
  for (double x : {5.0, 2.0, 5.0, 2.0, 9.0, -1.0, 9.0, 9.0}) s.add({0, x});
  const auto v = values_of<decltype(s), 3>(s);
  CHECK(v[0] == 9.0);  // 3 times
  CHECK(v[1] == 2.0);  // 2 times, 2 < 5
  CHECK(v[2] == 5.0);
  value_frequencies<1> one;
  one.add({0, -0.0});
  one.add({0, 0.0});
  one.add({0, 1.0});
  CHECK(same_bits(values_of<decltype(one), 1>(one)[0], 0.0));  // one category, written +0.0
  value_frequencies<2> empty;
  const auto e = values_of<decltype(empty), 2>(empty);
  CHECK((std::isnan(e[0]) && std::isnan(e[1])));
}

TEST_CASE("collection states are order-free and merge like one fold", "[kernels]") {
  std::mt19937_64 rng(31);
  for (int round = 0; round < 200; ++round) {
    std::vector<timed_value> entries;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      entries.push_back({static_cast<std::int64_t>(rng() % 10), static_cast<double>(static_cast<int>(rng() % 7) - 3)});
    }
    auto fold = [](const std::vector<timed_value>& es, auto s) {
      for (const auto& e : es) s.add(e);
      return s;
    };
    auto shuffled = entries;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const std::size_t cut = entries.empty() ? 0 : rng() % entries.size();
    auto check = [&](auto proto, auto columns) {
      constexpr std::size_t C = decltype(columns)::value;
      using S = decltype(proto);
      const S a = fold(entries, S{});
      const S b = fold(shuffled, S{});
      S c = fold(std::vector<timed_value>(shuffled.begin(), shuffled.begin() + static_cast<long>(cut)), S{});
      c.merge(fold(std::vector<timed_value>(shuffled.begin() + static_cast<long>(cut), shuffled.end()), S{}));
      const auto va = values_of<S, C>(a), vb = values_of<S, C>(b), vc = values_of<S, C>(c);
      for (std::size_t i = 0; i < C; ++i) {
        CHECK(same_bits(va[i], vb[i]));
        CHECK(same_bits(va[i], vc[i]));
      }
    };
    check(kept_entries<4, false>{}, std::integral_constant<std::size_t, 4>{});
    check(kept_entries<4, true>{}, std::integral_constant<std::size_t, 4>{});
    check(distinct_values{}, std::integral_constant<std::size_t, 1>{});
    check(value_frequencies<3>{}, std::integral_constant<std::size_t, 3>{});
  }
}

TEST_CASE("invertible states: removing entries equals never adding them", "[kernels]") {
  STATIC_REQUIRE(invertible_state<distinct_values>);
  STATIC_REQUIRE(invertible_state<value_frequencies<2>>);
  STATIC_REQUIRE(!invertible_state<kept_entries<2, true>>);
  std::mt19937_64 rng(41);
  for (int round = 0; round < 300; ++round) {
    std::vector<timed_value> keep, drop;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const timed_value e{static_cast<std::int64_t>(rng() % 10),
                          static_cast<double>(static_cast<int>(rng() % 7) - 3) * (rng() % 2 ? 1.0 : -1.0)};
      (rng() % 3 == 0 ? drop : keep).push_back(e);
    }
    auto check = [&](auto proto, auto columns) {
      constexpr std::size_t C = decltype(columns)::value;
      using S = decltype(proto);
      S all, only;
      for (const auto& e : keep) all.add(e), only.add(e);
      for (const auto& e : drop) all.add(e);
      for (const auto& e : drop) all.remove(e);
      const auto va = values_of<S, C>(all), vb = values_of<S, C>(only);
      for (std::size_t i = 0; i < C; ++i) CHECK(same_bits(va[i], vb[i]));
    };
    check(distinct_values{}, std::integral_constant<std::size_t, 1>{});
    check(value_frequencies<3>{}, std::integral_constant<std::size_t, 3>{});
  }
}
