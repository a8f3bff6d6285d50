// skewless/online/internal/sequences.hpp — ordered entries, monotonic queues and tile rings for online windows.
//
// Internal to online/. The data structures the windows share: sums of a range of a
// sequence by the cheaper of two ways (sums_between), the extremum queue with in-place
// late insertion, insertion in event order, last_n places, and a ring of tiles.
#pragma once

#include <skewless/detail/queue_vector.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/total_order.hpp>
#include <skewless/kernels/window.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace skewless::inline v1::online::online_internal {

// The primary templates of both window families derive from this, so a window kind
// the online evaluator has no state for fails with one message naming both files.
template <class Window> struct no_state_for {
  static_assert(sizeof(Window) == 0,
                "skewless: the online evaluator has no state for this window kind. Add a "
                "parts_window<Parts, Window> specialisation in skewless/online/parts_window.hpp and a "
                "state_window<State, Window> one in skewless/online/state_window.hpp (and its batch "
                "sweep), or use sliding(W), tiled(W, H), last_n(n) or lifetime().");
};

// The sums of items [lo, hi) of a sequence, given `total`, their sums over [tlo, thi):
// the total itself, the total adjusted at both ends, or the items added up afresh —
// whichever touches fewer items — exported to p (through `scratch` unless it is the
// total). remove/add apply one item to a sums_of. The scratch may hold more parts than
// the total (a stream-group member reading the sums it rides on).
template <class Scratch, class Sums, class Seq, class Remove, class Add>
void sums_between(window_parts& p, Scratch& scratch, const Sums& total, const Seq& seq, std::size_t tlo,
                  std::size_t thi, std::size_t lo, std::size_t hi, Remove remove, Add add) {
  if (lo == tlo && hi == thi) {
    total.export_to(p);
    return;
  }
  const auto gap = [](std::size_t a, std::size_t b) { return a > b ? a - b : b - a; };
  const bool overlap = lo <= thi && tlo <= hi;
  if (overlap && gap(lo, tlo) + gap(hi, thi) <= hi - lo) {
    scratch.assign(total);
    for (std::size_t i = tlo; i < lo; ++i) remove(scratch, seq[i]);
    for (std::size_t i = lo; i < tlo; ++i) add(scratch, seq[i]);
    for (std::size_t i = thi; i < hi; ++i) add(scratch, seq[i]);
    for (std::size_t i = hi; i < thi; ++i) remove(scratch, seq[i]);
  } else {
    scratch = Scratch{};
    for (std::size_t i = lo; i < hi; ++i) add(scratch, seq[i]);
  }
  scratch.export_to(p);
}

// The sums of items [lo, n) of a sequence whose sums in full are `total`.
template <unsigned Parts, class Seq, class Remove, class Add>
void sums_from(window_parts& p, parts_scratch<Parts>& scratch, const sums_of<Parts>& total, const Seq& seq,
               std::size_t lo, Remove remove, Add add) {
  sums_between(p, scratch.sums, total, seq, 0, seq.size(), lo, seq.size(), remove, add);
}

// Sliding min or max under late insertion: entries sorted by time whose values are
// strictly decreasing in `Better` order; an entry is dropped once a newer-or-equal
// entry is at least as good, since it can never again be the best of a window.
// (The monotonic deque of sliding-window extrema, extended to in-place insertion.)
template <class Better> class extremum_queue {
 public:
  void insert(timed_value e) {
    const std::size_t q = q_.partition_point([&](const timed_value& x) { return x.ts < e.ts; });
    if (q < q_.size() && !Better{}(e.value, q_[q].value)) return;  // dominated
    // e is better than every entry of its own time (q_[q] is the best of them), so it
    // drops those as well as the older ones that are no better: then the state does not
    // depend on the order in which entries of one time arrive.
    std::size_t r = q;
    while (r < q_.size() && q_[r].ts == e.ts) ++r;
    std::size_t j = q;
    while (j > 0 && !Better{}(q_[j - 1].value, e.value)) --j;
    if (j < r) {
      q_[j] = e;
      q_.erase(j + 1, r);
    } else {
      q_.insert(q, e);
    }
    if (j == 0) front_ = e;  // the front changes only when e lands first
  }
  void evict_before(std::int64_t ts) noexcept {
    while (!q_.empty() && q_.front().ts < ts) q_.pop_front();
    if (!q_.empty()) front_ = q_.front();
  }
  // The best entry among those with ts >= start.
  [[nodiscard]] std::optional<timed_value> best_since(std::int64_t start) const {
    if (q_.empty()) return std::nullopt;
    if (front_.ts >= start) return front_;  // the common case: no heap access
    const std::size_t i = q_.partition_point_from_front([&](const timed_value& x) { return x.ts < start; });
    if (i == q_.size()) return std::nullopt;
    return q_[i];
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return q_.heap_bytes(); }
  // What insert and evict_before keep: times non-decreasing within [start, release)
  // (insert now keeps one entry per time, but snapshots written before it may hold a
  // worse entry after a better one of its own time), values strictly worse from the
  // front on.
  template <class Valid> void check(std::int64_t start, std::int64_t release, Valid valid) const {
    for (std::size_t i = 0; i < q_.size(); ++i) {
      check_entry_in(q_[i], start, release, valid);
      if (i > 0 && !(q_[i - 1].ts <= q_[i].ts && Better{}(q_[i - 1].value, q_[i].value))) {
        detail::corrupt("has a min/max queue out of order");
      }
    }
  }
  template <class Archive> void save(Archive& ar) const { ar(q_); }
  template <class Archive> void load(Archive& ar) {
    ar(q_);
    if (!q_.empty()) front_ = q_.front();
  }

 private:
  detail::queue_vector<timed_value> q_;
  timed_value front_{};  // a copy of q_.front() when q_ is not empty
};

// The first index from which every element of seq is `after` (a predicate false on a
// prefix, true on the rest), galloping from the back: O(log d) for d elements after,
// so an event in order finds its place with one comparison and a late one with few.
template <class Seq, class After> std::size_t first_after_from_back(const Seq& seq, After after) {
  std::size_t lo = 0, hi = seq.size(), step = 1;  // [hi, size) are after; [0, lo) are not
  while (hi > lo) {
    const std::size_t probe = hi - std::min(step, hi - lo);
    if (!after(seq[probe])) {
      lo = probe + 1;
      break;
    }
    hi = probe;
    step *= 2;
  }
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (after(seq[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Inserts e into a sequence kept in event order — usually at the back; a late event
// goes to its place — and returns its index.
template <class Seq> std::size_t insert_in_order(Seq& seq, timed_value e) {
  const std::size_t i = first_after_from_back(seq, [&](const timed_value& x) { return event_order_less(e, x); });
  seq.insert(i, e);
  return i;
}

// last_n(n): keeps e if it is among the n greatest places; `added(e)` when it is kept,
// `removed(x)` for the place it pushes out.
template <class Seq, class Added, class Removed>
void insert_place(Seq& slots, std::size_t n, timed_value e, Added added, Removed removed) {
  const std::size_t i = first_after_from_back(slots, [&](const timed_value& x) { return event_order_less(e, x); });
  if (slots.size() >= n && i == 0) return;  // older than every kept place
  slots.insert(i, e);
  added(e);
  if (slots.size() > n) {
    removed(slots.front());
    slots.pop_front();
  }
}

// tiled(W, H): the index of the tile starting at `start`, inserted (by make()) in
// start order if there is none yet.
template <class Tiles, class Make> std::size_t tile_index(Tiles& tiles, std::int64_t start, Make make) {
  const std::size_t i = first_after_from_back(tiles, [&](const auto& x) { return x.start_ts > start; });
  if (i > 0 && tiles[i - 1].start_ts == start) return i - 1;
  tiles.insert(i, make());
  return i;
}

// Drops tiles that start before ts, calling dropped(tile) for each; compacts the
// buffer when any left (once per hop), holding memory to the live tiles.
template <class Tiles, class Dropped> void evict_tiles(Tiles& tiles, std::int64_t ts, Dropped dropped) {
  bool popped = false;
  while (!tiles.empty() && tiles.front().start_ts < ts) {
    dropped(tiles.front());
    tiles.pop_front();
    popped = true;
  }
  if (popped) tiles.compact();
}

}  // namespace skewless::inline v1::online::online_internal
