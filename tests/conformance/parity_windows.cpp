// Parity laws for the windows beyond sliding(W) and lifetime() — lagged sliding,
// tiled and last_n — crossed with every aggregate, and for variance, stddev and rate
// on every window. See harness.hpp.
#include <skewless/expr/feature_set.hpp>

#include "conformance/harness.hpp"

#include <boost/hana/adapt_struct.hpp>

namespace parity_win {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
  double y;
};
}  // namespace parity_win
BOOST_HANA_ADAPT_STRUCT(parity_win::ev, k, ts, x, y);

using namespace skewless;
using parity_win::ev;

namespace {

constexpr auto x = field<ev, "x">;
constexpr auto y = field<ev, "y">;

// Every aggregate over window w, with a filter on some of them.
template <fixed_string P, class W> auto all_of(const W& w) {
  return std::make_tuple(
      feature<P + fixed_string("count")>(count(w)), feature<P + fixed_string("count_x")>(count(x, w)),
      feature<P + fixed_string("sum")>(sum(x, w)), feature<P + fixed_string("mean")>(mean(x, w)),
      feature<P + fixed_string("min")>(min(x, w)), feature<P + fixed_string("max")>(max(x, w)),
      feature<P + fixed_string("first")>(first(x, w)), feature<P + fixed_string("last")>(last(x, w)),
      feature<P + fixed_string("tsf")>(time_since_first(w)),
      feature<P + fixed_string("tsl")>(time_since_last(w).where(y > 0)),
      feature<P + fixed_string("var_samp")>(var_samp(x, w)),
      feature<P + fixed_string("var_pop")>(var_pop(y, w).where(x > 0)),
      feature<P + fixed_string("stddev")>(stddev(x * y, w)), feature<P + fixed_string("stddev_pop")>(stddev_pop(x, w)),
      feature<P + fixed_string("max_f")>(max(y, w).where(x < 0.5)));
}

auto make_features(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  const auto [lagged, tiles, recent, plain] = skewless_test::make_random_windows(rng, shape);
  const std::chrono::microseconds per(1 + static_cast<std::int64_t>(rng() % 10));
  return std::apply([](const auto&... f) { return define_features<ev, "k", "ts">(f...); },
                    std::tuple_cat(
                        all_of<"lag_">(lagged), all_of<"tile_">(tiles), all_of<"last_">(recent),
                        std::make_tuple(feature<"var_s">(var_samp(x, plain)), feature<"var_l">(var_pop(x, lifetime())),
                                        feature<"sd_l">(stddev(y, lifetime())), feature<"rate_s">(rate(per, plain)),
                                        feature<"rate_t">(rate(per, tiles).where(x > 0)),
                                        feature<"rate_lag">(rate(per, lagged)),
                                        feature<"cv">(stddev(x, plain) / abs(mean(x, plain))))))
      .with_allowed_lateness(std::chrono::microseconds(shape.lateness));
}

ev make_event(std::mt19937_64& rng, int key, std::int64_t ts, const skewless_test::case_shape& s) {
  return {key, ts, skewless_test::random_value(rng, s.value_style),
          skewless_test::random_value(rng, static_cast<int>(rng() % 4))};
}

}  // namespace

TEST_CASE("conformance: lagged, tiled and last_n windows, variance and rate", "[conformance]") {
  skewless_test::run_parity_suite("windows", skewless_test::base_seed(), 1000033, 3000, make_features, make_event,
                                  [](int k) { return std::int64_t{k}; });
}
