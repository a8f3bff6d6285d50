#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::last_k<3>(amount, skewless::last_n(5)) * 2;
#else
constexpr auto f = skewless::last(amount, skewless::last_n(5)) * 2;
#endif
