// skewless/batch/evaluate.hpp — point-in-time-correct training sets from history.
//
// Events (in any order) and spine rows are partitioned by a hash of their key into
// buckets of a few thousand (a stable counting sort, in parallel over the input); each
// bucket is then sorted by (key, time) and evaluated on its own, buckets handed out
// largest first to the threads, so nothing runs on one thread but the last buckets and
// a hot key is started early. While partitioning, each event's entry is computed once
// per entry stream (aggregates whose value and filter are the same expression types
// read the same entries), so the sweeps never go back to the event structs.
//
// For each key, each stream's entries are swept once for all its windows while the
// spine rows advance in time: an entry is in a window once ts < window_end(T) (T, or
// T - D for a lagged window) until ts < window_start(T) (or, for last_n, until n newer
// events are in), so a row sees exactly the events strictly before its T — the
// point-in-time rule holds by construction. Each window is a range of the entries:
// its count is the range's length, its exact sums are differences of the key's prefix
// sums (kernels/fixed_prefix.hpp; or kept entry by entry when the key's values do not
// fit them), its min and max come from a monotonic stack the windows ending at T
// share, first and last from its ends. Aggregates with a state of their own (quantiles,
// distinct counts, ...) are swept alone. A row's value depends only on its key's
// events, never on the buckets or threads.
// With a TTL (feature_set::with_ttl) each key's events are split into lives first, and
// a row sees only the life current at its T (nothing once that life has expired).
// Events and rows outside the accepted time range (kernels/window.hpp) are left out and
// counted; such a row's values are NaN and result::status() names it.
//
//   auto training = skewless::batch::evaluate(features, events, spine);
//   training.values;    // Eigen row-major matrix: spine rows x features
//   training.columns;   // feature names
#pragma once

#include <skewless/expr/canonical.hpp>
#include <skewless/expr/category.hpp>
#include <skewless/expr/key.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/fixed_prefix.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
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

// Keys as the batch holds them: integers by value, strings as views into the caller's
// events and spine, which outlive evaluate.
template <class Key>
using key_view_t = std::conditional_t<std::is_same_v<Key, std::string>, std::string_view, Key>;

// The hash that picks a key's bucket. Only the work's split depends on it, never a
// value, so it may change between releases.
template <class K>
[[nodiscard]] inline std::uint64_t bucket_hash(const K& k) noexcept {
  if constexpr (std::is_integral_v<K>) {
    return mix64(static_cast<std::uint64_t>(k));
  } else {
    return mix64(std::hash<std::string_view>{}(k));
  }
}

template <class W>
consteval std::size_t index_of_window() {
  if constexpr (std::is_same_v<W, sliding_window>) return 0;
  else if constexpr (std::is_same_v<W, lifetime_window>) return 1;
  else if constexpr (std::is_same_v<W, tiled_window>) return 2;
  else return 3;
}
// A window's extent as numbers, compared between windows of one type.
inline std::array<std::int64_t, 2> window_params(const sliding_window& w) noexcept { return {w.width_us, w.offset_us}; }
inline std::array<std::int64_t, 2> window_params(const lifetime_window&) noexcept { return {0, 0}; }
inline std::array<std::int64_t, 2> window_params(const tiled_window& w) noexcept { return {w.width_us, w.hop_us}; }
inline std::array<std::int64_t, 2> window_params(const last_n_window& w) noexcept { return {w.n, 0}; }

// Which entries each aggregate reads. An event's entry for an aggregate depends only on
// its value and filter expressions (entry_value), so aggregates whose value and filter
// are the same constant-free types (field references and operators, no literals: equal
// types mean equal expressions) read one entry stream, computed once per event. Others
// read a stream of their own. A stream whose every event enters as 0.0 (count() with no
// filter) stores nothing.
template <class Tuple>
struct entry_streams;
template <class... Aggs>
struct entry_streams<std::tuple<Aggs...>> {
  static constexpr std::size_t n = sizeof...(Aggs);

 private:
  template <class A>
  using arg_t = typename aggregate_traits<A>::arg;
  template <class A>
  using pred_t = typename aggregate_traits<A>::pred;
  static constexpr std::array<bool, n> typed{(expr_internal::constant_free<arg_t<Aggs>>::value &&
                                              expr_internal::constant_free<pred_t<Aggs>>::value)...};
  template <class A>
  static constexpr std::array<bool, n> same_as{
      (std::is_same_v<arg_t<A>, arg_t<Aggs>> && std::is_same_v<pred_t<A>, pred_t<Aggs>>)...};
  static constexpr std::array<std::array<bool, n>, n> same{same_as<Aggs>...};
  static constexpr std::array<bool, n> constant_entry{
      (std::is_same_v<arg_t<Aggs>, no_arg> && std::is_same_v<pred_t<Aggs>, no_filter>)...};
  static constexpr std::array<bool, n> by_count_agg{counts_events_v<typename aggregate_traits<Aggs>::window>...};

 public:
  // leader[i]: the first aggregate of aggregate i's stream.
  static constexpr std::array<std::size_t, n> leader = [] {
    std::array<std::size_t, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = i;
      for (std::size_t j = 0; j < i && r[i] == i; ++j) {
        if (typed[i] && typed[j] && same[i][j]) r[i] = j;
      }
    }
    return r;
  }();
  static constexpr std::size_t count = [] {
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += leader[i] == i;
    return c;
  }();
  // stream_of[i]: aggregate i's stream; a stream's number is its leader's rank.
  static constexpr std::array<std::size_t, n> stream_of = [] {
    std::array<std::size_t, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < leader[i]; ++j) r[i] += leader[j] == j;
    }
    return r;
  }();
  // first[s]: the aggregate that leads stream s.
  static constexpr std::array<std::size_t, count> first = [] {
    std::array<std::size_t, count> r{};
    for (std::size_t i = 0; i < n; ++i) {
      if (leader[i] == i) r[stream_of[i]] = i;
    }
    return r;
  }();
  // Whether stream s stores a slot per event (not when every event enters as 0.0:
  // count() without a filter); where is decided at run time (stream_layout).
  static constexpr std::array<bool, count> stored = [] {
    std::array<bool, count> r{};
    for (std::size_t i = 0; i < n; ++i) r[stream_of[i]] = !constant_entry[leader[i]];
    return r;
  }();
  // Whether streams g and h have leaders of the same value and filter types: then
  // they are one stream when those expressions are equal at run time too
  // (stream_layout), as where(x > 100) over 1h and over 1d are.
  static constexpr std::array<std::array<bool, count>, count> same_types = [] {
    std::array<std::array<bool, count>, count> r{};
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        if (leader[i] == i && leader[j] == j) r[stream_of[i]][stream_of[j]] = same[i][j];
      }
    }
    return r;
  }();
  // may_ride[i][j] (i < j): aggregate j can take its values from the sweep of
  // aggregate i when their windows turn out equal (run time: window_params): the same
  // stream, the same window type, and both computed from parts (window_parts), which
  // the shared sweep keeps for all of them: count, the exact sums, min, max, first, last.
  static constexpr std::array<std::array<bool, n>, n> may_ride = [] {
    constexpr std::array<bool, n> from_parts{!has_state_v<Aggs>...};
    constexpr std::array<std::size_t, n> window_type{
        index_of_window<typename aggregate_traits<Aggs>::window>()...};
    std::array<std::array<bool, n>, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        r[i][j] = from_parts[i] && from_parts[j] && leader[i] == leader[j] && window_type[i] == window_type[j];
      }
    }
    return r;
  }();
  template <std::size_t I>
  static constexpr std::size_t rider_count = [] {
    std::size_t c = 0;
    for (std::size_t j = 0; j < n; ++j) c += may_ride[I][j];
    return c;
  }();
  // The aggregates that may ride on aggregate I's sweep.
  template <std::size_t I>
  static constexpr std::array<std::size_t, rider_count<I>> riders = [] {
    std::array<std::size_t, rider_count<I>> r{};
    for (std::size_t j = 0, c = 0; j < n; ++j) {
      if (may_ride[I][j]) r[c++] = j;
    }
    return r;
  }();
  // The parts aggregate i's sweep may have to keep: its own and its possible riders'.
  static constexpr std::array<unsigned, n> sweep_parts = [] {
    constexpr std::array<unsigned, n> own{parts_of_v<Aggs>...};
    std::array<unsigned, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = own[i];
      for (std::size_t j = 0; j < n; ++j) {
        if (may_ride[i][j]) r[i] |= own[j];
      }
    }
    return r;
  }();

  // The aggregates of stream G computed from parts (no state of their own): one sweep
  // of the stream serves all of them (sweep_parts); the others are swept alone.
  template <std::size_t G>
  static constexpr std::size_t parts_member_count = [] {
    constexpr std::array<bool, n> from_parts{!has_state_v<Aggs>...};
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += from_parts[i] && stream_of[i] == G;
    return c;
  }();
  template <std::size_t G>
  static constexpr std::array<std::size_t, parts_member_count<G>> parts_members = [] {
    constexpr std::array<bool, n> from_parts{!has_state_v<Aggs>...};
    std::array<std::size_t, parts_member_count<G>> r{};
    for (std::size_t i = 0, c = 0; i < n; ++i) {
      if (from_parts[i] && stream_of[i] == G) r[c++] = i;
    }
    return r;
  }();

  // Whether some aggregate of stream s counts events (last_n): it needs every place.
  static constexpr std::array<bool, count> by_count = [] {
    std::array<bool, count> r{};
    for (std::size_t i = 0; i < n; ++i) r[stream_of[i]] = r[stream_of[i]] || by_count_agg[i];
    return r;
  }();
};

// Which sweep computes each aggregate, from the windows (once per evaluate): host[j]
// is j, or the first earlier aggregate j may ride on whose window equals j's and which
// is swept itself; active[i] the parts aggregate i's sweep keeps for itself and its
// riders.
template <std::size_t N>
struct sweep_layout {
  std::array<std::size_t, N> host;
  std::array<unsigned, N> active;
};
template <class Plan, class Aggs>
[[nodiscard]] sweep_layout<Plan::n> layout_of(const Aggs& aggs) {
  constexpr std::size_t n = Plan::n;
  const std::array<std::array<std::int64_t, 2>, n> window = [&]<std::size_t... A>(std::index_sequence<A...>) {
    return std::array<std::array<std::int64_t, 2>, n>{window_params(std::get<A>(aggs).window)...};
  }(std::make_index_sequence<n>{});
  constexpr std::array<unsigned, n> own = []<std::size_t... A>(std::index_sequence<A...>) {
    return std::array<unsigned, n>{parts_of_v<std::tuple_element_t<A, Aggs>>...};
  }(std::make_index_sequence<n>{});
  sweep_layout<n> r{};
  for (std::size_t j = 0; j < n; ++j) {
    r.host[j] = j;
    for (std::size_t i = 0; i < j; ++i) {
      if (Plan::may_ride[i][j] && r.host[i] == i && window[i] == window[j]) {
        r.host[j] = i;
        break;
      }
    }
    r.active[r.host[j]] |= own[j];
  }
  return r;
}

// An in-range event, partitioned and then sorted within its bucket: its key, its time,
// where its slots are (its place in partition order) and h, the low 32 bits of its
// key's hash (the bucket is the top bits). The slots (window_slot: the entry's value,
// or no_entry when it has none) of each stored stream live apart, in partition order,
// so sorting moves only these 24 bytes. A bucket is sorted by (h, key, ts): keys in
// hash order, which events and rows share, so they merge.
template <class Key>
struct keyed_event {
  key_view_t<Key> key;
  std::int64_t ts;
  std::uint32_t at;
  std::uint32_t h;
};

// Which stream's slots are stored where, at run time: streams of equal expressions
// (same types and canonical text) share one column, computed and gathered once, by the
// first of them (`source`), with every place kept if any of them counts events.
template <std::size_t Streams>
struct stream_layout {
  std::array<std::size_t, Streams> column{};
  std::array<std::size_t, Streams> source{};
  std::array<bool, Streams> by_count{};
  std::size_t stored = 0;  // columns per event
};
template <class Plan, class Aggs>
[[nodiscard]] stream_layout<Plan::count> stream_layout_of(const Aggs& aggs) {
  constexpr std::size_t streams = Plan::count;
  std::array<std::string, streams> text;
  [&]<std::size_t... G>(std::index_sequence<G...>) {
    ((Plan::stored[G] ? void(text[G] = canonical_text(std::get<Plan::first[G]>(aggs).arg) + "\n" +
                                       canonical_text(std::get<Plan::first[G]>(aggs).pred))
                      : void()),
     ...);
  }(std::make_index_sequence<streams>{});
  stream_layout<streams> r;
  for (std::size_t g = 0; g < streams; ++g) {
    r.source[g] = g;
    if (Plan::stored[g]) {
      for (std::size_t h = 0; h < g; ++h) {
        if (Plan::stored[h] && r.source[h] == h && Plan::same_types[g][h] && text[g] == text[h]) {
          r.source[g] = h;
          break;
        }
      }
      r.column[g] = r.source[g] == g ? r.stored++ : r.column[r.source[g]];
    }
    r.by_count[r.source[g]] = r.by_count[r.source[g]] || Plan::by_count[g];
  }
  return r;
}

template <class Key>
struct keyed_row {
  key_view_t<Key> key;
  std::int64_t t;
  std::uint32_t row;
  std::uint32_t h;
};

// The order of keys within a bucket, for events and rows alike: by h, then by key.
struct entity_less {
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return a.h != b.h ? a.h < b.h : a.key < b.key;
  }
};

// Sorts one bucket's events by (h, key, ts). Events usually come in time order (a log),
// and the partition is stable, so the bucket is in time order too: then a stable
// counting sort on the top bits of h (about one key per sub-bucket) groups the keys in
// one pass, and only sub-buckets holding more than one key are sorted further (stable
// insertion by key up to 16 events, a comparison sort by (h, key, ts) beyond: never
// quadratic). Otherwise, a comparison sort.
template <class Event>
void sort_bucket(Event* first, Event* last, std::vector<Event>& tmp, std::vector<std::uint32_t>& start) {
  const auto by_entity_time = [](const Event& x, const Event& y) {
    return x.h != y.h ? x.h < y.h : (x.key != y.key ? x.key < y.key : x.ts < y.ts);
  };
  const auto n = static_cast<std::size_t>(last - first);
  if (n < 256 || !std::is_sorted(first, last, [](const Event& x, const Event& y) { return x.ts < y.ts; })) {
    if (!std::is_sorted(first, last, by_entity_time)) std::sort(first, last, by_entity_time);
    return;
  }
  const int bits = std::min(16, static_cast<int>(std::bit_width(n)));
  const std::size_t subs = std::size_t{1} << bits;
  start.assign(subs + 1, 0);
  for (const Event* e = first; e != last; ++e) ++start[(e->h >> (32 - bits)) + 1];
  for (std::size_t i = 1; i <= subs; ++i) start[i] += start[i - 1];
  tmp.resize(n);
  for (const Event* e = first; e != last; ++e) tmp[start[e->h >> (32 - bits)]++] = *e;
  std::copy(tmp.begin(), tmp.end(), first);
  // start[i] is now the end of sub-bucket i.
  for (std::size_t i = 0, from = 0; i < subs; from = start[i++]) {
    Event* const a = first + from;
    Event* const b = first + start[i];
    if (b - a < 2 || std::is_sorted(a, b, entity_less{})) continue;
    if (b - a <= 16) {
      for (Event* x = a + 1; x < b; ++x) {
        const Event v = *x;
        Event* y = x;
        for (; y > a && entity_less{}(v, *(y - 1)); --y) *y = *(y - 1);
        *y = v;
      }
    } else {
      std::sort(a, b, by_entity_time);
    }
  }
}

struct work_item {
  std::size_t event_begin, event_end;  // into the partitioned events
  std::size_t row_begin, row_end;      // into the partitioned spine
};

// Runs f(0), ..., f(threads - 1), each on its own thread (f(0) on the caller's).
template <class F>
void on_threads(unsigned threads, const F& f) {
  if (threads <= 1) {
    f(0u);
    return;
  }
  std::vector<std::jthread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&f, t] { f(t); });
  f(0u);
}

// Elements that are written before they are read: no zeroing pass over memory the
// partition writes anyway (first touched by the thread that fills it).
template <class T>
struct buffer {
  std::unique_ptr<T[]> data;
  std::size_t size = 0;
  void allocate(std::size_t n) {
    data = std::make_unique_for_overwrite<T[]>(n);
    size = n;
  }
  T* begin() const noexcept { return data.get(); }
  T* end() const noexcept { return data.get() + size; }
  T& operator[](std::size_t i) const noexcept { return data[i]; }
};

// A stable counting sort of inputs 0..n-1 into `buckets` buckets, in parallel over
// `threads` contiguous chunks of the input: bucket_of(i) is input i's bucket, or
// `buckets` to leave it out; allocate(total) is called once the sizes are known, then
// place(i, at) puts input i at place `at`. Bucket b gets the places
// [start[b], start[b + 1]), in input order.
template <class BucketOf, class Allocate, class Place>
void partition(std::size_t n, unsigned threads, std::size_t buckets, const BucketOf& bucket_of,
               const Allocate& allocate, const Place& place, std::vector<std::size_t>& start) {
  const std::size_t width = buckets + 1;
  std::vector<std::uint16_t> bucket(n);
  std::vector<std::size_t> next(std::size_t{threads} * width, 0);
  auto chunk = [&](unsigned c) { return std::pair{n * c / threads, n * (c + 1) / threads}; };
  on_threads(threads, [&](unsigned c) {
    std::size_t* counts = next.data() + std::size_t{c} * width;
    for (auto [i, end] = chunk(c); i < end; ++i) {
      bucket[i] = static_cast<std::uint16_t>(bucket_of(i));
      ++counts[bucket[i]];
    }
  });
  start.assign(width, 0);
  std::size_t at = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    start[b] = at;
    for (unsigned c = 0; c < threads; ++c) {
      std::size_t& slot = next[std::size_t{c} * width + b];
      const std::size_t k = slot;
      slot = at;
      at += k;
    }
  }
  start[buckets] = at;
  allocate(at);
  on_threads(threads, [&](unsigned c) {
    std::size_t* pos = next.data() + std::size_t{c} * width;
    for (auto [i, end] = chunk(c); i < end; ++i) {
      if (bucket[i] != buckets) place(i, pos[bucket[i]]++);
    }
  });
}

// With a TTL: one key's work item as one item per life. Sorted by time, the key's
// events fall into lives, a gap longer than the TTL starting a new one; a row at T
// sees the life of the newest event before T, unless that event is more than the TTL
// before T (expired). Life j spans [s_j, e_j] and s_{j+1} > e_j + ttl, so its rows are
// those with T in (s_j, e_j + ttl]; rows between lives (and before the first event)
// see no events. Each life is then swept alone, exactly as a key of its own.
template <class Event, class Row>
void split_into_lives(const Event* events, const Row* rows, const work_item& key, std::uint64_t ttl,
                      std::vector<work_item>& work) {
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

// The best value (min or max, under Better) of any window [left, right) of a key's
// entries, for several windows that end at the same `right`: a monotonic stack of the
// entries before `right` whose values are not dominated by a later one (increasing
// index, strictly decreasing value under Better) is shared, and each window keeps a
// head, its first stack place that may be in it. The best of [left, right) is at the
// first place whose index is >= left. An entry pushed pops the places it dominates
// and takes the lowest of them; every window's head is lowered to that mark before it
// is read (the places below it are unchanged since, and were all before left). Each
// entry is pushed once and each head passes each place once: linear per window.
template <class Better>
class extremes {
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

struct total_order_greater {
  bool operator()(double a, double b) const noexcept { return total_order_less(b, a); }
};
struct total_order_smaller {
  bool operator()(double a, double b) const noexcept { return total_order_less(a, b); }
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
    if ((parts & part::sum) != 0 &&
        sum.build(n, [&](std::size_t i, auto&& term) { term(entries[i].value); })) {
      prefixed |= part::sum;
    }
    if ((parts & part::sum2) != 0 && sum2.build_squares(n, [&](std::size_t i) { return entries[i].value; })) {
      prefixed |= part::sum2;
    }
  }
};

// Per-thread scratch reused across keys so steady state does not allocate.
template <std::size_t Streams, std::size_t Aggs, class Event>
struct scratch {
  std::vector<Event> sort_buffer;  // sort_bucket's
  std::vector<std::uint32_t> sort_starts;
  std::array<stream_entries, Streams> streams;
  // A stream's sweep: the extremes of its windows that end at T, shared, and those of
  // each aggregate whose window ends earlier (sliding(W).ending(D)).
  extremes<total_order_smaller> min_shared;
  extremes<total_order_greater> max_shared;
  std::array<extremes<total_order_smaller>, Aggs> min_own;
  std::array<extremes<total_order_greater>, Aggs> max_own;
  std::vector<work_item> work;   // the current bucket's keys (or lives)
  std::vector<double> values;    // the current key's aggregate values, row by row
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
void move_end(std::int64_t end, const stream_entries& se, bool places, std::size_t& slot_right,
              std::size_t& right, const Enter& enter) {
  if (places) {
    while (slot_right < se.slots.size() && se.slots[slot_right].ts < end) ++slot_right;
  }
  for (; right < se.entries.size() && se.entries[right].ts < end; ++right) enter(right);
}
// move_start moves `left` to the window's first entry at T, calling leave(i) for each
// entry passed: the newest n places before T (last_n), or the first entry at or after
// window_start(T).
template <class W, class Leave>
void move_start(const W& window, std::int64_t t, const stream_entries& se, std::size_t slot_right,
                std::size_t right, std::size_t& left, const Leave& leave) {
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
template <unsigned Parts>
struct parts_sweep {
  bool on = false;        // swept here (not riding on another's sweep)
  bool shared = false;    // its window ends at T: the stream's right end and extremes
  unsigned active = 0;    // the parts it and its riders need
  unsigned prefixed = 0;  // of those, the sums the stream's prefix sums give
  unsigned summed = 0;    // the rest, kept entry by entry in `sums`
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
    ([&] {
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
    }(), ...);
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
      ([&] {
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
      }(), ...);
    }(std::make_index_sequence<m>{});
  }
}

}  // namespace batch_internal

// What batch::evaluate returns: the values (an Eigen row-major matrix, spine rows x
// feature columns) and the column names. result<decltype(features)> names it too.
template <class FS>
using result = batch_internal::training_set<std::remove_cvref_t<FS>>;

// Features of entity `key` as of `time_us` for each spine row, in spine order. Events
// may be any input range of the feature set's event struct, in any order (at most
// 2^32 - 1 of them, and of spine rows, per call: std::length_error otherwise). The spine's
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
  using aggregates = std::remove_const_t<decltype(fs.aggregates())>;
  using plan = entry_streams<aggregates>;
  using sorted_event = keyed_event<key_type>;
  using sorted_row = keyed_row<key_type>;
  const std::size_t n_events = std::ranges::size(events);
  if (n_events > std::numeric_limits<std::uint32_t>::max() || spine.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("skewless::batch::evaluate: more than 2^32 - 1 events or spine rows in one call; split "
                            "the keys into several calls (arrow::stream_training_set does so)");
  }
  const auto aggs = fs.aggregates();
  const auto event_at = [&](std::size_t i) -> decltype(auto) { return std::ranges::begin(events)[i]; };

  result<FS> out;
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

  unsigned threads = opt.threads != 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  if (n_events + spine.size() < opt.min_parallel_size) threads = 1;
  // Buckets of ~4096 events and rows (at most 2^15): small enough to sort in cache,
  // many more than threads. A function of the input's size only.
  unsigned bits = 0;
  while (bits < 15 && (std::size_t{4096} << bits) < n_events + rows_in_range) ++bits;
  const std::size_t n_buckets = std::size_t{1} << bits;
  const auto bucket_of_key = [bits](const auto& key) -> std::size_t {
    return bits == 0 ? 0 : static_cast<std::size_t>(bucket_hash(key) >> (64 - bits));
  };

  // Events: bucket by key, with each stored stream's slot computed from the event.
  const stream_layout<plan::count> streams = stream_layout_of<plan>(aggs);
  buffer<sorted_event> ev;
  buffer<double> slots;
  std::vector<std::size_t> ev_start;
  partition(
      n_events, threads, n_buckets,
      [&](std::size_t i) {
        const auto& e = event_at(i);
        return in_time_range(FS::time_of(e)) ? bucket_of_key(key_view_t<key_type>(FS::key_of(e))) : n_buckets;
      },
      [&](std::size_t total) {
        ev.allocate(total);
        slots.allocate(total * streams.stored);
      },
      [&](std::size_t i, std::size_t at) {
        const auto& e = event_at(i);
        const key_view_t<key_type> key(FS::key_of(e));
        ev[at] = {key, FS::time_of(e), static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(bucket_hash(key))};
        double* const row = slots.begin() + at * streams.stored;
        [&]<std::size_t... G>(std::index_sequence<G...>) {
          ([&] {
            if constexpr (plan::stored[G]) {
              if (streams.source[G] == G) {
                const auto v = entry_value(std::get<plan::first[G]>(aggs), e);
                row[streams.column[G]] = v ? *v : no_entry;
              }
            }
          }(), ...);
        }(std::make_index_sequence<plan::count>{});
      },
      ev_start);
  out.events_out_of_range = n_events - ev.size;
  buffer<sorted_row> rows;
  std::vector<std::size_t> row_start;
  partition(
      spine.size(), threads, n_buckets,
      [&](std::size_t r) {
        return in_time_range(spine[r].time_us) ? bucket_of_key(key_view_t<key_type>(spine[r].key)) : n_buckets;
      },
      [&](std::size_t total) { rows.allocate(total); },
      [&](std::size_t r, std::size_t at) {
        const auto key = static_cast<key_view_t<key_type>>(spine[r].key);
        rows[at] = {key, spine[r].time_us, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(bucket_hash(key))};
      },
      row_start);

  // Largest buckets first, so a hot key's bucket does not start last.
  std::vector<std::uint32_t> order;
  for (std::size_t b = 0; b < n_buckets; ++b) {
    if (row_start[b] != row_start[b + 1]) order.push_back(static_cast<std::uint32_t>(b));
  }
  const auto weight = [&](std::size_t b) {
    return ev_start[b + 1] - ev_start[b] + row_start[b + 1] - row_start[b];
  };
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return weight(a) != weight(b) ? weight(a) > weight(b) : a < b;
  });

  const sweep_layout<n_aggs> layout = layout_of<plan>(aggs);
  // The sums each stored stream's sweeps need, which its prefix sums can give.
  std::array<unsigned, plan::count> prefix_parts{};
  [&]<std::size_t... A>(std::index_sequence<A...>) {
    ((layout.host[A] == A && !has_state_v<std::tuple_element_t<A, aggregates>>
          ? void(prefix_parts[streams.source[plan::stream_of[A]]] |= layout.active[A] & (part::sum | part::sum2))
          : void()),
     ...);
  }(std::make_index_sequence<n_aggs>{});
  std::atomic<std::size_t> next{0};
  on_threads(threads, [&](unsigned) {
    scratch<plan::count, n_aggs, sorted_event> s;
    for (std::size_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < order.size();) {
      const std::size_t b = order[k];
      sort_bucket(ev.begin() + ev_start[b], ev.begin() + ev_start[b + 1], s.sort_buffer, s.sort_starts);
      const auto row_less = [](const sorted_row& x, const sorted_row& y) {
        return x.h != y.h ? x.h < y.h : (x.key != y.key ? x.key < y.key : (x.t != y.t ? x.t < y.t : x.row < y.row));
      };
      sorted_row* const r0 = rows.begin() + row_start[b];
      sorted_row* const r1 = rows.begin() + row_start[b + 1];
      if (!std::is_sorted(r0, r1, row_less)) std::sort(r0, r1, row_less);

      // One work item per spine key (a run of equal keys in the sorted rows), with
      // that key's events: a merge of the two sorted sequences.
      s.work.clear();
      std::size_t e = ev_start[b];
      const std::size_t e_stop = ev_start[b + 1];
      for (std::size_t r = row_start[b], r_stop = row_start[b + 1]; r < r_stop;) {
        const auto& key = rows[r].key;
        std::size_t r_end = r + 1;
        while (r_end < r_stop && rows[r_end].key == key) ++r_end;
        while (e < e_stop && entity_less{}(ev[e], rows[r])) ++e;
        std::size_t e_end = e;
        while (e_end < e_stop && ev[e_end].key == key) ++e_end;
        if (fs.ttl_us > 0) {
          split_into_lives(ev.begin(), rows.begin(), {e, e_end, r, r_end}, static_cast<std::uint64_t>(fs.ttl_us),
                           s.work);
        } else {
          s.work.push_back({e, e_end, r, r_end});
        }
        e = e_end;
        r = r_end;
      }
      for (const work_item& w : s.work) {
        [&]<std::size_t... G>(std::index_sequence<G...>) {
          ([&] {
             if (streams.source[G] != G) return;
             gather<plan::stored[G]>(ev.begin(), w.event_begin, w.event_end, slots.begin(), streams.stored,
                                     streams.column[G], streams.by_count[G], s.streams[G]);
             s.streams[G].build_prefixes(prefix_parts[G]);
           }(),
           ...);
        }(std::make_index_sequence<plan::count>{});
        s.values.resize((w.row_end - w.row_begin) * n_values);
        [&]<std::size_t... G>(std::index_sequence<G...>) {
          (sweep_parts<G, plan, FS>(aggs, layout, s.streams[streams.source[G]], rows.begin(), w, s, s.values.data()),
           ...);
        }(std::make_index_sequence<plan::count>{});
        [&]<std::size_t... A>(std::index_sequence<A...>) {
          ([&] {
             if constexpr (has_state_v<std::tuple_element_t<A, aggregates>>) {
               sweep_state<A, FS>(aggs, s.streams[streams.source[plan::stream_of[A]]], rows.begin(), w,
                                  s.values.data());
             }
           }(),
           ...);
        }(std::make_index_sequence<n_aggs>{});
        for (std::size_t r = w.row_begin; r < w.row_end; ++r) {
          fs.eval_columns(s.values.data() + (r - w.row_begin) * n_values,
                          &out.values(static_cast<Eigen::Index>(rows[r].row), 0));
        }
      }
    }
  });
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
