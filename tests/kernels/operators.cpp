// Tests for skewless/kernels/operators.hpp: operator meaning and missing values.
#include <skewless/expr/dsl.hpp>
#include <skewless/kernels/operators.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace ops_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
  int n;
  bool flag;
  std::string s;
};
}  // namespace ops_test
BOOST_HANA_ADAPT_STRUCT(ops_test::ev, k, ts, x, n, flag, s);

using namespace skewless;
using ops_test::ev;
using skewless_test::same_bits;

TEST_CASE("operators: arithmetic and functions on fields", "[kernels][operators]") {
  constexpr auto x = field<ev, "x">;
  constexpr auto n = field<ev, "n">;
  constexpr auto flag = field<ev, "flag">;
  const ev e{1, 2, 1.5, 3, true, "a"};
  CHECK(eval_row(x * 2 + n, e) == 6.0);
  CHECK(eval_row(x / 0.0, e) == std::numeric_limits<double>::infinity());
  CHECK(eval_row(abs(-x), e) == 1.5);
  CHECK(eval_row(log1p(x - 1.5), e) == 0.0);
  CHECK(eval_row(flag + 1, e) == 2.0);
  CHECK(eval_row(min(x, n), e) == 1.5);
  CHECK(eval_row(max(x, n), e) == 3.0);
  CHECK(same_bits(eval_row(min(x * 0.0, -x * 0.0), e), -0.0));
}

TEST_CASE("operators: missing values follow SQL NULL", "[kernels][operators]") {
  constexpr auto x = field<ev, "x">;
  constexpr auto n = field<ev, "n">;
  const ev e{1, 2, std::numeric_limits<double>::quiet_NaN(), 0, false, ""};
  CHECK(std::isnan(eval_row(x + 1, e)));
  CHECK(std::isnan(eval_row(x > 1, e)));
  CHECK(std::isnan(eval_row(!(x > 1), e)));
  CHECK(eval_row((x > 1) && (n > 5), e) == 0.0);  // missing && false = false
  CHECK(eval_row((x > 1) || (n < 5), e) == 1.0);  // missing || true = true
  CHECK(std::isnan(eval_row((x > 1) && (n < 5), e)));
  CHECK(std::isnan(eval_row(max(x, n), e)));
  CHECK_FALSE(passes(x > 1, e));  // missing condition: the event is not kept
  CHECK_FALSE(passes(!(x > 1), e));
  CHECK(passes(n == 0, e));
  CHECK(passes(no_filter{}, e));
}

TEST_CASE("operators: feature-level expressions read aggregate slots", "[kernels][operators]") {
  using namespace std::chrono_literals;
  constexpr auto x = field<ev, "x">;
  constexpr auto f = sum(x, sliding(1h)) / max(count(sliding(1h)), 1) - abs(min(x, lifetime()));
  static_assert(aggregate_count_v<decltype(f)> == 3);
  const double slots[] = {10.0, 4.0, -3.0};
  CHECK(eval_feature<0>(f, slots) == 10.0 / 4.0 - 3.0);
  const double slots0[] = {0.0, 0.0, 1.0};
  CHECK(eval_feature<0>(f, slots0) == -1.0);  // max(count, 1) guards the division
}
