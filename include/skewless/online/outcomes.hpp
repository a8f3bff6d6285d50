// skewless/online/outcomes.hpp — what ingest and reads report: outcomes and counters.
//
// ingest_outcome (accepted, or the reason for a rejection), ingest_counters (events by
// outcome), removal_counters (entities erased, expired or evicted), read_info (whether
// a read found the entity) and memory_usage (bytes by part). Shared by the evaluator,
// the concurrent evaluator and whatever reports on them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace skewless::inline v1::online {

enum class ingest_outcome : std::uint8_t {
  accepted = 0,
  rejected_too_late = 1,           // older than newest - allowed_lateness
  rejected_time_out_of_range = 2,  // outside [min_time_us, max_time_us]
  // With a TTL only. Within the lateness, but before the start of its entity's current
  // life: applying it could join two lives the state has already told apart.
  rejected_before_life = 3,
  // With a TTL only. Of an entity without state, and older than the time the state was
  // advanced to less the lateness: the entity may have been evicted there, and its
  // forgotten life could have reached this event.
  rejected_behind_horizon = 4
};
inline constexpr std::size_t ingest_outcome_count = 5;

[[nodiscard]] constexpr std::string_view to_string(ingest_outcome o) noexcept {
  switch (o) {
    case ingest_outcome::accepted: return "accepted";
    case ingest_outcome::rejected_too_late: return "rejected_too_late";
    case ingest_outcome::rejected_time_out_of_range: return "rejected_time_out_of_range";
    case ingest_outcome::rejected_before_life: return "rejected_before_life";
    case ingest_outcome::rejected_behind_horizon: return "rejected_behind_horizon";
  }
  return "unknown";
}

// What a read before the allowed time adds to its error: the API that answers the past.
// Bindings in other languages replace it with their own (python/internal/convert.hpp).
inline constexpr char past_times_advice[] = "Use skewless::batch::evaluate for past times.";

// How many events ended each way.
struct ingest_counters {
  std::array<std::uint64_t, ingest_outcome_count> by_outcome{};
  [[nodiscard]] std::uint64_t accepted() const noexcept { return by_outcome[0]; }
  [[nodiscard]] std::uint64_t rejected(ingest_outcome o) const noexcept {
    return by_outcome[static_cast<std::size_t>(o)];
  }
  [[nodiscard]] std::uint64_t rejected() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 1; i < ingest_outcome_count; ++i) n += by_outcome[i];
    return n;
  }
  ingest_counters& operator+=(const ingest_counters& o) noexcept {
    for (std::size_t i = 0; i < ingest_outcome_count; ++i) by_outcome[i] += o.by_outcome[i];
    return *this;
  }
};

// Entities whose state went away other than by a snapshot restore: erased by key,
// expired (evicted by advance_to after their TTL) or evicted by the soft memory limit.
// Counted since the evaluator was made; not part of a snapshot.
struct removal_counters {
  std::uint64_t erased = 0;
  std::uint64_t expired = 0;
  std::uint64_t evicted_for_memory = 0;
  removal_counters& operator+=(const removal_counters& o) noexcept {
    erased += o.erased;
    expired += o.expired;
    evicted_for_memory += o.evicted_for_memory;
    return *this;
  }
};

// What a read found besides the values: whether the entity has state (some event of
// its key was accepted), and the time of its newest accepted event. An unknown entity
// reads the empty-window values, which an idle known entity can read too; this tells
// them apart.
struct read_info {
  bool known_entity = false;
  std::int64_t newest_event_us = std::numeric_limits<std::int64_t>::min();  // when known
};

// Memory held by an evaluator's state, by part (the allocator's own overhead aside).
struct memory_usage {
  std::size_t entities = 0;
  std::size_t table_bytes = 0;   // the hash table's slots and control bytes
  std::size_t entity_bytes = 0;  // per entity: its node (key and fixed-size state), long string keys
  std::size_t window_bytes = 0;  // per entity: window and held-entry buffers on the heap
  [[nodiscard]] std::size_t total_bytes() const noexcept { return table_bytes + entity_bytes + window_bytes; }
  memory_usage& operator+=(const memory_usage& o) noexcept {
    entities += o.entities;
    table_bytes += o.table_bytes;
    entity_bytes += o.entity_bytes;
    window_bytes += o.window_bytes;
    return *this;
  }
};

}  // namespace skewless::inline v1::online
