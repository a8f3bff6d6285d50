// skewless/kafka/binary_decoder.hpp — a fixed binary layout of the event struct, for
// producers that want neither JSON's cost nor a schema registry.
//
//   std::string bytes = skewless::kafka::binary_decoder<decltype(features)>::encode(e);  // producer
//   skewless::kafka::binary_decoder<decltype(features)> decode;                            // consumer
//   if (decode(bytes, e, &why) != skewless::kafka::decode_status::ok) quarantine(why);
//
// The layout: the struct's fields in declaration order, little-endian, no padding:
//
//   bool                       1 byte, 0 or 1
//   integers, enums            their size (an enum: its underlying type's), two's complement
//   float, double              4 or 8 bytes, IEEE 754: every bit pattern (NaN, infinities,
//                              -0.0, subnormals) arrives as it was sent
//   absl::Time                 8 bytes: microseconds since the Unix epoch (floored)
//   std::string                a u32 length, then that many bytes
//   std::array / Eigen vectors N floats or doubles
//
// With no string field every message has the same size, and python_struct_format()
// gives the Python `struct` format that writes it (for payments::transaction,
// "<qqdi?"): struct.pack("<qqdi?", user_id, ts_us, amount, category, card_present).
// A message of another size, a bool byte other than 0 or 1, a string longer than what
// is left, or a message over max_bytes is refused with a decode_status and a reason; a
// refused message leaves the event as it was.
#pragma once

#include <skewless/expr/event.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kafka/message.hpp>

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <boost/hana.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace skewless::inline v1::kafka {

struct binary_options {
  std::size_t max_bytes = std::size_t{1} << 20;  // larger messages: too_large
};

namespace kafka_internal {

// T from little-endian bytes (an integer or floating-point type).
template <class T> T load_le(const char* p) noexcept {
  using U = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                               std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                  std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  U u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    u |= static_cast<U>(static_cast<U>(static_cast<unsigned char>(p[i])) << (8 * i));
  return std::bit_cast<T>(u);
}
template <class T> void store_le(std::string& out, T v) {
  using U = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                               std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                  std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  const U u = std::bit_cast<U>(v);
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

// The Python struct character of a fixed-size scalar, or '\0'.
template <class T> constexpr char struct_char() {
  if constexpr (std::is_same_v<T, bool>) return '?';
  else if constexpr (std::is_same_v<T, float>) return 'f';
  else if constexpr (std::is_same_v<T, double>) return 'd';
  else if constexpr (std::is_same_v<T, absl::Time>) return 'q';
  else if constexpr (std::is_enum_v<T>) return struct_char<std::underlying_type_t<T>>();
  else if constexpr (std::is_integral_v<T>) {
    constexpr char s[] = {'b', 'h', 'i', 'q'};
    constexpr char u[] = {'B', 'H', 'I', 'Q'};
    constexpr std::size_t k = sizeof(T) == 1 ? 0 : sizeof(T) == 2 ? 1 : sizeof(T) == 4 ? 2 : 3;
    return std::is_signed_v<T> ? s[k] : u[k];
  } else {
    return '\0';
  }
}

}  // namespace kafka_internal

template <class FS> class binary_decoder {
 public:
  using event_type = typename std::remove_cvref_t<FS>::event_type;
  static_assert(Event<event_type>, "skewless::kafka::binary_decoder: the event type must be a Hana struct");

  explicit binary_decoder(binary_options opt = {}) : opt_(opt) {}

  decode_status operator()(std::string_view bytes, event_type& out, std::string* why = nullptr) const {
    if (bytes.size() > opt_.max_bytes) {
      return refuse(why, decode_status::too_large,
                    absl::StrCat("a message of ", bytes.size(), " bytes, over the limit of ", opt_.max_bytes));
    }
    event_type e = out;
    std::size_t at = 0;
    decode_status status = decode_status::ok;
    std::string reason;
    boost::hana::for_each(boost::hana::accessors<event_type>(), [&](auto pair) {
      if (status != decode_status::ok) return;
      const char* name = boost::hana::to<const char*>(boost::hana::first(pair));
      status = read(bytes, at, boost::hana::second(pair)(e), name, reason);
    });
    if (status == decode_status::ok && at != bytes.size()) {
      status = decode_status::malformed;
      reason = absl::StrCat(bytes.size() - at, " bytes after the last field (a message of ", bytes.size(),
                            " bytes, the event takes ", at, ")");
    }
    if (status != decode_status::ok) return refuse(why, status, reason);
    out = std::move(e);
    return decode_status::ok;
  }
  decode_status operator()(const message& m, event_type& out, std::string* why = nullptr) const {
    return (*this)(m.value, out, why);
  }

  // The bytes of `e` in the layout above.
  [[nodiscard]] static std::string encode(const event_type& e) {
    std::string out;
    boost::hana::for_each(boost::hana::accessors<event_type>(),
                          [&](auto pair) { write(out, boost::hana::second(pair)(e)); });
    return out;
  }

  // Python's struct format of the layout ("<" then one character per field, "4d" for
  // an array of four doubles), or "" if a field is a string.
  [[nodiscard]] static std::string python_struct_format() {
    std::string f = "<";
    bool ok = true;
    boost::hana::for_each(boost::hana::accessors<event_type>(), [&](auto pair) {
      using T = std::remove_cvref_t<decltype(boost::hana::second(pair)(std::declval<const event_type&>()))>;
      if constexpr (fixed_vector_size<T>::value > 0) {
        using S = std::remove_cvref_t<decltype(std::declval<const T&>()[0])>;
        absl::StrAppend(&f, fixed_vector_size<T>::value, std::string(1, kafka_internal::struct_char<S>()));
      } else if constexpr (kafka_internal::struct_char<T>() != '\0') {
        f += kafka_internal::struct_char<T>();
      } else {
        ok = false;
      }
    });
    return ok ? f : std::string();
  }

  [[nodiscard]] const binary_options& options() const noexcept { return opt_; }

 private:
  static decode_status refuse(std::string* why, decode_status s, std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return s;
  }

  static bool take(std::string_view bytes, std::size_t& at, std::size_t n, const char* name, std::string& reason) {
    if (bytes.size() - at < n) {
      reason = absl::StrCat("field '", name, "': the message ends inside it (", bytes.size(), " bytes)");
      return false;
    }
    return true;
  }

  template <class T>
  static decode_status read(std::string_view bytes, std::size_t& at, T& out, const char* name, std::string& reason) {
    using kafka_internal::load_le;
    if constexpr (std::is_same_v<T, bool>) {
      if (!take(bytes, at, 1, name, reason)) return decode_status::malformed;
      const auto b = static_cast<unsigned char>(bytes[at++]);
      if (b > 1) {
        reason = absl::StrCat("field '", name, "': a bool byte of ", static_cast<int>(b), ", not 0 or 1");
        return decode_status::out_of_range;
      }
      out = b == 1;
    } else if constexpr (std::is_same_v<T, absl::Time>) {
      if (!take(bytes, at, 8, name, reason)) return decode_status::malformed;
      out = absl::FromUnixMicros(load_le<std::int64_t>(bytes.data() + at));
      at += 8;
    } else if constexpr (std::is_enum_v<T>) {
      using U = std::underlying_type_t<T>;
      if (!take(bytes, at, sizeof(U), name, reason)) return decode_status::malformed;
      out = static_cast<T>(load_le<U>(bytes.data() + at));
      at += sizeof(U);
    } else if constexpr (std::is_arithmetic_v<T>) {
      if (!take(bytes, at, sizeof(T), name, reason)) return decode_status::malformed;
      out = load_le<T>(bytes.data() + at);
      at += sizeof(T);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!take(bytes, at, 4, name, reason)) return decode_status::malformed;
      const std::uint32_t n = load_le<std::uint32_t>(bytes.data() + at);
      at += 4;
      if (bytes.size() - at < n) {
        reason = absl::StrCat("field '", name, "': a string of ", n, " bytes where ", bytes.size() - at, " are left");
        return decode_status::malformed;
      }
      out.assign(bytes.data() + at, n);
      at += n;
    } else if constexpr (fixed_vector_size<T>::value > 0) {
      using S = std::remove_cvref_t<decltype(out[0])>;
      static_assert(std::is_floating_point_v<S>, "skewless::kafka::binary_decoder: vectors of floats or doubles");
      constexpr std::size_t n = fixed_vector_size<T>::value;
      if (!take(bytes, at, n * sizeof(S), name, reason)) return decode_status::malformed;
      for (std::size_t k = 0; k < n; ++k) out[k] = load_le<S>(bytes.data() + at + k * sizeof(S));
      at += n * sizeof(S);
    } else {
      static_assert(sizeof(T) == 0, "skewless::kafka::binary_decoder: an event field of a type the layout has not");
    }
    return decode_status::ok;
  }

  template <class T> static void write(std::string& out, const T& v) {
    using kafka_internal::store_le;
    if constexpr (std::is_same_v<T, bool>) {
      out.push_back(v ? '\1' : '\0');
    } else if constexpr (std::is_same_v<T, absl::Time>) {
      store_le(out, absl::ToUnixMicros(v));
    } else if constexpr (std::is_enum_v<T>) {
      store_le(out, static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_arithmetic_v<T>) {
      store_le(out, v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      store_le(out, static_cast<std::uint32_t>(v.size()));
      out += v;
    } else if constexpr (fixed_vector_size<T>::value > 0) {
      for (std::size_t k = 0; k < fixed_vector_size<T>::value; ++k) store_le(out, v[k]);
    }
  }

  binary_options opt_;
};

}  // namespace skewless::inline v1::kafka
