// skewless/batch/evaluate.hpp — point-in-time-correct training sets from history.
//
// Events (in any order) are sorted by (key, time); spine rows by (key, T). For each
// key, every aggregate's window entries are swept once with two pointers while the
// spine rows advance in time: an entry enters when ts < window_end(T) (T, or T - D for
// a lagged window) and leaves when ts < window_start(T) (or, for last_n, when n newer
// events are in), so a row sees exactly the events strictly before its T — the
// point-in-time rule holds by construction. Sums are exact (subtract-on-evict is
// legal), min and max come from a monotonic deque, first and last from the pointers.
// Keys are split across threads; a row's value never depends on the thread count.
// With a TTL (feature_set::with_ttl) each key's events are split into lives first, and
// a row sees only the life current at its T (nothing once that life has expired).
// Events and rows outside the accepted time range (kernels/window.hpp) are left out and
// counted; such a row's values are NaN and result::status() names it.
//
//   auto training = skewless::batch::evaluate(features, events, spine);
//   training.values;    // Eigen row-major matrix: spine rows x features
//   training.columns;   // feature names
#pragma once

#include <skewless/expr/key.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <range/v3/view/chunk_by.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <ranges>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace skewless::inline v1::batch {

struct options {
  // Worker threads; 0 means std::thread::hardware_concurrency(). Results are the same
  // for every value.
  unsigned threads = 0;
  // Inputs smaller than this many events + rows run on the calling thread.
  std::size_t min_parallel_size = 50'000;
};

namespace batch_internal {

template <class FS>
struct training_set {
  // One row per spine row, in spine order; one column per feature column.
  feature_matrix values;
  // The column names, FS::names(): a feature's name, or name[suffix] for each column
  // of a multi-column feature.
  std::array<std::string_view, FS::size> columns = FS::names();
  // Events whose time is outside the accepted time range [min_time_us, max_time_us]:
  // left out of every window, as the online evaluator rejects them.
  std::uint64_t events_out_of_range = 0;
  // Spine rows whose time is outside it: their values are all NaN (an online read at
  // such a time is an error). status() names the first.
  std::uint64_t rows_out_of_range = 0;
  std::size_t first_row_out_of_range = 0;
  std::int64_t first_row_out_of_range_time_us = 0;

  // OK, or InvalidArgument naming the first spine row outside the accepted time range.
  [[nodiscard]] absl::Status status() const {
    if (rows_out_of_range == 0) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "skewless: ", rows_out_of_range, " spine row(s) ask for a time outside the accepted "
        "range [", min_time_us, ", ", max_time_us, "] us; the first is row ", first_row_out_of_range,
        " at ", first_row_out_of_range_time_us, " us. Their values are NaN."));
  }
};

template <class Key>
struct keyed_event {
  Key key;
  std::int64_t ts;
  std::uint32_t index;
};

template <class Key>
struct keyed_row {
  Key key;
  std::int64_t t;
  std::uint32_t row;
};

struct work_item {
  std::size_t event_begin, event_end;  // into the sorted events
  std::size_t row_begin, row_end;      // into the sorted spine
};

// With a TTL: one key's work item as one item per life. Sorted by time, the key's
// events fall into lives, a gap longer than the TTL starting a new one; a row at T
// sees the life of the newest event before T, unless that event is more than the TTL
// before T (expired). Life j spans [s_j, e_j] and s_{j+1} > e_j + ttl, so its rows are
// those with T in (s_j, e_j + ttl]; rows between lives (and before the first event)
// see no events. Each life is then swept alone, exactly as a key of its own.
template <class Key>
void split_into_lives(const std::vector<keyed_event<Key>>& events, const std::vector<keyed_row<Key>>& rows,
                      const work_item& key, std::uint64_t ttl, std::vector<work_item>& work) {
  std::size_t r = key.row_begin;
  auto rows_while = [&](auto in) {
    const std::size_t from = r;
    while (r < key.row_end && in(rows[r].t)) ++r;
    return from;
  };
  for (std::size_t s = key.event_begin; s < key.event_end;) {
    std::size_t e = s + 1;
    while (e < key.event_end && !later_by_more_than(events[e].ts, events[e - 1].ts, ttl)) ++e;
    const std::int64_t first = events[s].ts, last = events[e - 1].ts;
    if (const std::size_t from = rows_while([&](std::int64_t t) { return t <= first; }); from < r) {
      work.push_back({s, s, from, r});  // before this life, after the previous one expired
    }
    if (const std::size_t from = rows_while([&](std::int64_t t) { return !later_by_more_than(t, last, ttl); });
        from < r) {
      work.push_back({s, e, from, r});
    }
    s = e;
  }
  if (r < key.row_end) work.push_back({key.event_end, key.event_end, r, key.row_end});  // expired
}

// Indices into `entries` whose values are not dominated: increasing index, strictly
// decreasing value under Better. The front is the best value of the live suffix.
template <class Better>
class monotonic_indices {
 public:
  void clear() { q_.clear(); head_ = 0; }
  void push(const std::vector<timed_value>& entries, std::size_t i) {
    while (q_.size() > head_ && !Better{}(entries[q_.back()].value, entries[i].value)) q_.pop_back();
    q_.push_back(i);
  }
  void drop_before(std::size_t left) {
    while (head_ < q_.size() && q_[head_] < left) ++head_;
  }
  [[nodiscard]] bool empty() const { return head_ == q_.size(); }
  [[nodiscard]] std::size_t front() const { return q_[head_]; }

 private:
  std::vector<std::size_t> q_;
  std::size_t head_ = 0;
};

struct total_order_greater {
  bool operator()(double a, double b) const noexcept { return total_order_less(b, a); }
};
struct total_order_smaller {
  bool operator()(double a, double b) const noexcept { return total_order_less(a, b); }
};

// Per-thread scratch reused across keys so steady state does not allocate.
struct scratch {
  std::vector<timed_value> entries;  // the key's window entries, in event order
  std::vector<timed_value> slots;    // last_n: every event's place, entries and no_entry
  std::vector<std::uint32_t> entries_before;  // last_n: entries among slots[0, i)
  monotonic_indices<total_order_smaller> min_q;
  monotonic_indices<total_order_greater> max_q;
};

// Sweeps one aggregate over one key's events and rows; writes the aggregate's values
// for each row at agg_values[row * NValues + Offset]. Entries [left, right) are the
// window of the current row; both ends only move forward as T grows.
template <std::size_t Offset, std::size_t NValues, class Agg, class FS, class Events>
void sweep(const Agg& a, const Events& events,
           const std::vector<keyed_event<typename FS::key_type>>& sorted_events,
           const std::vector<keyed_row<typename FS::key_type>>& sorted_rows, const work_item& w,
           scratch& s, double* agg_values) {
  constexpr unsigned parts = parts_of_v<Agg>;
  constexpr bool by_count = counts_events_v<typename aggregate_traits<Agg>::window>;
  auto& entries = s.entries;
  entries.clear();
  // Sorted by time already; ties must be ordered by value so first/last (and last_n's
  // cut) are order-free. Usually there are none, and one pass says so.
  auto in_event_order = [](std::vector<timed_value>& v) {
    if (!std::is_sorted(v.begin(), v.end(), event_order_less)) {
      std::sort(v.begin(), v.end(), event_order_less);
    }
  };
  if constexpr (by_count) {
    s.slots.clear();
    for (std::size_t i = w.event_begin; i < w.event_end; ++i) {
      const auto& ke = sorted_events[i];
      s.slots.push_back({ke.ts, *window_slot(a, std::ranges::begin(events)[ke.index])});
    }
    in_event_order(s.slots);
    s.entries_before.assign(1, 0);
    for (const auto& slot : s.slots) {
      if (!is_no_entry(slot.value)) entries.push_back(slot);
      s.entries_before.push_back(static_cast<std::uint32_t>(entries.size()));
    }
  } else {
    for (std::size_t i = w.event_begin; i < w.event_end; ++i) {
      const auto& ke = sorted_events[i];
      if (auto v = entry_value(a, std::ranges::begin(events)[ke.index])) entries.push_back({ke.ts, *v});
    }
    in_event_order(entries);
  }
  s.min_q.clear();
  s.max_q.clear();
  state_or_absent_t<Agg> state;
  std::size_t state_left = 0, state_right = 0;  // entries in a rebuilt `state`
  sums_of<parts> sums;
  std::size_t left = 0, right = 0, slot_right = 0;
  // What an entry entering or leaving the window changes: the sums and extremum
  // queues, or an invertible state; a state that cannot remove is rebuilt per row.
  constexpr bool slides_state = invertible_state<state_or_absent_t<Agg>>;
  auto enter = [&](std::size_t i) {
    if constexpr (slides_state) {
      state.add(entries[i]);
    } else if constexpr (!has_state_v<Agg>) {
      sums.add(entries[i].value);
      if constexpr ((parts & part::min) != 0) s.min_q.push(entries, i);
      if constexpr ((parts & part::max) != 0) s.max_q.push(entries, i);
    }
  };
  auto leave = [&](std::size_t i) {
    if constexpr (slides_state) {
      state.remove(entries[i]);
    } else if constexpr (!has_state_v<Agg>) {
      sums.remove(entries[i].value);
    }
  };
  for (std::size_t r = w.row_begin; r < w.row_end; ++r) {
    const std::int64_t t = sorted_rows[r].t;
    const std::int64_t end = window_end(a.window, t);
    if constexpr (by_count) {
      // The n most recent places before `end`, mapped to the entries among them.
      while (slot_right < s.slots.size() && s.slots[slot_right].ts < end) ++slot_right;
      const std::size_t n = window_max_events(a.window);
      const std::size_t slot_left = slot_right > n ? slot_right - n : 0;
      for (const std::size_t to = s.entries_before[slot_right]; right < to; ++right) enter(right);
      for (const std::size_t to = s.entries_before[slot_left]; left < to; ++left) leave(left);
    } else {
      while (right < entries.size() && entries[right].ts < end) enter(right++);
      const std::int64_t start = window_start(a.window, t);
      while (left < right && entries[left].ts < start) leave(left++);
    }
    double* out = agg_values + std::size_t{sorted_rows[r].row} * NValues + Offset;
    if constexpr (has_state_v<Agg>) {
      if constexpr (!slides_state) {
        // Grows while the window's start stays; rebuilt from the window's entries when
        // the start moves (from only the entries it needs: last_k's newest k).
        std::size_t lo = left, hi = right;
        needed_range<state_or_absent_t<Agg>>(lo, hi);
        if (left != state_left || lo > state_right) {
          state = state_or_absent_t<Agg>{};
          state_left = left;
          state_right = lo;
        }
        for (; state_right < hi; ++state_right) state.add(entries[state_right]);
      }
      write_values(a, state, t, out);
    } else {
      window_parts p;
      sums.export_to(p);
      if (left < right) {
        if constexpr ((parts & part::min) != 0) {
          s.min_q.drop_before(left);
          p.min = entries[s.min_q.front()].value;
        }
        if constexpr ((parts & part::max) != 0) {
          s.max_q.drop_before(left);
          p.max = entries[s.max_q.front()].value;
        }
        p.first = entries[left];
        p.last = entries[right - 1];
      }
      write_values(a, p, t, out);
    }
  }
}

}  // namespace batch_internal

// What batch::evaluate returns: the values (an Eigen row-major matrix, spine rows x
// feature columns) and the column names. result<decltype(features)> names it too.
template <class FS>
using result = batch_internal::training_set<std::remove_cvref_t<FS>>;

// Features of entity `key` as of `time_us` for each spine row, in spine order. Events
// may be any input range of the feature set's event struct, in any order. The spine's
// key type is the key field's (or one that converts without changing a value: see
// key_type_accepts).
template <class FS, std::ranges::input_range Events, class Key>
[[nodiscard]] result<FS> evaluate(const FS& fs, Events&& events,
                                  const std::vector<spine_row<Key>>& spine,
                                  const options& opt = {}) {
  using key_type = typename FS::key_type;
  using event_type = typename FS::event_type;
  using namespace batch_internal;
  static_assert(std::is_convertible_v<std::ranges::range_reference_t<Events>,
                                      const event_type&>,
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
  constexpr std::size_t n_aggs = FS::aggregate_count;
  constexpr std::size_t n_values = FS::value_count;
  const std::size_t n_events = std::ranges::size(events);
  const auto aggs = fs.aggregates();

  std::vector<keyed_event<key_type>> sorted_events;
  sorted_events.reserve(n_events);
  {
    std::uint32_t i = 0;
    for (const auto& e : events) {
      const std::int64_t ts = FS::time_of(e);
      if (in_time_range(ts)) sorted_events.push_back({FS::key_of(e), ts, i});
      ++i;
    }
  }
  std::sort(sorted_events.begin(), sorted_events.end(), [](const auto& a, const auto& b) {
    return a.key != b.key ? a.key < b.key : a.ts < b.ts;
  });
  std::vector<keyed_row<key_type>> sorted_rows;
  sorted_rows.reserve(spine.size());
  result<FS> out;
  out.events_out_of_range = n_events - sorted_events.size();
  for (std::uint32_t r = 0; r < spine.size(); ++r) {
    if (!in_time_range(spine[r].time_us)) {
      if (out.rows_out_of_range++ == 0) {
        out.first_row_out_of_range = r;
        out.first_row_out_of_range_time_us = spine[r].time_us;
      }
      continue;
    }
    sorted_rows.push_back({static_cast<key_type>(spine[r].key), spine[r].time_us, r});
  }
  std::sort(sorted_rows.begin(), sorted_rows.end(), [](const auto& a, const auto& b) {
    return a.key != b.key ? a.key < b.key : (a.t != b.t ? a.t < b.t : a.row < b.row);
  });

  // One work item per spine key (a run of equal keys in the sorted spine), with that
  // key's event range: a merge of the two sorted sequences.
  std::vector<work_item> work;
  std::size_t e = 0;
  for (auto run : sorted_rows | ranges::views::chunk_by([](const auto& a, const auto& b) {
                    return a.key == b.key;
                  })) {
    const auto r = static_cast<std::size_t>(ranges::begin(run) - sorted_rows.begin());
    const auto r_end = r + static_cast<std::size_t>(ranges::distance(run));
    const key_type& key = sorted_rows[r].key;
    while (e < sorted_events.size() && sorted_events[e].key < key) ++e;
    std::size_t e_end = e;
    while (e_end < sorted_events.size() && sorted_events[e_end].key == key) ++e_end;
    if (fs.ttl_us > 0) {
      split_into_lives(sorted_events, sorted_rows, {e, e_end, r, r_end}, static_cast<std::uint64_t>(fs.ttl_us), work);
    } else {
      work.push_back({e, e_end, r, r_end});
    }
    e = e_end;
  }

  std::vector<double> agg_values(spine.size() * n_values);
  out.values.resize(static_cast<Eigen::Index>(spine.size()), static_cast<Eigen::Index>(FS::size));
  if (out.rows_out_of_range != 0) out.values.setConstant(std::numeric_limits<double>::quiet_NaN());

  auto run = [&](std::atomic<std::size_t>& next) {
    scratch s;
    constexpr std::size_t grain = 64;
    for (;;) {
      const std::size_t begin = next.fetch_add(grain);
      if (begin >= work.size()) break;
      const std::size_t end = std::min(work.size(), begin + grain);
      for (std::size_t k = begin; k < end; ++k) {
        const work_item& w = work[k];
        [&]<std::size_t... A>(std::index_sequence<A...>) {
          (sweep<FS::aggregate_value_offsets[A], n_values,
                 std::tuple_element_t<A, std::remove_const_t<decltype(aggs)>>, FS>(
               std::get<A>(aggs), events, sorted_events, sorted_rows, w, s, agg_values.data()),
           ...);
        }(std::make_index_sequence<n_aggs>{});
        for (std::size_t r = w.row_begin; r < w.row_end; ++r) {
          const std::size_t row = sorted_rows[r].row;
          fs.eval_columns(agg_values.data() + row * n_values, &out.values(static_cast<Eigen::Index>(row), 0));
        }
      }
    }
  };

  unsigned threads = opt.threads != 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  if (n_events + spine.size() < opt.min_parallel_size) threads = 1;
  std::atomic<std::size_t> next{0};
  if (threads <= 1) {
    run(next);
  } else {
    std::vector<std::jthread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { run(next); });
    run(next);
  }
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
