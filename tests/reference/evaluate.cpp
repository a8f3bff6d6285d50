// Tests for skewless/reference/evaluate.hpp: the contract on small hand-checked cases.
#include <skewless/expr/feature_set.hpp>
#include <skewless/reference/evaluate.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace ref_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace ref_test
BOOST_HANA_ADAPT_STRUCT(ref_test::ev, k, ts, x);

using namespace skewless;
using ref_test::ev;
using skewless_test::same_bits;

namespace {
constexpr auto x = field<ev, "x">;
constexpr sliding_window w10{10};
const auto features = define_features<ev, "k", "ts">(
    feature<"count">(count(w10)), feature<"count_x">(count(x, w10)), feature<"sum">(sum(x, w10)),
    feature<"mean">(mean(x, w10)), feature<"min">(min(x, w10)), feature<"max">(max(x, w10)),
    feature<"first">(first(x, w10)), feature<"last">(last(x, w10)),
    feature<"tsf">(time_since_first(w10)), feature<"tsl">(time_since_last(lifetime())),
    feature<"sum_life">(sum(x, lifetime())));
constexpr double missing = std::numeric_limits<double>::quiet_NaN();

std::vector<double> row(const feature_matrix& m, Eigen::Index r) {
  return {m.row(r).begin(), m.row(r).end()};
}
}  // namespace

TEST_CASE("reference: strict as-of rule and window bounds", "[reference]") {
  const std::vector<ev> events = {{1, 100, 1.0}, {1, 105, 2.0}, {1, 110, 4.0}, {2, 100, 8.0}};
  const std::vector<spine_row<std::int64_t>> spine = {
      {1, 100}, {1, 101}, {1, 110}, {1, 111}, {1, 115}, {1, 120}, {1, 121}, {3, 200}};
  const auto m = reference::evaluate(features, events, spine);
  // T=100: nothing strictly before.
  CHECK(row(m, 0)[0] == 0.0);
  CHECK(same_bits(row(m, 0)[2], 0.0));
  CHECK(std::isnan(row(m, 0)[3]));
  // T=101: the event at 100.
  CHECK(row(m, 1)[0] == 1.0);
  CHECK(row(m, 1)[9] == 1e-6);  // seconds since the last event
  // T=110: 100 and 105; the event at 110 itself is excluded.
  CHECK(row(m, 2)[2] == 3.0);
  CHECK(row(m, 2)[7] == 2.0);
  // T=111: window [101, 111): 105 and 110.
  CHECK(row(m, 3)[0] == 2.0);
  CHECK(row(m, 3)[6] == 2.0);
  CHECK(row(m, 3)[8] == 6e-6);
  // T=115: window [105, 115): the event at 105 is included (T - W <= ts).
  CHECK(row(m, 4)[2] == 6.0);
  // T=120: window [110, 120): just 110.
  CHECK(row(m, 5)[3] == 4.0);
  // T=121: window [111, 121): empty; lifetime still sees all three.
  CHECK(row(m, 6)[0] == 0.0);
  CHECK(std::isnan(row(m, 6)[4]));
  CHECK(row(m, 6)[10] == 7.0);
  // Unknown entity: empty windows.
  CHECK(row(m, 7)[1] == 0.0);
  CHECK(std::isnan(row(m, 7)[9]));
}

TEST_CASE("reference: missing values and ties", "[reference]") {
  const std::vector<ev> events = {{1, 100, missing}, {1, 100, 3.0}, {1, 100, -0.0}, {1, 100, 0.0},
                                  {1, 101, missing}};
  const std::vector<spine_row<std::int64_t>> spine = {{1, 102}};
  const auto r = row(reference::evaluate(features, events, spine), 0);
  CHECK(r[0] == 5.0);  // count() counts events
  CHECK(r[1] == 3.0);  // count(x) counts non-missing x
  CHECK(r[2] == 3.0);
  CHECK(r[3] == 1.0);
  CHECK(same_bits(r[4], -0.0));  // min under totalOrder
  CHECK(r[5] == 3.0);
  CHECK(same_bits(r[6], -0.0));  // first: least (ts, value)
  CHECK(r[7] == 3.0);            // last: greatest (ts, value) among non-missing
  CHECK(r[8] == 2e-6);           // time since first *event* (count-like, no value)
}
