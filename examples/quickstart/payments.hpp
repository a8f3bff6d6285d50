// examples/quickstart/payments.hpp — the event struct and feature definitions of the
// quickstart: card payments, features per user. Shared by the quickstart program and
// the package-consumer tests.
#pragma once

#include <skewless/skewless.hpp>

#include <cstdint>

namespace payments {

struct transaction {
  std::int64_t user_id;
  std::int64_t ts_us;  // microseconds since the Unix epoch
  double amount;       // NaN when the processor did not report it
  std::int32_t merchant_category;
  bool card_present;
};

}  // namespace payments

BOOST_HANA_ADAPT_STRUCT(payments::transaction, user_id, ts_us, amount, merchant_category, card_present);

namespace payments {

using namespace std::chrono_literals;
using skewless::feature;
using skewless::sliding;

inline constexpr auto amount = skewless::field<transaction, "amount">;
inline constexpr auto card_present = skewless::field<transaction, "card_present">;

inline constexpr auto features =
    skewless::define_features<transaction, "user_id", "ts_us">(
        feature<"spend_1h">(skewless::sum(amount, sliding(1h))),
        feature<"spend_1d">(skewless::sum(amount, sliding(24h))),
        feature<"spend_7d">(skewless::sum(amount, sliding(7 * 24h))), feature<"n_tx_1d">(skewless::count(sliding(24h))),
        feature<"avg_amount_7d">(skewless::mean(amount, sliding(7 * 24h))),
        feature<"max_amount_1d">(skewless::max(amount, sliding(24h))),
        feature<"secs_since_last_tx">(skewless::time_since_last(skewless::lifetime())),
        feature<"share_large_1d">(skewless::mean(amount > 500.0, sliding(24h))),
        feature<"n_card_absent_1h">(skewless::count(sliding(1h)).where(!card_present)),
        feature<"spend_1d_vs_7d_daily">(skewless::sum(amount, sliding(24h)) /
                                        skewless::max(skewless::sum(amount, sliding(7 * 24h)) / 7.0, 1.0)))
        .with_allowed_lateness(5min);

}  // namespace payments
