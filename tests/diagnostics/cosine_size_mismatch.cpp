#include "common.hpp"

#include <array>

namespace diag {
struct impression {
  std::int64_t user;
  std::int64_t ts;
  std::array<float, 4> item;
  std::array<float, 4> profile;
  std::array<float, 8> wide;
};
}  // namespace diag
BOOST_HANA_ADAPT_STRUCT(diag::impression, user, ts, item, profile, wide);

constexpr auto item = skewless::field<diag::impression, "item">;
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::cosine(item, skewless::field<diag::impression, "wide">);
#else
constexpr auto f = skewless::cosine(item, skewless::field<diag::impression, "profile">);
#endif
