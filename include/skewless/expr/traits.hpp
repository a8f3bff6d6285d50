// skewless/expr/traits.hpp — facts about nodes, kept outside the nodes.
//
// level_v says whether an expression is a per-event expression (fields and arithmetic
// over them), a constant, or a feature-level one (aggregates and arithmetic over
// them); event_of_t says which event struct it reads; aggregates_of lists, depth
// first, the aggregate nodes a feature reads.
//
//   static_assert(skewless::level_v<decltype(spend)> == skewless::expr_level::feature);
#pragma once

#include <skewless/expr/nodes.hpp>

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>

namespace skewless::inline v1 {

template <class T> struct is_field_ref : std::false_type {};
template <class E, fixed_string N> struct is_field_ref<field_ref<E, N>> : std::true_type {};
template <class T> struct is_binary : std::false_type {};
template <class O, class L, class R> struct is_binary<binary<O, L, R>> : std::true_type {};
template <class T> struct is_unary : std::false_type {};
template <class O, class A> struct is_unary<unary<O, A>> : std::true_type {};
template <class T> struct is_aggregate : std::false_type {};
template <class K, class A, class W, class P> struct is_aggregate<aggregate<K, A, W, P>> : std::true_type {};
template <class T> struct is_column_group : std::false_type {};
template <class N, class... I> struct is_column_group<column_group<N, I...>> : std::true_type {};
template <class T> struct is_component : std::false_type {};
template <std::size_t I, class V> struct is_component<component<I, V>> : std::true_type {};
template <class T> struct is_cosine : std::false_type {};
template <class A, class B> struct is_cosine<cosine_similarity<A, B>> : std::true_type {};
template <class T> struct is_named_feature : std::false_type {};
template <fixed_string N, class E> struct is_named_feature<named_feature<N, E>> : std::true_type {};

template <class T> inline constexpr bool is_aggregate_v = is_aggregate<std::remove_cvref_t<T>>::value;

// The parts of an aggregate node type.
template <class T> struct aggregate_traits;
template <class K, class A, class W, class P> struct aggregate_traits<aggregate<K, A, W, P>> {
  using kind = K;
  using arg = A;
  using window = W;
  using pred = P;
};
template <class T> using kind_of_t = typename aggregate_traits<std::remove_cvref_t<T>>::kind;

namespace expr_internal {
// Expressions whose type alone fixes their value on every event: field references and
// operators over them, no literals.
template <class T> struct constant_free : std::false_type {};
template <class E, fixed_string N> struct constant_free<field_ref<E, N>> : std::true_type {};
template <> struct constant_free<no_arg> : std::true_type {};
template <> struct constant_free<no_filter> : std::true_type {};
template <class Op, class L, class R>
struct constant_free<binary<Op, L, R>> : std::bool_constant<constant_free<L>::value && constant_free<R>::value> {};
template <class Op, class A> struct constant_free<unary<Op, A>> : constant_free<A> {};
template <std::size_t I, class V> struct constant_free<component<I, V>> : constant_free<V> {};
template <class A, class B>
struct constant_free<cosine_similarity<A, B>> : std::bool_constant<constant_free<A>::value && constant_free<B>::value> {
};
}  // namespace expr_internal

template <class T>
inline constexpr bool is_window_v = std::is_same_v<T, sliding_window> || std::is_same_v<T, lifetime_window> ||
                                    std::is_same_v<T, tiled_window> || std::is_same_v<T, last_n_window>;

template <class T>
inline constexpr bool is_node_v =
    is_field_ref<T>::value || std::is_same_v<T, literal> || is_binary<T>::value || is_unary<T>::value ||
    is_aggregate<T>::value || is_column_group<T>::value || is_component<T>::value || is_cosine<T>::value;

template <class T>
concept Node = is_node_v<std::remove_cvref_t<T>>;

// Anything of skewless's own that may show up as an operand (windows included, so
// that misuse reaches a readable static_assert instead of "no operator").
template <class T> inline constexpr bool is_skewless_v = is_node_v<T> || is_window_v<T>;

enum class expr_level { constant, row, feature };

template <class T> struct level_of;
template <class E, fixed_string N> struct level_of<field_ref<E, N>> {
  static constexpr auto value = expr_level::row;
};
template <> struct level_of<literal> {
  static constexpr auto value = expr_level::constant;
};
template <class K, class A, class W, class P> struct level_of<aggregate<K, A, W, P>> {
  static constexpr auto value = expr_level::feature;
};
template <class N, class... I> struct level_of<column_group<N, I...>> {
  static constexpr auto value = expr_level::feature;
};
template <std::size_t I, class V> struct level_of<component<I, V>> {
  static constexpr auto value = level_of<V>::value;
};
template <class A, class B> struct level_of<cosine_similarity<A, B>> {
  static constexpr auto value = level_of<A>::value;
};
template <class O, class A> struct level_of<unary<O, A>> {
  static constexpr auto value = level_of<A>::value;
};
template <class O, class L, class R> struct level_of<binary<O, L, R>> {
  static constexpr auto value = level_of<L>::value == expr_level::constant ? level_of<R>::value : level_of<L>::value;
};
template <class T> inline constexpr expr_level level_v = level_of<std::remove_cvref_t<T>>::value;

// The event struct an expression reads; void for constants.
template <class T> struct event_of {
  using type = void;
};
template <class E, fixed_string N> struct event_of<field_ref<E, N>> {
  using type = E;
};
template <class K, class A, class W, class P> struct event_of<aggregate<K, A, W, P>> {
  using type = std::conditional_t<!std::is_void_v<typename event_of<A>::type>, typename event_of<A>::type,
                                  typename event_of<P>::type>;
};
template <class O, class A> struct event_of<unary<O, A>> {
  using type = typename event_of<A>::type;
};
template <class N, class I0, class... I> struct event_of<column_group<N, I0, I...>> {
  using type = typename event_of<I0>::type;
};
template <std::size_t I, class V> struct event_of<component<I, V>> {
  using type = typename event_of<V>::type;
};
template <class A, class B> struct event_of<cosine_similarity<A, B>> {
  using type = typename event_of<A>::type;
};
template <class O, class L, class R> struct event_of<binary<O, L, R>> {
  using type = std::conditional_t<std::is_void_v<typename event_of<L>::type>, typename event_of<R>::type,
                                  typename event_of<L>::type>;
};
template <class T> using event_of_t = typename event_of<std::remove_cvref_t<T>>::type;

template <class A, class B>
inline constexpr bool same_event_v =
    std::is_void_v<event_of_t<A>> || std::is_void_v<event_of_t<B>> || std::is_same_v<event_of_t<A>, event_of_t<B>>;

// Value type of a per-event expression: the field's type, double for arithmetic and
// constants, bool for comparisons and logic.
template <class T> struct row_type {
  using type = double;
};
template <class E, fixed_string N> struct row_type<field_ref<E, N>> {
  using type = field_type_t<E, N>;
};
// Comparisons and logic give booleans.
template <class Op>
inline constexpr bool boolean_op_v =
    std::is_same_v<Op, op::lt> || std::is_same_v<Op, op::le> || std::is_same_v<Op, op::gt> ||
    std::is_same_v<Op, op::ge> || std::is_same_v<Op, op::eq> || std::is_same_v<Op, op::ne> ||
    std::is_same_v<Op, op::logical_and> || std::is_same_v<Op, op::logical_or> || std::is_same_v<Op, op::logical_not>;
template <class Op, class L, class R> struct row_type<binary<Op, L, R>> {
  using type = std::conditional_t<boolean_op_v<Op>, bool, double>;
};
template <class Op, class A> struct row_type<unary<Op, A>> {
  using type = std::conditional_t<boolean_op_v<Op>, bool, double>;
};
template <class T> using row_type_t = typename row_type<T>::type;

// Fixed-size vectors: Eigen column vectors with a compile-time size, and std::array.
template <class T> struct fixed_vector_size {
  static constexpr std::size_t value = 0;
};
template <class T>
  requires requires {
    T::RowsAtCompileTime;
    T::ColsAtCompileTime;
  } && (T::ColsAtCompileTime == 1 && T::RowsAtCompileTime > 0)
struct fixed_vector_size<T> {
  static constexpr std::size_t value = T::RowsAtCompileTime;
};
template <class S, std::size_t N> struct fixed_vector_size<std::array<S, N>> {
  static constexpr std::size_t value = N;
};

// The size of a vector expression: a vector field, or a column group (a vector
// aggregate such as mean(embedding, w)); 0 for scalars.
template <class T> struct vector_size {
  static constexpr std::size_t value = 0;
};
template <class E, fixed_string N> struct vector_size<field_ref<E, N>> {
  static constexpr std::size_t value = fixed_vector_size<field_type_t<E, N>>::value;
};
template <class N, class... I> struct vector_size<column_group<N, I...>> {
  static constexpr std::size_t value = sizeof...(I);
};
template <class T> inline constexpr std::size_t vector_size_v = vector_size<std::remove_cvref_t<T>>::value;

template <class T> inline constexpr bool is_numeric_expr_v = is_numeric_v<row_type_t<T>>;

// Aggregates read by an expression, depth first, left to right.
template <class T> [[nodiscard]] constexpr auto aggregates_of(const T& e) {
  if constexpr (is_aggregate_v<T>) {
    return std::tuple<T>(e);
  } else if constexpr (is_binary<T>::value) {
    return std::tuple_cat(aggregates_of(e.lhs), aggregates_of(e.rhs));
  } else if constexpr (is_unary<T>::value) {
    return aggregates_of(e.arg);
  } else if constexpr (is_column_group<T>::value) {
    return std::apply([](const auto&... i) { return std::tuple_cat(aggregates_of(i)...); }, e.items);
  } else if constexpr (is_cosine<T>::value) {
    return std::tuple_cat(aggregates_of(e.a), aggregates_of(e.b));
  } else {
    return std::tuple<>{};
  }
}

template <class T>
inline constexpr std::size_t aggregate_count_v = std::tuple_size_v<decltype(aggregates_of(std::declval<const T&>()))>;

// Output columns of an aggregate kind: `Kind::columns`, or 1.
template <class K>
inline constexpr std::size_t kind_columns_v = [] {
  if constexpr (requires { K::columns; }) {
    return std::size_t{K::columns};
  } else {
    return std::size_t{1};
  }
}();

namespace expr_internal {
// {0, c[0], c[0] + c[1], ..., c[0] + ... + c[N - 1]}: where each of N items starts.
template <std::size_t N> constexpr std::array<std::size_t, N + 1> prefix_sums(const std::size_t (&counts)[N + 1]) {
  std::array<std::size_t, N + 1> at{};
  for (std::size_t i = 0; i < N; ++i) at[i + 1] = at[i] + counts[i];
  return at;
}

template <class... A> constexpr std::size_t value_count_of(std::tuple<A...>*) {
  return (kind_columns_v<kind_of_t<A>> + ... + 0);
}
}  // namespace expr_internal

// Values an expression reads: the output columns of its aggregates, in aggregates_of
// order (what a back-end computes before evaluating the feature).
template <class T>
inline constexpr std::size_t value_count_v =
    expr_internal::value_count_of(static_cast<decltype(aggregates_of(std::declval<const T&>()))*>(nullptr));

// Output columns of a feature expression: an aggregate's columns, a column group's
// items, or 1 for arithmetic (whose aggregates have one column each).
template <class T> struct feature_columns {
  static constexpr std::size_t value = 1;
};
template <class K, class A, class W, class P> struct feature_columns<aggregate<K, A, W, P>> {
  static constexpr std::size_t value = kind_columns_v<K>;
};
template <class N, class... I> struct feature_columns<column_group<N, I...>> {
  static constexpr std::size_t value = (feature_columns<I>::value + ... + 0);
};
template <class T> inline constexpr std::size_t feature_columns_v = feature_columns<std::remove_cvref_t<T>>::value;

}  // namespace skewless::inline v1
