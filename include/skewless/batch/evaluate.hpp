// skewless/batch/evaluate.hpp — point-in-time-correct training sets from history.
//
// Events (in any order) and spine rows are partitioned by a hash of their key into
// buckets of a few thousand (a stable counting sort, in parallel over the input); each
// bucket is then sorted by (key, time) and evaluated on its own, buckets handed out
// largest first to the threads, so nothing runs on one thread but the last buckets and
// a hot key is started early. While partitioning, each event's entry is computed once
// per entry stream (aggregates whose value and filter are the same expression types
// read the same entries), so the sweeps never go back to the event structs.
//
// For each key, each stream's entries are swept once for all its windows while the
// spine rows advance in time: an entry is in a window once ts < window_end(T) (T, or
// T - D for a lagged window) until ts < window_start(T) (or, for last_n, until n newer
// events are in), so a row sees exactly the events strictly before its T — the
// point-in-time rule holds by construction. Each window is a range of the entries:
// its count is the range's length, its exact sums are differences of the key's prefix
// sums (kernels/fixed_prefix.hpp; or kept entry by entry when the key's values do not
// fit them), its min and max come from a monotonic stack the windows ending at T
// share, first and last from its ends. Aggregates with a state of their own (quantiles,
// distinct counts, ...) are swept alone. A row's value depends only on its key's
// events, never on the buckets or threads.
// With a TTL (feature_set::with_ttl) each key's events are split into lives first, and
// a row sees only the life current at its T (nothing once that life has expired).
// Events and rows outside the accepted time range (kernels/window.hpp) are left out and
// counted; such a row's values are NaN and result::status() names it.
//
//   auto training = skewless::batch::evaluate(features, events, spine);
//   training.values;    // Eigen row-major matrix: spine rows x features
//   training.columns;   // feature names
//
// The steps live in batch/internal/: plan.hpp (which entries each aggregate reads,
// which sweep computes it), partition.hpp (buckets, sorting, work items, lives),
// sweep.hpp (one key's streams swept for every window) and flow.hpp (the steps in
// order, as evaluate() below calls them); the result type is in batch/result.hpp.
#pragma once

#include <skewless/batch/internal/flow.hpp>
#include <skewless/batch/result.hpp>
#include <skewless/expr/key.hpp>
#include <skewless/types.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace skewless::inline v1::batch {

// Features of entity `key` as of `time_us` for each spine row, in spine order. Events
// may be any input range of the feature set's event struct, in any order (at most
// 2^32 - 1 of them, and of spine rows, per call: std::length_error otherwise). The spine's
// key type is the key field's (or one that converts without changing a value: see
// key_type_accepts).
template <class FS, std::ranges::input_range Events, class Key>
[[nodiscard]] result<FS> evaluate(const FS& fs, Events&& events, const std::vector<spine_row<Key>>& spine,
                                  const options& opt = {}) {
  using key_type = typename FS::key_type;
  using event_type = typename FS::event_type;
  using namespace batch_internal;
  static_assert(std::is_convertible_v<std::ranges::range_reference_t<Events>, const event_type&>,
                "skewless::batch::evaluate: the events must be a range of the feature "
                "set's event struct (e.g. std::vector<event>).");
  if constexpr (!expr_internal::check_key_argument<key_type, Key>()) {
    return {};
  } else if constexpr (!std::ranges::random_access_range<const std::remove_reference_t<Events>&> ||
                       !std::ranges::sized_range<const std::remove_reference_t<Events>&>) {
    // One pass to materialise; the sweep needs random access by index.
    std::vector<event_type> copy;
    for (const auto& e : events) copy.push_back(e);
    return evaluate(fs, copy, spine, opt);
  } else {
    const std::size_t n_events = std::ranges::size(events);
    if (n_events > std::numeric_limits<std::uint32_t>::max() ||
        spine.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error(
          "skewless::batch::evaluate: more than 2^32 - 1 events or spine rows in one call; split "
          "the keys into several calls (arrow::stream_training_set does so)");
    }
    result<FS> out;
    const batch_internal::flow<FS> f(fs, opt, n_events, spine, out);
    // 1. Partition: events and rows into buckets by key hash, each event's entries
    //    computed once per stream on the way.
    const auto events_in = f.partition_events(events, out);
    const auto rows_in = f.partition_rows(spine);
    // 2-4. Per bucket, largest first, on every thread: sort, split into keys (or lives),
    //      sweep each key's streams, gather its rows' values into the output.
    f.for_each_bucket(events_in, rows_in, [&](auto& s, const batch_internal::work_item& w) {
      f.evaluate_item(events_in, rows_in, s, w, out);
    });
    return out;
  }
}

// The events themselves as the spine: one row per event (in input order), as of the
// event's own time, so an event never sees itself or others at the same time.
template <class FS, std::ranges::input_range Events>
[[nodiscard]] result<FS> evaluate(const FS& fs, Events&& events, const options& opt = {}) {
  using ref = const std::remove_reference_t<Events>&;
  if constexpr (!std::ranges::random_access_range<ref> || !std::ranges::sized_range<ref>) {
    std::vector<typename FS::event_type> copy;
    for (const auto& e : events) copy.push_back(e);
    return evaluate(fs, copy, opt);
  } else {
    std::vector<spine_row<typename FS::key_type>> spine;
    spine.reserve(std::ranges::size(events));
    for (const auto& e : events) spine.push_back({FS::key_of(e), FS::time_of(e)});
    return evaluate(fs, events, spine, opt);
  }
}

}  // namespace skewless::inline v1::batch
