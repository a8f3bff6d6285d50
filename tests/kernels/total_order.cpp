// Tests for skewless/kernels/total_order.hpp.
#include <skewless/kernels/total_order.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace skewless;

TEST_CASE("total_order: IEEE totalOrder on doubles", "[kernels][total_order]") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double ordered[] = {-inf, -1e300, -1.0, -4.9e-324, -0.0, 0.0, 4.9e-324, 1.0, 1e300, inf};
  for (std::size_t i = 0; i < std::size(ordered); ++i) {
    for (std::size_t j = 0; j < std::size(ordered); ++j) {
      CHECK(total_order_less(ordered[i], ordered[j]) == (i < j));
    }
  }
  CHECK(skewless_test::same_bits(total_order_min(0.0, -0.0), -0.0));
  CHECK(skewless_test::same_bits(total_order_max(-0.0, 0.0), 0.0));
  static_assert(total_order_less(-0.0, 0.0));
}

TEST_CASE("total_order: events order by time, then value", "[kernels][total_order]") {
  CHECK(event_order_less({1, 5.0}, {2, -5.0}));
  CHECK(event_order_less({1, -0.0}, {1, 0.0}));
  CHECK_FALSE(event_order_less({1, 0.0}, {1, 0.0}));
  CHECK(timed_value{1, -0.0} != timed_value{1, 0.0});
}
