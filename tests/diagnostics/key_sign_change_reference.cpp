#include "common.hpp"

#include <skewless/reference/evaluate.hpp>

#include <vector>

double check(const std::vector<diag::unsigned_key>& events) {
#ifdef SKEWLESS_DIAG_FAIL
  const std::vector<skewless::spine_row<std::int64_t>> spine = {{-1, 10}};  // a negative key
#else
  const std::vector<skewless::spine_row<std::uint32_t>> spine = {{1, 10}};
#endif
  return skewless::reference::evaluate(unsigned_features, events, spine)(0, 0);
}
