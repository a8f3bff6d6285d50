// skewless/online/parts_window.hpp — one aggregate's window state, for aggregates computed from parts.
//
// parts_window<Parts, Window> keeps exactly what the parts need over the entries of the
// window that every allowed query may see in full — those older than the entity's
// earliest allowed query time, less the window's lag; newer entries wait in the
// aggregate's `held` list (see evaluator.hpp), because a query at that time must not
// see them. Insertion accepts any order (late events land in place), eviction drops
// what no future query can see, and queries are const, so one state serves any T at
// or after the entity's floor.
//
//   parts_window<part::sum | part::count, tiled_window> s;
//   s.insert(w, {ts, 2.5});
//   s.evict_before(window_start(w, floor));
//   window_parts p; parts_scratch<part::sum | part::count> scratch;
//   s.query(p, scratch, w, t);   // then finalize(aggregate, p, t)
//
// State per entity, for each window: tiled(W, H) keeps at most W/H + 1 tile partials
// whatever the event rate; last_n(n) keeps n entries; lifetime() keeps the parts only;
// sliding(W) keeps a monotonic queue for min/max and the newest entry for last() —
// every other sliding-window aggregate lives in a stream group (stream_group.hpp),
// which keeps the entries in W once for all the aggregates that read them.
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

namespace skewless::inline v1::online {

// A window kind without a specialisation fails to compile (online_internal::no_state_for).
template <unsigned Parts, class Window> class parts_window : online_internal::no_state_for<Window> {};

// lifetime(): nothing ever leaves, so every part is a running fold.
template <unsigned Parts> class parts_window<Parts, lifetime_window> {
 public:
  void insert(const lifetime_window&, timed_value e) {
    sums_.add(e.value);
    fold_parts<Parts & ~part::count>(parts_, e);
  }
  void evict_before(std::int64_t) noexcept {}

  void query(window_parts& p, parts_scratch<Parts>&, const lifetime_window&, std::int64_t) const noexcept {
    p = parts_;
    sums_.export_to(p);
  }
  // Adds these entries to parts p of other entries (sums through the scratch).
  void merge_into(window_parts& p, parts_scratch<Parts>& scratch) const {
    if constexpr ((Parts & (part::sum | part::sum2)) != 0) {
      scratch.own(p);
      scratch.sums.merge(sums_);
      p.count = scratch.sums.count;
    } else {
      p.count += sums_.count;
    }
    if (parts_.min) fold_min(p.min, *parts_.min);
    if (parts_.max) fold_max(p.max, *parts_.max);
    if (parts_.first) fold_first(p.first, *parts_.first);
    if (parts_.last) fold_last(p.last, *parts_.last);
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return sums_.heap_bytes(); }

  template <class Archive> void serialize(Archive& ar) {
    ar(sums_);
    detail::optional_field(ar, parts_.min);
    detail::optional_field(ar, parts_.max);
    detail::optional_field(ar, parts_.first);
    detail::optional_field(ar, parts_.last);
  }
  // Entries are before `release`: what ingest leaves in a lifetime window.
  template <class Valid> void check(const lifetime_window&, std::int64_t, std::int64_t release, Valid valid) const {
    online_internal::check_sums(sums_);
    online_internal::check_order_parts<Parts | part::count>(parts_, sums_.count,
                                                            std::numeric_limits<std::int64_t>::min(), release, valid);
  }

 private:
  sums_of<Parts> sums_;
  window_parts parts_;  // the order parts
};

// sliding(W) and sliding(W).ending(D) for aggregates that need no entries: min and
// max keep a monotonic queue, `last` (last, time_since_last) only the newest entry,
// since every older one leaves the window before it does. Every other aggregate over a
// sliding window keeps its entries in a stream group (stream_group.hpp), shared with
// the other aggregates that read the same stream.
template <unsigned Parts> class parts_window<Parts, sliding_window> {
  static_assert((Parts & ~(part::min | part::max | part::last)) == 0,
                "skewless: sliding-window aggregates that need their entries live in a "
                "stream_group (skewless/online/stream_group.hpp).");
  static constexpr bool has_min = (Parts & part::min) != 0;
  static constexpr bool has_max = (Parts & part::max) != 0;
  static constexpr bool has_last = (Parts & part::last) != 0;
  using min_queue = online_internal::extremum_queue<total_order_lt>;
  using max_queue = online_internal::extremum_queue<total_order_gt>;
  template <bool B, class T> using maybe = kernels_internal::maybe<B, T>;

 public:
  void insert(const sliding_window&, timed_value e) {
    if constexpr (has_last) {
      if (!newest_ || event_order_less(*newest_, e)) newest_ = e;
    }
    if constexpr (has_min) min_.insert(e);
    if constexpr (has_max) max_.insert(e);
  }
  void evict_before(std::int64_t ts) noexcept {
    if constexpr (has_last) {
      if (newest_ && newest_->ts < ts) newest_.reset();
    }
    if constexpr (has_min) min_.evict_before(ts);
    if constexpr (has_max) max_.evict_before(ts);
  }
  // Every stored entry is before window_end(w, t): it is older than the entity's floor
  // less the lag.
  void query(window_parts& p, parts_scratch<Parts>&, const sliding_window& w, std::int64_t t) const {
    const std::int64_t start = window_start(w, t);
    if constexpr (has_last) {
      if (newest_ && newest_->ts >= start) p.last = *newest_;
    }
    if constexpr (has_min) {
      if (const auto b = min_.best_since(start)) p.min = b->value;
    }
    if constexpr (has_max) {
      if (const auto b = max_.best_since(start)) p.max = b->value;
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = 0;
    if constexpr (has_min) b += min_.heap_bytes();
    if constexpr (has_max) b += max_.heap_bytes();
    return b;
  }
  template <class Archive> void serialize(Archive& ar) {
    if constexpr (has_last) detail::optional_field(ar, newest_);
    ar(min_, max_);
  }
  // Entries are in [window_start(w, floor), release).
  template <class Valid>
  void check(const sliding_window& w, std::int64_t floor, std::int64_t release, Valid valid) const {
    const std::int64_t start = window_start(w, floor);
    if constexpr (has_last) {
      if (newest_) online_internal::check_entry_in(*newest_, start, release, valid);
    }
    if constexpr (has_min) min_.check(start, release, valid);
    if constexpr (has_max) max_.check(start, release, valid);
  }

 private:
  [[no_unique_address]] maybe<has_last, std::optional<timed_value>> newest_;
  [[no_unique_address]] maybe<has_min, min_queue> min_;
  [[no_unique_address]] maybe<has_max, max_queue> max_;
};

// tiled(W, H): one partial per epoch-aligned tile that has events — count, exact sums,
// min, max, first and last of its entries — plus the sums over all stored tiles. The
// window's start is tile-aligned, so a query drops whole tiles: sums by subtracting the
// (few) expired tiles from the total, the order parts by merging the live tiles.
// Tiles before window_start(floor) are evicted, so at most W/H + 1 are ever stored.
template <unsigned Parts> class parts_window<Parts, tiled_window> {
  static constexpr bool has_min = (Parts & part::min) != 0;
  static constexpr bool has_max = (Parts & part::max) != 0;
  static constexpr bool has_first = (Parts & part::first) != 0;
  static constexpr bool has_last = (Parts & part::last) != 0;
  template <bool B, class T> using maybe = kernels_internal::maybe<B, T>;

 public:
  struct tile {
    std::int64_t start_ts = 0;  // tile index * hop
    sums_of<Parts> sums;
    [[no_unique_address]] maybe<has_min, double> min{};
    [[no_unique_address]] maybe<has_max, double> max{};
    [[no_unique_address]] maybe<has_first, timed_value> first{};
    [[no_unique_address]] maybe<has_last, timed_value> last{};

    void fold(timed_value e) noexcept {
      if constexpr (has_min) min = total_order_min(min, e.value);
      if constexpr (has_max) max = total_order_max(max, e.value);
      if constexpr (has_first) {
        if (event_order_less(e, first)) first = e;
      }
      if constexpr (has_last) {
        if (event_order_less(last, e)) last = e;
      }
    }
    template <class Archive> void serialize(Archive& ar) { ar(start_ts, sums, min, max, first, last); }
  };

  void insert(const tiled_window& w, timed_value e) {
    // Usually the newest tile; a late event finds its tile (or a new one) in place.
    const std::size_t i = online_internal::tile_index(tiles_, tile_of(w, e.ts) * w.hop_us, [&] {
      tile fresh;
      fresh.start_ts = tile_of(w, e.ts) * w.hop_us;
      if constexpr (has_min) fresh.min = e.value;
      if constexpr (has_max) fresh.max = e.value;
      if constexpr (has_first) fresh.first = e;
      if constexpr (has_last) fresh.last = e;
      return fresh;
    });
    tiles_[i].sums.add(e.value);
    tiles_[i].fold(e);
    total_.add(e.value);
  }

  void evict_before(std::int64_t ts) {
    online_internal::evict_tiles(tiles_, ts, [&](const tile& x) { total_.subtract(x.sums); });
  }

  void query(window_parts& p, parts_scratch<Parts>& scratch, const tiled_window& w, std::int64_t t) const {
    const std::int64_t start = window_start(w, t);
    const std::size_t lo = tiles_.partition_point([&](const tile& x) { return x.start_ts < start; });
    if (lo == tiles_.size()) {
      empty_parts(p);
      return;
    }
    online_internal::sums_from(
        p, scratch, total_, tiles_, lo, [](sums_of<Parts>& x, const tile& y) { x.subtract(y.sums); },
        [](sums_of<Parts>& x, const tile& y) { x.merge(y.sums); });
    if constexpr (has_min || has_max) {
      for (std::size_t i = lo; i < tiles_.size(); ++i) {
        if constexpr (has_min) fold_min(p.min, tiles_[i].min);
        if constexpr (has_max) fold_max(p.max, tiles_[i].max);
      }
    }
    if constexpr (has_first) p.first = tiles_[lo].first;
    if constexpr (has_last) p.last = tiles_.back().last;
  }

  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = tiles_.heap_bytes() + total_.heap_bytes();
    for (const auto& x : tiles_) b += x.sums.heap_bytes();
    return b;
  }

  template <class Archive> void save(Archive& ar) const { ar(tiles_); }
  // The sums over all tiles are rebuilt by check(), once the tiles are known to be valid
  // (merging unchecked tiles could overflow).
  template <class Archive> void load(Archive& ar) {
    ar(tiles_);
    total_ = sums_of<Parts>{};
  }
  // Tiles epoch-aligned, in order, within [window_start(w, floor), release), none
  // empty, each tile's parts those of entries within it; then the total.
  template <class Valid> void check(const tiled_window& w, std::int64_t floor, std::int64_t release, Valid valid) {
    const std::int64_t start = window_start(w, floor);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < tiles_.size(); ++i) {
      const tile& x = tiles_[i];
      online_internal::check_tile_start(w, x.start_ts, start, release, i == 0 ? nullptr : &tiles_[i - 1].start_ts);
      if (x.sums.count == 0) detail::corrupt("has an empty tile");
      if (__builtin_add_overflow(total, x.sums.count, &total) || total > (std::uint64_t{1} << 62)) {
        detail::corrupt("has counts that overflow");
      }
      online_internal::check_sums(x.sums);
      window_parts p;
      if constexpr (has_min) p.min = x.min;
      if constexpr (has_max) p.max = x.max;
      if constexpr (has_first) p.first = x.first;
      if constexpr (has_last) p.last = x.last;
      online_internal::check_order_parts<Parts | part::count>(p, x.sums.count, x.start_ts,
                                                              std::min(x.start_ts + w.hop_us, release), valid);
    }
    total_ = sums_of<Parts>{};
    for (const auto& x : tiles_) total_.merge(x.sums);
  }

 private:
  detail::queue_vector<tile> tiles_;  // by start_ts, only tiles with entries
  sums_of<Parts> total_;              // over every stored tile
};

// last_n(n): the n greatest places (entries and no_entry) in (ts, value) order, with
// sums over their entries. A query takes the `take` newest of them (the rest of the
// window is held by the evaluator).
template <unsigned Parts> class parts_window<Parts, last_n_window> {
 public:
  void insert(const last_n_window& w, timed_value e) {
    online_internal::insert_place(
        slots_, w.n, e,
        [&](timed_value x) {
          if (!is_no_entry(x.value)) sums_.add(x.value);
        },
        [&](timed_value x) {
          if (!is_no_entry(x.value)) sums_.remove(x.value);
        });
  }
  void evict_before(std::int64_t) noexcept {}

  // Parts of the `take` newest places.
  void query_newest(window_parts& p, parts_scratch<Parts>& scratch, std::size_t take) const {
    const std::size_t lo = slots_.size() > take ? slots_.size() - take : 0;
    online_internal::sums_from(
        p, scratch, sums_, slots_, lo,
        [](sums_of<Parts>& x, const timed_value& e) {
          if (!is_no_entry(e.value)) x.remove(e.value);
        },
        [](sums_of<Parts>& x, const timed_value& e) {
          if (!is_no_entry(e.value)) x.add(e.value);
        });
    if constexpr ((Parts & (part::min | part::max | part::first | part::last)) != 0) {
      for (std::size_t i = lo; i < slots_.size(); ++i) {
        if (!is_no_entry(slots_[i].value)) fold_parts<Parts & ~part::count>(p, slots_[i]);
      }
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return slots_.heap_bytes() + sums_.heap_bytes(); }

  template <class Archive> void save(Archive& ar) const { ar(slots_); }
  template <class Archive> void load(Archive& ar) {
    ar(slots_);
    sums_ = sums_of<Parts>{};
    for (const auto& x : slots_) {
      if (!is_no_entry(x.value)) sums_.add(x.value);
    }
  }
  // At most n places, in event order, before `release`.
  template <class Valid> void check(const last_n_window& w, std::int64_t, std::int64_t release, Valid valid) const {
    if (slots_.size() > w.n) detail::corrupt("keeps more places than last_n's n");
    online_internal::check_sorted_entries(slots_, std::numeric_limits<std::int64_t>::min(), release, valid);
  }

 private:
  detail::queue_vector<timed_value> slots_;
  sums_of<Parts> sums_;
};

}  // namespace skewless::inline v1::online
