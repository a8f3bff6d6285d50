// skewless/detail/json.hpp — internal; do not rely on anything here.
//
// The small JSON the catalog and the category dictionary are written in and read back
// from: a value tree (null, bool, integer, string, array, object with ordered members),
// dump() with two-space indentation, and parse_json(), which refuses anything that is
// not JSON, nests deeper than 64 levels, or holds a number that is not an integer (the
// files hold none), with a status naming the byte offset. Written here rather than
// taken from cereal's JSON archive because the RapidJSON that Debian 12 ships with
// cereal does not compile with clang 19.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace skewless::inline v1::detail {

struct json {
  enum class kind : std::uint8_t { null, boolean, integer, string, array, object };
  kind type = kind::null;
  bool flag = false;
  std::string text;                // a string's characters, or an integer's decimal digits
  std::vector<json> items;         // an array's; an object's member values
  std::vector<std::string> names;  // an object's member names, in written order

  static json string_of(std::string_view s) {
    json j;
    j.type = kind::string;
    j.text = s;
    return j;
  }
  template <class I> static json integer_of(I v) {
    json j;
    j.type = kind::integer;
    j.text = absl::StrCat(v);
    return j;
  }
  static json array_of() {
    json j;
    j.type = kind::array;
    return j;
  }
  static json object_of() {
    json j;
    j.type = kind::object;
    return j;
  }
  json& add(std::string key, json value) {
    names.push_back(std::move(key));
    items.push_back(std::move(value));
    return items.back();
  }
  [[nodiscard]] const json* find(std::string_view key) const {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == key) return &items[i];
    }
    return nullptr;
  }
};

namespace json_internal {

inline void put_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;  // UTF-8 bytes pass through
        }
    }
  }
  out += '"';
}

inline void dump_to(std::string& out, const json& j, int depth) {
  const auto indent = [&](int d) { out.append(static_cast<std::size_t>(2 * d), ' '); };
  switch (j.type) {
    case json::kind::null: out += "null"; return;
    case json::kind::boolean: out += j.flag ? "true" : "false"; return;
    case json::kind::integer: out += j.text; return;
    case json::kind::string: put_string(out, j.text); return;
    case json::kind::array:
      if (j.items.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (std::size_t i = 0; i < j.items.size(); ++i) {
        indent(depth + 1);
        dump_to(out, j.items[i], depth + 1);
        out += i + 1 < j.items.size() ? ",\n" : "\n";
      }
      indent(depth);
      out += ']';
      return;
    case json::kind::object:
      if (j.items.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      for (std::size_t i = 0; i < j.items.size(); ++i) {
        indent(depth + 1);
        put_string(out, j.names[i]);
        out += ": ";
        dump_to(out, j.items[i], depth + 1);
        out += i + 1 < j.items.size() ? ",\n" : "\n";
      }
      indent(depth);
      out += '}';
      return;
  }
}

class parser {
 public:
  explicit parser(std::string_view in) : in_(in) {}

  absl::StatusOr<json> document() {
    json j;
    if (!value(j, 0)) return error_;
    skip_space();
    if (at_ != in_.size()) return fail("trailing characters after the JSON value");
    return j;
  }

 private:
  static constexpr int max_depth = 64;

  bool fail_bool(std::string_view why) {
    error_ = fail(why);
    return false;
  }
  absl::Status fail(std::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat("skewless: invalid JSON at byte ", at_, ": ", std::string(why)));
  }
  void skip_space() {
    while (at_ < in_.size() && (in_[at_] == ' ' || in_[at_] == '\n' || in_[at_] == '\r' || in_[at_] == '\t')) ++at_;
  }
  bool literal(std::string_view word) {
    if (in_.substr(at_, word.size()) != word) return fail_bool("unknown literal");
    at_ += word.size();
    return true;
  }

  bool value(json& j, int depth) {
    if (depth > max_depth) return fail_bool("nested deeper than 64 levels");
    skip_space();
    if (at_ >= in_.size()) return fail_bool("unexpected end");
    const char c = in_[at_];
    if (c == '{') return object(j, depth);
    if (c == '[') return array(j, depth);
    if (c == '"') {
      j.type = json::kind::string;
      return string(j.text);
    }
    if (c == 't') {
      j.type = json::kind::boolean;
      j.flag = true;
      return literal("true");
    }
    if (c == 'f') {
      j.type = json::kind::boolean;
      return literal("false");
    }
    if (c == 'n') return literal("null");
    if (c == '-' || (c >= '0' && c <= '9')) return integer(j);
    return fail_bool("unexpected character");
  }

  bool integer(json& j) {
    const std::size_t start = at_;
    if (in_[at_] == '-') ++at_;
    const std::size_t digits = at_;
    while (at_ < in_.size() && in_[at_] >= '0' && in_[at_] <= '9') ++at_;
    if (at_ == digits) return fail_bool("a number without digits");
    if (at_ - digits > 1 && in_[digits] == '0') return fail_bool("a number with a leading zero");
    if (at_ < in_.size() && (in_[at_] == '.' || in_[at_] == 'e' || in_[at_] == 'E')) {
      return fail_bool("a number that is not an integer");
    }
    if (at_ - digits > 20) return fail_bool("an integer too long");
    j.type = json::kind::integer;
    j.text = std::string(in_.substr(start, at_ - start));
    return true;
  }

  bool hex4(unsigned& v) {
    if (in_.size() - at_ < 4) return fail_bool("a short \\u escape");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = in_[at_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
      else return fail_bool("a bad \\u escape");
    }
    return true;
  }
  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool string(std::string& out) {
    ++at_;  // the opening quote
    for (;;) {
      if (at_ >= in_.size()) return fail_bool("an unterminated string");
      const char c = in_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail_bool("a control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= in_.size()) return fail_bool("an unterminated escape");
      const char e = in_[at_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00) {  // a surrogate pair
            unsigned low = 0;
            if (in_.substr(at_, 2) != "\\u") return fail_bool("a lone surrogate");
            at_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xdc00 || low >= 0xe000) return fail_bool("a bad surrogate pair");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            return fail_bool("a lone surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: return fail_bool("an unknown escape");
      }
    }
  }

  bool array(json& j, int depth) {
    j.type = json::kind::array;
    ++at_;
    skip_space();
    if (at_ < in_.size() && in_[at_] == ']') {
      ++at_;
      return true;
    }
    for (;;) {
      j.items.emplace_back();
      if (!value(j.items.back(), depth + 1)) return false;
      skip_space();
      if (at_ >= in_.size()) return fail_bool("an unterminated array");
      if (in_[at_] == ',') {
        ++at_;
        continue;
      }
      if (in_[at_] == ']') {
        ++at_;
        return true;
      }
      return fail_bool("expected , or ] in an array");
    }
  }

  bool object(json& j, int depth) {
    j.type = json::kind::object;
    ++at_;
    skip_space();
    if (at_ < in_.size() && in_[at_] == '}') {
      ++at_;
      return true;
    }
    for (;;) {
      skip_space();
      if (at_ >= in_.size() || in_[at_] != '"') return fail_bool("expected a member name");
      std::string key;
      if (!string(key)) return false;
      skip_space();
      if (at_ >= in_.size() || in_[at_] != ':') return fail_bool("expected :");
      ++at_;
      json v;
      if (!value(v, depth + 1)) return false;
      j.add(std::move(key), std::move(v));
      skip_space();
      if (at_ >= in_.size()) return fail_bool("an unterminated object");
      if (in_[at_] == ',') {
        ++at_;
        continue;
      }
      if (in_[at_] == '}') {
        ++at_;
        return true;
      }
      return fail_bool("expected , or } in an object");
    }
  }

  std::string_view in_;
  std::size_t at_ = 0;
  absl::Status error_;
};

}  // namespace json_internal

[[nodiscard]] inline std::string dump(const json& j) {
  std::string out;
  json_internal::dump_to(out, j, 0);
  out += '\n';
  return out;
}

[[nodiscard]] inline absl::StatusOr<json> parse_json(std::string_view in) {
  return json_internal::parser(in).document();
}

// Typed reads of a member, each with a status naming what is missing or wrong.
[[nodiscard]] inline absl::StatusOr<const json*> member(const json& object, std::string_view key, json::kind type) {
  const json* v = object.type == json::kind::object ? object.find(key) : nullptr;
  if (v == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("skewless: JSON has no member \"", std::string(key), "\""));
  if (v->type != type) {
    return absl::InvalidArgumentError(
        absl::StrCat("skewless: JSON member \"", std::string(key), "\" has the wrong type"));
  }
  return v;
}
template <class I> [[nodiscard]] absl::StatusOr<I> integer_member(const json& object, std::string_view key) {
  auto v = member(object, key, json::kind::integer);
  if (!v.ok()) return v.status();
  I out{};
  const std::string& t = (*v)->text;
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc{} || p != t.data() + t.size()) {
    return absl::InvalidArgumentError(absl::StrCat("skewless: JSON member \"", std::string(key), "\" is out of range"));
  }
  return out;
}
[[nodiscard]] inline absl::StatusOr<std::string> string_member(const json& object, std::string_view key) {
  auto v = member(object, key, json::kind::string);
  if (!v.ok()) return v.status();
  return (*v)->text;
}

}  // namespace skewless::inline v1::detail
