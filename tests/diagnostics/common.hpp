// tests/diagnostics/common.hpp — event structs shared by the must-not-compile cases.
// Each case compiles as written (the control); with SKEWLESS_DIAG_FAIL defined it
// contains one misuse and must fail with the message named in CMakeLists.txt.
#pragma once

#include <skewless/expr/feature_set.hpp>

#include <boost/hana/adapt_struct.hpp>

#include <cstdint>
#include <string>

namespace diag {
enum class kind_t : std::int32_t { view = 0, click = 1 };
enum class color_t : std::int32_t { red = 0 };
struct payment {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  std::string merchant;
  double score;
  kind_t kind;
};
struct click {
  std::int64_t user;
  std::int64_t ts;
  double dwell;
};
}  // namespace diag
BOOST_HANA_ADAPT_STRUCT(diag::payment, user, ts, amount, merchant, score, kind);
BOOST_HANA_ADAPT_STRUCT(diag::click, user, ts, dwell);

// Feature sets whose key is a 32-bit or an unsigned integer (the key-type cases).
namespace diag {
struct narrow {
  std::int32_t user;
  std::int64_t ts;
  double amount;
};
struct unsigned_key {
  std::uint64_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace diag
BOOST_HANA_ADAPT_STRUCT(diag::narrow, user, ts, amount);
BOOST_HANA_ADAPT_STRUCT(diag::unsigned_key, user, ts, amount);
inline constexpr auto narrow_features = skewless::define_features<diag::narrow, "user", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));
inline constexpr auto unsigned_features = skewless::define_features<diag::unsigned_key, "user", "ts">(
    skewless::feature<"n">(skewless::count(skewless::lifetime())));

using namespace std::chrono_literals;
inline constexpr auto amount = skewless::field<diag::payment, "amount">;
inline constexpr auto merchant = skewless::field<diag::payment, "merchant">;
inline constexpr auto kind = skewless::field<diag::payment, "kind">;
