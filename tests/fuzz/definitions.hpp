// tests/fuzz/definitions.hpp — the feature sets the fuzz targets exercise, chosen to
// reach every state type: tiles, stream groups, lagged windows, last_n places, lifetime
// parts, extremum queues, exact sums, DDSketch, HyperLogLog, distinct and frequency
// tables, kept entries, decayed ticks, string keys. Also the checks a state read back
// from any accepted input must pass, and a reader of fuzz bytes.
#pragma once

#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/snapshot.hpp>

#include <boost/hana/adapt_struct.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {
struct ev {
  std::int64_t k;
  std::int64_t ts;
  double x;
  std::string s;
};
struct named_ev {
  std::string k;
  std::int64_t ts;
  double x;
  std::string s;
};
}  // namespace fuzz
BOOST_HANA_ADAPT_STRUCT(fuzz::ev, k, ts, x, s);
BOOST_HANA_ADAPT_STRUCT(fuzz::named_ev, k, ts, x, s);

namespace fuzz {

using namespace skewless;
using us = std::chrono::microseconds;

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}
inline void require(bool ok, const char* what) {
  if (!ok) fail(what);
}

inline constexpr auto x = field<ev, "x">;
inline constexpr auto s = field<ev, "s">;
inline constexpr auto nx = field<named_ev, "x">;
inline constexpr auto ns = field<named_ev, "s">;

// 0: windows and parts over numbers.
inline constexpr auto windows_set = define_features<ev, "k", "ts">(
    feature<"n_t">(count(tiled(us(40), us(10)))), feature<"mean_t">(mean(x, tiled(us(40), us(10)))),
    feature<"min_t">(min(x, tiled(us(40), us(10)))), feature<"first_t">(first(x, tiled(us(40), us(10)))),
    feature<"last_t">(last(x, tiled(us(40), us(10)))), feature<"n_s">(count(sliding(us(25)))),
    feature<"sum_s">(sum(x, sliding(us(25)))), feature<"var_s">(var_pop(x, sliding(us(25)))),
    feature<"max_s">(max(x, sliding(us(25)))), feature<"last_s">(last(x, sliding(us(25)))),
    feature<"sum_lag">(sum(x, sliding(us(30)).ending(us(7)))), feature<"n5">(count(last_n(5)).where(x > 0)),
    feature<"mean5">(mean(x, last_n(5))), feature<"min_l">(min(x, lifetime())),
    feature<"first_l">(first(x, lifetime())), feature<"tsl_l">(time_since_last(lifetime())),
    feature<"tsf_l">(time_since_first(lifetime())), feature<"rate_s">(rate(us(1), sliding(us(25)))));

// 1: sketches and frequency tables.
inline constexpr auto sketch_set =
    define_features<ev, "k", "ts">(feature<"q_t">(approx_quantile<0.5, 0.99>(x, tiled(us(40), us(10)))),
                                   feature<"q_s">(approx_quantile<0.1, 0.9>(x, sliding(us(25)))),
                                   feature<"hll">(approx_distinct_count<4>(x, lifetime())),
                                   feature<"hll_t">(approx_distinct_count<5>(s, tiled(us(40), us(20)))),
                                   feature<"distinct">(distinct_count(x, sliding(us(25)))),
                                   feature<"top2">(top_k_frequency<2>(x, tiled(us(40), us(10)))),
                                   feature<"mode5">(most_frequent(s, last_n(5))), feature<"n">(count(lifetime())));

// 2: string keys, kept entries, categories.
inline constexpr auto string_set = define_features<named_ev, "k", "ts">(
    feature<"last3">(last_k<3>(nx, sliding(us(25)))), feature<"first2">(first_k<2>(nx, tiled(us(40), us(10)))),
    feature<"mode">(most_frequent(ns, lifetime())),
    feature<"by">(count_by(ns, vocabulary<"a", "b", "">, sliding(us(25)))),
    feature<"last2_n">(last_k<2>(nx, last_n(4))), feature<"n">(count(lifetime())));

// 3: decay.
inline constexpr auto decay_set = define_features<ev, "k", "ts">(
    feature<"ewma_s">(ewma<us(3)>(x, sliding(us(25)))), feature<"dsum_l">(decayed_sum<us(5)>(x, lifetime())),
    feature<"ewma_t">(ewma<us(2)>(x, tiled(us(40), us(10)))), feature<"dsum_n">(decayed_sum<us(1)>(x, last_n(4))),
    feature<"n">(count(lifetime())));

// 4: string keys over the widest windows and the accepted range's edges.
inline constexpr auto wide_set = define_features<named_ev, "k", "ts">(
    feature<"sum_t">(sum(nx, tiled(us(std::int64_t{1} << 61), us(std::int64_t{1} << 59)))),
    feature<"n_s">(count(sliding(us(std::int64_t{1} << 61)))),
    feature<"tsl_lag">(time_since_last(sliding(us(std::int64_t{1} << 61)).ending(us(std::int64_t{1} << 60)))),
    feature<"max_l">(max(nx, lifetime())), feature<"q">(approx_quantile<0.5>(nx, lifetime())),
    feature<"tsf_l">(time_since_first(lifetime())), feature<"n">(count(lifetime())));

inline constexpr std::size_t set_count = 5;
// A selector byte picks a set (i % 5) and its TTL ((i / 5) % 3: none, 7 us, 40 us), so
// the selectors 0-4 of older corpus inputs keep their meaning.
inline constexpr std::size_t selector_count = 3 * set_count;

// Calls f(feature set) for selector i.
template <class F> void with_set(std::size_t i, F&& f) {
  const std::int64_t ttls[] = {0, 7, 40};
  const us ttl(ttls[(i / set_count) % 3]);
  switch (i % set_count) {
    case 0: f(windows_set.with_ttl(ttl)); break;
    case 1: f(sketch_set.with_ttl(ttl)); break;
    case 2: f(string_set.with_ttl(ttl)); break;
    case 3: f(decay_set.with_ttl(ttl)); break;
    default: f(wide_set.with_ttl(ttl)); break;
  }
}

// Checks that hold for the values of any state ingest can reach, per column name:
// counts are non-negative integers, times since are non-negative, a sketch's quantiles
// are in order, a share is in [0, 1].
template <class FS> void check_values(const feature_vector<FS>& v) {
  const auto names = FS::names();
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::string_view n = names[c];
    const double value = v[static_cast<Eigen::Index>(c)];
    const bool counting =
        n == "n" || n.starts_with("n_") || n == "n5" || n.starts_with("by[") || n == "distinct" || n.starts_with("hll");
    if (counting) require(value >= 0 && value == std::floor(value), "a count that is not a count");
    if (n.starts_with("tsl") || n.starts_with("tsf")) {
      require(std::isnan(value) || value >= 0, "a negative time since an event");
    }
    if (n.starts_with("var")) require(std::isnan(value) || value >= 0, "a negative variance");
    if (n == "rate_s") require(value >= 0, "a negative rate");
    if (c > 0 && n.starts_with("q") && n.find('[') != std::string_view::npos &&
        names[c - 1].substr(0, names[c - 1].find('[')) == n.substr(0, n.find('['))) {
      const double prev = v[static_cast<Eigen::Index>(c - 1)];
      require(std::isnan(prev) == std::isnan(value), "quantiles of one sketch disagree on emptiness");
      if (!std::isnan(value)) require(prev <= value, "a lower quantile above a higher one");
    }
  }
}

// Reads fuzz bytes as values, with zeros past the end.
class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool empty() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return v;
  }
  // Times that find the edges: small ones (ties), the accepted range's ends, beyond.
  std::int64_t time() {
    switch (byte() % 8) {
      case 0: return min_time_us + byte() % 3;
      case 1: return max_time_us - byte() % 3;
      case 2: return static_cast<std::int64_t>(u64());  // often outside the range
      case 3: return -static_cast<std::int64_t>(byte());
      default: return static_cast<std::int64_t>(byte() % 64);
    }
  }
  // Values that stress exactness: NaN (missing), infinities, signed zeros, subnormals,
  // huge and tiny magnitudes, ties.
  double value() {
    switch (byte() % 10) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return byte() % 2 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
      case 2: return byte() % 2 ? 0.0 : -0.0;
      case 3: return std::bit_cast<double>(u64());  // any bits, NaN payloads included
      case 4: return (byte() % 2 ? 1e300 : 1e-300) * (byte() % 2 ? 1 : -1);
      default: return static_cast<double>(static_cast<int>(byte() % 9) - 4);
    }
  }
  std::string text() {
    static const char* words[] = {"a", "b", "", "ab", "a-much-longer-category-name", "b"};
    return words[byte() % 6];
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

template <class FS> using event_of = typename std::remove_cvref_t<FS>::event_type;

template <class FS> event_of<FS> make_event(reader& r) {
  event_of<FS> e{};
  if constexpr (std::is_same_v<event_of<FS>, ev>) {
    e.k = r.byte() % 3;
  } else {
    static const char* keys[] = {"alice", "bob", "a-key-longer-than-the-small-string-buffer"};
    e.k = keys[r.byte() % 3];
  }
  e.ts = r.time();
  e.x = r.value();
  e.s = r.text();
  return e;
}

}  // namespace fuzz
