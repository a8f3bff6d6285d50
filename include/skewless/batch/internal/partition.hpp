// skewless/batch/internal/partition.hpp — events and spine rows into buckets by key hash, sorted, split into work.
//
// Internal to batch/. A stable counting sort by a 64-bit hash of the key spreads the
// input over buckets on every thread (partition); each bucket is sorted by (hash, key,
// time) on its own (sort_bucket); a key's events and rows are one work item, or one
// per life with a TTL (split_into_lives). None of it changes a value: only the split.
#pragma once

#include <skewless/expr/category.hpp>
#include <skewless/kernels/window.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace skewless::inline v1::batch::batch_internal {

// Keys as the batch holds them: integers by value, strings as views into the caller's
// events and spine, which outlive evaluate.
template <class Key> using key_view_t = std::conditional_t<std::is_same_v<Key, std::string>, std::string_view, Key>;

// The hash that picks a key's bucket. Only the work's split depends on it, never a
// value, so it may change between releases.
template <class K> [[nodiscard]] inline std::uint64_t bucket_hash(const K& k) noexcept {
  if constexpr (std::is_integral_v<K>) {
    return mix64(static_cast<std::uint64_t>(k));
  } else {
    return mix64(std::hash<std::string_view>{}(k));
  }
}

// An in-range event, partitioned and then sorted within its bucket: its key, its time,
// where its slots are (its place in partition order) and h, the low 32 bits of its
// key's hash (the bucket is the top bits). The slots (window_slot: the entry's value,
// or no_entry when it has none) of each stored stream live apart, in partition order,
// so sorting moves only these 24 bytes. A bucket is sorted by (h, key, ts): keys in
// hash order, which events and rows share, so they merge.
template <class Key> struct keyed_event {
  key_view_t<Key> key;
  std::int64_t ts;
  std::uint32_t at;
  std::uint32_t h;
};

template <class Key> struct keyed_row {
  key_view_t<Key> key;
  std::int64_t t;
  std::uint32_t row;
  std::uint32_t h;
};

// The order of keys within a bucket, for events and rows alike: by h, then by key.
struct entity_less {
  template <class A, class B> bool operator()(const A& a, const B& b) const noexcept {
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
template <class F> void on_threads(unsigned threads, const F& f) {
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
template <class T> struct buffer {
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

}  // namespace skewless::inline v1::batch::batch_internal
