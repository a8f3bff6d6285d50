#include "common.hpp"

#include <skewless/batch/evaluate.hpp>

#include <vector>

double train(const std::vector<diag::narrow>& events) {
#ifdef SKEWLESS_DIAG_FAIL
  const std::vector<skewless::spine_row<std::int64_t>> spine = {{(std::int64_t{1} << 32) + 5, 10}};
#else
  const std::vector<skewless::spine_row<std::int16_t>> spine = {{5, 10}};
#endif
  return skewless::batch::evaluate(narrow_features, events, spine).values(0, 0);
}
