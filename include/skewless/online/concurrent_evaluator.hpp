// skewless/online/concurrent_evaluator.hpp — the online evaluator for a service: reads
// from any number of threads while other threads ingest.
//
//   skewless::online::concurrent_evaluator online(features);   // 256 shards
//   // consumer thread:
//   online.ingest(std::span<const Event>(batch));               // counts by outcome
//   // request threads:
//   skewless::feature_vector<decltype(features)> v;
//   absl::Status s = online.features(user_id, now_us, v);
//
// Entities are sharded by a hash of their key; each shard is an evaluator behind its own
// reader-writer lock (one that does not starve writers). The guarantee:
//
//   - per entity, linearizable: a read of an entity sees its state before or after each
//     ingest of that entity, never a torn one, and a read that starts after an ingest
//     returned sees it;
//   - no snapshot across entities: two reads (or the rows of one batched read) may see
//     different entities at different moments of a concurrent ingest;
//   - reads of entities in other shards never wait for an ingest; a read waits for at
//     most one ingest batch chunk (8 events) of its own shard, or for advance_to while it
//     walks that shard;
//   - a snapshot is one consistent cut, which an event stream offset can go with: it
//     closes a gate that every change (ingest, erase, advance_to) passes through, so
//     changes wait while it is written and reads go on;
//   - a restore decodes and checks the whole snapshot first, then replaces the shards
//     one at a time behind the closed gate: a read during it sees its shard's old or
//     new state.
//
// At most two locks are held at once (the gate, then one shard), so lock-order tools
// such as ThreadSanitizer's deadlock detector follow it.
//
// Every value is the one the single-threaded evaluator gives after the same events, and
// the snapshot bytes are the same too (either restores from the other's).
#pragma once

#include <skewless/detail/rw_lock.hpp>
#include <skewless/online/evaluator.hpp>

#include <absl/hash/hash.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <utility>
#include <vector>

namespace skewless::inline v1::online {

template <class FS> class concurrent_evaluator {
  using single = evaluator<std::remove_cvref_t<FS>>;

 public:
  using feature_set_type = std::remove_cvref_t<FS>;
  using key_type = typename single::key_type;
  using event_type = typename single::event_type;
  using single_evaluator = single;
  static constexpr std::size_t size = single::size;
  static constexpr std::size_t default_shards = 256;
  static constexpr std::size_t max_shards = std::size_t{1} << 16;
  // Events an ingest batch applies per acquisition of a shard's lock: bounds how long a
  // read of that shard can wait.
  static constexpr std::size_t events_per_lock = 8;

  // `shards` is rounded up to a power of two in [1, max_shards].
  explicit concurrent_evaluator(const feature_set_type& fs, std::size_t shards = default_shards)
      : fs_(fs),
        shard_bits_(static_cast<unsigned>(std::bit_width(std::clamp<std::size_t>(shards, 1, max_shards) - 1))) {
    shards_.reserve(shard_count());
    for (std::size_t i = 0; i < shard_count(); ++i) shards_.push_back(std::make_unique<shard>(fs_));
  }
  concurrent_evaluator(const concurrent_evaluator&) = delete;
  concurrent_evaluator& operator=(const concurrent_evaluator&) = delete;

  [[nodiscard]] const feature_set_type& definition() const noexcept { return fs_; }
  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fs_.fingerprint(); }
  [[nodiscard]] std::size_t shard_count() const noexcept { return std::size_t{1} << shard_bits_; }

  // Applies one event, or rejects it (state untouched) and counts why.
  [[nodiscard]] ingest_outcome ingest(const event_type& e) {
    shard& s = shard_for(feature_set_type::key_of(e));
    std::shared_lock gate(gate_);
    std::unique_lock lock(s.lock);
    return s.ev.ingest(e);
  }

  // Applies a batch: events of one key in batch order (so the result is that of
  // ingesting them one by one), grouped by shard so each lock is taken once per chunk.
  // Returns how this batch's events ended.
  ingest_counters ingest(std::span<const event_type> events) {
    ingest_counters batch;
    std::shared_lock gate(gate_);
    by_shard(
        events.size(), [&](std::size_t i) { return shard_index(feature_set_type::key_of(events[i])); },
        [&](shard& s, std::span<const std::size_t> rows) {
          for (std::size_t from = 0; from < rows.size(); from += events_per_lock) {
            const std::size_t to = std::min(rows.size(), from + events_per_lock);
            std::unique_lock lock(s.lock);
            s.ev.ingest_each(
                to - from, [&](std::size_t j) -> const event_type& { return events[rows[from + j]]; }, batch);
          }
        });
    return batch;
  }
  // The same for any other input range of events (see evaluator::ingest), taken a
  // chunk at a time in range order.
  template <online_internal::event_range<event_type> R> ingest_counters ingest(R&& events) {
    return online_internal::ingest_chunks<event_type>(events, [&](std::span<const event_type> c) { return ingest(c); });
  }

  // As evaluator::features, under the entity's shard's read lock.
  template <class K>
  [[nodiscard]] absl::Status features(const K& key, std::int64_t t_us, feature_vector<feature_set_type>& out) const {
    read_info info;
    return features(key, t_us, out, info);
  }
  template <class K>
  [[nodiscard]] absl::Status features(const K& key, std::int64_t t_us, feature_vector<feature_set_type>& out,
                                      read_info& info) const {
    if constexpr (!single::template check_key<K>()) {
      info = read_info{};
      return single::refuse(out, absl::InvalidArgumentError("skewless: key type mismatch"));
    } else {
      const shard& s = shard_for(key);
      std::shared_lock lock(s.lock);
      return s.ev.features(key, t_us, out, info);
    }
  }
  // Many keys as of one time: row i of `out` is features(keys[i], t_us), NaN where the
  // read fails; the status is OK or the first failure's. Each shard's lock is taken
  // once; rows of different entities may reflect different moments of an ingest.
  template <class K>
  [[nodiscard]] absl::Status features(std::span<const K> keys, std::int64_t t_us, feature_matrix& out) const {
    if constexpr (!single::template check_key<K>()) {
      out.setConstant(static_cast<Eigen::Index>(keys.size()), static_cast<Eigen::Index>(size),
                      std::numeric_limits<double>::quiet_NaN());
      return absl::InvalidArgumentError("skewless: key type mismatch");
    } else {
      out.resize(static_cast<Eigen::Index>(keys.size()), static_cast<Eigen::Index>(size));
      absl::Status first;
      std::size_t first_row = keys.size();
      by_shard(
          keys.size(), [&](std::size_t i) { return shard_index(keys[i]); },
          [&](const shard& s, std::span<const std::size_t> rows) {
            feature_vector<feature_set_type> row;
            std::shared_lock lock(s.lock);
            for (const std::size_t i : rows) {
              absl::Status st = s.ev.features(keys[i], t_us, row);
              out.row(static_cast<Eigen::Index>(i)) = row.transpose();
              if (!st.ok() && i < first_row) {
                first_row = i;
                first = single::annotate_row(std::move(st), i);
              }
            }
          });
      return first;
    }
  }

  template <class K> [[nodiscard]] bool contains(const K& key) const {
    if constexpr (!single::template check_key<K>()) {
      return false;
    } else {
      const shard& s = shard_for(key);
      std::shared_lock lock(s.lock);
      return s.ev.contains(key);
    }
  }

  // As evaluator::erase: the key's state is gone when this returns.
  template <class K> bool erase(const K& key) {
    if constexpr (!single::template check_key<K>()) {
      return false;
    } else {
      shard& s = shard_for(key);
      std::shared_lock gate(gate_);
      std::unique_lock lock(s.lock);
      return s.ev.erase(key);
    }
  }

  // As evaluator::advance_to, one shard at a time (a read waits only while its own
  // shard is walked), TTL and memory-limit evictions included.
  [[nodiscard]] absl::Status advance_to(std::int64_t t_us) {
    std::shared_lock gate(gate_);  // a snapshot sees all shards advanced or none
    for (auto& s : shards_) {
      std::unique_lock lock(s->lock);
      if (absl::Status st = s->ev.advance_to(t_us); !st.ok()) return st;  // the same for every shard
    }
    return absl::OkStatus();
  }
  template <class K> [[nodiscard]] absl::Status advance_to(const K& key, std::int64_t t_us) {
    if constexpr (!single::template check_key<K>()) {
      return absl::InvalidArgumentError("skewless: key type mismatch");
    } else {
      shard& s = shard_for(key);
      std::shared_lock gate(gate_);
      std::unique_lock lock(s.lock);
      return s.ev.advance_to(key, t_us);
    }
  }

  // Totals over the shards, each read under its lock (not one cut across shards).
  [[nodiscard]] ingest_counters counters() const {
    ingest_counters c;
    for_each_shard_shared([&](const single& ev) { c += ev.counters(); });
    return c;
  }
  [[nodiscard]] removal_counters removals() const {
    removal_counters r;
    for_each_shard_shared([&](const single& ev) { r += ev.removals(); });
    return r;
  }
  // As evaluator::set_memory_limit, for the whole store: each shard gets an equal share
  // and evicts within it (keys spread evenly over shards by hash).
  void set_memory_limit(std::size_t bytes) {
    const std::size_t share = bytes == 0 ? 0 : std::max<std::size_t>(1, bytes / shards_.size());
    for (auto& s : shards_) {
      std::unique_lock lock(s->lock);
      s->ev.set_memory_limit(share);
    }
  }
  [[nodiscard]] std::size_t entity_count() const {
    std::size_t n = 0;
    for_each_shard_shared([&](const single& ev) { n += ev.entity_count(); });
    return n;
  }
  [[nodiscard]] std::size_t state_heap_bytes() const {
    std::size_t n = 0;
    for_each_shard_shared([&](const single& ev) { n += ev.state_heap_bytes(); });
    return n;
  }
  // Memory by shard, and in total; each shard read under its lock.
  [[nodiscard]] std::vector<memory_usage> memory_by_shard() const {
    std::vector<memory_usage> out;
    out.reserve(shards_.size());
    for_each_shard_shared([&](const single& ev) { out.push_back(ev.memory()); });
    return out;
  }
  [[nodiscard]] memory_usage memory() const {
    memory_usage m;
    for_each_shard_shared([&](const single& ev) { m += ev.memory(); });
    return m;
  }
  [[nodiscard]] std::vector<std::pair<key_type, std::size_t>> largest_entities(std::size_t n) const {
    std::vector<std::pair<key_type, std::size_t>> all;
    for_each_shard_shared([&](const single& ev) {
      for (auto& kv : ev.largest_entities(n)) all.push_back(std::move(kv));
    });
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (all.size() > n) all.resize(n);
    return all;
  }
  [[nodiscard]] std::vector<key_type> keys() const {
    std::vector<key_type> out;
    for_each_shard_shared([&](const single& ev) {
      for (auto& k : ev.keys()) out.push_back(std::move(k));
    });
    return out;
  }

  // For serial/: the payload a single evaluator with the same state writes, from one
  // consistent cut: with the gate closed nothing changes, and reads only read.
  template <class Archive> void save(Archive& ar) const {
    std::unique_lock gate(gate_);
    ingest_counters total;
    std::vector<const typename single::entity_entry*> entities;
    for (const auto& s : shards_) {
      total += s->ev.counters_;
      s->ev.collect_entities(entities);
    }
    shards_.front()->ev.save_sorted(ar, total, shards_.front()->ev.horizon_, entities);
  }

  // For serial/: decodes and checks a payload into new shards without touching this
  // evaluator (throws on the first violation); commit() then installs them.
  using decoded = std::vector<single>;
  template <class Archive> [[nodiscard]] decoded decode(Archive& ar) const {
    decoded fresh;
    fresh.reserve(shard_count());
    for (std::size_t i = 0; i < shard_count(); ++i) fresh.emplace_back(fs_);
    const std::uint64_t n = fresh.front().load_header(ar);
    for (std::size_t i = 1; i < fresh.size(); ++i) fresh[i].horizon_ = fresh.front().horizon_;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto [k, st] = fresh.front().load_entity(ar);
      const std::size_t target = shard_index(k);
      fresh[target].adopt(std::move(k), std::move(st));
    }
    return fresh;
  }
  void commit(decoded&& fresh) {
    std::unique_lock gate(gate_);
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      std::unique_lock lock(shards_[i]->lock);
      shards_[i]->ev.commit(std::move(fresh[i]));
    }
  }

 private:
  struct alignas(64) shard {
    explicit shard(const feature_set_type& fs) : ev(fs) {}
    mutable detail::rw_lock lock;
    single ev;
  };

  template <class K> [[nodiscard]] std::size_t shard_index(const K& key) const noexcept {
    const auto lookup = single::lookup_key(key);
    const std::uint64_t h = absl::Hash<std::remove_cvref_t<decltype(lookup)>>{}(lookup);
    // The map inside a shard uses the hash's low bits; the shard takes a remix's high ones.
    return shard_bits_ == 0 ? 0 : static_cast<std::size_t>((h * 0x9E3779B97F4A7C15ull) >> (64 - shard_bits_));
  }
  template <class K> [[nodiscard]] shard& shard_for(const K& key) noexcept { return *shards_[shard_index(key)]; }
  template <class K> [[nodiscard]] const shard& shard_for(const K& key) const noexcept {
    return *shards_[shard_index(key)];
  }

  // Calls work(shard, rows) once per shard that has rows among [0, n), rows in
  // increasing order (a stable counting sort by shard_of(row)).
  template <class ShardOf, class Work> void by_shard(std::size_t n, ShardOf shard_of, Work work) const {
    std::vector<std::size_t> shard_of_row(n);
    std::vector<std::size_t> start(shard_count() + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      shard_of_row[i] = shard_of(i);
      ++start[shard_of_row[i] + 1];
    }
    for (std::size_t s = 0; s < shard_count(); ++s) start[s + 1] += start[s];
    std::vector<std::size_t> rows(n);
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) rows[next[shard_of_row[i]]++] = i;
    for (std::size_t s = 0; s < shard_count(); ++s) {
      if (start[s] == start[s + 1]) continue;
      work(*shards_[s], std::span<const std::size_t>(rows.data() + start[s], start[s + 1] - start[s]));
    }
  }

  template <class F> void for_each_shard_shared(F&& f) const {
    for (const auto& s : shards_) {
      std::shared_lock lock(s->lock);
      f(s->ev);
    }
  }

  feature_set_type fs_;
  unsigned shard_bits_;
  std::vector<std::unique_ptr<shard>> shards_;
  // Every change holds it shared; a snapshot or a restore holds it alone.
  mutable detail::rw_lock gate_;
};

template <class FS> concurrent_evaluator(const FS&) -> concurrent_evaluator<FS>;
template <class FS> concurrent_evaluator(const FS&, std::size_t) -> concurrent_evaluator<FS>;

}  // namespace skewless::inline v1::online
