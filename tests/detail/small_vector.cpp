// Tests for skewless/detail/small_vector.hpp and queue_vector.hpp, the compact
// sequences of the online state: random operations against std::vector / std::deque,
// across the inline/heap boundary, with copies and moves at every step.
#include <skewless/detail/queue_vector.hpp>
#include <skewless/detail/small_vector.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

using skewless::detail::queue_vector;
using skewless::detail::small_vector;

namespace {

struct entry {
  std::int64_t ts;
  double value;
  friend bool operator==(const entry&, const entry&) = default;
};

template <class Seq, class Model> void check_equal(const Seq& s, const Model& m) {
  REQUIRE(s.size() == m.size());
  REQUIRE(s.empty() == m.empty());
  for (std::size_t i = 0; i < m.size(); ++i) REQUIRE(s[i] == m[i]);
}

}  // namespace

TEST_CASE("small_vector: random pushes, inserts, prefix erasures, copies and moves match std::vector", "[detail]") {
  static_assert(sizeof(small_vector<entry, 1>) == 24, "one inline entry, a pointer's room, two 32-bit counts");
  std::mt19937_64 rng(skewless_test::base_seed() + 41);
  for (int round = 0; round < skewless_test::scaled(200); ++round) {
    small_vector<entry, 1> s;
    std::vector<entry> m;
    for (int step = 0; step < 60; ++step) {
      const entry e{static_cast<std::int64_t>(rng() % 1000), static_cast<double>(rng() % 7)};
      switch (rng() % 7) {
        case 0:
        case 1:
          s.push_back(e);
          m.push_back(e);
          break;
        case 2: {
          const std::size_t i = rng() % (m.size() + 1);
          s.insert(i, e);
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(i), e);
          break;
        }
        case 3: {
          const std::size_t k = m.empty() ? 0 : rng() % (m.size() + 1);
          s.erase_prefix(k);
          m.erase(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(k));
          // Back inline once it fits: no heap memory.
          if (k > 0 && m.size() <= 1) CHECK(s.heap_bytes() == 0);
          break;
        }
        case 4: {
          small_vector<entry, 1> copy = s;  // deep: the copy changes alone
          copy.push_back(e);
          check_equal(s, m);
          small_vector<entry, 1> assigned;
          assigned.push_back(e);
          assigned = copy;
          s = assigned;
          m.push_back(e);
          break;
        }
        case 5: {
          small_vector<entry, 1> moved = std::move(s);
          s = small_vector<entry, 1>{};
          s = std::move(moved);
          break;
        }
        default:
          if (rng() % 4 == 0) {
            s.clear();
            m.clear();
          }
          break;
      }
      check_equal(s, m);
    }
  }
}

TEST_CASE("queue_vector: random pushes, pops, inserts, erasures and copies match std::deque", "[detail]") {
  static_assert(sizeof(queue_vector<entry>) == 24, "a pointer and three 32-bit positions");
  std::mt19937_64 rng(skewless_test::base_seed() + 43);
  for (int round = 0; round < skewless_test::scaled(100); ++round) {
    queue_vector<entry> q;
    std::deque<entry> m;
    for (int step = 0; step < 300; ++step) {
      const entry e{static_cast<std::int64_t>(rng() % 1000), static_cast<double>(rng() % 7)};
      const auto op = rng() % 8;
      if (op < 3 || m.empty()) {
        q.push_back(e);
        m.push_back(e);
      } else if (op == 3) {
        q.pop_front();
        m.pop_front();
      } else if (op == 4) {
        q.pop_back();
        m.pop_back();
      } else if (op == 5) {
        const std::size_t i = rng() % (m.size() + 1);
        q.insert(i, e);
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(i), e);
      } else if (op == 6) {
        const std::size_t a = rng() % (m.size() + 1), b = a + rng() % (m.size() - a + 1);
        q.erase(a, b);
        m.erase(m.begin() + static_cast<std::ptrdiff_t>(a), m.begin() + static_cast<std::ptrdiff_t>(b));
      } else {
        queue_vector<entry> copy = q;
        copy.push_back(e);
        check_equal(q, m);
        q = copy;
        q.compact();
        m.push_back(e);
      }
      check_equal(q, m);
      if (!m.empty()) {
        REQUIRE(q.front() == m.front());
        REQUIRE(q.back() == m.back());
      }
      REQUIRE(q.heap_bytes() <= (m.size() * 4 + 24) * sizeof(entry));  // the ring shrinks as it empties
    }
  }
  // Elements with memory of their own are released as they leave, and copied deeply.
  const auto shared = std::make_shared<int>(7);
  queue_vector<std::shared_ptr<int>> owning;
  for (int i = 0; i < 40; ++i) owning.push_back(shared);
  for (int i = 0; i < 30; ++i) owning.pop_front();
  CHECK(shared.use_count() == 11);
  {
    const queue_vector<std::shared_ptr<int>> copy = owning;
    CHECK(shared.use_count() == 21);
  }
  owning.clear();
  CHECK(shared.use_count() == 1);
}
