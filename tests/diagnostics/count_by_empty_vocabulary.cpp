#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::count_by(merchant, skewless::vocabulary<>, skewless::sliding(1h));
#else
constexpr auto f = skewless::count_by(merchant, skewless::vocabulary<"acme">, skewless::sliding(1h));
#endif
