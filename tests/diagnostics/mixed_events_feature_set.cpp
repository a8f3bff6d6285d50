#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto fs = skewless::define_features<diag::payment, "user", "ts">(
    skewless::feature<"dwell">(skewless::mean(skewless::field<diag::click, "dwell">, skewless::sliding(1h))));
#else
constexpr auto fs = skewless::define_features<diag::click, "user", "ts">(
    skewless::feature<"dwell">(skewless::mean(skewless::field<diag::click, "dwell">, skewless::sliding(1h))));
#endif
