// Tests for skewless/kafka/binary_decoder.hpp: every field type round-trips to the bit
// (NaN payloads, infinities, -0.0, subnormals, extreme integers, strings with NULs),
// Python's struct format matches the layout, and every truncation, extension or bad
// byte is refused with the event untouched.
#include <skewless/expr/feature_set.hpp>
#include <skewless/kafka/binary_decoder.hpp>

#include "conformance/streams.hpp"
#include "support.hpp"

#include <absl/time/time.h>
#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace binary_test {
enum class channel : std::uint8_t { web = 1, store = 2 };
struct wide {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  float ratio;
  std::int8_t small;
  std::uint64_t big;
  bool flag;
  channel via;
  std::string country;
  std::array<double, 3> emb;
  Eigen::Matrix<float, 2, 1> pair;
  absl::Time at;
};
struct plain {
  std::int64_t user_id;
  std::int64_t ts_us;
  double amount;
  std::int32_t merchant_category;
  bool card_present;
};
}  // namespace binary_test
BOOST_HANA_ADAPT_STRUCT(binary_test::wide, user, ts, amount, ratio, small, big, flag, via, country, emb, pair, at);
BOOST_HANA_ADAPT_STRUCT(binary_test::plain, user_id, ts_us, amount, merchant_category, card_present);

using namespace skewless;
using binary_test::plain;
using binary_test::wide;
using kafka::decode_status;

namespace {
constexpr auto wide_fs = define_features<wide, "user", "ts">(feature<"n">(count(lifetime())));
constexpr auto plain_fs = define_features<plain, "user_id", "ts_us">(feature<"n">(count(lifetime())));
using wide_decoder = kafka::binary_decoder<decltype(wide_fs)>;
using plain_decoder = kafka::binary_decoder<decltype(plain_fs)>;

template <class T> bool same(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::bit_cast<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(a) ==
           std::bit_cast<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(b);
  } else {
    return a == b;
  }
}

bool same_event(const wide& a, const wide& b) {
  bool emb = true;
  for (std::size_t i = 0; i < 3; ++i) emb = emb && same(a.emb[i], b.emb[i]);
  return a.user == b.user && a.ts == b.ts && same(a.amount, b.amount) && same(a.ratio, b.ratio) && a.small == b.small &&
         a.big == b.big && a.flag == b.flag && a.via == b.via && a.country == b.country && emb &&
         same(a.pair[0], b.pair[0]) && same(a.pair[1], b.pair[1]) && a.at == b.at;
}

wide random_wide(std::mt19937_64& rng, int i) {
  wide e;
  e.user = static_cast<std::int64_t>(rng());
  e.ts = static_cast<std::int64_t>(rng() >> 2);
  e.amount = skewless_test::random_value(rng, i % 4);
  e.ratio = static_cast<float>(skewless_test::random_value(rng, 1));
  e.small = static_cast<std::int8_t>(rng());
  e.big = rng();
  e.flag = (rng() & 1) != 0;
  e.via = (rng() & 1) != 0 ? binary_test::channel::web : binary_test::channel::store;
  e.country = std::string(rng() % 5, '\0') + "x" + std::string(rng() % 3, 'y');
  for (double& v : e.emb) v = skewless_test::random_value(rng, 1);
  e.pair = {static_cast<float>(skewless_test::random_value(rng, 1)), std::bit_cast<float>(0x7fc00001u)};
  e.at = absl::FromUnixMicros(static_cast<std::int64_t>(rng() >> 12) - (std::int64_t{1} << 50));
  return e;
}
}  // namespace

TEST_CASE("kafka binary decoder: every field type round-trips to the bit", "[kafka][binary]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 2805);
  wide_decoder decode;
  for (int i = 0; i < 2000; ++i) {
    const wide e = random_wide(rng, i);
    const std::string bytes = wide_decoder::encode(e);
    wide back{};
    REQUIRE(decode(bytes, back) == decode_status::ok);
    REQUIRE(same_event(back, e));
  }
  // Extremes.
  wide e{};
  e.user = std::numeric_limits<std::int64_t>::min();
  e.big = std::numeric_limits<std::uint64_t>::max();
  e.amount = -0.0;
  e.ratio = std::numeric_limits<float>::denorm_min();
  e.emb = {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
           std::bit_cast<double>(0x7ff4000000000001ull)};  // a signalling NaN's payload
  wide back{};
  REQUIRE(decode(wide_decoder::encode(e), back) == decode_status::ok);
  CHECK(same_event(back, e));
}

TEST_CASE("kafka binary decoder: Python's struct format writes the layout", "[kafka][binary]") {
  CHECK(plain_decoder::python_struct_format() == "<qqdi?");
  CHECK(wide_decoder::python_struct_format().empty());  // a string field: no fixed format
  // struct.pack("<qqdi?", 42, 1796083200000000, 12.5, 7, True), byte for byte.
  const std::string packed(
      "\x2a\0\0\0\0\0\0\0"
      "\x00\x80\x1f\x35\x87\x61\x06\x00"
      "\0\0\0\0\0\0\x29\x40"
      "\x07\0\0\0"
      "\x01",
      29);
  plain p{};
  REQUIRE(plain_decoder()(packed, p) == decode_status::ok);
  CHECK(p.user_id == 42);
  CHECK(p.ts_us == 1'796'083'200'000'000);
  CHECK(p.amount == 12.5);
  CHECK(p.merchant_category == 7);
  CHECK(p.card_present);
  CHECK(plain_decoder::encode(p) == packed);
}

TEST_CASE("kafka binary decoder: short, long and bad messages are refused, the event untouched", "[kafka][binary]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 2806);
  wide_decoder decode({.max_bytes = 200});
  const wide e = random_wide(rng, 1);
  const std::string bytes = wide_decoder::encode(e);
  const wide before = random_wide(rng, 2);
  std::string why;
  for (std::size_t n = 0; n < bytes.size(); ++n) {  // every truncation
    wide out = before;
    INFO(n);
    REQUIRE(decode(bytes.substr(0, n), out, &why) == decode_status::malformed);
    REQUIRE(same_event(out, before));
  }
  CHECK_THAT(why, Catch::Contains("ends inside"));
  wide out = before;
  CHECK(decode(bytes + "z", out, &why) == decode_status::malformed);
  CHECK_THAT(why, Catch::Contains("1 bytes after the last field"));
  CHECK(same_event(out, before));
  CHECK(decode(std::string(201, '\0'), out, &why) == decode_status::too_large);
  // A bool byte of 2 (the flag is at offset 37: 8+8+8+4+1+8).
  std::string bad = bytes;
  bad[37] = '\2';
  CHECK(decode(bad, out, &why) == decode_status::out_of_range);
  CHECK_THAT(why, Catch::Contains("'flag'"));
  // A string length beyond the message (the country's u32 length is at offset 39).
  bad = bytes;
  bad[42] = '\x7f';
  CHECK(decode(bad, out, &why) == decode_status::malformed);
  CHECK_THAT(why, Catch::Contains("'country'"));
  CHECK(same_event(out, before));
  // Random bytes: a status, never a crash (the sanitizer builds run this too).
  for (int i = 0; i < 5000; ++i) {
    std::string junk(rng() % 120, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    wide w = before;
    if (decode(junk, w) != decode_status::ok) REQUIRE(same_event(w, before));
  }
}
