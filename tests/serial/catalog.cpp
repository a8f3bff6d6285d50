// Tests for skewless/serial/catalog.hpp: the catalog names every feature with the text
// its fingerprint hashes, and reads back.
#include <skewless/expr/feature_set.hpp>
#include <skewless/serial/catalog.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <sstream>
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
  serial::catalog back;
  {
    std::istringstream in(json);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("skewless_catalog", back));
  }
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
