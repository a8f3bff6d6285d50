// skewless/expr/fixed_string.hpp — compile-time strings for names in the DSL.
//
// Field and feature names are template arguments, so a typo or a duplicate is a
// compile error rather than a run-time surprise.
//
//   skewless::feature<"spend_1h">(...);   // "spend_1h" is a fixed_string
#pragma once

#include <skewless/config.hpp>

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace skewless::inline v1 {

template <std::size_t N>
struct fixed_string {
  char data[N]{};
  constexpr fixed_string(const char (&s)[N]) noexcept { std::copy_n(s, N, data); }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {data, N - 1}; }
  [[nodiscard]] static constexpr std::size_t size() noexcept { return N - 1; }
  template <std::size_t M>
  constexpr bool operator==(const fixed_string<M>& other) const noexcept {
    return view() == other.view();
  }
};

}  // namespace skewless::inline v1
