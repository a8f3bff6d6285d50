// Tests for skewless/kafka/partitioner.hpp: Kafka's murmur2 and the Java producer's
// default partition for a keyed message. The hashes are those Kafka's own tests give
// for Utils.murmur2 (as signed 32-bit integers); tests/kafka/broker.sh checks the
// partitions against a real broker fed by a murmur2 producer.
#include <skewless/kafka/partitioner.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

using skewless::kafka::big_endian_key;
using skewless::kafka::murmur2;
using skewless::kafka::partition_for;

namespace {
std::int32_t signed_hash(std::string_view s) {
  return static_cast<std::int32_t>(murmur2(s));
}
}  // namespace

TEST_CASE("kafka: murmur2 gives Kafka's Utils.murmur2 values", "[kafka]") {
  CHECK(signed_hash("21") == -973932308);
  CHECK(signed_hash("foobar") == -790332482);
  CHECK(signed_hash("a-little-bit-long-string") == -985981536);
  CHECK(signed_hash("a-little-bit-longer-string") == -1486304829);
  CHECK(signed_hash("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(signed_hash("abc") == 479470107);
  static_assert(murmur2("21") == static_cast<std::uint32_t>(-973932308), "usable at compile time");
}

TEST_CASE("kafka: partition_for is the positive hash modulo the partition count", "[kafka]") {
  for (const std::string_view key : {"21", "foobar", "abc", "", "user-42"}) {
    for (std::int32_t n : {1, 2, 3, 4, 7, 12, 1000}) {
      const std::int32_t p = partition_for(key, n);
      CHECK(p == static_cast<std::int32_t>((murmur2(key) & 0x7fffffffu) % static_cast<std::uint32_t>(n)));
      CHECK(p >= 0);
      CHECK(p < n);
    }
  }
  CHECK(partition_for("21", 0) == -1);
  CHECK(partition_for("21", -3) == -1);
  // Kafka's toPositive clears the sign bit; it does not negate: -973932308 & 0x7fffffff.
  CHECK(partition_for("21", 1 << 30) == static_cast<std::int32_t>((0xC5F2F8ECu & 0x7fffffffu) % (1u << 30)));
}

TEST_CASE("kafka: an integer key as Java's LongSerializer writes it", "[kafka]") {
  const big_endian_key k(0x0102030405060708);
  CHECK(k.view() == std::string_view("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  const big_endian_key minus_one(-1);
  CHECK(minus_one.view() == std::string(8, '\xff'));
  CHECK(partition_for(big_endian_key(42).view(), 12) == partition_for(std::string("\0\0\0\0\0\0\0\x2a", 8), 12));
}
