// skewless/expr/nodes.hpp — the node types of a feature definition.
//
// Nodes are plain data: they hold their children by value and nothing else, so a
// definition can be a constexpr object, copied freely, and interpreted by every
// back-end (batch, online, reference, fingerprint) without knowing about any of them.
//
//   constexpr auto amount = skewless::field<payment, "amount">;
//   constexpr auto spend = skewless::sum(amount, skewless::sliding(1h));
//   // spend is aggregate<agg::sum, field_ref<payment,"amount">, sliding_window, no_filter>
#pragma once

#include <skewless/expr/event.hpp>
#include <skewless/expr/fixed_string.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace skewless::inline v1 {

// ---- per-event expressions ----------------------------------------------------

// A reference to field Name of event struct E.
template <class E, fixed_string Name> struct field_ref {
  static_assert(Event<E>,
                "skewless: field<E, \"name\">: E is not an event struct. Adapt it with "
                "BOOST_HANA_ADAPT_STRUCT(E, fields...) or define it with "
                "BOOST_HANA_DEFINE_STRUCT.");
  static_assert(!Event<E> || has_field_v<E, Name>,
                "skewless: field<E, \"name\">: E has no field of that name. Check the "
                "spelling, and that the field is listed in BOOST_HANA_ADAPT_STRUCT.");
  using event_type = E;
  static constexpr auto name = Name;
};

// A numeric constant. Plain numbers in expressions become literals.
struct literal {
  double value;
};

// Operator tags. Their meaning (including missing-value rules) lives in
// skewless/kernels/operators.hpp; here they are only names.
namespace op {
struct add {
  static constexpr std::string_view name = "add";
};
struct sub {
  static constexpr std::string_view name = "sub";
};
struct mul {
  static constexpr std::string_view name = "mul";
};
struct div {
  static constexpr std::string_view name = "div";
};
struct lt {
  static constexpr std::string_view name = "lt";
};
struct le {
  static constexpr std::string_view name = "le";
};
struct gt {
  static constexpr std::string_view name = "gt";
};
struct ge {
  static constexpr std::string_view name = "ge";
};
struct eq {
  static constexpr std::string_view name = "eq";
};
struct ne {
  static constexpr std::string_view name = "ne";
};
struct logical_and {
  static constexpr std::string_view name = "and";
};
struct logical_or {
  static constexpr std::string_view name = "or";
};
struct min2 {
  static constexpr std::string_view name = "min2";
};
struct max2 {
  static constexpr std::string_view name = "max2";
};
struct negate {
  static constexpr std::string_view name = "neg";
};
struct logical_not {
  static constexpr std::string_view name = "not";
};
struct abs {
  static constexpr std::string_view name = "abs";
};
struct log1p {
  static constexpr std::string_view name = "log1p";
};
}  // namespace op

// Element I of a fixed-size vector expression (a vector field).
template <std::size_t I, class V> struct component {
  V vec;
};

// The cosine of the angle between two vector expressions of the same size: two vector
// fields of the event (one value per event), or two vector aggregates such as
// mean(embedding, w) (one value per window).
template <class A, class B> struct cosine_similarity {
  A a;
  B b;
};

template <class Op, class L, class R> struct binary {
  L lhs;
  R rhs;
};

template <class Op, class A> struct unary {
  A arg;
};

// ---- windows ------------------------------------------------------------------
// Which events a window covers for a query at T lives in skewless/kernels/window.hpp.

// Events with T - offset - width <= ts < T - offset (offset 0 unless lagged with ending()).
struct sliding_window {
  std::int64_t width_us;
  std::int64_t offset_us = 0;
  static constexpr std::string_view name = "sliding";

  // The same window lagged by d, for data that arrives late: events in
  // [T - d - W, T - d). Checked at compile time.
  [[nodiscard]] consteval sliding_window ending(std::chrono::microseconds d) const {
    if (d.count() < 0) throw "skewless: sliding(W).ending(D) needs D >= 0";
    if (d.count() > (std::int64_t{1} << 61)) throw "skewless: sliding(W).ending(D): D is too large";
    return sliding_window{width_us, d.count()};
  }
};

// Every event with ts < T.
struct lifetime_window {
  static constexpr std::string_view name = "lifetime";
};

// A sliding window whose start hops on epoch-aligned tiles of `hop_us`:
// floor((T - width) / hop) * hop <= ts < T. State is bounded by width/hop + 1 tiles.
struct tiled_window {
  std::int64_t width_us;
  std::int64_t hop_us;
  static constexpr std::string_view name = "tiled";
};

// The n most recent events with ts < T, ordered by (ts, value); see kernels/window.hpp.
struct last_n_window {
  std::uint32_t n;
  static constexpr std::string_view name = "last_n";
};

// ---- aggregates ---------------------------------------------------------------

struct no_arg {};     // count(), time_since_last(): the event itself, no value
struct no_filter {};  // no where() clause

// A duration known at compile time, as a template argument: ewma<1h>(x, w).
struct period {
  std::int64_t us;
  template <class Rep, class Ratio>
  consteval period(std::chrono::duration<Rep, Ratio> d)  // NOLINT: implicit on purpose
      : us(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) {
    if (us <= 0) throw "skewless: a half-life must be positive";
    if (us > (std::int64_t{1} << 55)) throw "skewless: a half-life is limited to 2^55 us (about 1140 years)";
  }
};

// Aggregate kind tags. Their meaning lives in skewless/kernels/aggregates.hpp. A kind
// with parameters holds them; the aggregate node keeps its kind by value.
namespace agg {
struct count {
  static constexpr std::string_view name = "count";
};
struct sum {
  static constexpr std::string_view name = "sum";
};
struct mean {
  static constexpr std::string_view name = "mean";
};
struct min {
  static constexpr std::string_view name = "min";
};
struct max {
  static constexpr std::string_view name = "max";
};
struct first {
  static constexpr std::string_view name = "first";
};
struct last {
  static constexpr std::string_view name = "last";
};
struct time_since_first {
  static constexpr std::string_view name = "time_since_first";
};
struct time_since_last {
  static constexpr std::string_view name = "time_since_last";
};
struct var_samp {
  static constexpr std::string_view name = "var_samp";
};
struct var_pop {
  static constexpr std::string_view name = "var_pop";
};
struct stddev_samp {
  static constexpr std::string_view name = "stddev_samp";
};
struct stddev_pop {
  static constexpr std::string_view name = "stddev_pop";
};
// Events per `per_us` of window length.
struct rate {
  std::int64_t per_us;
  static constexpr std::string_view name = "rate";
};

// sum of x 2^(-(T - ts) / half_life) over the window; ewma divides it by the sum of
// the weights. Defined in skewless/kernels/decay.hpp.
template <period HalfLife> struct decayed_sum {
  static constexpr std::string_view name = "decayed_sum";
  static constexpr std::int64_t half_life_us = HalfLife.us;
};
template <period HalfLife> struct ewma {
  static constexpr std::string_view name = "ewma";
  static constexpr std::int64_t half_life_us = HalfLife.us;
};

// Aggregates with more than one output column say how many in `columns`.

// The K oldest (first_k) or newest (last_k) values in (ts, value) order.
template <std::size_t K> struct first_k {
  static constexpr std::string_view name = "first_k";
  static constexpr std::size_t columns = K;
  static constexpr std::size_t k = K;
};
template <std::size_t K> struct last_k {
  static constexpr std::string_view name = "last_k";
  static constexpr std::size_t columns = K;
  static constexpr std::size_t k = K;
};
// Distinct values, exactly.
struct distinct_count {
  static constexpr std::string_view name = "distinct_count";
};
// Distinct values, estimated with a HyperLogLog sketch of 2^Precision registers.
template <unsigned Precision> struct approx_distinct_count {
  static constexpr std::string_view name = "approx_distinct_count";
  static constexpr unsigned precision = Precision;
};
// Quantiles Qs of the values from one DDSketch of relative accuracy Alpha.
template <double Alpha, double... Qs> struct approx_quantile {
  static constexpr std::string_view name = "approx_quantile";
  static constexpr std::size_t columns = sizeof...(Qs);
  static constexpr double alpha = Alpha;
  static constexpr double quantiles[sizeof...(Qs)] = {Qs...};
};
// The most frequent value; the K most frequent values, most frequent first.
struct most_frequent {
  static constexpr std::string_view name = "most_frequent";
};
template <std::size_t K> struct top_k_frequency {
  static constexpr std::string_view name = "top_k_frequency";
  static constexpr std::size_t columns = K;
  static constexpr std::size_t k = K;
};
}  // namespace agg

// One value of a vocabulary: a string (up to 63 bytes), an integer or an enum value.
struct category_literal {
  char text[64]{};
  std::uint32_t length = 0;
  bool is_text = false;
  std::int64_t number = 0;

  template <std::size_t N> consteval category_literal(const char (&s)[N]) : length(N - 1), is_text(true) {  // NOLINT
    if (N > 64) throw "skewless: a vocabulary string is limited to 63 bytes";
    for (std::size_t i = 0; i + 1 < N; ++i) text[i] = s[i];
  }
  template <class I>
    requires std::is_integral_v<I> || std::is_enum_v<I>
  consteval category_literal(I v) : number(static_cast<std::int64_t>(v)) {}  // NOLINT
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {text, length}; }
};

// A fixed vocabulary of category values known at compile time: strings, or integers
// and enum values.
//   skewless::vocabulary<"visa", "mastercard", "amex">
template <category_literal... Values> struct vocabulary_t {
  static constexpr std::size_t size = sizeof...(Values);
};
template <category_literal... Values> inline constexpr vocabulary_t<Values...> vocabulary{};

// The column suffixes of count_by / sum_by over a field of enum type E: the
// vocabulary's values, named through skewless::enum_names<E> where it has names.
template <class E, class Vocabulary> struct enum_vocabulary {
  static constexpr std::size_t size = Vocabulary::size;
};

// Kind over the events of the window that pass Pred and whose Arg is not missing.
template <class Kind, class Arg, class Window, class Pred> struct aggregate {
  Arg arg;
  Window window;
  Pred pred;
  [[no_unique_address]] Kind kind{};

  // Restricts the aggregate to events for which `p` is true (defined in dsl.hpp).
  template <class P> [[nodiscard]] constexpr auto where(P p) const;
};

// ---- features -----------------------------------------------------------------

// Several single-column feature expressions side by side, one column each: what
// count_by and sum_by build (one filtered aggregate per vocabulary value).
template <class Names, class... Items> struct column_group {
  using names_type = Names;  // a vocabulary_t or enum_vocabulary: the column suffixes
  std::tuple<Items...> items;

  // Restricts every aggregate of the group to events for which `p` is true.
  template <class P> [[nodiscard]] constexpr auto where(P p) const;
};

template <fixed_string Name, class Expr> struct named_feature {
  static constexpr auto name = Name;
  Expr expr;
};

}  // namespace skewless::inline v1
