// skewless/arrow/events.hpp — events in from Arrow record batches.
//
// A record batch (a struct array and its schema, through the C data interface) becomes
// events of the user's struct, each field filled from the column of the same name:
//
//   std::vector<payment> events;
//   absl::Status s = skewless::arrow::append_events(schema, batch, events);
//   s = skewless::arrow::read_events(stream, events);   // every batch of a stream
//
// Column types a field takes (any other is an error naming the column):
//
//   integer field (int8..int64, unsigned, bool)  int8..int64, uint8..uint64, bool; the value
//                                                must fit the field
//   int64 field from a timestamp column          timestamp[s|ms|us|ns] as microseconds
//                                                (nanoseconds floored)
//   absl::Time field                             timestamp[any unit], integers (as the time
//                                                column below)
//   float / double field                         float32, float64; integers exactly representable
//   std::string field                            utf8, large_utf8, utf8_view, dictionary of any
//   enum field                                   its underlying integer
//   vector field (Eigen, std::array of N)        fixed_size_list<float32|float64>[N]
//
// A null in a floating-point field (or a vector's list or element) is a missing value,
// NaN, as the contract has it; a null anywhere else — a key, a time, an integer, a
// string — is an error naming the column and the row, since the field cannot hold it.
// Columns without a field are ignored. On any error `out` is left as it was.
//
// The time column. A timestamp column carries its unit; an integer column does not, so
// the readers that know the feature set (training_set, read_spine, and read_events and
// append_events given read_options) take the unit of an integer time column:
//
//   skewless::arrow::read_events(stream, events, {.time_column = "ts",
//                                                 .integer_time_unit = skewless::arrow::time_unit::nanoseconds});
//
// Seconds and milliseconds are scaled (overflow is an error), nanoseconds floored to
// microseconds. When no unit is declared the integers are microseconds, and a value
// beyond +-10^17 us (before the year -1199 or after 5138) is refused with a message
// that says so: it is almost surely nanoseconds (what datetime64[ns].astype("int64")
// gives), which read as microseconds land near the year 55,000, inside the accepted
// range, and would give wrong features silently. A declared unit is trusted.
//
// The arrays are read in place (no copy of a column); only the events are built. What
// can be checked without the buffers' sizes is: lengths and offsets non-negative,
// string offsets non-decreasing, dictionary indices within the dictionary.
#pragma once

#include <skewless/arrow/c_data.hpp>
#include <skewless/expr/event.hpp>
#include <skewless/expr/traits.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <boost/hana/accessors.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/size.hpp>
#include <boost/hana/string.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::arrow {

// What an integer column of times counts (a timestamp column carries its own unit).
enum class time_unit : std::uint8_t { unspecified, seconds, milliseconds, microseconds, nanoseconds };

// The unit named "s", "ms", "us" or "ns"; unspecified for any other name.
[[nodiscard]] constexpr time_unit time_unit_named(std::string_view name) noexcept {
  if (name == "s") return time_unit::seconds;
  if (name == "ms") return time_unit::milliseconds;
  if (name == "us") return time_unit::microseconds;
  if (name == "ns") return time_unit::nanoseconds;
  return time_unit::unspecified;
}

// Beyond this distance from the epoch in microseconds (about 3,169 years) an integer
// time of undeclared unit is refused: see the header comment.
inline constexpr std::int64_t plausible_micros = 100'000'000'000'000'000;

// An integer time in microseconds: what integer_micros makes of a value in a unit.
enum class integer_time : std::uint8_t { ok, overflow, implausible };

// v counted in `unit` as microseconds since the epoch, rounded toward the past (floor)
// from nanoseconds; overflow when it leaves int64; with the unit unspecified, v is
// taken as microseconds and refused as implausible beyond +-plausible_micros. The one
// rule for every reader of integer times (Arrow columns, JSON messages).
[[nodiscard]] constexpr integer_time integer_micros(std::int64_t v, time_unit unit, std::int64_t& out) noexcept {
  switch (unit) {
    case time_unit::seconds:
      return __builtin_mul_overflow(v, 1'000'000, &out) ? integer_time::overflow : integer_time::ok;
    case time_unit::milliseconds:
      return __builtin_mul_overflow(v, 1'000, &out) ? integer_time::overflow : integer_time::ok;
    case time_unit::microseconds: out = v; return integer_time::ok;
    case time_unit::nanoseconds: out = v / 1000 - ((v % 1000) < 0 ? 1 : 0); return integer_time::ok;
    case time_unit::unspecified: break;
  }
  if (v > plausible_micros || v < -plausible_micros) return integer_time::implausible;
  out = v;
  return integer_time::ok;
}

// The message for an implausible undeclared integer time v.
inline std::string implausible_time_message(std::int64_t v) {
  const std::int64_t year = 1970 + v / 31'556'952'000'000;  // mean Gregorian years
  return absl::StrCat(v, " taken as microseconds since the epoch is the year ", year,
                      ": an integer time column without a declared unit counts microseconds, and this one looks "
                      "like nanoseconds (datetime64[ns] as int64). Declare its unit (time_unit=\"ns\" in Python, "
                      "arrow::read_options::integer_time_unit in C++) or pass a timestamp column");
}

// How the readers treat the time column (the feature set's time field).
struct read_options {
  std::string_view time_column;  // the time field's name; empty: no column is read as time
  time_unit integer_time_unit = time_unit::unspecified;
};

namespace arrow_internal {

// absl::StrCat takes absl::string_view, which need not be std::string_view.
inline absl::string_view as_absl(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

// What a column holds, from its format string.
enum class kind : std::uint8_t {
  unsupported,
  boolean,
  i8,
  i16,
  i32,
  i64,
  u8,
  u16,
  u32,
  u64,
  f32,
  f64,
  utf8,
  large_utf8,
  utf8_view,
  timestamp,
  fixed_size_list,
};

struct column {
  const ArrowSchema* schema = nullptr;
  const ArrowArray* array = nullptr;
  std::string_view name;
  kind type = kind::unsupported;
  std::int64_t micros_per_unit = 1;  // timestamp: 1'000'000 (s), 1'000 (ms), 1 (us); 0 for ns
  std::int64_t list_size = 0;        // fixed_size_list
  // A dictionary-encoded column: `type` is the index type, `values` the dictionary.
  const ArrowArray* values = nullptr;
  kind values_type = kind::unsupported;
  std::int64_t row0 = 0;      // the array's offset (added to every row)
  std::int64_t row_base = 0;  // rows of the stream before this batch (for messages)
  bool time = false;          // the time column: integers in `unit` (see read_options)
  time_unit unit = time_unit::unspecified;

  [[nodiscard]] bool null_at(std::int64_t row) const noexcept {
    if (array->null_count == 0 || array->n_buffers < 1 || array->buffers[0] == nullptr) return false;
    const std::int64_t i = row0 + row;
    const auto* bits = static_cast<const std::uint8_t*>(array->buffers[0]);
    return ((bits[i >> 3] >> (i & 7)) & 1) == 0;
  }
};

inline kind kind_of(std::string_view f) noexcept {
  if (f == "b") return kind::boolean;
  if (f == "c") return kind::i8;
  if (f == "s") return kind::i16;
  if (f == "i") return kind::i32;
  if (f == "l") return kind::i64;
  if (f == "C") return kind::u8;
  if (f == "S") return kind::u16;
  if (f == "I") return kind::u32;
  if (f == "L") return kind::u64;
  if (f == "f") return kind::f32;
  if (f == "g") return kind::f64;
  if (f == "u") return kind::utf8;
  if (f == "U") return kind::large_utf8;
  if (f == "vu") return kind::utf8_view;
  if (f.starts_with("ts") && f.size() >= 4 && f[3] == ':') return kind::timestamp;
  if (f.starts_with("+w:")) return kind::fixed_size_list;
  return kind::unsupported;
}
inline bool is_integer(kind k) noexcept {
  return k >= kind::i8 && k <= kind::u64;
}
inline bool is_string(kind k) noexcept {
  return k == kind::utf8 || k == kind::large_utf8 || k == kind::utf8_view;
}

// Integer value at physical index i (offset included) of a fixed-width integer or
// boolean buffer, widened: signed kinds to int64, unsigned to uint64 (as `negative` +
// magnitude so every value of both fits).
struct wide_int {
  bool negative = false;
  std::uint64_t magnitude = 0;
};
inline wide_int int_at(kind k, const void* buf, std::int64_t i) noexcept {
  const auto signed_value = [](std::int64_t v) {
    return wide_int{v < 0, v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v)};
  };
  switch (k) {
    case kind::boolean: return {false, (static_cast<const std::uint8_t*>(buf)[i >> 3] >> (i & 7)) & 1u};
    case kind::i8: return signed_value(static_cast<const std::int8_t*>(buf)[i]);
    case kind::i16: return signed_value(static_cast<const std::int16_t*>(buf)[i]);
    case kind::i32: return signed_value(static_cast<const std::int32_t*>(buf)[i]);
    case kind::i64: return signed_value(static_cast<const std::int64_t*>(buf)[i]);
    case kind::u8: return {false, static_cast<const std::uint8_t*>(buf)[i]};
    case kind::u16: return {false, static_cast<const std::uint16_t*>(buf)[i]};
    case kind::u32: return {false, static_cast<const std::uint32_t*>(buf)[i]};
    case kind::u64: return {false, static_cast<const std::uint64_t*>(buf)[i]};
    default: return {};
  }
}

// Whether w fits the integer type T, and then its value.
template <class T> bool fits(const wide_int& w, T& out) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    if (w.negative || w.magnitude > 1) return false;
    out = w.magnitude != 0;
    return true;
  } else if constexpr (std::is_signed_v<T>) {
    const auto most = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (w.negative ? w.magnitude > most + 1 : w.magnitude > most) return false;
    out = w.negative ? static_cast<T>(0 - static_cast<std::int64_t>(w.magnitude - 1) - 1) : static_cast<T>(w.magnitude);
    return true;
  } else {
    if (w.negative || w.magnitude > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(w.magnitude);
    return true;
  }
}

// The one shape of a column's error: "skewless: column '<name>' <what...>", with the
// row (counted from the stream's start) for a value's error.
template <class... Parts> absl::Status column_problem(std::string_view name, const Parts&... what) {
  return absl::InvalidArgumentError(absl::StrCat("skewless: column '", as_absl(name), "' ", what...));
}
inline absl::Status column_error(const column& c, std::int64_t row, std::string_view what) {
  return column_problem(c.name, "row ", c.row_base + row, ": ", as_absl(what));
}

// An Arrow format string with the name of its type: 'u' (utf8), 'tsu:UTC' (timestamp).
inline std::string describe_format(std::string_view f) {
  static constexpr std::pair<std::string_view, std::string_view> names[] = {
      {"n", "null"},     {"b", "bool"},       {"c", "int8"},        {"C", "uint8"},        {"s", "int16"},
      {"S", "uint16"},   {"i", "int32"},      {"I", "uint32"},      {"l", "int64"},        {"L", "uint64"},
      {"e", "float16"},  {"f", "float32"},    {"g", "float64"},     {"z", "binary"},       {"Z", "large_binary"},
      {"u", "utf8"},     {"U", "large_utf8"}, {"vu", "utf8_view"},  {"vz", "binary_view"}, {"tdD", "date32"},
      {"tdm", "date64"}, {"+l", "list"},      {"+L", "large_list"}, {"+s", "struct"},      {"+m", "map"}};
  std::string_view name;
  for (const auto& [format, n] : names) {
    if (f == format) name = n;
  }
  if (name.empty()) {
    if (f.starts_with("ts")) name = "timestamp";
    else if (f.starts_with("tt")) name = "time";
    else if (f.starts_with("tD")) name = "duration";
    else if (f.starts_with("d:")) name = "decimal";
    else if (f.starts_with("+w:")) name = "fixed_size_list";
    else if (f.starts_with("w:")) name = "fixed_size_binary";
  }
  return name.empty() ? absl::StrCat("'", as_absl(f), "'") : absl::StrCat("'", as_absl(f), "' (", as_absl(name), ")");
}

// A column whose Arrow type the field cannot take: names the type received and what the
// field takes (a property of the column, so no row).
inline absl::Status type_error(const column& c, std::string_view field_takes) {
  const std::string_view f = c.schema == nullptr || c.schema->format == nullptr ? "" : c.schema->format;
  if (c.values != nullptr && c.type != kind::fixed_size_list && c.schema != nullptr &&
      c.schema->dictionary != nullptr && c.schema->dictionary->format != nullptr) {
    return column_problem(c.name, "has Arrow type dictionary<", describe_format(f), "> of ",
                          describe_format(c.schema->dictionary->format), "; ", as_absl(field_takes));
  }
  return column_problem(c.name, "has Arrow type ", describe_format(f), "; ", as_absl(field_takes));
}

// A timestamp column's value in microseconds (floor for nanoseconds); false on overflow.
inline bool timestamp_micros(const column& c, std::int64_t row, std::int64_t& out) noexcept {
  const std::int64_t v = static_cast<const std::int64_t*>(c.array->buffers[1])[c.row0 + row];
  if (c.micros_per_unit == 0) {  // nanoseconds
    out = v / 1000 - ((v % 1000) < 0 ? 1 : 0);
    return true;
  }
  return !__builtin_mul_overflow(v, c.micros_per_unit, &out);
}

// An integer time column's value in microseconds, from its declared unit; without one,
// as microseconds within +-plausible_micros. See the header comment.
inline absl::Status integer_time_micros(const column& c, std::int64_t row, std::int64_t& out) {
  const wide_int w = int_at(c.type, c.array->buffers[1], c.row0 + row);
  std::int64_t v = 0;
  if (!fits(w, v)) return column_error(c, row, "a time beyond the int64 range");
  switch (integer_micros(v, c.unit, out)) {
    case integer_time::ok: return absl::OkStatus();
    case integer_time::overflow: {
      const char* unit = c.unit == time_unit::seconds ? "seconds" : "milliseconds";
      return column_error(c, row, absl::StrCat(v, " ", unit, " is beyond the microsecond range"));
    }
    case integer_time::implausible: break;
  }
  return column_error(c, row, implausible_time_message(v));
}

// The string at a row of a utf8 / large_utf8 array (physical index i).
template <class Offset> bool string_at(const ArrowArray& a, std::int64_t i, std::string_view& out) noexcept {
  const auto* off = static_cast<const Offset*>(a.buffers[1]);
  const Offset b = off[i], e = off[i + 1];
  if (b < 0 || e < b) return false;
  const char* data = static_cast<const char*>(a.buffers[2]);
  out = std::string_view(data == nullptr ? "" : data + b, static_cast<std::size_t>(e - b));
  return true;
}
// The string at a row of a utf8_view array (Polars' strings): a 16-byte view holds the
// length and either the bytes (up to 12) or a data buffer's index and an offset into
// it. The last buffer holds the data buffers' sizes, so every view is bounds-checked.
inline bool string_view_at(const ArrowArray& a, std::int64_t i, std::string_view& out) noexcept {
  const auto* view = static_cast<const unsigned char*>(a.buffers[1]) + 16 * i;
  std::int32_t len = 0, index = 0, offset = 0;
  std::memcpy(&len, view, 4);
  if (len < 0) return false;
  if (len <= 12) {
    out = std::string_view(reinterpret_cast<const char*>(view + 4), static_cast<std::size_t>(len));
    return true;
  }
  std::memcpy(&index, view + 8, 4);
  std::memcpy(&offset, view + 12, 4);
  const std::int64_t data_buffers = a.n_buffers - 3;
  if (index < 0 || index >= data_buffers || offset < 0) return false;
  const auto* sizes = static_cast<const std::int64_t*>(a.buffers[a.n_buffers - 1]);
  const char* data = static_cast<const char*>(a.buffers[2 + index]);
  if (sizes == nullptr || data == nullptr || std::int64_t{offset} + len > sizes[index]) return false;
  out = std::string_view(data + offset, static_cast<std::size_t>(len));
  return true;
}
inline bool string_in(const ArrowArray& a, kind k, std::int64_t i, std::string_view& out) noexcept {
  if (k == kind::utf8_view) return string_view_at(a, i, out);
  return k == kind::utf8 ? string_at<std::int32_t>(a, i, out) : string_at<std::int64_t>(a, i, out);
}

inline absl::Status describe(const ArrowSchema& s, const ArrowArray& a, column& c) {
  c.schema = &s;
  c.array = &a;
  c.row0 = a.offset;
  const std::string_view f = s.format == nullptr ? "" : s.format;
  if (a.offset < 0 || a.length < 0) return column_problem(c.name, "has a negative offset or length");
  if (s.dictionary != nullptr) {
    c.type = kind_of(f);
    if (!is_integer(c.type) || a.dictionary == nullptr) {
      return column_problem(c.name, "is dictionary-encoded with index type '", as_absl(f),
                            "'; integer indices and a dictionary are required");
    }
    c.values = a.dictionary;
    c.values_type = kind_of(s.dictionary->format == nullptr ? "" : s.dictionary->format);
    if (!is_string(c.values_type) || c.values->n_buffers < 3 || c.values->offset < 0 || c.values->length < 0) {
      return column_problem(c.name, "is a dictionary of '",
                            as_absl(s.dictionary->format == nullptr ? "" : s.dictionary->format),
                            "'; only dictionaries of utf8, large_utf8 or utf8_view strings are read");
    }
    if (a.n_buffers < 2 || (a.length > 0 && a.buffers[1] == nullptr))
      return column_problem(c.name, "has no index buffer");
    return absl::OkStatus();
  }
  c.type = kind_of(f);
  switch (c.type) {
    case kind::unsupported:
      return column_problem(c.name, "has Arrow type '", as_absl(f), "', which no event field takes");
    case kind::timestamp:
      switch (f[2]) {
        case 's': c.micros_per_unit = 1'000'000; break;
        case 'm': c.micros_per_unit = 1'000; break;
        case 'u': c.micros_per_unit = 1; break;
        case 'n': c.micros_per_unit = 0; break;
        default: return column_problem(c.name, "has an unknown timestamp unit in '", as_absl(f), "'");
      }
      break;
    case kind::fixed_size_list: {
      std::int64_t n = 0;
      for (char ch : f.substr(3)) {
        if (ch < '0' || ch > '9' || n > (std::int64_t{1} << 40))
          return column_problem(c.name, "has a malformed list size in '", as_absl(f), "'");
        n = n * 10 + (ch - '0');
      }
      c.list_size = n;
      if (s.n_children != 1 || a.n_children != 1 || s.children == nullptr || a.children == nullptr) {
        return column_problem(c.name, "is a list without one child");
      }
      const kind element = kind_of(s.children[0]->format == nullptr ? "" : s.children[0]->format);
      if (element != kind::f32 && element != kind::f64) {
        return column_problem(c.name, "is a list of '", as_absl(s.children[0]->format),
                              "'; vector fields take lists of float32 or float64");
      }
      c.values = a.children[0];
      c.values_type = element;
      if (c.values->offset < 0 || c.values->n_buffers < 2) return column_problem(c.name, "has a malformed list child");
      return absl::OkStatus();
    }
    default: break;
  }
  const std::int64_t need = is_string(c.type) ? 3 : 2;
  if (a.n_buffers < need || (a.length > 0 && a.buffers[1] == nullptr)) {
    return column_problem(c.name, "has ", a.n_buffers, " buffers; its type '", as_absl(f), "' needs ", need);
  }
  return absl::OkStatus();
}

// Fills field `out` (of type T) from row `row` of column c.
template <class T> absl::Status read_field(const column& c, std::int64_t row, T& out) {
  const std::int64_t i = c.row0 + row;
  const bool null = c.null_at(row);
  if constexpr (std::is_floating_point_v<T>) {
    if (null) {
      out = std::numeric_limits<T>::quiet_NaN();
    } else if (c.type == kind::f64) {
      out = static_cast<T>(static_cast<const double*>(c.array->buffers[1])[i]);
      if constexpr (std::is_same_v<T, float>) {
        const double d = static_cast<const double*>(c.array->buffers[1])[i];
        if (!std::isnan(d) && static_cast<double>(out) != d)
          return column_error(c, row, "a float64 value a float field cannot hold exactly");
      }
    } else if (c.type == kind::f32) {
      out = static_cast<T>(static_cast<const float*>(c.array->buffers[1])[i]);
    } else if (is_integer(c.type)) {
      const wide_int w = int_at(c.type, c.array->buffers[1], i);
      const T v = static_cast<T>(w.magnitude);  // rounded; exact only if it converts back
      if (v >= static_cast<T>(18446744073709551616.0) || static_cast<std::uint64_t>(v) != w.magnitude) {
        return column_error(c, row, "an integer the floating-point field cannot hold exactly");
      }
      out = w.negative ? -v : v;
    } else {
      return type_error(c, "a floating-point field takes float32, float64 or integers");
    }
    return absl::OkStatus();
  } else {
    // A null vector is a vector of missing values (below); any other null is an error.
    if (null && fixed_vector_size<T>::value == 0) {
      return column_error(c, row, "null, which this field (not floating-point) cannot hold");
    }
    if constexpr (std::is_same_v<T, std::string>) {
      std::string_view v;
      if (c.values != nullptr && c.type != kind::fixed_size_list) {  // dictionary
        const wide_int w = int_at(c.type, c.array->buffers[1], i);
        if (w.negative || w.magnitude >= static_cast<std::uint64_t>(c.values->length)) {
          return column_error(c, row, absl::StrCat("a dictionary index outside the dictionary of ", c.values->length));
        }
        if (!string_in(*c.values, c.values_type, c.values->offset + static_cast<std::int64_t>(w.magnitude), v)) {
          return column_error(c, row, "malformed string offsets in the dictionary");
        }
      } else if (is_string(c.type)) {
        if (!string_in(*c.array, c.type, i, v)) return column_error(c, row, "malformed string offsets");
      } else {
        return type_error(c, "a string field takes utf8, large_utf8, utf8_view or a dictionary of them");
      }
      out.assign(v.data(), v.size());
      return absl::OkStatus();
    } else if constexpr (std::is_same_v<T, absl::Time>) {
      std::int64_t us = 0;
      if (c.type == kind::timestamp) {
        if (!timestamp_micros(c, row, us)) return column_error(c, row, "a timestamp beyond the microsecond range");
      } else if (c.type == kind::i64 || (c.time && is_integer(c.type))) {
        if (absl::Status s = integer_time_micros(c, row, us); !s.ok()) return s;
      } else {
        return type_error(c, "an absl::Time field takes timestamp or int64 microseconds");
      }
      out = absl::FromUnixMicros(us);
      return absl::OkStatus();
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> u{};
      if (!is_integer(c.type)) return type_error(c, "an enum field takes its underlying integer");
      if (!fits(int_at(c.type, c.array->buffers[1], i), u))
        return column_error(c, row, "a value outside the enum's underlying type");
      out = static_cast<T>(u);
      return absl::OkStatus();
    } else if constexpr (std::is_integral_v<T>) {
      if (c.type == kind::timestamp) {
        std::int64_t us = 0;
        if (!std::is_same_v<T, std::int64_t>)
          return type_error(c, "only an int64 (microseconds) field takes a timestamp");
        if (!timestamp_micros(c, row, us)) return column_error(c, row, "a timestamp beyond the microsecond range");
        out = static_cast<T>(us);
        return absl::OkStatus();
      }
      if (!is_integer(c.type) && c.type != kind::boolean) {
        return type_error(c, "an integer field takes int8..int64, uint8..uint64, bool or timestamp");
      }
      if (c.time && is_integer(c.type)) {
        std::int64_t us = 0;
        if (absl::Status s = integer_time_micros(c, row, us); !s.ok()) return s;
        if (!fits(wide_int{us < 0, us < 0 ? 0 - static_cast<std::uint64_t>(us) : static_cast<std::uint64_t>(us)},
                  out)) {
          return column_error(c, row, "a time outside the field's integer type");
        }
        return absl::OkStatus();
      }
      if (!fits(int_at(c.type, c.array->buffers[1], i), out))
        return column_error(c, row, "a value outside the field's integer type");
      return absl::OkStatus();
    } else if constexpr (fixed_vector_size<T>::value > 0) {
      constexpr std::size_t n = fixed_vector_size<T>::value;
      if (c.type != kind::fixed_size_list || c.list_size != static_cast<std::int64_t>(n)) {
        return type_error(c, absl::StrCat("the vector field takes a fixed_size_list of ", n, " float32 or float64"));
      }
      column element;
      element.name = c.name;
      element.array = c.values;
      element.schema = c.schema->children[0];
      element.type = c.values_type;
      element.row0 = c.values->offset;
      std::int64_t first = 0;
      if (__builtin_mul_overflow(i, c.list_size, &first)) return column_error(c, row, "a list position beyond 2^63");
      for (std::size_t k = 0; k < n; ++k) {
        auto& slot = out[k];
        using S = std::remove_cvref_t<decltype(slot)>;
        static_assert(std::is_floating_point_v<S>, "skewless: vector fields hold float or double");
        S v{};
        const std::int64_t at = first + static_cast<std::int64_t>(k);
        if (null || element.null_at(at)) {
          v = std::numeric_limits<S>::quiet_NaN();
        } else {
          element.row_base = c.row_base + row - at;  // a message names the list's row
          if (absl::Status s = read_field(element, at, v); !s.ok()) return s;
        }
        slot = v;
      }
      return absl::OkStatus();
    } else {
      static_assert(sizeof(T) == 0, "skewless::arrow: this event field type has no Arrow column mapping");
      return absl::OkStatus();
    }
  }
}

}  // namespace arrow_internal

namespace arrow_internal {

// What every record batch must be: a struct array (format "+s") whose schema and array
// have the same columns, with no null rows.
inline absl::Status check_batch(const ArrowSchema& schema, const ArrowArray& batch) {
  const std::string_view format = schema.format == nullptr ? "" : schema.format;
  if (format != "+s") {
    return absl::InvalidArgumentError(
        absl::StrCat("skewless: a record batch is a struct array (format '+s'), not '", as_absl(format), "'"));
  }
  if (schema.n_children != batch.n_children || schema.n_children < 0 ||
      (schema.n_children > 0 && (schema.children == nullptr || batch.children == nullptr))) {
    return absl::InvalidArgumentError("skewless: the record batch's schema and array have different columns");
  }
  if (batch.length < 0 || batch.offset < 0) {
    return absl::InvalidArgumentError("skewless: a record batch with a negative length or offset");
  }
  if (batch.null_count != 0 && batch.n_buffers >= 1 && batch.buffers != nullptr && batch.buffers[0] != nullptr) {
    return absl::InvalidArgumentError(
        "skewless: the record batch has null rows (a struct-level validity bitmap); rows cannot be null");
  }
  return absl::OkStatus();
}

// The column named `name` of a checked batch, described into c (rows named from row_base).
inline absl::Status find_column(const ArrowSchema& schema, const ArrowArray& batch, std::string_view name,
                                std::int64_t row_base, column& c) {
  c.name = name;
  c.row_base = row_base;
  for (std::int64_t k = 0; k < schema.n_children; ++k) {
    const ArrowSchema* cs = schema.children[k];
    if (cs == nullptr || cs->name == nullptr || name != cs->name) continue;
    const ArrowArray* ca = batch.children[k];
    if (ca == nullptr || ca->length < batch.offset + batch.length) {
      return column_problem(name, "is shorter than the record batch");
    }
    absl::Status s = describe(*cs, *ca, c);
    c.row0 += batch.offset;  // a sliced batch: its rows start there in every child
    return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("skewless: the record batch has no column '", as_absl(name), "' for the field of that name"));
}

// append_events, naming rows from row_base (the rows of a stream before this batch).
template <Event E>
absl::Status append_rows(const ArrowSchema& schema, const ArrowArray& batch, std::vector<E>& out, std::int64_t row_base,
                         const read_options& opt = {}) {
  if (absl::Status s = check_batch(schema, batch); !s.ok()) return s;
  // One column per field, found by name.
  constexpr std::size_t n_fields = decltype(boost::hana::size(boost::hana::accessors<E>()))::value;
  std::array<column, n_fields> columns;
  absl::Status status;
  std::size_t f = 0;
  boost::hana::for_each(boost::hana::accessors<E>(), [&](auto pair) {
    column& c = columns[f++];
    if (status.ok()) {
      const char* name = boost::hana::to<const char*>(boost::hana::first(pair));
      status = find_column(schema, batch, name, row_base, c);
      c.time = !opt.time_column.empty() && opt.time_column == name;
      c.unit = opt.integer_time_unit;
    }
  });
  if (!status.ok()) return status;
  const std::size_t before = out.size();
  // Geometric growth: reserving exactly each batch's rows would reallocate (and move
  // every earlier event) once per batch, quadratic in a stream of many batches.
  const std::size_t need = before + static_cast<std::size_t>(batch.length);
  if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
  for (std::int64_t row = 0; row < batch.length && status.ok(); ++row) {
    E& e = out.emplace_back();
    std::size_t k = 0;
    boost::hana::for_each(boost::hana::accessors<E>(), [&](auto pair) {
      const column& c = columns[k++];
      if (status.ok()) status = read_field(c, row, boost::hana::second(pair)(e));
    });
  }
  if (!status.ok()) out.resize(before);
  return status;
}

// f(schema, batch, rows before it) for each batch of a stream, until f fails; releases
// each batch and, at the end, the schema (the stream stays the caller's).
// Pulls the record batches of a stream one at a time (the stream stays the caller's):
// next() moves to the next non-released batch, or reports the end.
class batch_source {
 public:
  explicit batch_source(ArrowArrayStream& stream) : stream_(&stream) {}
  batch_source(const batch_source&) = delete;
  batch_source& operator=(const batch_source&) = delete;
  ~batch_source() {
    drop_batch();
    if (schema_.release != nullptr) schema_.release(&schema_);
  }

  // The next batch into batch(); `more` is false at the end of the stream.
  absl::Status next(bool& more) {
    more = false;
    if (!started_) {
      started_ = true;
      if (const int rc = stream_->get_schema(stream_, &schema_); rc != 0) return stream_error("give its schema", rc);
    }
    rows_before_ += batch_.length;
    drop_batch();
    if (const int rc = stream_->get_next(stream_, &batch_); rc != 0) {
      batch_ = ArrowArray{};
      return stream_error("give its next batch", rc);
    }
    more = batch_.release != nullptr;  // a released batch marks the end
    if (!more) batch_ = ArrowArray{};
    return absl::OkStatus();
  }
  [[nodiscard]] const ArrowSchema& schema() const noexcept { return schema_; }
  [[nodiscard]] const ArrowArray& batch() const noexcept { return batch_; }
  // Rows of the stream before the current batch (for messages).
  [[nodiscard]] std::int64_t rows_before() const noexcept { return rows_before_; }

 private:
  void drop_batch() {
    if (batch_.release != nullptr) batch_.release(&batch_);
    batch_ = ArrowArray{};
  }
  absl::Status stream_error(std::string_view what, int code) const {
    const char* msg = stream_->get_last_error != nullptr ? stream_->get_last_error(stream_) : nullptr;
    return absl::InvalidArgumentError(absl::StrCat("skewless: the Arrow stream failed to ", as_absl(what), " (errno ",
                                                   code, ")", msg != nullptr ? ": " : "", msg != nullptr ? msg : ""));
  }

  ArrowArrayStream* stream_;
  ArrowSchema schema_{};
  ArrowArray batch_{};
  std::int64_t rows_before_ = 0;
  bool started_ = false;
};

// f(schema, batch, rows_before) for every batch of the stream, until f fails.
template <class F> absl::Status for_each_batch(ArrowArrayStream& stream, F&& f) {
  batch_source source(stream);
  bool more = true;
  while (true) {
    if (absl::Status s = source.next(more); !s.ok() || !more) return s;
    if (absl::Status s = f(source.schema(), source.batch(), source.rows_before()); !s.ok()) return s;
  }
}

}  // namespace arrow_internal

// Appends the rows of one record batch (format "+s": a struct array whose children are
// the columns) to `out`, each field from the column of its name. On any error — a
// field without a column, a column of a type its field does not take, a null or value
// its field cannot hold — `out` is unchanged and the status names the column and row.
// The arrays are only read; releasing them stays the caller's (producer's) business.
template <Event E>
[[nodiscard]] absl::Status append_events(const ArrowSchema& schema, const ArrowArray& batch, std::vector<E>& out,
                                         const read_options& opt = {}) {
  return arrow_internal::append_rows(schema, batch, out, 0, opt);
}

// Appends every batch of a stream (ArrowArrayStream) to `out`, releasing each batch
// and, at the end, the schema; the stream itself stays the caller's to release. Rows
// in messages count from the stream's first. On any error `out` is unchanged.
template <Event E>
[[nodiscard]] absl::Status read_events(ArrowArrayStream& stream, std::vector<E>& out, const read_options& opt = {}) {
  const std::size_t before = out.size();
  absl::Status status = arrow_internal::for_each_batch(
      stream, [&](const ArrowSchema& schema, const ArrowArray& batch, std::int64_t rows_before) {
        return arrow_internal::append_rows(schema, batch, out, rows_before, opt);
      });
  if (!status.ok()) out.resize(before);
  return status;
}

}  // namespace skewless::inline v1::arrow
