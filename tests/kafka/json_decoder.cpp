// Tests for skewless/kafka/json_decoder.hpp: JSON objects into the event struct by field
// name — every field type, numbers exact to the bit (the double nearest the text, as
// strtod), missing values, the time field's units and RFC 3339, and every refusal
// counted by its reason with the event left untouched.
#include <skewless/adapters/absl_time.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/kafka/json_decoder.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

namespace json_test {
enum class kind : std::int16_t { view = 1, click = 2 };
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  float ratio;
  std::int8_t small;
  std::uint64_t big;
  bool flag;
  std::string country;
  kind what;
  std::array<double, 3> emb;
};
struct timed {
  std::string user;
  absl::Time at;
  double x;
};
}  // namespace json_test
BOOST_HANA_ADAPT_STRUCT(json_test::ev, user, ts, amount, ratio, small, big, flag, country, what, emb);
BOOST_HANA_ADAPT_STRUCT(json_test::timed, user, at, x);

using namespace skewless;
using json_test::ev;
using kafka::decode_status;
using skewless_test::same_bits;

namespace {
constexpr auto fs = define_features<ev, "user", "ts">(feature<"n">(count(lifetime())));
constexpr auto tfs = define_features<json_test::timed, "user", "at">(feature<"n">(count(lifetime())));

const std::string full = R"({"user": 7, "ts": 1700000000000000, "amount": -0.0, "ratio": 0.5, "small": -128,
  "big": 18446744073709551615, "flag": true, "country": "d\u00e9\n", "what": 2, "emb": [1e-300, null, 1e300],
  "extra": {"nested": [1, 2, {"x": "y"}]}})";
}  // namespace

TEST_CASE("kafka json: every field type, by name, in any order", "[kafka][json]") {
  kafka::json_decoder<decltype(fs)> decode;
  ev e{};
  std::string why;
  REQUIRE(decode(full, e, &why) == decode_status::ok);
  CHECK(e.user == 7);
  CHECK(e.ts == 1700000000000000);
  CHECK(same_bits(e.amount, -0.0));
  CHECK(e.ratio == 0.5f);
  CHECK(e.small == -128);
  CHECK(e.big == std::numeric_limits<std::uint64_t>::max());
  CHECK(e.flag);
  CHECK(e.country == "d\xc3\xa9\n");
  CHECK(e.what == json_test::kind::click);
  CHECK(same_bits(e.emb[0], 1e-300));
  CHECK(std::isnan(e.emb[1]));
  CHECK(same_bits(e.emb[2], 1e300));

  ev r{};
  REQUIRE(decode(R"({"emb":[0,0,0],"what":1,"country":"","flag":0,"big":0,"small":127,"ratio":1,"amount":"-Infinity",
                     "ts":-5,"user":-9})",
                 r) == decode_status::ok);
  CHECK(r.user == -9);
  CHECK(r.ts == -5);
  CHECK(r.amount == -std::numeric_limits<double>::infinity());
  CHECK(!r.flag);
}

TEST_CASE("kafka json: an absent or null float is a missing value, other fields must be there", "[kafka][json]") {
  kafka::json_decoder<decltype(fs)> decode;
  ev e{};
  REQUIRE(decode(R"({"user":1,"ts":2,"amount":null,"small":0,"big":0,"flag":false,"country":"x","what":1})", e) ==
          decode_status::ok);
  CHECK(std::isnan(e.amount));
  CHECK(std::isnan(e.ratio));
  CHECK((std::isnan(e.emb[0]) && std::isnan(e.emb[1]) && std::isnan(e.emb[2])));
  REQUIRE(decode(R"({"user":1,"ts":2,"amount":"NaN","small":0,"big":0,"flag":false,"country":"x","what":1,
                     "emb":null,"ratio":"Infinity"})",
                 e) == decode_status::ok);
  CHECK(std::isnan(e.amount));
  CHECK(e.ratio == std::numeric_limits<float>::infinity());
}

TEST_CASE("kafka json: numbers are the double nearest their text, to the bit", "[kafka][json]") {
  kafka::json_decoder<decltype(fs)> decode;
  std::mt19937_64 rng(2026);
  std::uniform_int_distribution<int> exponent(-340, 307);  // below 1e308: simdjson refuses overflow
  std::uniform_int_distribution<int> digits(1, 25);
  char text[96];
  for (int i = 0; i < 20000; ++i) {
    std::string number;
    if (i % 3 == 0) {  // an arbitrary double, in its shortest and in a 17-digit form
      double v = 0;
      do {
        v = std::bit_cast<double>(rng());
      } while (!std::isfinite(v));
      std::snprintf(text, sizeof(text), i % 2 ? "%.17g" : "%.25e", v);
      number = text;
    } else {  // a random decimal text: up to 25 digits and an exponent, halfway cases included
      const int n = digits(rng);
      if (rng() & 1) number += '-';
      number += static_cast<char>('1' + rng() % 9);
      if (n > 1) number += '.';
      for (int d = 1; d < n; ++d) number += static_cast<char>('0' + rng() % 10);
      if (i % 7 == 0 && n > 1) number += "5000000000000000000001";
      number += 'e' + std::to_string(exponent(rng));
    }
    const std::string msg =
        R"({"user":1,"ts":2,"small":0,"big":0,"flag":false,"country":"","what":1,"amount":)" + number + "}";
    ev e{};
    INFO(number);
    std::string why;
    REQUIRE(decode(msg, e, &why) == decode_status::ok);
    const double want = std::strtod(number.c_str(), nullptr);
    REQUIRE(same_bits(e.amount, want));
  }
}

TEST_CASE("kafka json: the time field in a declared unit, or RFC 3339", "[kafka][json]") {
  kafka::json_decoder<decltype(fs)> micros;
  kafka::json_decoder<decltype(fs)> nanos({.time_unit = arrow::time_unit::nanoseconds});
  kafka::json_decoder<decltype(fs)> seconds({.time_unit = arrow::time_unit::seconds});
  const auto msg = [](std::string ts) {
    return R"({"user":1,"small":0,"big":0,"flag":false,"country":"","what":1,"ts":)" + ts + "}";
  };
  ev e{};
  REQUIRE(nanos(msg("1700000000123456789"), e) == decode_status::ok);
  CHECK(e.ts == 1700000000123456);
  REQUIRE(nanos(msg("-1"), e) == decode_status::ok);
  CHECK(e.ts == -1);  // floored
  REQUIRE(seconds(msg("1700000000"), e) == decode_status::ok);
  CHECK(e.ts == 1700000000000000);
  REQUIRE(micros(msg(R"("2023-11-14T22:13:20.5Z")"), e) == decode_status::ok);
  CHECK(e.ts == 1700000000500000);
  REQUIRE(micros(msg(R"("2023-11-14T23:13:20.0000019+01:00")"), e) == decode_status::ok);
  CHECK(e.ts == 1700000000000001);
  // Nanoseconds given without a unit: refused as Arrow refuses them, with the fix.
  std::string why;
  CHECK(micros(msg("1700000000123456789"), e, &why) == decode_status::out_of_range);
  CHECK_THAT(why, Catch::Contains("field 'ts'") && Catch::Contains("Declare its unit"));
  CHECK(seconds(msg("9223372036854775807"), e) == decode_status::out_of_range);
  CHECK(micros(msg(R"("yesterday")"), e) == decode_status::wrong_type);
  CHECK(micros(msg("1.5"), e) == decode_status::wrong_type);

  kafka::json_decoder<decltype(tfs)> t;
  json_test::timed te{};
  REQUIRE(t(R"({"user":"u","at":"1970-01-01T00:00:01Z","x":1})", te) == decode_status::ok);
  CHECK(te.at == absl::FromUnixSeconds(1));
  REQUIRE(t(R"({"user":"u","at":-3,"x":1})", te) == decode_status::ok);
  CHECK(te.at == absl::FromUnixMicros(-3));
}

TEST_CASE("kafka json: refusals are counted by reason and leave the event as it was", "[kafka][json]") {
  kafka::json_decoder<decltype(fs)> decode({.max_bytes = 4096});
  const std::string base = R"("user":1,"ts":2,"small":0,"big":0,"flag":false,"country":"x","what":1)";
  struct refusal {
    std::string message;
    decode_status status;
    const char* says;
  };
  const refusal cases[] = {
      {"", decode_status::malformed, "not JSON"},
      {"{", decode_status::malformed, ""},
      {"[1,2]", decode_status::malformed, "not a JSON object"},
      {"{" + base + "} {}", decode_status::malformed, "not JSON"},
      {"{" + base + ",\"amount\":1e400}", decode_status::malformed, "not JSON"},
      {"{" + base + ",\"amount\":1,}", decode_status::malformed, ""},
      {"{" + base + ",\"amount\":01}", decode_status::malformed, ""},
      {"{" + base + ",\"amount\":NaN}", decode_status::malformed, ""},
      {R"({"user":1,"ts":2,"small":0,"big":0,"flag":false,"what":1})", decode_status::missing_field, "'country'"},
      {"{" + base + ",\"user\":2}", decode_status::duplicate, "'user': given twice"},
      {"{" + base + ",\"amount\":\"12\"}", decode_status::wrong_type, "'amount'"},
      {"{" + base + ",\"amount\":true}", decode_status::wrong_type, "not a number"},
      {R"({"user":"1","ts":2,"small":0,"big":0,"flag":false,"country":"x","what":1})", decode_status::wrong_type,
       "'user'"},
      {R"({"user":null,"ts":2,"small":0,"big":0,"flag":false,"country":"x","what":1})", decode_status::wrong_type,
       "null"},
      {R"({"user":1,"ts":2,"small":128,"big":0,"flag":false,"country":"x","what":1})", decode_status::out_of_range,
       "'small'"},
      {R"({"user":1,"ts":2,"small":0,"big":-1,"flag":false,"country":"x","what":1})", decode_status::out_of_range,
       "'big'"},
      {R"({"user":9223372036854775808,"ts":2,"small":0,"big":0,"flag":false,"country":"x","what":1})",
       decode_status::out_of_range, "'user'"},
      {R"({"user":1,"ts":2,"small":0,"big":0,"flag":2,"country":"x","what":1})", decode_status::out_of_range, "'flag'"},
      {R"({"user":1,"ts":2,"small":0,"big":0,"flag":false,"country":5,"what":1})", decode_status::wrong_type,
       "not a string"},
      {R"({"user":1,"ts":2,"small":0,"big":0,"flag":false,"country":"x","what":70000})", decode_status::out_of_range,
       "'what'"},
      {"{" + base + ",\"emb\":[1,2]}", decode_status::wrong_type, "an array of 2, not 3"},
      {"{" + base + ",\"emb\":[1,2,3,4]}", decode_status::wrong_type, "longer than 3"},
      {"{" + base + ",\"emb\":[1,\"x\",3]}", decode_status::wrong_type, "'emb'"},
      {"{" + base + ",\"emb\":5}", decode_status::wrong_type, "not an array"},
      {"{" + base + ",\"pad\":\"" + std::string(5000, 'x') + "\"}", decode_status::too_large, "over the limit"},
  };
  ev before{};
  REQUIRE(decode(full, before) == decode_status::ok);
  for (const refusal& c : cases) {
    INFO(c.message.substr(0, 200));
    ev e = before;
    std::string why;
    CHECK(decode(c.message, e, &why) == c.status);
    CHECK_THAT(why, Catch::Contains(c.says));
    CHECK(e.user == before.user);
    CHECK(e.country == before.country);
    CHECK(same_bits(e.amount, before.amount));
    CHECK(e.small == before.small);
  }
  // The decoder is reusable after any refusal.
  ev e{};
  CHECK(decode(full, e) == decode_status::ok);
  CHECK(kafka::name_of(decode_status::duplicate) == "duplicate_field");
}
