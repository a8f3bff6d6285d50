#include "common.hpp"

#include <skewless/online/evaluator.hpp>

// An int64 key looked up in an int32 key field would turn 2^32 + 5 into 5.
bool read() {
  skewless::online::evaluator online(narrow_features);
  skewless::feature_vector<decltype(narrow_features)> v;
#ifdef SKEWLESS_DIAG_FAIL
  const std::int64_t user = (std::int64_t{1} << 32) + 5;
#else
  const std::int32_t user = 5;  // or any narrower integer type
#endif
  return online.features(user, 10, v).ok();
}
