// skewless/kernels/operators.hpp — what each operator of the DSL means, and the
// evaluation of per-event and feature-level expressions (eval_row, eval_columns).
//
// Values are doubles; NaN means missing (SQL NULL). Arithmetic follows IEEE, so a
// missing operand gives a missing result. Comparisons with a missing operand are
// missing; && and || use SQL's three-valued logic (false && missing = false,
// true || missing = true); where() keeps an event only when its condition is true
// (not false, not missing). Booleans are 1.0 / 0.0. min2/max2 of two values compare
// under totalOrder and are missing if either operand is.
//
//   skewless::eval_row(amount * 2.0, event);   // 2 * event.amount
#pragma once

#include <skewless/expr/category.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kernels/total_order.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skewless::inline v1 {

namespace kernels_internal {
inline constexpr double missing = std::numeric_limits<double>::quiet_NaN();

[[nodiscard]] inline double truth(bool b) noexcept {
  return b ? 1.0 : 0.0;
}
}  // namespace kernels_internal

[[nodiscard]] inline bool is_missing(double v) noexcept {
  return std::isnan(v);
}

template <class Op> [[nodiscard]] inline double apply_binary(double a, double b) noexcept {
  using kernels_internal::missing;
  using kernels_internal::truth;
  if constexpr (std::is_same_v<Op, op::add>) return a + b;
  else if constexpr (std::is_same_v<Op, op::sub>) return a - b;
  else if constexpr (std::is_same_v<Op, op::mul>) return a * b;
  else if constexpr (std::is_same_v<Op, op::div>) return a / b;
  else if constexpr (std::is_same_v<Op, op::logical_and>) {
    if ((!is_missing(a) && a == 0) || (!is_missing(b) && b == 0)) return 0.0;
    return is_missing(a) || is_missing(b) ? missing : 1.0;
  } else if constexpr (std::is_same_v<Op, op::logical_or>) {
    if ((!is_missing(a) && a != 0) || (!is_missing(b) && b != 0)) return 1.0;
    return is_missing(a) || is_missing(b) ? missing : 0.0;
  } else {
    if (is_missing(a) || is_missing(b)) return missing;
    if constexpr (std::is_same_v<Op, op::lt>) return truth(a < b);
    else if constexpr (std::is_same_v<Op, op::le>) return truth(a <= b);
    else if constexpr (std::is_same_v<Op, op::gt>) return truth(a > b);
    else if constexpr (std::is_same_v<Op, op::ge>) return truth(a >= b);
    else if constexpr (std::is_same_v<Op, op::eq>) return truth(a == b);
    else if constexpr (std::is_same_v<Op, op::ne>) return truth(a != b);
    else if constexpr (std::is_same_v<Op, op::min2>) return total_order_min(a, b);
    else if constexpr (std::is_same_v<Op, op::max2>) return total_order_max(a, b);
    else static_assert(sizeof(Op) == 0, "skewless: operator without a kernel");
  }
}

template <class Op> [[nodiscard]] inline double apply_unary(double a) noexcept {
  if constexpr (std::is_same_v<Op, op::negate>) return -a;
  else if constexpr (std::is_same_v<Op, op::abs>) return std::fabs(a);
  else if constexpr (std::is_same_v<Op, op::log1p>) return std::log1p(a);
  else if constexpr (std::is_same_v<Op, op::logical_not>) {
    return is_missing(a) ? a : kernels_internal::truth(a == 0);
  } else static_assert(sizeof(Op) == 0, "skewless: operator without a kernel");
}

// The value of a per-event expression for one event.
template <class T, class E> [[nodiscard]] inline double eval_row(const T& node, const E& event) noexcept {
  if constexpr (is_field_ref<T>::value) {
    using F = field_type_t<typename T::event_type, T::name>;
    if constexpr (std::is_same_v<F, missing_field>) {
      return kernels_internal::missing;  // reported by field<E, "name">; never compiled further
    } else if constexpr (is_numeric_v<F> || is_categorical_v<F>) {
      return category_value(get_field<T::name>(event));  // a string: its category code
    } else {
      return 0.0;  // another non-numeric field is never missing; only count(x) reads it
    }
  } else if constexpr (std::is_same_v<T, literal>) {
    return node.value;
  } else if constexpr (is_binary<T>::value) {
    return eval_binary(node, event);
  } else if constexpr (is_component<T>::value) {
    return eval_component(node, event);
  } else if constexpr (is_cosine<T>::value) {
    return eval_cosine_row(node, event);
  } else {
    return eval_unary(node, event);
  }
}

// cos(a, b) = (a . b) / sqrt((a . a) (b . b)), each sum of products left to right in
// double (no contraction: see CMakeLists.txt), NaN for a zero vector or a NaN element.
template <class GetA, class GetB> [[nodiscard]] inline double cosine_of(std::size_t n, GetA a, GetB b) noexcept {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a(i), y = b(i);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / std::sqrt(aa * bb);
}

template <std::size_t I, class V, class E>
[[nodiscard]] inline double eval_component(const component<I, V>&, const E& event) noexcept {
  return static_cast<double>(get_field<V::name>(event)[I]);
}
template <class A, class B, class E>
[[nodiscard]] inline double eval_cosine_row(const cosine_similarity<A, B>&, const E& event) noexcept {
  const auto& a = get_field<A::name>(event);
  const auto& b = get_field<B::name>(event);
  return cosine_of(
      vector_size_v<A>, [&](std::size_t i) { return static_cast<double>(a[i]); },
      [&](std::size_t i) { return static_cast<double>(b[i]); });
}

template <class O, class L, class R, class E>
[[nodiscard]] inline double eval_binary(const binary<O, L, R>& n, const E& e) noexcept {
  return apply_binary<O>(eval_row(n.lhs, e), eval_row(n.rhs, e));
}
template <class O, class A, class E> [[nodiscard]] inline double eval_unary(const unary<O, A>& n, const E& e) noexcept {
  return apply_unary<O>(eval_row(n.arg, e));
}

// Whether where() keeps the event: its condition is true (not false, not missing).
template <class P, class E> [[nodiscard]] inline bool passes(const P& pred, const E& event) noexcept {
  if constexpr (std::is_same_v<P, no_filter>) {
    return true;
  } else {
    const double v = eval_row(pred, event);
    return !is_missing(v) && v != 0;
  }
}

// The value a feature expression takes given the results of its aggregates, which
// are at agg_values[Offset ...] in aggregates_of order.
template <std::size_t Offset, class T>
[[nodiscard]] inline double eval_feature(const T& node, const double* agg_values) noexcept {
  if constexpr (is_aggregate_v<T>) {
    return agg_values[Offset];
  } else if constexpr (std::is_same_v<T, literal>) {
    return node.value;
  } else if constexpr (is_binary<T>::value) {
    using L = decltype(node.lhs);
    return eval_feature_binary<Offset, value_count_v<L>>(node, agg_values);
  } else if constexpr (is_cosine<T>::value) {
    return eval_feature_cosine<Offset>(node, agg_values);
  } else if constexpr (is_column_group<T>::value) {
    // A group of one column (count_by over a one-value vocabulary) is that column.
    static_assert(std::tuple_size_v<decltype(node.items)> == 1,
                  "skewless internal: only a one-column group is a scalar");
    return eval_feature<Offset>(std::get<0>(node.items), agg_values);
  } else {
    return eval_feature_unary<Offset>(node, agg_values);
  }
}

template <std::size_t Offset, std::size_t LeftCount, class O, class L, class R>
[[nodiscard]] inline double eval_feature_binary(const binary<O, L, R>& n, const double* v) noexcept {
  return apply_binary<O>(eval_feature<Offset>(n.lhs, v), eval_feature<Offset + LeftCount>(n.rhs, v));
}
template <std::size_t Offset, class O, class A>
[[nodiscard]] inline double eval_feature_unary(const unary<O, A>& n, const double* v) noexcept {
  return apply_unary<O>(eval_feature<Offset>(n.arg, v));
}

template <std::size_t Offset, class A, class B>
[[nodiscard]] inline double eval_feature_cosine(const cosine_similarity<A, B>& n, const double* v) noexcept {
  std::array<double, vector_size_v<A>> a{}, b{};
  eval_feature_columns<Offset>(n.a, v, a.data());
  eval_feature_columns<Offset + value_count_v<A>>(n.b, v, b.data());
  return cosine_of(a.size(), [&](std::size_t i) { return a[i]; }, [&](std::size_t i) { return b[i]; });
}

// Writes the feature_columns_v<T> columns of a feature into out: an aggregate's own
// columns, each item of a column group, or the one value of an expression.
template <std::size_t Offset, class T>
inline void eval_feature_columns(const T& node, const double* agg_values, double* out) noexcept {
  if constexpr (is_column_group<T>::value) {
    // Items are single-column expressions, each over its own aggregates.
    using items = decltype(node.items);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      constexpr auto at =
          expr_internal::prefix_sums<sizeof...(I)>({value_count_v<std::tuple_element_t<I, items>>..., 0});
      ((out[I] = eval_feature<Offset + at[I]>(std::get<I>(node.items), agg_values)), ...);
    }(std::make_index_sequence<std::tuple_size_v<items>>{});
  } else if constexpr (feature_columns_v<T> > 1) {
    for (std::size_t c = 0; c < feature_columns_v<T>; ++c) out[c] = agg_values[Offset + c];
  } else {
    out[0] = eval_feature<Offset>(node, agg_values);
  }
}

// Writes every feature's columns of the feature set into out[0, FS::size) from the
// values of its aggregates (in FS::aggregates() order): what every back-end does last
// for a row. The set (expr/) only says where each feature's values and columns start.
template <class FS> inline void eval_columns(const FS& fs, const double* agg_values, double* out) noexcept {
  [&]<std::size_t... F>(std::index_sequence<F...>) {
    (eval_feature_columns<FS::template value_offset<F>>(std::get<F>(fs.features).expr, agg_values,
                                                        out + FS::template column_offset<F>),
     ...);
  }(std::make_index_sequence<FS::feature_count>{});
}

}  // namespace skewless::inline v1
