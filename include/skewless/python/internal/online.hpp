// skewless/python/internal/online.hpp — the OnlineEvaluator class of a module: one definition's online state.
//
// Internal to python/. Wraps online::concurrent_evaluator, so Python threads may read while
// another ingests; ingest, reads, advance_to and snapshots run with the GIL released.
#pragma once

#include <skewless/arrow/c_data.hpp>
#include <skewless/arrow/events.hpp>
#include <skewless/arrow/training_set.hpp>
#include <skewless/batch/evaluate.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/python/internal/convert.hpp>
#include <skewless/serial/catalog.hpp>
#include <skewless/serial/snapshot.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/unique_ptr.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::python {

namespace nb = nanobind;

namespace python_internal {

// The Python face of one definition's online state.
template <class FS> class online_evaluator {
 public:
  using state = online::concurrent_evaluator<FS>;
  using key_type = typename state::key_type;
  using event_type = typename state::event_type;

  online_evaluator(const FS& fs, std::size_t shards) : state_(fs, shards) {}

  nb::dict ingest(nb::handle batch, const std::optional<std::string>& time_unit) {
    const std::vector<event_type> events =
        read_events<event_type>(batch, "events", {FS::time_name.view(), time_unit_from(time_unit)});
    online::ingest_counters counts;
    {
      nb::gil_scoped_release unlocked;
      counts = state_.ingest(std::span<const event_type>(events));
    }
    return outcome_counts(counts);
  }

  nb::object features(nb::handle keys, nb::handle times, bool raise_on_error) {
    key_batch<key_type> batch;
    std::vector<std::string_view> views;  // string keys
    std::vector<nb::object> keep;         // the str objects the views point into
    std::size_t n = 0;
    if constexpr (std::is_same_v<key_type, std::string>) {
      if (nb::isinstance<nb::str>(keys)) throw nb::type_error("skewless: keys must be a sequence of str, not one str");
      nb::object seq = PyList_CheckExact(keys.ptr()) || PyTuple_CheckExact(keys.ptr())
                           ? nb::borrow(keys)
                           : nb::module_::import_("builtins").attr("list")(keys);
      n = nb::len(seq);
      views.reserve(n);
      keep.reserve(n);
      for (nb::handle h : seq) {
        if (!nb::isinstance<nb::str>(h))
          throw nb::type_error(absl::StrCat("skewless: keys: row ", views.size(), " is not a str").c_str());
        keep.push_back(nb::borrow(h));
        views.push_back(nb::cast<std::string_view>(h));
      }
    } else if (!small_int_keys(keys, batch)) {
      load_keys(keys, batch);
    }
    if constexpr (!std::is_same_v<key_type, std::string>) n = batch.keys.size();
    // One time as a Python int (a service's "now"): read directly, no numpy.
    std::int64_t now = 0;
    const std::int64_t* time_us = &now;
    bool one_time = PyLong_CheckExact(times.ptr());
    nb::object t;
    if (one_time) {
      int overflow = 0;
      now = PyLong_AsLongLongAndOverflow(times.ptr(), &overflow);
      if (overflow != 0) throw nb::value_error("skewless: times must fit int64 microseconds");
    } else {
      t = int64_array(times, "times", true);
      one_time = nb::cast<std::size_t>(t.attr("ndim")) == 0;
      if (!one_time && nb::cast<std::size_t>(t.attr("size")) != n) {
        throw nb::value_error(
            absl::StrCat("skewless: ", n, " keys but ", nb::cast<std::size_t>(t.attr("size")), " times").c_str());
      }
      t = nb::module_::import_("numpy").attr("ascontiguousarray")(t);
      time_us = reinterpret_cast<const std::int64_t*>(nb::cast<std::uintptr_t>(t.attr("ctypes").attr("data")));
    }
    feature_matrix out;
    absl::Status status;
    {
      nb::gil_scoped_release unlocked;
      const auto read = [&](auto key_span) {
        if (one_time) {
          status = state_.features(key_span, time_us[0], out);
          return;
        }
        out.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(state::size));
        feature_vector<FS> row;
        for (std::size_t i = 0; i < n; ++i) {
          absl::Status s = state_.features(key_span[i], time_us[i], row);
          out.row(static_cast<Eigen::Index>(i)) = row.transpose();
          if (!s.ok() && status.ok()) status = absl::Status(s.code(), absl::StrCat("row ", i, ": ", s.message()));
        }
      };
      if constexpr (std::is_same_v<key_type, std::string>) {
        read(std::span<const std::string_view>(views));
      } else {
        read(batch.keys);
      }
    }
    if (raise_on_error) check(status);
    return to_numpy(std::move(out));
  }

  void advance_to(std::int64_t t_us, nb::handle key) {
    absl::Status s;
    if (key.is_none()) {
      nb::gil_scoped_release unlocked;
      s = state_.advance_to(t_us);
    } else {
      const key_type k = *key_from<key_type>(key);
      nb::gil_scoped_release unlocked;
      s = state_.advance_to(k, t_us);
    }
    check(s);
  }

  bool erase(nb::handle key) {
    const key_type k = *key_from<key_type>(key);
    nb::gil_scoped_release unlocked;
    return state_.erase(k);
  }
  bool contains(nb::handle key) const {
    const std::optional<key_type> k = key_from<key_type>(key, /*quiet=*/true);
    return k.has_value() && state_.contains(*k);
  }

  nb::bytes snapshot() const {
    absl::StatusOr<std::string> bytes;
    {
      nb::gil_scoped_release unlocked;
      bytes = serial::snapshot(state_);
    }
    check(bytes.status());
    return nb::bytes(bytes->data(), bytes->size());
  }
  void restore(nb::bytes bytes) {
    const std::string_view view(static_cast<const char*>(bytes.data()), bytes.size());
    absl::Status s;
    {
      nb::gil_scoped_release unlocked;  // `bytes` holds the buffer alive
      s = serial::restore(state_, view);
    }
    check(s);
  }
  void write_snapshot(nb::handle path_like) const {
    const std::string path = path_from(path_like);
    absl::Status s;
    {
      nb::gil_scoped_release unlocked;
      s = serial::write_snapshot(state_, path);
    }
    check(s);
  }
  void read_snapshot(nb::handle path_like) {
    const std::string path = path_from(path_like);
    absl::Status s;
    {
      nb::gil_scoped_release unlocked;
      s = serial::read_snapshot(state_, path);
    }
    check(s);
  }

  nb::dict counters() const { return outcome_counts(state_.counters()); }

 private:
  // Integer keys given as a list or tuple of Python ints (what a service passes for one
  // request): read without numpy. False for anything else (numpy arrays, other
  // sequences, or elements that are not exactly int), which load_keys then reads.
  static bool small_int_keys(nb::handle keys, key_batch<key_type>& out) {
    if (!PyList_CheckExact(keys.ptr()) && !PyTuple_CheckExact(keys.ptr())) return false;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(keys.ptr());
    PyObject** items = PySequence_Fast_ITEMS(keys.ptr());
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (!PyLong_CheckExact(items[i])) return false;
    }
    out.owned.resize(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(items[i], &overflow);
      if (overflow != 0 || !std::in_range<key_type>(v)) {
        if (overflow > 0 && std::is_same_v<key_type, std::uint64_t>) return false;  // numpy's uint64 path
        throw nb::value_error(absl::StrCat("skewless: keys: row ", i, ": ",
                                           overflow != 0 ? py_str(items[i]) : std::to_string(v),
                                           " is outside the key type's range")
                                  .c_str());
      }
      out.owned[static_cast<std::size_t>(i)] = static_cast<key_type>(v);
    }
    out.keys = out.owned;
    return true;
  }

 public:
  nb::dict removals() const {
    const online::removal_counters r = state_.removals();
    nb::dict d;
    d["erased"] = r.erased;
    d["expired"] = r.expired;
    d["evicted_for_memory"] = r.evicted_for_memory;
    return d;
  }
  nb::dict memory() const {
    const online::memory_usage m = state_.memory();
    nb::dict d;
    d["entities"] = m.entities;
    d["table_bytes"] = m.table_bytes;
    d["entity_bytes"] = m.entity_bytes;
    d["window_bytes"] = m.window_bytes;
    d["total_bytes"] = m.total_bytes();
    return d;
  }
  void set_memory_limit(std::size_t bytes) { state_.set_memory_limit(bytes); }
  std::size_t entity_count() const { return state_.entity_count(); }
  std::uint64_t fingerprint() const { return state_.fingerprint(); }

 private:
  state state_;
};

}  // namespace python_internal

}  // namespace skewless::inline v1::python
