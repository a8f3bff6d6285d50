// skewless/online/window_state.hpp — per-entity incremental state of one aggregate.
//
// window_state<Parts, Window> keeps exactly what the parts need over the events of the
// window that are strictly older than the entity's newest event; events at the newest
// time wait in the aggregate's `head` (see evaluator.hpp) because a query at T equal to
// that time must not see them. Insertion accepts any order (late events land in
// place), eviction drops what no future query can see, and queries are const, so one
// state serves any T at or after the newest event.
//
//   window_state<part::sum | part::count, sliding_window> s;
//   s.insert({ts, 2.5});
//   s.evict_before(window_start(w, newest));
//   window_parts p; exact_sum scratch;
//   s.query(p, scratch, w, t);   // then aggregate_kernel<agg::mean>::finalize(p, t)
#pragma once

#include <skewless/detail/queue_vector.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>

namespace skewless::inline v1::online {

namespace online_internal {

struct nothing {
  template <class Archive>
  void serialize(Archive&) {}
};

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
  // The best value among entries with ts >= start.
  [[nodiscard]] std::optional<double> best_since(std::int64_t start) const {
    if (q_.empty()) return std::nullopt;
    if (front_.ts >= start) return front_.value;  // the common case: no heap access
    const std::size_t i =
        q_.partition_point_from_front([&](const timed_value& x) { return x.ts < start; });
    if (i == q_.size()) return std::nullopt;
    return q_[i].value;
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return q_.heap_bytes(); }
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
                "sliding(W) or lifetime().");
};

// lifetime(): nothing ever leaves, so every part is a running fold.
template <unsigned Parts>
class window_state<Parts, lifetime_window> {
  static constexpr bool has_sum = (Parts & part::sum) != 0;

 public:
  void insert(timed_value e) noexcept {
    if constexpr (has_sum) sum_.add(e.value);
    fold_parts<Parts>(parts_, e);
  }
  void evict_before(std::int64_t) noexcept {}

  void query(window_parts& p, exact_sum&, const lifetime_window&, std::int64_t) const noexcept {
    p = parts_;
    if constexpr (has_sum) p.sum = &sum_;
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return 0; }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(parts_.count, parts_.min, parts_.max, parts_.first, parts_.last, sum_);
  }

 private:
  window_parts parts_;
  [[no_unique_address]] std::conditional_t<has_sum, exact_sum, online_internal::nothing> sum_;
};

// sliding(W): the window's entries in (ts, value) order, an exact sum over them for
// subtract-on-evict, and extremum queues for min and max.
template <unsigned Parts>
class window_state<Parts, sliding_window> {
  static constexpr bool has_sum = (Parts & part::sum) != 0;
  static constexpr bool has_min = (Parts & part::min) != 0;
  static constexpr bool has_max = (Parts & part::max) != 0;
  static constexpr bool has_entries =
      (Parts & (part::count | part::sum | part::first | part::last)) != 0;
  using min_queue = online_internal::extremum_queue<online_internal::less_total_order>;
  using max_queue = online_internal::extremum_queue<online_internal::greater_total_order>;

 public:
  void insert(timed_value e) {
    if constexpr (has_entries) {
      // Usually at the back; a late event goes to its place in (ts, value) order.
      std::size_t i = entries_.size();
      while (i > 0 && event_order_less(e, entries_[i - 1])) --i;
      entries_.insert(i, e);
      if (i == 0) front_ts_ = e.ts;  // the front changes only when e lands first
    }
    if constexpr (has_sum) sum_.add(e.value);
    if constexpr (has_min) min_.insert(e);
    if constexpr (has_max) max_.insert(e);
  }

  void evict_before(std::int64_t ts) noexcept {
    if constexpr (has_entries) {
      while (!entries_.empty() && entries_.front().ts < ts) {
        if constexpr (has_sum) sum_.remove(entries_.front().value);
        entries_.pop_front();
      }
      if (!entries_.empty()) front_ts_ = entries_.front().ts;
    }
    if constexpr (has_min) min_.evict_before(ts);
    if constexpr (has_max) max_.evict_before(ts);
  }

  // Parts of the entries with window_start(w, t) <= ts. Every stored entry is older
  // than the entity's newest event, hence older than t.
  void query(window_parts& p, exact_sum& scratch, const sliding_window& w,
             std::int64_t t) const {
    const std::int64_t start = window_start(w, t);
    if constexpr (has_entries) {
      // Usually nothing has expired: decided from the inline copy of the front's time.
      const std::size_t lo =
          entries_.empty() || front_ts_ >= start
              ? 0
              : entries_.partition_point_from_front([&](const timed_value& x) { return x.ts < start; });
      p.count = entries_.size() - lo;
      if (lo < entries_.size()) {  // heap reads only for the parts this aggregate needs
        if constexpr ((Parts & part::first) != 0) p.first = entries_[lo];
        if constexpr ((Parts & part::last) != 0) p.last = entries_.back();
      }
      if constexpr (has_sum) {
        if (lo == 0) {
          p.sum = &sum_;
        } else if (2 * lo <= entries_.size()) {  // subtract the expired prefix
          scratch = sum_;
          for (std::size_t i = 0; i < lo; ++i) scratch.remove(entries_[i].value);
          p.sum = &scratch;
        } else {  // or add up the live suffix, whichever is shorter
          scratch = exact_sum{};
          for (std::size_t i = lo; i < entries_.size(); ++i) scratch.add(entries_[i].value);
          p.sum = &scratch;
        }
      }
    }
    if constexpr (has_min) p.min = min_.best_since(start);
    if constexpr (has_max) p.max = max_.best_since(start);
  }

  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = 0;
    if constexpr (has_entries) b += entries_.heap_bytes();
    if constexpr (has_min) b += min_.heap_bytes();
    if constexpr (has_max) b += max_.heap_bytes();
    return b;
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(entries_, sum_, min_, max_);
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(entries_, sum_, min_, max_);
    if constexpr (has_entries) {
      if (!entries_.empty()) front_ts_ = entries_.front().ts;
    }
  }

 private:
  template <bool B, class T>
  using maybe = std::conditional_t<B, T, online_internal::nothing>;
  [[no_unique_address]] maybe<has_entries, detail::queue_vector<timed_value>> entries_;
  [[no_unique_address]] maybe<has_sum, exact_sum> sum_;
  [[no_unique_address]] maybe<has_min, min_queue> min_;
  [[no_unique_address]] maybe<has_max, max_queue> max_;
  std::int64_t front_ts_ = 0;  // entries_.front().ts when entries_ is not empty
};

}  // namespace skewless::inline v1::online
