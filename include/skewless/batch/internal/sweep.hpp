// skewless/batch/internal/sweep.hpp — one key's entries swept for every window of a stream.
//
// Internal to batch/. gather collects a key's entries of one stream in (ts, value)
// order; sweep_parts walks them once for all the stream's aggregates computed from
// parts (ranges of the entries: counts are lengths, sums come from prefix sums, min and
// max from one shared monotonic stack); sweep_state folds the entries of an aggregate
// with a state of its own. move_end / move_start are the one definition of a window's
// ends over the entries. Every value is written through the aggregate's finalize.
#pragma once

#include <skewless/batch/internal/partition.hpp>
#include <skewless/batch/internal/plan.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/fixed_prefix.hpp>
#include <skewless/kernels/total_order.hpp>
#include <skewless/kernels/window.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::batch::batch_internal {

// The best value (min or max, under Better) of any window [left, right) of a key's
// entries, for several windows that end at the same `right`: a monotonic stack of the
// entries before `right` whose values are not dominated by a later one (increasing
// index, strictly decreasing value under Better) is shared, and each window keeps a
// head, its first stack place that may be in it. The best of [left, right) is at the
// first place whose index is >= left. An entry pushed pops the places it dominates
// and takes the lowest of them; every window's head is lowered to that mark before it
// is read (the places below it are unchanged since, and were all before left). Each
// entry is pushed once and each head passes each place once: linear per window.
template <class Better> class extremes {
 public:
  void clear() {
    stack_.clear();
    mark_ = 0;
  }
  // Called before the pushes for a new row.
  void start_row() { mark_ = stack_.size(); }
  void push(const std::vector<timed_value>& entries, std::size_t i) {
    while (!stack_.empty() && !Better{}(entries[stack_.back()].value, entries[i].value)) stack_.pop_back();
    mark_ = std::min(mark_, stack_.size());
    stack_.push_back(static_cast<std::uint32_t>(i));
  }
  // The index of the best entry in [left, right), where right is one past the last
  // entry pushed and left < right; `head` is the window's, 0 at the key's start.
  [[nodiscard]] std::size_t best(std::size_t& head, std::size_t left) const {
    head = std::min(head, mark_);
    while (stack_[head] < left) ++head;
    return stack_[head];
  }

 private:
  std::vector<std::uint32_t> stack_;
  std::size_t mark_ = 0;
};

// One key's entries of one stream, in event order: the slots of every event (for
// windows that count events) and the entries among them.
struct stream_entries {
  std::vector<timed_value> entries;
  std::vector<timed_value> slots;             // last_n: every event's place, entries and no_entry
  std::vector<std::uint32_t> entries_before;  // last_n: entries among slots[0, i)
  // The parts (part::sum, part::sum2) whose exact sums over any range of the entries
  // come from prefix sums (`sum`, `sum2`): built once per key for every window of the
  // stream, when the key's values fit (kernels/fixed_prefix.hpp). Other sums are added
  // and removed entry by entry in each sweep.
  unsigned prefixed = 0;
  fixed_prefix sum;
  fixed_prefix sum2;

  // Builds the prefix sums of `parts` over the entries, where they fit.
  void build_prefixes(unsigned parts) {
    prefixed = 0;
    const std::size_t n = entries.size();
    if ((parts & part::sum) != 0 && sum.build(n, [&](std::size_t i, auto&& term) { term(entries[i].value); })) {
      prefixed |= part::sum;
    }
    if ((parts & part::sum2) != 0 && sum2.build_squares(n, [&](std::size_t i) { return entries[i].value; })) {
      prefixed |= part::sum2;
    }
  }
};

// Per-thread scratch reused across keys so steady state does not allocate.
template <std::size_t Streams, std::size_t Aggs, class Event> struct scratch {
  std::vector<Event> sort_buffer;  // sort_bucket's
  std::vector<std::uint32_t> sort_starts;
  std::array<stream_entries, Streams> streams;
  // A stream's sweep: the extremes of its windows that end at T, shared, and those of
  // each aggregate whose window ends earlier (sliding(W).ending(D)).
  extremes<total_order_lt> min_shared;
  extremes<total_order_gt> max_shared;
  std::array<extremes<total_order_lt>, Aggs> min_own;
  std::array<extremes<total_order_gt>, Aggs> max_own;
  std::vector<work_item> work;  // the current bucket's keys (or lives)
  std::vector<double> values;   // the current key's aggregate values, row by row
};

// Fills one stream's entries for the events [begin, end) of one key, sorted by time.
// Ties must be ordered by value so first/last (and last_n's cut) are order-free;
// usually there are none, and one pass says so.
template <bool Stored, class Event>
void gather(const Event* events, std::size_t begin, std::size_t end, const double* slots, std::size_t stride,
            std::size_t column, bool by_count, stream_entries& s) {
  auto in_event_order = [](std::vector<timed_value>& v) {
    if (!std::is_sorted(v.begin(), v.end(), event_order_less)) std::sort(v.begin(), v.end(), event_order_less);
  };
  auto slot = [&](std::size_t i) {
    if constexpr (Stored) {
      return slots[std::size_t{events[i].at} * stride + column];
    } else {
      return 0.0;
    }
  };
  s.entries.clear();
  if (by_count) {
    s.slots.clear();
    for (std::size_t i = begin; i < end; ++i) s.slots.push_back({events[i].ts, slot(i)});
    in_event_order(s.slots);
    s.entries_before.assign(1, 0);
    for (const auto& x : s.slots) {
      if (!is_no_entry(x.value)) s.entries.push_back(x);
      s.entries_before.push_back(static_cast<std::uint32_t>(s.entries.size()));
    }
  } else {
    for (std::size_t i = begin; i < end; ++i) {
      if (const double v = slot(i); !is_no_entry(v)) s.entries.push_back({events[i].ts, v});
    }
    in_event_order(s.entries);
  }
}

// The window's ends over one key's entries, for both kinds of sweep: the one place a
// batch window's entries are decided. move_end moves `right` past the entries before
// `end`, calling enter(i) for each (and, for windows that count events, `slot_right`
// past the places before `end`: the entries among those places are the same ones).
template <class Enter>
void move_end(std::int64_t end, const stream_entries& se, bool places, std::size_t& slot_right, std::size_t& right,
              const Enter& enter) {
  if (places) {
    while (slot_right < se.slots.size() && se.slots[slot_right].ts < end) ++slot_right;
  }
  for (; right < se.entries.size() && se.entries[right].ts < end; ++right) enter(right);
}
// move_start moves `left` to the window's first entry at T, calling leave(i) for each
// entry passed: the newest n places before T (last_n), or the first entry at or after
// window_start(T).
template <class W, class Leave>
void move_start(const W& window, std::int64_t t, const stream_entries& se, std::size_t slot_right, std::size_t right,
                std::size_t& left, const Leave& leave) {
  std::size_t to = left;
  if constexpr (counts_events_v<W>) {
    const std::size_t n = window_max_events(window);
    to = se.entries_before[slot_right > n ? slot_right - n : 0];
  } else {
    const std::int64_t start = window_start(window, t);
    while (to < right && se.entries[to].ts < start) ++to;
  }
  for (; left < to; ++left) leave(left);
}

// Sweeps aggregate I, which has a state of its own, over one key's entries (its
// stream's, gathered) and rows; writes its values for the key's i-th row at
// values[i * FS::value_count + its offset]. Entries [left, right) are the window of
// the current row; both ends only move forward as T grows.
template <std::size_t I, class FS, class Aggs, class Row>
void sweep_state(const Aggs& aggs, const stream_entries& se, const Row* sorted_rows, const work_item& w,
                 double* values) {
  using Agg = std::tuple_element_t<I, Aggs>;
  using State = state_of_t<Agg>;
  const Agg& a = std::get<I>(aggs);
  constexpr bool by_count = counts_events_v<typename aggregate_traits<Agg>::window>;
  const auto& entries = se.entries;
  State state;
  std::size_t state_left = 0, state_right = 0;  // entries in a rebuilt `state`
  std::size_t left = 0, right = 0, slot_right = 0;
  // An invertible state adds and removes entries as they enter and leave; another is
  // rebuilt per row.
  constexpr bool slides_state = invertible_state<State>;
  auto enter = [&](std::size_t i) {
    if constexpr (slides_state) state.add(entries[i]);
  };
  auto leave = [&](std::size_t i) {
    if constexpr (slides_state) state.remove(entries[i]);
  };
  for (std::size_t r = w.row_begin; r < w.row_end; ++r) {
    const std::int64_t t = sorted_rows[r].t;
    move_end(window_end(a.window, t), se, by_count, slot_right, right, enter);
    move_start(a.window, t, se, slot_right, right, left, leave);
    if constexpr (!slides_state) {
      // Grows while the window's start stays; rebuilt from the window's entries when
      // the start moves (from only the entries it needs: last_k's newest k).
      std::size_t lo = left, hi = right;
      needed_range<State>(lo, hi);
      if (left != state_left || lo > state_right) {
        state = State{};
        state_left = left;
        state_right = lo;
      }
      for (; state_right < hi; ++state_right) state.add(entries[state_right]);
    }
    write_values(a, state, t, values + (r - w.row_begin) * FS::value_count + FS::aggregate_value_offsets[I]);
  }
}

// What one aggregate computed from parts keeps while its stream is swept.
template <unsigned Parts> struct parts_sweep {
  bool on = false;                  // swept here (not riding on another's sweep)
  bool shared = false;              // its window ends at T: the stream's right end and extremes
  unsigned active = 0;              // the parts it and its riders need
  unsigned prefixed = 0;            // of those, the sums the stream's prefix sums give
  unsigned summed = 0;              // the rest, kept entry by entry in `sums`
  std::size_t left = 0, right = 0;  // its window's entries
  std::size_t summed_right = 0;     // entries added to `sums` (shared: up to the stream's right)
  std::size_t min_head = 0, max_head = 0;
  // The sums kept entry by entry, only when the key's values do not fit prefix sums
  // (the common case constructs no exact_sum).
  std::optional<sums_of<Parts>> sums;
};

// Sweeps the aggregates of stream G computed from parts (and those riding on them)
// over one key's entries and rows, once for all of them: the entries before T enter
// once, into the shared extremes, and each aggregate moves only its window's start.
// Counts are the number of entries in the window, sums come from the stream's prefix
// sums (or are kept entry by entry when the key's values do not fit them), first and
// last are the window's ends. An aggregate whose window ends before T (ending(D))
// keeps its own end and extremes. Writes each one's values for the key's i-th row at
// values[i * FS::value_count + its offset].
template <std::size_t G, class Plan, class FS, class Aggs, class Row, class Scratch>
void sweep_parts(const Aggs& aggs, const sweep_layout<Plan::n>& layout, const stream_entries& se,
                 const Row* sorted_rows, const work_item& w, Scratch& s, double* values) {
  constexpr auto& members = Plan::template parts_members<G>;
  constexpr std::size_t m = members.size();
  const auto& entries = se.entries;
  auto sweeps = [&]<std::size_t... K>(std::index_sequence<K...>) {
    return std::tuple<parts_sweep<Plan::sweep_parts[members[K]]>...>{};
  }(std::make_index_sequence<m>{});
  // Which members are swept, and what the shared part must keep.
  bool any = false, shared_min = false, shared_max = false, by_count = false;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          constexpr std::size_t A = members[K];
          auto& h = std::get<K>(sweeps);
          h.on = layout.host[A] == A;
          if (!h.on) return;
          const auto& a = std::get<A>(aggs);
          h.shared = window_lag(a.window) == 0;
          h.active = layout.active[A];
          h.prefixed = h.active & se.prefixed & (part::sum | part::sum2);
          h.summed = h.active & ~h.prefixed;
          if ((h.summed & (part::sum | part::sum2)) != 0) h.sums.emplace();
          any = true;
          shared_min = shared_min || (h.shared && (h.active & part::min) != 0);
          shared_max = shared_max || (h.shared && (h.active & part::max) != 0);
          by_count = by_count || counts_events_v<typename aggregate_traits<std::tuple_element_t<A, Aggs>>::window>;
          s.min_own[A].clear();
          s.max_own[A].clear();
        }(),
        ...);
  }(std::make_index_sequence<m>{});
  if (!any) return;
  s.min_shared.clear();
  s.max_shared.clear();
  exact_sum prefix_sum, prefix_sum2;
  std::size_t right = 0, slot_right = 0;  // the entries (and places) before T
  for (std::size_t r = w.row_begin; r < w.row_end; ++r) {
    const std::int64_t t = sorted_rows[r].t;
    s.min_shared.start_row();
    s.max_shared.start_row();
    move_end(t, se, by_count, slot_right, right, [&](std::size_t i) {
      if (shared_min) s.min_shared.push(entries, i);
      if (shared_max) s.max_shared.push(entries, i);
    });
    double* const out = values + (r - w.row_begin) * FS::value_count;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            constexpr std::size_t A = members[K];
            using Agg = std::tuple_element_t<A, Aggs>;
            constexpr unsigned parts = Plan::sweep_parts[A];
            auto& h = std::get<K>(sweeps);
            if (!h.on) return;
            const Agg& a = std::get<A>(aggs);
            auto& min_x = s.min_own[A];
            auto& max_x = s.max_own[A];
            if (h.shared) {
              h.right = right;
            } else {
              min_x.start_row();
              max_x.start_row();
              std::size_t no_places = 0;  // a lagged window never counts events
              move_end(window_end(a.window, t), se, false, no_places, h.right, [&](std::size_t i) {
                if constexpr ((parts & part::min) != 0) {
                  if ((h.active & part::min) != 0) min_x.push(entries, i);
                }
                if constexpr ((parts & part::max) != 0) {
                  if ((h.active & part::max) != 0) max_x.push(entries, i);
                }
              });
            }
            if (h.sums) {
              for (; h.summed_right < h.right; ++h.summed_right) h.sums->add(entries[h.summed_right].value, h.summed);
            }
            move_start(a.window, t, se, slot_right, h.right, h.left, [&](std::size_t i) {
              if (h.sums) h.sums->remove(entries[i].value, h.summed);
            });
            window_parts p;
            if (h.sums) h.sums->export_to(p);
            p.count = h.right - h.left;
            if constexpr (sums_of<parts>::has_sum) {
              if ((h.prefixed & part::sum) != 0) {
                se.sum.range(h.left, h.right, prefix_sum);
                p.sum = &prefix_sum;
              }
            }
            if constexpr (sums_of<parts>::has_sum2) {
              if ((h.prefixed & part::sum2) != 0) {
                se.sum2.range(h.left, h.right, prefix_sum2);
                p.sum2 = &prefix_sum2;
              }
            }
            if (h.left < h.right) {
              if constexpr ((parts & part::min) != 0) {
                if ((h.active & part::min) != 0) {
                  p.min = entries[(h.shared ? s.min_shared : min_x).best(h.min_head, h.left)].value;
                }
              }
              if constexpr ((parts & part::max) != 0) {
                if ((h.active & part::max) != 0) {
                  p.max = entries[(h.shared ? s.max_shared : max_x).best(h.max_head, h.left)].value;
                }
              }
              p.first = entries[h.left];
              p.last = entries[h.right - 1];
            }
            write_values(a, p, t, out + FS::aggregate_value_offsets[A]);
            [&]<std::size_t... J>(std::index_sequence<J...>) {
              constexpr auto& riders = Plan::template riders<A>;
              ((layout.host[riders[J]] == A
                    ? write_values(std::get<riders[J]>(aggs), p, t, out + FS::aggregate_value_offsets[riders[J]])
                    : void()),
               ...);
            }(std::make_index_sequence<Plan::template rider_count<A>>{});
          }(),
          ...);
    }(std::make_index_sequence<m>{});
  }
}

}  // namespace skewless::inline v1::batch::batch_internal
