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

template <std::size_t N> struct fixed_string {
  char data[N]{};
  constexpr fixed_string() noexcept = default;
  constexpr fixed_string(const char (&s)[N]) noexcept { std::copy_n(s, N, data); }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {data, N - 1}; }
  [[nodiscard]] static constexpr std::size_t size() noexcept { return N - 1; }
  template <std::size_t M> constexpr bool operator==(const fixed_string<M>& other) const noexcept {
    return view() == other.view();
  }
};

// Concatenation, for names built from parts: fixed_string("spend_") + fixed_string("1h").
template <std::size_t N, std::size_t M>
[[nodiscard]] constexpr fixed_string<N + M - 1> operator+(const fixed_string<N>& a, const fixed_string<M>& b) noexcept {
  fixed_string<N + M - 1> out;
  std::copy_n(a.data, N - 1, out.data);
  std::copy_n(b.data, M, out.data + N - 1);
  return out;
}

}  // namespace skewless::inline v1
