// skewless/expr/category.hpp — categorical values as numbers.
//
// Aggregates compute over doubles. A categorical field enters them as a number:
// an integer or bool as its value, an enum as its underlying value, and a string as
// its category code — a fixed, documented 52-bit hash, an exact integer in [0, 2^52)
// (so never NaN, never -0.0), the same on every platform and in every release:
//
//   code(s) = double(mix64(fnv1a64(s)) >> 12)
//
// Two distinct strings share a code with probability 2^-52 (for 10^5 distinct strings
// in one window, about 1 in 10^6). Compare a result with a string through the code:
//
//   most_frequent(merchant, w) == skewless::category_code("acme")
#pragma once

#include <skewless/config.hpp>

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace skewless::inline v1 {

// The 64-bit finaliser of MurmurHash3 (Appleby, public domain): a bijection whose
// output bits each depend on every input bit. skewless uses it, with these constants,
// for category codes and for the sketches' hash; changing it changes values.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

[[nodiscard]] constexpr double category_code(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return static_cast<double>(mix64(h) >> 12);
}

// Types that can be a category: integers (and bool), enums and std::string.
template <class T>
inline constexpr bool is_categorical_v = std::is_integral_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::string>;

// Names of an enum's values, for column names: count_by / sum_by over an enum field
// name their columns feature[name] instead of feature[number]. Specialise it for your
// enum with a constexpr function; a value it gives no name ("") keeps its number:
//
//   template <> struct skewless::enum_names<ad::event_type> {
//     static constexpr std::string_view name(ad::event_type e) noexcept {
//       switch (e) {
//         case ad::event_type::view: return "view";
//         case ad::event_type::click: return "click";
//       }
//       return {};
//     }
//   };
//
// Names are labels only: they are not part of the fingerprint and change no value.
template <class E> struct enum_names {};

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  { enum_names<E>::name(e) } -> std::convertible_to<std::string_view>;
};

// The number a categorical (or numeric) field value enters an aggregate as.
template <class T> [[nodiscard]] constexpr double category_value(const T& v) noexcept {
  if constexpr (std::is_same_v<T, std::string>) {
    return category_code(v);
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<double>(static_cast<std::underlying_type_t<T>>(v));
  } else {
    return static_cast<double>(v);
  }
}

}  // namespace skewless::inline v1
