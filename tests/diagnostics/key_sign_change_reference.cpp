#include "common.hpp"

#include <skewless/reference/evaluate.hpp>

#include <vector>

namespace diag {
struct unsigned_key {
  std::uint64_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace diag
BOOST_HANA_ADAPT_STRUCT(diag::unsigned_key, user, ts, amount);

constexpr auto unsigned_features = skewless::define_features<diag::unsigned_key, "user", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));

double check(const std::vector<diag::unsigned_key>& events) {
#ifdef SKEWLESS_DIAG_FAIL
  const std::vector<skewless::spine_row<std::int64_t>> spine = {{-1, 10}};  // a negative key
#else
  const std::vector<skewless::spine_row<std::uint32_t>> spine = {{1, 10}};
#endif
  return skewless::reference::evaluate(unsigned_features, events, spine)(0, 0);
}
