#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::sum(skewless::field<diag::payment, "amuont">, skewless::sliding(1h));
#else
constexpr auto f = skewless::sum(skewless::field<diag::payment, "amount">, skewless::sliding(1h));
#endif
