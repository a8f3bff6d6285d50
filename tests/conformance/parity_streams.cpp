// Parity laws for stream groups: many aggregates over several sliding windows (plain
// and lagged, drawn per case, often equal) that read one stream share one buffer online
// (skewless/online/stream_group.hpp). The feature set mixes value aggregates, count()
// and rate() (whose group then keeps the events with a missing value), a filter without
// constants (shared) and one with a constant (a group of its own), and min/max beside
// them (a queue of their own). See harness.hpp.
#include <skewless/expr/feature_set.hpp>

#include "conformance/harness.hpp"

#include <boost/hana/adapt_struct.hpp>

namespace parity_streams {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
  double y;
};
}  // namespace parity_streams
BOOST_HANA_ADAPT_STRUCT(parity_streams::ev, k, ts, x, y);

using namespace skewless;
using parity_streams::ev;

namespace {

constexpr auto x = field<ev, "x">;
constexpr auto y = field<ev, "y">;

sliding_window random_sliding(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  const std::int64_t width = 1 + static_cast<std::int64_t>(rng() % (2 * shape.ts_range));
  const std::int64_t lag = rng() % 2 == 0 ? 0 : static_cast<std::int64_t>(rng() % (shape.ts_range + 1));
  return sliding_window{width, lag};
}

auto make_features(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  // Windows are often equal, so that members ride on one another (stream_group.hpp).
  const sliding_window a = random_sliding(rng, shape);
  const sliding_window b = rng() % 2 == 0 ? a : random_sliding(rng, shape);
  const sliding_window c = rng() % 3 == 0 ? a : rng() % 2 == 0 ? b : random_sliding(rng, shape);
  const std::chrono::microseconds per(1 + static_cast<std::int64_t>(rng() % 10));
  return define_features<ev, "k", "ts">(
             // One stream (x, no filter), three windows, every kind of part.
             feature<"count_a">(count(a)), feature<"sum_a">(sum(x, a)), feature<"mean_b">(mean(x, b)),
             feature<"max_c">(max(x, c)), feature<"min_a">(min(x, a)), feature<"first_b">(first(x, b)),
             feature<"count_x_c">(count(x, c)), feature<"var_b">(var_samp(x, b)), feature<"tsf_c">(time_since_first(c)),
             feature<"rate_b">(rate(per, b)), feature<"max_a">(max(x, a)), feature<"sum_c">(sum(x, c)),
             // The stream (y, x > y): no constant, so shared.
             feature<"sum_y_gt">(sum(y, a).where(x > y)), feature<"count_gt">(count(b).where(x > y)),
             feature<"max_y_gt">(max(y, c).where(x > y)),
             // Counts alone: a stream of times.
             feature<"count_lt">(count(a).where(y < x)), feature<"rate_lt">(rate(per, c).where(y < x)),
             // A constant: its own group, through the same code.
             feature<"sum_pos">(sum(x, b).where(y > 0)), feature<"mean_pos">(mean(x, c).where(y > 0)))
      .with_allowed_lateness(std::chrono::microseconds(shape.lateness));
}

ev make_event(std::mt19937_64& rng, int key, std::int64_t ts, const skewless_test::case_shape& s) {
  return {key, ts, skewless_test::random_value(rng, s.value_style),
          skewless_test::random_value(rng, static_cast<int>(rng() % 4))};
}

using features_t =
    decltype(make_features(std::declval<std::mt19937_64&>(), std::declval<const skewless_test::case_shape&>()));
using plan = online::online_internal::stream_plan<decltype(std::declval<const features_t&>().aggregates())>;
// (x): 9 aggregates; (y, x > y): 2; (x < y, counts): 2; the constant filter: 1 + 1.
// min and max keep a monotonic queue instead (no group).
static_assert(plan::group_count == 5, "the stream plan changed: update this test");
static_assert(plan::group_of[0] == plan::group_of[11] && plan::group_of[0] == plan::group_of[9]);
static_assert(plan::group_of[12] == plan::group_of[13] && plan::group_of[12] != plan::group_of[0]);
static_assert(plan::group_of[17] != plan::group_of[18]);
static_assert(plan::group_of[3] == plan::none && plan::group_of[14] == plan::none);

}  // namespace

TEST_CASE("conformance: aggregates sharing a stream group", "[conformance]") {
  skewless_test::run_parity_suite("stream groups", skewless_test::base_seed(), 1000037, 3000, make_features, make_event,
                                  [](int k) { return std::int64_t{k}; });
}
