// skewless/online/window_state.hpp — per-entity incremental state of one aggregate.
//
// window_state<Parts, Window> keeps exactly what the parts need over the entries of the
// window that every allowed query may see in full — those older than the entity's
// earliest allowed query time, less the window's lag; newer entries wait in the
// aggregate's `held` list (see evaluator.hpp), because a query at that time must not
// see them. Insertion accepts any order (late events land in place), eviction drops
// what no future query can see, and queries are const, so one state serves any T at
// or after the entity's floor.
//
//   window_state<part::sum | part::count, tiled_window> s;
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

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace skewless::inline v1::online {

namespace online_internal {

// ---- what a restore checks: every invariant ingest maintains (snapshot.hpp) ----------

// An entry at an accepted time in [from, to) whose value `valid` accepts as one ingest
// could have stored (valid(double) throws otherwise).
template <class Valid>
void check_entry_in(const timed_value& e, std::int64_t from, std::int64_t to, Valid valid) {
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
template <unsigned Parts>
void check_sums(const sums_of<Parts>& s) {
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
void check_order_parts(const window_parts& p, std::uint64_t count, std::int64_t from, std::int64_t to,
                       Valid valid) {
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
inline void check_tile_start(const tiled_window& w, std::int64_t tile_start, std::int64_t start,
                             std::int64_t release, const std::int64_t* previous) {
  // The tile of an accepted time starts at most one hop before it (checked first, so
  // the alignment check cannot overflow).
  if (tile_start <= min_time_us - w.hop_us || tile_start > max_time_us ||
      floor_div(tile_start, w.hop_us) * w.hop_us != tile_start) {
    detail::corrupt("has a tile that is not aligned to its hop");
  }
  if (tile_start < start || tile_start >= release) detail::corrupt("has a tile outside its window");
  if (previous != nullptr && *previous >= tile_start) detail::corrupt("has tiles out of order");
}

// The sums of items [lo, hi) of a sequence, given `total`, their sums over [tlo, thi):
// the total itself, the total adjusted at both ends, or the items added up afresh —
// whichever touches fewer items — exported to p (through `scratch` unless it is the
// total). remove/add apply one item to a sums_of. The scratch may hold more parts than
// the total (a stream-group member reading the sums it rides on).
template <class Scratch, class Sums, class Seq, class Remove, class Add>
void sums_between(window_parts& p, Scratch& scratch, const Sums& total, const Seq& seq,
                  std::size_t tlo, std::size_t thi, std::size_t lo, std::size_t hi, Remove remove,
                  Add add) {
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
void sums_from(window_parts& p, parts_scratch<Parts>& scratch, const sums_of<Parts>& total,
               const Seq& seq, std::size_t lo, Remove remove, Add add) {
  sums_between(p, scratch.sums, total, seq, 0, seq.size(), lo, seq.size(), remove, add);
}

// Sliding min or max under late insertion: entries sorted by time whose values are
// strictly decreasing in `Better` order; an entry is dropped once a newer-or-equal
// entry is at least as good, since it can never again be the best of a window.
// (The monotonic deque of sliding-window extrema, extended to in-place insertion.)
template <class Better>
class extremum_queue {
 public:
  void insert(timed_value e) {
    std::size_t q = q_.partition_point([&](const timed_value& x) { return x.ts < e.ts; });
    if (q < q_.size() && !Better{}(e.value, q_[q].value)) return;  // dominated
    std::size_t j = q;
    while (j > 0 && !Better{}(q_[j - 1].value, e.value)) --j;
    if (j < q) {
      q_[j] = e;
      q_.erase(j + 1, q);
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
    const std::size_t i =
        q_.partition_point_from_front([&](const timed_value& x) { return x.ts < start; });
    if (i == q_.size()) return std::nullopt;
    return q_[i];
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return q_.heap_bytes(); }
  // What insert and evict_before keep: times non-decreasing within [start, release)
  // (a better late entry may land just before a worse one of its own time), values
  // strictly worse from the front on.
  template <class Valid>
  void check(std::int64_t start, std::int64_t release, Valid valid) const {
    for (std::size_t i = 0; i < q_.size(); ++i) {
      check_entry_in(q_[i], start, release, valid);
      if (i > 0 && !(q_[i - 1].ts <= q_[i].ts && Better{}(q_[i - 1].value, q_[i].value))) {
        detail::corrupt("has a min/max queue out of order");
      }
    }
  }
  template <class Archive>
  void save(Archive& ar) const {
    ar(q_);
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(q_);
    if (!q_.empty()) front_ = q_.front();
  }

 private:
  detail::queue_vector<timed_value> q_;
  timed_value front_{};  // a copy of q_.front() when q_ is not empty
};

// Inserts e into a sequence kept in event order — usually at the back; a late event
// goes to its place — and returns its index.
template <class Seq>
std::size_t insert_in_order(Seq& seq, timed_value e) {
  std::size_t i = seq.size();
  while (i > 0 && event_order_less(e, seq[i - 1])) --i;
  seq.insert(i, e);
  return i;
}

// last_n(n): keeps e if it is among the n greatest places; `added(e)` when it is kept,
// `removed(x)` for the place it pushes out.
template <class Seq, class Added, class Removed>
void insert_place(Seq& slots, std::size_t n, timed_value e, Added added, Removed removed) {
  std::size_t i = slots.size();
  while (i > 0 && event_order_less(e, slots[i - 1])) --i;
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
template <class Tiles, class Make>
std::size_t tile_index(Tiles& tiles, std::int64_t start, Make make) {
  std::size_t i = tiles.size();
  while (i > 0 && tiles[i - 1].start_ts > start) --i;
  if (i > 0 && tiles[i - 1].start_ts == start) return i - 1;
  tiles.insert(i, make());
  return i;
}

// Drops tiles that start before ts, calling dropped(tile) for each; compacts the
// buffer when any left (once per hop), holding memory to the live tiles.
template <class Tiles, class Dropped>
void evict_tiles(Tiles& tiles, std::int64_t ts, Dropped dropped) {
  bool popped = false;
  while (!tiles.empty() && tiles.front().start_ts < ts) {
    dropped(tiles.front());
    tiles.pop_front();
    popped = true;
  }
  if (popped) tiles.compact();
}

struct greater_total_order {
  bool operator()(double a, double b) const noexcept { return total_order_less(b, a); }
};
struct less_total_order {
  bool operator()(double a, double b) const noexcept { return total_order_less(a, b); }
};

}  // namespace online_internal

template <unsigned Parts, class Window>
class window_state {
  static_assert(sizeof(Window) == 0,
                "skewless: the online evaluator has no state for this window kind. Add a "
                "window_state<Parts, Window> specialisation in "
                "skewless/online/window_state.hpp (and its batch sweep), or use "
                "sliding(W), tiled(W, H), last_n(n) or lifetime().");
};

// lifetime(): nothing ever leaves, so every part is a running fold.
template <unsigned Parts>
class window_state<Parts, lifetime_window> {
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

  template <class Archive>
  void serialize(Archive& ar) {
    ar(sums_);
    detail::optional_field(ar, parts_.min);
    detail::optional_field(ar, parts_.max);
    detail::optional_field(ar, parts_.first);
    detail::optional_field(ar, parts_.last);
  }
  // Entries are before `release`: what ingest leaves in a lifetime window.
  template <class Valid>
  void check(const lifetime_window&, std::int64_t, std::int64_t release, Valid valid) const {
    online_internal::check_sums(sums_);
    online_internal::check_order_parts<Parts>(parts_, sums_.count, std::numeric_limits<std::int64_t>::min(),
                                              release, valid);
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
template <unsigned Parts>
class window_state<Parts, sliding_window> {
  static_assert((Parts & ~(part::min | part::max | part::last)) == 0,
                "skewless: sliding-window aggregates that need their entries live in a "
                "stream_group (skewless/online/stream_group.hpp).");
  static constexpr bool has_min = (Parts & part::min) != 0;
  static constexpr bool has_max = (Parts & part::max) != 0;
  static constexpr bool has_last = (Parts & part::last) != 0;
  using min_queue = online_internal::extremum_queue<online_internal::less_total_order>;
  using max_queue = online_internal::extremum_queue<online_internal::greater_total_order>;
  template <bool B, class T>
  using maybe = kernels_internal::maybe<B, T>;

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
  template <class Archive>
  void serialize(Archive& ar) {
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
template <unsigned Parts>
class window_state<Parts, tiled_window> {
  static constexpr bool has_min = (Parts & part::min) != 0;
  static constexpr bool has_max = (Parts & part::max) != 0;
  static constexpr bool has_first = (Parts & part::first) != 0;
  static constexpr bool has_last = (Parts & part::last) != 0;
  template <bool B, class T>
  using maybe = kernels_internal::maybe<B, T>;

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
    template <class Archive>
    void serialize(Archive& ar) {
      ar(start_ts, sums, min, max, first, last);
    }
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

  void query(window_parts& p, parts_scratch<Parts>& scratch, const tiled_window& w,
             std::int64_t t) const {
    const std::int64_t start = window_start(w, t);
    const std::size_t lo =
        tiles_.partition_point([&](const tile& x) { return x.start_ts < start; });
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

  template <class Archive>
  void save(Archive& ar) const {
    ar(tiles_);
  }
  // The sums over all tiles are rebuilt by check(), once the tiles are known to be valid
  // (merging unchecked tiles could overflow).
  template <class Archive>
  void load(Archive& ar) {
    ar(tiles_);
    total_ = sums_of<Parts>{};
  }
  // Tiles epoch-aligned, in order, within [window_start(w, floor), release), none
  // empty, each tile's parts those of entries within it; then the total.
  template <class Valid>
  void check(const tiled_window& w, std::int64_t floor, std::int64_t release, Valid valid) {
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
template <unsigned Parts>
class window_state<Parts, last_n_window> {
 public:
  void insert(const last_n_window& w, timed_value e) {
    online_internal::insert_place(
        slots_, w.n, e, [&](timed_value x) { if (!is_no_entry(x.value)) sums_.add(x.value); },
        [&](timed_value x) { if (!is_no_entry(x.value)) sums_.remove(x.value); });
  }
  void evict_before(std::int64_t) noexcept {}

  // Parts of the `take` newest places.
  void query_newest(window_parts& p, parts_scratch<Parts>& scratch, std::size_t take) const {
    const std::size_t lo = slots_.size() > take ? slots_.size() - take : 0;
    online_internal::sums_from(
        p, scratch, sums_, slots_, lo,
        [](sums_of<Parts>& x, const timed_value& e) { if (!is_no_entry(e.value)) x.remove(e.value); },
        [](sums_of<Parts>& x, const timed_value& e) { if (!is_no_entry(e.value)) x.add(e.value); });
    if constexpr ((Parts & (part::min | part::max | part::first | part::last)) != 0) {
      for (std::size_t i = lo; i < slots_.size(); ++i) {
        if (!is_no_entry(slots_[i].value)) fold_parts<Parts & ~part::count>(p, slots_[i]);
      }
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return slots_.heap_bytes() + sums_.heap_bytes(); }

  template <class Archive>
  void save(Archive& ar) const {
    ar(slots_);
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(slots_);
    sums_ = sums_of<Parts>{};
    for (const auto& x : slots_) {
      if (!is_no_entry(x.value)) sums_.add(x.value);
    }
  }
  // At most n places, in event order, before `release`.
  template <class Valid>
  void check(const last_n_window& w, std::int64_t, std::int64_t release, Valid valid) const {
    if (slots_.size() > w.n) detail::corrupt("keeps more places than last_n's n");
    online_internal::check_sorted_entries(slots_, std::numeric_limits<std::int64_t>::min(), release, valid);
  }

 private:
  detail::queue_vector<timed_value> slots_;
  sums_of<Parts> sums_;
};

// ---- windows of aggregates with a state of their own ---------------------------------

namespace online_internal {
// What overlay_query writes, as a copy: the base copied, then changed in place. The
// plain query of a window reads through it, so the rule for when a read takes entries
// or tiles out of a running state is written once per window.
template <class S>
struct copy_of {
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

template <class S, class Window>
class state_window;

template <class S>
class state_window<S, lifetime_window> {
 public:
  void insert(const lifetime_window&, timed_value e) { total_.add(e); }
  void evict_before(std::int64_t) noexcept {}
  void query(S& out, const lifetime_window&, std::int64_t) const { out = total_; }
  // As query, as an overlay of the total (no copy); true when it did.
  template <class Overlay>
  [[nodiscard]] bool overlay_query(Overlay& out, const lifetime_window&, std::int64_t) const {
    out.reset(total_);
    return true;
  }
  template <class Out>
  void merge_into(Out& out) const {
    out.merge(total_);
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return total_.heap_bytes(); }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(total_);
  }
  template <class Valid>
  void check(const lifetime_window&, std::int64_t, std::int64_t release, Valid) const {
    total_.check(std::numeric_limits<std::int64_t>::min(), release);
  }

 private:
  S total_;
};

// sliding(W): the entries; an invertible state is also kept over all of them (added on
// insert, removed on evict), and a read takes out the few expired ones or adds up the
// live ones, whichever touches fewer — the same rule as sums_from for the parts.
template <class S>
class state_window<S, sliding_window> {
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
  template <class Archive>
  void save(Archive& ar) const {
    ar(entries_);
  }
  template <class Archive>
  void load(Archive& ar) {
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
template <class S>
class state_window<S, tiled_window> {
  static constexpr bool running = unmergeable_state<S>;

 public:
  struct tile {
    std::int64_t start_ts = 0;
    S state;
    template <class Archive>
    void serialize(Archive& ar) {
      ar(start_ts, state);
    }
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
  template <class Archive>
  void save(Archive& ar) const {
    ar(tiles_);
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(tiles_);
  }
  // After load: the tiles are checked, then the merges are rebuilt from them.
  template <class Valid>
  void check(const tiled_window& w, std::int64_t floor, std::int64_t release, Valid) {
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

  detail::queue_vector<tile> tiles_;  // by start_ts, only tiles with entries
  [[no_unique_address]] kernels_internal::maybe<running, S> total_;  // the merge of all tiles
  // Two stacks: front_[i] merges tiles [i, front_.size()); back_ the tiles after them.
  [[no_unique_address]] kernels_internal::maybe<!running, detail::queue_vector<S>> front_;
  [[no_unique_address]] kernels_internal::maybe<!running, S> back_;
};

template <class S>
class state_window<S, last_n_window> {
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
  template <class Archive>
  void serialize(Archive& ar) {
    ar(slots_);
  }
  template <class Valid>
  void check(const last_n_window& w, std::int64_t, std::int64_t release, Valid valid) const {
    if (slots_.size() > w.n) detail::corrupt("keeps more places than last_n's n");
    online_internal::check_sorted_entries(slots_, std::numeric_limits<std::int64_t>::min(), release, valid);
  }

 private:
  detail::queue_vector<timed_value> slots_;
};

}  // namespace skewless::inline v1::online
