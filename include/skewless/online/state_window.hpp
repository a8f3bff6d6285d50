// skewless/online/state_window.hpp — one aggregate's window state, for aggregates with a state of their own.
//
// state_window<S, Window> keeps what makes the aggregate's state S (an order-free,
// mergeable summary: first_k, distinct counts, sketches, frequencies, decays) for any
// allowed query: S itself over lifetime(), one S per tile for tiled(W, H) (with a
// running merge or two stacks, so a read merges O(1) states), and the entries for
// sliding(W) and last_n(n). Held entries and the floor work as in parts_window.hpp.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/detail/queue_vector.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/online/internal/restore_checks.hpp>
#include <skewless/online/internal/sequences.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace skewless::inline v1::online {

namespace online_internal {
// What overlay_query writes, as a copy: the base copied, then changed in place. The
// plain query of a window reads through it, so the rule for when a read takes entries
// or tiles out of a running state is written once per window.
template <class S> struct copy_of {
  S* out;
  void reset(const S& base) const { *out = base; }
  void remove(timed_value e) const {
    if constexpr (invertible_state<S>) out->remove(e);
  }
  void unmerge(const S& o) const {
    if constexpr (unmergeable_state<S>) out->unmerge(o);
  }
};
}  // namespace online_internal

// state_window<S, Window> keeps what makes S for any allowed query: S itself over
// lifetime(), one S per tile for tiled(W, H), and the entries for sliding(W) and
// last_n(n), from which a query builds S (a state is not invertible, so expired entries
// cannot be taken out of it). query() leaves the window's S in `out`.

// A window kind without a specialisation fails to compile (online_internal::no_state_for).
template <class S, class Window> class state_window : online_internal::no_state_for<Window> {};

template <class S> class state_window<S, lifetime_window> {
 public:
  void insert(const lifetime_window&, timed_value e) { total_.add(e); }
  void evict_before(std::int64_t) noexcept {}
  void query(S& out, const lifetime_window&, std::int64_t) const { out = total_; }
  // As query, as an overlay of the total (no copy); true when it did.
  template <class Overlay> [[nodiscard]] bool overlay_query(Overlay& out, const lifetime_window&, std::int64_t) const {
    out.reset(total_);
    return true;
  }
  template <class Out> void merge_into(Out& out) const { out.merge(total_); }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return total_.heap_bytes(); }
  template <class Archive> void serialize(Archive& ar) { ar(total_); }
  template <class Valid> void check(const lifetime_window&, std::int64_t, std::int64_t release, Valid) const {
    total_.check(std::numeric_limits<std::int64_t>::min(), release);
  }

 private:
  S total_;
};

// sliding(W): the entries; an invertible state is also kept over all of them (added on
// insert, removed on evict), and a read takes out the few expired ones or adds up the
// live ones, whichever touches fewer — the same rule as sums_from for the parts.
template <class S> class state_window<S, sliding_window> {
  static constexpr bool invertible = invertible_state<S>;

 public:
  void insert(const sliding_window&, timed_value e) {
    online_internal::insert_in_order(entries_, e);
    if constexpr (invertible) total_.add(e);
  }
  void evict_before(std::int64_t ts) {
    while (!entries_.empty() && entries_.front().ts < ts) {
      if constexpr (invertible) total_.remove(entries_.front());
      entries_.pop_front();
    }
  }
  void query(S& out, const sliding_window& w, std::int64_t t) const {
    if (overlay_query(online_internal::copy_of<S>{&out}, w, t)) return;
    out = S{};
    std::size_t from = first_live(w, t), to = entries_.size();
    needed_range<S>(from, to);
    for (std::size_t i = from; i < to; ++i) out.add(entries_[i]);
  }
  // The running state less the expired entries, into `out` (an overlay of it, or a copy
  // for query); false when building from the live entries touches fewer (or the state
  // cannot remove): then the read builds it.
  template <class Overlay>
  [[nodiscard]] bool overlay_query(Overlay&& out, const sliding_window& w, std::int64_t t) const {
    if constexpr (!invertible) {
      return false;
    } else {
      const std::size_t lo = first_live(w, t);
      if (2 * lo > entries_.size()) return false;
      out.reset(total_);
      for (std::size_t i = 0; i < lo; ++i) out.remove(entries_[i]);
      return true;
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = entries_.heap_bytes();
    if constexpr (invertible) b += total_.heap_bytes();
    return b;
  }
  template <class Archive> void save(Archive& ar) const { ar(entries_); }
  template <class Archive> void load(Archive& ar) {
    ar(entries_);
    if constexpr (invertible) {
      // Times are checked before they reach the state's arithmetic (a decayed sum's
      // tick of an unaccepted time would overflow); the rest in check().
      for (const auto& e : entries_) {
        if (!in_time_range(e.ts) || std::isnan(e.value)) detail::corrupt("has an invalid entry");
      }
      total_ = S{};
      for (const auto& e : entries_) total_.add(e);
    }
  }
  template <class Valid>
  void check(const sliding_window& w, std::int64_t floor, std::int64_t release, Valid valid) const {
    online_internal::check_sorted_entries(entries_, window_start(w, floor), release, valid);
  }

 private:
  // The first entry a read at t sees.
  [[nodiscard]] std::size_t first_live(const sliding_window& w, std::int64_t t) const {
    const std::int64_t start = window_start(w, t);
    return entries_.partition_point_from_front([&](const timed_value& x) { return x.ts < start; });
  }

  detail::queue_vector<timed_value> entries_;
  [[no_unique_address]] kernels_internal::maybe<invertible, S> total_;
};

// tiled(W, H): one S per tile, and what lets a read merge O(1) states instead of W/H:
// - a state whose merges can be taken out again (counts: frequencies, distinct values,
//   DDSketch) keeps the merge of all its tiles; a read takes out the few tiles that
//   left the window since the floor, or merges the live ones, whichever touches fewer;
// - any other state (HyperLogLog, first_k / last_k, decayed ticks) keeps two stacks
//   (Two-Stacks Lite; Tangwongsan, Hirzel, Schneider, VLDBJ 2021): for the oldest
//   tiles ("front") the merge of each one with every later front tile, and the merge of
//   the rest ("back"). A read is front[lo] merged with back. Evicting pops the front;
//   when it is empty, all tiles but the newest (which still takes events) move to it,
//   O(W/H) merges once per W/H evictions. A late event in a front tile updates the
//   front merges up to it.
// States merge exactly, so every grouping gives the same state and the same bits. The
// extra merges are rebuilt from the tiles on restore (after the tiles are checked) and
// are not in snapshots.
template <class S> class state_window<S, tiled_window> {
  static constexpr bool running = unmergeable_state<S>;

 public:
  struct tile {
    std::int64_t start_ts = 0;
    S state;
    template <class Archive> void serialize(Archive& ar) { ar(start_ts, state); }
  };
  void insert(const tiled_window& w, timed_value e) {
    const std::int64_t start = tile_of(w, e.ts) * w.hop_us;
    const std::size_t before = tiles_.size();
    const std::size_t j = online_internal::tile_index(tiles_, start, [&] { return tile{start, S{}}; });
    tiles_[j].state.add(e);
    if constexpr (running) {
      total_.add(e);
    } else if (j >= front_.size()) {
      back_.add(e);
    } else {
      if (tiles_.size() != before) {  // a new tile inside the front: its merge starts as the next one's
        S next = front_[j];
        front_.insert(j, next);
      }
      for (std::size_t i = 0; i <= j; ++i) front_[i].add(e);
    }
  }
  void evict_before(std::int64_t ts) {
    online_internal::evict_tiles(tiles_, ts, [&](const tile& x) {
      if constexpr (running) {
        total_.unmerge(x.state);
      } else {
        if (front_.empty()) flip();
        if (front_.empty()) {
          back_ = S{};  // the newest tile, the last one left, goes
        } else {
          front_.pop_front();
        }
      }
    });
    if constexpr (!running) {
      if (tiles_.empty()) front_.clear();
    }
  }
  void query(S& out, const tiled_window& w, std::int64_t t) const {
    if (overlay_query(online_internal::copy_of<S>{&out}, w, t)) return;
    const std::size_t lo = first_live(w, t);
    if constexpr (!running) {
      if (lo < front_.size()) {
        out = front_[lo];
        out.merge(back_);
        return;
      }
      if (lo == front_.size()) {
        out = back_;
        return;
      }
    }
    out = S{};
    for (std::size_t i = lo; i < tiles_.size(); ++i) out.merge(tiles_[i].state);
  }
  // The merge of all tiles less the ones that left, into `out` (an overlay of it, or a
  // copy for query); false when merging the live tiles touches fewer, or there is no
  // running merge.
  template <class Overlay>
  [[nodiscard]] bool overlay_query(Overlay&& out, const tiled_window& w, std::int64_t t) const {
    if constexpr (!running) {
      return false;
    } else {
      const std::size_t lo = first_live(w, t);
      if (2 * lo > tiles_.size()) return false;
      out.reset(total_);
      for (std::size_t i = 0; i < lo; ++i) out.unmerge(tiles_[i].state);
      return true;
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = tiles_.heap_bytes();
    for (const auto& x : tiles_) b += x.state.heap_bytes();
    if constexpr (running) {
      b += total_.heap_bytes();
    } else {
      b += front_.heap_bytes() + back_.heap_bytes();
      for (const auto& x : front_) b += x.heap_bytes();
    }
    return b;
  }
  template <class Archive> void save(Archive& ar) const { ar(tiles_); }
  template <class Archive> void load(Archive& ar) { ar(tiles_); }
  // After load: the tiles are checked, then the merges are rebuilt from them.
  template <class Valid> void check(const tiled_window& w, std::int64_t floor, std::int64_t release, Valid) {
    const std::int64_t start = window_start(w, floor);
    for (std::size_t i = 0; i < tiles_.size(); ++i) {
      const tile& x = tiles_[i];
      online_internal::check_tile_start(w, x.start_ts, start, release, i == 0 ? nullptr : &tiles_[i - 1].start_ts);
      if (x.state.empty()) detail::corrupt("has an empty tile");
      x.state.check(x.start_ts, std::min(x.start_ts + w.hop_us, release));
    }
    if constexpr (running) {
      total_ = S{};
      for (const auto& x : tiles_) total_.merge_checked(x.state);
    } else {
      front_.clear();
      back_ = S{};
      for (const auto& x : tiles_) back_.merge(x.state);
    }
  }

 private:
  // The first tile a read at t sees.
  [[nodiscard]] std::size_t first_live(const tiled_window& w, std::int64_t t) const {
    const std::int64_t start = window_start(w, t);
    return tiles_.partition_point([&](const tile& x) { return x.start_ts < start; });
  }
  // Front merges for all tiles but the newest; the back is emptied.
  void flip() {
    const std::size_t n = tiles_.size() - 1;
    std::vector<S> merged(n);
    for (std::size_t i = n; i-- > 0;) {
      merged[i] = tiles_[i].state;
      if (i + 1 < n) merged[i].merge(merged[i + 1]);
    }
    front_.clear();
    for (S& x : merged) front_.push_back(std::move(x));
    back_ = tiles_[n].state;
  }

  detail::queue_vector<tile> tiles_;                                 // by start_ts, only tiles with entries
  [[no_unique_address]] kernels_internal::maybe<running, S> total_;  // the merge of all tiles
  // Two stacks: front_[i] merges tiles [i, front_.size()); back_ the tiles after them.
  [[no_unique_address]] kernels_internal::maybe<!running, detail::queue_vector<S>> front_;
  [[no_unique_address]] kernels_internal::maybe<!running, S> back_;
};

template <class S> class state_window<S, last_n_window> {
 public:
  void insert(const last_n_window& w, timed_value e) {
    online_internal::insert_place(slots_, w.n, e, [](timed_value) {}, [](timed_value) {});
  }
  void evict_before(std::int64_t) noexcept {}
  // S of the `take` newest places.
  void query_newest(S& out, std::size_t take) const {
    out = S{};
    for (std::size_t i = slots_.size() > take ? slots_.size() - take : 0; i < slots_.size(); ++i) {
      if (!is_no_entry(slots_[i].value)) out.add(slots_[i]);  // places, not entries: all
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return slots_.heap_bytes(); }
  template <class Archive> void serialize(Archive& ar) { ar(slots_); }
  template <class Valid> void check(const last_n_window& w, std::int64_t, std::int64_t release, Valid valid) const {
    if (slots_.size() > w.n) detail::corrupt("keeps more places than last_n's n");
    online_internal::check_sorted_entries(slots_, std::numeric_limits<std::int64_t>::min(), release, valid);
  }

 private:
  detail::queue_vector<timed_value> slots_;
};

}  // namespace skewless::inline v1::online
