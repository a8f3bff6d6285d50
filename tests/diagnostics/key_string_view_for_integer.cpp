#include "common.hpp"

#include <skewless/online/evaluator.hpp>

#include <string_view>

constexpr auto features = skewless::define_features<diag::payment, "user", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));

bool read() {
  skewless::online::evaluator online(features);
  skewless::feature_vector<decltype(features)> v;
#ifdef SKEWLESS_DIAG_FAIL
  const std::string_view user = "42";
#else
  const std::int64_t user = 42;
#endif
  return online.features(user, 10, v).ok();
}
