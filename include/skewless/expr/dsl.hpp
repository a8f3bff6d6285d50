// skewless/expr/dsl.hpp — the functions and operators users write definitions with.
//
//   using namespace std::chrono_literals;
//   constexpr auto amount = skewless::field<payment, "amount">;
//   constexpr auto avg_7d =
//       skewless::sum(amount, skewless::sliding(7 * 24h)) /
//       skewless::max(skewless::count(skewless::sliding(7 * 24h)), 1);
//   constexpr auto big_share =
//       skewless::mean(amount > 1000.0, skewless::sliding(24h));
//   constexpr auto big_1h = skewless::count(skewless::sliding(1h)).where(amount > 1000.0);
//
// Misuse (summing a string field, putting a window on something that is not an
// aggregate, nesting aggregates, mixing two event structs) stops at one static_assert
// that says what is wrong and how to fix it.
#pragma once

#include <skewless/expr/traits.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <type_traits>

namespace skewless::inline v1 {

// field<E, "name">: the field of event struct E with that name.
template <class E, fixed_string Name>
inline constexpr field_ref<E, Name> field{};

[[nodiscard]] constexpr literal lit(double v) noexcept { return literal{v}; }

// ---- windows ------------------------------------------------------------------

// The events of the last `width` before the query time: T - width <= ts < T.
// Definitions are compile-time objects: a width that is not positive does not compile.
[[nodiscard]] consteval sliding_window sliding(std::chrono::microseconds width) {
  if (width.count() <= 0) throw "skewless: sliding(W) needs a positive width W";
  if (width.count() > (std::int64_t{1} << 61)) throw "skewless: sliding(W): W is too large";
  return sliding_window{width.count()};
}

// Every event before the query time.
[[nodiscard]] constexpr lifetime_window lifetime() noexcept { return {}; }

// A window of `width` whose start hops in epoch-aligned tiles of `hop`:
// floor((T - width) / hop) * hop <= ts < T. It covers between width and width + hop,
// and online state per entity is bounded by width / hop + 1 tiles whatever the rate.
[[nodiscard]] consteval tiled_window tiled(std::chrono::microseconds width,
                                           std::chrono::microseconds hop) {
  if (width.count() <= 0 || hop.count() <= 0) throw "skewless: tiled(W, H) needs W > 0 and H > 0";
  if (width.count() % hop.count() != 0) throw "skewless: tiled(W, H) needs W to be a multiple of H";
  if (width.count() > (std::int64_t{1} << 61)) throw "skewless: tiled(W, H): W is too large";
  return tiled_window{width.count(), hop.count()};
}

// The n most recent events before the query time (n >= 1).
[[nodiscard]] consteval last_n_window last_n(std::uint32_t n) {
  if (n == 0) throw "skewless: last_n(n) needs n >= 1";
  if (n > (1u << 20)) throw "skewless: last_n(n) is limited to n <= 2^20 events";
  return last_n_window{n};
}

namespace expr_internal {

template <class T>
constexpr auto as_node(const T& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return literal{static_cast<double>(v)};
  } else {
    return v;
  }
}

template <class T>
using node_t = decltype(as_node(std::declval<const T&>()));

template <class T>
inline constexpr bool is_operand_v =
    is_skewless_v<std::remove_cvref_t<T>> || std::is_arithmetic_v<std::remove_cvref_t<T>>;

template <class L, class R>
concept BinaryOperands = is_operand_v<L> && is_operand_v<R> &&
                         (is_skewless_v<std::remove_cvref_t<L>> ||
                          is_skewless_v<std::remove_cvref_t<R>>);

template <class Op, class L, class R>
constexpr auto make_binary(const L& l, const R& r) {
  static_assert(!is_window_v<L> && !is_window_v<R>,
                "skewless: a window (sliding, tiled, last_n, lifetime) can only be applied to an "
                "aggregate. Write e.g. sum(x, sliding(1h)), not x * sliding(1h).");
  if constexpr (is_window_v<L> || is_window_v<R>) {
    return literal{0};
  } else {
    using LN = node_t<L>;
    using RN = node_t<R>;
    static_assert(
        !((level_v<LN> == expr_level::row && level_v<RN> == expr_level::feature) ||
          (level_v<LN> == expr_level::feature && level_v<RN> == expr_level::row)),
        "skewless: an expression mixes a per-event field with an aggregate. A field "
        "has a value per event, an aggregate one per window: put the field inside the "
        "aggregate, e.g. sum(x * 2, w), not sum(x, w) + x.");
    static_assert(same_event_v<LN, RN>,
                  "skewless: an expression mixes fields of two different event structs. "
                  "A feature set reads one event type; define features of the other "
                  "event type in a feature set of their own.");
    if constexpr (level_v<LN> != expr_level::feature && level_v<RN> != expr_level::feature) {
      static_assert(is_numeric_expr_v<LN> && is_numeric_expr_v<RN>,
                    "skewless: arithmetic and comparison need numeric operands; one "
                    "operand is a non-numeric field (a string?).");
    }
    return binary<Op, LN, RN>{as_node(l), as_node(r)};
  }
}

template <class Op, class A>
constexpr auto make_unary(const A& a) {
  static_assert(!is_window_v<A>,
                "skewless: a window (sliding, tiled, last_n, lifetime) can only be applied to an "
                "aggregate. Write e.g. sum(x, sliding(1h)).");
  if constexpr (is_window_v<A>) {
    return literal{0};
  } else {
    using AN = node_t<A>;
    if constexpr (level_v<AN> != expr_level::feature) {
      static_assert(is_numeric_expr_v<AN>,
                    "skewless: abs, log1p, negation and ! need a numeric operand; this "
                    "one is a non-numeric field (a string?).");
    }
    return unary<Op, AN>{as_node(a)};
  }
}

// The one place that builds an aggregate node and checks its parts.
template <class Kind, bool NeedsNumeric, class Arg, class Window>
constexpr auto make_aggregate(const Arg& arg, const Window& w, const Kind& kind = {}) {
  using Pred = no_filter;
  static_assert(is_window_v<Window>,
                "skewless: the last argument of an aggregate must be a window: "
                "sliding(W), tiled(W, H), last_n(n) or lifetime().");
  if constexpr (std::is_same_v<Arg, no_arg>) {
    if constexpr (is_window_v<Window>) return aggregate<Kind, no_arg, Window, Pred>{arg, w, Pred{}, kind};
    else return literal{0};
  } else {
    static_assert(!is_window_v<Arg>,
                  "skewless: a window was given where the aggregated value belongs. "
                  "Write e.g. sum(x, sliding(1h)).");
    using AN = node_t<Arg>;
    static_assert(is_window_v<Arg> || level_v<AN> != expr_level::feature,
                  "skewless: the argument of an aggregate must be a per-event "
                  "expression (fields, constants and arithmetic on them). It is an "
                  "aggregate: aggregates cannot be nested; combine aggregates with "
                  "arithmetic instead, e.g. sum(x, w1) / count(w2).");
    if constexpr (NeedsNumeric && !is_window_v<Arg> && level_v<AN> != expr_level::feature) {
      static_assert(is_numeric_expr_v<AN>,
                    "skewless: sum, mean, min, max, first, last, variance and stddev "
                    "need a numeric argument; this one is a non-numeric field (a string?). Use "
                    "count(x, w) to count its non-missing values.");
    }
    if constexpr (is_window_v<Window> && !is_window_v<Arg>) {
      return aggregate<Kind, AN, Window, Pred>{as_node(arg), w, Pred{}, kind};
    } else {
      return literal{0};
    }
  }
}

}  // namespace expr_internal

// ---- operators ------------------------------------------------------------------

template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator+(const L& l, const R& r) {
  return expr_internal::make_binary<op::add>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator-(const L& l, const R& r) {
  return expr_internal::make_binary<op::sub>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator*(const L& l, const R& r) {
  return expr_internal::make_binary<op::mul>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator/(const L& l, const R& r) {
  return expr_internal::make_binary<op::div>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator<(const L& l, const R& r) {
  return expr_internal::make_binary<op::lt>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator<=(const L& l, const R& r) {
  return expr_internal::make_binary<op::le>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator>(const L& l, const R& r) {
  return expr_internal::make_binary<op::gt>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator>=(const L& l, const R& r) {
  return expr_internal::make_binary<op::ge>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator==(const L& l, const R& r) {
  return expr_internal::make_binary<op::eq>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator!=(const L& l, const R& r) {
  return expr_internal::make_binary<op::ne>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator&&(const L& l, const R& r) {
  return expr_internal::make_binary<op::logical_and>(l, r);
}
template <class L, class R>
  requires expr_internal::BinaryOperands<L, R>
[[nodiscard]] constexpr auto operator||(const L& l, const R& r) {
  return expr_internal::make_binary<op::logical_or>(l, r);
}

template <class A>
  requires is_skewless_v<A>
[[nodiscard]] constexpr auto operator-(const A& a) {
  return expr_internal::make_unary<op::negate>(a);
}
template <class A>
  requires is_skewless_v<A>
[[nodiscard]] constexpr auto operator!(const A& a) {
  return expr_internal::make_unary<op::logical_not>(a);
}
template <class A>
  requires is_skewless_v<A>
[[nodiscard]] constexpr auto abs(const A& a) {
  return expr_internal::make_unary<op::abs>(a);
}
template <class A>
  requires is_skewless_v<A>
[[nodiscard]] constexpr auto log1p(const A& a) {
  return expr_internal::make_unary<op::log1p>(a);
}

// ---- aggregates -------------------------------------------------------------------

// count(w): events in the window (that pass where()); count(x, w): of them, those
// whose x is not missing.
template <class W>
[[nodiscard]] constexpr auto count(const W& w) {
  return expr_internal::make_aggregate<agg::count, false>(no_arg{}, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto count(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::count, false>(x, w);
}

template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto sum(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::sum, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto mean(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::mean, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto first(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::first, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto last(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::last, true>(x, w);
}

namespace expr_internal {
// f(x, window) is the aggregate Kind; f(a, b) of two expressions is element-wise Op.
template <class Kind, class Op, class A, class B>
constexpr auto aggregate_or_elementwise(const A& a, const B& b) {
  if constexpr (is_window_v<B> && !is_window_v<A>) {
    return make_aggregate<Kind, true>(a, b);
  } else {
    return make_binary<Op>(a, b);
  }
}
}  // namespace expr_internal

// min(x, window) is the aggregate; min(a, b) of two expressions is element-wise.
template <class A, class B>
  requires expr_internal::BinaryOperands<A, B>
[[nodiscard]] constexpr auto min(const A& a, const B& b) {
  return expr_internal::aggregate_or_elementwise<agg::min, op::min2>(a, b);
}
template <class A, class B>
  requires expr_internal::BinaryOperands<A, B>
[[nodiscard]] constexpr auto max(const A& a, const B& b) {
  return expr_internal::aggregate_or_elementwise<agg::max, op::max2>(a, b);
}

// Seconds from the latest (earliest) event in the window to the query time.
template <class W>
[[nodiscard]] constexpr auto time_since_last(const W& w) {
  return expr_internal::make_aggregate<agg::time_since_last, false>(no_arg{}, w);
}
template <class W>
[[nodiscard]] constexpr auto time_since_first(const W& w) {
  return expr_internal::make_aggregate<agg::time_since_first, false>(no_arg{}, w);
}

// Variance and standard deviation of x over the window: sample (divided by n - 1, as
// SQL's VARIANCE and STDDEV) or population (divided by n). One formula over exact sums,
// rounded once; see kernels/moments.hpp.
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto var_samp(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::var_samp, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto var_pop(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::var_pop, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto variance(const X& x, const W& w) {
  return var_samp(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto stddev_samp(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::stddev_samp, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto stddev_pop(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::stddev_pop, true>(x, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto stddev(const X& x, const W& w) {
  return stddev_samp(x, w);
}

// Events per `per` of window length: count / (window length / per). The window must
// have a length: sliding(W) (length W) or tiled(W, H) (length from its tile-aligned
// start to T, between W and W + H).
template <class W>
[[nodiscard]] constexpr auto rate(std::chrono::microseconds per, const W& w) {
  static_assert(std::is_same_v<W, sliding_window> || std::is_same_v<W, tiled_window>,
                "skewless: rate(per, w) needs a window with a length: sliding(W) or "
                "tiled(W, H); lifetime() and last_n(n) have none. Use count(w) instead.");
  if (per.count() <= 0) throw "skewless: rate(per, w) needs per > 0";  // compile error in constexpr
  return expr_internal::make_aggregate<agg::rate, false>(no_arg{}, w, agg::rate{per.count()});
}

template <class Kind, class Arg, class Window, class Pred>
template <class P>
constexpr auto aggregate<Kind, Arg, Window, Pred>::where(P p) const {
  static_assert(!is_window_v<P>,
                "skewless: where() takes a per-event condition, not a window.");
  using PN = expr_internal::node_t<P>;
  static_assert(is_window_v<P> || level_v<PN> != expr_level::feature,
                "skewless: where() takes a per-event condition (fields, constants, "
                "comparisons); an aggregate cannot be a filter.");
  static_assert(is_window_v<P> || same_event_v<aggregate, PN>,
                "skewless: where() reads a field of another event struct than the "
                "aggregate it filters.");
  if constexpr (is_window_v<P>) {
    return *this;
  } else if constexpr (std::is_same_v<Pred, no_filter>) {
    return aggregate<Kind, Arg, Window, PN>{arg, window, expr_internal::as_node(p), kind};
  } else {
    using both = binary<op::logical_and, Pred, PN>;
    return aggregate<Kind, Arg, Window, both>{arg, window, both{pred, expr_internal::as_node(p)}, kind};
  }
}

// ---- features ---------------------------------------------------------------------

// feature<"name">(expr): a named column of the feature set.
template <fixed_string Name, class Expr>
[[nodiscard]] constexpr auto feature(const Expr& e) {
  static_assert(!is_window_v<Expr> && is_node_v<Expr>,
                "skewless: feature<\"name\">(e) needs an expression built from "
                "aggregates, e.g. sum(x, sliding(1h)).");
  if constexpr (is_node_v<Expr>) {
    static_assert(level_v<Expr> == expr_level::feature,
                  "skewless: a feature must read its events through an aggregate with "
                  "a window. A bare field or constant has no value per (entity, time): "
                  "wrap it, e.g. last(x, lifetime()) or sum(x, sliding(1h)).");
  }
  return named_feature<Name, Expr>{e};
}

}  // namespace skewless::inline v1
