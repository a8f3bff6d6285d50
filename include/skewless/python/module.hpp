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
#include <skewless/python/internal/convert.hpp>
#include <skewless/python/internal/online.hpp>
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

// Adds the module's API for feature set `fs` to `m`: training_set, training_set_stream,
// OnlineEvaluator, fingerprint, columns, event_fields, key_column, time_column, catalog() and
// catalog_json(). Documented in docs/python.md; stubs come from
// skewless_add_python_module.
template <class FSet> void define_module(nb::module_& m, const FSet& fs) {
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
                            std::size_t rows_per_batch, bool sorted_by_key, const std::optional<std::string>& unit) {
    if (rows_per_batch == 0) throw nb::value_error("skewless: rows_per_batch must be positive");
    using key_type = typename FS::key_type;
    const arrow::time_unit integer_times = python_internal::time_unit_from(unit);
    if (sorted_by_key) {  // evaluated as the consumer reads: see arrow::stream_training_set
      arrow::owned_stream e = python_internal::import_stream(events, "events");
      arrow::owned_stream s = python_internal::import_stream(spine, "spine");
      auto out = std::make_unique<arrow_stream>();
      check(arrow::stream_training_set(*def, e.get(), s.get(), out->get(), {.threads = threads.value_or(0)},
                                       rows_per_batch, integer_times));
      return out;
    }
    std::vector<typename FS::event_type> in =
        python_internal::read_events<typename FS::event_type>(events, "events", {FS::time_name.view(), integer_times});
    std::vector<spine_row<key_type>> rows;
    {
      arrow::owned_stream s = python_internal::import_stream(spine, "spine");
      check(arrow::read_spine(*def, *s.get(), rows, integer_times), "spine");
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
        "rows_per_batch"_a = 65536, "sorted_by_key"_a = false, "time_unit"_a = nb::none(),
        nb::sig("def training_set_stream(events: object, spine: object, *, threads: int | None = None, "
                "rows_per_batch: int = 65536, sorted_by_key: bool = False, time_unit: str | None = None) -> "
                "ArrowStream"),
        "The point-in-time training set of `spine` (rows of key and time) over `events`, as an Arrow stream "
        "(record batches of at most rows_per_batch rows). threads=None uses every core. With sorted_by_key, events "
        "and spine must come sorted by key; they are read as the stream is consumed and rows are evaluated as their "
        "keys complete, so memory holds the largest key plus a chunk (a training set larger than memory can be "
        "written batch by batch); an input out of order fails the stream. time_unit (\"s\", \"ms\", \"us\", "
        "\"ns\") is what an integer time column counts; undeclared, integers are microseconds and a value beyond "
        "10^17 (nanoseconds, likely) is refused.");
  m.def(
      "training_set",
      [stream](nb::handle events, nb::handle spine, std::optional<unsigned> threads, std::size_t rows_per_batch,
               bool sorted_by_key, const std::optional<std::string>& time_unit) {
        std::unique_ptr<arrow_stream> s = stream(events, spine, threads, rows_per_batch, sorted_by_key, time_unit);
        nb::object reader =
            nb::module_::import_("pyarrow").attr("RecordBatchReader").attr("from_stream")(nb::cast(std::move(s)));
        return reader.attr("read_all")();
      },
      "events"_a.none(), "spine"_a.none(), nb::kw_only(), "threads"_a = nb::none(), "rows_per_batch"_a = 65536,
      "sorted_by_key"_a = false, "time_unit"_a = nb::none(),
      nb::sig("def training_set(events: object, spine: object, *, threads: int | None = None, "
              "rows_per_batch: int = 65536, sorted_by_key: bool = False, time_unit: str | None = None) -> "
              "pyarrow.Table"),
      "The point-in-time training set as a pyarrow.Table: the key column, the time column (timestamp[us, UTC]) "
      "and one float64 column per feature column; the schema's metadata holds the fingerprint and the catalog. "
      "Identical bits to skewless::batch::evaluate in C++. time_unit as for training_set_stream.");

  using online_t = python_internal::online_evaluator<FS>;
  nb::class_<online_t>(m, "OnlineEvaluator",
                       "The online state of this module's definition: ingest events, read feature vectors. Thread-safe "
                       "(sharded, per-entity linearizable); the GIL is released while it works.")
      .def(
          "__init__", [def](online_t* self, std::size_t shards) { new (self) online_t(*def, shards); }, nb::kw_only(),
          "shards"_a = online_t::state::default_shards)
      .def("ingest", &online_t::ingest, "events"_a.none(), nb::kw_only(), "time_unit"_a = nb::none(),
           nb::sig("def ingest(self, events: object, *, time_unit: str | None = None) -> dict[str, int]"),
           "Applies a batch of events (any Arrow data with the event's columns). Returns how many events ended each "
           "way: accepted, or rejected by reason. A batch that cannot be read raises and applies nothing. time_unit "
           "(\"s\", \"ms\", \"us\", \"ns\") is what an integer time column counts; undeclared, integers are "
           "microseconds and a value beyond 10^17 (nanoseconds, likely) is refused.")
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
           nb::sig("def read_snapshot(self, path: str | os.PathLike[str]) -> None"),
           "Restores from a snapshot file, all or nothing.")
      .def("counters", &online_t::counters, nb::sig("def counters(self) -> dict[str, int]"),
           "Events by outcome since this evaluator was made (or restored).")
      .def("removals", &online_t::removals, nb::sig("def removals(self) -> dict[str, int]"),
           "Entities erased, expired and evicted for memory.")
      .def("memory", &online_t::memory, nb::sig("def memory(self) -> dict[str, int]"),
           "Bytes of online state, by part.")
      .def("set_memory_limit", &online_t::set_memory_limit, "bytes"_a,
           "A soft limit: advance_to evicts the least recently active entities beyond it.")
      .def_prop_ro("fingerprint", &online_t::fingerprint);

  m.attr("fingerprint") = fs.fingerprint();
  m.attr("columns") = python_internal::column_list<FS>();
  m.attr("event_fields") = python_internal::event_fields<typename FS::event_type>();
  m.attr("key_column") = nb::str(FS::key_name.view().data(), FS::key_name.view().size());
  m.attr("time_column") = nb::str(FS::time_name.view().data(), FS::time_name.view().size());
  m.def("catalog_json", [def] { return serial::catalog_json(*def); }, "The catalog of the definitions, as JSON text.");
  m.def(
      "catalog", [def] { return nb::module_::import_("json").attr("loads")(serial::catalog_json(*def)); },
      nb::sig("def catalog() -> dict[str, object]"), "The catalog of the definitions, as a dict.");
}

}  // namespace skewless::inline v1::python
