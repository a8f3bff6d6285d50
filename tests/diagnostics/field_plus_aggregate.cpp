#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(amount, skewless::sliding(1h)) + amount;
#else
constexpr auto f = skewless::sum(amount, skewless::sliding(1h)) + 1.0;
#endif
