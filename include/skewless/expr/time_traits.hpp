// skewless/expr/time_traits.hpp — which field types can be event time.
//
// Time is microseconds since the Unix epoch. An int64_t field is used as is; other
// types (absl::Time, see skewless/adapters/absl_time.hpp) specialise time_traits.
//
//   template <> struct skewless::time_traits<my_clock_t> {
//     static constexpr std::string_view name = "my_clock";
//     static std::int64_t to_micros(my_clock_t t) noexcept;
//   };
#pragma once

#include <skewless/config.hpp>

#include <cstdint>
#include <string_view>

namespace skewless::inline v1 {

template <class T> struct time_traits;  // not a time type unless specialised

template <> struct time_traits<std::int64_t> {
  static constexpr std::string_view name = "i64_us";
  [[nodiscard]] static constexpr std::int64_t to_micros(std::int64_t t) noexcept { return t; }
};

template <class T>
concept TimeType = requires(const T& t) {
  { time_traits<T>::to_micros(t) } -> std::same_as<std::int64_t>;
  time_traits<T>::name;
};

}  // namespace skewless::inline v1
