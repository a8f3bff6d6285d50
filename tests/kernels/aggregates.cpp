// Tests for skewless/kernels/aggregates.hpp: each aggregate's finalize and which events
// enter a window.
#include <skewless/expr/dsl.hpp>
#include <skewless/kernels/aggregates.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

namespace agg_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace agg_test
BOOST_HANA_ADAPT_STRUCT(agg_test::ev, k, ts, x);

using namespace skewless;
using agg_test::ev;
using skewless_test::same_bits;

namespace {
template <class Kind> double finalize(const window_parts& p, std::int64_t t = 0) {
  return aggregate_kernel<Kind>::finalize(p, t);
}
}  // namespace

TEST_CASE("aggregates: empty windows", "[kernels][aggregates]") {
  const exact_sum zero;
  window_parts p;
  p.sum = &zero;
  CHECK(finalize<agg::count>(p) == 0.0);
  CHECK(same_bits(finalize<agg::sum>(p), 0.0));
  for (double v :
       {finalize<agg::mean>(p), finalize<agg::min>(p), finalize<agg::max>(p), finalize<agg::first>(p),
        finalize<agg::last>(p), finalize<agg::time_since_first>(p, 5), finalize<agg::time_since_last>(p, 5)}) {
    CHECK(std::isnan(v));
  }
}

TEST_CASE("aggregates: folding parts is order-free", "[kernels][aggregates]") {
  const timed_value entries[] = {{5, 1.0}, {3, -0.0}, {5, -2.0}, {3, 0.0}, {9, 7.0}, {9, 7.0}};
  constexpr unsigned all = part::count | part::min | part::max | part::first | part::last;
  window_parts forward, backward;
  for (const auto& e : entries) fold_parts<all>(forward, e);
  for (int i = 5; i >= 0; --i) fold_parts<all>(backward, entries[i]);
  CHECK(forward.count == 6);
  CHECK(backward.count == 6);
  CHECK(same_bits(*forward.min, -2.0));
  CHECK(same_bits(*forward.max, 7.0));
  CHECK(*forward.first == timed_value{3, -0.0});  // ties on time: least value first
  CHECK(*backward.first == *forward.first);
  CHECK(*forward.last == timed_value{9, 7.0});
  CHECK(finalize<agg::time_since_first>(forward, 1'000'003) == 1.0);
  CHECK(finalize<agg::time_since_last>(forward, 2'000'009) == 2.0);
}

TEST_CASE("aggregates: entry_value applies where() and missing values", "[kernels][aggregates]") {
  using namespace std::chrono_literals;
  constexpr auto x = field<ev, "x">;
  constexpr double missing = std::numeric_limits<double>::quiet_NaN();
  const auto s = sum(x * 2, sliding(1s)).where(x > 1);
  CHECK(entry_value(s, ev{1, 0, 3.0}) == 6.0);
  CHECK_FALSE(entry_value(s, ev{1, 0, 1.0}));
  CHECK_FALSE(entry_value(s, ev{1, 0, missing}));  // condition missing: not kept
  const auto n = count(sliding(1s));
  CHECK(entry_value(n, ev{1, 0, missing}) == 0.0);  // count() takes every event
  const auto nx = count(x, sliding(1s));
  CHECK_FALSE(entry_value(nx, ev{1, 0, missing}));  // count(x) only non-missing x
  const auto both = count(sliding(1s)).where(x > 0).where(x < 10);
  CHECK(entry_value(both, ev{1, 0, 5.0}));
  CHECK_FALSE(entry_value(both, ev{1, 0, 50.0}));
}
