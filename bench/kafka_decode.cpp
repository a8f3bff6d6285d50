// JSON decoding for the Kafka consumer, beside the evaluator's batched ingest of the
// same events and a hand-written simdjson decoder of the same messages (the baseline):
// how many events a second json_decoder turns into event structs, and what that costs
// next to ingesting them. 1M payments of 10,000 users, as a producer would send them:
// {"user":123,"ts":1700000000000000,"amount":12.5} (shortest round-trip doubles).
// Built where skewless::kafka is; prints events/s and ratios (best of 5).
#include "common.hpp"
#include "payments.hpp"

#include <skewless/kafka/binary_decoder.hpp>
#include <skewless/kafka/json_decoder.hpp>

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace {

template <class F> double best_seconds(F f, int reps = 5) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main() {
  const std::int64_t n = bench::size(1'000'000);
  const std::int64_t users = bench::size(10'000);
  const std::vector<bench::payment> events = bench::generate(users, n, 11);
  std::vector<std::string> messages;
  messages.reserve(events.size());
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += messages.emplace_back(bench::to_json(e)).size();

  std::vector<bench::payment> out(events.size());
  skewless::kafka::json_decoder<decltype(bench::features10)> decode;
  std::size_t refused = 0;
  const double t_decode = best_seconds([&] {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      refused += decode(messages[i], out[i]) != skewless::kafka::decode_status::ok;
    }
  });
  if (refused != 0 || !std::equal(out.begin(), out.end(), events.begin(), [](const auto& a, const auto& b) {
        return a.user == b.user && a.ts == b.ts &&
               std::bit_cast<std::uint64_t>(a.amount) == std::bit_cast<std::uint64_t>(b.amount);
      })) {
    std::puts("kafka_decode: decoded events differ from the produced ones");
    return 1;
  }

  // The baseline: the same three fields read by hand with simdjson's DOM parser.
  simdjson::dom::parser parser;
  std::vector<bench::payment> hand(events.size());
  const double t_hand = best_seconds([&] {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      simdjson::dom::element doc;
      if (parser.parse(messages[i].data(), messages[i].size()).get(doc)) continue;
      std::int64_t user = 0, ts = 0;
      double amount = 0;
      if (doc["user"].get_int64().get(user) || doc["ts"].get_int64().get(ts) || doc["amount"].get_double().get(amount))
        continue;
      hand[i] = {user, ts, amount};
    }
  });

  // The evaluator's own batched ingest of the same events (a fresh state each time).
  const double t_ingest = best_seconds(
      [&] {
        skewless::online::evaluator<decltype(bench::features10)> online(bench::features10);
        for (std::size_t i = 0; i < events.size(); i += 4096) {
          online.ingest(std::span(events).subspan(i, std::min<std::size_t>(4096, events.size() - i)));
        }
      },
      3);

  // The fixed binary layout (24 bytes: user, ts, amount), beside memcpy by hand.
  using binary = skewless::kafka::binary_decoder<decltype(bench::features10)>;
  std::vector<std::string> packed;
  packed.reserve(events.size());
  for (const auto& e : events) packed.push_back(binary::encode(e));
  binary decode_binary;
  std::vector<bench::payment> out_binary(events.size());
  const double t_binary = best_seconds([&] {
    for (std::size_t i = 0; i < packed.size(); ++i) {
      refused += decode_binary(packed[i], out_binary[i]) != skewless::kafka::decode_status::ok;
    }
  });
  std::vector<bench::payment> out_memcpy(events.size());
  const double t_memcpy = best_seconds([&] {
    for (std::size_t i = 0; i < packed.size(); ++i) {
      if (packed[i].size() != 24) continue;
      std::memcpy(&out_memcpy[i].user, packed[i].data(), 8);
      std::memcpy(&out_memcpy[i].ts, packed[i].data() + 8, 8);
      std::memcpy(&out_memcpy[i].amount, packed[i].data() + 16, 8);
    }
  });
  if (refused != 0 ||
      !std::equal(out_binary.begin(), out_binary.end(), events.begin(), [](const auto& a, const auto& b) {
        return a.user == b.user && a.ts == b.ts &&
               std::bit_cast<std::uint64_t>(a.amount) == std::bit_cast<std::uint64_t>(b.amount);
      })) {
    std::puts("kafka_decode: binary-decoded events differ from the produced ones");
    return 1;
  }

  const double m = static_cast<double>(events.size()) / 1e6;
  std::printf("%zu JSON messages (%.1f bytes each), %lld users, the 10-feature payments set\n", messages.size(),
              static_cast<double>(bytes) / static_cast<double>(messages.size()), static_cast<long long>(users));
  std::printf("json_decoder                      %7.2f M events/s  (%.0f ns/message)\n", m / t_decode,
              t_decode / m * 1e3);
  std::printf("hand-written simdjson (baseline)  %7.2f M events/s  json_decoder takes %.2fx its time\n", m / t_hand,
              t_decode / t_hand);
  std::printf("evaluator ingest, batches of 4096 %7.2f M events/s\n", m / t_ingest);
  std::printf("decode + ingest                   %7.2f M events/s  = %.0f%% of ingest alone\n",
              m / (t_decode + t_ingest), 100.0 * t_ingest / (t_decode + t_ingest));
  std::printf("binary_decoder (24 bytes)         %7.2f M events/s  (%.1f ns/message)\n", m / t_binary,
              t_binary / m * 1e3);
  std::printf("memcpy by hand (baseline)         %7.2f M events/s  binary_decoder takes %.2fx its time\n", m / t_memcpy,
              t_binary / t_memcpy);
  return 0;
}
