// skewless/detail/queue_vector.hpp — internal; do not rely on anything here.
//
// A vector with a moving front: pop_front is O(1) amortised (the dead prefix is
// dropped when it outgrows the live part), insertion in the middle is a vector insert.
// Sliding-window state is mostly push_back / pop_front with rare in-place inserts for
// late events, and this keeps it in one contiguous block.
#pragma once

#include <skewless/config.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace skewless::inline v1::detail {

template <class T>
class queue_vector {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return v_.size() - head_; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return v_[head_ + i]; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return v_[head_ + i]; }
  [[nodiscard]] const T& front() const noexcept { return v_[head_]; }
  [[nodiscard]] const T& back() const noexcept { return v_.back(); }
  [[nodiscard]] auto begin() const noexcept { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
  [[nodiscard]] auto end() const noexcept { return v_.end(); }

  void push_back(const T& x) { v_.push_back(x); }
  void pop_back() noexcept { v_.pop_back(); }
  void pop_front() noexcept {
    ++head_;
    if (head_ == v_.size()) {
      v_.clear();
      head_ = 0;
    } else if (head_ >= 32 && head_ * 2 >= v_.size()) {
      v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  // Moves the live elements to the front of the buffer now, so no popped slots are kept
  // (for queues that pop rarely and whose memory must stay near their size).
  void compact() {
    if (head_ == 0) return;
    v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  void insert(std::size_t i, const T& x) {
    v_.insert(v_.begin() + static_cast<std::ptrdiff_t>(head_ + i), x);
  }
  void erase(std::size_t first, std::size_t last) {
    v_.erase(v_.begin() + static_cast<std::ptrdiff_t>(head_ + first),
             v_.begin() + static_cast<std::ptrdiff_t>(head_ + last));
  }
  void clear() noexcept {
    v_.clear();
    head_ = 0;
  }
  // First index i with !pred(self[i]), for pred true on a prefix.
  template <class Pred>
  [[nodiscard]] std::size_t partition_point(Pred pred) const {
    return static_cast<std::size_t>(std::partition_point(begin(), end(), pred) - begin());
  }
  // The same, by galloping from the front: O(log i) when the prefix is short, which it
  // is for window starts (few entries expire between two events).
  template <class Pred>
  [[nodiscard]] std::size_t partition_point_from_front(Pred pred) const {
    const std::size_t n = size();
    std::size_t hi = 1;
    while (hi <= n && pred((*this)[hi - 1])) hi *= 2;
    const std::size_t lo = hi / 2;
    const std::size_t end_ = std::min(hi, n + 1) - 1;  // pred false at end_ or end_ == n
    return lo + static_cast<std::size_t>(
                    std::partition_point(begin() + static_cast<std::ptrdiff_t>(lo),
                                         begin() + static_cast<std::ptrdiff_t>(end_), pred) -
                    (begin() + static_cast<std::ptrdiff_t>(lo)));
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return v_.capacity() * sizeof(T); }

  template <class Archive>
  void save(Archive& ar) const {
    const std::uint64_t n = size();
    ar(n);
    for (std::size_t i = 0; i < n; ++i) ar((*this)[i]);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint64_t n = 0;
    ar(n);
    if (n > (std::uint64_t{1} << 40)) throw std::runtime_error("skewless: corrupt queue length");
    clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      T x{};
      ar(x);
      v_.push_back(x);
    }
  }

 private:
  std::vector<T> v_;
  std::size_t head_ = 0;
};

}  // namespace skewless::inline v1::detail
