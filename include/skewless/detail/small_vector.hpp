// skewless/detail/small_vector.hpp — internal; do not rely on anything here.
//
// A vector of trivially copyable T that holds up to N elements inline and moves to the
// heap only beyond that. The online state keeps the entries an aggregate holds back
// (those of the entity's newest instant) in one: almost always a single entry, so no
// allocation and no extra cache line per aggregate per event. The inline elements and
// the heap pointer share their bytes, and the length and capacity are 32-bit, so one of
// 16-byte entries with N = 1 takes 24 bytes (a std::vector beside an inline array took
// 48). Once on the heap it stays there until it shrinks to N (clear() keeps the block,
// so a burst of ties does not allocate twice).
#pragma once

#include <skewless/config.hpp>
#include <skewless/detail/sequence_archive.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace skewless::inline v1::detail {

template <class T, std::size_t N> class small_vector {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(N >= 1 && N < std::numeric_limits<std::uint32_t>::max());

 public:
  using value_type = T;

  small_vector() noexcept : inline_{} {}
  small_vector(const small_vector& o) : inline_{} { assign(o); }
  small_vector(small_vector&& o) noexcept : inline_{} { take(o); }
  small_vector& operator=(const small_vector& o) {
    if (this != &o) assign(o);
    return *this;
  }
  small_vector& operator=(small_vector&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~small_vector() { release(); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const T* begin() const noexcept { return on_heap() ? heap_ : inline_; }
  [[nodiscard]] const T* end() const noexcept { return begin() + size_; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return begin()[i]; }
  [[nodiscard]] T* data() noexcept { return on_heap() ? heap_ : inline_; }
  [[nodiscard]] const T* data() const noexcept { return begin(); }

  void push_back(const T& x) {
    if (size_ == capacity_) grow();
    data()[size_] = x;
    ++size_;
  }
  void insert(std::size_t i, const T& x) {
    if (size_ == capacity_) grow();
    T* d = data();
    std::memmove(static_cast<void*>(d + i + 1), d + i, (size_ - i) * sizeof(T));
    d[i] = x;
    ++size_;
  }
  void pop_back() noexcept { --size_; }
  // Removes the first k elements; back inline when N or fewer are left.
  void erase_prefix(std::size_t k) noexcept {
    if (k == 0) return;
    const auto left = static_cast<std::uint32_t>(size_ - k);
    if (on_heap() && left <= N) {
      T* const block = heap_;
      const std::uint32_t cap = capacity_;
      std::memcpy(static_cast<void*>(inline_), block + k, left * sizeof(T));
      std::allocator<T>().deallocate(block, cap);
      capacity_ = N;
    } else {
      T* d = data();
      std::memmove(static_cast<void*>(d), d + k, left * sizeof(T));
    }
    size_ = left;
  }
  // Keeps the heap block, so a burst of ties does not allocate twice.
  void clear() noexcept { size_ = 0; }
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return on_heap() ? capacity_ * sizeof(T) : 0; }

  template <class Archive> void save(Archive& ar) const { save_sequence(ar, *this); }
  template <class Archive> void load(Archive& ar) { load_sequence(ar, *this); }

 private:
  [[nodiscard]] bool on_heap() const noexcept { return capacity_ > N; }
  void grow() {
    constexpr std::uint64_t most = std::numeric_limits<std::uint32_t>::max();
    if (capacity_ == most) throw std::length_error("skewless: more than 2^32 - 1 held entries");
    const auto cap = static_cast<std::uint32_t>(std::min<std::uint64_t>(most, std::uint64_t{capacity_} * 2));
    T* const block = std::allocator<T>().allocate(cap);
    std::memcpy(static_cast<void*>(block), data(), size_ * sizeof(T));
    release();
    heap_ = block;
    capacity_ = cap;
  }
  void release() noexcept {
    if (on_heap()) std::allocator<T>().deallocate(heap_, capacity_);
    capacity_ = N;
  }
  void assign(const small_vector& o) {
    if (o.size_ > capacity_) {
      T* const block = std::allocator<T>().allocate(o.size_);
      release();
      heap_ = block;
      capacity_ = o.size_;
    }
    std::memcpy(static_cast<void*>(data()), o.begin(), o.size_ * sizeof(T));
    size_ = o.size_;
  }
  void take(small_vector& o) noexcept {
    if (o.on_heap()) heap_ = o.heap_;
    else std::memcpy(static_cast<void*>(inline_), o.inline_, o.size_ * sizeof(T));
    size_ = o.size_;
    capacity_ = o.capacity_;
    o.capacity_ = N;
    o.size_ = 0;
  }

  union {
    T inline_[N];
    T* heap_;
  };
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = N;  // > N: the elements are in heap_
};

}  // namespace skewless::inline v1::detail
