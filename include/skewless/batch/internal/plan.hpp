// skewless/batch/internal/plan.hpp — which entries each aggregate reads and which sweep computes it.
//
// Internal to batch/ (batch::evaluate is the API). Decided once per evaluate, from the
// aggregates' types (entry_streams: aggregates of equal constant-free value and filter
// types read one entry stream) and from their windows at run time (stream_layout:
// streams of equal canonical text share one column; sweep_layout: an aggregate whose
// window equals an earlier one's in the same stream rides on its sweep).
#pragma once

#include <skewless/expr/canonical.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/entry_plan.hpp>
#include <skewless/kernels/window.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skewless::inline v1::batch::batch_internal {

template <class W> consteval std::size_t index_of_window() {
  if constexpr (std::is_same_v<W, sliding_window>) return 0;
  else if constexpr (std::is_same_v<W, lifetime_window>) return 1;
  else if constexpr (std::is_same_v<W, tiled_window>) return 2;
  else return 3;
}
// A window's extent as numbers, compared between windows of one type.
inline std::array<std::int64_t, 2> window_params(const sliding_window& w) noexcept {
  return {w.width_us, w.offset_us};
}
inline std::array<std::int64_t, 2> window_params(const lifetime_window&) noexcept {
  return {0, 0};
}
inline std::array<std::int64_t, 2> window_params(const tiled_window& w) noexcept {
  return {w.width_us, w.hop_us};
}
inline std::array<std::int64_t, 2> window_params(const last_n_window& w) noexcept {
  return {w.n, 0};
}

// Which entries each aggregate reads: the aggregates that read the same entries
// (kernels/entry_plan.hpp: equal constant-free value and filter types) read one entry
// stream, computed once per event. Others read a stream of their own. A stream whose
// every event enters as 0.0 (count() with no filter) stores nothing.
template <class Tuple> struct entry_streams;
template <class... Aggs> struct entry_streams<std::tuple<Aggs...>> {
  static constexpr std::size_t n = sizeof...(Aggs);

 private:
  using entries = entry_plan<std::tuple<Aggs...>>;  // kernels/entry_plan.hpp
  static constexpr std::array<bool, n> constant_entry{
      (no_value_v<Aggs> && std::is_same_v<entry_pred_t<Aggs>, no_filter>)...};
  static constexpr std::array<bool, n> by_count_agg{counts_events_v<typename aggregate_traits<Aggs>::window>...};

 public:
  // leader[i]: the first aggregate of aggregate i's stream (the aggregates that read
  // the same entries, entry_plan).
  static constexpr std::array<std::size_t, n> leader = entries::leader;
  static constexpr std::size_t count = group_count(leader);
  // stream_of[i]: aggregate i's stream; a stream's number is its leader's rank.
  static constexpr std::array<std::size_t, n> stream_of = group_numbers(leader);
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
        if (leader[i] == i && leader[j] == j) {
          r[stream_of[i]][stream_of[j]] = entries::same_arg[i][j] && entries::same_pred[i][j];
        }
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
    constexpr std::array<std::size_t, n> window_type{index_of_window<typename aggregate_traits<Aggs>::window>()...};
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
template <std::size_t N> struct sweep_layout {
  std::array<std::size_t, N> host;
  std::array<unsigned, N> active;
};
template <class Plan, class Aggs> [[nodiscard]] sweep_layout<Plan::n> layout_of(const Aggs& aggs) {
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
// Which stream's slots are stored where, at run time: streams of equal expressions
// (same types and canonical text) share one column, computed and gathered once, by the
// first of them (`source`), with every place kept if any of them counts events.
template <std::size_t Streams> struct stream_layout {
  std::array<std::size_t, Streams> column{};
  std::array<std::size_t, Streams> source{};
  std::array<bool, Streams> by_count{};
  std::size_t stored = 0;  // columns per event
};
template <class Plan, class Aggs> [[nodiscard]] stream_layout<Plan::count> stream_layout_of(const Aggs& aggs) {
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

}  // namespace skewless::inline v1::batch::batch_internal
