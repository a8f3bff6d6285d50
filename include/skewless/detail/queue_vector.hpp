// skewless/detail/queue_vector.hpp — internal; do not rely on anything here.
//
// A growable ring buffer with indexed access: push_back and pop_front are O(1), and
// insertion in the middle shifts the elements on its shorter side (late events land
// near the back, or before a long run of equal times). Window state is mostly push_back / pop_front with rare in-place
// inserts; a ring reuses the slots the front frees, so a sliding window's buffer is one block of its live entries plus
// at most half again (it grows by 1.5x and halves when three quarters are free), and nothing moves as the window
// slides.
#pragma once

#include <skewless/config.hpp>
#include <skewless/detail/sequence_archive.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace skewless::inline v1::detail {

template <class T> class queue_vector {
 public:
  using value_type = T;
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator() = default;
    const_iterator(const queue_vector* q, std::size_t i) : q_(q), i_(i) {}
    reference operator*() const noexcept { return (*q_)[i_]; }
    pointer operator->() const noexcept { return &(*q_)[i_]; }
    const_iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) noexcept {
      const_iterator r = *this;
      ++i_;
      return r;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept { return a.i_ == b.i_; }

   private:
    const queue_vector* q_ = nullptr;
    std::size_t i_ = 0;
  };

  queue_vector() = default;
  queue_vector(const queue_vector& o) { *this = o; }
  queue_vector(queue_vector&&) noexcept = default;
  queue_vector& operator=(queue_vector&&) noexcept = default;
  queue_vector& operator=(const queue_vector& o) {
    if (this == &o) return *this;
    std::unique_ptr<T[]> next = o.capacity_ == 0 ? nullptr : std::make_unique<T[]>(o.capacity_);
    for (std::size_t i = 0; i < o.size_; ++i) next[i] = o[i];
    buf_ = std::move(next);
    capacity_ = o.capacity_;
    head_ = 0;
    size_ = o.size_;
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return buf_[slot(i)]; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return buf_[slot(i)]; }
  [[nodiscard]] const T& front() const noexcept { return buf_[head_]; }
  [[nodiscard]] const T& back() const noexcept { return buf_[slot(size_ - 1)]; }
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }
  [[nodiscard]] const_iterator end() const noexcept { return {this, size_}; }

  void push_back(const T& x) {
    if (size_ == capacity_) grow();
    buf_[slot(size_)] = x;
    ++size_;
  }
  void pop_back() {
    buf_[slot(size_ - 1)] = T{};  // an element may hold memory of its own
    --size_;
    maybe_shrink();
  }
  void pop_front() {
    buf_[head_] = T{};
    head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
    --size_;
    maybe_shrink();
  }
  // Returns capacity beyond what the live elements need (for buffers that rarely pop
  // and whose memory must stay near their size).
  void compact() {
    if (capacity_ > size_ + size_ / 2 + 1) reallocate(size_);
  }
  // Shifts the shorter side: O(min(i, size - i)).
  void insert(std::size_t i, const T& x) {
    if (size_ == capacity_) grow();
    if (i < size_ / 2) {
      head_ = head_ == 0 ? capacity_ - 1 : head_ - 1;
      ++size_;
      for (std::size_t j = 0; j < i; ++j) (*this)[j] = std::move((*this)[j + 1]);
    } else {
      ++size_;
      for (std::size_t j = size_ - 1; j > i; --j) (*this)[j] = std::move((*this)[j - 1]);
    }
    (*this)[i] = x;
  }
  void erase(std::size_t first, std::size_t last) {
    const std::size_t k = last - first;
    if (k == 0) return;
    for (std::size_t j = first; j + k < size_; ++j) (*this)[j] = std::move((*this)[j + k]);
    for (std::size_t j = size_ - k; j < size_; ++j) (*this)[j] = T{};
    size_ -= static_cast<std::uint32_t>(k);
    maybe_shrink();
  }
  void clear() {
    buf_.reset();
    capacity_ = 0;
    head_ = 0;
    size_ = 0;
  }
  // First index i with !pred(self[i]), for pred true on a prefix.
  template <class Pred> [[nodiscard]] std::size_t partition_point(Pred pred) const {
    return partition_between(0, size_, pred);
  }
  // The same, by galloping from the front: O(log i) when the prefix is short, which it
  // is for window starts (few entries expire between two events).
  template <class Pred> [[nodiscard]] std::size_t partition_point_from_front(Pred pred) const {
    std::size_t hi = 1;
    while (hi <= size_ && pred((*this)[hi - 1])) hi *= 2;
    return partition_between(hi / 2, std::min<std::size_t>(hi, std::size_t{size_} + 1) - 1, pred);
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return std::size_t{capacity_} * sizeof(T); }

  template <class Archive> void save(Archive& ar) const { save_sequence(ar, *this); }
  template <class Archive> void load(Archive& ar) { load_sequence(ar, *this); }

 private:
  [[nodiscard]] std::size_t slot(std::size_t i) const noexcept {
    const std::size_t j = head_ + i;
    return j >= capacity_ ? j - capacity_ : j;
  }
  // pred is true before the answer and false from it on, within [lo, hi].
  template <class Pred> [[nodiscard]] std::size_t partition_between(std::size_t lo, std::size_t hi, Pred pred) const {
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (pred((*this)[mid])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  void grow() {
    constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
    if (capacity_ == most) throw std::length_error("skewless: a window buffer of more than 2^32 - 1 entries");
    reallocate(std::min(most, capacity_ + std::max<std::size_t>(1, capacity_ / 2)));
  }
  void maybe_shrink() {
    if (capacity_ >= 16 && size_ < capacity_ / 4) reallocate(capacity_ / 2);
  }
  void reallocate(std::size_t capacity) {
    auto next = std::make_unique<T[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move((*this)[i]);
    buf_ = std::move(next);
    capacity_ = static_cast<std::uint32_t>(capacity);
    head_ = 0;
  }

  // Every slot constructed; the live ones are [head_, head_ + size_) mod capacity_.
  // 32-bit positions keep the whole queue in 24 bytes (one per window per entity).
  std::unique_ptr<T[]> buf_;
  std::uint32_t capacity_ = 0;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace skewless::inline v1::detail
