// skewless/online/internal/restore_checks.hpp — what a restore checks of a window's entries, sums and tiles.
//
// Internal to online/. Every invariant ingest maintains, checked on the state a snapshot
// decodes (the restore principle, serial/snapshot.hpp); each throws on a violation, which
// the snapshot reader turns into a refusal of the whole file.
#pragma once

#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace skewless::inline v1::online::online_internal {

// ---- what a restore checks: every invariant ingest maintains (snapshot.hpp) ----------

// An entry at an accepted time in [from, to) whose value `valid` accepts as one ingest
// could have stored (valid(double) throws otherwise).
template <class Valid> void check_entry_in(const timed_value& e, std::int64_t from, std::int64_t to, Valid valid) {
  if (!(e.ts >= from && e.ts < to) || !in_time_range(e.ts)) {
    detail::corrupt("has an entry outside its window's time range");
  }
  valid(e.value);
}

// Entries in event order (equal neighbours allowed) within [from, to).
template <class Seq, class Valid>
void check_sorted_entries(const Seq& seq, std::int64_t from, std::int64_t to, Valid valid) {
  for (std::size_t i = 0; i < seq.size(); ++i) {
    check_entry_in(seq[i], from, to, valid);
    if (i > 0 && event_order_less(seq[i], seq[i - 1])) detail::corrupt("has entries out of order");
  }
}

// Sums over `count` entries: exactly zero over none, and no more infinities or NaNs in
// them than entries (each entry adds at most one of each).
template <unsigned Parts> void check_sums(const sums_of<Parts>& s) {
  if constexpr (sums_of<Parts>::has_sum) {
    if ((s.count == 0 && !s.sum.is_zero()) || !s.sum.specials_at_most(s.count)) {
      detail::corrupt("has a sum that its entries cannot make");
    }
  }
  if constexpr (sums_of<Parts>::has_sum2) {
    if ((s.count == 0 && !s.sum2.is_zero()) || !s.sum2.specials_at_most(s.count)) {
      detail::corrupt("has a sum of squares that its entries cannot make");
    }
  }
}

// The order parts (min, max, first, last) of `count` entries in [from, to): present
// exactly when there are entries (when the count is kept), valid values, min <= max,
// first <= last, and first and last within [min, max].
template <unsigned Parts, class Valid>
void check_order_parts(const window_parts& p, std::uint64_t count, std::int64_t from, std::int64_t to, Valid valid) {
  constexpr bool has_count = (Parts & part::count) != 0;
  const auto present = [&](bool has) {
    if (has_count && has != (count != 0)) detail::corrupt("has order parts that disagree with its count");
  };
  if constexpr ((Parts & part::min) != 0) {
    present(p.min.has_value());
    if (p.min) valid(*p.min);
  }
  if constexpr ((Parts & part::max) != 0) {
    present(p.max.has_value());
    if (p.max) valid(*p.max);
  }
  if constexpr ((Parts & part::first) != 0) {
    present(p.first.has_value());
    if (p.first) check_entry_in(*p.first, from, to, valid);
  }
  if constexpr ((Parts & part::last) != 0) {
    present(p.last.has_value());
    if (p.last) check_entry_in(*p.last, from, to, valid);
  }
  if (p.min && p.max && total_order_less(*p.max, *p.min)) detail::corrupt("has min above max");
  if (p.first && p.last && event_order_less(*p.last, *p.first)) detail::corrupt("has first after last");
  for (const auto& e : {p.first, p.last}) {
    if (!e) continue;
    if ((p.min && total_order_less(e->value, *p.min)) || (p.max && total_order_less(*p.max, e->value))) {
      detail::corrupt("has first or last outside [min, max]");
    }
  }
}

// A tile's start: a multiple of the hop, within [start, release), after the previous.
inline void check_tile_start(const tiled_window& w, std::int64_t tile_start, std::int64_t start, std::int64_t release,
                             const std::int64_t* previous) {
  // The tile of an accepted time starts at most one hop before it (checked first, so
  // the alignment check cannot overflow).
  if (tile_start <= min_time_us - w.hop_us || tile_start > max_time_us ||
      floor_div(tile_start, w.hop_us) * w.hop_us != tile_start) {
    detail::corrupt("has a tile that is not aligned to its hop");
  }
  if (tile_start < start || tile_start >= release) detail::corrupt("has a tile outside its window");
  if (previous != nullptr && *previous >= tile_start) detail::corrupt("has tiles out of order");
}

}  // namespace skewless::inline v1::online::online_internal
