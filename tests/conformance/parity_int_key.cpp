// Parity laws for every aggregate x window, with integer keys. See harness.hpp.
#include <skewless/expr/feature_set.hpp>

#include "conformance/harness.hpp"

#include <boost/hana/adapt_struct.hpp>

namespace parity_int {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
  double y;
};
}  // namespace parity_int
BOOST_HANA_ADAPT_STRUCT(parity_int::ev, k, ts, x, y);

using namespace skewless;
using parity_int::ev;

namespace {

// Every aggregate on a sliding window and on lifetime(), plus filters and arithmetic on a
// second sliding window. Widths are drawn per case.
auto make_features(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  const sliding_window s1{1 + static_cast<std::int64_t>(rng() % shape.ts_range)};
  const sliding_window s2{1 + static_cast<std::int64_t>(rng() % (3 * shape.ts_range))};
  const lifetime_window lt{};
  constexpr auto x = field<ev, "x">;
  constexpr auto y = field<ev, "y">;
  return define_features<ev, "k", "ts">(
             feature<"count_s">(count(s1)), feature<"count_x_s">(count(x, s1)), feature<"sum_s">(sum(x, s1)),
             feature<"mean_s">(mean(x, s1)), feature<"min_s">(min(x, s1)), feature<"max_s">(max(x, s1)),
             feature<"first_s">(first(x, s1)), feature<"last_s">(last(x, s1)), feature<"tsf_s">(time_since_first(s1)),
             feature<"tsl_s">(time_since_last(s1)), feature<"count_l">(count(lt)), feature<"count_x_l">(count(x, lt)),
             feature<"sum_l">(sum(x, lt)), feature<"mean_l">(mean(x, lt)), feature<"min_l">(min(x, lt)),
             feature<"max_l">(max(x, lt)), feature<"first_l">(first(x, lt)), feature<"last_l">(last(x, lt)),
             feature<"tsf_l">(time_since_first(lt)), feature<"tsl_l">(time_since_last(lt)),
             feature<"sum_xy_pos">(sum(x * y, s2).where(y > 0)), feature<"max_not_neg">(max(x, s2).where(!(y < 0.5))),
             feature<"min_diff">(min(y - x, s2)), feature<"count_or">(count(s2).where(x > y || y > 2)),
             feature<"ratio">(mean(abs(x), s2) / max(count(x, s2), 1)), feature<"spread">(last(y, s2) - first(y, s2)),
             feature<"log_sum">(log1p(abs(sum(y, s2)))), feature<"tsl_big">(time_since_last(s2).where(y > 1)))
      .with_allowed_lateness(std::chrono::microseconds(shape.lateness));
}

ev make_event(std::mt19937_64& rng, int key, std::int64_t ts, const skewless_test::case_shape& s) {
  return {key, ts, skewless_test::random_value(rng, s.value_style),
          skewless_test::random_value(rng, static_cast<int>(rng() % 4))};
}

}  // namespace

TEST_CASE("conformance: batch == reference == online, integer keys", "[conformance]") {
  skewless_test::run_parity_suite("integer keys", skewless_test::base_seed(), 1000003, 6000, make_features, make_event,
                                  [](int k) { return std::int64_t{k}; });
}
