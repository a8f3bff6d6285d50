// Tests for skewless/serial/categories.hpp: category codes in a training set map back
// to the strings of the events, through JSON too.
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/serial/catalog.hpp>
#include <skewless/serial/categories.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace categories_test {
struct ev {
  std::int64_t user;
  std::int64_t ts;
  std::string merchant;
  std::string city;
  std::int32_t mcc;
};
}  // namespace categories_test
BOOST_HANA_ADAPT_STRUCT(categories_test::ev, user, ts, merchant, city, mcc);

using namespace skewless;
using categories_test::ev;

namespace {
constexpr auto merchant = field<ev, "merchant">;
constexpr auto city = field<ev, "city">;
constexpr auto mcc = field<ev, "mcc">;
constexpr auto features =
    define_features<ev, "user", "ts">(feature<"top_merchant">(most_frequent(merchant, lifetime())),
                                      feature<"top_cities">(top_k_frequency<2>(city, lifetime())),
                                      feature<"top_mcc">(most_frequent(mcc, lifetime())),  // numbers, not codes
                                      feature<"n_merchants">(distinct_count(merchant, lifetime())),  // a count
                                      feature<"is_acme">(most_frequent(merchant, lifetime()) == category_code("acme")));
}  // namespace

TEST_CASE("categories: the features whose columns hold codes of a string field", "[serial][categories]") {
  const auto& f = features.features;
  CHECK(serial::category_codes_field_of(std::get<0>(f).expr) == "merchant");
  CHECK(serial::category_codes_field_of(std::get<1>(f).expr) == "city");
  CHECK(serial::category_codes_field_of(std::get<2>(f).expr).empty());
  CHECK(serial::category_codes_field_of(std::get<3>(f).expr).empty());
  CHECK(serial::category_codes_field_of(std::get<4>(f).expr).empty());
  const serial::catalog c = serial::make_catalog(features);
  CHECK(c.features[0].category_codes_of == "merchant");
  CHECK(c.features[1].category_codes_of == "city");
  CHECK(c.features[2].category_codes_of.empty());
}

TEST_CASE("categories: codes in a training set map back to strings", "[serial][categories]") {
  const std::vector<ev> events = {{1, 0, "acme", "Oslo", 5411}, {1, 1, "acme", "Bergen", 5411},
                                  {1, 2, "bolt", "Oslo", 4121}, {2, 0, "corner shop", "Lima", 5411},
                                  {2, 1, "bolt", "Lima", 4121}, {2, 2, "corner shop", "Cusco", 5812}};
  const std::vector<spine_row<std::int64_t>> spine = {{1, 10}, {2, 10}, {3, 10}};
  const auto training = batch::evaluate(features, events, spine);
  const serial::category_dictionary dict = serial::collect_categories(features, events);
  CHECK(dict.size() == 7);  // acme, bolt, corner shop; Oslo, Bergen, Lima, Cusco
  CHECK(dict.collisions() == 0);
  CHECK(dict.find(training.values(0, 0)) == "acme");
  CHECK(dict.find(training.values(1, 0)) == "corner shop");
  CHECK(dict.find(training.values(0, 1)) == "Oslo");
  CHECK(dict.find(training.values(1, 1)) == "Lima");
  CHECK_FALSE(dict.find(training.values(2, 0)));  // NaN: an entity without events
  CHECK_FALSE(dict.find(0.5));
  CHECK_FALSE(dict.find(-1.0));
  CHECK_FALSE(dict.find(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(dict.find(category_code("never seen")));

  const std::string json = serial::categories_json(dict);
  CHECK_THAT(json, Catch::Contains("\"text\": \"corner shop\""));
  const auto back = serial::parse_categories_json(json);
  REQUIRE(back.ok());
  CHECK(back->size() == dict.size());
  CHECK(back->find(training.values(1, 0)) == "corner shop");
  CHECK(serial::categories_json(*back) == json);
  // An edited entry whose code is not its text's is refused.
  std::string edited = json;
  edited.replace(edited.find("corner shop"), 11, "corner_shop");
  CHECK(serial::parse_categories_json(edited).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(serial::parse_categories_json("not json").ok());
}
