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
// T >= the entity's newest ingested time; the past is the batch evaluator's job.
//
// Reads are const, so by default an idle entity keeps window entries that only an
// early query could still see. advance_to(now) — e.g. from a periodic maintenance task —
// declares that no query will ask for a time before `now`, and drops them: reads get
// cheaper and memory is returned to the windows. Queries before that time then fail.
#pragma once

#include <skewless/expr/time_traits.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/detail/small_vector.hpp>
#include <skewless/online/window_state.hpp>
#include <skewless/types.hpp>

#include <absl/container/node_hash_map.h>
#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace skewless::inline v1::online {

enum class ingest_outcome : std::uint8_t {
  accepted = 0,
  rejected_too_late = 1,          // older than newest - allowed_lateness
  rejected_time_out_of_range = 2  // outside [min_time_us, max_time_us]
};
inline constexpr std::size_t ingest_outcome_count = 3;

[[nodiscard]] constexpr std::string_view to_string(ingest_outcome o) noexcept {
  switch (o) {
    case ingest_outcome::accepted: return "accepted";
    case ingest_outcome::rejected_too_late: return "rejected_too_late";
    case ingest_outcome::rejected_time_out_of_range: return "rejected_time_out_of_range";
  }
  return "unknown";
}

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
  template <class Archive>
  void serialize(Archive& ar) {
    ar(by_outcome);
  }
};

namespace online_internal {

// One aggregate's state: the window part plus the values of the entity's newest
// instant, which a query at exactly that instant must exclude.
template <class Agg>
struct aggregate_state {
  using window_type = typename aggregate_traits<Agg>::window;
  window_state<parts_of_v<Agg>, window_type> window;
  detail::small_vector<double, 1> head;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(window, head);
  }
};

template <class Tuple>
struct states_of;
template <class... Aggs>
struct states_of<std::tuple<Aggs...>> {
  using type = std::tuple<aggregate_state<Aggs>...>;
};

}  // namespace online_internal

template <class FS>
class evaluator {
 public:
  using feature_set_type = FS;
  using key_type = typename FS::key_type;
  using event_type = typename FS::event_type;
  using aggregates_type = decltype(std::declval<const FS&>().aggregates());
  static constexpr std::size_t size = FS::size;
  static constexpr std::size_t aggregate_count = FS::aggregate_count;

  struct entity_state {
    std::int64_t newest = 0;
    // No query will ask for a time before this one (advance_to).
    std::int64_t horizon = std::numeric_limits<std::int64_t>::min();
    typename online_internal::states_of<aggregates_type>::type aggs;
    // The earliest time a query may still ask for.
    [[nodiscard]] std::int64_t floor() const noexcept { return std::max(newest, horizon); }
    template <class Archive>
    void serialize(Archive& ar) {
      ar(newest, horizon, aggs);
    }
  };

  explicit evaluator(const FS& fs) : fs_(fs), aggs_(fs.aggregates()) {}

  [[nodiscard]] const FS& definition() const noexcept { return fs_; }
  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fs_.fingerprint(); }
  [[nodiscard]] const ingest_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t entity_count() const noexcept { return entities_.size(); }

  // Applies one event, or rejects it (leaving every state as it was) and counts why.
  [[nodiscard]] ingest_outcome ingest(const event_type& e) {
    const std::int64_t t = FS::time_of(e);
    if (t < min_time_us || t > max_time_us) return count(ingest_outcome::rejected_time_out_of_range);
    auto it = entities_.find(FS::key_of(e));
    if (it == entities_.end()) {
      it = entities_.try_emplace(FS::key_of(e)).first;
      it->second.newest = t;
      it->second.horizon = horizon_;
    } else if (t < it->second.newest && it->second.newest - t > fs_.allowed_lateness_us) {
      return count(ingest_outcome::rejected_too_late);
    }
    apply(it->second, e, t);
    return count(ingest_outcome::accepted);
  }

  // Features of `key` as of t_us (events with ts < t_us). An entity never seen gets the
  // empty-window values (0 for count and sum, NaN otherwise).
  [[nodiscard]] absl::Status features(const key_type& key, std::int64_t t_us,
                                      feature_vector<FS>& out) const {
    if (t_us < min_time_us || t_us > max_time_us) {
      return absl::InvalidArgumentError(
          absl::StrCat("skewless: query time ", t_us, " us is outside the supported range"));
    }
    std::array<double, aggregate_count + 1> values{};
    const auto it = entities_.find(key);
    if (it == entities_.end()) {
      if (t_us < horizon_) {
        return absl::FailedPreconditionError(absl::StrCat(
            "skewless: online query at T=", t_us, " us is before the time the state was "
            "advanced to (", horizon_, " us). Use skewless::batch::evaluate for past times."));
      }
      fill_empty(values.data(), t_us);
    } else {
      if (t_us < it->second.floor()) {
        const bool by_event = it->second.newest >= it->second.horizon;
        return absl::FailedPreconditionError(absl::StrCat(
            "skewless: online query at T=", t_us, " us is before ",
            by_event ? "the entity's newest ingested event (" : "the time the state was advanced to (",
            it->second.floor(), " us); online state answers T >= that. Use "
            "skewless::batch::evaluate for past times."));
      }
      fill(it->second, values.data(), t_us);
    }
    [&]<std::size_t... F>(std::index_sequence<F...>) {
      ((out[static_cast<Eigen::Index>(F)] =
            eval_feature<FS::template aggregate_offset<F>>(std::get<F>(fs_.features).expr,
                                                           values.data())),
       ...);
    }(std::make_index_sequence<size>{});
    return absl::OkStatus();
  }

  // Declares that no query will ask for a time before t_us, for every entity: drops the
  // window entries only earlier queries could see. Later queries before t_us fail.
  [[nodiscard]] absl::Status advance_to(std::int64_t t_us) {
    if (t_us < min_time_us || t_us > max_time_us) {
      return absl::InvalidArgumentError(
          absl::StrCat("skewless: advance_to(", t_us, " us) is outside the supported range"));
    }
    horizon_ = std::max(horizon_, t_us);
    for (auto& [k, st] : entities_) advance(st, t_us);
    return absl::OkStatus();
  }
  // The same for one entity.
  [[nodiscard]] absl::Status advance_to(const key_type& key, std::int64_t t_us) {
    if (t_us < min_time_us || t_us > max_time_us) {
      return absl::InvalidArgumentError(
          absl::StrCat("skewless: advance_to(", t_us, " us) is outside the supported range"));
    }
    if (auto it = entities_.find(key); it != entities_.end()) advance(it->second, t_us);
    return absl::OkStatus();
  }

  // Time-typed overload (e.g. absl::Time) for sets whose time field is not int64.
  template <class Time>
    requires(!std::is_same_v<Time, std::int64_t> && std::is_same_v<Time, typename FS::time_type>)
  [[nodiscard]] absl::Status features(const key_type& key, Time t, feature_vector<FS>& out) const {
    return features(key, time_traits<Time>::to_micros(t), out);
  }

  // Bytes of heap memory held by per-entity window buffers (not counting the map).
  [[nodiscard]] std::size_t state_heap_bytes() const noexcept {
    std::size_t b = 0;
    for (const auto& [k, st] : entities_) {
      std::apply([&](const auto&... s) { ((b += s.window.heap_bytes() + s.head.heap_bytes()), ...); },
                 st.aggs);
    }
    return b;
  }

  // For serial/: entities in key order (so snapshots are byte-deterministic).
  template <class Archive>
  void save(Archive& ar) const {
    std::vector<const typename decltype(entities_)::value_type*> sorted;
    sorted.reserve(entities_.size());
    for (const auto& kv : entities_) sorted.push_back(&kv);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    ar(counters_, horizon_, static_cast<std::uint64_t>(sorted.size()));
    for (const auto* kv : sorted) ar(kv->first, kv->second);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint64_t n = 0;
    ar(counters_, horizon_, n);
    entities_.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      key_type k{};
      entity_state st;
      ar(k, st);
      if (!entities_.emplace(std::move(k), std::move(st)).second) {
        throw std::runtime_error("skewless: duplicate entity in snapshot");
      }
    }
  }

 private:
  ingest_outcome count(ingest_outcome o) noexcept {
    ++counters_.by_outcome[static_cast<std::size_t>(o)];
    return o;
  }

  void apply(entity_state& st, const event_type& e, std::int64_t t) {
    const std::int64_t newest = st.newest;
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (apply_one(std::get<A>(aggs_), std::get<A>(st.aggs), e, t, newest, st.horizon), ...);
    }(std::make_index_sequence<aggregate_count>{});
    st.newest = std::max(newest, t);
  }

  // Entries older than window_start(floor) are invisible to every query still allowed,
  // where floor = max(newest, horizon) is the earliest time a query may ask for.
  template <class Agg, class State>
  static void apply_one(const Agg& a, State& s, const event_type& e, std::int64_t t,
                        std::int64_t newest, std::int64_t horizon) {
    const auto v = entry_value(a, e);
    if (t > newest) {
      // The old newest instant is now strictly in the past: move it into the window.
      for (double h : s.head) s.window.insert(timed_value{newest, h});
      s.head.clear();
      s.window.evict_before(window_start(a.window, std::max(t, horizon)));
      if (v) s.head.push_back(*v);
    } else if (t == newest) {
      if (v) s.head.push_back(*v);
    } else if (v && t >= window_start(a.window, std::max(newest, horizon))) {
      s.window.insert(timed_value{t, *v});  // late but within lateness: in place
    }
  }

  void advance(entity_state& st, std::int64_t t) {
    if (t <= st.horizon) return;
    st.horizon = t;
    if (t <= st.newest) return;  // the newest instant is still visible-or-not by T
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (advance_one(std::get<A>(aggs_), std::get<A>(st.aggs), st.newest, t), ...);
    }(std::make_index_sequence<aggregate_count>{});
  }

  // Every query is now after the newest instant, so its values belong in the window.
  template <class Agg, class State>
  static void advance_one(const Agg& a, State& s, std::int64_t newest, std::int64_t t) {
    for (double h : s.head) s.window.insert(timed_value{newest, h});
    s.head.clear();
    s.window.evict_before(window_start(a.window, t));
  }

  void fill(const entity_state& st, double* values, std::int64_t t) const {
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      ((values[A] = value_of(std::get<A>(aggs_), std::get<A>(st.aggs), st.newest, t)), ...);
    }(std::make_index_sequence<aggregate_count>{});
  }

  template <class Agg, class State>
  static double value_of(const Agg& a, const State& s, std::int64_t newest, std::int64_t t) {
    constexpr unsigned parts = parts_of_v<Agg>;
    window_parts p;
    exact_sum scratch;
    s.window.query(p, scratch, a.window, t);
    if (t > newest && !s.head.empty() && newest >= window_start(a.window, t)) {
      if constexpr ((parts & part::sum) != 0) {
        if (p.sum != &scratch) {
          scratch = *p.sum;
          p.sum = &scratch;
        }
        for (double h : s.head) scratch.add(h);
      }
      for (double h : s.head) fold_parts<parts>(p, timed_value{newest, h});
    }
    if constexpr ((parts & part::sum) != 0) {
      if (p.sum == nullptr) p.sum = &scratch;  // empty window
    }
    return aggregate_kernel<kind_of_t<Agg>>::finalize(p, t);
  }

  void fill_empty(double* values, std::int64_t t) const {
    static const exact_sum zero;
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      ((values[A] = [&] {
         window_parts p;
         p.sum = &zero;
         return aggregate_kernel<kind_of_t<std::tuple_element_t<A, aggregates_type>>>::finalize(p, t);
       }()),
       ...);
    }(std::make_index_sequence<aggregate_count>{});
  }

  FS fs_;
  aggregates_type aggs_;
  // Node-based: an entity's state is allocated once and never moved by a rehash
  // (states are hundreds of bytes; moving them on growth dominated ingest).
  absl::node_hash_map<key_type, entity_state> entities_;
  ingest_counters counters_;
  // advance_to(t) for all entities: new entities start with this horizon.
  std::int64_t horizon_ = std::numeric_limits<std::int64_t>::min();
};

template <class FS>
evaluator(const FS&) -> evaluator<FS>;

}  // namespace skewless::inline v1::online
