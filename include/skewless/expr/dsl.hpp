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

#include <skewless/expr/category.hpp>
#include <skewless/expr/traits.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skewless::inline v1 {

// field<E, "name">: the field of event struct E with that name.
template <class E, fixed_string Name> inline constexpr field_ref<E, Name> field{};

[[nodiscard]] constexpr literal lit(double v) noexcept {
  return literal{v};
}

// ---- windows ------------------------------------------------------------------

// The events of the last `width` before the query time: T - width <= ts < T.
// Definitions are compile-time objects: a width that is not positive does not compile.
[[nodiscard]] consteval sliding_window sliding(std::chrono::microseconds width) {
  if (width.count() <= 0) throw "skewless: sliding(W) needs a positive width W";
  if (width.count() > (std::int64_t{1} << 61)) throw "skewless: sliding(W): W is too large";
  return sliding_window{width.count()};
}

// Every event before the query time.
[[nodiscard]] constexpr lifetime_window lifetime() noexcept {
  return {};
}

// A window of `width` whose start hops in epoch-aligned tiles of `hop`:
// floor((T - width) / hop) * hop <= ts < T. It covers between width and width + hop,
// and online state per entity is bounded by width / hop + 1 tiles whatever the rate.
[[nodiscard]] consteval tiled_window tiled(std::chrono::microseconds width, std::chrono::microseconds hop) {
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

template <class T> constexpr auto as_node(const T& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return literal{static_cast<double>(v)};
  } else if constexpr (std::is_enum_v<T>) {
    return literal{category_value(v)};  // its underlying value, as the field enters
  } else {
    return v;
  }
}

template <class T> using node_t = decltype(as_node(std::declval<const T&>()));

template <class T>
inline constexpr bool is_operand_v =
    is_skewless_v<std::remove_cvref_t<T>> || std::is_arithmetic_v<std::remove_cvref_t<T>> ||
    std::is_enum_v<std::remove_cvref_t<T>>;

// The enum type an operand carries: an enumerator's type, or an enum field's; else void.
template <class T, class = void> struct enum_operand {
  using type = void;
};
template <class T>
  requires std::is_enum_v<T>
struct enum_operand<T> {
  using type = T;
};
template <class E, fixed_string N>
  requires std::is_enum_v<field_type_t<E, N>>
struct enum_operand<field_ref<E, N>> {
  using type = field_type_t<E, N>;
};
template <class T> using enum_operand_t = typename enum_operand<std::remove_cvref_t<T>>::type;

// An enum field is a category: it compares with == and != against an enumerator of
// its own type (or another field of that type), and takes part in nothing else.
template <class Op, class L, class R> constexpr bool check_enum_operands() {
  using LE = enum_operand_t<L>;
  using RE = enum_operand_t<R>;
  constexpr bool equality = std::is_same_v<Op, op::eq> || std::is_same_v<Op, op::ne>;
  constexpr bool feature_side = level_v<node_t<L>> == expr_level::feature || level_v<node_t<R>> == expr_level::feature;
  if constexpr (feature_side) {
    static_assert(!feature_side,
                  "skewless: an aggregate is compared with an enumerator. Aggregates are "
                  "numbers: compare with the enumerator's number, e.g. most_frequent(type, w) "
                  "== skewless::category_value(event_type::click).");
  } else if constexpr (!equality) {
    static_assert(equality,
                  "skewless: an enum field is a category: it only takes == and != with an "
                  "enumerator of its own type, e.g. count(w).where(type == event_type::click); "
                  "it has no arithmetic and no order. Use count_by(type, vocabulary<...>, w) "
                  "to count per value.");
  } else {
    static_assert(std::is_same_v<LE, RE>,
                  "skewless: an enum field is compared with something that is not a value of "
                  "its own enum type (a bare integer, a number, or another enum's enumerator). "
                  "Write type == event_type::click with the field's own enum type.");
  }
  return !feature_side && equality && std::is_same_v<LE, RE>;
}

template <class L, class R>
concept BinaryOperands = is_operand_v<L> && is_operand_v<R> &&
                         (is_skewless_v<std::remove_cvref_t<L>> || is_skewless_v<std::remove_cvref_t<R>>);

template <class Op, class L, class R> constexpr auto make_binary(const L& l, const R& r) {
  static_assert(!is_window_v<L> && !is_window_v<R>,
                "skewless: a window (sliding, tiled, last_n, lifetime) can only be applied to an "
                "aggregate. Write e.g. sum(x, sliding(1h)), not x * sliding(1h).");
  if constexpr (is_window_v<L> || is_window_v<R>) {
    return literal{0};
  } else {
    using LN = node_t<L>;
    using RN = node_t<R>;
    if constexpr (!std::is_void_v<enum_operand_t<L>> || !std::is_void_v<enum_operand_t<R>>) {
      if constexpr (check_enum_operands<Op, L, R>()) {
        static_assert(same_event_v<LN, RN>,
                      "skewless: an expression mixes fields of two different event structs. "
                      "A feature set reads one event type; define features of the other "
                      "event type in a feature set of their own.");
        return binary<Op, LN, RN>{as_node(l), as_node(r)};
      } else {
        return literal{0};
      }
    } else {
      static_assert(feature_columns_v<LN> == 1 && feature_columns_v<RN> == 1,
                    "skewless: an aggregate with several columns (first_k, last_k, "
                    "top_k_frequency, approx_quantile, count_by, sum_by) is a feature on its "
                    "own and cannot be used in arithmetic. Make it its own feature, or pick one "
                    "value with a one-column aggregate (last, most_frequent, a single quantile).");
      static_assert(!((level_v<LN> == expr_level::row && level_v<RN> == expr_level::feature) ||
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
}

template <class Op, class A> constexpr auto make_unary(const A& a) {
  static_assert(!is_window_v<A>,
                "skewless: a window (sliding, tiled, last_n, lifetime) can only be applied to an "
                "aggregate. Write e.g. sum(x, sliding(1h)).");
  if constexpr (is_window_v<A>) {
    return literal{0};
  } else {
    using AN = node_t<A>;
    static_assert(std::is_void_v<enum_operand_t<A>>,
                  "skewless: an enum field is a category: it only takes == and != with an "
                  "enumerator of its own type, e.g. !(type == event_type::click); abs, log1p, "
                  "negation and ! do not apply to it.");
    static_assert(feature_columns_v<AN> == 1,
                  "skewless: an aggregate with several columns (first_k, last_k, "
                  "top_k_frequency, approx_quantile, count_by, sum_by) is a feature on its "
                  "own and cannot be used in arithmetic.");
    if constexpr (level_v<AN> != expr_level::feature && std::is_void_v<enum_operand_t<A>>) {
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
                    "skewless: sum, mean, min, max, first, last, variance, stddev, "
                    "first_k, last_k and approx_quantile need a numeric argument; this one is "
                    "a non-numeric field (a string or an enum?). Use count(x, w) to count its "
                    "values, or distinct_count, most_frequent or count_by for categories.");
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
template <class W> [[nodiscard]] constexpr auto count(const W& w) {
  return expr_internal::make_aggregate<agg::count, false>(no_arg{}, w);
}
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto count(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::count, false>(x, w);
}

namespace expr_internal {
// An aggregate of a vector field: one aggregate per element, as a column group (one
// column per dimension, named feature[0], feature[1], ...).
template <class Kind, class V, class W> constexpr auto per_component(const V& v, const W& w) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return column_group<vocabulary_t<category_literal(I)...>,
                        decltype(make_aggregate<Kind, true>(component<I, V>{v}, w))...>{
        {make_aggregate<Kind, true>(component<I, V>{v}, w)...}};
  }(std::make_index_sequence<vector_size_v<V>>{});
}
}  // namespace expr_internal

// sum(x, w), and for a vector field (fixed-size Eigen vector or std::array) the sum of
// each element: one column per dimension.
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto sum(const X& x, const W& w) {
  if constexpr (vector_size_v<X> > 0 && is_field_ref<X>::value) {
    return expr_internal::per_component<agg::sum>(x, w);
  } else {
    return expr_internal::make_aggregate<agg::sum, true>(x, w);
  }
}
// mean(x, w), and for a vector field the mean of each element (e.g. the mean embedding
// of a window): one column per dimension.
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto mean(const X& x, const W& w) {
  if constexpr (vector_size_v<X> > 0 && is_field_ref<X>::value) {
    return expr_internal::per_component<agg::mean>(x, w);
  } else {
    return expr_internal::make_aggregate<agg::mean, true>(x, w);
  }
}

// The cosine similarity of two vectors of the same size: of two vector fields, a
// per-event value to aggregate (mean(cosine(query, item), w)); of two vector
// aggregates, a feature (cosine(mean(emb, sliding(1h)), mean(emb, lifetime()))).
// NaN when either vector is zero or has a missing element.
template <class A, class B>
  requires expr_internal::is_operand_v<A> && expr_internal::is_operand_v<B>
[[nodiscard]] constexpr auto cosine(const A& a, const B& b) {
  static_assert(vector_size_v<A> > 0 && vector_size_v<B> > 0,
                "skewless: cosine(a, b) needs two vectors: vector fields (fixed-size Eigen "
                "vectors or std::array) or vector aggregates such as mean(embedding, w).");
  static_assert(vector_size_v<A> == vector_size_v<B>, "skewless: cosine(a, b) needs vectors of the same size.");
  static_assert(level_v<A> == level_v<B>,
                "skewless: cosine(a, b) compares two vector fields of the event, or two "
                "vector aggregates; not one of each.");
  static_assert(same_event_v<A, B>, "skewless: cosine(a, b) reads two different event structs.");
  return cosine_similarity<A, B>{a, b};
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
template <class Kind, class Op, class A, class B> constexpr auto aggregate_or_elementwise(const A& a, const B& b) {
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
template <class W> [[nodiscard]] constexpr auto time_since_last(const W& w) {
  return expr_internal::make_aggregate<agg::time_since_last, false>(no_arg{}, w);
}
template <class W> [[nodiscard]] constexpr auto time_since_first(const W& w) {
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
template <class W> [[nodiscard]] constexpr auto rate(std::chrono::microseconds per, const W& w) {
  static_assert(std::is_same_v<W, sliding_window> || std::is_same_v<W, tiled_window>,
                "skewless: rate(per, w) needs a window with a length: sliding(W) or "
                "tiled(W, H); lifetime() and last_n(n) have none. Use count(w) instead.");
  if (per.count() <= 0) throw "skewless: rate(per, w) needs per > 0";  // compile error in constexpr
  return expr_internal::make_aggregate<agg::rate, false>(no_arg{}, w, agg::rate{per.count()});
}

// ---- aggregates with several columns, categories and sketches -----------------------

// The k oldest (first_k) or newest (last_k) values of the window in (ts, value) order,
// as k columns from oldest to newest. first_k fills from column 0 (missing slots NaN at
// the end); last_k ends at column k - 1, the newest (missing slots NaN at the front).
template <std::size_t K, class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto first_k(const X& x, const W& w) {
  static_assert(K >= 1 && K <= 256, "skewless: first_k<k>(x, w) needs 1 <= k <= 256");
  return expr_internal::make_aggregate<agg::first_k<K>, true>(x, w);
}
template <std::size_t K, class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto last_k(const X& x, const W& w) {
  static_assert(K >= 1 && K <= 256, "skewless: last_k<k>(x, w) needs 1 <= k <= 256");
  return expr_internal::make_aggregate<agg::last_k<K>, true>(x, w);
}

// Exponentially decayed sum of x over the window: sum of x 2^(-(T - ts) / half_life),
// and ewma, the decayed mean (that sum over the sum of the weights; NaN when empty).
// Order-free and exact up to fixed roundings; see skewless/kernels/decay.hpp.
//   ewma<24h>(amount, lifetime())
template <period HalfLife, class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto decayed_sum(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::decayed_sum<HalfLife>, true>(x, w);
}
template <period HalfLife, class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto ewma(const X& x, const W& w) {
  return expr_internal::make_aggregate<agg::ewma<HalfLife>, true>(x, w);
}

namespace expr_internal {
template <class X> constexpr void check_category_argument() {
  if constexpr (level_v<node_t<X>> == expr_level::row && is_field_ref<node_t<X>>::value) {
    using F = field_type_t<typename node_t<X>::event_type, node_t<X>::name>;
    static_assert(is_numeric_v<F> || is_categorical_v<F>,
                  "skewless: distinct_count, most_frequent, top_k_frequency and count_by "
                  "need a number or a category (integer, enum or std::string field).");
  }
}
}  // namespace expr_internal

// How many distinct values (categories: -0.0 and +0.0 are one) the window has, exactly.
// State grows with the distinct values; approx_distinct_count is bounded.
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto distinct_count(const X& x, const W& w) {
  expr_internal::check_category_argument<X>();
  return expr_internal::make_aggregate<agg::distinct_count, false>(x, w);
}

// Distinct values estimated by a HyperLogLog of 2^Precision registers (relative
// standard error about 1.04 / sqrt(2^Precision): 1.6% for the default 12).
template <unsigned Precision = 12, class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto approx_distinct_count(const X& x, const W& w) {
  static_assert(Precision >= 4 && Precision <= 18,
                "skewless: approx_distinct_count<p>: the precision p must be in [4, 18]");
  expr_internal::check_category_argument<X>();
  return expr_internal::make_aggregate<agg::approx_distinct_count<Precision>, false>(x, w);
}

// The most frequent value of the window (ties: the smallest value), or NaN when empty.
// For a string field the result is its category_code.
template <class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto most_frequent(const X& x, const W& w) {
  expr_internal::check_category_argument<X>();
  return expr_internal::make_aggregate<agg::most_frequent, false>(x, w);
}
// The k most frequent values, most frequent first (ties: smaller value first), as k
// columns; NaN where the window has fewer than k distinct values.
template <std::size_t K, class X, class W>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto top_k_frequency(const X& x, const W& w) {
  static_assert(K >= 1 && K <= 256, "skewless: top_k_frequency<k>(x, w) needs 1 <= k <= 256");
  expr_internal::check_category_argument<X>();
  return expr_internal::make_aggregate<agg::top_k_frequency<K>, false>(x, w);
}

// Relative accuracy of approx_quantile, e.g. relative_accuracy<0.005>.
template <double Alpha> struct relative_accuracy_t {};
template <double Alpha> inline constexpr relative_accuracy_t<Alpha> relative_accuracy{};

namespace expr_internal {
template <double... Qs> consteval bool quantiles_valid() {
  const double qs[] = {Qs...};
  for (double q : qs) {
    if (!(q >= 0.0 && q <= 1.0)) return false;
  }
  return sizeof...(Qs) > 0;
}
}  // namespace expr_internal

// Quantiles Qs (each in [0, 1]) of the window's values, one column each, from one
// DDSketch: each is within alpha (relative) of the exact lower quantile, the value of
// rank floor(q (n - 1)). approx_quantile<0.5, 0.99>(x, w) uses alpha = 1%.
template <double... Qs, class X, class W, double Alpha = 0.01>
  requires expr_internal::is_operand_v<X>
[[nodiscard]] constexpr auto approx_quantile(const X& x, const W& w, relative_accuracy_t<Alpha> = {}) {
  static_assert(expr_internal::quantiles_valid<Qs...>(),
                "skewless: approx_quantile<q...>(x, w) needs at least one quantile, each "
                "in [0, 1]");
  static_assert(Alpha >= 1e-6 && Alpha <= 0.25, "skewless: approx_quantile: relative accuracy must be in [1e-6, 0.25]");
  return expr_internal::make_aggregate<agg::approx_quantile<Alpha, Qs...>, true>(x, w);
}

namespace expr_internal {
constexpr double vocabulary_value(const category_literal& v) {
  return v.is_text ? category_code(v.view()) : static_cast<double>(v.number);
}

template <category_literal... V> consteval bool vocabulary_distinct() {
  const double codes[] = {vocabulary_value(V)...};
  for (std::size_t i = 0; i < sizeof...(V); ++i) {
    for (std::size_t j = i + 1; j < sizeof...(V); ++j) {
      if (codes[i] == codes[j]) return false;
    }
  }
  return true;
}

template <auto, class T> using repeat_t = T;

// One aggregate per vocabulary value, each restricted to events whose key is it.
template <class MakeOne, class Key, category_literal... V>
constexpr auto by_vocabulary(MakeOne make_one, const Key& key, vocabulary_t<V...>) {
  static_assert(sizeof...(V) > 0,
                "skewless: count_by / sum_by need a non-empty vocabulary, e.g. "
                "vocabulary<\"visa\", \"amex\">.");
  static_assert(level_v<node_t<Key>> == expr_level::row,
                "skewless: the key of count_by / sum_by must be a per-event expression "
                "(a field).");
  if constexpr (sizeof...(V) > 0) {
    static_assert(vocabulary_distinct<V...>(), "skewless: count_by / sum_by: the vocabulary lists a value twice.");
    using KN = node_t<Key>;
    if constexpr (is_field_ref<KN>::value) {
      using F = field_type_t<typename KN::event_type, KN::name>;
      constexpr bool text_key = std::is_same_v<F, std::string>;
      static_assert(((V.is_text == text_key) && ...),
                    "skewless: count_by / sum_by: the vocabulary must be strings for a "
                    "string key and integers (or enum values) for an integer or enum key.");
    }
    using eq = binary<op::eq, KN, literal>;
    using names = std::conditional_t<std::is_enum_v<row_type_t<KN>>,
                                     enum_vocabulary<row_type_t<KN>, vocabulary_t<V...>>, vocabulary_t<V...>>;
    return column_group<names, repeat_t<V, decltype(make_one(eq{}))>...>{
        {make_one(eq{as_node(key), literal{vocabulary_value(V)}})...}};
  } else {
    return literal{0};
  }
}
}  // namespace expr_internal

// Events per vocabulary value of a categorical key, one column per value (named
// feature[value]); events whose key is not in the vocabulary are not counted. Chronon's
// bucketed count, OpenMLDB's count_cate with a fixed set of categories.
//   count_by(card_brand, vocabulary<"visa", "mastercard", "amex">, sliding(24h))
template <class Key, category_literal... V, class W>
  requires expr_internal::is_operand_v<Key>
[[nodiscard]] constexpr auto count_by(const Key& key, vocabulary_t<V...> vocab, const W& w) {
  expr_internal::check_category_argument<Key>();
  return expr_internal::by_vocabulary([&](const auto& pred) { return count(w).where(pred); }, key, vocab);
}
// The exact sum of x per vocabulary value of a categorical key, one column each.
template <class X, class Key, category_literal... V, class W>
  requires expr_internal::is_operand_v<X> && expr_internal::is_operand_v<Key>
[[nodiscard]] constexpr auto sum_by(const X& x, const Key& key, vocabulary_t<V...> vocab, const W& w) {
  expr_internal::check_category_argument<Key>();
  return expr_internal::by_vocabulary([&](const auto& pred) { return sum(x, w).where(pred); }, key, vocab);
}

template <class Names, class... Items>
template <class P>
constexpr auto column_group<Names, Items...>::where(P p) const {
  return std::apply(
      [&](const auto&... item) { return column_group<Names, decltype(item.where(p))...>{{item.where(p)...}}; }, items);
}

template <class Kind, class Arg, class Window, class Pred>
template <class P>
constexpr auto aggregate<Kind, Arg, Window, Pred>::where(P p) const {
  static_assert(!is_window_v<P>, "skewless: where() takes a per-event condition, not a window.");
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
template <fixed_string Name, class Expr> [[nodiscard]] constexpr auto feature(const Expr& e) {
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
