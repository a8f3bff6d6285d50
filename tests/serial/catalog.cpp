// Tests for skewless/serial/catalog.hpp: the catalog names every feature with the text
// its fingerprint hashes, and reads back.
#include <skewless/expr/feature_set.hpp>
#include <skewless/serial/catalog.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace catalog_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double x;
};
}  // namespace catalog_test
BOOST_HANA_ADAPT_STRUCT(catalog_test::ev, user, ts, x);

using namespace skewless;
using namespace std::chrono_literals;

TEST_CASE("catalog: JSON with fingerprint and canonical definitions", "[serial][catalog]") {
  constexpr auto x = field<catalog_test::ev, "x">;
  constexpr auto fs = define_features<catalog_test::ev, "user", "ts">(
                          feature<"sum_1h">(sum(x, sliding(1h))), feature<"n">(count(lifetime())),
                          feature<"q">(approx_quantile<0.5, 0.9>(x, lifetime())))
                          .with_allowed_lateness(30s);
  const std::string json = serial::catalog_json(fs);
  const auto parsed = serial::parse_catalog_json(json);
  REQUIRE(parsed.ok());
  const serial::catalog& back = *parsed;
  CHECK(back.fingerprint == absl::StrCat(absl::Hex(fs.fingerprint(), absl::kZeroPad16)));
  CHECK(back.format_version == format_version);
  CHECK(back.key.name == "user");
  CHECK(back.key.type == "string");
  CHECK(back.time.type == "i64_us");
  CHECK(back.allowed_lateness_us == 30'000'000);
  REQUIRE(back.features.size() == 3);
  CHECK(back.features[0].name == "sum_1h");
  CHECK(back.features[0].columns == std::vector<std::string>{"sum_1h"});
  CHECK(back.features[2].columns == std::vector<std::string>{"q[p50]", "q[p90]"});
  CHECK(back.features[0].definition == "sum(field(x:f64),sliding(3600000000us),where=all)");
  CHECK(fnv1a64(back.canonical_text) == fs.fingerprint());
}

TEST_CASE("catalog: JSON is escaped, read back exactly, and malformed JSON is refused", "[serial][catalog]") {
  serial::catalog c;
  c.library_version = "0.1.0";
  c.fingerprint = "00ff";
  c.key = {"user \"id\"", "string"};
  c.time = {"ts\\n", "i64_us"};
  c.allowed_lateness_us = -5;
  c.features.push_back({"caf\xc3\xa9\t\x01", "sum(...)", {"a[b]", "c"}, "merchant"});
  c.canonical_text = "line 1\nline 2\n";
  const std::string json = serial::catalog_json(c);
  const auto back = serial::parse_catalog_json(json);
  REQUIRE(back.ok());
  CHECK(back->key.name == c.key.name);
  CHECK(back->time.name == c.time.name);
  CHECK(back->allowed_lateness_us == -5);
  CHECK(back->features[0].name == c.features[0].name);
  CHECK(back->features[0].columns == c.features[0].columns);
  CHECK(back->canonical_text == c.canonical_text);
  CHECK(serial::catalog_json(*back) == json);
  for (const std::string& bad :
       {std::string(""), std::string("{"), json.substr(0, json.size() / 2), std::string("{\"skewless_catalog\": 1}"),
        std::string(200, '['), json + "x", std::string("{\"skewless_catalog\": {\"library_version\": 1.5}}")}) {
    const auto r = serial::parse_catalog_json(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  }
}
