// skewless/kernels/total_order.hpp — IEEE 754 totalOrder on doubles.
//
// min, max, first and last compare values under totalOrder so that the result is a
// function of the multiset of values, never of arrival order: -0.0 < +0.0, and two
// values compare equal only when their bits are equal.
//
//   skewless::total_order_less(-0.0, 0.0);   // true
//   skewless::total_order_max(1.0, -0.0);    // 1.0
#pragma once

#include <skewless/config.hpp>

#include <bit>
#include <cstdint>

namespace skewless::inline v1 {

// Maps a double to an unsigned integer whose natural order is IEEE totalOrder:
// negative values (sign bit set) have all bits flipped, non-negative ones get the sign
// bit set.
[[nodiscard]] constexpr std::uint64_t total_order_key(double x) noexcept {
  const auto b = std::bit_cast<std::uint64_t>(x);
  return (b >> 63) != 0 ? ~b : (b | (std::uint64_t{1} << 63));
}

[[nodiscard]] constexpr bool total_order_less(double a, double b) noexcept {
  return total_order_key(a) < total_order_key(b);
}

[[nodiscard]] constexpr double total_order_min(double a, double b) noexcept {
  return total_order_less(b, a) ? b : a;
}

[[nodiscard]] constexpr double total_order_max(double a, double b) noexcept {
  return total_order_less(a, b) ? b : a;
}

// The same orders as function objects, for monotonic queues and stacks (min keeps the
// total_order_lt-best, max the total_order_gt-best).
struct total_order_lt {
  constexpr bool operator()(double a, double b) const noexcept { return total_order_less(a, b); }
};
struct total_order_gt {
  constexpr bool operator()(double a, double b) const noexcept { return total_order_less(b, a); }
};

// An event reduced to what order-based aggregates need. Events are ordered by time,
// then by value under totalOrder: first is the least such pair, last the greatest.
struct timed_value {
  std::int64_t ts;
  double value;
  friend constexpr bool operator==(const timed_value& a, const timed_value& b) noexcept {
    return a.ts == b.ts && total_order_key(a.value) == total_order_key(b.value);
  }
};

[[nodiscard]] constexpr bool event_order_less(const timed_value& a, const timed_value& b) noexcept {
  return a.ts != b.ts ? a.ts < b.ts : total_order_less(a.value, b.value);
}

}  // namespace skewless::inline v1

namespace skewless::inline v1 {
// Serialization hook (any cereal-style archive).
template <class Archive> void serialize(Archive& ar, timed_value& v) {
  ar(v.ts, v.value);
}
}  // namespace skewless::inline v1
