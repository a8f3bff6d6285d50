// skewless/kernels/window.hpp — which event times a window covers for a query at T.
//
// sliding(W) covers T - W <= ts < T, lifetime() every ts < T: the strict "as of" rule,
// so the event a label is attached to never leaks into its own features.
//
//   skewless::window_start(skewless::sliding_window{10}, 100);   // 90
//   skewless::in_window(skewless::lifetime_window{}, 99, 100);    // true
#pragma once

#include <skewless/expr/nodes.hpp>

#include <cstdint>
#include <limits>

namespace skewless::inline v1 {

// Event times the library accepts: far enough from the int64 limits that T - W and
// T - lateness never overflow (about +-146,000 years around 1970).
inline constexpr std::int64_t min_time_us = -(std::int64_t{1} << 62);
inline constexpr std::int64_t max_time_us = std::int64_t{1} << 62;

[[nodiscard]] constexpr std::int64_t saturating_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<std::int64_t>::min()
                                                     : std::numeric_limits<std::int64_t>::max();
  return r;
}

// The least event time the window includes for a query at T.
[[nodiscard]] constexpr std::int64_t window_start(const sliding_window& w,
                                                  std::int64_t t) noexcept {
  return saturating_sub(t, w.width_us);
}
[[nodiscard]] constexpr std::int64_t window_start(const lifetime_window&, std::int64_t) noexcept {
  return std::numeric_limits<std::int64_t>::min();
}

// Any other window kind: one readable error for every back-end that asks for its start.
template <class W>
constexpr std::int64_t window_start(const W&, std::int64_t) noexcept {
  static_assert(sizeof(W) == 0,
                "skewless: this window kind has no window_start; define it in "
                "skewless/kernels/window.hpp so every back-end (batch, online, "
                "reference) selects the same events.");
  return 0;
}

template <class W>
[[nodiscard]] constexpr bool in_window(const W& w, std::int64_t ts, std::int64_t t) noexcept {
  return window_start(w, t) <= ts && ts < t;
}

}  // namespace skewless::inline v1
