// tests/python/conformance_module.cpp — the Python module the pytest suite drives
// (tests/python/test_module.py): a string-keyed definition with every aggregate family
// over sliding, lagged, tiled, last_n and lifetime windows, built by
// skewless_add_python_module like a user's module. Beside the module API it exposes
// test hooks (names starting with "_") that draw the conformance suite's random
// streams (tests/conformance/streams.hpp) and evaluate them in C++ directly on the
// structs — batch, reference and online with a snapshot — so Python can compare the
// module's results with C++'s bit for bit.
#include <skewless/python/module.hpp>

#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>

#include <nanobind/stl/vector.h>

#include "conformance/streams.hpp"

#include <boost/hana/adapt_struct.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace py_conformance {
struct ev {
  std::string k;
  std::int64_t ts;
  double x;
  double y;
};
}  // namespace py_conformance
BOOST_HANA_ADAPT_STRUCT(py_conformance::ev, k, ts, x, y);

namespace {

namespace nb = nanobind;
using namespace std::chrono_literals;
using namespace skewless;
using py_conformance::ev;

constexpr auto x = field<ev, "x">;
constexpr auto y = field<ev, "y">;
constexpr auto s1 = sliding(7us);
constexpr auto s2 = sliding(150us);
constexpr auto lagged = sliding(60us).ending(9us);
constexpr auto tiles = tiled(120us, 30us);
constexpr auto recent = last_n(3);
constexpr auto lt = lifetime();

constexpr auto features =
    define_features<ev, "k", "ts">(
        feature<"count_s">(count(s1)), feature<"count_x_s">(count(x, s1)), feature<"sum_s">(sum(x, s1)),
        feature<"mean_s">(mean(x, s1)), feature<"min_s">(min(x, s1)), feature<"max_s">(max(x, s1)),
        feature<"first_s">(first(x, s1)), feature<"last_s">(last(x, s1)), feature<"tsf_s">(time_since_first(s1)),
        feature<"tsl_s">(time_since_last(s1)), feature<"sum_l">(sum(x, lt)), feature<"mean_l">(mean(x, lt)),
        feature<"min_l">(min(x, lt)), feature<"max_l">(max(x, lt)), feature<"last_l">(last(x, lt)),
        feature<"var_w">(var_samp(x, s2)), feature<"std_l">(stddev_pop(y, lt)), feature<"sum_lag">(sum(x, lagged)),
        feature<"max_lag">(max(y, lagged)), feature<"sum_tiled">(sum(x, tiles)), feature<"mean_tiled">(mean(y, tiles)),
        feature<"min_recent">(min(x, recent)), feature<"sum_recent">(sum(y, recent)),
        feature<"last3">(last_k<3>(x, s2)), feature<"distinct">(distinct_count(y, s2)),
        feature<"frequent">(most_frequent(y, lt)), feature<"q">(approx_quantile<0.5, 0.9>(x, s2)),
        feature<"rate_s2">(rate(100us, s2)), feature<"sum_xy_pos">(sum(x* y, s2).where(y > 0)),
        feature<"ratio">(mean(abs(x), s2) / max(count(x, s2), 1)), feature<"spread">(last(y, s2) - first(y, s2)),
        feature<"log_sum">(log1p(abs(sum(y, s2)))))
        .with_allowed_lateness(40us);
using FS = std::remove_cvref_t<decltype(features)>;

// Keys short enough to sit inside an Arrow string view, and longer ones that do not.
std::string key_name(int i) {
  return i % 2 == 0 ? "k" + std::to_string(i) : "entity-with-a-long-key-" + std::to_string(i);
}

struct drawn {
  std::vector<ev> events;
  std::vector<spine_row<std::string>> spine;
  std::vector<std::size_t> arrival;  // event indices in arrival order (late ones included)
};

// One random case of the conformance suite's shape, with this module's fixed windows.
drawn draw(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const skewless_test::case_shape shape = skewless_test::random_shape(rng);
  drawn d;
  const int n = shape.n_events * 3;  // larger than a conformance case: Arrow batches have more rows
  for (int i = 0; i < n; ++i) {
    const int key = static_cast<int>(rng() % shape.n_keys);
    const auto ts = static_cast<std::int64_t>(rng() % shape.ts_range);
    d.events.push_back({key_name(key), ts, skewless_test::random_value(rng, shape.value_style),
                        skewless_test::random_value(rng, static_cast<int>(rng() % 4))});
  }
  const int rows = static_cast<int>(rng() % 60);
  for (int i = 0; i < rows; ++i) {
    d.spine.push_back({key_name(static_cast<int>(rng() % (shape.n_keys + 1))),
                       static_cast<std::int64_t>(rng() % (shape.ts_range * 3)) - 2});
  }
  for (const ev& e : d.events) {
    if (rng() % 3 == 0) d.spine.push_back({e.k, e.ts});
  }
  std::vector<std::pair<std::int64_t, std::size_t>> arrival;
  for (std::size_t i = 0; i < d.events.size(); ++i) {
    const std::int64_t delay = shape.max_delay == 0 ? 0 : static_cast<std::int64_t>(rng() % (shape.max_delay + 1));
    arrival.push_back({d.events[i].ts + delay, i});
  }
  std::shuffle(arrival.begin(), arrival.end(), rng);
  std::stable_sort(arrival.begin(), arrival.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& a : arrival) d.arrival.push_back(a.second);
  return d;
}

nb::object matrix(feature_matrix&& m) {
  return skewless::python::python_internal::to_numpy(std::move(m));
}

}  // namespace

NB_MODULE(skewless_conformance, m) {
  skewless::python::define_module(m, features);

  // The case as plain Python lists: {"k", "ts", "x", "y"} events, {"k", "ts"} spine, and
  // the arrival order.
  m.def("_case", [](std::uint64_t seed) {
    const drawn d = draw(seed);
    nb::list k, ts, xs, ys, sk, st, order;
    for (const ev& e : d.events) {
      k.append(e.k);
      ts.append(e.ts);
      xs.append(e.x);
      ys.append(e.y);
    }
    for (const auto& r : d.spine) {
      sk.append(r.key);
      st.append(r.time_us);
    }
    for (const std::size_t i : d.arrival) order.append(i);
    nb::dict out;
    out["events"] = nb::dict();
    out["events"]["k"] = k;
    out["events"]["ts"] = ts;
    out["events"]["x"] = xs;
    out["events"]["y"] = ys;
    out["spine"] = nb::dict();
    out["spine"]["k"] = sk;
    out["spine"]["ts"] = st;
    out["arrival"] = order;
    return out;
  });
  // C++ on the structs, no Arrow: batch::evaluate (threads) and reference::evaluate.
  m.def("_batch", [](std::uint64_t seed, unsigned threads) {
    const drawn d = draw(seed);
    return matrix(batch::evaluate(features, d.events, d.spine, {.threads = threads, .min_parallel_size = 0}).values);
  });
  m.def("_reference", [](std::uint64_t seed) {
    const drawn d = draw(seed);
    return matrix(reference::evaluate(features, d.events, d.spine));
  });
  // C++ online: the events one by one in arrival order, then the rows of `keys` at
  // `t_us`; returns (values, outcome counts, snapshot bytes).
  m.def("_online", [](std::uint64_t seed, const std::vector<std::string>& keys, std::int64_t t_us) {
    const drawn d = draw(seed);
    online::evaluator<FS> on(features);
    for (const std::size_t i : d.arrival) (void)on.ingest(d.events[i]);
    feature_matrix out;
    (void)on.features(std::span<const std::string>(keys), t_us, out);
    const auto bytes = serial::snapshot(on);
    if (!bytes.ok()) throw std::runtime_error(std::string(bytes.status().message()));
    return nb::make_tuple(matrix(std::move(out)), skewless::python::python_internal::outcome_counts(on.counters()),
                          nb::bytes(bytes->data(), bytes->size()));
  });
}
