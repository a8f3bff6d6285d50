// skewless/kernels/collections.hpp — exact states that are not sums: the k first or
// last entries, the distinct values, and value frequencies.
//
// Each state is an order-free function of the multiset of (ts, value) entries added
// to it, and is mergeable, so every back-end — a fold over the window in the
// reference and batch evaluators, tile partials merged online — reaches the same state
// and hence the same bits. The interface every state of a state aggregate has:
//
//   S s;  s.add(timed_value{ts, v});   // v is never NaN (NaN is missing)
//   s.merge(other);                    // as if other's entries had been added
//   s.finalize(t, out);                // writes the aggregate's columns
//   s.remove(timed_value{ts, v});      // optional: takes an added entry out again
//
// A state with remove() is *invertible*: back-ends slide it over a window (add the
// newest, remove the oldest) instead of rebuilding it from the window's entries.
//
// Values are compared as categories: two values are the same category when they are
// equal numbers (so -0.0 and +0.0 are one category), ordered by totalOrder.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/detail/small_vector.hpp>
#include <skewless/kernels/total_order.hpp>

#include <absl/container/btree_map.h>

#include <cereal/cereal.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <vector>

namespace skewless::inline v1 {

namespace kernels_internal {
inline constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
}  // namespace kernels_internal

// The key of a value as a category: equal numbers get equal keys (-0.0 is +0.0), and
// keys sort in totalOrder of the values.
[[nodiscard]] constexpr std::uint64_t category_key(double v) noexcept {
  return total_order_key(v == 0.0 ? 0.0 : v);
}
[[nodiscard]] constexpr double category_of_key(std::uint64_t k) noexcept {
  // Inverse of total_order_key.
  return std::bit_cast<double>((k >> 63) != 0 ? (k & ~(std::uint64_t{1} << 63)) : ~k);
}

// A state that can take an added entry out again.
template <class S>
concept invertible_state = requires(S s, timed_value e) { s.remove(e); };

// A state from which a merged state can be taken out again (counts): a tiled window
// keeps the merge of all its tiles and takes out the few a read must not see, instead
// of merging every tile on every read. Exact, so the value is the same.
template <class S>
concept unmergeable_state = requires(S s, const S& o) {
  s.unmerge(o);
  s.merge_checked(o);
};

// The part of sorted entries [lo, hi) a state needs: all of it, or the newest or
// oldest few when the state says so (first_k, last_k).
template <class S> constexpr void needed_range(std::size_t& lo, std::size_t& hi) noexcept {
  if constexpr (requires { S::only_newest; }) {
    if constexpr (S::only_newest > 0) {
      if (hi - lo > S::only_newest) lo = hi - S::only_newest;
    }
    if constexpr (S::only_oldest > 0) {
      if (hi - lo > S::only_oldest) hi = lo + S::only_oldest;
    }
  }
}

// The K least (Newest = false) or greatest (Newest = true) entries in (ts, value)
// order, kept sorted. first_k writes them oldest first from column 0 with missing
// slots (NaN) at the end; last_k writes them oldest first ending at column K - 1, with
// the missing slots at the front, so column K - 1 is always the newest value.
template <std::size_t K, bool Newest> class kept_entries {
  static_assert(K >= 1);

 public:
  // Of entries in (ts, value) order, only the K newest (oldest) can matter: back-ends
  // holding a window's sorted entries add just those.
  static constexpr std::size_t only_newest = Newest ? K : 0;
  static constexpr std::size_t only_oldest = Newest ? 0 : K;

  void add(timed_value e) noexcept {
    if constexpr (Newest) {
      if (n_ == K && !event_order_less(kept_[0], e)) return;  // not among the K newest
      std::size_t i = n_ == K ? 0 : n_;
      if (n_ == K) {  // drop the oldest, shift left until e's place
        while (i + 1 < K && event_order_less(kept_[i + 1], e)) {
          kept_[i] = kept_[i + 1];
          ++i;
        }
      } else {
        while (i > 0 && event_order_less(e, kept_[i - 1])) {
          kept_[i] = kept_[i - 1];
          --i;
        }
        ++n_;
      }
      kept_[i] = e;
    } else {
      if (n_ == K && !event_order_less(e, kept_[K - 1])) return;  // not among the K oldest
      std::size_t i = n_ == K ? K - 1 : n_;
      if (n_ < K) ++n_;
      while (i > 0 && event_order_less(e, kept_[i - 1])) {
        kept_[i] = kept_[i - 1];
        --i;
      }
      kept_[i] = e;
    }
  }
  void merge(const kept_entries& o) noexcept {
    for (std::size_t i = 0; i < o.n_; ++i) add(o.kept_[i]);
  }
  void finalize(std::int64_t, double* out) const noexcept {
    const std::size_t pad = Newest ? K - n_ : 0;
    for (std::size_t i = 0; i < K; ++i) out[i] = kernels_internal::nan_value;
    for (std::size_t i = 0; i < n_; ++i) out[pad + i] = kept_[i].value;
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return 0; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }
  // For a restore: entries with times in [from, to), never missing.
  void check(std::int64_t from, std::int64_t to) const {
    for (std::size_t i = 0; i < n_; ++i) {
      if (!(kept_[i].ts >= from && kept_[i].ts < to) || kept_[i].value != kept_[i].value) {
        throw std::runtime_error("skewless: snapshot has a kept entry outside its window or missing");
      }
    }
  }

  template <class Archive> void save(Archive& ar) const {
    ar(static_cast<std::uint32_t>(n_));
    for (std::size_t i = 0; i < n_; ++i) ar(kept_[i]);
  }
  template <class Archive> void load(Archive& ar) {
    std::uint32_t n = 0;
    ar(n);
    if (n > K) throw std::runtime_error("skewless: snapshot has more kept entries than k");
    n_ = n;
    for (std::size_t i = 0; i < n_; ++i) ar(kept_[i]);
    for (std::size_t i = 1; i < n_; ++i) {
      if (!event_order_less(kept_[i - 1], kept_[i]) && !(kept_[i - 1] == kept_[i])) {
        throw std::runtime_error("skewless: snapshot has kept entries out of order");
      }
    }
  }

 private:
  std::array<timed_value, K> kept_{};
  std::size_t n_ = 0;
};

// Counts per key, in key order: the frequency table of value_frequencies and the
// buckets of a DDSketch. A B-tree, so counting a new key is O(log n) however many
// distinct keys there are (a sorted vector made a window of n distinct values cost
// O(n^2)); iteration is in key order, as snapshots and quantiles need.
template <class Key> class key_counts {
  using map_type = absl::btree_map<Key, std::uint64_t>;

 public:
  struct item {
    Key key;
    std::uint64_t count;
    template <class Archive> void serialize(Archive& ar) { ar(key, count); }
  };
  // The items in key order, as values.
  class view {
   public:
    class iterator {
     public:
      using value_type = item;
      using difference_type = std::ptrdiff_t;
      iterator() = default;
      explicit iterator(typename map_type::const_iterator it) : it_(it) {}
      item operator*() const { return {it_->first, it_->second}; }
      iterator& operator++() {
        ++it_;
        return *this;
      }
      iterator operator++(int) {
        iterator r = *this;
        ++it_;
        return r;
      }
      friend bool operator==(const iterator& a, const iterator& b) { return a.it_ == b.it_; }

     private:
      typename map_type::const_iterator it_{};
    };
    explicit view(const map_type& m) : m_(&m) {}
    [[nodiscard]] iterator begin() const { return iterator(m_->begin()); }
    [[nodiscard]] iterator end() const { return iterator(m_->end()); }
    [[nodiscard]] std::size_t size() const noexcept { return m_->size(); }
    [[nodiscard]] bool empty() const noexcept { return m_->empty(); }
    [[nodiscard]] item back() const { return *iterator(std::prev(m_->end())); }

   private:
    const map_type* m_;
  };

  void bump(Key k, std::uint64_t by) {
    counts_[k] += by;
    total_ += by;
  }
  void merge(const key_counts& o) {
    for (const auto& [k, c] : o.counts_) counts_[k] += c;
    total_ += o.total_;
  }
  // merge, for states read from a snapshot: throws if a count would overflow.
  void merge_checked(const key_counts& o) {
    for (const auto& [k, c] : o.counts_) {
      if (__builtin_add_overflow(counts_[k], c, &counts_[k])) {
        throw std::runtime_error("skewless: snapshot has counts whose total overflows");
      }
    }
    if (__builtin_add_overflow(total_, o.total_, &total_)) {
      throw std::runtime_error("skewless: snapshot has counts whose total overflows");
    }
  }
  // Takes o's counts away (o must have been merged in); a count of 0 leaves the table.
  void unmerge(const key_counts& o) {
    for (const auto& [k, c] : o.counts_) {
      const auto it = counts_.find(k);
      if (it == counts_.end()) continue;
      total_ -= std::min(it->second, c);
      if (it->second <= c) counts_.erase(it);
      else it->second -= c;
    }
  }
  // Takes one occurrence of k away (k must be counted); a count of 0 leaves the table.
  void drop(Key k) {
    const auto it = counts_.find(k);
    if (it == counts_.end()) return;
    --total_;
    if (--it->second == 0) counts_.erase(it);
  }
  [[nodiscard]] view items() const noexcept { return view(counts_); }
  [[nodiscard]] std::size_t distinct() const noexcept { return counts_.size(); }
  // The sum of the counts (kept, not summed on a read).
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t count_of(Key k) const noexcept {
    const auto it = counts_.find(k);
    return it == counts_.end() ? 0 : it->second;
  }

  // A table read as `base` plus a few signed changes, without copying it: what a read
  // of a window sees when it is the window's running table less the entries or tiles
  // that left it, plus the held ones. items() walks both in key order; settle() sorts
  // and combines the changes first.
  class overlay {
   public:
    explicit overlay(const key_counts* base = nullptr) noexcept : base_(base) {}
    void bump(Key k, std::int64_t by) { changes_.push_back({k, by}); }
    void settle() {
      std::sort(changes_.data(), changes_.data() + changes_.size(),
                [](const change& a, const change& b) { return a.key < b.key; });
      detail::small_vector<change, 8> combined;
      for (const change& c : changes_) {
        if (!combined.empty() && combined[combined.size() - 1].key == c.key) {
          combined.data()[combined.size() - 1].by = wrapping_add(combined[combined.size() - 1].by, c.by);
        } else {
          combined.push_back(c);
        }
      }
      changes_ = std::move(combined);
    }
    // Keys with a positive count, in key order, as key_counts::items() yields them.
    class items_view {
     public:
      class iterator {
       public:
        using value_type = item;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(const overlay* o, typename map_type::const_iterator b, std::size_t c) : o_(o), b_(b), c_(c) {
          settle_on_positive();
        }
        item operator*() const { return current_; }
        iterator& operator++() {
          step();
          settle_on_positive();
          return *this;
        }
        friend bool operator==(const iterator& a, const iterator& b) { return a.b_ == b.b_ && a.c_ == b.c_; }

       private:
        [[nodiscard]] bool at_end() const { return b_ == o_->base_->counts_.end() && c_ == o_->changes_.size(); }
        // The next key of either sequence and its combined count, without moving.
        void settle_on_positive() {
          while (!at_end()) {
            const bool from_base = b_ != o_->base_->counts_.end();
            const bool from_change = c_ < o_->changes_.size();
            Key k{};
            std::int64_t count = 0;
            if (from_base && (!from_change || b_->first <= o_->changes_[c_].key)) {
              k = b_->first;
              count = static_cast<std::int64_t>(b_->second);
              if (from_change && o_->changes_[c_].key == k) count = wrapping_add(count, o_->changes_[c_].by);
            } else {
              k = o_->changes_[c_].key;
              count = o_->changes_[c_].by;
            }
            if (count > 0) {
              current_ = {k, static_cast<std::uint64_t>(count)};
              return;
            }
            step_key(k);
          }
        }
        void step() { step_key(current_.key); }
        void step_key(Key k) {
          if (b_ != o_->base_->counts_.end() && b_->first == k) ++b_;
          if (c_ < o_->changes_.size() && o_->changes_[c_].key == k) ++c_;
        }
        const overlay* o_ = nullptr;
        typename map_type::const_iterator b_{};
        std::size_t c_ = 0;
        item current_{};
      };
      explicit items_view(const overlay* o) : o_(o) {}
      [[nodiscard]] iterator begin() const { return iterator(o_, o_->base_->counts_.begin(), 0); }
      [[nodiscard]] iterator end() const { return iterator(o_, o_->base_->counts_.end(), o_->changes_.size()); }

     private:
      const overlay* o_;
    };
    [[nodiscard]] items_view items() const noexcept { return items_view(this); }
    [[nodiscard]] std::uint64_t total() const noexcept {
      std::uint64_t n = base_->total();
      for (const change& c : changes_) n += static_cast<std::uint64_t>(c.by);  // wraps back for removals
      return n;
    }
    // How many keys have a positive count: the base's, corrected for the changed keys.
    [[nodiscard]] std::size_t distinct() const noexcept {
      std::size_t n = base_->distinct();
      for (const change& c : changes_) {
        const auto b = static_cast<std::int64_t>(base_->count_of(c.key));
        n += (b == 0 && c.by > 0) ? 1 : 0;
        n -= (b > 0 && wrapping_add(b, c.by) <= 0) ? 1 : 0;
      }
      return n;
    }

   private:
    struct change {
      Key key;
      std::int64_t by;
    };
    // Counts and changes of a sane state stay far from the limits; one restored from a
    // hostile snapshot may not, and then wraps rather than overflows.
    static std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
    }
    const key_counts* base_;
    detail::small_vector<change, 8> changes_;
  };
  // An estimate (a B-tree does not report its nodes): a node of about 256 bytes per
  // three quarters of the items it can hold.
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    constexpr std::size_t per_node = (256 - 16) / sizeof(typename map_type::value_type);
    return (counts_.size() * 4 / 3 / per_node + (counts_.empty() ? 0 : 1)) * 256;
  }
  // As cereal writes a vector of items: a u64 size, then (key, count) in key order.
  template <class Archive> void save(Archive& ar) const {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(counts_.size())));
    for (const auto& [k, c] : counts_) ar(k, c);
  }
  // Keys strictly increasing, counts positive, their total without overflow.
  template <class Archive> void load(Archive& ar) {
    const std::uint64_t n = detail::load_length(ar, 2 * sizeof(std::uint64_t));
    counts_.clear();
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      Key k{};
      std::uint64_t c = 0;
      ar(k, c);
      if (c == 0 || (!counts_.empty() && std::prev(counts_.end())->first >= k) ||
          __builtin_add_overflow(total, c, &total)) {
        throw std::runtime_error("skewless: snapshot has an invalid count table");
      }
      counts_.emplace_hint(counts_.end(), k, c);
    }
    total_ = total;
  }

 private:
  map_type counts_;
  std::uint64_t total_ = 0;  // the sum of the counts
};

// A counts state S (category_counts and its kinds, DDSketch) read as S's table `base`
// plus changes, with S's add, remove, merge and unmerge and S's finalize: what a window
// read builds instead of copying the window's running table. Equal counts, so the same
// values as S.
template <class S> class counts_overlay {
 public:
  void reset(const S& base) noexcept { counts_ = typename S::counts_type::overlay(&base.counts()); }
  void add(timed_value e) { counts_.bump(S::count_key(e.value), 1); }
  void remove(timed_value e) { counts_.bump(S::count_key(e.value), -1); }
  void merge(const S& o) {
    for (const auto x : o.counts().items()) counts_.bump(x.key, static_cast<std::int64_t>(x.count));
  }
  void unmerge(const S& o) {
    for (const auto x : o.counts().items()) counts_.bump(x.key, -static_cast<std::int64_t>(x.count));
  }
  // Before finalize: the changes sorted and combined.
  void settle() { counts_.settle(); }
  void finalize(std::int64_t, double* out) const { S::write(counts_, out); }

 private:
  typename S::counts_type::overlay counts_;
};
template <class S>
concept overlaid_state = unmergeable_state<S> && requires(const S& s) { s.counts(); };

// How often each value (as a category) occurs: the state of distinct_count,
// most_frequent and top_k_frequency, which differ only in what they write.
class category_counts {
 public:
  using item = typename key_counts<std::uint64_t>::item;

  using counts_type = key_counts<std::uint64_t>;
  [[nodiscard]] static std::uint64_t count_key(double v) noexcept { return category_key(v); }
  [[nodiscard]] const counts_type& counts() const noexcept { return counts_; }
  void add(timed_value e) { counts_.bump(category_key(e.value), 1); }
  void remove(timed_value e) { counts_.drop(category_key(e.value)); }
  void merge(const category_counts& o) { counts_.merge(o.counts_); }
  void merge_checked(const category_counts& o) { counts_.merge_checked(o.counts_); }
  void unmerge(const category_counts& o) { counts_.unmerge(o.counts_); }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return counts_.heap_bytes(); }
  [[nodiscard]] bool empty() const noexcept { return counts_.items().empty(); }
  // For a restore: every key is a category of a value ingest can add (not NaN, and
  // -0.0 is counted as +0.0).
  void check(std::int64_t, std::int64_t) const {
    for (const item x : counts_.items()) {
      const double v = category_of_key(x.key);
      if (v != v || category_key(v) != x.key) {
        throw std::runtime_error("skewless: snapshot has a category that no value has");
      }
    }
  }
  template <class Archive> void serialize(Archive& ar) { ar(counts_); }

 protected:
  key_counts<std::uint64_t> counts_;  // kept with multiplicities, so values can leave
};

// distinct_count writes how many distinct values there are.
class distinct_values : public category_counts {
 public:
  void finalize(std::int64_t, double* out) const noexcept { write(counts_, out); }
  template <class Counts> static void write(const Counts& counts, double* out) noexcept {
    out[0] = static_cast<double>(counts.distinct());
  }
};

// Writes the K most frequent values, most frequent first; among equally frequent
// values the smaller (totalOrder) comes first. Missing columns (fewer than K distinct
// values) are NaN.
template <std::size_t K> class value_frequencies : public category_counts {
 public:
  void finalize(std::int64_t, double* out) const { write(counts_, out); }
  template <class Counts> static void write(const Counts& counts, double* out) {
    // The K best by (count descending, key ascending), by insertion into a short list.
    std::array<item, K> best{};
    std::size_t n = 0;
    auto better = [](const item& a, const item& b) { return a.count != b.count ? a.count > b.count : a.key < b.key; };
    for (const item x : counts.items()) {
      if (n == K && !better(x, best[K - 1])) continue;
      std::size_t i = n < K ? n++ : K - 1;
      while (i > 0 && better(x, best[i - 1])) {
        best[i] = best[i - 1];
        --i;
      }
      best[i] = x;
    }
    for (std::size_t i = 0; i < K; ++i) {
      out[i] = i < n ? category_of_key(best[i].key) : kernels_internal::nan_value;
    }
  }
};

}  // namespace skewless::inline v1
