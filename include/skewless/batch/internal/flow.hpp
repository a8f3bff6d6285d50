// skewless/batch/internal/flow.hpp — the steps of one batch evaluation, in order.
//
// Internal to batch/ (batch::evaluate is the API, and reads as these steps):
//   flow f(fs, opt, n_events, spine, out)   threads, buckets and the plans, once
//   f.partition_events(events, out)         events into buckets by key hash; each
//                                           event's entries computed once per stream
//   f.partition_rows(spine)                 spine rows into the same buckets
//   f.for_each_bucket(ev, rows, item)       largest bucket first, on every thread: sort,
//                                           split into keys (or lives), item(scratch, w)
//   f.evaluate_item(ev, rows, s, w, out)    gather each stream's entries, sweep, and
//                                           write the rows' feature columns
// The bucket count depends on the input's size only, and a row's value only on its
// key's events, so threads and buckets never change a bit.
#pragma once

#include <skewless/batch/internal/partition.hpp>
#include <skewless/batch/internal/plan.hpp>
#include <skewless/batch/internal/sweep.hpp>
#include <skewless/batch/result.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/operators.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/types.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ranges>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::batch::batch_internal {

template <class FS> class flow {
 public:
  using key_type = typename FS::key_type;
  using aggregates = std::remove_const_t<decltype(std::declval<const FS&>().aggregates())>;
  using plan = entry_streams<aggregates>;
  using sorted_event = keyed_event<key_type>;
  using sorted_row = keyed_row<key_type>;
  using scratch_type = scratch<plan::count, FS::aggregate_count, sorted_event>;
  static constexpr std::size_t n_aggs = FS::aggregate_count;
  static constexpr std::size_t n_values = FS::value_count;

  // Events after partitioning: the sorted records, each stored stream's slot per
  // record (a column store, `streams.stored` per record), and where each bucket starts.
  struct partitioned_events {
    buffer<sorted_event> ev;
    buffer<double> slots;
    std::vector<std::size_t> start;
  };
  struct partitioned_rows {
    buffer<sorted_row> rows;
    std::vector<std::size_t> start;
  };

  // Sizes `out` (NaN everywhere when some row is outside the accepted time range, which
  // it counts and names), and fixes threads, buckets and the plans.
  template <class Key>
  flow(const FS& fs, const options& opt, std::size_t n_events, const std::vector<spine_row<Key>>& spine,
       result<FS>& out)
      : fs_(fs), aggs_(fs.aggregates()) {
    streams_ = stream_layout_of<plan>(aggs_);
    layout_ = layout_of<plan>(aggs_);
    out.values.resize(static_cast<Eigen::Index>(spine.size()), static_cast<Eigen::Index>(FS::size));
    std::size_t rows_in_range = 0;
    for (std::size_t r = 0; r < spine.size(); ++r) {
      if (in_time_range(spine[r].time_us)) {
        ++rows_in_range;
      } else if (out.rows_out_of_range++ == 0) {
        out.first_row_out_of_range = r;
        out.first_row_out_of_range_time_us = spine[r].time_us;
      }
    }
    if (out.rows_out_of_range != 0) out.values.setConstant(std::numeric_limits<double>::quiet_NaN());

    threads_ = opt.threads != 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    if (n_events + spine.size() < opt.min_parallel_size) threads_ = 1;
    // Buckets of ~4096 events and rows (at most 2^15): small enough to sort in cache,
    // many more than threads. A function of the input's size only.
    while (bits_ < 15 && (std::size_t{4096} << bits_) < n_events + rows_in_range) ++bits_;
    n_buckets_ = std::size_t{1} << bits_;

    // The sums each stored stream's sweeps need, which its prefix sums can give.
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      ((layout_.host[A] == A && !has_state_v<std::tuple_element_t<A, aggregates>>
            ? void(prefix_parts_[streams_.source[plan::stream_of[A]]] |= layout_.active[A] & (part::sum | part::sum2))
            : void()),
       ...);
    }(std::make_index_sequence<n_aggs>{});
  }

  // Events: bucket by key, with each stored stream's slot computed from the event.
  // Events outside the accepted time range are left out and counted in `out`.
  template <class Events>
  [[nodiscard]] partitioned_events partition_events(const Events& events, result<FS>& out) const {
    const std::size_t n_events = std::ranges::size(events);
    const auto event_at = [&](std::size_t i) -> decltype(auto) { return std::ranges::begin(events)[i]; };
    partitioned_events p;
    partition(
        n_events, threads_, n_buckets_,
        [&](std::size_t i) {
          const auto& e = event_at(i);
          return in_time_range(FS::time_of(e)) ? bucket_of(key_view_t<key_type>(FS::key_of(e))) : n_buckets_;
        },
        [&](std::size_t total) {
          p.ev.allocate(total);
          p.slots.allocate(total * streams_.stored);
        },
        [&](std::size_t i, std::size_t at) {
          const auto& e = event_at(i);
          const key_view_t<key_type> key(FS::key_of(e));
          p.ev[at] = {key, FS::time_of(e), static_cast<std::uint32_t>(at),
                      static_cast<std::uint32_t>(bucket_hash(key))};
          double* const row = p.slots.begin() + at * streams_.stored;
          [&]<std::size_t... G>(std::index_sequence<G...>) {
            (
                [&] {
                  if constexpr (plan::stored[G]) {
                    if (streams_.source[G] == G) {
                      const auto v = entry_value(std::get<plan::first[G]>(aggs_), e);
                      row[streams_.column[G]] = v ? *v : no_entry;
                    }
                  }
                }(),
                ...);
          }(std::make_index_sequence<plan::count>{});
        },
        p.start);
    out.events_out_of_range = n_events - p.ev.size;
    return p;
  }

  // Spine rows: bucket by key (rows outside the accepted time range stay NaN).
  template <class Key> [[nodiscard]] partitioned_rows partition_rows(const std::vector<spine_row<Key>>& spine) const {
    partitioned_rows p;
    partition(
        spine.size(), threads_, n_buckets_,
        [&](std::size_t r) {
          return in_time_range(spine[r].time_us) ? bucket_of(key_view_t<key_type>(spine[r].key)) : n_buckets_;
        },
        [&](std::size_t total) { p.rows.allocate(total); },
        [&](std::size_t r, std::size_t at) {
          const auto key = static_cast<key_view_t<key_type>>(spine[r].key);
          p.rows[at] = {key, spine[r].time_us, static_cast<std::uint32_t>(r),
                        static_cast<std::uint32_t>(bucket_hash(key))};
        },
        p.start);
    return p;
  }

  // For every bucket with rows, largest first (so a hot key's bucket does not start
  // last), taken by the threads from a shared counter: sorts its events and rows and
  // calls item(scratch, w) for each work item — a key's events and rows, or each life.
  template <class Item>
  void for_each_bucket(const partitioned_events& e, const partitioned_rows& r, const Item& item) const {
    std::vector<std::uint32_t> order;
    for (std::size_t b = 0; b < n_buckets_; ++b) {
      if (r.start[b] != r.start[b + 1]) order.push_back(static_cast<std::uint32_t>(b));
    }
    const auto weight = [&](std::size_t b) { return e.start[b + 1] - e.start[b] + r.start[b + 1] - r.start[b]; };
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return weight(a) != weight(b) ? weight(a) > weight(b) : a < b; });
    std::atomic<std::size_t> next{0};
    on_threads(threads_, [&](unsigned) {
      scratch_type s;
      for (std::size_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < order.size();) {
        work_items(e, r, order[k], s);
        for (const work_item& w : s.work) item(s, w);
      }
    });
  }

  // Sweeps one work item's streams and writes its rows' feature columns into `out`.
  void evaluate_item(const partitioned_events& e, const partitioned_rows& r, scratch_type& s, const work_item& w,
                     result<FS>& out) const {
    [&]<std::size_t... G>(std::index_sequence<G...>) {
      (
          [&] {
            if (streams_.source[G] != G) return;
            gather<plan::stored[G]>(e.ev.begin(), w.event_begin, w.event_end, e.slots.begin(), streams_.stored,
                                    streams_.column[G], streams_.by_count[G], s.streams[G]);
            s.streams[G].build_prefixes(prefix_parts_[G]);
          }(),
          ...);
    }(std::make_index_sequence<plan::count>{});
    s.values.resize((w.row_end - w.row_begin) * n_values);
    [&]<std::size_t... G>(std::index_sequence<G...>) {
      (sweep_parts<G, plan, FS>(aggs_, layout_, s.streams[streams_.source[G]], r.rows.begin(), w, s, s.values.data()),
       ...);
    }(std::make_index_sequence<plan::count>{});
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (
          [&] {
            if constexpr (has_state_v<std::tuple_element_t<A, aggregates>>) {
              sweep_state<A, FS>(aggs_, s.streams[streams_.source[plan::stream_of[A]]], r.rows.begin(), w,
                                 s.values.data());
            }
          }(),
          ...);
    }(std::make_index_sequence<n_aggs>{});
    for (std::size_t i = w.row_begin; i < w.row_end; ++i) {
      eval_columns(fs_, s.values.data() + (i - w.row_begin) * n_values,
                   &out.values(static_cast<Eigen::Index>(r.rows[i].row), 0));
    }
  }

 private:
  [[nodiscard]] std::size_t bucket_of(const key_view_t<key_type>& key) const noexcept {
    return bits_ == 0 ? 0 : static_cast<std::size_t>(bucket_hash(key) >> (64 - bits_));
  }

  // Sorts bucket b's events and rows and fills s.work with one item per spine key (a
  // run of equal keys in the sorted rows) and that key's events — a merge of the two
  // sorted sequences — or one per life with a TTL.
  void work_items(const partitioned_events& e, const partitioned_rows& r, std::size_t b, scratch_type& s) const {
    sort_bucket(e.ev.begin() + e.start[b], e.ev.begin() + e.start[b + 1], s.sort_buffer, s.sort_starts);
    const auto row_less = [](const sorted_row& x, const sorted_row& y) {
      return x.h != y.h ? x.h < y.h : (x.key != y.key ? x.key < y.key : (x.t != y.t ? x.t < y.t : x.row < y.row));
    };
    sorted_row* const r0 = r.rows.begin() + r.start[b];
    sorted_row* const r1 = r.rows.begin() + r.start[b + 1];
    if (!std::is_sorted(r0, r1, row_less)) std::sort(r0, r1, row_less);

    s.work.clear();
    std::size_t ei = e.start[b];
    const std::size_t e_stop = e.start[b + 1];
    for (std::size_t ri = r.start[b], r_stop = r.start[b + 1]; ri < r_stop;) {
      const auto& key = r.rows[ri].key;
      std::size_t r_end = ri + 1;
      while (r_end < r_stop && r.rows[r_end].key == key) ++r_end;
      while (ei < e_stop && entity_less{}(e.ev[ei], r.rows[ri])) ++ei;
      std::size_t e_end = ei;
      while (e_end < e_stop && e.ev[e_end].key == key) ++e_end;
      if (fs_.ttl_us > 0) {
        split_into_lives(e.ev.begin(), r.rows.begin(), {ei, e_end, ri, r_end}, static_cast<std::uint64_t>(fs_.ttl_us),
                         s.work);
      } else {
        s.work.push_back({ei, e_end, ri, r_end});
      }
      ei = e_end;
      ri = r_end;
    }
  }

  const FS& fs_;
  const aggregates aggs_;
  stream_layout<plan::count> streams_;
  sweep_layout<n_aggs> layout_;
  std::array<unsigned, plan::count> prefix_parts_{};
  unsigned threads_ = 1;
  unsigned bits_ = 0;
  std::size_t n_buckets_ = 1;
};

}  // namespace skewless::inline v1::batch::batch_internal
