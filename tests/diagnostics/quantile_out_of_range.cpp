#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::approx_quantile<0.5, 99.0>(amount, skewless::sliding(1h));
#else
constexpr auto f = skewless::approx_quantile<0.5, 0.99>(amount, skewless::sliding(1h));
#endif
