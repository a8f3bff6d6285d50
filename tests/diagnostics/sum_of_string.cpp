#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(merchant, skewless::sliding(1h));
#else
constexpr auto f = skewless::count(merchant, skewless::sliding(1h));
#endif
