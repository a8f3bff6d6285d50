#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(amount, skewless::sliding(1h).ending(-5min));
#else
constexpr auto f = skewless::sum(amount, skewless::sliding(1h).ending(5min));
#endif
