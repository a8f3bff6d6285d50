// skewless/online/stream_group.hpp — one buffer for the sliding windows of one stream.
//
// Aggregates over sliding windows that read the same stream — the same where() filter
// and the same value, e.g. count/sum/mean/first of `amount` over 1h, 1d and 7d — keep
// one time-ordered buffer of that stream's entries between them, as long as the widest
// window (plus its lag) needs. Each member aggregate keeps only cursors into the buffer
// and its exact sums over its own range. So the entries cost 16 bytes per event (8 when
// every member counts events) however many aggregates and windows read them, and a read
// whose window lost nothing since the last event touches no entry at all. (min, max
// and last need no entries: a monotonic queue or the newest entry, in parts_window.)
//
// Which aggregates share a buffer is decided from their types (stream_plan below): the
// filter and value expressions must be equal types holding no runtime constants (field
// references and operators only), so equal types mean equal streams. Any other sliding
// aggregate gets a buffer of its own through the same code.
//
// Members of equal window ride on one another: a member whose window equals an earlier
// member's, whose sums and first/last that member computes too and which takes the same
// entries (count, sum and mean over 1h; sum and mean over 7d) keeps no range and no sums
// of its own and reads the earlier one's. Windows are values, so which member rides on
// which is found once per evaluator (layout_of) and passed to every operation; a
// rider's state stays empty.
//
// A member's range, for the entity's floor f (its earliest allowed query time), is
// [lo, hi): the entries with ts >= window_start(w, f), and for a lagged window
// ts < f - lag (a window without lag covers every newer entry, and a query at T = f
// takes out the ones at T). Its sums cover that range. A query at T >= f moves both
// ends to T's window, adjusting a copy of the sums only when they moved.
#pragma once

#include <skewless/detail/queue_vector.hpp>

#include <cereal/cereal.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/kernels/aggregates.hpp>
#include <skewless/kernels/entry_plan.hpp>
#include <skewless/kernels/window.hpp>
#include <skewless/online/parts_window.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::online {

namespace online_internal {

// Aggregates kept in a stream group: parts over a sliding window that need the
// entries. min, max and last alone keep only a monotonic queue or the newest entry
// (parts_window<Parts, sliding_window>).
template <class Agg>
inline constexpr bool streamed_v = std::is_same_v<typename aggregate_traits<Agg>::window, sliding_window> &&
                                   !has_state_v<Agg> && (parts_of_v<Agg> & ~(part::min | part::max | part::last)) != 0;
// ... which may share their group with others of the same types.
template <class Agg> inline constexpr bool shareable_v = streamed_v<Agg> && typed_entries_v<Agg>;

// Which aggregates of a feature set go in which stream group. A value aggregate joins
// the first one with its filter and value; count(), rate() and time_since_*() (no
// value) join the first value group with their filter, whose buffer then also keeps the
// events whose value is missing, or else a group of their own.
template <class Tuple> struct stream_plan;
template <class... Aggs> struct stream_plan<std::tuple<Aggs...>> {
  static constexpr std::size_t n = sizeof...(Aggs);
  static constexpr std::size_t none = no_group;

 private:
  static constexpr std::array<bool, n> streamed{streamed_v<Aggs>...};
  static constexpr std::array<bool, n> shareable{shareable_v<Aggs>...};
  // Which aggregates read the same entries, and which have no value: kernels/entry_plan.hpp.
  using entries = entry_plan<std::tuple<Aggs...>>;
  static constexpr const auto& no_value = entries::no_value;
  static constexpr const auto& same_pred = entries::same_pred;
  static constexpr const auto& same_arg = entries::same_arg;

  static constexpr std::size_t value_leader(std::size_t i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (shareable[j] && !no_value[j] && same_pred[i][j] && same_arg[i][j]) return j;
    }
    return i;
  }
  static constexpr std::size_t leader_of(std::size_t i) {
    if (!streamed[i]) return none;
    if (!shareable[i]) return i;
    if (!no_value[i]) return value_leader(i);
    for (std::size_t j = 0; j < n; ++j) {
      if (shareable[j] && !no_value[j] && same_pred[i][j]) return value_leader(j);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (shareable[j] && no_value[j] && same_pred[i][j]) return j;
    }
    return i;
  }

 public:
  // leader[i]: the aggregate whose stream aggregate i reads, or none (not in a group).
  static constexpr std::array<std::size_t, n> leader = [] {
    std::array<std::size_t, n> r{};
    for (std::size_t i = 0; i < n; ++i) r[i] = leader_of(i);
    return r;
  }();
  static constexpr std::size_t group_count = skewless::group_count(leader);
  // The group of aggregate i (or none), and its place among the group's members.
  static constexpr std::array<std::size_t, n> group_of = group_numbers(leader);
  static constexpr std::array<std::size_t, n> member_of = [] {
    std::array<std::size_t, n> r{};
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = 0;
      for (std::size_t j = 0; j < i; ++j) r[i] += leader[i] != none && leader[j] == leader[i];
    }
    return r;
  }();
  template <std::size_t G>
  static constexpr std::size_t member_count = [] {
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += group_of[i] == G;
    return c;
  }();
  template <std::size_t G>
  static constexpr std::array<std::size_t, member_count<G>> members = [] {
    std::array<std::size_t, member_count<G>> r{};
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (group_of[i] == G) r[c++] = i;
    }
    return r;
  }();
  template <std::size_t G>
  static constexpr std::size_t group_leader = [] {
    for (std::size_t i = 0; i < n; ++i) {
      if (group_of[i] == G) return leader[i];
    }
    return none;
  }();
};

}  // namespace online_internal

// The shared state of the stream group whose members are aggregates M... of the tuple
// Aggs, reading the stream of aggregate Leader. Every operation takes the aggregates
// (their windows are values) and the entity's floor.
template <class Aggs, std::size_t Leader, std::size_t... M> class stream_group {
  template <std::size_t I> using agg_t = std::tuple_element_t<I, Aggs>;
  static constexpr bool valued = (!no_value_v<agg_t<M>> || ...);
  // A value stream that also feeds count() keeps the events whose value is missing.
  static constexpr bool keeps_missing = valued && (no_value_v<agg_t<M>> || ...);
  static constexpr std::size_t member_count = sizeof...(M);
  static constexpr std::array<std::size_t, member_count> member_index{M...};
  static constexpr std::size_t counting_member = [] {
    std::size_t r = Leader;
    ((r = no_value_v<agg_t<M>> ? M : r), ...);
    return r;
  }();

 public:
  using entry = std::conditional_t<valued, timed_value, std::int64_t>;

 private:
  template <class Agg> struct member {
    static constexpr unsigned parts = parts_of_v<Agg>;
    static constexpr bool all_entries = no_value_v<Agg> || !keeps_missing;
    static constexpr unsigned sum_parts = part::count | (parts & (part::sum | part::sum2));
    // What a query computes for this member.
    static constexpr unsigned computed = sum_parts | (parts & (part::first | part::last));
    static_assert((parts & (part::min | part::max)) == 0,
                  "skewless: min and max over sliding windows keep a monotonic queue "
                  "(parts_window), not a stream group's entries");

    // Positions in the entries (32-bit, as the buffer's own).
    std::uint32_t lo = 0;
    std::uint32_t hi = 0;
    std::int64_t front_ts = 0;  // the time of entry lo, when there is one
    sums_of<sum_parts> sums;

    // Whether an entry of the stream enters this aggregate (a value aggregate skips the
    // events kept only for count(), whose value is missing), and as what.
    static bool takes(const entry& e) noexcept {
      if constexpr (all_entries) return true;
      else return !std::isnan(e.value);
    }
    static timed_value as_entry(const entry& e) noexcept {
      if constexpr (!valued || no_value_v<Agg>) return {ts_of(e), 0.0};
      else return e;
    }
    void enter(const entry& e) noexcept {
      if (takes(e)) sums.add(as_entry(e).value);
    }
    void leave(const entry& e) noexcept {
      if (takes(e)) sums.remove(as_entry(e).value);
    }
  };

  static std::int64_t ts_of(const entry& e) noexcept {
    if constexpr (valued) return e.ts;
    else return e;
  }
  static bool entry_less(const entry& a, const entry& b) noexcept {
    if constexpr (valued) return event_order_less(a, b);
    else return a < b;
  }
  // The end of a member's sums for floor f: a lagged window's sums stop where the
  // entries every allowed query sees in full stop; an unlagged one's take every entry.
  static std::int64_t sums_bound(const sliding_window& w, std::int64_t f) noexcept {
    return window_lag(w) == 0 ? std::numeric_limits<std::int64_t>::max() : window_end(w, f);
  }

  template <std::size_t K> using member_t = member<agg_t<member_index[K]>>;
  // Riding is decided over plain arrays (constexpr loops, not a template per pair of
  // members, which a 50-aggregate group would pay for in compile time).
  static constexpr std::array<unsigned, member_count> computed_{member<agg_t<M>>::computed...};
  static constexpr std::array<unsigned, member_count> sum_parts_{member<agg_t<M>>::sum_parts...};
  static constexpr std::array<bool, member_count> all_entries_{member<agg_t<M>>::all_entries...};
  static constexpr std::array<bool, member_count> no_value_{no_value_v<agg_t<M>>...};
  // Whether member k may ride on member j (given equal windows): j computes all k
  // needs, over the same entries, with values where k reads values.
  static constexpr bool can_host(std::size_t j, std::size_t k) noexcept {
    return j < k && (computed_[j] & computed_[k]) == computed_[k] && all_entries_[j] == all_entries_[k] &&
           (no_value_[k] || !no_value_[j]);
  }
  // The sums parts of k and of every member it may ride on: k's query scratch.
  static constexpr unsigned scratch_parts(std::size_t k) noexcept {
    unsigned r = sum_parts_[k];
    for (std::size_t j = 0; j < k; ++j) r |= can_host(j, k) ? sum_parts_[j] : 0u;
    return r;
  }
  // The members k may ride on.
  template <std::size_t K>
  static constexpr auto hosts_for = [] {
    constexpr std::size_t n = [] {
      std::size_t c = 0;
      for (std::size_t j = 0; j < K; ++j) c += can_host(j, K);
      return c;
    }();
    std::array<std::size_t, n> r{};
    for (std::size_t j = 0, c = 0; j < K; ++j) {
      if (can_host(j, K)) r[c++] = j;
    }
    return r;
  }();

 public:
  // Room for member K's sums (or its host's) when a query adjusts them.
  template <std::size_t K> using scratch_type = sums_of<scratch_parts(K)>;

  // layout[K]: the member whose range and sums member K reads, K itself or the first
  // earlier member of equal window it may ride on. One per evaluator: from the windows.
  using layout = std::array<std::uint8_t, member_count>;
  static_assert(member_count < 256);
  [[nodiscard]] static layout layout_of(const Aggs& aggs) {
    const std::array<const sliding_window*, member_count> w{&std::get<M>(aggs).window...};
    layout r{};
    for (std::size_t k = 0; k < member_count; ++k) {
      r[k] = static_cast<std::uint8_t>(k);
      for (std::size_t j = 0; j < k; ++j) {
        if (can_host(j, k) && r[j] == j && w[j]->width_us == w[k]->width_us && w[j]->offset_us == w[k]->offset_us) {
          r[k] = static_cast<std::uint8_t>(j);
          break;
        }
      }
    }
    return r;
  }

  // The entry event `e` puts in the stream, if any.
  template <class E> [[nodiscard]] static std::optional<entry> entry_of(const Aggs& aggs, const E& e, std::int64_t t) {
    if constexpr (!valued) {
      if (!entry_value(std::get<Leader>(aggs), e)) return std::nullopt;
      return t;
    } else if constexpr (!keeps_missing) {
      const auto v = entry_value(std::get<Leader>(aggs), e);
      if (!v) return std::nullopt;
      return timed_value{t, *v};
    } else {
      if (!entry_value(std::get<counting_member>(aggs), e)) return std::nullopt;  // filtered out
      const auto v = entry_value(std::get<Leader>(aggs), e);
      return timed_value{t, v ? *v : std::numeric_limits<double>::quiet_NaN()};
    }
  }

  // Applies entry e (from entry_of) for an entity whose floor is f. An entry of the
  // newest instant is appended (the instant is sorted once when a newer one starts), a
  // late one lands in place; one that no member's window can see any more is dropped.
  void insert(const Aggs& aggs, const layout& hosts, const entry& e, std::int64_t f) {
    const std::int64_t ts = ts_of(e);
    if (((ts < window_start(std::get<M>(aggs).window, f)) && ...)) return;
    const std::size_t n = entries_.size();
    std::size_t i = n;
    if (n == 0 || ts > ts_of(entries_[n - 1])) {  // a new newest instant
      close_instant();
      tail_ = static_cast<std::uint32_t>(n);
      instant_ = {};
      entries_.push_back(e);
      instant_.fold(entries_, tail_, n);
    } else if (ts == ts_of(entries_[n - 1])) {  // the newest instant: any order
      entries_.push_back(e);
      instant_.fold(entries_, tail_, n);
    } else {  // late: in place among the sorted entries before the newest instant
      i = first_after(e);
      entries_.insert(i, e);
      ++tail_;
    }
    for_each_member(
        hosts,
        [&](auto& m, const sliding_window& w) {
          if (ts < window_start(w, f)) {
            ++m.lo;
            ++m.hi;
            return;
          }
          if (i == m.lo) m.front_ts = ts;
          if (ts < sums_bound(w, f)) {
            m.enter(e);
            ++m.hi;
          }
        },
        aggs);
  }

  // The floor rose to f: each member's ranges move to f's windows, and entries no
  // member can see any more leave the buffer.
  void release(const Aggs& aggs, const layout& hosts, std::int64_t f) {
    const std::size_t n = entries_.size();
    std::size_t keep_from = n;
    for_each_member(
        hosts,
        [&](auto& m, const sliding_window& w) {
          const std::int64_t bound = sums_bound(w, f);
          while (m.hi < n && ts_of(entries_[m.hi]) < bound) m.enter(entries_[m.hi++]);
          const std::int64_t start = window_start(w, f);
          while (m.lo < n && ts_of(entries_[m.lo]) < start) m.leave(entries_[m.lo++]);
          if (m.lo < n) m.front_ts = ts_of(entries_[m.lo]);
          keep_from = std::min<std::size_t>(keep_from, m.lo);
        },
        aggs);
    if (keep_from == 0) return;
    for (std::size_t k = 0; k < keep_from; ++k) entries_.pop_front();
    // A member's range covers the newest instant whole or not at all (its entries share
    // one time), so entries go up to it, or with it.
    tail_ = tail_ > keep_from ? static_cast<std::uint32_t>(tail_ - keep_from) : 0;
    if (entries_.empty()) instant_ = {};
    for_each_member(
        hosts,
        [&](auto& m, const sliding_window&) {
          m.lo -= static_cast<std::uint32_t>(keep_from);
          m.hi -= static_cast<std::uint32_t>(keep_from);
        },
        aggs);
  }

  // The parts of member K's window at t (t >= the entity's floor). p's sums point into
  // this state or into `scratch`.
  template <std::size_t K, class Scratch>
  void query(const Aggs& aggs, const layout& hosts, std::int64_t t, window_parts& p, Scratch& scratch) const {
    constexpr auto& candidates = hosts_for<K>;
    if constexpr (!candidates.empty()) {
      if (hosts[K] != K) {
        [&]<std::size_t... C>(std::index_sequence<C...>) {
          ((hosts[K] == candidates[C] ? query_own<candidates[C]>(aggs, t, p, scratch) : void()), ...);
        }(std::make_index_sequence<candidates.size()>{});
        return;
      }
    }
    query_own<K>(aggs, t, p, scratch);
  }

 private:
  template <std::size_t K, class Scratch>
  void query_own(const Aggs& aggs, std::int64_t t, window_parts& p, Scratch& scratch) const {
    using Member = member_t<K>;
    const Member& m = std::get<K>(members_);
    const sliding_window& w = std::get<member_index[K]>(aggs).window;
    const std::size_t n = entries_.size();
    const std::int64_t start = window_start(w, t);
    const std::int64_t end = window_end(w, t);
    // Usually nothing expired and nothing is too new: decided without reading entries.
    std::size_t lo = m.lo;
    if (lo < n && m.front_ts < start) lo = first_at_or_after(lo, start);
    std::size_t hi = n;
    if (n != 0 && ts_of(entries_[n - 1]) >= end) {
      hi = m.hi;
      if (hi < n && ts_of(entries_[hi]) < end) hi = first_at_or_after(hi, end);
      while (hi > lo && ts_of(entries_[hi - 1]) >= end) --hi;
    }
    if (hi < lo) hi = lo;
    online_internal::sums_between(
        p, scratch, m.sums, entries_, m.lo, m.hi, lo, hi,
        [](auto& s, const entry& e) {
          if (Member::takes(e)) s.remove(Member::as_entry(e).value);
        },
        [](auto& s, const entry& e) {
          if (Member::takes(e)) s.add(Member::as_entry(e).value);
        });
    // The range holds the newest instant whole (hi == n) or not at all; its entries are
    // in arrival order, so its least and greatest come from instant_.
    const bool with_instant = hi == n && tail_ < n && lo <= tail_;
    if constexpr ((Member::parts & part::first) != 0) {
      for (std::size_t i = lo; i < std::min<std::size_t>(hi, tail_); ++i) {
        if (Member::takes(entries_[i])) {
          p.first = Member::as_entry(entries_[i]);
          break;
        }
      }
      if (!p.first && with_instant) {
        if (const auto at = instant_.least(Member::all_entries); at != instant_extremes::none) {
          p.first = Member::as_entry(entries_[tail_ + at]);
        }
      }
    }
    if constexpr ((Member::parts & part::last) != 0) {
      if (with_instant) {
        if (const auto at = instant_.greatest(Member::all_entries); at != instant_extremes::none) {
          p.last = Member::as_entry(entries_[tail_ + at]);
        }
      }
      for (std::size_t i = std::min<std::size_t>(hi, tail_); !p.last && i > lo; --i) {
        if (Member::takes(entries_[i - 1])) p.last = Member::as_entry(entries_[i - 1]);
      }
    }
  }

 public:
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = entries_.heap_bytes();
    std::apply([&](const auto&... m) { ((b += m.sums.heap_bytes()), ...); }, members_);
    return b;
  }

  // Snapshots keep the entries only, in entry order (the newest instant sorted, so equal
  // states give equal bytes); restore() rebuilds the rest and checks them.
  template <class Archive> void save(Archive& ar) const {
    std::vector<entry> instant;
    for (std::size_t i = tail_; i < entries_.size(); ++i) instant.push_back(entries_[i]);
    std::sort(instant.begin(), instant.end(), entry_less);
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(entries_.size())));
    for (std::size_t i = 0; i < tail_; ++i) ar(entries_[i]);
    for (const entry& e : instant) ar(e);
  }
  template <class Archive> void load(Archive& ar) { ar(entries_); }
  // After load, for an entity whose floor is f and whose newest event is at `newest`:
  // refuses entries out of order, newer than the entity, older than every window or
  // missing where the stream keeps no missing values; then rebuilds the members.
  void restore(const Aggs& aggs, const layout& hosts, std::int64_t f, std::int64_t newest) {
    const std::size_t n = entries_.size();
    std::int64_t oldest_start = std::numeric_limits<std::int64_t>::max();
    ((oldest_start = std::min(oldest_start, window_start(std::get<M>(aggs).window, f))), ...);
    for (std::size_t i = 0; i < n; ++i) {
      const entry& e = entries_[i];
      bool bad = !in_time_range(ts_of(e)) || ts_of(e) > newest || ts_of(e) < oldest_start ||
                 (i > 0 && entry_less(e, entries_[i - 1]));
      if constexpr (valued && !keeps_missing) bad = bad || std::isnan(e.value);
      if (bad) throw std::runtime_error("skewless: invalid stream buffer in snapshot");
    }
    tail_ = static_cast<std::uint32_t>(n);
    while (tail_ > 0 && ts_of(entries_[tail_ - 1]) == ts_of(entries_[n - 1])) --tail_;
    instant_ = {};
    for (std::size_t i = tail_; i < n; ++i) instant_.fold(entries_, tail_, i);
    members_ = {};
    for_each_member(
        hosts,
        [&](auto& m, const sliding_window& w) {
          const auto first_from = [&](std::int64_t ts) {
            return entries_.partition_point([&](const entry& e) { return ts_of(e) < ts; });
          };
          m.lo = static_cast<std::uint32_t>(first_from(window_start(w, f)));
          m.hi = static_cast<std::uint32_t>(first_from(sums_bound(w, f)));
          for (std::size_t i = m.lo; i < m.hi; ++i) m.enter(entries_[i]);
          if (m.lo < n) m.front_ts = ts_of(entries_[m.lo]);
        },
        aggs);
  }

 private:
  // f(member, its window) for each member that keeps its own state.
  template <class F> void for_each_member(const layout& hosts, F&& f, const Aggs& aggs) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((hosts[K] == K ? f(std::get<K>(members_), std::get<member_index[K]>(aggs).window) : void()), ...);
    }(std::make_index_sequence<member_count>{});
  }

  // The first index at or after `from` whose entry's time is >= ts, galloping (the
  // entries that left a window since the last release are few).
  [[nodiscard]] std::size_t first_at_or_after(std::size_t from, std::int64_t ts) const {
    const std::size_t n = entries_.size();
    std::size_t step = 1, lo = from, hi = from;
    while (hi < n && ts_of(entries_[hi]) < ts) {
      lo = hi + 1;
      hi = std::min(n, hi + step);
      step *= 2;
    }
    while (lo < hi) {  // entries before lo are < ts; entry hi (if any) is >= ts
      const std::size_t mid = lo + (hi - lo) / 2;
      if (ts_of(entries_[mid]) < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Where the least and greatest entries of the newest instant are, over all of them and
  // over those with a value (what value members take): offsets from tail_, which late
  // entries (inserted before it) and releases (which pop before it) do not change.
  struct instant_extremes {
    static constexpr std::uint32_t none = 0xffffffffu;
    std::uint32_t least_all = none, greatest_all = none, least_valued = none, greatest_valued = none;
    void fold(const detail::queue_vector<entry>& entries, std::size_t tail, std::size_t i) noexcept {
      const entry& e = entries[i];
      const auto at = static_cast<std::uint32_t>(i - tail);
      const auto update = [&](std::uint32_t& best, bool want_less) {
        if (best == none || (want_less ? entry_less(e, entries[tail + best]) : entry_less(entries[tail + best], e))) {
          best = at;
        }
      };
      update(least_all, true);
      update(greatest_all, false);
      if constexpr (valued) {
        if (std::isnan(e.value)) return;
      }
      update(least_valued, true);
      update(greatest_valued, false);
    }
    [[nodiscard]] std::uint32_t least(bool all) const noexcept { return all ? least_all : least_valued; }
    [[nodiscard]] std::uint32_t greatest(bool all) const noexcept { return all ? greatest_all : greatest_valued; }
  };

  // The first index in [0, tail_) whose entry is after e in entry order (a binary search).
  [[nodiscard]] std::size_t first_after(const entry& e) const {
    std::size_t lo = 0, hi = tail_;
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (entry_less(e, entries_[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  // Sorts the newest instant's entries, [tail_, n), into entry order: once per instant,
  // so a burst of k equal times costs O(k log k) whatever its arrival order. Small
  // instants (the usual one entry) are sorted in place without allocating.
  void close_instant() {
    const std::size_t n = entries_.size();
    if (n - tail_ <= 1) return;
    if (n - tail_ <= 32) {
      for (std::size_t i = tail_ + 1; i < n; ++i) {
        const entry e = entries_[i];
        std::size_t j = i;
        while (j > tail_ && entry_less(e, entries_[j - 1])) {
          entries_[j] = entries_[j - 1];
          --j;
        }
        entries_[j] = e;
      }
      return;
    }
    std::vector<entry> instant;
    instant.reserve(n - tail_);
    for (std::size_t i = tail_; i < n; ++i) instant.push_back(entries_[i]);
    std::sort(instant.begin(), instant.end(), entry_less);
    for (std::size_t i = tail_; i < n; ++i) entries_[i] = instant[i - tail_];
  }

  // Entries in entry order, but for the newest instant's, [tail_, n): all of one time
  // (the greatest), in arrival order.
  detail::queue_vector<entry> entries_;
  std::uint32_t tail_ = 0;
  instant_extremes instant_;
  std::tuple<member<agg_t<M>>...> members_;
};

namespace online_internal {

// stream_group_t<Aggs, G>: the state type of group G of stream_plan<Aggs>.
template <class Aggs, std::size_t G, class = std::make_index_sequence<stream_plan<Aggs>::template member_count<G>>>
struct stream_group_of;
template <class Aggs, std::size_t G, std::size_t... K> struct stream_group_of<Aggs, G, std::index_sequence<K...>> {
  using plan = stream_plan<Aggs>;
  using type = stream_group<Aggs, plan::template group_leader<G>, plan::template members<G>[K]...>;
};
template <class Aggs, class = std::make_index_sequence<stream_plan<Aggs>::group_count>> struct stream_groups_of;
template <class Aggs, std::size_t... G> struct stream_groups_of<Aggs, std::index_sequence<G...>> {
  using type = std::tuple<typename stream_group_of<Aggs, G>::type...>;
};

}  // namespace online_internal

template <class Aggs> using stream_groups_t = typename online_internal::stream_groups_of<Aggs>::type;

namespace online_internal {
template <class Aggs, class = std::make_index_sequence<stream_plan<Aggs>::group_count>> struct stream_layouts_of;
template <class Aggs, std::size_t... G> struct stream_layouts_of<Aggs, std::index_sequence<G...>> {
  using type = std::tuple<typename stream_group_of<Aggs, G>::type::layout...>;
  static type make(const Aggs& aggs) { return type{stream_group_of<Aggs, G>::type::layout_of(aggs)...}; }
};
}  // namespace online_internal

// Each group's layout (which member rides on which), found from the windows.
template <class Aggs> using stream_layouts_t = typename online_internal::stream_layouts_of<Aggs>::type;
template <class Aggs> [[nodiscard]] stream_layouts_t<Aggs> stream_layouts_of(const Aggs& aggs) {
  return online_internal::stream_layouts_of<Aggs>::make(aggs);
}

}  // namespace skewless::inline v1::online
