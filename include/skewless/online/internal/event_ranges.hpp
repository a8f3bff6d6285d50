// skewless/online/internal/event_ranges.hpp — batched ingest from any range of events.
//
// Internal to online/. The evaluators ingest a contiguous batch (std::span) in place;
// any other input range of events — a range-v3 or standard view such as a filter, a
// concatenation of two logs, or a transform from the producer's records into the event
// struct — is taken a chunk at a time (range-v3's views::chunk, which GCC 12's
// std::ranges lacks) into one reused buffer, so a generated sequence is never
// materialised whole. Chunking changes no outcome: events are applied in range order.
#pragma once

#include <range/v3/view/chunk.hpp>

#include <cstddef>
#include <iterator>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::online::online_internal {

// Events per chunk of a range that is not contiguous.
inline constexpr std::size_t ingest_chunk_events = 4096;

// A range ingest(span) takes without a copy.
template <class R, class Event>
concept event_span = std::is_convertible_v<R, std::span<const Event>>;

// Any other input range whose elements convert to the event struct.
template <class R, class Event>
concept event_range = std::ranges::input_range<R> && !event_span<R, Event> &&
                      std::is_convertible_v<std::ranges::range_reference_t<R>, const Event&>;

// Calls apply(std::span<const Event>) for consecutive chunks of `events`, in order, and
// returns the sum of what it returns (ingest_counters).
template <class Event, class R, class Apply> auto ingest_chunks(R&& events, Apply&& apply) {
  decltype(apply(std::span<const Event>())) total{};
  std::vector<Event> buffer;
  buffer.reserve(ingest_chunk_events);
  // Piped as an lvalue: range-v3 takes any lvalue range by reference, standard views too.
  for (auto&& chunk : events | ranges::views::chunk(static_cast<std::ptrdiff_t>(ingest_chunk_events))) {
    buffer.clear();
    for (auto&& e : chunk) buffer.push_back(static_cast<const Event&>(e));
    total += apply(std::span<const Event>(buffer));
  }
  return total;
}

}  // namespace skewless::inline v1::online::online_internal
