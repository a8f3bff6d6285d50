#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto fs = skewless::define_features<diag::payment, "user", "ts">(
    skewless::feature<"spend">(skewless::sum(amount, skewless::sliding(1h))),
    skewless::feature<"spend">(skewless::sum(amount, skewless::sliding(24h))));
#else
constexpr auto fs = skewless::define_features<diag::payment, "user", "ts">(
    skewless::feature<"spend_1h">(skewless::sum(amount, skewless::sliding(1h))),
    skewless::feature<"spend_1d">(skewless::sum(amount, skewless::sliding(24h))));
#endif
