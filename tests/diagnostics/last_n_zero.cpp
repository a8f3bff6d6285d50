#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::mean(amount, skewless::last_n(0));
#else
constexpr auto f = skewless::mean(amount, skewless::last_n(10));
#endif
