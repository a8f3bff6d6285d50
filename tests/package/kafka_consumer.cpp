// The optional skewless::kafka target as a consumer of the installed package uses it:
// route a key and decode one JSON message (tests/package/find_package).
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/kafka/partitioner.hpp>
#include <skewless/skewless.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace pkg {
struct click {
  std::int64_t user;
  std::int64_t ts;
  double price;
};
}  // namespace pkg
BOOST_HANA_ADAPT_STRUCT(pkg::click, user, ts, price);

int main() {
  constexpr auto fs = skewless::define_features<pkg::click, "user", "ts">(
      skewless::feature<"n">(skewless::count(skewless::lifetime())));
  skewless::kafka::json_decoder<decltype(fs)> decode;
  pkg::click c{};
  if (decode(R"({"user": 3, "ts": 10, "price": 2.5})", c) != skewless::kafka::decode_status::ok || c.price != 2.5) {
    std::puts("kafka_consumer: decoding failed");
    return 1;
  }
  if (skewless::kafka::partition_for("21", 1 << 30) != 0x05f2f8ec) {
    std::puts("kafka_consumer: partition_for differs");
    return 1;
  }
  std::puts("kafka_consumer: OK");
  return 0;
}
