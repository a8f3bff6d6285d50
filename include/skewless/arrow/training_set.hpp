// skewless/arrow/training_set.hpp — a training set out as Arrow record batches.
//
// The rows of a batch evaluation — the spine's keys and times and the feature values —
// leave as an Arrow C stream (or one record batch) that pyarrow, Polars, DuckDB or
// Arrow C++ import without a copy, and from which they write Parquet:
//
//   auto rows = skewless::batch::evaluate(features, events, spine);
//   ArrowArrayStream stream;
//   skewless::arrow::export_training_set(features, std::move(spine), std::move(rows), &stream);
//   // python: pyarrow.RecordBatchReader._import_from_c(address_of_stream).read_all()
//
// Schema: the key column (named as the key field; int8..int64 / uint8..uint64 as the
// key type, or utf8 / large_utf8 for string keys), the time column (named as the time
// field, timestamp[us, UTC]), then one float64 column per feature column, named as in
// the catalog (name, or name[suffix]). A missing feature value is NaN, not null: the
// bits are the evaluator's. The schema's metadata holds "skewless.fingerprint" (16 hex
// digits) and "skewless.catalog" (the catalog JSON), so a reader can check which
// definition made the file.
//
// Each record batch is built when the consumer asks for it (at most rows_per_batch
// rows): the stream holds the spine and the values, and a batch adds only its own
// columns. Every array and schema owns its memory through a shared owner, so a
// consumer may move children out and release them in any order, as the specification
// allows.
#pragma once

#include <skewless/arrow/c_data.hpp>
#include <skewless/arrow/events.hpp>
#include <skewless/arrow/internal/export.hpp>
#include <skewless/arrow/internal/sorted_stream.hpp>
#include <skewless/batch/evaluate.hpp>
#include <skewless/serial/catalog.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::arrow {

// The training set as an Arrow C stream of record batches of at most rows_per_batch
// rows (schema above). `spine` and `rows` are the arguments and the result of one
// batch::evaluate; the stream takes them over. Refuses (InvalidArgument) a spine and
// result of different lengths. The caller releases the stream (out->release(out)).
template <class FS, class Key>
[[nodiscard]] absl::Status export_training_set(const FS& fs, std::vector<spine_row<Key>> spine, batch::result<FS> rows,
                                               ArrowArrayStream* out, std::size_t rows_per_batch = 65536) {
  using FSet = std::remove_cvref_t<FS>;
  static_assert(std::is_same_v<Key, typename FSet::key_type>,
                "skewless::arrow::export_training_set: the spine's key type must be the key field's");
  if (static_cast<std::size_t>(rows.values.rows()) != spine.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("skewless: the training set has ", rows.values.rows(), " rows but the spine ", spine.size()));
  }
  using stream = arrow_internal::training_set_stream<FSet, Key>;
  arrow_internal::c_stream<stream>::make(
      std::make_unique<stream>(fs, std::move(spine), std::move(rows), rows_per_batch), out);
  return absl::OkStatus();
}

// Appends the spine rows of a stream to `out`: the key from the column named as the key
// field, the time (microseconds) from the column named as the time field — timestamp
// in any unit, or integers in `integer_times` (read_options: undeclared is
// microseconds within +-10^17). Other columns are ignored. Errors as for read_events
// (column and row named); on any error `out` is unchanged.
template <class FS>
[[nodiscard]] absl::Status read_spine(const FS&, ArrowArrayStream& stream,
                                      std::vector<spine_row<typename std::remove_cvref_t<FS>::key_type>>& out,
                                      time_unit integer_times = time_unit::unspecified) {
  using FSet = std::remove_cvref_t<FS>;
  const std::size_t before = out.size();
  absl::Status status = arrow_internal::for_each_batch(
      stream, [&](const ArrowSchema& schema, const ArrowArray& batch, std::int64_t rows_before) {
        return arrow_internal::append_spine_rows<FSet>(schema, batch, out, rows_before, integer_times);
      });
  if (!status.ok()) out.resize(before);
  return status;
}
// A training set from Arrow to Arrow: events and spine read from their streams
// (read_events, read_spine), evaluated by batch::evaluate(fs, events, spine, opt), and
// handed out as export_training_set's stream. The input streams stay the caller's to
// release. Errors name the stream ("events" or "spine"), column and row. Integer time
// columns (both streams) count `integer_times` (read_options).
template <class FS>
[[nodiscard]] absl::Status training_set(const FS& fs, ArrowArrayStream& events, ArrowArrayStream& spine,
                                        ArrowArrayStream* out, const batch::options& opt = {},
                                        std::size_t rows_per_batch = 65536,
                                        time_unit integer_times = time_unit::unspecified) {
  using FSet = std::remove_cvref_t<FS>;
  std::vector<typename FSet::event_type> in;
  if (absl::Status s = read_events(events, in, {FSet::time_name.view(), integer_times}); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("events: ", s.message()));
  }
  std::vector<spine_row<typename FSet::key_type>> rows;
  if (absl::Status s = read_spine(fs, spine, rows, integer_times); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("spine: ", s.message()));
  }
  auto result = batch::evaluate(fs, in, rows, opt);
  return export_training_set(fs, std::move(rows), std::move(result), out, rows_per_batch);
}

// A training set streamed: events and spine sorted by key (each stream's keys
// non-decreasing; times in any order within a key) are read a batch at a time, and each
// chunk of keys complete in both is evaluated when the consumer pulls a batch and
// nothing is left to hand out. Memory holds the largest key's rows plus about a chunk
// (rows_per_batch spine rows, or 2^20 events), not the inputs or the training set, so a
// training set larger than memory can be written batch by batch. Rows come out in spine
// order; values are batch::evaluate's, bit for bit; the schema is export_training_set's,
// with string keys always large_utf8 (later batches are unknown when the schema is
// given).
//
// The stream takes over both input streams (moved out: their release becomes nullptr)
// and releases them with itself. Errors — a key out of order, a missing column, a null
// key, a failing input — surface from out->get_next as EINVAL with the message from
// get_last_error, naming the stream ("events" or "spine") and the row; batches already
// handed out stay valid. arrow::training_set takes inputs in any order (it sorts in
// memory).
template <class FS>
[[nodiscard]] absl::Status stream_training_set(const FS& fs, ArrowArrayStream* events, ArrowArrayStream* spine,
                                               ArrowArrayStream* out, const batch::options& opt = {},
                                               std::size_t rows_per_batch = 65536,
                                               time_unit integer_times = time_unit::unspecified) {
  using FSet = std::remove_cvref_t<FS>;
  if (events == nullptr || spine == nullptr || events->release == nullptr || spine->release == nullptr) {
    return absl::InvalidArgumentError("skewless: stream_training_set needs two live input streams");
  }
  using stream = arrow_internal::sorted_training_set_stream<FSet>;
  arrow_internal::c_stream<stream>::make(
      std::make_unique<stream>(fs, owned_stream(*events), owned_stream(*spine), opt, rows_per_batch,
                               stream::default_events_per_chunk, integer_times),
      out);
  return absl::OkStatus();
}

}  // namespace skewless::inline v1::arrow
