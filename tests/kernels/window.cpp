// Tests for skewless/kernels/window.hpp.
#include <skewless/kernels/window.hpp>

#include <catch2/catch.hpp>

#include <limits>

using namespace skewless;

TEST_CASE("window: bounds of sliding and lifetime windows", "[kernels][window]") {
  const sliding_window w{10};
  CHECK(window_start(w, 100) == 90);
  CHECK(in_window(w, 90, 100));
  CHECK_FALSE(in_window(w, 89, 100));
  CHECK_FALSE(in_window(w, 100, 100));  // strictly before T
  CHECK(in_window(lifetime_window{}, -1'000'000, 100));
  CHECK_FALSE(in_window(lifetime_window{}, 100, 100));
  // No overflow at the extremes.
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  CHECK(window_start(sliding_window{std::numeric_limits<std::int64_t>::max()}, -5) == lo);
  CHECK(window_start(w, lo) == lo);
}
