// Tests for skewless/expr/dsl.hpp and traits.hpp: the node types expressions build.
#include <skewless/expr/dsl.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <type_traits>

namespace dsl_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
}  // namespace dsl_test
BOOST_HANA_ADAPT_STRUCT(dsl_test::ev, k, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using dsl_test::ev;

TEST_CASE("dsl: expressions build plain nodes", "[expr][dsl]") {
  constexpr auto x = field<ev, "x">;
  constexpr auto e = x * 2 + 1;
  STATIC_REQUIRE(std::is_same_v<std::remove_const_t<decltype(e)>,
                                binary<op::add, binary<op::mul, field_ref<ev, "x">, literal>, literal>>);
  STATIC_REQUIRE(e.lhs.rhs.value == 2.0);
  STATIC_REQUIRE(level_v<decltype(e)> == expr_level::row);
  constexpr auto a = sum(x, sliding(90s));
  STATIC_REQUIRE(a.window.width_us == 90'000'000);
  STATIC_REQUIRE(level_v<decltype(a)> == expr_level::feature);
  STATIC_REQUIRE(std::is_same_v<event_of_t<decltype(a)>, ev>);
  // min/max with a window are aggregates; with an expression, element-wise.
  STATIC_REQUIRE(is_aggregate_v<decltype(min(x, lifetime()))>);
  STATIC_REQUIRE(is_binary<decltype(min(x, 3))>::value);
  // where() twice is one predicate, the conjunction.
  constexpr auto w = count(lifetime()).where(x > 0).where(x < 9);
  STATIC_REQUIRE(std::is_same_v<typename aggregate_traits<std::remove_const_t<decltype(w)>>::pred,
                                binary<op::logical_and, binary<op::gt, field_ref<ev, "x">, literal>,
                                       binary<op::lt, field_ref<ev, "x">, literal>>>);
  // Aggregates of a feature expression, depth first.
  constexpr auto f = sum(x, sliding(1h)) / max(count(sliding(2h)), 1);
  STATIC_REQUIRE(aggregate_count_v<decltype(f)> == 2);
  STATIC_REQUIRE(std::get<1>(aggregates_of(f)).window.width_us == 7'200'000'000);
}
