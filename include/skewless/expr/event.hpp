// skewless/expr/event.hpp — reflection of the user's event struct through Boost.Hana.
//
// An event is any struct adapted with BOOST_HANA_ADAPT_STRUCT or defined with
// BOOST_HANA_DEFINE_STRUCT; its field names are then known at compile time.
//
//   struct payment { std::int64_t user; std::int64_t ts; double amount; };
//   BOOST_HANA_ADAPT_STRUCT(payment, user, ts, amount);
//   static_assert(skewless::has_field_v<payment, "amount">);
#pragma once

#include <skewless/expr/fixed_string.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/at_key.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/contains.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/transform.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace skewless::inline v1 {

template <class T>
concept Event = boost::hana::Struct<T>::value;

namespace expr_internal {

template <fixed_string Name, std::size_t... I> constexpr auto hana_name_impl(std::index_sequence<I...>) {
  return boost::hana::string_c<Name.data[I]...>;
}

}  // namespace expr_internal

// The Hana compile-time string for a fixed_string, usable with hana::at_key.
template <fixed_string Name>
inline constexpr auto hana_name = expr_internal::hana_name_impl<Name>(std::make_index_sequence<Name.size()>{});

template <class E, fixed_string Name>
inline constexpr bool has_field_v = [] {
  if constexpr (!Event<E>) {
    return false;
  } else {
    constexpr auto names = boost::hana::transform(boost::hana::accessors<E>(), boost::hana::first);
    return decltype(boost::hana::contains(names, hana_name<Name>))::value;
  }
}();

// What field_type_t names for a field E does not have. field<E, "name"> has already
// reported the misspelling, so every later check accepts it: the error stands alone.
struct missing_field {};

namespace expr_internal {
template <class E, fixed_string Name, bool = has_field_v<E, Name>> struct field_type {
  using type = missing_field;
};
template <class E, fixed_string Name> struct field_type<E, Name, true> {
  using type = std::remove_cvref_t<decltype(boost::hana::at_key(std::declval<const E&>(), hana_name<Name>))>;
};
}  // namespace expr_internal

// The declared type of field Name of E (missing_field if E has none).
template <class E, fixed_string Name> using field_type_t = typename expr_internal::field_type<E, Name>::type;

template <fixed_string Name, class E> [[nodiscard]] constexpr decltype(auto) get_field(const E& e) noexcept {
  return boost::hana::at_key(e, hana_name<Name>);
}

// Numeric fields take part in arithmetic and numeric aggregates; bool counts as 0/1.
template <class T> inline constexpr bool is_numeric_v = std::is_arithmetic_v<T> || std::is_same_v<T, missing_field>;

// Canonical names of field types, for the fingerprint (never typeid, which differs
// between compilers).
template <class T> constexpr std::string_view type_name() noexcept {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, double>) return "f64";
  else if constexpr (std::is_same_v<T, float>) return "f32";
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 1) return "i8";
    else if constexpr (sizeof(T) == 2) return "i16";
    else if constexpr (sizeof(T) == 4) return "i32";
    else return "i64";
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (sizeof(T) == 1) return "u8";
    else if constexpr (sizeof(T) == 2) return "u16";
    else if constexpr (sizeof(T) == 4) return "u32";
    else return "u64";
  } else if constexpr (std::is_enum_v<T>) {
    // An enum is its underlying integer to every aggregate: named by it, not by the
    // enum's (compiler-dependent) spelling.
    using U = std::underlying_type_t<T>;
    if constexpr (std::is_signed_v<U>) {
      if constexpr (sizeof(U) == 1) return "enum_i8";
      else if constexpr (sizeof(U) == 2) return "enum_i16";
      else if constexpr (sizeof(U) == 4) return "enum_i32";
      else return "enum_i64";
    } else {
      if constexpr (sizeof(U) == 1) return "enum_u8";
      else if constexpr (sizeof(U) == 2) return "enum_u16";
      else if constexpr (sizeof(U) == 4) return "enum_u32";
      else return "enum_u64";
    }
  } else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (std::is_same_v<T, long double>) return "f80";
  else return "opaque";
}

}  // namespace skewless::inline v1
