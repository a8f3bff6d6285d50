// skewless/kafka/positions.hpp — where a consumer stands in each partition, saved in
// the same snapshot as the state it built.
//
//   skewless::online::concurrent_evaluator online(features);
//   skewless::kafka::stream_positions at;
//   ...                                  // ingest a batch, then at.advance(...) for it
//   skewless::kafka::stream_state state(online, at);
//   absl::Status w = skewless::serial::write_snapshot(state, "/var/lib/svc/state.snap");
//   absl::Status r = skewless::serial::read_snapshot(state, "/var/lib/svc/state.snap");
//
// A restart is exact when the state and the positions it was built from are one cut:
// one file, written atomically, holding the evaluator's payload (the same bytes an
// evaluator's own snapshot has) followed by the positions. Restoring replaces both or
// neither. The file's header is the evaluator's (format version, fingerprint, size,
// checksum over both parts); a plain evaluator snapshot is refused by a stream_state
// ("no stream positions"), and a stream snapshot by a plain evaluator (trailing bytes).
//
// The positions are checked as hostile input like the rest of a snapshot: at most
// max_partitions entries, topic names as Kafka allows them (1 to 249 of [a-zA-Z0-9._-]),
// partitions and offsets not negative, entries in (topic, partition) order without
// repeats, times inside the accepted range, no more messages counted than offsets read.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/kafka/message.hpp>
#include <skewless/kernels/window.hpp>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skewless::inline v1::kafka {

// No newest event time yet.
inline constexpr std::int64_t no_time = std::numeric_limits<std::int64_t>::min();

// A partition's position: the offset of the next message to read (every message before
// it is in the state, ingested or counted as refused), the newest event time read from
// it, and how many of its messages ended each way (by decode_status; ok counts the
// decoded ones, whatever the evaluator then did with them).
struct partition_position {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  std::int64_t newest_event_us = no_time;
  std::array<std::uint64_t, decode_status_count> messages{};

  [[nodiscard]] std::uint64_t refused() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 1; i < decode_status_count; ++i) n += messages[i];
    return n;
  }

  friend bool operator==(const partition_position&, const partition_position&) = default;
};

class stream_positions {
 public:
  static constexpr std::size_t max_partitions = std::size_t{1} << 16;
  static constexpr std::string_view tag = "skewless.kafka.positions/1";

  // The position of (topic, partition), added at next_offset 0 if new.
  partition_position& at(std::string_view topic, std::int32_t partition) {
    auto it = std::lower_bound(list_.begin(), list_.end(), where{topic, partition}, before);
    if (it == list_.end() || it->topic != topic || it->partition != partition) {
      it = list_.insert(it, partition_position{std::string(topic), partition});
    }
    return *it;
  }
  [[nodiscard]] const partition_position* find(std::string_view topic, std::int32_t partition) const {
    auto it = std::lower_bound(list_.begin(), list_.end(), where{topic, partition}, before);
    if (it == list_.end() || it->topic != topic || it->partition != partition) return nullptr;
    return &*it;
  }
  // Records that every message of (topic, partition) before next_offset is in the state,
  // the newest event among them at event_us (or no_time).
  void advance(std::string_view topic, std::int32_t partition, std::int64_t next_offset, std::int64_t event_us) {
    partition_position& p = at(topic, partition);
    p.next_offset = std::max(p.next_offset, next_offset);
    p.newest_event_us = std::max(p.newest_event_us, event_us);
  }
  [[nodiscard]] const std::vector<partition_position>& partitions() const noexcept { return list_; }

  // The stream's watermark as last applied to the state (advance_to), or no_time.
  [[nodiscard]] std::int64_t watermark_us() const noexcept { return watermark_us_; }
  void set_watermark_us(std::int64_t t) noexcept { watermark_us_ = t; }

  friend bool operator==(const stream_positions&, const stream_positions&) = default;

  template <class Archive> void save(Archive& ar) const {
    ar(std::string(tag), watermark_us_);
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(list_.size())));
    for (const partition_position& p : list_) {
      ar(p.topic, p.partition, p.next_offset, p.newest_event_us);
      for (const std::uint64_t n : p.messages) ar(n);
    }
  }

  // Reads what save() wrote, checking everything (throws on the first violation).
  template <class Archive> void load(Archive& ar) {
    if (const auto left = detail::load_budget::left(); left && *left == 0) {
      detail::corrupt("has no stream positions after the state (a plain evaluator snapshot?)");
    }
    std::string t;
    detail::load_string(ar, t);
    if (t != tag) detail::corrupt("has no stream positions where they belong (a plain evaluator snapshot?)");
    stream_positions fresh;
    ar(fresh.watermark_us_);
    if (fresh.watermark_us_ != no_time && (fresh.watermark_us_ < min_time_us || fresh.watermark_us_ > max_time_us)) {
      detail::corrupt("positions: a watermark outside the accepted time range");
    }
    // An entry is at least 8 (the topic's length) + 4 + 8 + 8 bytes and its counts.
    const std::uint64_t n = detail::load_length(ar, 28 + 8 * decode_status_count);
    if (n > max_partitions) detail::corrupt("positions: more than 65,536 partitions");
    fresh.list_.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      partition_position p;
      detail::load_string(ar, p.topic);
      ar(p.partition, p.next_offset, p.newest_event_us);
      std::uint64_t counted = 0;
      for (std::uint64_t& c : p.messages) {
        ar(c);
        // Each message below next_offset is counted once (offsets may skip, never repeat).
        if (c > static_cast<std::uint64_t>(std::max<std::int64_t>(p.next_offset, 0)) - counted) {
          detail::corrupt("positions: more messages counted than offsets read");
        }
        counted += c;
      }
      if (!valid_topic(p.topic)) detail::corrupt("positions: a topic name Kafka does not allow");
      if (p.partition < 0 || p.next_offset < 0) detail::corrupt("positions: a negative partition or offset");
      if (p.newest_event_us != no_time && (p.newest_event_us < min_time_us || p.newest_event_us > max_time_us)) {
        detail::corrupt("positions: an event time outside the accepted time range");
      }
      if (!fresh.list_.empty() && !before(fresh.list_.back(), where{p.topic, p.partition})) {
        detail::corrupt("positions: partitions out of order or repeated");
      }
      fresh.list_.push_back(std::move(p));
    }
    *this = std::move(fresh);
  }

  // Kafka's rule for a topic name: 1 to 249 characters of [a-zA-Z0-9._-].
  [[nodiscard]] static bool valid_topic(std::string_view t) noexcept {
    if (t.empty() || t.size() > 249) return false;
    return std::all_of(t.begin(), t.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-';
    });
  }

 private:
  struct where {
    std::string_view topic;
    std::int32_t partition;
  };
  static bool before(const partition_position& a, const where& b) noexcept {
    const int c = std::string_view(a.topic).compare(b.topic);
    return c < 0 || (c == 0 && a.partition < b.partition);
  }

  std::vector<partition_position> list_;
  std::int64_t watermark_us_ = no_time;
};

// An evaluator (online::evaluator or online::concurrent_evaluator) and its stream
// positions as one snapshot state for serial::snapshot / restore / write_snapshot /
// read_snapshot. It refers to both; the caller keeps them consistent (the thread that
// ingests also advances the positions and takes the snapshot, between batches).
template <class Evaluator> class stream_state {
 public:
  stream_state(Evaluator& ev, stream_positions& positions) : ev_(&ev), positions_(&positions) {}

  [[nodiscard]] std::uint64_t fingerprint() const { return ev_->fingerprint(); }
  [[nodiscard]] decltype(auto) definition() const { return ev_->definition(); }

  template <class Archive> void save(Archive& ar) const {
    ev_->save(ar);
    positions_->save(ar);
  }
  using decoded =
      std::pair<decltype(std::declval<const Evaluator&>().decode(std::declval<cereal::PortableBinaryInputArchive&>())),
                stream_positions>;
  template <class Archive> [[nodiscard]] decoded decode(Archive& ar) const {
    auto fresh = ev_->decode(ar);
    stream_positions p;
    p.load(ar);
    return {std::move(fresh), std::move(p)};
  }
  void commit(decoded&& fresh) {
    ev_->commit(std::move(fresh.first));
    *positions_ = std::move(fresh.second);
  }

 private:
  Evaluator* ev_;
  stream_positions* positions_;
};

}  // namespace skewless::inline v1::kafka
