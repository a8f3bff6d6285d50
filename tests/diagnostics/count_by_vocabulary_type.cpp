#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::count_by(merchant, skewless::vocabulary<1, 2>, skewless::sliding(1h));
#else
constexpr auto f = skewless::count_by(merchant, skewless::vocabulary<"1", "2">, skewless::sliding(1h));
#endif
