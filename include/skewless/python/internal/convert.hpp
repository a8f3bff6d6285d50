// skewless/python/internal/convert.hpp — Python values to skewless inputs and back.
//
// Internal to python/ (define_module in python/module.hpp is the API): a failed status as
// the Python exception a caller expects, Arrow objects in through the PyCapsule interface
// (one owned stream each), streams out as capsules, keys and times from Python objects
// and numpy arrays, matrices out as numpy arrays.
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
#include <absl/strings/str_replace.h>
#include <absl/time/time.h>
#include <boost/hana/accessors.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>

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

// A failed status as the Python exception a caller expects, naming the Python API
// where the C++ message names a C++ one.
[[noreturn]] inline void raise(const absl::Status& s) {
  const std::string message = absl::StrReplaceAll(
      s.message(), {{online::past_times_advice, "Use the module's training_set(events, spine) for past times."}});
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted: throw std::bad_alloc();
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnavailable: PyErr_SetString(PyExc_OSError, message.c_str()); throw nb::python_error();
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss: throw nb::value_error(message.c_str());
    default: throw std::runtime_error(message);
  }
}
inline void check(const absl::Status& s, std::string_view prefix = {}) {
  if (s.ok()) return;
  if (prefix.empty()) raise(s);
  raise(absl::Status(s.code(), absl::StrCat(as_absl(prefix), ": ", s.message())));
}

// `obj.__arrow_c_stream__()`, moved out of its capsule as the PyCapsule interface says
// a consumer does (the capsule's destructor then has nothing to release).
inline arrow::owned_stream import_stream(nb::handle obj, std::string_view what) {
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
  return arrow::owned_stream(*source);
}

// The unit of integer time columns from a time_unit= argument: None, "s", "ms", "us" or "ns".
inline arrow::time_unit time_unit_from(const std::optional<std::string>& name) {
  if (!name) return arrow::time_unit::unspecified;
  const arrow::time_unit u = arrow::time_unit_named(*name);
  if (u == arrow::time_unit::unspecified) {
    throw nb::value_error(
        absl::StrCat("skewless: time_unit must be \"s\", \"ms\", \"us\" or \"ns\", not \"", *name, "\"").c_str());
  }
  return u;
}

// Whether obj's type (or a base) defines `name`, looked up in the types' dicts: no
// AttributeError raised and cleared when it does not (which costs a microsecond).
inline bool type_has(nb::handle obj, const char* name) {
  PyObject* mro = Py_TYPE(obj.ptr())->tp_mro;
  if (mro == nullptr || !PyTuple_Check(mro)) return PyObject_HasAttrString(obj.ptr(), name) != 0;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); ++i) {
    PyObject* dict = reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(mro, i))->tp_dict;
    if (dict != nullptr && PyDict_GetItemString(dict, name) != nullptr) return true;
  }
  return false;
}

// The events of an Arrow object, read with the GIL held; `time` names the time column
// and the unit of its integers. One record batch (an object with __arrow_c_array__,
// such as pyarrow.RecordBatch) is read from its array capsules, which costs less than
// the stream pyarrow would wrap it in; anything else through __arrow_c_stream__.
template <class Event>
std::vector<Event> read_events(nb::handle obj, std::string_view what, const arrow::read_options& time) {
  std::vector<Event> events;
  // One batch through its array capsules; rows before it (for messages) as given.
  const auto read_batch = [&](nb::handle batch, std::int64_t rows_before) {
    nb::object pair = batch.attr("__arrow_c_array__")();
    if (!nb::isinstance<nb::tuple>(pair) || nb::len(pair) != 2) return false;
    auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(nb::handle(pair[0]).ptr(), "arrow_schema"));
    auto* array = static_cast<ArrowArray*>(PyCapsule_GetPointer(nb::handle(pair[1]).ptr(), "arrow_array"));
    if (schema == nullptr || array == nullptr) throw nb::python_error();
    // Only read: the capsules release schema and array when `pair` goes.
    check(arrow::arrow_internal::append_rows(*schema, *array, events, rows_before, time), what);
    return true;
  };
  if (type_has(obj, "__arrow_c_array__") && read_batch(obj, 0)) return events;
  // A pyarrow.Table: its batches one by one cost less than the stream pyarrow makes.
  if (std::string_view(Py_TYPE(obj.ptr())->tp_name) == "pyarrow.lib.Table") {
    std::int64_t rows = 0;
    for (nb::handle batch : obj.attr("to_batches")()) {
      if (!read_batch(batch, rows)) break;
      rows += nb::cast<std::int64_t>(batch.attr("num_rows"));
    }
    if (rows == nb::cast<std::int64_t>(obj.attr("num_rows"))) return events;
    events.clear();  // not what was expected: read the stream instead
  }
  arrow::owned_stream in = import_stream(obj, what);
  check(arrow::read_events(*in.get(), events, time), what);
  return events;
}

// A stream the module produces, handed to Python as the PyCapsule interface wants: the
// object's __arrow_c_stream__ gives the stream away once.
class arrow_stream {
 public:
  ArrowArrayStream* get() noexcept { return stream_.get(); }

  // requested_schema is ignored, as the interface allows: the schema is the one the
  // definition fixes.
  nb::capsule export_capsule(nb::handle /*requested_schema*/) {
    if (!stream_.live()) throw nb::value_error("skewless: this Arrow stream was already consumed");
    auto* out = new ArrowArrayStream{};
    stream_.move_to(out);
    return nb::capsule(out, "arrow_array_stream", [](void* p) noexcept {
      auto* s = static_cast<ArrowArrayStream*>(p);
      if (s->release != nullptr) s->release(s);
      delete s;
    });
  }

 private:
  arrow::owned_stream stream_;
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
        nb::cast<std::uint64_t>(np.attr("max")(a).attr("item")()) >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
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
template <class Key> struct key_batch {
  std::vector<Key> owned;
  std::span<const Key> keys;
  nb::object keep;  // the numpy array `keys` points into
};
template <class Key> void load_keys(nb::handle obj, key_batch<Key>& out) {
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
      throw nb::type_error(
          absl::StrCat("skewless: keys must be integers, got dtype ", py_str(a.attr("dtype"))).c_str());
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
            throw nb::value_error(
                absl::StrCat("skewless: keys: row ", i, ": ", values[i], " is outside the key type's range").c_str());
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
template <class Key> std::optional<Key> key_from(nb::handle obj, bool quiet = false) {
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

template <class Counters> nb::dict outcome_counts(const Counters& c) {
  // The outcome names, made once: an ingest of a few events returns this dict each call.
  static nb::str* const names = [] {
    auto* out = new nb::str[online::ingest_outcome_count];  // never freed, like interned strings
    for (std::size_t i = 0; i < online::ingest_outcome_count; ++i) {
      const std::string_view name = online::to_string(static_cast<online::ingest_outcome>(i));
      out[i] = nb::str(name.data(), name.size());
    }
    return out;
  }();
  nb::dict d;
  for (std::size_t i = 0; i < online::ingest_outcome_count; ++i) d[names[i]] = c.by_outcome[i];
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

// What the Arrow reader takes for a field of type T, by name (for callers that check a
// schema before reading, such as skewless.spark): "int64" (integers, bool, timestamps),
// "integer" (integers, bool), "float" (floats, integers), "string", "time" (absl::Time:
// timestamps, integers) or "vector" (fixed-size lists of floats).
template <class T> constexpr const char* field_kind() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  else if constexpr (std::is_floating_point_v<T>) return "float";
  else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) return "integer";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (std::is_same_v<T, absl::Time>) return "time";
  else return "vector";
}

// The event struct's fields, each with its field_kind, in declaration order.
template <class Event> nb::dict event_fields() {
  nb::dict out;
  boost::hana::for_each(boost::hana::accessors<Event>(), [&](auto pair) {
    using T = std::remove_cvref_t<decltype(boost::hana::second(pair)(std::declval<Event&>()))>;
    out[boost::hana::to<const char*>(boost::hana::first(pair))] = field_kind<T>();
  });
  return out;
}

template <class FS> nb::list column_list() {
  nb::list columns;
  for (const std::string_view name : FS::names()) columns.append(nb::str(name.data(), name.size()));
  return columns;
}

}  // namespace python_internal

}  // namespace skewless::inline v1::python
