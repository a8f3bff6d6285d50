#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::variance(merchant, skewless::sliding(1h));
#else
constexpr auto f = skewless::variance(amount, skewless::sliding(1h));
#endif
