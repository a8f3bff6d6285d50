// skewless/online/internal/identical.hpp — which aggregates of a set are identical.
//
// Internal to online/. Two aggregates of the same type and canonical text compute the
// same values from the same events, so the evaluator keeps and reads the first one only
// (a snapshot still writes each copy, so its bytes do not depend on the sharing).
#pragma once

#include <skewless/expr/canonical.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skewless::inline v1::online::online_internal {

template <class Aggs> struct identical_aggregates {
  static constexpr std::size_t n = std::tuple_size_v<Aggs>;

  template <std::size_t J, std::size_t A>
  static constexpr bool identical_type = std::is_same_v<std::tuple_element_t<J, Aggs>, std::tuple_element_t<A, Aggs>>;
  // Which aggregates have equal types, as a table (plain loops below, not a template
  // per pair).
  template <std::size_t A>
  static constexpr std::array<bool, n> same_type_as = []<std::size_t... J>(std::index_sequence<J...>) {
    return std::array<bool, n>{identical_type<J, A>...};
  }(std::make_index_sequence<n>{});
  static constexpr std::array<std::array<bool, n>, n> same_type = []<std::size_t... A>(std::index_sequence<A...>) {
    return std::array<std::array<bool, n>, n>{same_type_as<A>...};
  }(std::make_index_sequence<n>{});
  // Aggregates with another of their type: only they can be identical to one.
  static constexpr std::array<bool, n> has_twin_type = [] {
    std::array<bool, n> r{};
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t j = 0; j < n; ++j) r[a] = r[a] || (j != a && same_type[a][j]);
    }
    return r;
  }();
  // Runs once per evaluator (every shard, every decoded snapshot), so it hashes the
  // canonical texts without building them, and builds two texts only when their hashes
  // agree.
  static std::array<std::size_t, n> find(const Aggs& aggs) {
    std::array<std::uint64_t, n> hash{};
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            if constexpr (has_twin_type[A]) {
              fnv1a64_state h;
              write_canonical(h, std::get<A>(aggs));
              hash[A] = h.h;
            }
          }(),
          ...);
    }(std::make_index_sequence<n>{});
    const auto text = [&](std::size_t i) {
      std::string t;
      [&]<std::size_t... A>(std::index_sequence<A...>) {
        ((A == i ? void(t = canonical_text(std::get<A>(aggs))) : void()), ...);
      }(std::make_index_sequence<n>{});
      return t;
    };
    std::array<std::size_t, n> r{};
    for (std::size_t a = 0; a < n; ++a) {
      r[a] = a;
      for (std::size_t j = 0; j < a && has_twin_type[a]; ++j) {
        if (r[j] == j && same_type[a][j] && hash[j] == hash[a] && text(j) == text(a)) {
          r[a] = j;
          break;
        }
      }
    }
    return r;
  }
};

}  // namespace skewless::inline v1::online::online_internal
