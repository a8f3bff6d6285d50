// The online read path allocates nothing, and steady-state ingest allocates nothing:
// a global operator new that counts, in a test executable of its own.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "serial/snapshot_bytes.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {
std::atomic<long> allocations{0};
std::atomic<std::size_t> largest{0};  // the largest single allocation since reset
}  // namespace

// Every replaceable form that allocates with malloc is replaced together, so memory
// from one form is never freed by another's library version (an alloc-dealloc mismatch
// under AddressSanitizer).
void* operator new(std::size_t n) {
  ++allocations;
  for (std::size_t l = largest.load(); n > l && !largest.compare_exchange_weak(l, n);) {
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++allocations;
  for (std::size_t l = largest.load(); n > l && !largest.compare_exchange_weak(l, n);) {
  }
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace noalloc_test {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
};
struct named_ev {
  std::string user;
  std::int64_t ts;
  double x;
};
}  // namespace noalloc_test
BOOST_HANA_ADAPT_STRUCT(noalloc_test::ev, k, ts, x);
BOOST_HANA_ADAPT_STRUCT(noalloc_test::named_ev, user, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using noalloc_test::ev;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto features =
    define_features<ev, "k", "ts">(feature<"sum">(sum(x, sliding(1s))), feature<"mean">(mean(x, sliding(10s))),
                                   feature<"max">(max(x, sliding(1s))), feature<"min">(min(x, lifetime())),
                                   feature<"first">(first(x, sliding(5s))), feature<"last">(last(x, lifetime())),
                                   feature<"n">(count(sliding(1s)).where(x > 0)),
                                   feature<"since">(time_since_last(lifetime())))
        .with_allowed_lateness(100ms);

ev event(std::int64_t i) {
  // 100 entities, an event every 10 ms in total, values with a repeating pattern.
  return {i % 100, i * 10'000, static_cast<double>((i * 37) % 101) - 50.0};
}
}  // namespace

TEST_CASE("online: reads and steady-state ingest do not allocate", "[online][allocation]") {
  online::evaluator on(features);
  std::int64_t i = 0;
  for (; i < 200'000; ++i) REQUIRE(on.ingest(event(i)) == online::ingest_outcome::accepted);

  REQUIRE(allocations.load() > 100);  // the counter is live: warm-up did allocate

  feature_vector<decltype(features)> v;
  const long before_reads = allocations.load();
  for (std::int64_t k = 0; k < 100; ++k) {
    for (std::int64_t dt : {0, 1, 3'000'000, 20'000'000}) {
      REQUIRE(on.features(k, i * 10'000 + dt, v).ok());
    }
  }
  CHECK(allocations.load() - before_reads == 0);

  // Steady state: window buffers have reached their working size.
  const long before_ingest = allocations.load();
  for (const std::int64_t end = i + 100'000; i < end; ++i) {
    REQUIRE(on.ingest(event(i)) == online::ingest_outcome::accepted);
  }
  CHECK(allocations.load() - before_ingest == 0);
}

TEST_CASE("online: reads of std::string keys by view do not allocate", "[online][allocation]") {
  constexpr auto nx = field<noalloc_test::named_ev, "x">;
  constexpr auto named = define_features<noalloc_test::named_ev, "user", "ts">(feature<"sum">(sum(nx, sliding(1s))),
                                                                               feature<"n">(count(lifetime())));
  online::evaluator on(named);
  // Keys longer than any small-string buffer, so a std::string copy would allocate.
  auto key = [](int k) { return "a-user-name-longer-than-sso-" + std::to_string(k); };
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(on.ingest({key(i % 10), i * 1000, 1.0}) == online::ingest_outcome::accepted);
  }
  std::vector<std::string> keys;
  for (int k = 0; k < 11; ++k) keys.push_back(key(k));
  feature_vector<decltype(named)> v;
  online::read_info info;
  const long before = allocations.load();
  for (const std::string& k : keys) {
    REQUIRE(on.features(std::string_view(k), 2'000'000, v, info).ok());
    REQUIRE(on.features(k.c_str(), 2'000'000, v).ok());
    (void)on.contains(std::string_view(k));
  }
  CHECK(allocations.load() - before == 0);
  CHECK_FALSE(info.known_entity);  // the last key was never ingested
}

TEST_CASE("snapshot: a length claiming gigabytes in a small file allocates nothing large",
          "[online][allocation][serial]") {
  constexpr auto nx = field<noalloc_test::named_ev, "x">;
  constexpr auto named = define_features<noalloc_test::named_ev, "user", "ts">(feature<"sum">(sum(nx, sliding(1s))),
                                                                               feature<"n">(count(last_n(4))));
  online::evaluator on(named);
  REQUIRE(on.ingest({"user", 1, 1.0}) == online::ingest_outcome::accepted);
  const std::string good = *serial::snapshot(on);
  using skewless_test::le;
  for (const auto& [from, to] :
       {std::pair{le<std::uint64_t>(4) + "user", le<std::uint64_t>(std::uint64_t{1} << 31) + "user"},
        std::pair{le<std::uint64_t>(1) + le<std::int64_t>(1),
                  le<std::uint64_t>(std::uint64_t{1} << 35) + le<std::int64_t>(1)}}) {
    std::string p = skewless_test::payload(good);
    REQUIRE(skewless_test::replace_once(p, from, to));
    const std::string hostile = skewless_test::reframe(good, p);
    REQUIRE(hostile.size() < 400);
    online::evaluator target(named);
    largest = 0;
    CHECK(serial::restore(target, hostile).code() == absl::StatusCode::kDataLoss);
    CHECK(largest.load() < (std::size_t{1} << 16));  // the payload's own copy and small state
  }
}
