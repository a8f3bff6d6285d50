// A consumer of an installed or vendored skewless: compiles a small feature set,
// evaluates it in batch and online, and checks that every row matches bit for bit.
// Built by each packaging route (find_package, add_subdirectory, pkg-config, Conan).
#include <skewless/skewless.hpp>

#include <bit>
#include <cmath>
#include <cstdio>
#include <vector>

struct click {
  std::int64_t user;
  std::int64_t ts_us;
  double dwell_s;
};
BOOST_HANA_ADAPT_STRUCT(click, user, ts_us, dwell_s);

using namespace std::chrono_literals;
constexpr auto dwell = skewless::field<click, "dwell_s">;
constexpr auto features = skewless::define_features<click, "user", "ts_us">(
    skewless::feature<"clicks_1m">(skewless::count(skewless::sliding(1min))),
    skewless::feature<"dwell_sum_1m">(skewless::sum(dwell, skewless::sliding(1min))),
    skewless::feature<"dwell_max">(skewless::max(dwell, skewless::lifetime())),
    skewless::feature<"secs_since_last">(skewless::time_since_last(skewless::lifetime())));

int main() {
  std::vector<click> events;
  for (std::int64_t i = 0; i < 2000; ++i) {
    events.push_back({i % 7, i * 250'000, static_cast<double>((i * 37) % 101) / 3.0});
  }
  const auto training = skewless::batch::evaluate(features, events);
  skewless::online::evaluator online(features);
  skewless::feature_vector<decltype(features)> v;
  std::size_t matched = 0;
  for (std::size_t r = 0; r < events.size(); ++r) {
    if (!online.features(events[r].user, events[r].ts_us, v).ok()) return 1;
    bool same = true;
    for (Eigen::Index c = 0; c < v.size(); ++c) {
      const double a = v[c], b = training.values(static_cast<Eigen::Index>(r), c);
      same = same &&
             ((std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b));
    }
    matched += same;
    if (online.ingest(events[r]) != skewless::online::ingest_outcome::accepted) return 1;
  }
  std::printf("skewless %d.%d.%d consumer: %zu of %zu rows match (fingerprint %016llx)\n", skewless::version.major,
              skewless::version.minor, skewless::version.patch, matched, events.size(),
              static_cast<unsigned long long>(features.fingerprint()));
  return matched == events.size() ? 0 : 1;
}
