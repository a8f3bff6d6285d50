// Parity laws for vector fields: per-dimension mean and sum of a fixed-size Eigen
// vector and of a std::array, cosine between two vector fields (aggregated), and
// cosine between two vector aggregates, on sliding, tiled, last_n and lifetime
// windows. See harness.hpp.
#include <skewless/expr/feature_set.hpp>

#include "conformance/harness.hpp"

#include <Eigen/Core>
#include <boost/hana/adapt_struct.hpp>

#include <array>

namespace parity_vec {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  Eigen::Vector3d emb;
  std::array<float, 3> query;
};
}  // namespace parity_vec
BOOST_HANA_ADAPT_STRUCT(parity_vec::ev, k, ts, emb, query);

using namespace skewless;
using parity_vec::ev;

namespace {

constexpr auto emb = field<ev, "emb">;
constexpr auto query = field<ev, "query">;

auto make_features(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  const auto [lagged, tiles, recent, plain] = skewless_test::make_random_windows(rng, shape);
  return define_features<ev, "k", "ts">(feature<"emb_mean">(mean(emb, plain)), feature<"query_sum">(sum(query, tiles)),
                                        feature<"emb_mean_life">(mean(emb, lifetime())),
                                        feature<"sim_mean">(mean(cosine(emb, query), recent)),
                                        feature<"sim_max">(max(cosine(emb, query), lagged)),
                                        feature<"drift">(cosine(mean(emb, tiles), mean(emb, lifetime()))),
                                        feature<"drift_recent">(cosine(mean(emb, recent), sum(query, plain)) * 2))
      .with_allowed_lateness(std::chrono::microseconds(shape.lateness));
}

ev make_event(std::mt19937_64& rng, int key, std::int64_t ts, const skewless_test::case_shape& s) {
  ev e{key, ts, {}, {}};
  for (int i = 0; i < 3; ++i) {
    e.emb[i] = skewless_test::random_value(rng, s.value_style);
    e.query[static_cast<std::size_t>(i)] = static_cast<float>(skewless_test::random_value(rng, 3));
  }
  return e;
}

}  // namespace

TEST_CASE("conformance: vector fields — per-dimension mean and sum, cosine", "[conformance]") {
  using FS = decltype(make_features(std::declval<std::mt19937_64&>(), {}));
  STATIC_REQUIRE(FS::size == 3 + 3 + 3 + 1 + 1 + 1 + 1);
  CHECK(FS::names()[0] == "emb_mean[0]");
  skewless_test::run_parity_suite("vectors", skewless_test::base_seed() + 9191, 1000039, 600, make_features, make_event,
                                  [](int k) { return std::int64_t{k}; });
}

TEST_CASE("cosine: known values", "[kernels][vectors]") {
  const ev e{1, 5, Eigen::Vector3d(1, 0, 0), {1.0f, 1.0f, 0.0f}};
  CHECK(eval_row(cosine(emb, query), e) == 1 / std::sqrt(2.0));
  const ev z{1, 5, Eigen::Vector3d(0, 0, 0), {1.0f, 1.0f, 0.0f}};
  CHECK(std::isnan(eval_row(cosine(emb, query), z)));
}
