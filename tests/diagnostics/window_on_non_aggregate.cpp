#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = amount * skewless::sliding(1h);
#else
constexpr auto f = skewless::sum(amount, skewless::sliding(1h));
#endif
