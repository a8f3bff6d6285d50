#include "common.hpp"
#ifdef SKEWLESS_DIAG_FAIL
constexpr auto f = skewless::feature<"amount">(amount * 2);
#else
constexpr auto f = skewless::feature<"amount">(skewless::last(amount * 2, skewless::lifetime()));
#endif
