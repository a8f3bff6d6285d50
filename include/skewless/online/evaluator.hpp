// skewless/online/evaluator.hpp — features served from incremental per-entity state.
//
// ingest(event) folds an event into its entity's state; features(key, T, out) fills a
// fixed-size vector with the entity's features as of T, without allocating. The value
// is bit-identical to batch::evaluate over the same accepted events at the same T.
//
//   skewless::online::evaluator online(features.with_allowed_lateness(5min));
//   if (online.ingest(ev) != skewless::online::ingest_outcome::accepted) { ... }
//   skewless::feature_vector<decltype(features)> v;
//   absl::Status s = online.features(user_id, now_us, v);
//
// Late events: an event more than allowed_lateness older than its entity's newest
// event is rejected (state untouched) and counted by reason; later ones are applied in
// place, so any arrival order within the lateness gives the same state. A query needs
// T >= the entity's newest ingested time; the past is the batch evaluator's job. A read
// that fails fills its output with NaN (missing), never with an earlier read's values.
//
// Keys: a read takes the key field's own type, an integer type every value of which
// the key type holds, or, for a std::string key, anything a std::string_view binds to
// (looked up without allocating). Any other key type does not compile.
//
// Reads are const, so by default an idle entity keeps window entries that only an
// early query could still see. advance_to(now) — e.g. from a periodic maintenance task —
// declares that no query will ask for a time before `now`, and drops them: reads get
// cheaper and memory is returned to the windows. Queries before that time then fail.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/detail/small_vector.hpp>
#include <skewless/expr/canonical.hpp>
#include <skewless/expr/key.hpp>
#include <skewless/expr/time_traits.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/online/internal/entity_slots.hpp>
#include <skewless/online/internal/event_ranges.hpp>
#include <skewless/online/internal/identical.hpp>
#include <skewless/online/outcomes.hpp>
#include <skewless/online/stream_group.hpp>
#include <skewless/online/window_state.hpp>
#include <skewless/types.hpp>

#include <absl/container/node_hash_map.h>
#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include <cereal/cereal.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::online {

template <class FS> class concurrent_evaluator;

template <class FS> class evaluator {
  static_assert(std::is_same_v<FS, std::remove_cvref_t<FS>>,
                "skewless internal: evaluator<const FS> is the specialisation below");

 public:
  using feature_set_type = FS;
  using key_type = typename FS::key_type;
  using event_type = typename FS::event_type;
  using aggregates_type = decltype(std::declval<const FS&>().aggregates());
  static constexpr std::size_t size = FS::size;
  static constexpr std::size_t aggregate_count = FS::aggregate_count;

 private:
  using plan = online_internal::stream_plan<aggregates_type>;
  using groups_type = stream_groups_t<aggregates_type>;
  template <std::size_t A> static constexpr bool grouped = plan::group_of[A] != plan::none;

 public:
  struct entity_state {
    std::int64_t newest = 0;
    // No query will ask for a time before this one (advance_to).
    std::int64_t horizon = std::numeric_limits<std::int64_t>::min();
    // With a TTL: the time of the first event of the entity's current life (in a
    // snapshot only then). Without one: unused.
    std::int64_t life_start = 0;
    typename online_internal::slots_of<aggregates_type>::type aggs;
    groups_type groups;  // the sliding windows' entries, one buffer per stream
    // The earliest time a query may still ask for.
    [[nodiscard]] std::int64_t floor() const noexcept { return std::max(newest, horizon); }
    template <class Archive> void serialize(Archive& ar) { ar(newest, horizon, aggs, groups); }
  };

  explicit evaluator(const FS& fs)
      : fs_(fs),
        aggs_(fs.aggregates()),
        layouts_(stream_layouts_of(aggs_)),
        same_as_(online_internal::identical_aggregates<aggregates_type>::find(aggs_)) {}

  [[nodiscard]] const FS& definition() const noexcept { return fs_; }
  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fs_.fingerprint(); }
  [[nodiscard]] const ingest_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t entity_count() const noexcept { return entities_.size(); }
  // Every key with state, in no particular order (allocates; for maintenance and tests).
  [[nodiscard]] std::vector<key_type> keys() const {
    std::vector<key_type> out;
    out.reserve(entities_.size());
    for (const auto& kv : entities_) out.push_back(kv.first);
    return out;
  }

  // Applies one event, or rejects it (leaving every state as it was) and counts why.
  // With a TTL, an event more than the TTL after its entity's newest starts a new life:
  // the old state is dropped first, as batch drops the old life.
  [[nodiscard]] ingest_outcome ingest(const event_type& e) {
    const std::int64_t t = FS::time_of(e);
    if (!in_time_range(t)) return count(ingest_outcome::rejected_time_out_of_range);
    // Accepted times, a capped lateness and a horizon in range: no overflow below.
    const std::int64_t lateness = this->lateness();
    auto it = entities_.find(FS::key_of(e));
    if (it == entities_.end()) {
      if (ttl() != 0 && horizon_ != std::numeric_limits<std::int64_t>::min() && t < horizon_ - lateness) {
        return count(ingest_outcome::rejected_behind_horizon);
      }
      it = entities_.try_emplace(FS::key_of(e)).first;
      start_life(it->second, t, horizon_);
    } else if (t < it->second.newest - lateness) {
      return count(ingest_outcome::rejected_too_late);
    } else if (ttl() != 0) {
      if (later_by_more_than(t, it->second.newest, ttl())) {
        const std::int64_t horizon = it->second.horizon;  // per-key advance_to still holds
        it->second = entity_state{};
        start_life(it->second, t, horizon);
      } else if (t < it->second.life_start) {
        return count(ingest_outcome::rejected_before_life);
      }
    }
    apply(it->second, e, t);
    return count(ingest_outcome::accepted);
  }

  // Applies events in order, as ingest(e) for each; returns how this batch's events
  // ended (the evaluator's counters() count them too).
  // Entities a few events ahead are prefetched, so their cache misses overlap.
  ingest_counters ingest(std::span<const event_type> events) {
    ingest_counters batch;
    ingest_each(events.size(), [&](std::size_t i) -> const event_type& { return events[i]; }, batch);
    return batch;
  }
  // The same for any other input range of events (a filter or a concatenation of logs,
  // from range-v3 or the standard library; a transform into the event struct), taken
  // a chunk at a time in range order.
  template <online_internal::event_range<event_type> R> ingest_counters ingest(R&& events) {
    return online_internal::ingest_chunks<event_type>(events, [&](std::span<const event_type> c) { return ingest(c); });
  }

  // Forgets `key` and all its state now (e.g. for a deletion request): a later read
  // gets what a never-seen entity gets, a later snapshot does not hold it, and a later
  // event of the key starts a new entity. Returns whether the key had state.
  template <class K> bool erase(const K& key) {
    if constexpr (!check_key<K>()) {
      return false;
    } else {
      const auto it = entities_.find(lookup_key(key));
      if (it == entities_.end()) return false;
      entities_.erase(it);
      ++removals_.erased;
      return true;
    }
  }

  // Features of `key` as of t_us (events with ts < t_us). An entity never seen gets the
  // empty-window values (0 for count and sum, NaN otherwise); pass a read_info to tell
  // it from an idle one. With a TTL, an entity whose newest event is more than the TTL
  // before t_us reads as never seen. On any status but OK, `out` is all NaN.
  template <class K>
  [[nodiscard]] absl::Status features(const K& key, std::int64_t t_us, feature_vector<FS>& out) const {
    read_info info;
    return features(key, t_us, out, info);
  }
  template <class K>
  [[nodiscard]] absl::Status features(const K& key, std::int64_t t_us, feature_vector<FS>& out, read_info& info) const {
    info = read_info{};
    if constexpr (!check_key<K>()) {
      return refuse(out, absl::InvalidArgumentError("skewless: key type mismatch"));
    } else {
      if (!in_time_range(t_us)) {
        return refuse(out, absl::InvalidArgumentError(
                               absl::StrCat("skewless: query time ", t_us, " us is outside the supported range")));
      }
      std::array<double, FS::value_count + 1> values{};
      const auto it = entities_.find(lookup_key(key));
      if (it == entities_.end()) {
        if (t_us < horizon_) {
          return refuse(out,
                        absl::FailedPreconditionError(absl::StrCat("skewless: online query at T=", t_us,
                                                                   " us is before the time the state was advanced to (",
                                                                   horizon_, " us). ", past_times_advice)));
        }
        fill_empty(values.data(), t_us);
      } else {
        info.known_entity = true;
        info.newest_event_us = it->second.newest;
        const bool expired = ttl() != 0 && later_by_more_than(t_us, it->second.newest, ttl());
        if (t_us < it->second.floor()) {
          const bool by_event = it->second.newest >= it->second.horizon;
          return refuse(out,
                        absl::FailedPreconditionError(absl::StrCat(
                            "skewless: online query at T=", t_us, " us is before ",
                            by_event ? "the entity's newest ingested event (" : "the time the state was advanced to (",
                            it->second.floor(), " us); online state answers T >= that. ", past_times_advice)));
        }
        if (expired) {
          info = read_info{};
          fill_empty(values.data(), t_us);
        } else {
          fill(it->second, values.data(), t_us);
        }
      }
      eval_columns(fs_, values.data(), out.data());
      return absl::OkStatus();
    }
  }

  // Whether `key` has state: some event of it was accepted.
  template <class K> [[nodiscard]] bool contains(const K& key) const {
    if constexpr (!check_key<K>()) {
      return false;
    } else {
      return entities_.find(lookup_key(key)) != entities_.end();
    }
  }

  // Declares that no query will ask for a time before t_us, for every entity: drops the
  // window entries only earlier queries could see. Later queries before t_us fail.
  // With a TTL it also evicts every entity whose newest event is more than the TTL plus
  // the allowed lateness before t_us (expired, and beyond the reach of any late event
  // it could still accept); then, with a memory limit, it evicts the entities with the
  // oldest newest events until the state fits (see set_memory_limit).
  [[nodiscard]] absl::Status advance_to(std::int64_t t_us) {
    if (!in_time_range(t_us)) {
      return absl::InvalidArgumentError(
          absl::StrCat("skewless: advance_to(", t_us, " us) is outside the supported range"));
    }
    horizon_ = std::max(horizon_, t_us);
    const std::uint64_t reach = ttl() + static_cast<std::uint64_t>(lateness());
    for (auto it = entities_.begin(); it != entities_.end();) {
      if (ttl() != 0 && later_by_more_than(horizon_, it->second.newest, reach)) {
        entities_.erase(it++);  // the node-map idiom: erase does not invalidate the next
        ++removals_.expired;
      } else {
        advance(it->second, t_us);
        ++it;
      }
    }
    enforce_memory_limit();
    return absl::OkStatus();
  }

  // A soft limit on memory().total_bytes() (0: none, the default), enforced by
  // advance_to(t): when the state is larger, the entities whose newest event is oldest
  // (least recently updated, in event time; ties by key) are evicted until it fits, and
  // counted (removals().evicted_for_memory). An evicted entity is gone as if erased: it
  // reads as never seen, and batch agrees only if its events are left out too.
  void set_memory_limit(std::size_t bytes) noexcept { memory_limit_ = bytes; }
  [[nodiscard]] std::size_t memory_limit() const noexcept { return memory_limit_; }
  [[nodiscard]] const removal_counters& removals() const noexcept { return removals_; }

  // The same for one entity (no eviction).
  template <class K> [[nodiscard]] absl::Status advance_to(const K& key, std::int64_t t_us) {
    if constexpr (!check_key<K>()) {
      return absl::InvalidArgumentError("skewless: key type mismatch");
    } else {
      if (!in_time_range(t_us)) {
        return absl::InvalidArgumentError(
            absl::StrCat("skewless: advance_to(", t_us, " us) is outside the supported range"));
      }
      if (auto it = entities_.find(lookup_key(key)); it != entities_.end()) advance(it->second, t_us);
      return absl::OkStatus();
    }
  }

  // Time-typed overloads (e.g. absl::Time) for sets whose time field is not int64.
  template <class K, class Time>
    requires(!std::is_same_v<Time, std::int64_t> && std::is_same_v<Time, typename FS::time_type>)
  [[nodiscard]] absl::Status features(const K& key, Time t, feature_vector<FS>& out) const {
    return features(key, time_traits<Time>::to_micros(t), out);
  }
  template <class K, class Time>
    requires(!std::is_same_v<Time, std::int64_t> && std::is_same_v<Time, typename FS::time_type>)
  [[nodiscard]] absl::Status features(const K& key, Time t, feature_vector<FS>& out, read_info& info) const {
    return features(key, time_traits<Time>::to_micros(t), out, info);
  }

  // Features of many keys as of one time: row i of `out` (resized to keys.size() rows)
  // is features(keys[i], t_us). A row whose read fails is NaN; the status is OK or the
  // first failure's, naming its row.
  template <class K>
  [[nodiscard]] absl::Status features(std::span<const K> keys, std::int64_t t_us, feature_matrix& out) const {
    out.resize(static_cast<Eigen::Index>(keys.size()), static_cast<Eigen::Index>(size));
    absl::Status first;
    feature_vector<FS> row;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      absl::Status s = features(keys[i], t_us, row);
      out.row(static_cast<Eigen::Index>(i)) = row.transpose();
      if (!s.ok() && first.ok()) first = annotate_row(std::move(s), i);
    }
    return first;
  }

  // Bytes of heap memory held by per-entity window buffers (not counting the map).
  [[nodiscard]] std::size_t state_heap_bytes() const noexcept {
    std::size_t b = 0;
    for (const auto& [k, st] : entities_) b += entity_heap_bytes(st);
    return b;
  }

  // Where the memory of the state is: every part but the allocator's own overhead.
  [[nodiscard]] memory_usage memory() const noexcept {
    memory_usage m;
    m.entities = entities_.size();
    m.table_bytes = entities_.capacity() * (sizeof(void*) + 1);
    m.entity_bytes = entities_.size() * sizeof(entity_entry);
    for (const auto& [k, st] : entities_) {
      m.entity_bytes += key_heap_bytes(k);
      m.window_bytes += entity_heap_bytes(st);
    }
    return m;
  }
  // The n entities holding the most memory (fixed part, key and window buffers), most
  // first; a scan of every entity (for maintenance, not the serving path).
  [[nodiscard]] std::vector<std::pair<key_type, std::size_t>> largest_entities(std::size_t n) const {
    std::vector<std::pair<const key_type*, std::size_t>> top;
    auto greater = [](const auto& a, const auto& b) { return a.second > b.second; };
    for (const auto& kv : entities_) {
      const std::size_t bytes = entity_bytes(kv);
      if (top.size() < n) {
        top.push_back({&kv.first, bytes});
        std::push_heap(top.begin(), top.end(), greater);
      } else if (n > 0 && bytes > top.front().second) {
        std::pop_heap(top.begin(), top.end(), greater);
        top.back() = {&kv.first, bytes};
        std::push_heap(top.begin(), top.end(), greater);
      }
    }
    std::sort_heap(top.begin(), top.end(), greater);
    std::vector<std::pair<key_type, std::size_t>> out;
    out.reserve(top.size());
    for (const auto& [k, bytes] : top) out.push_back({*k, bytes});
    return out;
  }

  // For serial/: entities in key order (so snapshots are byte-deterministic).
  template <class Archive> void save(Archive& ar) const {
    std::vector<const entity_entry*> sorted;
    collect_entities(sorted);
    save_sorted(ar, counters_, horizon_, sorted);
  }
  // For serial/: decodes a payload into a new evaluator, checking every invariant ingest
  // maintains (see serial/snapshot.hpp for the principle), without touching this one;
  // throws on the first violation. commit() then installs it.
  template <class Archive> [[nodiscard]] evaluator decode(Archive& ar) const {
    evaluator fresh(fs_);
    fresh.load(ar);
    return fresh;
  }
  // The memory limit and the removal counters belong to the process, not the state.
  void commit(evaluator&& fresh) {
    const std::size_t limit = memory_limit_;
    const removal_counters removals = removals_;
    *this = std::move(fresh);
    memory_limit_ = limit;
    removals_ = removals;
  }
  // Reads what save() wrote, as decode() does, into this evaluator.
  template <class Archive> void load(Archive& ar) {
    const std::uint64_t n = load_header(ar);
    entities_.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      auto [k, st] = load_entity(ar);
      adopt(std::move(k), std::move(st));
    }
  }

 private:
  template <class> friend class concurrent_evaluator;
  using entity_map = absl::node_hash_map<key_type, entity_state>;
  using entity_entry = typename entity_map::value_type;

  void collect_entities(std::vector<const entity_entry*>& out) const {
    out.reserve(out.size() + entities_.size());
    for (const auto& kv : entities_) out.push_back(&kv);
  }
  // How many outcome counters a snapshot holds: the two TTL reasons only with a TTL,
  // so that the snapshot of a set without one keeps the bytes of format 4.
  [[nodiscard]] std::size_t saved_outcomes() const noexcept { return ttl() != 0 ? ingest_outcome_count : 3; }
  // The payload: counters, horizon, then the entities sorted by key (each with its
  // life's start when there is a TTL).
  template <class Archive>
  void save_sorted(Archive& ar, const ingest_counters& counters, std::int64_t horizon,
                   std::vector<const entity_entry*>& entities) const {
    std::sort(entities.begin(), entities.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (std::size_t i = 0; i < saved_outcomes(); ++i) ar(counters.by_outcome[i]);
    ar(horizon, static_cast<std::uint64_t>(entities.size()));
    for (const auto* kv : entities) {
      ar(kv->first);
      if (ttl() != 0) ar(kv->second.life_start);
      save_entity(ar, kv->second);
    }
  }
  // entity_state::serialize's bytes, with an identical aggregate's state written as the
  // state of the one it reads (its own is empty): so a snapshot is the same whether or
  // not aggregates are shared, and builds that kept every copy read it unchanged.
  template <class Archive> void save_entity(Archive& ar, const entity_state& st) const {
    ar(st.newest, st.horizon);
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (ar(state_to_save<A>(st)), ...);
    }(std::make_index_sequence<aggregate_count>{});
    ar(st.groups);
  }
  template <std::size_t A> const auto& state_to_save(const entity_state& st) const noexcept {
    const auto* s = &std::get<A>(st.aggs);
    if constexpr (!grouped<A>) {
      [&]<std::size_t... J>(std::index_sequence<J...>) {
        (
            [&] {
              if constexpr (J < A &&
                            online_internal::identical_aggregates<aggregates_type>::template identical_type<J, A>) {
                if (same_as_[A] == J) s = &std::get<J>(st.aggs);
              }
            }(),
            ...);
      }(std::make_index_sequence<aggregate_count>{});
    }
    return *s;
  }
  // Reads the counters and horizon, returns the number of entities that follow.
  template <class Archive> std::uint64_t load_header(Archive& ar) {
    std::uint64_t n = 0;
    counters_ = ingest_counters{};
    for (std::size_t i = 0; i < saved_outcomes(); ++i) ar(counters_.by_outcome[i]);
    ar(horizon_, n);
    if (horizon_ != std::numeric_limits<std::int64_t>::min() && !in_time_range(horizon_)) {
      detail::corrupt("has a horizon outside the accepted time range");
    }
    return n;
  }
  // One entity, checked against this evaluator's horizon and definition.
  template <class Archive> std::pair<key_type, entity_state> load_entity(Archive& ar) const {
    std::pair<key_type, entity_state> kv;
    if constexpr (std::is_same_v<key_type, std::string>) {
      detail::load_string(ar, kv.first);
    } else {
      ar(kv.first);
    }
    entity_state& st = kv.second;
    if (ttl() != 0) ar(st.life_start);
    ar(st);
    check_entity(st);
    for_each_group(st, [&](auto& g, const auto& layout) { g.restore(aggs_, layout, st.floor(), st.newest); });
    return kv;
  }
  void adopt(key_type&& k, entity_state&& st) {
    if (!entities_.emplace(std::move(k), std::move(st)).second) {
      throw std::runtime_error("skewless: duplicate entity in snapshot");
    }
  }
  // ingest(at(i)) for i in [0, n), counted into `batch`: the map slots of the event 16
  // ahead and the state of the event 8 ahead are prefetched.
  template <class At> void ingest_each(std::size_t n, At at, ingest_counters& batch) {
    constexpr std::size_t slot_lead = 16, state_lead = 8;
    for (std::size_t i = 0; i < n; ++i) {
      if (i + slot_lead < n) entities_.prefetch(FS::key_of(at(i + slot_lead)));
      if (i + state_lead < n) {
        if (const auto it = entities_.find(FS::key_of(at(i + state_lead))); it != entities_.end()) {
          const char* p = reinterpret_cast<const char*>(&it->second);
          for (std::size_t off = 0; off < std::min<std::size_t>(sizeof(entity_state), 256); off += 64) {
            __builtin_prefetch(p + off);
          }
        }
      }
      ++batch.by_outcome[static_cast<std::size_t>(ingest(at(i)))];
    }
  }
  static std::size_t key_heap_bytes(const key_type& k) noexcept {
    if constexpr (std::is_same_v<key_type, std::string>) {
      return k.capacity() > std::string().capacity() ? k.capacity() + 1 : 0;
    } else {
      return 0;
    }
  }
  std::size_t entity_heap_bytes(const entity_state& st) const noexcept {
    std::size_t b = 0;
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            if constexpr (!grouped<A>) {
              const auto& s = std::get<A>(st.aggs);
              b += s.window.heap_bytes() + s.held.heap_bytes();
            }
          }(),
          ...);
    }(std::make_index_sequence<aggregate_count>{});
    std::apply([&](const auto&... g) { ((b += g.heap_bytes()), ...); }, st.groups);
    return b;
  }
  static absl::Status annotate_row(absl::Status s, std::size_t row) {
    return absl::Status(s.code(), absl::StrCat("row ", row, ": ", s.message()));
  }

  // An entity's times are accepted ones, its horizon at least the evaluator's (new
  // entities inherit it and advance_to raises both), and each aggregate's state valid.
  void check_entity(entity_state& st) const {
    if (!in_time_range(st.newest)) detail::corrupt("has an entity whose newest event is outside the accepted range");
    if (ttl() != 0 && (!in_time_range(st.life_start) || st.life_start > st.newest)) {
      detail::corrupt("has an entity whose life starts outside the accepted range or after its newest event");
    }
    if (st.horizon < horizon_ ||
        (st.horizon != std::numeric_limits<std::int64_t>::min() && !in_time_range(st.horizon))) {
      detail::corrupt("has an entity horizon that advance_to cannot have set");
    }
    const std::int64_t floor = st.floor();
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            if constexpr (!grouped<A>) {
              std::get<A>(st.aggs).check(std::get<A>(aggs_), floor, st.newest);
              // A snapshot holds an identical aggregate's state twice (see save_entity);
              // the copy is checked like any state, then dropped.
              if (same_as_[A] != A) std::get<A>(st.aggs) = {};
            }
          }(),
          ...);
    }(std::make_index_sequence<aggregate_count>{});
  }

  template <class K> static constexpr bool check_key() { return expr_internal::check_key_argument<key_type, K>(); }
  // The key as the map looks it up: a std::string key through a string view (no
  // allocation), an integer key widened to the key type.
  template <class K> static decltype(auto) lookup_key(const K& key) noexcept {
    if constexpr (std::is_same_v<key_type, std::string>) {
      const std::string_view v(key);
      return absl::string_view(v.data(), v.size());
    } else if constexpr (std::is_same_v<K, key_type>) {
      return (key);
    } else {
      return static_cast<key_type>(key);
    }
  }

  static absl::Status refuse(feature_vector<FS>& out, absl::Status s) noexcept {
    out.setConstant(std::numeric_limits<double>::quiet_NaN());
    return s;
  }

  // f(group, its layout) for each stream group of st.
  template <class F> void for_each_group(entity_state& st, F&& f) const {
    [&]<std::size_t... G>(std::index_sequence<G...>) {
      (f(std::get<G>(st.groups), std::get<G>(layouts_)), ...);
    }(std::make_index_sequence<plan::group_count>{});
  }

  [[nodiscard]] std::int64_t lateness() const noexcept {
    return std::clamp(fs_.allowed_lateness_us, std::int64_t{0}, max_lateness_us);
  }
  [[nodiscard]] std::uint64_t ttl() const noexcept {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(fs_.ttl_us, 0));
  }
  static void start_life(entity_state& st, std::int64_t t, std::int64_t horizon) noexcept {
    st.newest = t;
    st.life_start = t;
    st.horizon = horizon;
  }
  std::size_t entity_bytes(const entity_entry& kv) const noexcept {
    return sizeof(entity_entry) + key_heap_bytes(kv.first) + entity_heap_bytes(kv.second);
  }
  // Evicts the least recently updated entities (oldest newest event, then least key)
  // while memory() is above the limit.
  void enforce_memory_limit() {
    if (memory_limit_ == 0) return;
    std::size_t total = memory().total_bytes();
    if (total <= memory_limit_) return;
    std::vector<std::pair<std::int64_t, const key_type*>> order;
    order.reserve(entities_.size());
    for (const auto& kv : entities_) order.push_back({kv.second.newest, &kv.first});
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : *a.second < *b.second;
    });
    for (const auto& [newest, key] : order) {
      if (total <= memory_limit_) break;
      const auto it = entities_.find(*key);
      total -= std::min(total, entity_bytes(*it));
      entities_.erase(it);
      ++removals_.evicted_for_memory;
    }
  }

  ingest_outcome count(ingest_outcome o) noexcept {
    ++counters_.by_outcome[static_cast<std::size_t>(o)];
    return o;
  }

  void apply(entity_state& st, const event_type& e, std::int64_t t) {
    const std::int64_t old_floor = st.floor();
    st.newest = std::max(st.newest, t);
    const std::int64_t floor = st.floor();
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            if constexpr (!grouped<A>) {
              if (same_as_[A] == A) apply_one(std::get<A>(aggs_), std::get<A>(st.aggs), e, t, old_floor, floor);
            }
          }(),
          ...);
    }(std::make_index_sequence<aggregate_count>{});
    for_each_group(st, [&](auto& group, const auto& layout) {
      if (floor > old_floor) group.release(aggs_, layout, floor);
      if (const auto entry = group.entry_of(aggs_, e, t)) group.insert(aggs_, layout, *entry, floor);
    });
  }

  // Entries before window_start(floor) are invisible to every query still allowed;
  // entries before floor - lag are visible to all of them in full.
  template <class Agg, class State>
  static void apply_one(const Agg& a, State& s, const event_type& e, std::int64_t t, std::int64_t old_floor,
                        std::int64_t floor) {
    if (floor > old_floor) release(a, s, floor);
    const auto v = window_slot(a, e);
    if (!v) return;
    const timed_value entry{t, *v};
    if (t >= floor - window_lag(a.window)) {
      s.held.insert(entry, static_cast<std::size_t>(std::min<std::uint64_t>(window_max_events(a.window), SIZE_MAX)));
    } else if (t >= window_start(a.window, floor)) {
      s.window.insert(a.window, entry);  // late but within lateness: in place
    }
  }

  // The floor rose: held entries every allowed query now sees in full join the window,
  // and the window drops what none can see.
  template <class Agg, class State> static void release(const Agg& a, State& s, std::int64_t floor) {
    s.held.release_before(floor - window_lag(a.window), [&](const timed_value& e) { s.window.insert(a.window, e); });
    s.window.evict_before(window_start(a.window, floor));
  }

  void advance(entity_state& st, std::int64_t t) {
    if (t <= st.horizon) return;
    const std::int64_t old_floor = st.floor();
    st.horizon = t;
    if (st.floor() <= old_floor) return;
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            if constexpr (!grouped<A>) {
              if (same_as_[A] == A) release(std::get<A>(aggs_), std::get<A>(st.aggs), st.floor());
            }
          }(),
          ...);
    }(std::make_index_sequence<aggregate_count>{});
    for_each_group(st, [&](auto& g, const auto& layout) { g.release(aggs_, layout, st.floor()); });
  }

  void fill(const entity_state& st, double* values, std::int64_t t) const {
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            double* out = values + FS::aggregate_value_offsets[A];
            if (same_as_[A] != A) {  // computed already, by the identical aggregate before it
              const double* from = values + FS::aggregate_value_offsets[same_as_[A]];
              std::copy(from, from + (FS::aggregate_value_offsets[A + 1] - FS::aggregate_value_offsets[A]), out);
            } else if constexpr (grouped<A>) {
              const auto& group = std::get<plan::group_of[A]>(st.groups);
              constexpr std::size_t member = plan::member_of[A];
              window_parts p;
              typename std::remove_cvref_t<decltype(group)>::template scratch_type<member> scratch;
              group.template query<member>(aggs_, std::get<plan::group_of[A]>(layouts_), t, p, scratch);
              write_values(std::get<A>(aggs_), p, t, out);
            } else {
              online_internal::write_window_values(std::get<A>(aggs_), std::get<A>(st.aggs), t, out);
            }
          }(),
          ...);
    }(std::make_index_sequence<aggregate_count>{});
  }

  void fill_empty(double* values, std::int64_t t) const {
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            using Agg = std::tuple_element_t<A, aggregates_type>;
            double* out = values + FS::aggregate_value_offsets[A];
            if constexpr (has_state_v<Agg>) {
              write_values(std::get<A>(aggs_), state_of_t<Agg>{}, t, out);
            } else {
              window_parts p;
              empty_parts(p);
              write_values(std::get<A>(aggs_), p, t, out);
            }
          }(),
          ...);
    }(std::make_index_sequence<aggregate_count>{});
  }

  FS fs_;
  aggregates_type aggs_;
  stream_layouts_t<aggregates_type> layouts_;  // which group members ride on which
  // same_as_[A]: the first aggregate identical to A — the same type and the same
  // canonical text (kind, argument, window, filter) — or A. A used by several features
  // (e.g. mean(emb, tiled(7d, 1h)) alone and inside a cosine) is kept and read once:
  // an identical one's state stays empty and a read copies its values.
  std::array<std::size_t, aggregate_count> same_as_;
  // Node-based: an entity's state is allocated once and never moved by a rehash
  // (states are hundreds of bytes; moving them on growth dominated ingest).
  entity_map entities_;
  ingest_counters counters_;
  // advance_to(t) for all entities: new entities start with this horizon.
  std::int64_t horizon_ = std::numeric_limits<std::int64_t>::min();
  removal_counters removals_;
  std::size_t memory_limit_ = 0;
};

template <class FS> evaluator(const FS&) -> evaluator<FS>;

// evaluator<decltype(features)> names evaluator<const FS>: it is the evaluator of FS.
template <class FS>
  requires(!std::is_same_v<FS, std::remove_cvref_t<FS>>)
class evaluator<FS> : public evaluator<std::remove_cvref_t<FS>> {
 public:
  using evaluator<std::remove_cvref_t<FS>>::evaluator;
};

}  // namespace skewless::inline v1::online
