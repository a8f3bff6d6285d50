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
  bool same = true;  // one assertion: the tiered test compares millions of elements
  for (std::size_t i = 0; i < m.size(); ++i) same = same && s[i] == m[i];
  REQUIRE(same);
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

namespace {
// Random operations on q, checked against std::deque after each. `push_weight` of 8
// operations push (more than 3 grows the queue past its flat form on average).
// The heap stays within `per_element` elements' bytes per element (plus a constant).
template <class Q>
void random_queue_ops(std::mt19937_64& rng, int rounds, int steps, unsigned push_weight, std::size_t per_element) {
  for (int round = 0; round < rounds; ++round) {
    Q q;
    std::deque<entry> m;
    for (int step = 0; step < steps; ++step) {
      const entry e{static_cast<std::int64_t>(rng() % 1000), static_cast<double>(rng() % 7)};
      const auto op = rng() % (push_weight + 5);
      if (op < push_weight || m.empty()) {
        q.push_back(e);
        m.push_back(e);
      } else if (op == push_weight) {
        q.pop_front();
        m.pop_front();
      } else if (op == push_weight + 1) {
        q.pop_back();
        m.pop_back();
      } else if (op == push_weight + 2) {
        const std::size_t i = rng() % (m.size() + 1);
        q.insert(i, e);
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(i), e);
      } else if (op == push_weight + 3) {
        // Mostly short ranges, as the extremum queue erases; sometimes up to the end.
        const std::size_t a = rng() % (m.size() + 1);
        const std::size_t b = rng() % 4 == 0 ? a + rng() % (m.size() - a + 1) : std::min(m.size(), a + rng() % 3);
        q.erase(a, b);
        m.erase(m.begin() + static_cast<std::ptrdiff_t>(a), m.begin() + static_cast<std::ptrdiff_t>(b));
      } else {
        Q copy = q;
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
      REQUIRE(q.heap_bytes() <= (m.size() * per_element + 24) * sizeof(entry));  // it shrinks as it empties
    }
  }
}
}  // namespace

TEST_CASE("queue_vector: random pushes, pops, inserts, erasures and copies match std::deque", "[detail]") {
  static_assert(sizeof(queue_vector<entry>) == 24, "a pointer and three 32-bit positions");
  static_assert(sizeof(queue_vector<entry, 4>) == 24);
  std::mt19937_64 rng(skewless_test::base_seed() + 43);
  random_queue_ops<queue_vector<entry>>(rng, skewless_test::scaled(100), 300, 3, 4);
  // Blocks of 4: tiered once an insertion or removal would move more than 8 elements,
  // back to flat at 4, so every path of the tiered form (inserts and removals on either
  // side, blocks added and dropped at both ends, the change of form both ways) runs at
  // small sizes. A block of 4 carries its turn and a pointer: more bytes per element.
  random_queue_ops<queue_vector<entry, 4>>(rng, skewless_test::scaled(100), 600, 4, 6);
  random_queue_ops<queue_vector<entry, 4>>(rng, skewless_test::scaled(20), 2000, 6, 6);
}

TEST_CASE("queue_vector: the default blocks hold a long window in any insertion order", "[detail]") {
  // 20,000 entries inserted at random places (tiered from about 4,096), then drained from
  // both ends: the order is std::deque's throughout.
  std::mt19937_64 rng(skewless_test::base_seed() + 44);
  queue_vector<entry> q;
  std::deque<entry> m;
  for (int i = 0; i < 20'000; ++i) {
    const entry e{i, static_cast<double>(rng() % 7)};
    const std::size_t at = rng() % (m.size() + 1);
    q.insert(at, e);
    m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), e);
  }
  check_equal(q, m);
  REQUIRE(q.heap_bytes() < 2 * m.size() * sizeof(entry));
  while (!m.empty()) {
    if (m.size() % 3 == 0) {
      q.pop_back();
      m.pop_back();
    } else {
      q.pop_front();
      m.pop_front();
    }
    if (m.size() % 997 == 0) check_equal(q, m);
  }
  CHECK(q.heap_bytes() <= 16 * sizeof(entry));
}

TEST_CASE("queue_vector: elements with memory of their own", "[detail]") {
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
  // The same through the tiered form, with removals in the middle.
  queue_vector<std::shared_ptr<int>, 4> tiered;
  for (int i = 0; i < 40; ++i) tiered.push_back(shared);
  tiered.erase(10, 20);
  for (int i = 0; i < 10; ++i) tiered.pop_front();
  CHECK(shared.use_count() == 21);
  {
    const queue_vector<std::shared_ptr<int>, 4> copy = tiered;
    CHECK(shared.use_count() == 41);
  }
  tiered = {};
  CHECK(shared.use_count() == 1);
}
