// skewless/expr/key.hpp — which types an entity key may have, and which argument
// types may name one.
//
//   static_assert(skewless::key_type_accepts<std::int64_t, std::int32_t>);   // widening
//   static_assert(!skewless::key_type_accepts<std::int32_t, std::int64_t>);  // may lose bits
//   static_assert(skewless::key_type_accepts<std::string, std::string_view>);
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace skewless::inline v1 {

// Entity keys are hashed and compared by value with fixed, documented functions:
// integers and std::string.
template <class K> inline constexpr bool is_key_type_v = std::is_integral_v<K> || std::is_same_v<K, std::string>;

// Whether a read, an advance_to or a spine row may name an entity of key type K with a
// value of type A: A is K; or K and A are integers and every value of A is one of K
// (int32 for an int64 key, never int64 for an int32 key, where 2^32 + 5 would become
// 5); or K is std::string and A binds to a std::string_view (looked up as a view).
template <class K, class A>
inline constexpr bool key_type_accepts = [] {
  using Arg = std::remove_cvref_t<A>;
  if constexpr (std::is_same_v<Arg, K>) {
    return true;
  } else if constexpr (std::is_same_v<K, std::string>) {
    return std::is_convertible_v<const Arg&, std::string_view>;
  } else if constexpr (std::is_integral_v<K> && std::is_integral_v<Arg> && !std::is_same_v<Arg, bool> &&
                       !std::is_same_v<K, bool>) {
    return std::numeric_limits<Arg>::min() >= 0
               ? std::numeric_limits<Arg>::digits <= std::numeric_limits<K>::digits
               : std::is_signed_v<K> && std::numeric_limits<Arg>::digits <= std::numeric_limits<K>::digits;
  } else {
    return false;
  }
}();

namespace expr_internal {
// The one check of a key argument, with one readable error; callers skip their body
// when it fails so nothing else is reported.
template <class KeyField, class Argument> constexpr bool check_key_argument() {
  static_assert(key_type_accepts<KeyField, Argument>,
                "skewless: the key given has another type than the feature set's key field, "
                "and converting it could change its value (an int64 key looked up in an int32 "
                "key field turns 2^32 + 5 into 5). Pass the key field's own type (the first "
                "type in key_type_accepts<...> below; the second is the type given); an "
                "integer key also takes narrower integer types, a std::string key also takes "
                "std::string_view and const char*.");
  return key_type_accepts<KeyField, Argument>;
}
}  // namespace expr_internal

}  // namespace skewless::inline v1
