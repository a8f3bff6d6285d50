// skewless/kernels/entry_plan.hpp — which aggregates of a feature set read the same
// entries.
//
// An event's entry for an aggregate — (ts, value) after its where() filter and value
// expression, or no entry — depends only on those two expressions. When both are
// constant-free types (field references and operators, no literals), equal types mean
// equal expressions, so aggregates of equal value and filter types read one stream of
// entries, computed and kept once. This is the one definition of that relation; the
// back-ends build their own groupings on it:
//   - batch (batch/internal/plan.hpp) stores one stream per `leader` and sweeps all of
//     a stream's windows at once; streams whose types hold constants are merged at run
//     time when their canonical texts are equal;
//   - online (online/stream_group.hpp) keeps one buffer per group of sliding-window
//     aggregates of the same entries, where count()-like aggregates (no value) may also
//     join the first value stream of their filter, which then keeps missing values.
//
//   using plan = skewless::entry_plan<decltype(features.aggregates())>;
//   plan::same_entries[i][j];   // aggregates i and j read one stream
//   plan::leader[i];            // the first aggregate reading aggregate i's stream
#pragma once

#include <skewless/expr/traits.hpp>

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>

namespace skewless::inline v1 {

template <class Agg> using entry_arg_t = typename aggregate_traits<Agg>::arg;
template <class Agg> using entry_pred_t = typename aggregate_traits<Agg>::pred;

// An aggregate whose entries carry no value (count(), rate(), time_since_*()).
template <class Agg> inline constexpr bool no_value_v = std::is_same_v<entry_arg_t<Agg>, no_arg>;

// Whether equal types of the aggregate's value and filter mean equal expressions.
template <class Agg>
inline constexpr bool typed_entries_v =
    expr_internal::constant_free<entry_arg_t<Agg>>::value && expr_internal::constant_free<entry_pred_t<Agg>>::value;

// Groups of aggregates given by their leaders (leader[i] == i leads a group; no_group:
// in none): how many groups, and each aggregate's group number — its leader's rank
// among the leaders. Batch streams and online stream groups are numbered so.
inline constexpr std::size_t no_group = static_cast<std::size_t>(-1);
template <std::size_t N> constexpr std::size_t group_count(const std::array<std::size_t, N>& leader) {
  std::size_t c = 0;
  for (std::size_t i = 0; i < N; ++i) c += leader[i] == i;
  return c;
}
template <std::size_t N> constexpr std::array<std::size_t, N> group_numbers(const std::array<std::size_t, N>& leader) {
  std::array<std::size_t, N> r{};
  for (std::size_t i = 0; i < N; ++i) {
    r[i] = no_group;
    if (leader[i] == no_group) continue;
    r[i] = 0;
    for (std::size_t j = 0; j < leader[i]; ++j) r[i] += leader[j] == j;
  }
  return r;
}

template <class Tuple> struct entry_plan;
template <class... Aggs> struct entry_plan<std::tuple<Aggs...>> {
  static constexpr std::size_t n = sizeof...(Aggs);

 private:
  template <class A>
  static constexpr std::array<bool, n> same_arg_as{std::is_same_v<entry_arg_t<A>, entry_arg_t<Aggs>>...};
  template <class A>
  static constexpr std::array<bool, n> same_pred_as{std::is_same_v<entry_pred_t<A>, entry_pred_t<Aggs>>...};

 public:
  static constexpr std::array<bool, n> typed{typed_entries_v<Aggs>...};
  static constexpr std::array<bool, n> no_value{no_value_v<Aggs>...};
  // Equal value (filter) expression types; only meaningful between typed aggregates.
  static constexpr std::array<std::array<bool, n>, n> same_arg{same_arg_as<Aggs>...};
  static constexpr std::array<std::array<bool, n>, n> same_pred{same_pred_as<Aggs>...};
  // Aggregates i and j read the same entries, known from their types.
  static constexpr std::array<std::array<bool, n>, n> same_entries = [] {
    std::array<std::array<bool, n>, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j)
        r[i][j] = i == j || (typed[i] && typed[j] && same_arg[i][j] && same_pred[i][j]);
    }
    return r;
  }();
  // leader[i]: the first aggregate that reads aggregate i's entries (i itself if none
  // before it does).
  static constexpr std::array<std::size_t, n> leader = [] {
    std::array<std::size_t, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = i;
      for (std::size_t j = 0; j < i; ++j) {
        if (same_entries[i][j]) {
          r[i] = j;
          break;
        }
      }
    }
    return r;
  }();
};

}  // namespace skewless::inline v1
