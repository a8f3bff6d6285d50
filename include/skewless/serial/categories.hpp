// skewless/serial/categories.hpp — category codes back to the strings they stand for.
//
// A string field enters aggregates as its category_code (a fixed 52-bit hash), so
// most_frequent(merchant, w) and top_k_frequency<k>(merchant, w) put codes, not
// strings, in a training set or a served vector. A category_dictionary, collected from
// the events the training set was built from, maps each code back to its string:
//
//   auto dict = skewless::serial::collect_categories(features, events);
//   std::optional<std::string_view> m = dict.find(training.values(r, c));   // "acme"
//   std::string json = skewless::serial::categories_json(dict);              // to ship
//   auto back = skewless::serial::parse_categories_json(json);              // in a service
//
// category_codes_field_of(expr) says which field a feature's codes are strings of; the
// catalog lists it per feature ("category_codes_of").
#pragma once

#include <skewless/expr/category.hpp>
#include <skewless/expr/event.hpp>
#include <skewless/expr/traits.hpp>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include <skewless/detail/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::serial {

namespace serial_internal {
// Aggregate kinds whose values are values of their argument (so codes, for a string).
template <class Kind> inline constexpr bool outputs_argument_values_v = false;
template <> inline constexpr bool outputs_argument_values_v<agg::most_frequent> = true;
template <std::size_t K> inline constexpr bool outputs_argument_values_v<agg::top_k_frequency<K>> = true;
}  // namespace serial_internal

// The name of the std::string field whose category codes a feature expression
// outputs — most_frequent or top_k_frequency of a string field, used as the feature
// itself — or "" when its values are not codes of strings.
template <class Expr>
inline constexpr std::string_view category_codes_field_v = [] {
  if constexpr (is_aggregate_v<Expr>) {
    using arg = typename aggregate_traits<Expr>::arg;
    if constexpr (serial_internal::outputs_argument_values_v<kind_of_t<Expr>> && is_field_ref<arg>::value) {
      if constexpr (std::is_same_v<field_type_t<typename arg::event_type, arg::name>, std::string>) {
        return arg::name.view();
      }
    }
  }
  return std::string_view{};
}();
template <class Expr> [[nodiscard]] constexpr std::string_view category_codes_field_of(const Expr&) noexcept {
  return category_codes_field_v<Expr>;
}

class category_dictionary;
namespace serial_internal {
// Adds the strings of Expr's field to dict, if Expr outputs codes of a string field.
template <class Expr, class Events> void collect_field(category_dictionary& dict, const Events& events);
}  // namespace serial_internal

// Strings by their category code.
class category_dictionary {
 public:
  struct entry {
    std::uint64_t code = 0;  // category_code(text), an integer below 2^52
    std::string text;
  };

  // Records s under its code. A second string with the same code (probability 2^-52
  // per pair) keeps the first and is counted in collisions().
  void add(std::string_view s) {
    const auto code = static_cast<std::uint64_t>(category_code(s));
    const auto [it, inserted] = by_code_.try_emplace(code, s);
    if (!inserted && it->second != s) ++collisions_;
  }

  // The string whose code this is, if it was seen. Any double that is not such a code
  // (NaN for an empty window, a fraction, a negative) finds nothing.
  [[nodiscard]] std::optional<std::string_view> find(double code) const {
    if (!(code >= 0 && code < 4503599627370496.0) || code != static_cast<double>(static_cast<std::uint64_t>(code))) {
      return std::nullopt;
    }
    const auto it = by_code_.find(static_cast<std::uint64_t>(code));
    if (it == by_code_.end()) return std::nullopt;
    return std::string_view(it->second);
  }

  [[nodiscard]] std::size_t size() const noexcept { return by_code_.size(); }
  [[nodiscard]] std::size_t collisions() const noexcept { return collisions_; }

  // Every entry, by increasing code (so equal dictionaries give equal JSON).
  [[nodiscard]] std::vector<entry> entries() const {
    std::vector<entry> out;
    out.reserve(by_code_.size());
    for (const auto& [code, text] : by_code_) out.push_back({code, text});
    std::sort(out.begin(), out.end(), [](const entry& a, const entry& b) { return a.code < b.code; });
    return out;
  }

 private:
  absl::flat_hash_map<std::uint64_t, std::string> by_code_;
  std::size_t collisions_ = 0;
};

namespace serial_internal {
template <class Expr, class Events> void collect_field(category_dictionary& dict, const Events& events) {
  if constexpr (!category_codes_field_v<Expr>.empty()) {
    using arg = typename aggregate_traits<Expr>::arg;
    for (const auto& e : events) dict.add(get_field<arg::name>(e));
  }
}
}  // namespace serial_internal

// The strings, in the events, of every field whose codes a feature of fs outputs.
template <class FS, class Events>
[[nodiscard]] category_dictionary collect_categories(const FS& fs, const Events& events) {
  category_dictionary dict;
  [&]<std::size_t... F>(std::index_sequence<F...>) {
    (serial_internal::collect_field<std::remove_cvref_t<decltype(std::get<F>(fs.features).expr)>>(dict, events), ...);
  }(std::make_index_sequence<FS::feature_count>{});
  return dict;
}

// The dictionary as JSON: {"skewless_categories": [{"code": 123, "text": "acme"}, ...]},
// by increasing code.
[[nodiscard]] inline std::string categories_json(const category_dictionary& dict) {
  using detail::json;
  json entries = json::array_of();
  for (const auto& e : dict.entries()) {
    json item = json::object_of();
    item.add("code", json::integer_of(e.code));
    item.add("text", json::string_of(e.text));
    entries.items.push_back(std::move(item));
  }
  json root = json::object_of();
  root.add("skewless_categories", std::move(entries));
  return detail::dump(root);
}

// Reads categories_json's output back; a text whose code is not its category_code (an
// edited or corrupt file) is refused.
[[nodiscard]] inline absl::StatusOr<category_dictionary> parse_categories_json(std::string_view text) {
  using detail::json;
  auto root = detail::parse_json(text);
  if (!root.ok()) return root.status();
  auto entries = detail::member(*root, "skewless_categories", json::kind::array);
  if (!entries.ok()) return entries.status();
  category_dictionary dict;
  for (const json& e : (*entries)->items) {
    auto code = detail::integer_member<std::uint64_t>(e, "code");
    auto t = detail::string_member(e, "text");
    if (!code.ok()) return code.status();
    if (!t.ok()) return t.status();
    if (static_cast<std::uint64_t>(category_code(*t)) != *code) {
      return absl::InvalidArgumentError(absl::StrCat("skewless: categories JSON: \"", *t, "\" is listed under code ",
                                                     *code, ", which is not its category_code"));
    }
    dict.add(*t);
  }
  return dict;
}

}  // namespace skewless::inline v1::serial
