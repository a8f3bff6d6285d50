// skewless/kafka/json_decoder.hpp — a JSON object into the event struct, by field name.
//
//   skewless::kafka::json_decoder<decltype(features)> decode({.max_bytes = 1 << 20});
//   payment e;
//   std::string why;
//   if (decode(message_bytes, e, &why) != skewless::kafka::decode_status::ok) quarantine(why);
//
// One JSON object per message, parsed with simdjson's DOM parser (Debian's
// libsimdjson-dev; its SIMD kernel is picked at run time, whatever -march the user
// compiles with). Each member is matched to the event struct's field of the same
// name; members the struct does not have are skipped, so producers may add fields.
// What each field takes, as the Arrow reader (skewless/arrow/events.hpp) does:
//
//   float, double   a number, read as the double nearest its decimal text (strtod's,
//                   Python's float()), then a float field rounds that double; null, or
//                   an absent member, is a missing value (NaN); JSON has no NaN or
//                   infinities, so the strings "NaN", "Infinity" and "-Infinity" stand
//                   for them
//   integers, enums an integer token within the field's type (an enum: its underlying
//                   type); bool: true, false, 0 or 1
//   std::string     a string (escapes decoded)
//   the time field  an integer in the decoder's time unit (unspecified: microseconds,
//                   refused beyond +-10^17 as Arrow does), or an RFC 3339 string
//                   ("2026-12-07T10:00:00.25Z"), floored to the microsecond; an absl::Time
//                   field takes the same
//   std::array / Eigen vectors  an array of exactly its size of numbers or nulls (NaN);
//                   null, or absent, is all missing
//
// Any other field absent, a duplicate member, a value of the wrong kind, text after the
// object or a message beyond max_bytes is refused with a decode_status (what a consumer
// counts by) and, if asked, a message naming the field. A refused message leaves the
// event untouched. A decoder holds a parser and a buffer: use one per thread.
#pragma once

#include <skewless/arrow/events.hpp>
#include <skewless/expr/event.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kafka/message.hpp>

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <simdjson.h>
#include <boost/hana.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace skewless::inline v1::kafka {

struct json_options {
  std::size_t max_bytes = std::size_t{1} << 20;                // larger messages: too_large
  arrow::time_unit time_unit = arrow::time_unit::unspecified;  // of integer times
};

namespace kafka_internal {

using arrow::arrow_internal::as_absl;
using simdjson::dom::element;
using simdjson::dom::element_type;

struct problem {
  decode_status status = decode_status::ok;
  std::string message;
};

inline problem fail(decode_status s, std::string_view field, std::string_view what) {
  return {s, absl::StrCat("field '", as_absl(field), "': ", as_absl(what))};
}

// A JSON number as the nearest double (simdjson parses integers exactly and rounds
// every other number correctly; an integer becomes the double nearest it); null is
// missing (NaN); the strings NaN / Infinity / -Infinity stand for themselves.
inline problem read_double(const element& v, std::string_view field, double& out) {
  switch (v.type()) {
    case element_type::DOUBLE: out = v.get_double().value_unsafe(); return {};
    case element_type::INT64: out = static_cast<double>(v.get_int64().value_unsafe()); return {};
    case element_type::UINT64: out = static_cast<double>(v.get_uint64().value_unsafe()); return {};
    case element_type::NULL_VALUE: out = std::numeric_limits<double>::quiet_NaN(); return {};
    case element_type::STRING: {
      const std::string_view s = v.get_string().value_unsafe();
      if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
      else if (s == "Infinity") out = std::numeric_limits<double>::infinity();
      else if (s == "-Infinity") out = -std::numeric_limits<double>::infinity();
      else return fail(decode_status::wrong_type, field, "a string other than NaN, Infinity or -Infinity for a number");
      return {};
    }
    default: return fail(decode_status::wrong_type, field, "not a number");
  }
}

// An integer token into T (bool also from true / false).
template <class T> problem read_integer(const element& v, std::string_view field, T& out) {
  const element_type t = v.type();
  if constexpr (std::is_same_v<T, bool>) {
    if (t == element_type::BOOL) {
      out = v.get_bool().value_unsafe();
      return {};
    }
  }
  if (t == element_type::UINT64) {  // beyond int64
    if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      const std::uint64_t u = v.get_uint64().value_unsafe();
      if (u <= std::numeric_limits<T>::max()) {
        out = static_cast<T>(u);
        return {};
      }
    }
    return fail(decode_status::out_of_range, field, "an integer outside the field's type");
  }
  if (t != element_type::INT64) {
    if (t == element_type::DOUBLE) {
      return fail(decode_status::wrong_type, field, "a number with a fraction or an exponent, not an integer");
    }
    return fail(decode_status::wrong_type, field,
                t == element_type::NULL_VALUE ? "null, which it cannot hold" : "not an integer");
  }
  const std::int64_t i = v.get_int64().value_unsafe();
  if constexpr (std::is_same_v<T, bool>) {
    if (i != 0 && i != 1) return fail(decode_status::out_of_range, field, "an integer other than 0 or 1 for a bool");
    out = i == 1;
  } else if constexpr (std::is_signed_v<T>) {
    if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max()) {
      return fail(decode_status::out_of_range, field, "an integer outside the field's type");
    }
    out = static_cast<T>(i);
  } else {
    if (i < 0 || static_cast<std::uint64_t>(i) > std::numeric_limits<T>::max()) {
      return fail(decode_status::out_of_range, field, "an integer outside the field's type");
    }
    out = static_cast<T>(i);
  }
  return {};
}

// The time field: an integer in `unit`, or an RFC 3339 string; microseconds.
inline problem read_time(const element& v, std::string_view field, arrow::time_unit unit, std::int64_t& us) {
  if (v.type() == element_type::STRING) {
    const std::string_view s = v.get_string().value_unsafe();
    absl::Time at;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, as_absl(s), &at, &err)) {
      return fail(decode_status::wrong_type, field, absl::StrCat("not an RFC 3339 time (", err, ")"));
    }
    if (at < absl::FromUnixMicros(std::numeric_limits<std::int64_t>::min()) ||
        at > absl::FromUnixMicros(std::numeric_limits<std::int64_t>::max())) {
      return fail(decode_status::out_of_range, field, "beyond the microsecond range");
    }
    us = absl::ToUnixMicros(at);  // floors
    return {};
  }
  std::int64_t i = 0;
  if (problem p = read_integer(v, field, i); p.status != decode_status::ok) return p;
  switch (arrow::integer_micros(i, unit, us)) {
    case arrow::integer_time::ok: return {};
    case arrow::integer_time::overflow: return fail(decode_status::out_of_range, field, "beyond the microsecond range");
    case arrow::integer_time::implausible: break;
  }
  return fail(decode_status::out_of_range, field, arrow::implausible_time_message(i));
}

template <class T> constexpr T missing_value() noexcept {
  return std::numeric_limits<T>::quiet_NaN();
}

template <class T>
problem read_value(const element& v, std::string_view field, bool is_time, arrow::time_unit unit, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    double d = 0;
    if (problem p = read_double(v, field, d); p.status != decode_status::ok) return p;
    out = static_cast<T>(d);
    return {};
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (v.type() != element_type::STRING) return fail(decode_status::wrong_type, field, "not a string");
    const std::string_view s = v.get_string().value_unsafe();
    out.assign(s.data(), s.size());
    return {};
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    std::int64_t us = 0;
    if (problem p = read_time(v, field, unit, us); p.status != decode_status::ok) return p;
    out = absl::FromUnixMicros(us);
    return {};
  } else if constexpr (std::is_enum_v<T>) {
    std::underlying_type_t<T> u{};
    if (problem p = read_integer(v, field, u); p.status != decode_status::ok) return p;
    out = static_cast<T>(u);
    return {};
  } else if constexpr (std::is_integral_v<T>) {
    if (is_time) {
      std::int64_t us = 0;
      if (problem p = read_time(v, field, unit, us); p.status != decode_status::ok) return p;
      if constexpr (std::is_same_v<T, bool>) {
        return fail(decode_status::wrong_type, field, "a time for a bool field");
      } else if (!std::in_range<T>(us)) {
        return fail(decode_status::out_of_range, field, "a time outside the field's integer type");
      }
      out = static_cast<T>(us);
      return {};
    }
    return read_integer(v, field, out);
  } else if constexpr (fixed_vector_size<T>::value > 0) {
    constexpr std::size_t n = fixed_vector_size<T>::value;
    using S = std::remove_cvref_t<decltype(out[0])>;
    if (v.type() == element_type::NULL_VALUE) {
      for (std::size_t k = 0; k < n; ++k) out[k] = missing_value<S>();
      return {};
    }
    if (v.type() != element_type::ARRAY) {
      return fail(decode_status::wrong_type, field, absl::StrCat("not an array of ", n, " numbers"));
    }
    const simdjson::dom::array a = v.get_array().value_unsafe();
    const std::size_t k = a.size();
    if (k != n) {
      return fail(decode_status::wrong_type, field,
                  k > n ? absl::StrCat("an array longer than ", n) : absl::StrCat("an array of ", k, ", not ", n));
    }
    std::size_t i = 0;
    for (const element e : a) {
      double d = 0;
      if (problem p = read_double(e, field, d); p.status != decode_status::ok) return p;
      out[i++] = static_cast<S>(d);
    }
    return {};
  } else {
    static_assert(sizeof(T) == 0, "skewless::kafka::json_decoder: an event field of a type JSON cannot fill");
  }
}

// What an absent member leaves in a field, or false if the field needs a value.
template <class T> bool fill_absent(T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    out = missing_value<T>();
    return true;
  } else if constexpr (fixed_vector_size<T>::value > 0) {
    for (std::size_t k = 0; k < fixed_vector_size<T>::value; ++k) {
      out[k] = missing_value<std::remove_cvref_t<decltype(out[k])>>();
    }
    return true;
  } else {
    return false;
  }
}

}  // namespace kafka_internal

// Decodes JSON objects into FS::event_type (FS: a feature set; its time field is read
// as a time). See the header comment for what each field takes.
template <class FS> class json_decoder {
 public:
  using event_type = typename std::remove_cvref_t<FS>::event_type;
  static_assert(Event<event_type>, "skewless::kafka::json_decoder: the event type must be a Hana struct");

  explicit json_decoder(json_options opt = {}) : opt_(opt) {}

  // Decodes `bytes` into `out`; out is left as it was unless the result is ok. With
  // `why`, a refusal's reason is written there (field, what was wrong).
  decode_status operator()(std::string_view bytes, event_type& out, std::string* why = nullptr) {
    kafka_internal::problem p = decode(bytes, out);
    if (p.status != decode_status::ok && why != nullptr) *why = std::move(p.message);
    return p.status;
  }
  // A message's value, so a json_decoder is a decoder for kafka::consumer and kafka::stream.
  decode_status operator()(const message& m, event_type& out, std::string* why = nullptr) {
    return (*this)(m.value, out, why);
  }

  [[nodiscard]] const json_options& options() const noexcept { return opt_; }

 private:
  static constexpr std::size_t n_fields = decltype(boost::hana::size(boost::hana::accessors<event_type>()))::value;

  static constexpr std::array<std::string_view, n_fields> names() {
    std::array<std::string_view, n_fields> out{};
    std::size_t i = 0;
    boost::hana::for_each(boost::hana::accessors<event_type>(), [&](auto pair) {
      out[i++] = std::string_view(boost::hana::to<const char*>(boost::hana::first(pair)));
    });
    return out;
  }

  // The position of the feature set's time field among the struct's fields.
  static constexpr std::size_t time_index() {
    const std::array<std::string_view, n_fields> n = names();
    for (std::size_t i = 0; i < n_fields; ++i) {
      if (n[i] == std::remove_cvref_t<FS>::time_name.view()) return i;
    }
    return n_fields;
  }

  kafka_internal::problem decode(std::string_view bytes, event_type& out) {
    using kafka_internal::fail;
    using kafka_internal::problem;
    if (bytes.size() > opt_.max_bytes) {
      return {decode_status::too_large,
              absl::StrCat("a message of ", bytes.size(), " bytes, over the limit of ", opt_.max_bytes)};
    }
    // The DOM parser (its SIMD kernel chosen at run time by libsimdjson) copies the bytes
    // into its own padded buffer; a whole document, so text after the object is an error.
    simdjson::dom::element doc;
    if (const auto err = parser_.parse(bytes.data(), bytes.size()).get(doc); err) {
      return {decode_status::malformed, absl::StrCat("not JSON (", simdjson::error_message(err), ")")};
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return {decode_status::malformed, "not a JSON object"};

    static constexpr std::array<std::string_view, n_fields> field_names = names();
    event_type e = out;  // filled here, given to out only when whole
    std::array<bool, n_fields> seen{};
    for (const simdjson::dom::key_value_pair member : obj) {
      std::size_t index = n_fields;
      for (std::size_t i = 0; i < n_fields; ++i) {
        if (field_names[i] == member.key) {
          index = i;
          break;
        }
      }
      if (index == n_fields) continue;  // a member the struct does not have
      if (seen[index]) return fail(decode_status::duplicate, field_names[index], "given twice");
      seen[index] = true;
      problem p;
      std::size_t i = 0;
      boost::hana::for_each(boost::hana::accessors<event_type>(), [&](auto pair) {
        if (i++ != index) return;
        p = kafka_internal::read_value(member.value, field_names[index], index == time_index(), opt_.time_unit,
                                       boost::hana::second(pair)(e));
      });
      if (p.status != decode_status::ok) return p;
    }
    std::size_t i = 0;
    problem missing;
    boost::hana::for_each(boost::hana::accessors<event_type>(), [&](auto pair) {
      const std::size_t k = i++;
      if (seen[k] || missing.status != decode_status::ok) return;
      if (!kafka_internal::fill_absent(boost::hana::second(pair)(e))) {
        missing = fail(decode_status::missing_field, field_names[k], "absent, and it has no missing value");
      }
    });
    if (missing.status != decode_status::ok) return missing;
    out = std::move(e);
    return {};
  }

  json_options opt_;
  simdjson::dom::parser parser_;
};

}  // namespace skewless::inline v1::kafka
