// skewless/expr/feature_set.hpp — a named, typed set of features over one event struct.
//
//   struct payment { std::int64_t user; std::int64_t ts; double amount; };
//   BOOST_HANA_ADAPT_STRUCT(payment, user, ts, amount);
//
//   constexpr auto amount = skewless::field<payment, "amount">;
//   constexpr auto features = skewless::define_features<payment, "user", "ts">(
//       skewless::feature<"spend_1h">(skewless::sum(amount, skewless::sliding(1h))),
//       skewless::feature<"n_1d">(skewless::count(skewless::sliding(24h))));
//   static_assert(features.size == 2);
//   constexpr std::uint64_t fp = features.fingerprint();   // computed at compile time
//
// The set knows its entity-key field (an integer or std::string), its event-time field
// (int64 microseconds since the epoch, or absl::Time), the feature names (unique), and
// the online option allowed_lateness. It is what every back-end is instantiated with.
#pragma once

#include <skewless/expr/canonical.hpp>
#include <skewless/expr/dsl.hpp>
#include <skewless/expr/key.hpp>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skewless::inline v1 {

namespace expr_internal {

// Column names are built at compile time through a sink with put(string_view), without
// a constexpr std::string (which clang cannot evaluate over libstdc++ 12): one pass
// counts the characters, a second writes them into a static array.

// A quantile as a percentile name: 0.5 -> p50, 0.999 -> p99.9 (to 1e-6 percent).
template <class Sink> constexpr void put_percentile(Sink& out, double q) {
  const auto micro = static_cast<std::int64_t>(q * 1e8 + 0.5);  // q * 100 in units of 1e-6
  out.put("p");
  put_int(out, micro / 1000000);
  std::int64_t frac = micro % 1000000;
  if (frac != 0) {
    char digits[6]{};
    for (int d = 5; d >= 0; --d, frac /= 10) digits[d] = static_cast<char>('0' + frac % 10);
    std::size_t n = 6;
    while (digits[n - 1] == '0') --n;
    out.put(".");
    out.put(std::string_view(digits, n));
  }
}

// The name of column i of a multi-column feature, after the feature's name in [ ]:
// a vocabulary value, the quantile (p50), or the index.
template <class Expr, class Sink> constexpr void put_column_suffix(Sink& out, std::size_t i) {
  if constexpr (is_column_group<Expr>::value) {
    put_vocabulary_entry(out, static_cast<typename Expr::names_type*>(nullptr), i);
  } else if constexpr (is_aggregate_v<Expr>) {
    if constexpr (requires { kind_of_t<Expr>::quantiles[0]; }) {
      put_percentile(out, kind_of_t<Expr>::quantiles[i]);
    } else {
      put_uint(out, i);
    }
  } else {
    put_uint(out, i);
  }
}

// Counts what is put; or writes it into a buffer of the counted size.
struct length_sink {
  std::size_t n = 0;
  constexpr void put(std::string_view s) { n += s.size(); }
};
template <std::size_t N> struct array_sink {
  std::array<char, N + 1> text{};
  std::size_t n = 0;
  constexpr void put(std::string_view s) {
    for (char c : s) text[n++] = c;
  }
};

// Every column name of a feature set, joined in one static buffer.
template <class... Features> struct column_names {
  static constexpr std::size_t count = (feature_columns_v<decltype(Features::expr)> + ... + 0);

  template <class F, class Sink>
  static constexpr void append(Sink& out, std::array<std::size_t, count + 1>& ends, std::size_t& col) {
    constexpr std::size_t n = feature_columns_v<decltype(F::expr)>;
    for (std::size_t i = 0; i < n; ++i) {
      out.put(F::name.view());
      if constexpr (n > 1) {
        out.put("[");
        put_column_suffix<std::remove_cvref_t<decltype(F::expr)>>(out, i);
        out.put("]");
      }
      ends[++col] = out.n;
    }
  }
  template <class Sink> static constexpr std::array<std::size_t, count + 1> write(Sink& out) {
    std::array<std::size_t, count + 1> ends{};
    std::size_t col = 0;
    (append<Features>(out, ends, col), ...);
    return ends;
  }
  static constexpr std::size_t chars = [] {
    length_sink l;
    write(l);
    return l.n;
  }();
  static constexpr array_sink<chars> filled = [] {
    array_sink<chars> a;
    write(a);
    return a;
  }();
  static constexpr std::array<std::size_t, count + 1> ends = [] {
    length_sink l;
    return write(l);
  }();
  static constexpr std::array<char, chars + 1> text = filled.text;
};

}  // namespace expr_internal

template <class E, fixed_string Key, fixed_string Time, class... Features> struct feature_set {
  using event_type = E;
  using key_type = field_type_t<E, Key>;
  using time_type = field_type_t<E, Time>;
  // Output columns: one per feature, or more for multi-column features (first_k,
  // count_by, approx_quantile, ...). feature_vector<FS> has this many entries.
  static constexpr std::size_t size = (feature_columns_v<decltype(Features::expr)> + ... + 0);
  static constexpr std::size_t feature_count = sizeof...(Features);
  static constexpr auto key_name = Key;
  static constexpr auto time_name = Time;

  std::tuple<Features...> features;
  // Online only: how far behind an entity's newest event a late event may arrive and
  // still be applied exactly. Older ones are rejected and counted. Does not change any
  // feature's value, so it is not part of the fingerprint.
  std::int64_t allowed_lateness_us = 0;

  [[nodiscard]] constexpr feature_set with_allowed_lateness(std::chrono::microseconds l) const {
    feature_set copy = *this;
    // At most 2^62 us (the accepted time range's half-width): a longer lateness accepts
    // nothing more, and the cap keeps the late-event check free of overflow.
    constexpr std::int64_t cap = std::int64_t{1} << 62;
    copy.allowed_lateness_us = l.count() < 0 ? 0 : (l.count() > cap ? cap : l.count());
    return copy;
  }

  // Time to live (0: none; the Feast / Tecton notion). An entity whose newest event is
  // more than ttl_us before T is expired at T: it reads as a never-seen entity. An event
  // more than ttl_us after its entity's newest starts a new life, which forgets the
  // old one — lifetime aggregates included. Every back-end applies the rule (batch and
  // reference over the given events, online as it ingests and on advance_to, which
  // evicts expired entities), so it changes values and is part of the fingerprint.
  std::int64_t ttl_us = 0;

  [[nodiscard]] constexpr feature_set with_ttl(std::chrono::microseconds ttl) const {
    feature_set copy = *this;
    // 0 or less: no TTL. At most 2^62 us, like the lateness: a longer TTL never expires
    // anything inside the accepted time range, and the cap keeps the rule overflow-free.
    constexpr std::int64_t cap = std::int64_t{1} << 62;
    copy.ttl_us = ttl.count() <= 0 ? 0 : (ttl.count() > cap ? cap : ttl.count());
    return copy;
  }

  // Column names: the feature's name, or name[suffix] for each column of a
  // multi-column feature (name[0].., name[p50].., name[visa]..).
  [[nodiscard]] static constexpr std::array<std::string_view, size> names() noexcept {
    using table = expr_internal::column_names<Features...>;
    std::array<std::string_view, size> out{};
    for (std::size_t i = 0; i < size; ++i) {
      out[i] = std::string_view(table::text.data() + table::ends[i], table::ends[i + 1] - table::ends[i]);
    }
    return out;
  }

  // Every aggregate node of every feature, depth first, feature after feature.
  [[nodiscard]] constexpr auto aggregates() const {
    return std::apply([](const auto&... f) { return std::tuple_cat(aggregates_of(f.expr)...); }, features);
  }
  static constexpr std::size_t aggregate_count = (aggregate_count_v<decltype(Features::expr)> + ... + 0);
  // Values the aggregates produce: their output columns, in aggregates() order.
  static constexpr std::size_t value_count = (value_count_v<decltype(Features::expr)> + ... + 0);

  // Where aggregate A's values start among the value_count values.
  static constexpr std::array<std::size_t, aggregate_count + 1> aggregate_value_offsets = [] {
    using aggs = decltype(std::tuple_cat(aggregates_of(std::declval<const decltype(Features::expr)&>())...));
    return [&]<std::size_t... A>(std::index_sequence<A...>) {
      return expr_internal::prefix_sums<aggregate_count>(
          {kind_columns_v<kind_of_t<std::tuple_element_t<A, aggs>>>..., 0});
    }(std::make_index_sequence<aggregate_count>{});
  }();

  // Where feature F's values start among the aggregates' values.
  template <std::size_t F>
  static constexpr std::size_t value_offset =
      expr_internal::prefix_sums<feature_count>({value_count_v<decltype(Features::expr)>..., 0})[F];
  // Feature F's first output column.
  template <std::size_t F>
  static constexpr std::size_t column_offset =
      expr_internal::prefix_sums<feature_count>({feature_columns_v<decltype(Features::expr)>..., 0})[F];

  [[nodiscard]] static const key_type& key_of(const E& e) noexcept { return get_field<Key>(e); }
  [[nodiscard]] static std::int64_t time_of(const E& e) noexcept {
    return time_traits<time_type>::to_micros(get_field<Time>(e));
  }

  template <class Sink> constexpr void write_canonical_text(Sink& out) const {
    out.put("skewless-definition v");
    expr_internal::put_uint(out, format_version);
    out.put("\nkey ");
    out.put(Key.view());
    out.put(":");
    out.put(type_name<key_type>());
    out.put("\ntime ");
    out.put(Time.view());
    out.put(":");
    out.put(time_traits<time_type>::name);
    out.put("\nrule strict\n");  // as of T uses ts < T
    if (ttl_us > 0) {            // absent when there is none, so older fingerprints are unchanged
      out.put("ttl ");
      expr_internal::put_int(out, ttl_us);
      out.put(" us\n");
    }
    std::apply(
        [&](const auto&... f) {
          ((out.put("feature "), out.put(f.name.view()), out.put(" = "), write_canonical(out, f.expr), out.put("\n")),
           ...);
        },
        features);
  }

  // The canonical text of the definition: what the fingerprint hashes.
  [[nodiscard]] std::string canonical_text() const {
    expr_internal::string_sink s;
    write_canonical_text(s);
    return std::move(s.text);
  }

  // FNV-1a 64 of canonical_text(); constexpr, so a model artifact can embed it.
  [[nodiscard]] constexpr std::uint64_t fingerprint() const {
    fnv1a64_state st;
    write_canonical_text(st);
    return st.h;
  }
};

namespace expr_internal {

template <class... Features> constexpr bool names_unique() {
  constexpr std::array<std::string_view, sizeof...(Features)> n{Features::name.view()...};
  for (std::size_t i = 0; i < n.size(); ++i) {
    for (std::size_t j = i + 1; j < n.size(); ++j) {
      if (n[i] == n[j]) return false;
    }
  }
  return true;
}

}  // namespace expr_internal

// Builds a feature set over event struct E with entity key field Key and event time
// field Time. Every argument must be a feature<"name">(...).
template <class E, fixed_string Key, fixed_string Time, class... Features>
[[nodiscard]] constexpr auto define_features(const Features&... fs) {
  static_assert(Event<E>,
                "skewless: define_features<E, key, time>: E is not an event struct. Adapt it "
                "with BOOST_HANA_ADAPT_STRUCT(E, fields...).");
  static_assert(has_field_v<E, Key>,
                "skewless: define_features<E, key, time>: the key field is not a member "
                "of E.");
  static_assert(has_field_v<E, Time>,
                "skewless: define_features<E, key, time>: the time field is not a member "
                "of E.");
  static_assert((is_named_feature<Features>::value && ...),
                "skewless: define_features takes features: wrap each expression as "
                "feature<\"name\">(expr).");
  static_assert(sizeof...(Features) > 0, "skewless: a feature set needs at least one feature.");
  if constexpr (Event<E> && has_field_v<E, Key> && has_field_v<E, Time> && (is_named_feature<Features>::value && ...)) {
    static_assert(is_key_type_v<field_type_t<E, Key>>,
                  "skewless: the entity key field must be hashable by skewless: an "
                  "integer type or std::string (a std::string_view or const char* field "
                  "does not own its text; make the field a std::string).");
    static_assert(TimeType<field_type_t<E, Time>>,
                  "skewless: the event time field must be std::int64_t (microseconds "
                  "since the Unix epoch) or absl::Time (include skewless/skewless.hpp), "
                  "or a type with a skewless::time_traits specialisation.");
    static_assert(expr_internal::names_unique<Features...>(),
                  "skewless: two features of the set have the same name; feature names "
                  "are column names and must be unique.");
    static_assert(((std::is_void_v<event_of_t<decltype(Features::expr)>> ||
                    std::is_same_v<event_of_t<decltype(Features::expr)>, E>) &&
                   ...),
                  "skewless: a feature reads fields of another event struct than the "
                  "feature set's. A feature set reads one event type.");
    return feature_set<E, Key, Time, Features...>{{fs...}};
  } else {
    return 0;
  }
}

}  // namespace skewless::inline v1
