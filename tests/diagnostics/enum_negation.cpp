#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::count(skewless::sliding(1h)).where(!kind);
#else
constexpr auto f = skewless::count(skewless::sliding(1h)).where(!(kind == diag::kind_t::view));
#endif
