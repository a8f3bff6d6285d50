#include "common.hpp"
// rate() needs a window with a length; lifetime() has none.
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::rate(1h, skewless::lifetime());
#else
constexpr auto f = skewless::rate(1h, skewless::sliding(24h));
#endif
