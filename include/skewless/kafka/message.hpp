// skewless/kafka/message.hpp — a Kafka message as a decoder sees it, and what became of
// it (decode_status): light, with no librdkafka or JSON parser in it.
//
//   skewless::kafka::decode_status my_decoder(const skewless::kafka::message& m, my_event& out,
//                                             std::string* why);
//
// A decoder is any callable of that shape: it fills `out` from the message and returns
// ok, or returns why not (and may explain in *why). kafka::json_decoder is one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace skewless::inline v1::kafka {

// What became of a message: decoded (ok), refused by its decoder, or refused by the
// consumer because its event time is behind its partition's newest less the watermark
// delay (see kafka::stream). Counted per partition in the snapshot.
enum class decode_status : std::uint8_t {
  ok,
  too_large,
  malformed,
  missing_field,
  wrong_type,
  out_of_range,
  duplicate,
  behind_watermark
};
inline constexpr std::size_t decode_status_count = 8;

[[nodiscard]] constexpr std::string_view name_of(decode_status s) noexcept {
  switch (s) {
    case decode_status::ok: return "ok";
    case decode_status::too_large: return "too_large";
    case decode_status::malformed: return "malformed";
    case decode_status::missing_field: return "missing_field";
    case decode_status::wrong_type: return "wrong_type";
    case decode_status::out_of_range: return "out_of_range";
    case decode_status::duplicate: return "duplicate_field";
    case decode_status::behind_watermark: return "behind_watermark";
  }
  return "unknown";
}

struct message_header {
  std::string_view name;
  std::string_view value;
};

// One message, valid for the duration of the decoder's call.
struct message {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;                     // empty for a null key too
  std::string_view value;                   // empty for a null value (a tombstone) too
  std::int64_t timestamp_ms = -1;           // the message's timestamp (producer's or broker's), -1 if none
  std::span<const message_header> headers;  // only when the consumer is asked for them
};

}  // namespace skewless::inline v1::kafka
