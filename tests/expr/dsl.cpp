// Tests for skewless/expr/dsl.hpp and traits.hpp: the node types expressions build.
#include <skewless/expr/dsl.hpp>

#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
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

// ---- one positive case per DSL function: the node it builds, its kind, argument,
// window, filter, level and columns. (The must-not-compile cases are in
// tests/diagnostics/.) --------------------------------------------------------------

namespace dsl_test {
enum class tier : std::uint8_t { basic = 0, gold = 1 };
struct rich {
  std::int64_t k;
  std::int64_t ts;
  double x;
  std::int64_t ad;
  std::string shop;
  tier level;
  Eigen::Vector3d emb;
};
}  // namespace dsl_test
BOOST_HANA_ADAPT_STRUCT(dsl_test::rich, k, ts, x, ad, shop, level, emb);

namespace {
using dsl_test::rich;
using dsl_test::tier;
constexpr auto rx = field<rich, "x">;
constexpr auto rad = field<rich, "ad">;
constexpr auto rshop = field<rich, "shop">;
constexpr auto rlevel = field<rich, "level">;
constexpr auto remb = field<rich, "emb">;

template <class Expr> using node_of = std::remove_cvref_t<Expr>;
template <class Expr, class Kind, class Arg, class Window, class Pred = no_filter>
constexpr bool is_agg =
    std::is_same_v<node_of<Expr>, aggregate<Kind, Arg, Window, Pred>> && level_v<node_of<Expr>> == expr_level::feature;
using fx = field_ref<rich, "x">;
}  // namespace

TEST_CASE("dsl: windows carry their parameters in microseconds", "[expr][dsl]") {
  STATIC_REQUIRE(sliding(2h).width_us == 7'200'000'000 && sliding(2h).offset_us == 0);
  STATIC_REQUIRE(sliding(24h).ending(1h).offset_us == 3'600'000'000);
  STATIC_REQUIRE(tiled(24h, 1h).width_us == 86'400'000'000 && tiled(24h, 1h).hop_us == 3'600'000'000);
  STATIC_REQUIRE(last_n(5).n == 5);
  STATIC_REQUIRE(is_window_v<decltype(lifetime())> && is_window_v<decltype(last_n(3))>);
  STATIC_REQUIRE(!is_window_v<decltype(rx)>);
}

TEST_CASE("dsl: operators build binary and unary nodes of the row level", "[expr][dsl]") {
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx - 1)>, binary<op::sub, fx, literal>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx / rx)>, binary<op::div, fx, fx>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx <= 1)>, binary<op::le, fx, literal>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx >= 1)>, binary<op::ge, fx, literal>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx == 1)>, binary<op::eq, fx, literal>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx != 1)>, binary<op::ne, fx, literal>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(rx > 1 || rx < 0)>,
                                binary<op::logical_or, binary<op::gt, fx, literal>, binary<op::lt, fx, literal>>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(-rx)>, unary<op::negate, fx>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(!(rx > 0))>, unary<op::logical_not, binary<op::gt, fx, literal>>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(abs(rx))>, unary<op::abs, fx>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(log1p(rx))>, unary<op::log1p, fx>>);
  STATIC_REQUIRE(std::is_same_v<node_of<decltype(max(rx, 0))>, binary<op::max2, fx, literal>>);
  STATIC_REQUIRE(level_v<node_of<decltype(log1p(abs(rx) * 2))>> == expr_level::row);
  // Arithmetic of aggregates is a feature-level expression of one column.
  constexpr auto ratio = sum(rx, sliding(1h)) - 2 * count(sliding(1h));
  STATIC_REQUIRE(level_v<node_of<decltype(ratio)>> == expr_level::feature);
  STATIC_REQUIRE(feature_columns_v<decltype(ratio)> == 1);
  STATIC_REQUIRE(aggregate_count_v<decltype(ratio)> == 2);
}

TEST_CASE("dsl: the parts aggregates", "[expr][dsl]") {
  STATIC_REQUIRE(is_agg<decltype(count(sliding(1h))), agg::count, no_arg, sliding_window>);
  STATIC_REQUIRE(is_agg<decltype(count(rx, lifetime())), agg::count, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(sum(rx, tiled(2h, 1h))), agg::sum, fx, tiled_window>);
  STATIC_REQUIRE(is_agg<decltype(mean(rx, last_n(4))), agg::mean, fx, last_n_window>);
  STATIC_REQUIRE(is_agg<decltype(min(rx, sliding(1h))), agg::min, fx, sliding_window>);
  STATIC_REQUIRE(is_agg<decltype(max(rx, sliding(1h))), agg::max, fx, sliding_window>);
  STATIC_REQUIRE(is_agg<decltype(first(rx, lifetime())), agg::first, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(last(rx, lifetime())), agg::last, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(time_since_first(lifetime())), agg::time_since_first, no_arg, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(time_since_last(sliding(1h))), agg::time_since_last, no_arg, sliding_window>);
  STATIC_REQUIRE(is_agg<decltype(var_samp(rx, lifetime())), agg::var_samp, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(var_pop(rx, lifetime())), agg::var_pop, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(stddev_samp(rx, lifetime())), agg::stddev_samp, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(stddev_pop(rx, lifetime())), agg::stddev_pop, fx, lifetime_window>);
  STATIC_REQUIRE(is_agg<decltype(rate(1min, sliding(1h))), agg::rate, no_arg, sliding_window>);
  STATIC_REQUIRE(rate(1min, sliding(1h)).kind.per_us == 60'000'000);
  // The value may be any row expression; where() takes a row predicate.
  STATIC_REQUIRE(is_agg<decltype(sum(rx * 2, sliding(1h)).where(rx > 0)), agg::sum, binary<op::mul, fx, literal>,
                        sliding_window, binary<op::gt, fx, literal>>);
  STATIC_REQUIRE(feature_columns_v<decltype(sum(rx, sliding(1h)))> == 1);
}

TEST_CASE("dsl: aggregates with a state, sketches and several columns", "[expr][dsl]") {
  STATIC_REQUIRE(is_agg<decltype(first_k<3>(rx, lifetime())), agg::first_k<3>, fx, lifetime_window>);
  STATIC_REQUIRE(feature_columns_v<decltype(last_k<2>(rx, lifetime()))> == 2);
  STATIC_REQUIRE(is_agg<decltype(decayed_sum<1h>(rx, lifetime())), agg::decayed_sum<1h>, fx, lifetime_window>);
  STATIC_REQUIRE(agg::ewma<24h>::half_life_us == 86'400'000'000);
  STATIC_REQUIRE(std::is_same_v<kind_of_t<decltype(ewma<24h>(rx, lifetime()))>, agg::ewma<24h>>);
  STATIC_REQUIRE(std::is_same_v<kind_of_t<decltype(distinct_count(rad, sliding(1h)))>, agg::distinct_count>);
  STATIC_REQUIRE(
      std::is_same_v<kind_of_t<decltype(approx_distinct_count(rshop, lifetime()))>, agg::approx_distinct_count<12>>);
  STATIC_REQUIRE(kind_of_t<decltype(approx_distinct_count<10>(rad, lifetime()))>::precision == 10);
  STATIC_REQUIRE(std::is_same_v<kind_of_t<decltype(most_frequent(rshop, last_n(9)))>, agg::most_frequent>);
  STATIC_REQUIRE(feature_columns_v<decltype(top_k_frequency<4>(rad, lifetime()))> == 4);
  constexpr auto q = approx_quantile<0.5, 0.9, 0.99>(rx, tiled(24h, 1h));
  STATIC_REQUIRE(feature_columns_v<decltype(q)> == 3);
  STATIC_REQUIRE(kind_of_t<decltype(q)>::alpha == 0.01);
  STATIC_REQUIRE(kind_of_t<decltype(approx_quantile<0.5>(rx, lifetime(), relative_accuracy<0.005>))>::alpha == 0.005);
}

TEST_CASE("dsl: column groups per vocabulary value, vectors and cosine", "[expr][dsl]") {
  constexpr auto by_shop = count_by(rshop, vocabulary<"acme", "zeta">, sliding(24h));
  STATIC_REQUIRE(is_column_group<node_of<decltype(by_shop)>>::value);
  STATIC_REQUIRE(feature_columns_v<decltype(by_shop)> == 2);
  STATIC_REQUIRE(aggregate_count_v<decltype(by_shop)> == 2);
  constexpr auto spend = sum_by(rx, rlevel, vocabulary<tier::basic, tier::gold>, lifetime()).where(rx > 0);
  STATIC_REQUIRE(feature_columns_v<decltype(spend)> == 2);
  STATIC_REQUIRE(std::is_same_v<typename node_of<decltype(spend)>::names_type,
                                enum_vocabulary<dsl_test::tier, vocabulary_t<tier::basic, tier::gold>>>);
  // A vector field: sum and mean per component, one column each; cosine is one value.
  STATIC_REQUIRE(feature_columns_v<decltype(mean(remb, sliding(1h)))> == 3);
  STATIC_REQUIRE(aggregate_count_v<decltype(sum(remb, lifetime()))> == 3);
  constexpr auto drift = cosine(mean(remb, sliding(24h)), mean(remb, lifetime()));
  STATIC_REQUIRE(is_cosine<node_of<decltype(drift)>>::value);
  STATIC_REQUIRE(feature_columns_v<decltype(drift)> == 1);
  STATIC_REQUIRE(level_v<node_of<decltype(drift)>> == expr_level::feature);
}

TEST_CASE("dsl: feature<name> names an expression", "[expr][dsl]") {
  constexpr auto f = feature<"spend_1h">(sum(rx, sliding(1h)));
  STATIC_REQUIRE(is_named_feature<node_of<decltype(f)>>::value);
  STATIC_REQUIRE(decltype(f)::name.view() == "spend_1h");
  STATIC_REQUIRE(f.expr.window.width_us == 3'600'000'000);
}
