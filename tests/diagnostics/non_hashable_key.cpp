#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto fs = skewless::define_features<diag::payment, "score", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));
#else
constexpr auto fs = skewless::define_features<diag::payment, "merchant", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));
#endif
