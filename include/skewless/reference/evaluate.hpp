// skewless/reference/evaluate.hpp — the oracle: recompute every row from scratch.
//
// For each spine row and each aggregate, the reference evaluator scans every event,
// selects the window's events with in_window() and window_slot() (sorting them and
// keeping the n most recent for last_n), folds them into the parts and finalizes. No sorting, no incremental state,
// no sharing between rows: slow (rows x events x aggregates) and obviously right.
// Ship it in your own tests to check your definitions against batch and online.
//
//   auto expected = skewless::reference::evaluate(features, events, spine);
//   auto actual = skewless::batch::evaluate(features, events, spine);
//   // compare bit patterns of expected and actual.values
#pragma once

#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/types.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

namespace skewless::inline v1::reference {

namespace reference_internal {

// Writes aggregate a's values at t for `key` into out.
template <class Agg, class Events, class Key, class FS>
void aggregate_values(const FS&, const Agg& a, const Events& events, const Key& key,
                      std::int64_t t, double* out) {
  // Every event of the key in the window's time range, with what it puts in the window.
  std::vector<timed_value> slots;
  for (const auto& e : events) {
    if (!(FS::key_of(e) == key)) continue;
    const std::int64_t ts = FS::time_of(e);
    if (!in_window(a.window, ts, t)) continue;
    if (const auto v = window_slot(a, e)) slots.push_back({ts, *v});
  }
  // A window that counts events keeps the n greatest in event order.
  std::size_t from = 0;
  if constexpr (counts_events_v<typename aggregate_traits<Agg>::window>) {
    std::sort(slots.begin(), slots.end(), event_order_less);
    const std::size_t n = window_max_events(a.window);
    if (slots.size() > n) from = slots.size() - n;
  }
  if constexpr (has_state_v<Agg>) {
    state_of_t<Agg> state;
    for (std::size_t i = from; i < slots.size(); ++i) {
      if (!is_no_entry(slots[i].value)) state.add(slots[i]);
    }
    write_values(a, state, t, out);
  } else {
    constexpr unsigned parts = parts_of_v<Agg>;
    window_parts p;
    sums_of<parts> sums;
    for (std::size_t i = from; i < slots.size(); ++i) {
      if (is_no_entry(slots[i].value)) continue;
      sums.add(slots[i].value);
      fold_parts<parts & ~part::count>(p, slots[i]);
    }
    sums.export_to(p);
    write_values(a, p, t, out);
  }
}

}  // namespace reference_internal

// Features of each spine row, recomputed from the raw events.
template <class FS, class Events, class Key>
[[nodiscard]] feature_matrix evaluate(const FS& fs, const Events& events,
                                      const std::vector<spine_row<Key>>& spine) {
  const auto aggs = fs.aggregates();
  constexpr std::size_t n_aggs = FS::aggregate_count;
  feature_matrix out(static_cast<Eigen::Index>(spine.size()), static_cast<Eigen::Index>(FS::size));
  std::array<double, FS::value_count + 1> values{};
  for (std::size_t r = 0; r < spine.size(); ++r) {
    const auto& row = spine[r];
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (reference_internal::aggregate_values(fs, std::get<I>(aggs), events, row.key, row.time_us,
                                            values.data() + FS::aggregate_value_offsets[I]),
       ...);
    }(std::make_index_sequence<n_aggs>{});
    fs.eval_columns(values.data(), &out(static_cast<Eigen::Index>(r), 0));
  }
  return out;
}

// The events themselves as the spine: one row per event, as of its own time.
template <class FS, class Events>
[[nodiscard]] feature_matrix evaluate(const FS& fs, const Events& events) {
  std::vector<spine_row<typename FS::key_type>> spine;
  for (const auto& e : events) spine.push_back({FS::key_of(e), FS::time_of(e)});
  return evaluate(fs, events, spine);
}

}  // namespace skewless::inline v1::reference
