// skewless/kafka/partitioner.hpp — the partition a Kafka producer sends a key to.
//
//   std::int32_t p = skewless::kafka::partition_for(key_bytes, 12);
//
// A fleet of serving replicas can split the state by partition: each replica owns a
// fixed set of partitions, so it holds exactly the entities whose events land there,
// and a request for a key is routed to the replica owning partition_for(key).
//
// The function is the Java producer's default partitioner for a message with a key
// (org.apache.kafka.clients.producer.internals.BuiltInPartitioner: murmur2 of the key's
// bytes, its sign bit cleared, modulo the partition count), which librdkafka offers as
// `partitioner=murmur2_random` (and `murmur2`). librdkafka's own default,
// `consistent_random`, hashes with CRC32 instead: a librdkafka producer must set
// `partitioner=murmur2_random` for this routing to hold (docs/streaming.md). The bytes
// are the message key exactly as the producer serialized it: a string key's UTF-8
// bytes; an integer key, whatever its serializer wrote (Java's LongSerializer: eight
// bytes big-endian, big_endian_key below; kcat: its decimal text).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace skewless::inline v1::kafka {

// MurmurHash2, 32 bits, with the seed and the tail handling of Kafka's Utils.murmur2.
[[nodiscard]] constexpr std::uint32_t murmur2(std::string_view data) noexcept {
  constexpr std::uint32_t m = 0x5bd1e995u;
  constexpr int r = 24;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])); };
  const std::size_t n = data.size();
  std::uint32_t h = 0x9747b28cu ^ static_cast<std::uint32_t>(n);
  const std::size_t whole = n / 4 * 4;
  for (std::size_t i = 0; i < whole; i += 4) {
    std::uint32_t k = byte(i) | byte(i + 1) << 8 | byte(i + 2) << 16 | byte(i + 3) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (n % 4) {
    case 3: h ^= byte(whole + 2) << 16; [[fallthrough]];
    case 2: h ^= byte(whole + 1) << 8; [[fallthrough]];
    case 1:
      h ^= byte(whole);
      h *= m;
      break;
    default: break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// The partition of a keyed message among `partitions` (> 0); -1 when partitions <= 0.
[[nodiscard]] constexpr std::int32_t partition_for(std::string_view key, std::int32_t partitions) noexcept {
  if (partitions <= 0) return -1;
  return static_cast<std::int32_t>((murmur2(key) & 0x7fffffffu) % static_cast<std::uint32_t>(partitions));
}

// The eight bytes Java's LongSerializer writes for v (big-endian), to route an integer
// key sent that way: partition_for(big_endian_key(v).view(), n).
struct big_endian_key {
  std::array<char, 8> bytes{};
  constexpr explicit big_endian_key(std::int64_t v) noexcept {
    const auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((u >> (56 - 8 * i)) & 0xffu);
  }
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {bytes.data(), bytes.size()}; }
};

}  // namespace skewless::inline v1::kafka
