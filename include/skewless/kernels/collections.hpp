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
#include <skewless/kernels/total_order.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <iterator>
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

// The part of sorted entries [lo, hi) a state needs: all of it, or the newest or
// oldest few when the state says so (first_k, last_k).
template <class S>
constexpr void needed_range(std::size_t& lo, std::size_t& hi) noexcept {
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
template <std::size_t K, bool Newest>
class kept_entries {
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

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint32_t>(n_));
    for (std::size_t i = 0; i < n_; ++i) ar(kept_[i]);
  }
  template <class Archive>
  void load(Archive& ar) {
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

// Counts per key, sorted by key: the frequency table of value_frequencies and the
// buckets of a DDSketch.
template <class Key>
class key_counts {
 public:
  struct item {
    Key key;
    std::uint64_t count;
    template <class Archive>
    void serialize(Archive& ar) {
      ar(key, count);
    }
  };

  void bump(Key k, std::uint64_t by) {
    const auto it = std::lower_bound(items_.begin(), items_.end(), k,
                                     [](const item& x, Key key) { return x.key < key; });
    if (it != items_.end() && it->key == k) {
      it->count += by;
    } else {
      items_.insert(it, item{k, by});
    }
  }
  void merge(const key_counts& o) {
    for (const item& x : o.items_) bump(x.key, x.count);
  }
  // Takes one occurrence of k away (k must be counted); a count of 0 leaves the table.
  void drop(Key k) {
    const auto it = std::lower_bound(items_.begin(), items_.end(), k,
                                     [](const item& x, Key key) { return x.key < key; });
    if (it == items_.end() || it->key != k) return;
    if (--it->count == 0) items_.erase(it);
  }
  [[nodiscard]] const std::vector<item>& items() const noexcept { return items_; }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return items_.capacity() * sizeof(item); }
  template <class Archive>
  void save(Archive& ar) const {
    detail::save_vector(ar, items_);
  }
  // Keys strictly increasing, counts positive, their total without overflow.
  template <class Archive>
  void load(Archive& ar) {
    detail::load_vector(ar, items_, 2 * sizeof(std::uint64_t));
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].count == 0 || (i > 0 && items_[i - 1].key >= items_[i].key) ||
          __builtin_add_overflow(total, items_[i].count, &total)) {
        throw std::runtime_error("skewless: snapshot has an invalid count table");
      }
    }
  }

 private:
  std::vector<item> items_;  // by key
};

// How often each value (as a category) occurs: the state of distinct_count,
// most_frequent and top_k_frequency, which differ only in what they write.
class category_counts {
 public:
  using item = typename key_counts<std::uint64_t>::item;

  void add(timed_value e) { counts_.bump(category_key(e.value), 1); }
  void remove(timed_value e) { counts_.drop(category_key(e.value)); }
  void merge(const category_counts& o) { counts_.merge(o.counts_); }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return counts_.heap_bytes(); }
  [[nodiscard]] bool empty() const noexcept { return counts_.items().empty(); }
  // For a restore: every key is a category of a value ingest can add (not NaN, and
  // -0.0 is counted as +0.0).
  void check(std::int64_t, std::int64_t) const {
    for (const item& x : counts_.items()) {
      const double v = category_of_key(x.key);
      if (v != v || category_key(v) != x.key) {
        throw std::runtime_error("skewless: snapshot has a category that no value has");
      }
    }
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(counts_);
  }

 protected:
  key_counts<std::uint64_t> counts_;  // kept with multiplicities, so values can leave
};

// distinct_count writes how many distinct values there are.
class distinct_values : public category_counts {
 public:
  void finalize(std::int64_t, double* out) const noexcept {
    out[0] = static_cast<double>(counts_.items().size());
  }
};

// Writes the K most frequent values, most frequent first; among equally frequent
// values the smaller (totalOrder) comes first. Missing columns (fewer than K distinct
// values) are NaN.
template <std::size_t K>
class value_frequencies : public category_counts {
 public:
  void finalize(std::int64_t, double* out) const {
    // The K best by (count descending, key ascending), by insertion into a short list.
    std::array<const item*, K> best{};
    std::size_t n = 0;
    auto better = [](const item* a, const item* b) {
      return a->count != b->count ? a->count > b->count : a->key < b->key;
    };
    for (const item& x : counts_.items()) {
      if (n == K && !better(&x, best[K - 1])) continue;
      std::size_t i = n < K ? n++ : K - 1;
      while (i > 0 && better(&x, best[i - 1])) {
        best[i] = best[i - 1];
        --i;
      }
      best[i] = &x;
    }
    for (std::size_t i = 0; i < K; ++i) {
      out[i] = i < n ? category_of_key(best[i]->key) : kernels_internal::nan_value;
    }
  }
};

}  // namespace skewless::inline v1
