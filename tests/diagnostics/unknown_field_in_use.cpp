#include "common.hpp"

#include <skewless/batch/evaluate.hpp>
#include <skewless/online/evaluator.hpp>

#include <vector>

// A misspelled field in a feature set that is then trained and served: still one error.
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto spend = skewless::field<diag::payment, "amuont">;
#else
constexpr auto spend = skewless::field<diag::payment, "amount">;
#endif
constexpr auto features = skewless::define_features<diag::payment, "user", "ts">(
    skewless::feature<"spend_1h">(skewless::sum(spend, skewless::sliding(1h))),
    skewless::feature<"max_1d">(skewless::max(spend, skewless::sliding(24h))));

double use(const std::vector<diag::payment>& events) {
  const std::vector<skewless::spine_row<std::int64_t>> spine = {{1, 10}};
  const auto training = skewless::batch::evaluate(features, events, spine);
  skewless::online::evaluator online(features);
  for (const auto& e : events) (void)online.ingest(e);
  skewless::feature_vector<decltype(features)> v;
  (void)online.features(std::int64_t{1}, 10, v);
  return training.values(0, 0) + v[0];
}
