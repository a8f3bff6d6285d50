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
    feature<"first">(first(x, w10)), feature<"last">(last(x, w10)), feature<"tsf">(time_since_first(w10)),
    feature<"tsl">(time_since_last(lifetime())), feature<"sum_life">(sum(x, lifetime())));
constexpr double missing = std::numeric_limits<double>::quiet_NaN();

std::vector<double> row(const feature_matrix& m, Eigen::Index r) {
  return {m.row(r).begin(), m.row(r).end()};
}
}  // namespace

TEST_CASE("reference: strict as-of rule and window bounds", "[reference]") {
  const std::vector<ev> events = {{1, 100, 1.0}, {1, 105, 2.0}, {1, 110, 4.0}, {2, 100, 8.0}};
  const std::vector<spine_row<std::int64_t>> spine = {{1, 100}, {1, 101}, {1, 110}, {1, 111},
                                                      {1, 115}, {1, 120}, {1, 121}, {3, 200}};
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
  const std::vector<ev> events = {{1, 100, missing}, {1, 100, 3.0}, {1, 100, -0.0}, {1, 100, 0.0}, {1, 101, missing}};
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

// An event time type that counts how often the evaluator reads a time: the reference
// indexes the events once, so a row does not rescan the input.
namespace ref_test {
struct counted_time {
  std::int64_t us;
};
inline long time_reads = 0;
struct counted_ev {
  std::int64_t k;
  counted_time ts;
  double x;
};
}  // namespace ref_test
template <> struct skewless::time_traits<ref_test::counted_time> {
  static constexpr std::string_view name = "counted_us";
  static std::int64_t to_micros(ref_test::counted_time t) noexcept {
    ++ref_test::time_reads;
    return t.us;
  }
};
BOOST_HANA_ADAPT_STRUCT(ref_test::counted_ev, k, ts, x);

TEST_CASE("reference: each event is read once, not once per row", "[reference]") {
  constexpr auto cx = field<ref_test::counted_ev, "x">;
  constexpr auto counted = define_features<ref_test::counted_ev, "k", "ts">(
      feature<"sum">(sum(cx, sliding_window{50})), feature<"n">(count(last_n(3))), feature<"max">(max(cx, lifetime())));
  std::vector<ref_test::counted_ev> events;
  std::vector<ev> plain;
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t k = i % 40, ts = (i * 7919) % 1000;
    const double v = static_cast<double>((i * 31) % 17) - 8.0;
    events.push_back({k, {ts}, v});
    plain.push_back({k, ts, v});
  }
  std::vector<spine_row<std::int64_t>> spine;
  for (int r = 0; r < 500; ++r) spine.push_back({r % 45, (r * 37) % 1100});
  ref_test::time_reads = 0;
  const auto m = reference::evaluate(counted, events, spine);
  CHECK(ref_test::time_reads == static_cast<long>(events.size()));  // was rows x aggregates x events
  // And the values are those of the same definition over int64 times.
  const auto same_def = define_features<ev, "k", "ts">(
      feature<"sum">(sum(x, sliding_window{50})), feature<"n">(count(last_n(3))), feature<"max">(max(x, lifetime())));
  const auto expect = reference::evaluate(same_def, plain, spine);
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) CHECK(same_bits(m(r, c), expect(r, c)));
  }
}

TEST_CASE("reference: last_n keeps the n greatest (ts, value) across equal times", "[reference]") {
  // Six events at one time, the cut inside them: the index must not cut by position.
  const std::vector<ev> events = {{1, 5, 4.0}, {1, 5, -1.0},  {1, 5, 9.0},    {1, 5, 2.0},
                                  {1, 5, 7.0}, {1, 3, 100.0}, {1, 6, missing}};
  const auto fs =
      define_features<ev, "k", "ts">(feature<"sum3">(sum(x, last_n(3))), feature<"min2">(min(x, last_n(2))));
  const std::vector<spine_row<std::int64_t>> spine = {{1, 6}, {1, 7}};
  const auto m = reference::evaluate(fs, events, spine);
  CHECK(m(0, 0) == 20.0);  // 4, 7, 9 at ts 5
  CHECK(m(0, 1) == 7.0);   // 7, 9
  CHECK(m(1, 0) == 16.0);  // the missing value at 6 takes a place: 7, 9
  CHECK(m(1, 1) == 9.0);   // missing at 6 and 9
}
