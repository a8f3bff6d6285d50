// skewless/kafka/stream.hpp — decoded batches of messages into an evaluator, with the
// stream positions and the watermark that make a restart exact. No librdkafka here:
// kafka::consumer feeds it from a broker, a test or a replay tool can feed it by hand.
//
//   skewless::kafka::stream s(online, positions, {{"payments", 0}, {"payments", 1}},
//                             {.watermark_delay = 5min});
//   skewless::kafka::decoded_batch<payment> b;
//   b.add(message, decoder);   // for each message read, in each partition's offset order
//   s.apply(b);                // ingest, count, advance positions and the watermark
//   s.snapshot_to("/var/lib/svc/state.snap");
//
// The rule that makes the state a function of the offsets read, whatever order the
// partitions' messages arrive in (each key's events in one partition, as a keyed
// producer sends them):
//
//   - A partition's newest event time is the newest accepted-range time decoded from
//     it. A message whose event time is more than watermark_delay behind its own
//     partition's newest is refused (behind_watermark): counted, quarantined, never
//     ingested. That depends on the partition's own messages only.
//   - The watermark is the minimum over the assigned partitions of their newest time,
//     less watermark_delay (none until every partition has an event). advance_to(the
//     watermark) runs every advance_every messages and before every snapshot. So every
//     ingested event is at or after every watermark applied before it, and no
//     rejected_behind_horizon can depend on another partition's progress; an eviction
//     depends only on the entity's newest time and the watermark.
//   - A snapshot holds the state, the positions (next offset, newest time and counts by
//     decode_status per partition) and the watermark applied: equal offsets read give
//     equal snapshot bytes (tests/kafka/stream.cpp checks random interleavings and cuts).
//
// A soft memory limit (set_memory_limit) evicts by total size, which depends on the
// interleaving: with one, a restart is still consistent but not byte-exact.
#pragma once

#include <skewless/kafka/message.hpp>
#include <skewless/kafka/positions.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/online/outcomes.hpp>
#include <skewless/serial/snapshot.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skewless::inline v1::kafka {

// A decoder of messages into Event: fills the event and returns ok, or returns why not.
template <class D, class Event>
concept message_decoder = std::invocable<D&, const message&, Event&, std::string*> &&
                          std::same_as<std::invoke_result_t<D&, const message&, Event&, std::string*>, decode_status>;

// A message refused by its decoder or by the watermark, as a quarantine callback gets it.
struct refused_message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::int64_t timestamp_ms = -1;
  decode_status status = decode_status::ok;
  std::string why;
};

// (topic, partition)
struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  friend bool operator==(const topic_partition&, const topic_partition&) = default;
};

// Messages decoded ahead of apply(): the events that decoded, in message order, and one
// entry per message. Built on one thread (the decoding one), applied on another.
template <class Event> class decoded_batch {
 public:
  struct entry {
    std::uint32_t slot;    // the index of its partition in the stream's assignment
    decode_status status;  // ok: the next of events()
    std::int64_t offset;
    std::int64_t event_us;  // ok only
  };

  void clear() noexcept {
    events_.clear();
    entries_.clear();
    refused_.clear();
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

  // Decodes `m`, read from the partition at `slot` of the stream's assignment. `time_of`
  // gives an event's time in microseconds (the feature set's FS::time_of).
  template <class Decoder, class TimeOf>
    requires message_decoder<Decoder, Event>
  void add(std::uint32_t slot, const message& m, Decoder& decode, TimeOf&& time_of) {
    if (events_.size() == events_.capacity()) events_.reserve(std::max<std::size_t>(64, 2 * events_.size()));
    events_.emplace_back();
    why_.clear();
    const decode_status s = decode(m, events_.back(), &why_);
    if (s == decode_status::ok) {
      entries_.push_back({slot, s, m.offset, time_of(events_.back())});
      return;
    }
    events_.pop_back();
    entries_.push_back({slot, s, m.offset, 0});
    refused_.push_back({std::string(m.topic), m.partition, m.offset, std::string(m.key), std::string(m.value),
                        m.timestamp_ms, s, why_});
  }

  [[nodiscard]] std::span<const entry> entries() const noexcept { return entries_; }
  [[nodiscard]] std::vector<Event>& events() noexcept { return events_; }
  [[nodiscard]] std::vector<refused_message>& refused() noexcept { return refused_; }

 private:
  std::vector<Event> events_;
  std::vector<entry> entries_;
  std::vector<refused_message> refused_;
  std::string why_;
};

struct stream_options {
  // How far behind its partition's newest event an event may be and still be ingested;
  // also how far the watermark trails the slowest partition. Negative (the default):
  // the feature set's allowed lateness, so the stream refuses nothing the evaluator
  // would accept from one partition.
  std::chrono::microseconds watermark_delay{-1};
  // advance_to(watermark) after this many messages (and before every snapshot). It
  // walks every entity, so not after every batch.
  std::uint64_t advance_every = 1u << 18;
};

// What one apply() did.
struct apply_result {
  std::uint64_t messages = 0;
  std::array<std::uint64_t, decode_status_count> by_status{};
  online::ingest_counters ingest;  // of the events handed to the evaluator
  bool advanced = false;           // advance_to ran
};

template <class Evaluator> class stream {
 public:
  using feature_set_type = std::remove_cvref_t<decltype(std::declval<const Evaluator&>().definition())>;
  using event_type = typename feature_set_type::event_type;
  using quarantine_fn = std::function<void(const refused_message&)>;

  // The evaluator and the positions must outlive the stream; `assigned` is the fixed
  // set of partitions read (each gets a position if the positions have none).
  stream(Evaluator& ev, stream_positions& positions, std::vector<topic_partition> assigned, stream_options opt = {})
      : ev_(&ev), positions_(&positions), assigned_(std::move(assigned)), opt_(opt) {
    for (const topic_partition& tp : assigned_) positions_->at(tp.topic, tp.partition);
  }

  void set_quarantine(quarantine_fn f) { quarantine_ = std::move(f); }

  [[nodiscard]] const std::vector<topic_partition>& assigned() const noexcept { return assigned_; }
  [[nodiscard]] const stream_positions& positions() const noexcept { return *positions_; }
  [[nodiscard]] const stream_options& options() const noexcept { return opt_; }
  [[nodiscard]] Evaluator& evaluator() const noexcept { return *ev_; }

  // The watermark delay in microseconds, in [0, 2^62].
  [[nodiscard]] std::int64_t delay_us() const noexcept {
    const std::int64_t d =
        opt_.watermark_delay.count() < 0 ? ev_->definition().allowed_lateness_us : opt_.watermark_delay.count();
    return std::min(d, max_time_us);
  }

  // The slot of (topic, partition) in the assignment, or -1.
  [[nodiscard]] std::int64_t slot_of(std::string_view topic, std::int32_t partition) const noexcept {
    for (std::size_t i = 0; i < assigned_.size(); ++i) {
      if (assigned_[i].partition == partition && assigned_[i].topic == topic) return static_cast<std::int64_t>(i);
    }
    return -1;
  }

  // Applies a batch: each partition's messages must come in offset order and start at
  // or after its position (a message below it was applied already and is skipped, so a
  // redelivery changes nothing). Events are ingested in the batch's order. The batch's
  // events are consumed (moved from).
  apply_result apply(decoded_batch<event_type>& batch) {
    apply_result r;
    std::vector<partition_position*> at;
    at.reserve(assigned_.size());
    for (const topic_partition& tp : assigned_) at.push_back(&positions_->at(tp.topic, tp.partition));
    const auto delay = static_cast<std::uint64_t>(delay_us());
    std::vector<event_type>& events = batch.events();
    std::size_t read = 0, kept = 0, refused_at = 0;
    for (const auto& e : batch.entries()) {
      partition_position& p = *at[e.slot];
      const bool is_event = e.status == decode_status::ok;
      const std::size_t event_index = is_event ? read++ : 0;
      if (e.offset < p.next_offset) {
        if (!is_event) ++refused_at;  // already applied: a redelivery
        continue;
      }
      decode_status s = e.status;
      if (is_event && in_time_range(e.event_us)) {
        if (p.newest_event_us != no_time && later_by_more_than(p.newest_event_us, e.event_us, delay)) {
          s = decode_status::behind_watermark;
        } else {
          p.newest_event_us = std::max(p.newest_event_us, e.event_us);
        }
      }
      p.next_offset = e.offset + 1;
      ++p.messages[static_cast<std::size_t>(s)];
      ++r.by_status[static_cast<std::size_t>(s)];
      ++r.messages;
      if (s == decode_status::ok) {
        if (kept != event_index) events[kept] = std::move(events[event_index]);
        ++kept;
      } else if (s == decode_status::behind_watermark) {
        if (quarantine_) quarantine_(behind(events[event_index], e));
      } else {
        if (quarantine_) quarantine_(batch.refused()[refused_at]);
        ++refused_at;
      }
    }
    r.ingest = ev_->ingest(std::span<const event_type>(events.data(), kept));
    since_advance_ += r.messages;
    if (since_advance_ >= opt_.advance_every) {
      since_advance_ = 0;
      r.advanced = advance();
    }
    return r;
  }

  // The watermark now: the minimum over the assigned partitions of their newest event
  // time, less the delay; no_time until each has one (or if that is before the
  // accepted range).
  [[nodiscard]] std::int64_t watermark_us() const {
    std::int64_t w = std::numeric_limits<std::int64_t>::max();
    for (const topic_partition& tp : assigned_) {
      const partition_position* p = positions_->find(tp.topic, tp.partition);
      if (p == nullptr || p->newest_event_us == no_time) return no_time;
      w = std::min(w, p->newest_event_us);
    }
    if (assigned_.empty()) return no_time;
    // Both in the accepted range (|t| <= 2^62, the delay capped there too): no overflow.
    const std::int64_t delay = delay_us();
    return w - delay < min_time_us ? no_time : w - delay;
  }

  // Applies the watermark (advance_to) if it moved; true if it ran.
  bool advance() {
    const std::int64_t w = watermark_us();
    if (w == no_time || w <= positions_->watermark_us()) return false;
    // In the accepted range, so advance_to cannot refuse it.
    if (absl::Status st = ev_->advance_to(w); !st.ok()) return false;
    positions_->set_watermark_us(w);
    return true;
  }

  // The state and positions as one snapshot (the watermark applied first), atomically.
  [[nodiscard]] absl::Status snapshot_to(const std::string& path) {
    advance();
    since_advance_ = 0;
    stream_state<Evaluator> state(*ev_, *positions_);
    return serial::write_snapshot(state, path);
  }
  [[nodiscard]] absl::StatusOr<std::string> snapshot() {
    advance();
    since_advance_ = 0;
    stream_state<Evaluator> state(*ev_, *positions_);
    return serial::snapshot(state);
  }

 private:
  refused_message behind(const event_type& ev, const typename decoded_batch<event_type>::entry& e) const {
    refused_message m;
    m.topic = assigned_[e.slot].topic;
    m.partition = assigned_[e.slot].partition;
    m.offset = e.offset;
    m.status = decode_status::behind_watermark;
    m.why = absl::StrCat("event time ", feature_set_type::time_of(ev), " us is more than the watermark delay behind ",
                         "its partition's newest, ", positions_->find(m.topic, m.partition)->newest_event_us, " us");
    return m;
  }

  Evaluator* ev_;
  stream_positions* positions_;
  std::vector<topic_partition> assigned_;
  stream_options opt_;
  quarantine_fn quarantine_;
  std::uint64_t since_advance_ = 0;
};

}  // namespace skewless::inline v1::kafka
