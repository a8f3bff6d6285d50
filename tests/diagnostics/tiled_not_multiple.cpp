#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(amount, skewless::tiled(24h, 7h));
#else
constexpr auto f = skewless::sum(amount, skewless::tiled(24h, 1h));
#endif
