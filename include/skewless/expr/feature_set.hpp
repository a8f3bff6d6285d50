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

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

namespace skewless::inline v1 {

// Entity keys are hashed and compared by value with fixed, documented functions:
// integers and std::string.
template <class K>
inline constexpr bool is_key_type_v = std::is_integral_v<K> || std::is_same_v<K, std::string>;

template <class E, fixed_string Key, fixed_string Time, class... Features>
struct feature_set {
  using event_type = E;
  using key_type = field_type_t<E, Key>;
  using time_type = field_type_t<E, Time>;
  static constexpr std::size_t size = sizeof...(Features);
  static constexpr auto key_name = Key;
  static constexpr auto time_name = Time;

  std::tuple<Features...> features;
  // Online only: how far behind an entity's newest event a late event may arrive and
  // still be applied exactly. Older ones are rejected and counted. Does not change any
  // feature's value, so it is not part of the fingerprint.
  std::int64_t allowed_lateness_us = 0;

  [[nodiscard]] constexpr feature_set with_allowed_lateness(std::chrono::microseconds l) const {
    feature_set copy = *this;
    copy.allowed_lateness_us = l.count() < 0 ? 0 : l.count();
    return copy;
  }

  [[nodiscard]] static constexpr std::array<std::string_view, size> names() noexcept {
    return {Features::name.view()...};
  }

  // Every aggregate node of every feature, depth first, feature after feature.
  [[nodiscard]] constexpr auto aggregates() const {
    return std::apply([](const auto&... f) { return std::tuple_cat(aggregates_of(f.expr)...); },
                      features);
  }
  static constexpr std::size_t aggregate_count = (aggregate_count_v<decltype(Features::expr)> + ... + 0);

  // Index of the first aggregate of feature I in aggregates().
  template <std::size_t I>
  static constexpr std::size_t aggregate_offset = [] {
    constexpr std::array<std::size_t, size + 1> counts{aggregate_count_v<decltype(Features::expr)>..., 0};
    std::size_t off = 0;
    for (std::size_t i = 0; i < I; ++i) off += counts[i];
    return off;
  }();

  [[nodiscard]] static key_type key_of(const E& e) { return get_field<Key>(e); }
  [[nodiscard]] static std::int64_t time_of(const E& e) noexcept {
    return time_traits<time_type>::to_micros(get_field<Time>(e));
  }

  template <class Sink>
  constexpr void write_canonical_text(Sink& out) const {
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
    std::apply(
        [&](const auto&... f) {
          ((out.put("feature "), out.put(f.name.view()), out.put(" = "),
            write_canonical(out, f.expr), out.put("\n")),
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

template <class... Features>
constexpr bool names_unique() {
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
  if constexpr (Event<E> && has_field_v<E, Key> && has_field_v<E, Time> &&
                (is_named_feature<Features>::value && ...)) {
    static_assert(is_key_type_v<field_type_t<E, Key>>,
                  "skewless: the entity key field must be hashable by skewless: an "
                  "integer type or std::string.");
    static_assert(TimeType<field_type_t<E, Time>>,
                  "skewless: the event time field must be std::int64_t (microseconds "
                  "since the Unix epoch) or absl::Time (include skewless/skewless.hpp), "
                  "or a type with a skewless::time_traits specialisation.");
    static_assert(expr_internal::names_unique<Features...>(),
                  "skewless: two features of the set have the same name; feature names "
                  "are column names and must be unique.");
    static_assert(((std::is_void_v<event_of_t<decltype(Features::expr)>> ||
                   std::is_same_v<event_of_t<decltype(Features::expr)>, E>) && ...),
                  "skewless: a feature reads fields of another event struct than the "
                  "feature set's. A feature set reads one event type.");
    return feature_set<E, Key, Time, Features...>{{fs...}};
  } else {
    return 0;
  }
}

}  // namespace skewless::inline v1
