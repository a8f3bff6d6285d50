#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::most_frequent(kind, skewless::sliding(1h)) == diag::kind_t::click;
#else
constexpr auto f =
    skewless::most_frequent(kind, skewless::sliding(1h)) == skewless::category_value(diag::kind_t::click);
#endif
