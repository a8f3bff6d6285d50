#include "common.hpp"

#include <skewless/online/evaluator.hpp>

#include <string_view>

// A std::string key takes a std::string, a std::string_view or a const char*, not a number.
constexpr auto by_merchant = skewless::define_features<diag::payment, "merchant", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));

bool read() {
  skewless::online::evaluator online(by_merchant);
  skewless::feature_vector<decltype(by_merchant)> v;
#ifdef SKEWLESS_DIAG_FAIL
  return online.advance_to(42, 10).ok();
#else
  return online.advance_to(std::string_view("acme"), 10).ok() && online.features("acme", 10, v).ok();
#endif
}
