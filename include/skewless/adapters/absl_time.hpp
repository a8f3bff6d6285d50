// skewless/adapters/absl_time.hpp — absl::Time as an event-time field.
//
//   struct click { std::int64_t user; absl::Time at; };
//   BOOST_HANA_ADAPT_STRUCT(click, user, at);
//   #include <skewless/adapters/absl_time.hpp>   // (skewless.hpp includes it)
//   constexpr auto fs = skewless::define_features<click, "user", "at">(...);
//
// adapters/ holds the specialisations that let foreign types take part (Hana's ext/):
// each depends on expr/ and the foreign library only.
#pragma once

#include <skewless/expr/time_traits.hpp>

#include <absl/time/time.h>

namespace skewless::inline v1 {

template <> struct time_traits<absl::Time> {
  static constexpr std::string_view name = "absl_time";
  // Truncates toward negative infinity to whole microseconds.
  [[nodiscard]] static std::int64_t to_micros(absl::Time t) noexcept { return absl::ToUnixMicros(t); }
};

}  // namespace skewless::inline v1
