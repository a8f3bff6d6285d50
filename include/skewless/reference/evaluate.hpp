// skewless/reference/evaluate.hpp — the oracle: recompute every row from scratch.
//
// For each spine row and each aggregate, the reference evaluator takes the events of
// the row's key whose time is in the window's range, selects what each puts in the
// window with window_slot() (sorting them and keeping the n most recent for last_n),
// folds them into fresh parts or a fresh state and finalizes. Nothing is shared between
// rows or aggregates and nothing is incremental: obviously right. The only speed-up is
// an index built once — a copy of the events grouped by key, each key's sorted by time —
// so a row costs the events of its key in the window's range, not every event of the
// input (it holds a second copy of the events while it runs). It shares no code with
// the batch or online evaluators beyond the kernels (what each aggregate means).
// Ship it in your own tests to check your definitions against batch and online.
// With a TTL (feature_set::with_ttl) a row sees only its key's current life.
//
//   auto expected = skewless::reference::evaluate(features, events, spine);
//   auto actual = skewless::batch::evaluate(features, events, spine);
//   // compare bit patterns of expected and actual.values
#pragma once

#include <skewless/expr/key.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/types.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::reference {

namespace reference_internal {

// The events grouped by key, each key's sorted by time (ties in input order: their
// order never matters), held as copies so a key's events are contiguous in memory.
template <class FS> class event_index {
 public:
  using key_type = typename FS::key_type;
  using event_type = typename FS::event_type;
  struct timed_event {
    std::int64_t ts;
    event_type event;
  };
  using run = std::span<const timed_event>;

  template <class Events> explicit event_index(const Events& events) {
    struct keyed {
      key_type key;
      std::int64_t ts;
      std::size_t at;
    };
    std::vector<keyed> order;
    std::vector<const event_type*> at;
    for (const event_type& e : events) {
      const std::int64_t ts = FS::time_of(e);
      if (!in_time_range(ts)) continue;  // left out, as every back-end leaves it out
      order.push_back({FS::key_of(e), ts, at.size()});
      at.push_back(&e);
    }
    std::sort(order.begin(), order.end(), [](const keyed& x, const keyed& y) {
      if (x.key != y.key) return x.key < y.key;
      return x.ts != y.ts ? x.ts < y.ts : x.at < y.at;
    });
    events_.reserve(order.size());
    for (const keyed& k : order) {
      auto [it, first] = by_key_.try_emplace(k.key, events_.size(), events_.size());
      it->second.second = events_.size() + 1;
      events_.push_back({k.ts, *at[k.at]});
    }
  }

  // The events of `key`, sorted by time; empty for a key without events.
  template <class K> [[nodiscard]] run of(const K& key) const {
    const auto it = [&] {
      if constexpr (std::is_same_v<key_type, std::string>) return by_key_.find(std::string_view(key));
      else return by_key_.find(static_cast<key_type>(key));
    }();
    if (it == by_key_.end()) return {};
    return run(events_).subspan(it->second.first, it->second.second - it->second.first);
  }

 private:
  std::vector<timed_event> events_;
  std::map<key_type, std::pair<std::size_t, std::size_t>, std::less<>> by_key_;  // [begin, end)
};

// With a TTL, the events a row at t sees: those of the key's life that is current at
// t. Among the events before t, sorted by time, a gap longer than the TTL starts a new
// life; the current one is the last, unless its newest event is more than the TTL
// before t (the entity has expired: no events). Without a TTL, all of them.
template <class Run> Run current_life(Run events, std::int64_t t, std::int64_t ttl) {
  if (ttl <= 0) return events;
  std::size_t hi = 0;
  while (hi < events.size() && events[hi].ts < t) ++hi;
  const auto gap = static_cast<std::uint64_t>(ttl);
  if (hi == 0 || later_by_more_than(t, events[hi - 1].ts, gap)) return {};
  std::size_t lo = hi - 1;
  while (lo > 0 && !later_by_more_than(events[lo].ts, events[lo - 1].ts, gap)) --lo;
  return events.subspan(lo, hi - lo);
}

// Writes aggregate a's values at t into out, from the events of one key sorted by time.
template <class Agg, class Run> void aggregate_values(const Agg& a, const Run& events, std::int64_t t, double* out) {
  // Fresh parts, or a fresh state, that the window's entries are folded into.
  constexpr unsigned parts = parts_of_v<Agg>;
  window_parts p;
  sums_of<parts> sums;
  state_or_absent_t<Agg> state;
  auto add = [&](timed_value e) {
    if constexpr (has_state_v<Agg>) {
      state.add(e);
    } else {
      sums.add(e.value);
      fold_parts<parts & ~part::count>(p, e);
    }
  };

  // The events in the window's time range [start, end).
  const std::int64_t start = window_start(a.window, t);
  const std::int64_t end = window_end(a.window, t);
  auto ts_less = [](const auto& e, std::int64_t v) { return e.ts < v; };
  std::size_t lo =
      static_cast<std::size_t>(std::lower_bound(events.begin(), events.end(), start, ts_less) - events.begin());
  const std::size_t hi =
      static_cast<std::size_t>(std::lower_bound(events.begin(), events.end(), end, ts_less) - events.begin());
  if constexpr (counts_events_v<typename aggregate_traits<Agg>::window>) {
    // The window keeps the n greatest events in event order, with what each puts in
    // it (an entry, or no_entry); they are among the events at or after the time of
    // the n-th newest, ties included.
    const std::size_t n = window_max_events(a.window);
    if (hi - lo > n) {
      lo = hi - n;
      while (lo > 0 && events[lo - 1].ts == events[lo].ts) --lo;
    }
    std::vector<timed_value> slots;
    for (std::size_t i = lo; i < hi; ++i) slots.push_back({events[i].ts, *window_slot(a, events[i].event)});
    std::sort(slots.begin(), slots.end(), event_order_less);
    for (std::size_t i = slots.size() > n ? slots.size() - n : 0; i < slots.size(); ++i) {
      if (!is_no_entry(slots[i].value)) add(slots[i]);
    }
  } else {
    for (std::size_t i = lo; i < hi; ++i) {
      if (const auto v = entry_value(a, events[i].event)) add({events[i].ts, *v});
    }
  }

  if constexpr (has_state_v<Agg>) {
    write_values(a, state, t, out);
  } else {
    sums.export_to(p);
    write_values(a, p, t, out);
  }
}

}  // namespace reference_internal

// Features of each spine row, recomputed from the raw events. The spine's key type is
// the key field's, or one that converts without changing a value (key_type_accepts).
// Events outside the accepted time range are left out; a row outside it is all NaN.
template <class FS, class Events, class Key>
[[nodiscard]] feature_matrix evaluate(const FS& fs, const Events& events, const std::vector<spine_row<Key>>& spine) {
  using event_type = typename FS::event_type;
  if constexpr (!expr_internal::check_key_argument<typename FS::key_type, Key>()) {
    return {};
  } else if constexpr (!std::is_same_v<std::ranges::range_reference_t<const Events&>, const event_type&>) {
    // The index points at the events: hold them in a vector first.
    std::vector<event_type> copy;
    for (const auto& e : events) copy.push_back(e);
    return evaluate(fs, copy, spine);
  } else {
    const reference_internal::event_index<FS> index(events);
    const auto aggs = fs.aggregates();
    constexpr std::size_t n_aggs = FS::aggregate_count;
    feature_matrix out(static_cast<Eigen::Index>(spine.size()), static_cast<Eigen::Index>(FS::size));
    std::array<double, FS::value_count + 1> values{};
    for (std::size_t r = 0; r < spine.size(); ++r) {
      const auto& row = spine[r];
      if (!in_time_range(row.time_us)) {  // no back-end answers outside the accepted range
        out.row(static_cast<Eigen::Index>(r)).setConstant(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      const auto events_of_key = reference_internal::current_life(index.of(row.key), row.time_us, fs.ttl_us);
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (reference_internal::aggregate_values(std::get<I>(aggs), events_of_key, row.time_us,
                                              values.data() + FS::aggregate_value_offsets[I]),
         ...);
      }(std::make_index_sequence<n_aggs>{});
      eval_columns(fs, values.data(), &out(static_cast<Eigen::Index>(r), 0));
    }
    return out;
  }
}

// The events themselves as the spine: one row per event, as of its own time.
template <class FS, class Events> [[nodiscard]] feature_matrix evaluate(const FS& fs, const Events& events) {
  std::vector<spine_row<typename FS::key_type>> spine;
  for (const auto& e : events) spine.push_back({FS::key_of(e), FS::time_of(e)});
  return evaluate(fs, events, spine);
}

}  // namespace skewless::inline v1::reference
