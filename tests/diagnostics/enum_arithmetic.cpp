#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(kind * 2, skewless::sliding(1h));
#else
constexpr auto f = skewless::sum((kind == diag::kind_t::click) * 2, skewless::sliding(1h));
#endif
