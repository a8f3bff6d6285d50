#include "common.hpp"

#include <skewless/batch/evaluate.hpp>

#include <vector>

namespace diag {
struct narrow {
  std::int32_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace diag
BOOST_HANA_ADAPT_STRUCT(diag::narrow, user, ts, amount);

constexpr auto narrow_features = skewless::define_features<diag::narrow, "user", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));

double train(const std::vector<diag::narrow>& events) {
#ifdef SKEWLESS_DIAG_FAIL
  const std::vector<skewless::spine_row<std::int64_t>> spine = {{(std::int64_t{1} << 32) + 5, 10}};
#else
  const std::vector<skewless::spine_row<std::int16_t>> spine = {{5, 10}};
#endif
  return skewless::batch::evaluate(narrow_features, events, spine).values(0, 0);
}
