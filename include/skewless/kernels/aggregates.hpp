// skewless/kernels/aggregates.hpp — what each aggregate means, in one place.
//
// Every back-end reduces the events of a window to the same few *parts* (count, exact
// sum, totalOrder min and max, first and last by (ts, value)), each an order-free
// function of the window's multiset of (ts, value) pairs, and then calls
// aggregate_kernel<Kind>::finalize, which is the only definition of the aggregate's
// value. An event enters an aggregate's window when it passes where() and its value
// is not missing; count() and time_since_*() have no value and take every event.
//
//   skewless::exact_sum s; s.add(2.0);
//   skewless::window_parts p{.count = 1, .sum = &s};
//   skewless::aggregate_kernel<skewless::agg::mean>::finalize(p, t);   // 2.0
//
// Adding an aggregate whose value derives from existing parts is one specialisation
// here; back-ends need no change.
#pragma once

#include <skewless/expr/nodes.hpp>
#include <skewless/kernels/exact_sum.hpp>
#include <skewless/kernels/operators.hpp>
#include <skewless/kernels/total_order.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace skewless::inline v1 {

namespace part {
inline constexpr unsigned count = 1;
inline constexpr unsigned sum = 2;
inline constexpr unsigned min = 4;
inline constexpr unsigned max = 8;
inline constexpr unsigned first = 16;
inline constexpr unsigned last = 32;
}  // namespace part

// The parts of one window. `sum` points at an accumulator the back-end owns.
struct window_parts {
  std::uint64_t count = 0;
  const exact_sum* sum = nullptr;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<timed_value> first;
  std::optional<timed_value> last;
};

// The order-based parts fold one value in; the same functions serve every back-end.
inline void fold_min(std::optional<double>& m, double v) noexcept {
  m = m ? total_order_min(*m, v) : v;
}
inline void fold_max(std::optional<double>& m, double v) noexcept {
  m = m ? total_order_max(*m, v) : v;
}
inline void fold_first(std::optional<timed_value>& f, timed_value e) noexcept {
  if (!f || event_order_less(e, *f)) f = e;
}
inline void fold_last(std::optional<timed_value>& l, timed_value e) noexcept {
  if (!l || event_order_less(*l, e)) l = e;
}

namespace kernels_internal {
[[nodiscard]] inline double seconds_between(std::int64_t from_us, std::int64_t to_us) noexcept {
  // Exact integer difference, converted once and divided once: deterministic.
  return static_cast<double>(to_us - from_us) / 1e6;
}
}  // namespace kernels_internal

template <class Kind>
struct aggregate_kernel {
  static_assert(sizeof(Kind) == 0,
                "skewless: this aggregate kind has no kernel; specialise "
                "skewless::aggregate_kernel<Kind> in skewless/kernels/aggregates.hpp.");
};

template <>
struct aggregate_kernel<agg::count> {
  static constexpr unsigned parts = part::count;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return static_cast<double>(p.count);
  }
};

template <>
struct aggregate_kernel<agg::sum> {
  static constexpr unsigned parts = part::sum;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.sum->round();  // an empty window sums to +0.0
  }
};

template <>
struct aggregate_kernel<agg::mean> {
  static constexpr unsigned parts = part::sum | part::count;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.count == 0 ? kernels_internal::missing : p.sum->divide_round(p.count);
  }
};

template <>
struct aggregate_kernel<agg::min> {
  static constexpr unsigned parts = part::min;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.min.value_or(kernels_internal::missing);
  }
};

template <>
struct aggregate_kernel<agg::max> {
  static constexpr unsigned parts = part::max;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.max.value_or(kernels_internal::missing);
  }
};

template <>
struct aggregate_kernel<agg::first> {
  static constexpr unsigned parts = part::first;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.first ? p.first->value : kernels_internal::missing;
  }
};

template <>
struct aggregate_kernel<agg::last> {
  static constexpr unsigned parts = part::last;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.last ? p.last->value : kernels_internal::missing;
  }
};

template <>
struct aggregate_kernel<agg::time_since_first> {
  static constexpr unsigned parts = part::first;
  static double finalize(const window_parts& p, std::int64_t t) noexcept {
    return p.first ? kernels_internal::seconds_between(p.first->ts, t) : kernels_internal::missing;
  }
};

template <>
struct aggregate_kernel<agg::time_since_last> {
  static constexpr unsigned parts = part::last;
  static double finalize(const window_parts& p, std::int64_t t) noexcept {
    return p.last ? kernels_internal::seconds_between(p.last->ts, t) : kernels_internal::missing;
  }
};

// The value an event contributes to aggregate `a`, or nullopt when it does not enter
// the aggregate's window (filtered out by where(), or its value is missing).
template <class K, class A, class W, class P, class E>
[[nodiscard]] inline std::optional<double> entry_value(const aggregate<K, A, W, P>& a,
                                                       const E& event) noexcept {
  if (!passes(a.pred, event)) return std::nullopt;
  if constexpr (std::is_same_v<A, no_arg>) {
    return 0.0;
  } else {
    const double v = eval_row(a.arg, event);
    if (is_missing(v)) return std::nullopt;
    return v;
  }
}

// Folds one window entry into the order-free parts (not the sum, which the back-end
// owns). Used where a back-end builds parts entry by entry.
template <unsigned Parts>
inline void fold_parts(window_parts& p, timed_value e) noexcept {
  if constexpr ((Parts & part::count) != 0) ++p.count;
  if constexpr ((Parts & part::min) != 0) fold_min(p.min, e.value);
  if constexpr ((Parts & part::max) != 0) fold_max(p.max, e.value);
  if constexpr ((Parts & part::first) != 0) fold_first(p.first, e);
  if constexpr ((Parts & part::last) != 0) fold_last(p.last, e);
}

template <class Agg>
inline constexpr unsigned parts_of_v = aggregate_kernel<kind_of_t<Agg>>::parts;

}  // namespace skewless::inline v1
