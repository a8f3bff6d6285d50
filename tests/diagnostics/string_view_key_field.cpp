#include "common.hpp"

#include <string_view>

namespace diag {
struct viewed {
  std::string_view user;
  std::string name;
  std::int64_t ts;
};
}  // namespace diag
BOOST_HANA_ADAPT_STRUCT(diag::viewed, user, name, ts);

#ifdef SKEWLESS_DIAG_FAIL
constexpr auto fs = skewless::define_features<diag::viewed, "user", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));
#else
constexpr auto fs = skewless::define_features<diag::viewed, "name", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));
#endif
