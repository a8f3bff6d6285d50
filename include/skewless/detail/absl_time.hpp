// skewless/detail/absl_time.hpp — internal; lets absl::Time be an event-time field.
#pragma once

#include <skewless/expr/time_traits.hpp>

#include <absl/time/time.h>

namespace skewless::inline v1 {

template <>
struct time_traits<absl::Time> {
  static constexpr std::string_view name = "absl_time";
  // Truncates toward negative infinity to whole microseconds.
  [[nodiscard]] static std::int64_t to_micros(absl::Time t) noexcept { return absl::ToUnixMicros(t); }
};

}  // namespace skewless::inline v1
