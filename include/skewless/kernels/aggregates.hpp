// skewless/kernels/aggregates.hpp — what each aggregate means, in one place.
//
// Every back-end reduces the events of a window to the same few *parts* (count, exact
// sums of x and of x^2, totalOrder min and max, first and last by (ts, value)), each an
// order-free function of the window's multiset of (ts, value) pairs, and then calls
// finalize(aggregate, parts, T), the only definition of the aggregate's value. An
// event enters an aggregate's window when it passes where() and its value is not
// missing; count(), rate() and time_since_*() have no value and take every event.
//
//   skewless::exact_sum s; s.add(2.0);
//   skewless::window_parts p{.count = 1, .sum = &s};
//   skewless::finalize(skewless::mean(x, skewless::lifetime()), p, t);   // 2.0
//
// The invertible parts (count and the sums) live in sums_of<Parts>, which every
// back-end adds to, removes from and merges; the order parts are folded with fold_parts.
// Adding an aggregate whose value derives from existing parts is one specialisation
// of aggregate_kernel here; back-ends need no change.
#pragma once

#include <skewless/expr/nodes.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kernels/collections.hpp>
#include <skewless/kernels/decay.hpp>
#include <skewless/kernels/exact_sum.hpp>
#include <skewless/kernels/moments.hpp>
#include <skewless/kernels/operators.hpp>
#include <skewless/kernels/sketches.hpp>
#include <skewless/kernels/total_order.hpp>
#include <skewless/kernels/window.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace skewless::inline v1 {

namespace part {
inline constexpr unsigned count = 1;
inline constexpr unsigned sum = 2;
inline constexpr unsigned min = 4;
inline constexpr unsigned max = 8;
inline constexpr unsigned first = 16;
inline constexpr unsigned last = 32;
inline constexpr unsigned sum2 = 64;  // exact sum of squares (add_square)
// Not a part: the aggregate has a state of its own (aggregate_kernel<K>::state), which
// back-ends add the window's entries to and merge, and which writes the values.
inline constexpr unsigned state = 128;
}  // namespace part

// The parts of one window. `sum` points at an accumulator the back-end owns.
struct window_parts {
  std::uint64_t count = 0;
  const exact_sum* sum = nullptr;
  const exact_sum* sum2 = nullptr;
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

template <class Kind> struct aggregate_kernel {
  static_assert(sizeof(Kind) == 0,
                "skewless: this aggregate kind has no kernel; specialise "
                "skewless::aggregate_kernel<Kind> in skewless/kernels/aggregates.hpp.");
};

template <> struct aggregate_kernel<agg::count> {
  static constexpr unsigned parts = part::count;
  static double finalize(const window_parts& p, std::int64_t) noexcept { return static_cast<double>(p.count); }
};

template <> struct aggregate_kernel<agg::sum> {
  static constexpr unsigned parts = part::sum;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.sum->round();  // an empty window sums to +0.0
  }
};

template <> struct aggregate_kernel<agg::mean> {
  static constexpr unsigned parts = part::sum | part::count;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.count == 0 ? kernels_internal::missing : p.sum->divide_round(p.count);
  }
};

template <> struct aggregate_kernel<agg::min> {
  static constexpr unsigned parts = part::min;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.min.value_or(kernels_internal::missing);
  }
};

template <> struct aggregate_kernel<agg::max> {
  static constexpr unsigned parts = part::max;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.max.value_or(kernels_internal::missing);
  }
};

template <> struct aggregate_kernel<agg::first> {
  static constexpr unsigned parts = part::first;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.first ? p.first->value : kernels_internal::missing;
  }
};

template <> struct aggregate_kernel<agg::last> {
  static constexpr unsigned parts = part::last;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return p.last ? p.last->value : kernels_internal::missing;
  }
};

template <> struct aggregate_kernel<agg::time_since_first> {
  static constexpr unsigned parts = part::first;
  static double finalize(const window_parts& p, std::int64_t t) noexcept {
    return p.first ? seconds_between(p.first->ts, t) : kernels_internal::missing;
  }
};

template <> struct aggregate_kernel<agg::time_since_last> {
  static constexpr unsigned parts = part::last;
  static double finalize(const window_parts& p, std::int64_t t) noexcept {
    return p.last ? seconds_between(p.last->ts, t) : kernels_internal::missing;
  }
};

template <> struct aggregate_kernel<agg::var_samp> {
  static constexpr unsigned parts = part::count | part::sum | part::sum2;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return variance_round(p.count, *p.sum, *p.sum2, true);
  }
};

template <> struct aggregate_kernel<agg::var_pop> {
  static constexpr unsigned parts = part::count | part::sum | part::sum2;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return variance_round(p.count, *p.sum, *p.sum2, false);
  }
};

// The square root (IEEE, correctly rounded) of the rounded variance.
template <> struct aggregate_kernel<agg::stddev_samp> {
  static constexpr unsigned parts = part::count | part::sum | part::sum2;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return std::sqrt(variance_round(p.count, *p.sum, *p.sum2, true));
  }
};

template <> struct aggregate_kernel<agg::stddev_pop> {
  static constexpr unsigned parts = part::count | part::sum | part::sum2;
  static double finalize(const window_parts& p, std::int64_t) noexcept {
    return std::sqrt(variance_round(p.count, *p.sum, *p.sum2, false));
  }
};

// count / (length / per), length = window_end - window_start in microseconds:
// double(count) * double(per) / double(length), rounded left to right.
template <> struct aggregate_kernel<agg::rate> {
  static constexpr unsigned parts = part::count;
  template <class A> static double finalize(const A& a, const window_parts& p, std::int64_t t) noexcept {
    const std::int64_t length = window_end(a.window, t) - window_start(a.window, t);
    return static_cast<double>(p.count) * static_cast<double>(a.kind.per_us) / static_cast<double>(length);
  }
};

// ---- aggregates with a state of their own (see collections.hpp and sketches.hpp) ----

template <std::size_t K> struct aggregate_kernel<agg::first_k<K>> {
  static constexpr unsigned parts = part::state;
  using state = kept_entries<K, false>;
};
template <std::size_t K> struct aggregate_kernel<agg::last_k<K>> {
  static constexpr unsigned parts = part::state;
  using state = kept_entries<K, true>;
};
template <> struct aggregate_kernel<agg::distinct_count> {
  static constexpr unsigned parts = part::state;
  using state = distinct_values;
};
template <> struct aggregate_kernel<agg::most_frequent> {
  static constexpr unsigned parts = part::state;
  using state = value_frequencies<1>;
};
template <std::size_t K> struct aggregate_kernel<agg::top_k_frequency<K>> {
  static constexpr unsigned parts = part::state;
  using state = value_frequencies<K>;
};
template <unsigned P> struct aggregate_kernel<agg::approx_distinct_count<P>> {
  static constexpr unsigned parts = part::state;
  using state = hyperloglog<P>;
};
template <double Alpha, double... Qs> struct aggregate_kernel<agg::approx_quantile<Alpha, Qs...>> {
  static constexpr unsigned parts = part::state;
  using state = ddsketch<Alpha, Qs...>;
};

template <period H> struct aggregate_kernel<agg::decayed_sum<H>> {
  static constexpr unsigned parts = part::state;
  using state = decayed_ticks<H.us, false>;
};
template <period H> struct aggregate_kernel<agg::ewma<H>> {
  static constexpr unsigned parts = part::state;
  using state = decayed_ticks<H.us, true>;
};

// The value of aggregate `a` from the parts of its window at query time t. Every
// back-end calls this; nothing else computes an aggregate's value.
template <class K, class A, class W, class P>
[[nodiscard]] inline double finalize(const aggregate<K, A, W, P>& a, const window_parts& p, std::int64_t t) noexcept {
  if constexpr (requires { aggregate_kernel<K>::finalize(a, p, t); }) {
    return aggregate_kernel<K>::finalize(a, p, t);
  } else {
    return aggregate_kernel<K>::finalize(p, t);
  }
}

// The value an event contributes to aggregate `a`, or nullopt when it does not enter
// the aggregate's window (filtered out by where(), or its value is missing).
template <class K, class A, class W, class P, class E>
[[nodiscard]] inline std::optional<double> entry_value(const aggregate<K, A, W, P>& a, const E& event) noexcept {
  if (!passes(a.pred, event)) return std::nullopt;
  if constexpr (std::is_same_v<A, no_arg>) {
    return 0.0;
  } else {
    const double v = eval_row(a.arg, event);
    if (is_missing(v)) return std::nullopt;
    return v;
  }
}

// Windows that count events (last_n) keep a place for every event of the key, also
// those that do not enter the aggregate; such a place holds no_entry, a negative quiet
// NaN, which sorts before every value under totalOrder ("no value" comes first among
// equal times). Entry values are never NaN (NaN is missing), so isnan tells them apart.
inline constexpr double no_entry = std::bit_cast<double>(std::uint64_t{0xfff8000000000000});
[[nodiscard]] inline bool is_no_entry(double v) noexcept {
  return std::isnan(v);
}

// What event `e` puts in aggregate `a`'s window: its entry, no_entry for a window that
// counts events, or nothing.
template <class K, class A, class W, class P, class E>
[[nodiscard]] inline std::optional<double> window_slot(const aggregate<K, A, W, P>& a, const E& event) noexcept {
  const auto v = entry_value(a, event);
  if constexpr (counts_events_v<W>) {
    return v ? *v : no_entry;
  } else {
    return v;
  }
}

// Folds one window entry into the order-free parts (not the sum, which the back-end
// owns). Used where a back-end builds parts entry by entry.
template <unsigned Parts> inline void fold_parts(window_parts& p, timed_value e) noexcept {
  if constexpr ((Parts & part::count) != 0) ++p.count;
  if constexpr ((Parts & part::min) != 0) fold_min(p.min, e.value);
  if constexpr ((Parts & part::max) != 0) fold_max(p.max, e.value);
  if constexpr ((Parts & part::first) != 0) fold_first(p.first, e);
  if constexpr ((Parts & part::last) != 0) fold_last(p.last, e);
}

namespace kernels_internal {
// Stands in for a member a set of parts does not need: empty, serializes to nothing.
struct absent {
  template <class Archive> void serialize(Archive&) {}
};
template <bool B, class T> using maybe = std::conditional_t<B, T, absent>;
}  // namespace kernels_internal

template <class Agg> inline constexpr unsigned parts_of_v = aggregate_kernel<kind_of_t<Agg>>::parts;

// Whether an aggregate has a state of its own, and which.
template <class Agg> inline constexpr bool has_state_v = parts_of_v<Agg> == part::state;
template <class Agg> using state_of_t = typename aggregate_kernel<kind_of_t<Agg>>::state;

namespace kernels_internal {
template <class Agg, bool = has_state_v<Agg>> struct state_or_absent {
  using type = absent;
};
template <class Agg> struct state_or_absent<Agg, true> {
  using type = state_of_t<Agg>;
};
}  // namespace kernels_internal
// The aggregate's state, or an empty stand-in for aggregates that have parts.
template <class Agg> using state_or_absent_t = typename kernels_internal::state_or_absent<Agg>::type;

// The values (kind_columns_v columns) of aggregate `a` at t: from the parts of its
// window, or from its state. The one entry point every back-end writes values with.
template <class Agg> inline void write_values(const Agg& a, const window_parts& p, std::int64_t t, double* out) {
  out[0] = finalize(a, p, t);
}
template <class Agg, class State>
  requires has_state_v<Agg> && std::is_same_v<State, state_of_t<Agg>>
inline void write_values(const Agg&, const State& s, std::int64_t t, double* out) {
  s.finalize(t, out);
}

// The invertible parts of a set of entries — count and the exact sums the aggregate
// needs — that a back-end adds entries to, removes them from, merges and exports.
template <unsigned Parts> struct sums_of {
  static constexpr bool has_sum = (Parts & part::sum) != 0;
  static constexpr bool has_sum2 = (Parts & part::sum2) != 0;

  std::uint64_t count = 0;
  [[no_unique_address]] kernels_internal::maybe<has_sum, exact_sum> sum;
  [[no_unique_address]] kernels_internal::maybe<has_sum2, exact_sum> sum2;

  void add(double v) noexcept {
    ++count;
    if constexpr (has_sum) sum.add(v);
    if constexpr (has_sum2) add_square(sum2, v);
  }
  void remove(double v) noexcept {
    --count;
    if constexpr (has_sum) sum.remove(v);
    if constexpr (has_sum2) remove_square(sum2, v);
  }
  // add/remove keeping only the sums in `active` (a subset of Parts known at run
  // time; the count is always kept): for a sweep shared by aggregates whose windows
  // turn out equal, where some sums are needed only when some aggregate is there.
  void add(double v, unsigned active) noexcept {
    ++count;
    if constexpr (has_sum) {
      if ((active & part::sum) != 0) sum.add(v);
    }
    if constexpr (has_sum2) {
      if ((active & part::sum2) != 0) add_square(sum2, v);
    }
  }
  void remove(double v, unsigned active) noexcept {
    --count;
    if constexpr (has_sum) {
      if ((active & part::sum) != 0) sum.remove(v);
    }
    if constexpr (has_sum2) {
      if ((active & part::sum2) != 0) remove_square(sum2, v);
    }
  }
  void merge(const sums_of& o) {
    count += o.count;
    if constexpr (has_sum) sum.merge(o.sum);
    if constexpr (has_sum2) sum2.merge(o.sum2);
  }
  void subtract(const sums_of& o) {
    count -= o.count;
    if constexpr (has_sum) sum.subtract(o.sum);
    if constexpr (has_sum2) sum2.subtract(o.sum2);
  }
  // These sums set to o's, whose parts are among these (the others zero).
  template <unsigned Q> void assign(const sums_of<Q>& o) {
    if constexpr (Q == Parts) {
      *this = o;
    } else {
      static_assert(!sums_of<Q>::has_sum || has_sum, "skewless internal: assign drops a sum");
      static_assert(!sums_of<Q>::has_sum2 || has_sum2, "skewless internal: assign drops a sum2");
      *this = sums_of{};
      count = o.count;
      if constexpr (sums_of<Q>::has_sum) sum = o.sum;
      if constexpr (sums_of<Q>::has_sum2) sum2 = o.sum2;
    }
  }
  // Points p's count and sums at these.
  void export_to(window_parts& p) const noexcept {
    p.count = count;
    if constexpr (has_sum) p.sum = &sum;
    if constexpr (has_sum2) p.sum2 = &sum2;
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = 0;
    if constexpr (has_sum) b += sum.heap_bytes();
    if constexpr (has_sum2) b += sum2.heap_bytes();
    return b;
  }
  friend bool operator==(const sums_of& a, const sums_of& b) noexcept {
    if (a.count != b.count) return false;
    if constexpr (has_sum) {
      if (!(a.sum == b.sum)) return false;
    }
    if constexpr (has_sum2) {
      if (!(a.sum2 == b.sum2)) return false;
    }
    return true;
  }
  template <class Archive> void serialize(Archive& ar) { ar(count, sum, sum2); }
};

// Room for sums computed at query time, when the stored ones need adjusting.
template <unsigned Parts> struct parts_scratch {
  sums_of<Parts> sums;
  // Makes p's count and sums point at the scratch, copying what p pointed at.
  void own(window_parts& p) {
    if constexpr (sums_of<Parts>::has_sum) {
      if (p.sum != &sums.sum) {
        sums.sum = p.sum != nullptr ? *p.sum : exact_sum{};
      }
    }
    if constexpr (sums_of<Parts>::has_sum2) {
      if (p.sum2 != &sums.sum2) {
        sums.sum2 = p.sum2 != nullptr ? *p.sum2 : exact_sum{};
      }
    }
    sums.count = p.count;
    sums.export_to(p);
  }
};

// Adds one entry to parts whose sums are (or become) the scratch's.
template <unsigned Parts> inline void add_entry(window_parts& p, parts_scratch<Parts>& s, timed_value e) {
  if constexpr ((Parts & (part::sum | part::sum2)) != 0) {
    s.own(p);
    s.sums.add(e.value);
    p.count = s.sums.count;
    fold_parts<Parts & ~part::count>(p, e);
  } else {
    fold_parts<Parts>(p, e);
  }
}

// Parts of an empty window (sums point at a shared zero).
inline void empty_parts(window_parts& p) noexcept {
  static const exact_sum zero;
  p = window_parts{};
  p.sum = &zero;
  p.sum2 = &zero;
}

}  // namespace skewless::inline v1
