// skewless/detail/small_vector.hpp — internal; do not rely on anything here.
//
// A vector of trivially copyable T that holds up to N elements inline and moves to the
// heap only beyond that. The online state keeps the entries an aggregate holds back
// (those of the entity's newest instant) in one: almost always a single entry, so no
// allocation and no extra cache line per aggregate per event.
#pragma once

#include <skewless/config.hpp>
#include <skewless/detail/sequence_archive.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace skewless::inline v1::detail {

template <class T, std::size_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  using value_type = T;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const T* begin() const noexcept { return size_ <= N ? inline_ : heap_.data(); }
  [[nodiscard]] const T* end() const noexcept { return begin() + size_; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return begin()[i]; }
  [[nodiscard]] T* data() noexcept { return size_ <= N ? inline_ : heap_.data(); }

  void push_back(const T& x) {
    if (size_ < N) {
      inline_[size_] = x;
    } else {
      if (size_ == N) heap_.assign(inline_, inline_ + N);
      heap_.push_back(x);
    }
    ++size_;
  }
  void insert(std::size_t i, const T& x) {
    if (size_ < N) {
      for (std::size_t j = size_; j > i; --j) inline_[j] = inline_[j - 1];
      inline_[i] = x;
    } else {
      if (size_ == N) heap_.assign(inline_, inline_ + N);
      heap_.insert(heap_.begin() + static_cast<std::ptrdiff_t>(i), x);
    }
    ++size_;
  }
  // Removes the first k elements.
  void erase_prefix(std::size_t k) noexcept {
    if (k == 0) return;
    if (size_ <= N) {
      for (std::size_t j = k; j < size_; ++j) inline_[j - k] = inline_[j];
    } else if (size_ - k <= N) {
      for (std::size_t j = k; j < size_; ++j) inline_[j - k] = heap_[j];
      heap_.clear();
    } else {
      heap_.erase(heap_.begin(), heap_.begin() + static_cast<std::ptrdiff_t>(k));
    }
    size_ -= static_cast<std::uint32_t>(k);
  }
  // Keeps the heap capacity, so a burst of ties does not allocate twice.
  void clear() noexcept {
    heap_.clear();
    size_ = 0;
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return heap_.capacity() * sizeof(T); }

  template <class Archive>
  void save(Archive& ar) const {
    save_sequence(ar, *this);
  }
  template <class Archive>
  void load(Archive& ar) {
    load_sequence(ar, *this);
  }

 private:
  T inline_[N]{};
  std::uint32_t size_ = 0;
  std::vector<T> heap_;
};

}  // namespace skewless::inline v1::detail
