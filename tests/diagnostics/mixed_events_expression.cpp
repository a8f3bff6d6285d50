#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(amount * skewless::field<diag::click, "dwell">, skewless::sliding(1h));
#else
constexpr auto f = skewless::sum(amount * skewless::field<diag::payment, "score">, skewless::sliding(1h));
#endif
