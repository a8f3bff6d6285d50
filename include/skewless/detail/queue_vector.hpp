// skewless/detail/queue_vector.hpp — internal; do not rely on anything here.
//
// A growable ring buffer with indexed access: push_back and pop_front are O(1), and
// insertion or removal in the middle moves the elements on its shorter side. Window
// state is mostly push_back / pop_front with some in-place inserts of late events; a
// ring reuses the slots the front frees, so a sliding window's buffer is one block of
// its live entries plus at most half again (it grows by 1.5x and halves when three
// quarters are free), and nothing moves as the window slides.
//
// A ring stays one array however long it grows, as long as what moves is short. When an
// insertion or removal would move more than 2 * Block elements (late events landing
// inside the window of a busy entity), it becomes tiered: blocks of Block elements,
// each a ring of its own, all full but the first and the last, element i at position
// head + i of their concatenation. An insertion or removal in the middle then moves
// elements within one block and turns each whole block on the shorter side by one slot
// (one element carried across each boundary): O(Block + size / Block) wherever it
// lands. Reads in the tiered form take two more loads, so it goes back to one array
// once a quarter of 4 * Block elements or fewer are left; streams in time order never
// leave the flat form.
#pragma once

#include <skewless/config.hpp>
#include <skewless/detail/sequence_archive.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace skewless::inline v1::detail {

template <class T, std::size_t Block = 1024> class queue_vector {
  static_assert(Block >= 2 && std::has_single_bit(Block), "skewless internal: a block is a power of two");
  static constexpr std::size_t shift = std::bit_width(Block) - 1;
  static constexpr std::size_t mask = Block - 1;
  static constexpr std::size_t long_move = 2 * Block;                                 // more moves than this: tiered
  static constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max() - 1;  // elements
  static constexpr std::uint32_t tiered_mark = std::numeric_limits<std::uint32_t>::max();  // capacity_ when tiered

  // A ring of Block slots: logical slot o is slot[(rot + o) & mask].
  struct block {
    std::size_t rot = 0;
    T slot[Block]{};
    T& at(std::size_t o) noexcept { return slot[(rot + o) & mask]; }
    const T& at(std::size_t o) const noexcept { return slot[(rot + o) & mask]; }
  };
  using blocks = std::vector<std::unique_ptr<block>>;

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

  queue_vector() noexcept : flat_(nullptr) {}
  queue_vector(const queue_vector& o) : flat_(nullptr) { *this = o; }
  queue_vector(queue_vector&& o) noexcept : flat_(nullptr) { take(o); }
  queue_vector& operator=(queue_vector&& o) noexcept {
    if (this != &o) {
      clear();
      take(o);
    }
    return *this;
  }
  queue_vector& operator=(const queue_vector& o) {
    if (this == &o) return *this;
    queue_vector copy;
    if (!o.tiered() && o.capacity_ > 0) copy.reallocate(o.capacity_);
    for (std::size_t i = 0; i < o.size_; ++i) copy.push_back(o[i]);
    return *this = std::move(copy);
  }
  ~queue_vector() { clear(); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // The flat form inline, the tiered one out of line: window buffers are mostly small.
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
    if (tiered()) [[unlikely]]
      return tier_at(head_ + i);
    return flat_[slot(i)];
  }
  [[nodiscard]] T& operator[](std::size_t i) noexcept {
    if (tiered()) [[unlikely]]
      return tier_at(head_ + i);
    return flat_[slot(i)];
  }
  [[nodiscard]] const T& front() const noexcept {
    if (tiered()) [[unlikely]]
      return tier_at(head_);
    return flat_[head_];
  }
  [[nodiscard]] const T& back() const noexcept { return (*this)[size_ - 1]; }
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }
  [[nodiscard]] const_iterator end() const noexcept { return {this, size_}; }

  void push_back(const T& x) {
    if (size_ == capacity_) grow();
    if (tiered()) [[unlikely]] {
      tier_push_back(x);
    } else {
      flat_[slot(size_)] = x;
    }
    ++size_;
  }
  void pop_back() {
    (*this)[size_ - 1] = T{};  // an element may hold memory of its own
    --size_;
    if (tiered()) trim_blocks();
    maybe_shrink();
  }
  void pop_front() {
    if (tiered()) [[unlikely]] {
      tier_pop_front();
      return;
    }
    flat_[head_] = T{};
    head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
    --size_;
    maybe_shrink();
  }
  // Returns capacity beyond what the live elements need (for buffers that rarely pop
  // and whose memory must stay near their size).
  void compact() {
    if (!tiered() && capacity_ > size_ + size_ / 2 + 1) reallocate(size_);
  }
  // Moves the shorter side: O(min(i, size - i)) flat, O(Block + size / Block) tiered.
  void insert(std::size_t i, const T& x) {
    if (!tiered() && std::min<std::size_t>(i, size_ - i) > long_move) become_tiered();
    if (size_ == capacity_) grow();
    if (tiered()) {
      tier_open(i) = x;
      return;
    }
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
  // Removes [first, last): flat, the rest moves down; tiered, one at a time from the
  // shorter side (each element removed was inserted once, at the same cost).
  void erase(std::size_t first, std::size_t last) {
    const std::size_t k = last - first;
    if (k == 0) return;
    if (!tiered() && size_ - last > long_move && k * Block < size_ - last) become_tiered();
    if (tiered()) {
      for (std::size_t j = 0; j < k; ++j) tier_close(first);
    } else {
      for (std::size_t j = first; j + k < size_; ++j) (*this)[j] = std::move((*this)[j + k]);
      for (std::size_t j = size_ - k; j < size_; ++j) (*this)[j] = T{};
      size_ -= static_cast<std::uint32_t>(k);
    }
    maybe_shrink();
  }
  void clear() noexcept {
    if (tiered()) delete tiers_;
    else delete[] flat_;
    flat_ = nullptr;
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
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    if (!tiered()) return std::size_t{capacity_} * sizeof(T);
    return sizeof(blocks) + tiers_->capacity() * sizeof(typename blocks::value_type) + tiers_->size() * sizeof(block);
  }

  template <class Archive> void save(Archive& ar) const { save_sequence(ar, *this); }
  template <class Archive> void load(Archive& ar) { load_sequence(ar, *this); }

 private:
  [[nodiscard]] bool tiered() const noexcept { return capacity_ == tiered_mark; }
  [[nodiscard]] std::size_t slot(std::size_t i) const noexcept {
    const std::size_t j = head_ + i;
    return j >= capacity_ ? j - capacity_ : j;
  }
  [[nodiscard, gnu::pure, gnu::noinline]] T& tier_at(std::size_t p) noexcept {
    return (*tiers_)[p >> shift]->at(p & mask);
  }
  [[nodiscard, gnu::pure, gnu::noinline]] const T& tier_at(std::size_t p) const noexcept {
    return (*tiers_)[p >> shift]->at(p & mask);
  }
  [[gnu::noinline]] void tier_pop_front() {
    tier_at(head_) = T{};
    --size_;
    if (++head_ == Block) {
      tiers_->erase(tiers_->begin());
      head_ = 0;
      trim_blocks();
    }
    maybe_shrink();
  }
  [[gnu::noinline]] void tier_push_back(const T& x) {
    const std::size_t p = head_ + size_;
    if ((p >> shift) == tiers_->size()) tiers_->push_back(std::make_unique<block>());
    (*tiers_)[p >> shift]->at(p & mask) = x;
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
    if (tiered() || capacity_ == most)
      throw std::length_error("skewless: a window buffer of more than 2^32 - 2 entries");
    reallocate(std::min(most, capacity_ + std::max<std::size_t>(1, capacity_ / 2)));
  }
  void maybe_shrink() {
    if (tiered()) {
      if (size_ <= Block) become_flat(size_ + size_ / 2 + 1);
    } else if (capacity_ >= 16 && size_ < capacity_ / 4) {
      reallocate(std::max<std::size_t>(2 * size_, 8));  // half, or less after a long erase
    }
  }
  // Flat only: the elements in a ring of `capacity` slots from slot 0.
  void reallocate(std::size_t capacity) {
    T* next = capacity == 0 ? nullptr : new T[capacity]();
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move((*this)[i]);
    delete[] flat_;
    flat_ = next;
    capacity_ = static_cast<std::uint32_t>(capacity);
    head_ = 0;
  }
  [[gnu::noinline]] void become_tiered() {
    auto next = std::make_unique<blocks>();
    for (std::size_t i = 0; i < size_; ++i) {
      if ((i >> shift) == next->size()) next->push_back(std::make_unique<block>());
      (*next)[i >> shift]->at(i & mask) = std::move((*this)[i]);
    }
    delete[] flat_;
    tiers_ = next.release();
    capacity_ = tiered_mark;
    head_ = 0;
  }
  [[gnu::noinline]] void become_flat(std::size_t capacity) {
    T* next = new T[capacity]();
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move((*this)[i]);
    delete tiers_;
    flat_ = next;
    capacity_ = static_cast<std::uint32_t>(capacity);
    head_ = 0;
  }
  // Tiered: drops blocks past the last element.
  void trim_blocks() {
    const std::size_t needed = (head_ + size_ + mask) >> shift;
    while (tiers_->size() > needed) tiers_->pop_back();
    if (tiers_->capacity() > 2 * tiers_->size() + 8) tiers_->shrink_to_fit();
  }
  // Tiered: makes room at index i (size_ below the mark) and returns the slot.
  [[gnu::noinline]] T& tier_open(std::size_t i) {
    blocks& b = *tiers_;
    if (i >= size_ / 2) {  // elements [i, size) move one place back
      const std::size_t end = head_ + size_;
      if ((end >> shift) == b.size()) b.push_back(std::make_unique<block>());
      const std::size_t p = head_ + i, k = p >> shift, last = end >> shift;
      if (k == last) {
        for (std::size_t j = end & mask; j > (p & mask); --j) b[k]->at(j) = std::move(b[k]->at(j - 1));
      } else {
        T carry = std::move(b[k]->at(mask));
        for (std::size_t j = mask; j > (p & mask); --j) b[k]->at(j) = std::move(b[k]->at(j - 1));
        for (std::size_t m = k + 1; m <= last; ++m) {  // each block turns: its last slot becomes its first
          b[m]->rot = (b[m]->rot - 1) & mask;
          std::swap(carry, b[m]->at(0));
        }
      }
      ++size_;
      return b[k]->at(p & mask);
    }
    // Elements [0, i) move one place to the front (a new first block when there is no room).
    if (head_ == 0) {
      b.insert(b.begin(), std::make_unique<block>());
      head_ = Block;
    }
    --head_;
    ++size_;
    const std::size_t p = head_ + i, k = p >> shift;
    if (k == 0) {
      for (std::size_t j = head_; j < p; ++j) b[0]->at(j) = std::move(b[0]->at(j + 1));
    } else {
      T carry = std::move(b[k]->at(0));
      for (std::size_t j = 0; j < (p & mask); ++j) b[k]->at(j) = std::move(b[k]->at(j + 1));
      for (std::size_t m = k; m-- > 0;) {  // each block turns: its first slot becomes its last
        b[m]->rot = (b[m]->rot + 1) & mask;
        std::swap(carry, b[m]->at(mask));
      }
    }
    return b[k]->at(p & mask);
  }
  // Tiered: removes the element at index i.
  [[gnu::noinline]] void tier_close(std::size_t i) {
    blocks& b = *tiers_;
    const std::size_t p = head_ + i, k = p >> shift;
    if (i >= size_ / 2) {  // elements (i, size) move one place to the front
      const std::size_t end = head_ + size_ - 1, last = end >> shift;
      if (k == last) {
        for (std::size_t j = p & mask; j < (end & mask); ++j) b[k]->at(j) = std::move(b[k]->at(j + 1));
        b[k]->at(end & mask) = T{};
      } else {
        T carry{};
        for (std::size_t m = last; m > k; --m) {
          b[m]->rot = (b[m]->rot + 1) & mask;
          std::swap(carry, b[m]->at(mask));
        }
        for (std::size_t j = p & mask; j < mask; ++j) b[k]->at(j) = std::move(b[k]->at(j + 1));
        b[k]->at(mask) = std::move(carry);
      }
      --size_;
      trim_blocks();
      return;
    }
    // Elements [0, i) move one place back.
    if (k == 0) {
      for (std::size_t j = p; j > head_; --j) b[0]->at(j) = std::move(b[0]->at(j - 1));
      b[0]->at(head_) = T{};
    } else {
      T carry{};
      for (std::size_t m = 0; m < k; ++m) {
        b[m]->rot = (b[m]->rot - 1) & mask;
        std::swap(carry, b[m]->at(0));
      }
      for (std::size_t j = p & mask; j > 0; --j) b[k]->at(j) = std::move(b[k]->at(j - 1));
      b[k]->at(0) = std::move(carry);
    }
    --size_;
    if (++head_ == Block) {
      b.erase(b.begin());
      head_ = 0;
      trim_blocks();
    }
  }
  void take(queue_vector& o) noexcept {
    if (o.tiered()) tiers_ = o.tiers_;
    else flat_ = o.flat_;
    capacity_ = o.capacity_;
    head_ = o.head_;
    size_ = o.size_;
    o.flat_ = nullptr;
    o.capacity_ = 0;
    o.head_ = 0;
    o.size_ = 0;
  }

  // Flat: every slot constructed, the live ones [head_, head_ + size_) mod capacity_.
  // Tiered (capacity_ == tiered_mark): head_ < Block is the first element's position.
  // 32-bit positions keep the whole queue in 24 bytes (one per window per entity).
  union {
    T* flat_;
    blocks* tiers_;
  };
  std::uint32_t capacity_ = 0;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace skewless::inline v1::detail
