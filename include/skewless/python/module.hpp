// skewless/python/module.hpp — a Python module from the user's own feature definitions,
// with nanobind.
//
//   // payments_module.cpp
//   #include <skewless/python/module.hpp>
//   #include "payments.hpp"
//   NB_MODULE(payments_features, m) { skewless::python::define_module(m, payments::features); }
//
//   # CMakeLists.txt (find_package(skewless) or add_subdirectory first)
//   skewless_add_python_module(payments_features payments_module.cpp)
//
// and `pip install .` with the pyproject.toml of examples/python/. The module holds the
// one compiled definition; from Python:
//
//   table = payments_features.training_set(events, spine)      # pyarrow.Table
//   online = payments_features.OnlineEvaluator()
//   online.ingest(batch)                                        # {"accepted": n, ...}
//   x = online.features(user_ids, now_us)                       # numpy (n, F) float64
//
// Inputs are anything with the Arrow PyCapsule interface (`__arrow_c_stream__`):
// pyarrow Tables, RecordBatches and RecordBatchReaders, pandas (>= 2.2) and Polars
// DataFrames, DuckDB relations. Their columns are read in place through the Arrow C
// stream (skewless/arrow/events.hpp: by field name, with the same checks and messages);
// nothing is converted row by row in Python. Values are the C++ evaluators', bit for
// bit, and snapshots are interchangeable with C++ ones.
//
// Threads: input streams are read with the GIL held (a Python producer may need it);
// evaluation, ingest, reads, advance_to, snapshots and restores run with the GIL
// released. An OnlineEvaluator wraps online::concurrent_evaluator, so Python threads may
// read while another ingests. Errors raise ValueError (bad input, a refused snapshot),
// TypeError (an object that is not Arrow data), MemoryError or OSError, with the
// absl::Status message.
#pragma once

#include <skewless/arrow/c_data.hpp>
#include <skewless/arrow/events.hpp>
#include <skewless/arrow/training_set.hpp>
#include <skewless/batch/evaluate.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
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

using arrow::arrow_internal::as_absl;
using namespace nb::literals;

// str(obj), as UTF-8.
inline std::string py_str(nb::handle obj) {
  PyObject* s = PyObject_Str(obj.ptr());
  if (s == nullptr) throw nb::python_error();
  return nb::steal<nb::str>(s).c_str();
}

// A file path from a str or os.PathLike (not bytes).
inline std::string path_from(nb::handle obj) {
  nb::object p = nb::module_::import_("os").attr("fspath")(obj);
  if (!nb::isinstance<nb::str>(p)) throw nb::type_error("skewless: the path must be a str or an os.PathLike of str");
  return nb::cast<std::string>(p);
}

// A failed status as the Python exception a caller expects.
[[noreturn]] inline void raise(const absl::Status& s) {
  const std::string message(s.message());
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted: throw std::bad_alloc();
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnavailable:
      PyErr_SetString(PyExc_OSError, message.c_str());
      throw nb::python_error();
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
      throw nb::value_error(message.c_str());
    default: throw std::runtime_error(message);
  }
}
inline void check(const absl::Status& s, std::string_view prefix = {}) {
  if (s.ok()) return;
  if (prefix.empty()) raise(s);
  raise(absl::Status(s.code(), absl::StrCat(as_absl(prefix), ": ", s.message())));
}

// An ArrowArrayStream moved out of a producer's PyCapsule; released when done.
struct imported_stream {
  ArrowArrayStream stream{};
  imported_stream() = default;
  imported_stream(const imported_stream&) = delete;
  imported_stream& operator=(const imported_stream&) = delete;
  ~imported_stream() {
    if (stream.release != nullptr) stream.release(&stream);
  }
};

// `obj.__arrow_c_stream__()`, moved out of its capsule as the PyCapsule interface says
// a consumer does (the capsule's destructor then has nothing to release).
inline void import_stream(nb::handle obj, std::string_view what, imported_stream& out) {
  if (!nb::hasattr(obj, "__arrow_c_stream__")) {
    const std::string type = py_str(nb::handle(reinterpret_cast<PyObject*>(Py_TYPE(obj.ptr()))));
    throw nb::type_error(absl::StrCat(as_absl(what), ": expected Arrow data (an object with __arrow_c_stream__: ",
                                      "a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or Polars ",
                                      "DataFrame, a DuckDB relation), got ", type)
                             .c_str());
  }
  nb::object capsule = obj.attr("__arrow_c_stream__")();
  auto* source = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
  if (source == nullptr) throw nb::python_error();
  if (source->release == nullptr) {
    throw nb::value_error(absl::StrCat(as_absl(what), ": the Arrow stream was already consumed").c_str());
  }
  out.stream = *source;
  source->release = nullptr;
}

// The events of an Arrow object, read with the GIL held.
template <class Event>
std::vector<Event> read_events(nb::handle obj, std::string_view what) {
  imported_stream in;
  import_stream(obj, what, in);
  std::vector<Event> events;
  check(arrow::read_events(in.stream, events), what);
  return events;
}

// A stream the module produces, handed to Python as the PyCapsule interface wants: the
// object's __arrow_c_stream__ gives the stream away once.
class arrow_stream {
 public:
  arrow_stream() = default;
  arrow_stream(const arrow_stream&) = delete;
  arrow_stream& operator=(const arrow_stream&) = delete;
  ~arrow_stream() {
    if (stream_.release != nullptr) stream_.release(&stream_);
  }
  ArrowArrayStream* get() noexcept { return &stream_; }

  // requested_schema is ignored, as the interface allows: the schema is the one the
  // definition fixes.
  nb::capsule export_capsule(nb::handle /*requested_schema*/) {
    if (stream_.release == nullptr) throw nb::value_error("skewless: this Arrow stream was already consumed");
    auto* out = new ArrowArrayStream(stream_);
    stream_.release = nullptr;
    return nb::capsule(out, "arrow_array_stream", [](void* p) noexcept {
      auto* s = static_cast<ArrowArrayStream*>(p);
      if (s->release != nullptr) s->release(s);
      delete s;
    });
  }

 private:
  ArrowArrayStream stream_{};
};

// numpy.asarray(obj) as a 1-D (or, with allow_scalar, 0-D) int64 array, from integers
// or datetime64 (converted to microseconds); `what` names it in errors.
inline nb::object int64_array(nb::handle obj, const char* what, bool allow_scalar) {
  nb::module_ np = nb::module_::import_("numpy");
  nb::object a = np.attr("asarray")(obj);
  const auto ndim = nb::cast<std::size_t>(a.attr("ndim"));
  if (ndim > 1 || (ndim == 0 && !allow_scalar)) {
    throw nb::value_error(absl::StrCat("skewless: ", what, " must be ", allow_scalar ? "a scalar or " : "",
                                       "one-dimensional, got ", ndim, " dimensions")
                              .c_str());
  }
  const std::string kind = py_str(a.attr("dtype").attr("kind"));
  if (kind == "M") {
    nb::object us = a.attr("astype")("datetime64[us]");
    if (PyObject_IsTrue(np.attr("any")(np.attr("isnat")(us)).ptr()) != 0) {
      throw nb::value_error(absl::StrCat("skewless: ", what, " contain NaT").c_str());
    }
    return us.attr("view")("int64");
  }
  if (kind == "u") {
    if (nb::cast<std::size_t>(a.attr("size")) > 0 &&
        nb::cast<std::uint64_t>(np.attr("max")(a).attr("item")()) > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw nb::value_error(absl::StrCat("skewless: ", what, " hold an unsigned value beyond int64").c_str());
    }
    return a.attr("astype")("int64");
  }
  if (kind != "i") {
    if (nb::cast<std::size_t>(a.attr("size")) == 0) return a.attr("astype")("int64");
    throw nb::type_error(absl::StrCat("skewless: ", what, " must be integers (microseconds) or datetime64, got dtype ",
                                      py_str(a.attr("dtype")))
                             .c_str());
  }
  return a.attr("astype")("int64", "copy"_a = false);
}

// Keys for a batched read: integer keys as a contiguous int64 or uint64 array (each
// checked against the key type), string keys as views into the Python strings.
template <class Key>
struct key_batch {
  std::vector<Key> owned;
  std::span<const Key> keys;
  nb::object keep;  // the numpy array `keys` points into
};
template <class Key>
void load_keys(nb::handle obj, key_batch<Key>& out) {
  if constexpr (std::is_same_v<Key, std::string>) {
    // std::string keys are looked up by std::string_view: no copy of a key.
    (void)obj;
    (void)out;
  } else {
    nb::module_ np = nb::module_::import_("numpy");
    nb::object a = np.attr("asarray")(obj);
    if (nb::cast<std::size_t>(a.attr("ndim")) != 1) throw nb::value_error("skewless: keys must be one-dimensional");
    const std::string kind = py_str(a.attr("dtype").attr("kind"));
    const bool empty = nb::cast<std::size_t>(a.attr("size")) == 0;
    if (kind != "i" && kind != "u" && !empty) {
      throw nb::type_error(absl::StrCat("skewless: keys must be integers, got dtype ",
                                        py_str(a.attr("dtype")))
                               .c_str());
    }
    const bool is_unsigned = kind == "u";
    a = np.attr("ascontiguousarray")(a, "dtype"_a = is_unsigned ? "uint64" : "int64");
    const auto n = nb::cast<std::size_t>(a.attr("size"));
    const auto address = nb::cast<std::uintptr_t>(a.attr("ctypes").attr("data"));
    const auto convert = [&](const auto* values) {
      using V = std::remove_cvref_t<decltype(*values)>;
      if constexpr (std::is_same_v<V, Key>) {
        out.keys = std::span<const Key>(values, n);
        out.keep = a;
      } else {
        out.owned.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          if (!std::in_range<Key>(values[i])) {
            throw nb::value_error(absl::StrCat("skewless: keys: row ", i, ": ", values[i],
                                               " is outside the key type's range")
                                      .c_str());
          }
          out.owned[i] = static_cast<Key>(values[i]);
        }
        out.keys = out.owned;
      }
    };
    if (is_unsigned) {
      convert(reinterpret_cast<const std::uint64_t*>(address));
    } else {
      convert(reinterpret_cast<const std::int64_t*>(address));
    }
  }
}

// A single key from Python: an int (or any integer with __index__, such as numpy's) in
// the key type's range, or a str. Throws TypeError or ValueError, or with `quiet`
// returns nullopt instead.
template <class Key>
std::optional<Key> key_from(nb::handle obj, bool quiet = false) {
  if constexpr (std::is_same_v<Key, std::string>) {
    if (!nb::isinstance<nb::str>(obj)) {
      if (quiet) return std::nullopt;
      throw nb::type_error("skewless: the key must be a str");
    }
    return nb::cast<std::string>(obj);
  } else {
    PyObject* index = nb::isinstance<bool>(obj) ? nullptr : PyNumber_Index(obj.ptr());
    if (index == nullptr) {
      PyErr_Clear();
      if (quiet) return std::nullopt;
      throw nb::type_error("skewless: the key must be an int");
    }
    const nb::object owned = nb::steal(index);
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
    if (overflow > 0 && std::is_same_v<Key, std::uint64_t>) {
      const unsigned long long u = PyLong_AsUnsignedLongLong(index);
      if (!PyErr_Occurred()) return static_cast<Key>(u);
      PyErr_Clear();
    } else if (overflow == 0 && !(v == -1 && PyErr_Occurred()) && std::in_range<Key>(v)) {
      return static_cast<Key>(v);
    }
    PyErr_Clear();
    if (quiet) return std::nullopt;
    throw nb::value_error("skewless: the key is outside the key type's range");
  }
}

template <class Counters>
nb::dict outcome_counts(const Counters& c) {
  nb::dict d;
  for (std::size_t i = 0; i < online::ingest_outcome_count; ++i) {
    const std::string_view name = online::to_string(static_cast<online::ingest_outcome>(i));
    d[nb::str(name.data(), name.size())] = c.by_outcome[i];
  }
  return d;
}

// A (rows x columns) float64 numpy array that owns `m`.
inline nb::object to_numpy(feature_matrix&& m) {
  if (m.rows() == 0) {
    return nb::module_::import_("numpy").attr("empty")(nb::make_tuple(0, m.cols()), "dtype"_a = "float64");
  }
  auto* owned = new feature_matrix(std::move(m));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<feature_matrix*>(p); });
  const std::size_t shape[2] = {static_cast<std::size_t>(owned->rows()), static_cast<std::size_t>(owned->cols())};
  return nb::cast(nb::ndarray<nb::numpy, double, nb::ndim<2>, nb::c_contig>(owned->data(), 2, shape, owner));
}

// The Python face of one definition's online state.
template <class FS>
class online_evaluator {
 public:
  using state = online::concurrent_evaluator<FS>;
  using key_type = typename state::key_type;
  using event_type = typename state::event_type;

  online_evaluator(const FS& fs, std::size_t shards) : state_(fs, shards) {}

  nb::dict ingest(nb::handle batch) {
    const std::vector<event_type> events = read_events<event_type>(batch, "events");
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
      nb::object seq = nb::module_::import_("builtins").attr("list")(keys);
      n = nb::len(seq);
      views.reserve(n);
      keep.reserve(n);
      for (nb::handle h : seq) {
        if (!nb::isinstance<nb::str>(h)) throw nb::type_error(absl::StrCat("skewless: keys: row ", views.size(), " is not a str").c_str());
        keep.push_back(nb::borrow(h));
        views.push_back(nb::cast<std::string_view>(h));
      }
    } else {
      load_keys(keys, batch);
      n = batch.keys.size();
    }
    nb::object t = int64_array(times, "times", true);
    const bool one_time = nb::cast<std::size_t>(t.attr("ndim")) == 0;
    if (!one_time && nb::cast<std::size_t>(t.attr("size")) != n) {
      throw nb::value_error(absl::StrCat("skewless: ", n, " keys but ", nb::cast<std::size_t>(t.attr("size")), " times").c_str());
    }
    t = nb::module_::import_("numpy").attr("ascontiguousarray")(t);
    const auto* time_us = reinterpret_cast<const std::int64_t*>(nb::cast<std::uintptr_t>(t.attr("ctypes").attr("data")));
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

template <class FS>
nb::list column_list() {
  nb::list columns;
  for (const std::string_view name : FS::names()) columns.append(nb::str(name.data(), name.size()));
  return columns;
}

}  // namespace python_internal

// Adds the module's API for feature set `fs` to `m`: training_set, training_set_stream,
// OnlineEvaluator, fingerprint, columns, key_column, time_column, catalog() and
// catalog_json(). Documented in docs/python.md; stubs come from
// skewless_add_python_module.
template <class FSet>
void define_module(nb::module_& m, const FSet& fs) {
  using FS = std::remove_cvref_t<FSet>;
  using namespace nb::literals;
  using python_internal::arrow_stream;
  using python_internal::check;
  const auto def = std::make_shared<const FS>(fs);

  // The same C++ type in two modules would be registered twice: reuse the first.
  if (!nb::type<arrow_stream>().is_valid()) {
    nb::class_<arrow_stream>(m, "ArrowStream",
                             "An Arrow C stream of record batches (the Arrow PyCapsule interface); read it once, "
                             "with pyarrow.RecordBatchReader.from_stream, polars.from_arrow or duckdb.")
        .def("__arrow_c_stream__", &arrow_stream::export_capsule, "requested_schema"_a = nb::none(),
             "Gives the stream away as a PyCapsule (once).");
  } else {
    m.attr("ArrowStream") = nb::type<arrow_stream>();
  }

  const auto stream = [def](nb::handle events, nb::handle spine, std::optional<unsigned> threads,
                            std::size_t rows_per_batch, bool sorted_by_key) {
    if (rows_per_batch == 0) throw nb::value_error("skewless: rows_per_batch must be positive");
    using key_type = typename FS::key_type;
    if (sorted_by_key) {  // evaluated as the consumer reads: see arrow::stream_training_set
      python_internal::imported_stream e, s;
      python_internal::import_stream(events, "events", e);
      python_internal::import_stream(spine, "spine", s);
      auto out = std::make_unique<arrow_stream>();
      check(arrow::stream_training_set(*def, &e.stream, &s.stream, out->get(), {.threads = threads.value_or(0)},
                                       rows_per_batch));
      return out;
    }
    std::vector<typename FS::event_type> in = python_internal::read_events<typename FS::event_type>(events, "events");
    std::vector<spine_row<key_type>> rows;
    {
      python_internal::imported_stream s;
      python_internal::import_stream(spine, "spine", s);
      check(arrow::read_spine(*def, s.stream, rows), "spine");
    }
    auto out = std::make_unique<arrow_stream>();
    absl::Status status;
    {
      nb::gil_scoped_release unlocked;
      auto result = batch::evaluate(*def, in, rows, {.threads = threads.value_or(0)});
      std::vector<typename FS::event_type>().swap(in);
      status = arrow::export_training_set(*def, std::move(rows), std::move(result), out->get(), rows_per_batch);
    }
    check(status);
    return out;
  };

  m.def("training_set_stream", stream, "events"_a.none(), "spine"_a.none(), nb::kw_only(), "threads"_a = nb::none(),
        "rows_per_batch"_a = 65536, "sorted_by_key"_a = false,
        nb::sig("def training_set_stream(events: object, spine: object, *, threads: int | None = None, "
                "rows_per_batch: int = 65536, sorted_by_key: bool = False) -> ArrowStream"),
        "The point-in-time training set of `spine` (rows of key and time) over `events`, as an Arrow stream "
        "(record batches of at most rows_per_batch rows). threads=None uses every core. With sorted_by_key, events "
        "and spine must come sorted by key; they are read as the stream is consumed and rows are evaluated as their "
        "keys complete, so memory holds the largest key plus a chunk (a training set larger than memory can be "
        "written batch by batch); an input out of order fails the stream.");
  m.def(
      "training_set",
      [stream](nb::handle events, nb::handle spine, std::optional<unsigned> threads, std::size_t rows_per_batch,
               bool sorted_by_key) {
        std::unique_ptr<arrow_stream> s = stream(events, spine, threads, rows_per_batch, sorted_by_key);
        nb::object reader = nb::module_::import_("pyarrow").attr("RecordBatchReader").attr("from_stream")(
            nb::cast(std::move(s)));
        return reader.attr("read_all")();
      },
      "events"_a.none(), "spine"_a.none(), nb::kw_only(), "threads"_a = nb::none(), "rows_per_batch"_a = 65536,
      "sorted_by_key"_a = false,
      nb::sig("def training_set(events: object, spine: object, *, threads: int | None = None, "
              "rows_per_batch: int = 65536, sorted_by_key: bool = False) -> pyarrow.Table"),
      "The point-in-time training set as a pyarrow.Table: the key column, the time column (timestamp[us, UTC]) "
      "and one float64 column per feature column; the schema's metadata holds the fingerprint and the catalog. "
      "Identical bits to skewless::batch::evaluate in C++.");

  using online_t = python_internal::online_evaluator<FS>;
  nb::class_<online_t>(m, "OnlineEvaluator",
                       "The online state of this module's definition: ingest events, read feature vectors. Thread-safe "
                       "(sharded, per-entity linearizable); the GIL is released while it works.")
      .def("__init__", [def](online_t* self, std::size_t shards) { new (self) online_t(*def, shards); },
           nb::kw_only(), "shards"_a = online_t::state::default_shards)
      .def("ingest", &online_t::ingest, "events"_a.none(),
           nb::sig("def ingest(self, events: object) -> dict[str, int]"),
           "Applies a batch of events (any Arrow data with the event's columns). Returns how many events ended each "
           "way: accepted, or rejected by reason. A batch that cannot be read raises and applies nothing.")
      .def("features", &online_t::features, "keys"_a, "times"_a, nb::kw_only(), "raise_on_error"_a = true,
           nb::sig("def features(self, keys: object, times: object, *, raise_on_error: bool = True) -> "
                   "numpy.typing.NDArray[numpy.float64]"),
           "The feature vectors of `keys` as of `times` (one time for all, or one per key; int microseconds or "
           "datetime64): a float64 array of shape (len(keys), len(columns)). A row that cannot be read is NaN; "
           "with raise_on_error the first such row raises ValueError.")
      .def("advance_to", &online_t::advance_to, "t_us"_a, "key"_a = nb::none(),
           nb::sig("def advance_to(self, t_us: int, key: object = None) -> None"),
           "Moves the entity `key` (or every entity) to time t_us: evicts what its windows no longer reach and, with "
           "a TTL, expired entities.")
      .def("erase", &online_t::erase, "key"_a, nb::sig("def erase(self, key: object) -> bool"),
           "Forgets an entity; True if it had state.")
      .def("__contains__", &online_t::contains, "key"_a, nb::sig("def __contains__(self, key: object) -> bool"))
      .def("__len__", &online_t::entity_count)
      .def("snapshot", &online_t::snapshot,
           "The whole state as bytes (the C++ snapshot format: fingerprinted, checksummed).")
      .def("restore", &online_t::restore, "snapshot"_a,
           "Replaces the state with a snapshot's, or raises ValueError and changes nothing.")
      .def("write_snapshot", &online_t::write_snapshot, "path"_a,
           nb::sig("def write_snapshot(self, path: str | os.PathLike[str]) -> None"),
           "Writes a snapshot file durably (temporary file, fsync, rename).")
      .def("read_snapshot", &online_t::read_snapshot, "path"_a,
           nb::sig("def read_snapshot(self, path: str | os.PathLike[str]) -> None"), "Restores from a snapshot file, all or nothing.")
      .def("counters", &online_t::counters, nb::sig("def counters(self) -> dict[str, int]"), "Events by outcome since this evaluator was made (or restored).")
      .def("removals", &online_t::removals, nb::sig("def removals(self) -> dict[str, int]"), "Entities erased, expired and evicted for memory.")
      .def("memory", &online_t::memory, nb::sig("def memory(self) -> dict[str, int]"), "Bytes of online state, by part.")
      .def("set_memory_limit", &online_t::set_memory_limit, "bytes"_a,
           "A soft limit: advance_to evicts the least recently active entities beyond it.")
      .def_prop_ro("fingerprint", &online_t::fingerprint);

  m.attr("fingerprint") = fs.fingerprint();
  m.attr("columns") = python_internal::column_list<FS>();
  m.attr("key_column") = nb::str(FS::key_name.view().data(), FS::key_name.view().size());
  m.attr("time_column") = nb::str(FS::time_name.view().data(), FS::time_name.view().size());
  m.def(
      "catalog_json", [def] { return serial::catalog_json(*def); }, "The catalog of the definitions, as JSON text.");
  m.def(
      "catalog", [def] { return nb::module_::import_("json").attr("loads")(serial::catalog_json(*def)); },
      nb::sig("def catalog() -> dict[str, object]"), "The catalog of the definitions, as a dict.");
}

}  // namespace skewless::inline v1::python
