#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::count(skewless::sliding(1h)).where(kind != diag::color_t::red);
#else
constexpr auto f = skewless::count(skewless::sliding(1h)).where(kind != diag::kind_t::view);
#endif
