// skewless/online/internal/entity_slots.hpp — what one entity keeps per aggregate.
//
// Internal to online/. window_of<Agg> picks the aggregate's window family (parts or
// state); held_entries keeps the entries at or after the entity's floor less the
// window's lag, which the window may not take yet; aggregate_state is the two
// together; slots_of<Aggs> is the tuple of them an entity holds, empty for the
// aggregates that live in a stream group; write_window_values reads one at T.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/detail/queue_vector.hpp>
#include <skewless/detail/small_vector.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/online/internal/restore_checks.hpp>
#include <skewless/online/stream_group.hpp>
#include <skewless/online/window_state.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skewless::inline v1::online::online_internal {

// One aggregate's state: the window part, plus the entries the window may not take
// yet — those at or after the entity's floor (its earliest allowed query time) less
// the window's lag — which a query at T sees only when they are before window_end(T).
template <class Agg, bool = has_state_v<Agg>> struct window_of {
  using type = parts_window<parts_of_v<Agg>, typename aggregate_traits<Agg>::window>;
};
template <class Agg> struct window_of<Agg, true> {
  using type = state_window<state_of_t<Agg>, typename aggregate_traits<Agg>::window>;
};

// Throws unless v is a value ingest can have put in Agg's window: never missing, but
// the no_entry place of a window that counts events; exactly 0 for count() entries.
template <class Agg> void check_entry_value(double v) {
  if (std::isnan(v)) {
    if (!counts_events_v<typename aggregate_traits<Agg>::window> ||
        std::bit_cast<std::uint64_t>(v) != std::bit_cast<std::uint64_t>(no_entry)) {
      detail::corrupt("has a missing value inside a window");
    }
  } else if constexpr (std::is_same_v<typename aggregate_traits<Agg>::arg, no_arg>) {
    if (std::bit_cast<std::uint64_t>(v) != 0) detail::corrupt("has a value in an entry of count()");
  }
}

// The entries an aggregate holds back — those at or after the entity's floor less the
// window's lag, which a query at the floor must not see — until the floor passes them.
// Kept in event order, but for the newest instant's, which may come as a burst of equal
// times in any value order: they are appended, sorted once when they are released, and
// read through a summary (their parts, or their state) once there are more than a few,
// so ingest and reads during a burst of k cost O(log k) amortised per event. A late
// entry (before the newest instant) finds its place by galloping from the back, and the
// sequence moves its shorter side (queue_vector). For a window that counts events
// (last_n(n)) only the n greatest places can ever be seen: the instant is then a heap
// with its least place on top, and the least place goes when there are more than n.
template <class Agg> class held_entries {
  using window_type = typename aggregate_traits<Agg>::window;
  static constexpr bool places = counts_events_v<window_type>;
  static constexpr std::size_t scan_limit = 8;  // an instant read entry by entry up to this
  using summary_type = std::conditional_t<has_state_v<Agg>, state_window<state_or_absent_t<Agg>, lifetime_window>,
                                          parts_window<parts_of_v<Agg>, lifetime_window>>;
  // The heap order of a places instant: its least place on top.
  static constexpr auto later = [](const timed_value& a, const timed_value& b) { return event_order_less(b, a); };

 public:
  held_entries() = default;
  held_entries(const held_entries& o) : sorted_(o.sorted_), instant_(o.instant_) { summarize(); }
  held_entries& operator=(const held_entries& o) {
    if (this != &o) {
      sorted_ = o.sorted_;
      instant_ = o.instant_;
      summarize();
    }
    return *this;
  }
  held_entries(held_entries&&) noexcept = default;
  held_entries& operator=(held_entries&&) noexcept = default;

  // Holds e back. `n` is the number of places a window that counts events keeps.
  void insert(timed_value e, std::size_t n) {
    if (!instant_.empty() && e.ts < instant_[0].ts) {
      insert_in_order(sorted_, e);  // late: before the newest instant
    } else {
      if (!instant_.empty() && e.ts > instant_[0].ts) close_instant();
      instant_.push_back(e);
      if constexpr (places) {
        std::push_heap(instant_.data(), instant_.data() + instant_.size(), later);
      } else if (summary_) {
        summary_->insert(lifetime_window{}, e);
      } else if (instant_.size() > scan_limit) {
        summarize();
      }
    }
    if constexpr (places) {
      if (size() > n) drop_least();  // can never be among the n newest
    }
  }

  // Passes the entries before `from` to into(e), in event order, and forgets them.
  template <class Into> void release_before(std::int64_t from, Into into) {
    while (!sorted_.empty() && sorted_.front().ts < from) {
      into(sorted_.front());
      sorted_.pop_front();
    }
    if (instant_.empty() || instant_[0].ts >= from) return;
    sort_instant();
    for (const timed_value& e : instant_) into(e);
    instant_.clear();
    summary_.reset();
  }

  // What a read sees of the entries in [start, end): add(e) for each, in no particular
  // order, but for a newest instant held in a summary, merge(summary) once.
  template <class Add, class Merge> void visit(std::int64_t start, std::int64_t end, Add add, Merge merge) const {
    for (const timed_value& e : sorted_) {
      if (e.ts >= start && e.ts < end) add(e);
    }
    if (instant_.empty() || instant_[0].ts < start || instant_[0].ts >= end) return;
    if (summary_) {
      merge(*summary_);
    } else {
      for (const timed_value& e : instant_) add(e);
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return sorted_.size() + instant_.size(); }
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    return sorted_.heap_bytes() + instant_.heap_bytes() +
           (summary_ ? sizeof(summary_type) + summary_->heap_bytes() : 0);
  }

  // As one sequence in event order (the newest instant sorted): equal states, equal
  // bytes, and the form of format 4.
  template <class Archive> void save(Archive& ar) const {
    detail::small_vector<timed_value, 1> instant = instant_;
    sort(instant);
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(size())));
    for (const timed_value& e : sorted_) ar(e);
    for (const timed_value& e : instant) ar(e);
  }
  template <class Archive> void load(Archive& ar) {
    detail::small_vector<timed_value, 1> all;
    ar(all);
    sorted_.clear();
    instant_.clear();
    summary_.reset();
    // The trailing entries of the greatest time are the newest instant (sorted: a heap
    // too, for places).
    std::size_t tail = all.size();
    while (tail > 0 && all[tail - 1].ts == all[all.size() - 1].ts) --tail;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i < tail) sorted_.push_back(all[i]);
      else instant_.push_back(all[i]);
    }
  }
  // For a restore (after load): entries in event order within [from, to), values a
  // window can hold, at most n places for last_n(n). Then the summary is built.
  template <class Valid> void check(std::int64_t from, std::int64_t to, std::size_t n, Valid valid) {
    // As load() read them: sorted_ then instant_.
    check_sorted_entries(sorted_, from, to, valid);
    check_sorted_entries(instant_, from, to, valid);
    if (!sorted_.empty() && !instant_.empty() && event_order_less(instant_[0], sorted_.back())) {
      detail::corrupt("has entries out of order");
    }
    if (places && size() > n) detail::corrupt("holds more places than last_n's n");
    summarize();
  }

 private:
  static void sort(detail::small_vector<timed_value, 1>& v) {
    if (v.size() > 1) std::sort(v.data(), v.data() + v.size(), event_order_less);
  }
  void sort_instant() { sort(instant_); }
  // The newest instant becomes sorted entries (a newer one starts).
  void close_instant() {
    sort_instant();
    for (const timed_value& e : instant_) sorted_.push_back(e);
    instant_.clear();
    summary_.reset();
  }
  // Places: the least of them goes — the oldest sorted one, or the instant's top.
  void drop_least() {
    if (!sorted_.empty()) {
      sorted_.pop_front();
    } else {
      std::pop_heap(instant_.data(), instant_.data() + instant_.size(), later);
      instant_.pop_back();
    }
  }
  void summarize() {
    summary_.reset();
    if constexpr (!places) {
      if (instant_.size() <= scan_limit) return;
      summary_ = std::make_unique<summary_type>();
      for (const timed_value& e : instant_) summary_->insert(lifetime_window{}, e);
    }
  }

  detail::queue_vector<timed_value> sorted_;      // in event order, before the instant
  detail::small_vector<timed_value, 1> instant_;  // the newest instant: arrival order, or a heap (places)
  std::unique_ptr<summary_type> summary_;         // of instant_, when it is large
};

template <class Agg> struct aggregate_state {
  using window_type = typename aggregate_traits<Agg>::window;
  typename window_of<Agg>::type window;
  held_entries<Agg> held;

  template <class Archive> void serialize(Archive& ar) { ar(window, held); }

  // For a restore: what apply_one and release maintain for an entity whose floor and
  // newest event are given. Held entries are at or after floor - lag and not after the
  // newest event; the window's entries are before floor - lag.
  void check(const Agg& a, std::int64_t floor, std::int64_t newest) {
    const std::int64_t release = floor - window_lag(a.window);
    held.check(release, newest + 1, window_max_events(a.window), check_entry_value<Agg>);
    window.check(a.window, floor, release, check_entry_value<Agg>);
  }
};

// Per aggregate: its own state, or nothing when it lives in a stream group.
template <class Aggs, std::size_t I, bool = stream_plan<Aggs>::group_of[I] != stream_plan<Aggs>::none> struct slot_of {
  using type = aggregate_state<std::tuple_element_t<I, Aggs>>;
};
template <class Aggs, std::size_t I> struct slot_of<Aggs, I, true> {
  using type = kernels_internal::absent;
};
template <class Aggs, class = std::make_index_sequence<std::tuple_size_v<Aggs>>> struct slots_of;
template <class Aggs, std::size_t... I> struct slots_of<Aggs, std::index_sequence<I...>> {
  using type = std::tuple<typename slot_of<Aggs, I>::type...>;
};

// The window at t: the window state's part, plus the held entries it covers.
// Parts and states differ only in how an entry is added (add_entry or S::add).
template <class Agg, class State> void write_window_values(const Agg& a, const State& s, std::int64_t t, double* out) {
  // A counts state is read as an overlay of the window's running table, not a copy.
  if constexpr (has_state_v<Agg> && !counts_events_v<typename State::window_type>) {
    if constexpr (overlaid_state<state_of_t<Agg>>) {
      counts_overlay<state_of_t<Agg>> ov;
      if (s.window.overlay_query(ov, a.window, t)) {
        s.held.visit(
            window_start(a.window, t), window_end(a.window, t), [&](const timed_value& e) { ov.add(e); },
            [&](const auto& summary) { summary.merge_into(ov); });
        ov.settle();
        ov.finalize(t, out);
        return;
      }
    }
  }
  constexpr unsigned parts = parts_of_v<Agg>;
  window_parts p;
  parts_scratch<parts> scratch;
  state_or_absent_t<Agg> state;
  auto add = [&](const timed_value& e) {
    if constexpr (has_state_v<Agg>) state.add(e);
    else add_entry<parts>(p, scratch, e);
  };
  const std::int64_t end = window_end(a.window, t);
  if constexpr (counts_events_v<typename State::window_type>) {
    // The n newest places: held ones before T (never more than n), then the newest of
    // the window's.
    constexpr std::int64_t all = std::numeric_limits<std::int64_t>::min();
    std::size_t k = 0;
    s.held.visit(all, end, [&](const timed_value&) { ++k; }, [](const auto&) {});
    const std::size_t n = window_max_events(a.window);
    const std::size_t take = k >= n ? 0 : n - k;
    if constexpr (has_state_v<Agg>) s.window.query_newest(state, take);
    else s.window.query_newest(p, scratch, take);
    s.held.visit(
        all, end,
        [&](const timed_value& e) {
          if (!is_no_entry(e.value)) add(e);
        },
        [](const auto&) {});
  } else {
    if constexpr (has_state_v<Agg>) s.window.query(state, a.window, t);
    else s.window.query(p, scratch, a.window, t);
    s.held.visit(window_start(a.window, t), end, add, [&](const auto& summary) {
      if constexpr (has_state_v<Agg>) summary.merge_into(state);
      else summary.merge_into(p, scratch);
    });
  }
  if constexpr (has_state_v<Agg>) write_values(a, state, t, out);
  else write_values(a, p, t, out);
}

}  // namespace skewless::inline v1::online::online_internal
