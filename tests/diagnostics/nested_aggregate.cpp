#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::max(skewless::sum(amount, skewless::sliding(1h)), skewless::lifetime());
#else
constexpr auto f = skewless::max(amount, skewless::lifetime());
#endif
