// examples/risk_windows — bounded-memory and event-count windows for a fraud model.
//
// Card payments per user, with the windows a risk team asks for:
//   - 30-day spend and spend volatility on tiled(30d, 1h): memory per user is bounded
//     by 721 hourly tiles however busy the card is;
//   - the share of declines among the last 10 payments (last_n counts events, also the
//     ones the where() filters out);
//   - the 1-day payment rate lagged by 1 hour (sliding(24h).ending(1h)), for a label
//     pipeline whose data lands an hour late;
//   - the z-score of the newest amount against the 7-day mean and stddev;
//   - merchants: how many distinct in 7 days (exact) and 30 days (HyperLogLog), whether
//     the most frequent one in 30 days is "acme" (strings compare by category code);
//   - the median and 99th percentile amount over 30 days (DDSketch, 1% accuracy);
//   - the last 3 amounts, spend per channel (an enum, its columns named by enum_names)
//     in a day, the share of app payments in a day, a 1-day-half-life EWMA;
//   - the most frequent merchant in 30 days, decoded back to its name;
//   - device drift: cosine between the day's mean device embedding and the lifetime one.
// It replays the events into the online evaluator in arrival order (up to 5 minutes
// late), serves every user, builds the training set for the same (user, time) rows
// with the batch evaluator, and checks that they agree bit for bit.
//
//   risk_windows [--users N] [--events N] [--seed N]
#include <skewless/skewless.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace risk {
enum class channel : std::uint8_t { web = 0, app = 1, pos = 2 };
struct payment {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  bool declined;
  std::string merchant;
  channel via;
  std::array<float, 4> device;  // an embedding of the device fingerprint
};
}  // namespace risk
BOOST_HANA_ADAPT_STRUCT(risk::payment, user, ts, amount, declined, merchant, via, device);

// Column names for the channel enum: spend_1d_by[web], spend_1d_by[app].
template <> struct skewless::enum_names<risk::channel> {
  static constexpr std::string_view name(risk::channel c) noexcept {
    switch (c) {
      case risk::channel::web: return "web";
      case risk::channel::app: return "app";
      case risk::channel::pos: return "pos";
    }
    return {};
  }
};

namespace risk {
using namespace std::chrono_literals;
using namespace skewless;

inline constexpr auto amount = field<payment, "amount">;
inline constexpr auto declined = field<payment, "declined">;
inline constexpr auto merchant = field<payment, "merchant">;
inline constexpr auto via = field<payment, "via">;
inline constexpr auto device = field<payment, "device">;

inline constexpr auto features =
    define_features<payment, "user", "ts">(
        feature<"spend_30d">(sum(amount, tiled(30 * 24h, 1h))),
        feature<"stddev_amount_30d">(stddev(amount, tiled(30 * 24h, 1h))),
        feature<"decline_share_last10">(mean(declined, last_n(10))),
        feature<"declines_in_last10">(count(last_n(10)).where(declined)),
        feature<"payments_per_hour_1d_lagged">(rate(1h, sliding(24h).ending(1h))),
        feature<"amount_zscore_7d">((last(amount, lifetime()) - mean(amount, sliding(7 * 24h))) /
                                    stddev(amount, sliding(7 * 24h))),
        feature<"merchants_7d">(distinct_count(merchant, tiled(7 * 24h, 1h))),
        feature<"merchants_30d_approx">(approx_distinct_count(merchant, tiled(30 * 24h, 24h))),
        feature<"top_merchant_is_acme">(most_frequent(merchant, tiled(30 * 24h, 24h)) == category_code("acme")),
        feature<"amount_30d">(approx_quantile<0.5, 0.99>(amount, tiled(30 * 24h, 1h))),
        feature<"last_amounts">(last_k<3>(amount, last_n(20))),
        feature<"top_merchant_30d">(most_frequent(merchant, tiled(30 * 24h, 24h))),
        feature<"spend_1d_by">(sum_by(amount, via, vocabulary<channel::web, channel::app>, sliding(24h))),
        feature<"app_share_1d">(count(sliding(24h)).where(via == channel::app) / max(count(sliding(24h)), 1.0)),
        feature<"amount_ewma">(ewma<24h>(amount, lifetime())),
        feature<"device_drift">(cosine(mean(device, sliding(24h)), mean(device, lifetime()))))
        .with_allowed_lateness(5min);
}  // namespace risk

int main(int argc, char** argv) {
  long users = 500, n_events = 40'000;
  unsigned seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--users") users = std::atol(argv[i + 1]);
    else if (a == "--events") n_events = std::atol(argv[i + 1]);
    else if (a == "--seed") seed = static_cast<unsigned>(std::atol(argv[i + 1]));
  }
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> amount_dist(3.5, 1.0);
  const std::int64_t start = 1'700'000'000'000'000;        // Nov 2023, in microseconds
  const std::int64_t span = 60LL * 24 * 3600 * 1'000'000;  // 60 days
  std::vector<risk::payment> events;
  for (long i = 0; i < n_events; ++i) {
    const std::int64_t ts = start + static_cast<std::int64_t>(rng() % span);
    risk::payment p{static_cast<std::int64_t>(rng() % users),
                    ts,
                    rng() % 50 == 0 ? std::nan("") : amount_dist(rng),
                    rng() % 13 == 0,
                    rng() % 4 == 0 ? "acme" : "shop-" + std::to_string(rng() % 40),
                    static_cast<risk::channel>(rng() % 3),
                    {}};
    for (float& d : p.device) d = static_cast<float>(rng() % 1000) / 1000.0f;
    events.push_back(std::move(p));
  }
  // Arrival order: by time plus a delay of up to 5 minutes (within the allowed lateness).
  std::vector<std::pair<std::int64_t, std::size_t>> arrival;
  for (std::size_t i = 0; i < events.size(); ++i) {
    arrival.push_back({events[i].ts + static_cast<std::int64_t>(rng() % 300'000'000), i});
  }
  std::sort(arrival.begin(), arrival.end());

  skewless::online::evaluator online(risk::features);
  for (const auto& [when, i] : arrival) {
    if (online.ingest(events[i]) != skewless::online::ingest_outcome::accepted) {
      std::printf("FAILED: an event within the allowed lateness was rejected\n");
      return 1;
    }
  }
  // Serve every user at its newest event and an hour and a day after the data ends.
  std::vector<std::int64_t> newest(static_cast<std::size_t>(users), start);
  for (const auto& e : events)
    newest[static_cast<std::size_t>(e.user)] = std::max(newest[static_cast<std::size_t>(e.user)], e.ts);
  std::vector<skewless::spine_row<std::int64_t>> spine;
  std::vector<std::vector<double>> served;
  skewless::feature_vector<decltype(risk::features)> v;
  for (std::int64_t u = 0; u < users; ++u) {
    for (std::int64_t t : {newest[static_cast<std::size_t>(u)], start + span + std::int64_t{3'600'000'000},
                           start + span + std::int64_t{86'400'000'000}}) {
      if (!online.features(u, t, v).ok()) {
        std::printf("FAILED: online read refused\n");
        return 1;
      }
      spine.push_back({u, t});
      served.emplace_back(v.data(), v.data() + v.size());
    }
  }
  // The training set for the same (user, time) rows, from all the events.
  const auto training = skewless::batch::evaluate(risk::features, events, spine);
  long mismatches = 0;
  for (std::size_t r = 0; r < spine.size(); ++r) {
    for (Eigen::Index c = 0; c < training.values.cols(); ++c) {
      const double a = training.values(static_cast<Eigen::Index>(r), c), b = served[r][static_cast<std::size_t>(c)];
      if (!(std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) || (a != a && b != b))) ++mismatches;
    }
  }
  std::printf("%zu events, %zu served rows, %zu columns; fingerprint %016llx\n", events.size(), spine.size(),
              training.columns.size(), static_cast<unsigned long long>(risk::features.fingerprint()));
  std::printf("first row:");
  for (Eigen::Index c = 0; c < training.values.cols(); ++c) {
    std::printf(" %s=%.6g", std::string(training.columns[static_cast<std::size_t>(c)]).c_str(), training.values(0, c));
  }
  // Category codes back to strings, from the events the training set was built from.
  const auto merchants = skewless::serial::collect_categories(risk::features, events);
  const auto column = std::find(training.columns.begin(), training.columns.end(), "top_merchant_30d");
  const auto top = merchants.find(training.values(0, column - training.columns.begin()));
  std::printf("\nfirst row's top merchant: %s (%zu merchant names known)\n", top ? std::string(*top).c_str() : "none",
              merchants.size());
  skewless::online::read_info info;
  if (!online.features(users + 1, start + span, v, info).ok() || info.known_entity) {
    std::printf("FAILED: a user never seen must read as unknown\n");
    return 1;
  }
  std::printf("online state: %zu users, %zu heap bytes in windows\n", online.entity_count(), online.state_heap_bytes());
  if (mismatches != 0) {
    std::printf("FAILED: %ld served values differ from their training rows\n", mismatches);
    return 1;
  }
  std::printf("OK: training and serving agree on every row\n");
  return 0;
}
