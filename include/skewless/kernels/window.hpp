// skewless/kernels/window.hpp — which events a window covers for a query at T.
//
// Every window is a range of event times [window_start(w, T), window_end(w, T)), both
// non-decreasing in T; last_n(n) further keeps only the n most recent events of that
// range. The end is T (or T - D for sliding(W).ending(D)): the strict "as of" rule, so
// the event a label is attached to never leaks into its own features.
//
//   skewless::window_start(skewless::sliding_window{10}, 100);      // 90
//   skewless::window_start(skewless::tiled_window{10, 4}, 100);     // 88: floor(90/4)*4
//   skewless::in_window(skewless::lifetime_window{}, 99, 100);       // true
//
// last_n orders the events of a key by (ts, entry), an entry being the value the
// aggregate sees, with "no value" (filtered out by where(), or missing) before every
// value: the order is a function of the multiset, never of arrival.
#pragma once

#include <skewless/expr/nodes.hpp>

#include <cstdint>
#include <limits>
#include <type_traits>

namespace skewless::inline v1 {

// The accepted time range, one for event times and query times in every back-end:
// [-2^62, 2^62] us, about +-146,000 years around 1970. Windows are at most 2^61 wide
// and lagged by at most 2^61 (checked where they are made), hops and half-lives are
// below that, and the allowed lateness is capped at 2^62, so inside the range no
// window bound, tile index, lateness check or time difference overflows: T - W - D,
// floor((T - W) / H) * H and newest - lateness all stay within [-2^63, 2^63). Outside
// it an event is a counted rejection and a query an error (online), or a counted
// rejection and a row of NaN (batch and reference).
inline constexpr std::int64_t min_time_us = -(std::int64_t{1} << 62);
inline constexpr std::int64_t max_time_us = std::int64_t{1} << 62;
inline constexpr std::int64_t max_window_us = std::int64_t{1} << 61;
inline constexpr std::int64_t max_lateness_us = std::int64_t{1} << 62;

[[nodiscard]] constexpr bool in_time_range(std::int64_t t) noexcept {
  return t >= min_time_us && t <= max_time_us;
}

// (to - from) in seconds, double(to - from) / 1e6, for any two accepted times: their
// difference (up to 2^63 in magnitude) is taken in unsigned arithmetic, where it
// cannot overflow, and converted once (correctly rounded), then divided once.
[[nodiscard]] constexpr double seconds_between(std::int64_t from_us, std::int64_t to_us) noexcept {
  const auto a = static_cast<std::uint64_t>(from_us), b = static_cast<std::uint64_t>(to_us);
  return to_us >= from_us ? static_cast<double>(b - a) / 1e6 : -(static_cast<double>(a - b) / 1e6);
}

// Whether `later` is more than d after `earlier` (later - earlier > d), for accepted
// times and 0 <= d <= 2^63: the difference is taken in unsigned arithmetic, where it
// cannot overflow. The TTL rule: an entity whose newest event is more than its TTL
// before T is expired at T, and an event that far after the newest starts a new life.
[[nodiscard]] constexpr bool later_by_more_than(std::int64_t later, std::int64_t earlier, std::uint64_t d) noexcept {
  return later > earlier && static_cast<std::uint64_t>(later) - static_cast<std::uint64_t>(earlier) > d;
}

[[nodiscard]] constexpr std::int64_t saturating_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  return r;
}

// floor(a / b) for b > 0, rounding toward minus infinity for negative a.
[[nodiscard]] constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The least event time the window includes for a query at T.
[[nodiscard]] constexpr std::int64_t window_start(const sliding_window& w, std::int64_t t) noexcept {
  return saturating_sub(t, w.width_us + w.offset_us);
}
[[nodiscard]] constexpr std::int64_t window_start(const lifetime_window&, std::int64_t) noexcept {
  return std::numeric_limits<std::int64_t>::min();
}
// Tiles are [k * hop, (k + 1) * hop) for integer k, counted from the Unix epoch.
[[nodiscard]] constexpr std::int64_t tile_of(const tiled_window& w, std::int64_t ts) noexcept {
  return floor_div(ts, w.hop_us);
}
[[nodiscard]] constexpr std::int64_t window_start(const tiled_window& w, std::int64_t t) noexcept {
  return floor_div(t - w.width_us, w.hop_us) * w.hop_us;  // |t|, W <= 2^62: no overflow
}
[[nodiscard]] constexpr std::int64_t window_start(const last_n_window&, std::int64_t) noexcept {
  return std::numeric_limits<std::int64_t>::min();
}

// Any other window kind: one readable error for every back-end that asks for its start.
template <class W> constexpr std::int64_t window_start(const W&, std::int64_t) noexcept {
  static_assert(sizeof(W) == 0,
                "skewless: this window kind has no window_start; define it in "
                "skewless/kernels/window.hpp so every back-end (batch, online, "
                "reference) selects the same events.");
  return 0;
}

// How far the window's end lags behind T: D for sliding(W).ending(D), else 0.
[[nodiscard]] constexpr std::int64_t window_lag(const sliding_window& w) noexcept {
  return w.offset_us;
}
template <class W> [[nodiscard]] constexpr std::int64_t window_lag(const W&) noexcept {
  return 0;
}

// One past the greatest event time the window includes for a query at T.
template <class W> [[nodiscard]] constexpr std::int64_t window_end(const W& w, std::int64_t t) noexcept {
  return t - window_lag(w);  // |t| <= 2^62 and lag <= 2^61
}

// How many of the most recent events in the time range the window keeps.
template <class W> [[nodiscard]] constexpr std::uint64_t window_max_events(const W&) noexcept {
  return std::numeric_limits<std::uint64_t>::max();
}
[[nodiscard]] constexpr std::uint64_t window_max_events(const last_n_window& w) noexcept {
  return w.n;
}
// Windows that count events rather than time see events that do not enter the
// aggregate too (they take a place among the n most recent).
template <class W> inline constexpr bool counts_events_v = std::is_same_v<W, last_n_window>;

// Whether ts is in the time range of the window for a query at T (for last_n, the
// n-most-recent cut is applied on top by each back-end).
template <class W> [[nodiscard]] constexpr bool in_window(const W& w, std::int64_t ts, std::int64_t t) noexcept {
  return window_start(w, t) <= ts && ts < window_end(w, t);
}

}  // namespace skewless::inline v1
