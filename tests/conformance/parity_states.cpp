// Parity laws for the aggregates with a state of their own — first_k, last_k,
// distinct_count, approx_distinct_count, most_frequent, top_k_frequency,
// approx_quantile, ewma, decayed_sum — and for count_by / sum_by over string and enum categories,
// enum fields compared with their enumerators and a one-value count_by in arithmetic,
// crossed with every window (plain and lagged sliding, tiled, last_n, lifetime).
// See harness.hpp.
#include <skewless/expr/feature_set.hpp>

#include "conformance/harness.hpp"

#include <boost/hana/adapt_struct.hpp>

#include <string>

namespace parity_st {
enum class channel : std::int8_t { web = 1, app = 2, pos = -3 };
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
  std::string brand;
  channel ch;
};
}  // namespace parity_st
BOOST_HANA_ADAPT_STRUCT(parity_st::ev, k, ts, x, brand, ch);

using namespace skewless;
using parity_st::channel;
using parity_st::ev;

namespace {

constexpr auto x = field<ev, "x">;
constexpr auto brand = field<ev, "brand">;
constexpr auto ch = field<ev, "ch">;

template <fixed_string P, class W> auto all_of(const W& w) {
  return std::make_tuple(
      feature<P + fixed_string("first3")>(first_k<3>(x, w)),
      feature<P + fixed_string("last2")>(last_k<2>(x, w).where(x > 0)),
      feature<P + fixed_string("distinct")>(distinct_count(x, w)),
      feature<P + fixed_string("distinct_brand")>(distinct_count(brand, w)),
      feature<P + fixed_string("hll")>(approx_distinct_count<6>(x, w)),
      feature<P + fixed_string("mode")>(most_frequent(x, w)),
      feature<P + fixed_string("top_brand")>(top_k_frequency<2>(brand, w)),
      feature<P + fixed_string("q")>(approx_quantile<0.0, 0.5, 0.9, 1.0>(x, w)),
      feature<P + fixed_string("ewma")>(ewma<std::chrono::microseconds(7)>(x, w)),
      feature<P + fixed_string("decayed")>(decayed_sum<std::chrono::microseconds(1)>(x, w).where(x > -1e300)),
      feature<P + fixed_string("decayed_n")>(decayed_sum<std::chrono::microseconds(40)>(1.0, w)),
      feature<P + fixed_string("by_brand")>(count_by(brand, vocabulary<"visa", "amex", "">, w)),
      feature<P + fixed_string("spend_by_ch")>(
          sum_by(x, ch, vocabulary<channel::web, channel::pos>, w).where(x < 1e200)),
      // An enum field filtered by its own enumerators, and a one-value count_by as a scalar.
      feature<P + fixed_string("not_web_x")>(sum(x, w).where(ch != channel::web)),
      feature<P + fixed_string("app_share")>(count_by(ch, vocabulary<channel::app>, w) /
                                             max(count(w).where(ch == channel::app || x > 0), 1.0)));
}

auto make_features(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  const auto [lagged, tiles, recent, plain] = skewless_test::make_random_windows(rng, shape);
  return std::apply(
             [](const auto&... f) { return define_features<ev, "k", "ts">(f...); },
             std::tuple_cat(
                 all_of<"lag_">(lagged), all_of<"tile_">(tiles), all_of<"last_">(recent), all_of<"s_">(plain),
                 all_of<"life_">(lifetime()),
                 std::make_tuple(feature<"q_fine">(approx_quantile<0.25, 0.75>(x, plain, relative_accuracy<0.0001>)))))
      .with_allowed_lateness(std::chrono::microseconds(shape.lateness));
}

ev make_event(std::mt19937_64& rng, int key, std::int64_t ts, const skewless_test::case_shape& s) {
  static const char* brands[] = {"visa", "amex", "", "jcb", "visa ", "VISA"};
  static const channel channels[] = {channel::web, channel::app, channel::pos};
  return {key, ts, skewless_test::random_value(rng, s.value_style), brands[rng() % 6], channels[rng() % 3]};
}

}  // namespace

TEST_CASE("conformance: first_k, last_k, distinct, sketches, frequencies, count_by on every window", "[conformance]") {
  skewless_test::run_parity_suite("states", skewless_test::base_seed() + 4242, 1000037, 1200, make_features, make_event,
                                  [](int k) { return std::int64_t{k}; });
}
