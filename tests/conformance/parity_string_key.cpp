// Parity laws with std::string keys and float/int fields. See harness.hpp.
#include <skewless/expr/feature_set.hpp>

#include "conformance/harness.hpp"

#include <boost/hana/adapt_struct.hpp>

#include <string>

namespace parity_str {
struct ev {
  std::string user;
  std::int64_t ts;
  double amount;
  float score;
  std::int32_t qty;
};
}  // namespace parity_str
BOOST_HANA_ADAPT_STRUCT(parity_str::ev, user, ts, amount, score, qty);

using namespace skewless;
using parity_str::ev;

namespace {

std::string key_name(int k) {
  return k == 0 ? std::string() : "user-" + std::to_string(k * 7919);
}

auto make_features(std::mt19937_64& rng, const skewless_test::case_shape& shape) {
  const sliding_window s1{1 + static_cast<std::int64_t>(rng() % (2 * shape.ts_range))};
  constexpr auto amount = field<ev, "amount">;
  constexpr auto score = field<ev, "score">;
  constexpr auto qty = field<ev, "qty">;
  return define_features<ev, "user", "ts">(
             feature<"spend">(sum(amount * qty, s1)), feature<"avg_score">(mean(score, s1)),
             feature<"max_amount">(max(amount, lifetime())), feature<"min_score">(min(score, s1)),
             feature<"n_big">(count(s1).where(amount > qty)), feature<"last_qty">(last(qty, lifetime())),
             feature<"first_amount">(first(amount, s1)), feature<"since_last">(time_since_last(s1)))
      .with_allowed_lateness(std::chrono::microseconds(shape.lateness));
}

ev make_event(std::mt19937_64& rng, int key, std::int64_t ts, const skewless_test::case_shape& s) {
  return {key_name(key), ts, skewless_test::random_value(rng, s.value_style),
          static_cast<float>(skewless_test::random_value(rng, 0)), static_cast<std::int32_t>(rng() % 11) - 5};
}

}  // namespace

TEST_CASE("conformance: batch == reference == online, string keys", "[conformance]") {
  skewless_test::run_parity_suite("string keys", skewless_test::base_seed() + 77, 1000003, 2000, make_features,
                                  make_event, key_name);
}
