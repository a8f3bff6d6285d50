// The Python module's cost over C++ (bench/python_module.py drives it): the 10-feature
// payments set of the other benchmarks as a module, plus hooks that draw the same
// synthetic data (bench/payments.hpp) and time the C++ calls the module wraps on it:
// a batched read, a one-key read and a small-batch ingest.
#include <skewless/python/module.hpp>

#include "payments.hpp"

#include <nanobind/ndarray.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace {

namespace nb = nanobind;
using clk = std::chrono::steady_clock;

struct data {
  std::vector<bench::payment> events;
  std::vector<skewless::spine_row<std::int64_t>> spine;
};
data draw(std::int64_t users, std::int64_t events, std::int64_t spine_rows, std::uint64_t seed) {
  data d{bench::generate(users, events, seed), {}};
  d.spine = bench::generate_spine(d.events, spine_rows, seed + 1);
  return d;
}

template <class T> nb::object column(std::vector<T> v) {
  auto* owned = new std::vector<T>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  const std::size_t shape[1] = {owned->size()};
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(owned->data(), 1, shape, owner));
}

template <class F> double median_seconds(int reps, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = clk::now();
    f();
    t.push_back(std::chrono::duration<double>(clk::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

NB_MODULE(skewless_bench, m) {
  skewless::python::define_module(m, bench::features10);

  // The data as numpy columns: user, ts, amount; spine_user, spine_ts.
  m.def("_generate", [](std::int64_t users, std::int64_t events, std::int64_t spine_rows, std::uint64_t seed) {
    data d = draw(users, events, spine_rows, seed);
    std::vector<std::int64_t> user, ts, su, st;
    std::vector<double> amount;
    for (const auto& e : d.events) {
      user.push_back(e.user);
      ts.push_back(e.ts);
      amount.push_back(e.amount);
    }
    for (const auto& r : d.spine) {
      su.push_back(r.key);
      st.push_back(r.time_us);
    }
    nb::dict out;
    out["user"] = column(std::move(user));
    out["ts"] = column(std::move(ts));
    out["amount"] = column(std::move(amount));
    out["spine_user"] = column(std::move(su));
    out["spine_ts"] = column(std::move(st));
    return out;
  });
  // C++ batch::evaluate alone on the same data (structs already in memory): seconds.
  m.def("_cpp_batch_seconds", [](std::int64_t users, std::int64_t events, std::int64_t spine_rows, std::uint64_t seed,
                                 unsigned threads, int reps) {
    const data d = draw(users, events, spine_rows, seed);
    nb::gil_scoped_release unlocked;
    return median_seconds(reps, [&] {
      auto r = skewless::batch::evaluate(bench::features10, d.events, d.spine, {.threads = threads});
      if (r.values.rows() != static_cast<Eigen::Index>(d.spine.size())) std::abort();
    });
  });
  // C++ concurrent_evaluator::features for `keys` users at one time after every event:
  // seconds per call.
  m.def("_cpp_features_seconds",
        [](std::int64_t users, std::int64_t events, std::uint64_t seed, std::int64_t keys, int reps) {
          const data d = draw(users, events, 0, seed);
          skewless::online::concurrent_evaluator<bench::features10_t> online(bench::features10);
          (void)online.ingest(std::span<const bench::payment>(d.events));
          std::vector<std::int64_t> ids;
          for (std::int64_t i = 0; i < keys; ++i) ids.push_back((i * 7919) % users);
          const std::int64_t t = d.events.back().ts + 1;
          skewless::feature_matrix out;
          nb::gil_scoped_release unlocked;
          return median_seconds(reps, [&] {
            if (!online.features(std::span<const std::int64_t>(ids), t, out).ok()) std::abort();
          });
        });

  // Median seconds of one concurrent_evaluator::ingest of `batch` events (the same
  // synthetic events, then `calls` batches of new users' events after them, one user
  // per batch, times rising): what OnlineEvaluator.ingest of a batch wraps.
  m.def("_cpp_ingest_seconds",
        [](std::int64_t users, std::int64_t events, std::uint64_t seed, std::int64_t batch, int calls) {
          const data d = draw(users, events, 0, seed);
          skewless::online::concurrent_evaluator<bench::features10_t> online(bench::features10);
          (void)online.ingest(std::span<const bench::payment>(d.events));
          const std::int64_t t0 = d.events.back().ts + 10;
          std::vector<bench::payment> next;
          for (std::int64_t c = 0; c < calls; ++c) {
            for (std::int64_t i = 0; i < batch; ++i) next.push_back({(c * 7919) % users, t0 + c * batch + i, 1.0 + i});
          }
          nb::gil_scoped_release unlocked;
          std::size_t c = 0;
          return median_seconds(calls, [&] {
            const auto counts = online.ingest(std::span<const bench::payment>(next.data() + c * batch, batch));
            if (counts.by_outcome[0] != static_cast<std::uint64_t>(batch)) std::abort();
            ++c;
          });
        });
}
