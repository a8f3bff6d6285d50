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
#include <skewless/batch/evaluate.hpp>
#include <skewless/serial/catalog.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::arrow {

namespace arrow_internal {

// Everything the schema or arrays of one export point into. Schemas and arrays each
// hold a shared_ptr to it (in private_data), so it lives until the last is released.
struct export_storage {
  std::vector<std::string> strings;  // names, formats, metadata (stable: reserved up front)
  std::vector<std::unique_ptr<std::byte[]>> blocks;  // not zeroed: every byte is written
  std::vector<ArrowSchema> schemas;     // children
  std::vector<ArrowSchema*> schema_ptrs;
  std::vector<ArrowArray> arrays;       // children
  std::vector<ArrowArray*> array_ptrs;
  std::vector<std::vector<const void*>> buffer_lists;
  std::vector<const void*> parent_buffers{nullptr};
};
using owner = std::shared_ptr<export_storage>;

template <class T>
void release_owned(T* x) noexcept {
  if (x == nullptr || x->release == nullptr) return;
  for (std::int64_t i = 0; i < x->n_children; ++i) {
    T* child = x->children[i];
    if (child != nullptr && child->release != nullptr) child->release(child);
  }
  delete static_cast<owner*>(x->private_data);
  x->release = nullptr;
}

template <class T>
void own(T& x, const owner& o) {
  x.private_data = new owner(o);
  x.release = &release_owned<T>;
}

// The Arrow format of an integer key type.
template <class K>
constexpr const char* integer_format() {
  if constexpr (std::is_same_v<K, bool>) return "b";
  else if constexpr (std::is_signed_v<K>) {
    return sizeof(K) == 1 ? "c" : sizeof(K) == 2 ? "s" : sizeof(K) == 4 ? "i" : "l";
  } else {
    return sizeof(K) == 1 ? "C" : sizeof(K) == 2 ? "S" : sizeof(K) == 4 ? "I" : "L";
  }
}

// "skewless.fingerprint" and "skewless.catalog" in the C interface's metadata
// encoding: int32 pair count, then per pair int32 length + key bytes, int32 length +
// value bytes (native endianness).
inline std::string encode_metadata(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  const auto put32 = [&](std::size_t v) {
    const auto n = static_cast<std::int32_t>(v);
    char b[4];
    std::memcpy(b, &n, 4);
    out.append(b, 4);
  };
  put32(pairs.size());
  for (const auto& [k, v] : pairs) {
    put32(k.size());
    out += k;
    put32(v.size());
    out += v;
  }
  return out;
}

template <class FS, class Key>
class training_set_stream {
 public:
  training_set_stream(const FS& fs, std::vector<spine_row<Key>> spine, batch::result<FS> rows, std::size_t per_batch)
      : spine_(std::move(spine)), rows_(std::move(rows)), per_batch_(std::max<std::size_t>(1, per_batch)) {
    names_.push_back(std::string(FS::key_name.view()));
    names_.push_back(std::string(FS::time_name.view()));
    for (std::string_view c : rows_.columns) names_.emplace_back(c);
    char hex[17];
    const std::uint64_t fp = fs.fingerprint();
    for (int i = 0; i < 16; ++i) hex[i] = "0123456789abcdef"[(fp >> (60 - 4 * i)) & 0xf];
    hex[16] = '\0';
    metadata_ = encode_metadata({{"skewless.fingerprint", hex}, {"skewless.catalog", serial::catalog_json(fs)}});
    if constexpr (std::is_same_v<Key, std::string>) {
      std::size_t total = 0;
      for (const auto& r : spine_) total += r.key.size();
      large_strings_ = total > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
    }
  }

  [[nodiscard]] std::size_t rows() const noexcept { return spine_.size(); }

  void schema(ArrowSchema* out) const {
    auto o = std::make_shared<export_storage>();
    const std::size_t n = names_.size();
    o->strings.reserve(2 * n + 3);
    o->schemas.resize(n);
    for (std::size_t c = 0; c < n; ++c) {
      ArrowSchema& s = o->schemas[c];
      s = ArrowSchema{};
      s.name = o->strings.emplace_back(names_[c]).c_str();
      s.format = o->strings.emplace_back(format_of(c)).c_str();
      s.flags = 0;  // no nulls in any column
      own(s, o);
      o->schema_ptrs.push_back(&s);
    }
    *out = ArrowSchema{};
    out->format = o->strings.emplace_back("+s").c_str();
    out->name = o->strings.emplace_back("").c_str();
    out->metadata = o->strings.emplace_back(metadata_).data();
    out->n_children = static_cast<std::int64_t>(n);
    out->children = o->schema_ptrs.data();
    own(*out, o);
  }

  // Rows [first, first + count) as one struct array.
  void batch(std::size_t first, std::size_t count, ArrowArray* out) const {
    auto o = std::make_shared<export_storage>();
    const std::size_t n = names_.size();
    o->arrays.resize(n);
    o->buffer_lists.resize(n);
    const auto block = [&](std::size_t bytes) -> std::byte* {
      return o->blocks.emplace_back(new std::byte[std::max<std::size_t>(bytes, 1)]).get();
    };
    for (std::size_t c = 0; c < n; ++c) {
      std::vector<const void*>& bufs = o->buffer_lists[c];
      bufs.push_back(nullptr);  // validity: no nulls
      if (c == 0) {
        key_buffers(first, count, block, bufs);
      } else if (c == 1) {
        auto* t = reinterpret_cast<std::int64_t*>(block(count * sizeof(std::int64_t)));
        for (std::size_t r = 0; r < count; ++r) t[r] = spine_[first + r].time_us;
        bufs.push_back(t);
      } else {
        bufs.push_back(block(count * sizeof(double)));  // filled below, all columns at once
      }
      ArrowArray& a = o->arrays[c];
      a = ArrowArray{};
      a.length = static_cast<std::int64_t>(count);
      a.null_count = 0;
      a.n_buffers = static_cast<std::int64_t>(bufs.size());
      a.buffers = bufs.data();
      own(a, o);
      o->array_ptrs.push_back(&a);
    }
    // The row-major values into the feature columns, a tile of rows at a time, so each
    // row is read from memory once (column by column over the whole batch would read
    // every row once per column).
    const auto cols = static_cast<std::size_t>(rows_.values.cols());
    const double* values = rows_.values.data();
    constexpr std::size_t tile = 256;
    for (std::size_t r0 = 0; r0 < count; r0 += tile) {
      const std::size_t r1 = std::min(count, r0 + tile);
      for (std::size_t c = 0; c < cols; ++c) {
        auto* v = static_cast<double*>(const_cast<void*>(o->buffer_lists[2 + c][1]));
        for (std::size_t r = r0; r < r1; ++r) v[r] = values[(first + r) * cols + c];
      }
    }
    *out = ArrowArray{};
    out->length = static_cast<std::int64_t>(count);
    out->null_count = 0;
    out->n_buffers = 1;
    out->buffers = o->parent_buffers.data();
    out->n_children = static_cast<std::int64_t>(n);
    out->children = o->array_ptrs.data();
    own(*out, o);
  }

  // The C stream: get_next hands out batches of per_batch rows, then the end.
  static void to_c(std::unique_ptr<training_set_stream> self, ArrowArrayStream* out) {
    *out = ArrowArrayStream{};
    out->get_schema = [](ArrowArrayStream* s, ArrowSchema* schema) -> int {
      return guarded(s, [&](training_set_stream& t) { t.schema(schema); });
    };
    out->get_next = [](ArrowArrayStream* s, ArrowArray* array) -> int {
      return guarded(s, [&](training_set_stream& t) {
        if (t.next_ >= t.rows()) {
          *array = ArrowArray{};  // release == nullptr: the end
          return;
        }
        const std::size_t count = std::min(t.per_batch_, t.rows() - t.next_);
        t.batch(t.next_, count, array);
        t.next_ += count;
      });
    };
    out->get_last_error = [](ArrowArrayStream* s) -> const char* {
      auto* t = static_cast<training_set_stream*>(s->private_data);
      return t == nullptr || t->error_.empty() ? nullptr : t->error_.c_str();
    };
    out->release = [](ArrowArrayStream* s) {
      delete static_cast<training_set_stream*>(s->private_data);
      s->private_data = nullptr;
      s->release = nullptr;
    };
    out->private_data = self.release();
  }

 private:
  template <class F>
  static int guarded(ArrowArrayStream* s, F&& f) noexcept {
    auto* t = static_cast<training_set_stream*>(s->private_data);
    try {
      f(*t);
      return 0;
    } catch (const std::bad_alloc&) {
      t->error_ = "skewless: out of memory building an Arrow batch";
      return ENOMEM;
    } catch (const std::exception& e) {
      t->error_ = e.what();
      return EIO;
    }
  }

  [[nodiscard]] std::string format_of(std::size_t c) const {
    if (c == 0) {
      if constexpr (std::is_same_v<Key, std::string>) return large_strings_ ? "U" : "u";
      else return integer_format<Key>();
    }
    if (c == 1) return "tsu:UTC";
    return "g";
  }

  template <class Block>
  void key_buffers(std::size_t first, std::size_t count, Block&& block, std::vector<const void*>& bufs) const {
    if constexpr (std::is_same_v<Key, std::string>) {
      std::size_t bytes = 0;
      for (std::size_t r = 0; r < count; ++r) bytes += spine_[first + r].key.size();
      char* chars = reinterpret_cast<char*>(block(bytes));
      const auto fill = [&](auto* offsets) {
        using O = std::remove_pointer_t<decltype(offsets)>;
        O at = 0;
        for (std::size_t r = 0; r < count; ++r) {
          offsets[r] = at;
          const std::string& k = spine_[first + r].key;
          std::memcpy(chars + at, k.data(), k.size());
          at += static_cast<O>(k.size());
        }
        offsets[count] = at;
        bufs.push_back(offsets);
      };
      if (large_strings_) fill(reinterpret_cast<std::int64_t*>(block((count + 1) * sizeof(std::int64_t))));
      else fill(reinterpret_cast<std::int32_t*>(block((count + 1) * sizeof(std::int32_t))));
      bufs.push_back(chars);
    } else if constexpr (std::is_same_v<Key, bool>) {
      auto* bits = reinterpret_cast<std::uint8_t*>(block((count + 7) / 8));
      std::memset(bits, 0, (count + 7) / 8);
      for (std::size_t r = 0; r < count; ++r) {
        if (spine_[first + r].key) bits[r >> 3] = static_cast<std::uint8_t>(bits[r >> 3] | (1u << (r & 7)));
      }
      bufs.push_back(bits);
    } else {
      auto* k = reinterpret_cast<Key*>(block(count * sizeof(Key)));
      for (std::size_t r = 0; r < count; ++r) k[r] = spine_[first + r].key;
      bufs.push_back(k);
    }
  }

  std::vector<spine_row<Key>> spine_;
  batch::result<FS> rows_;
  std::size_t per_batch_;
  std::vector<std::string> names_;
  std::string metadata_;
  bool large_strings_ = false;
  std::size_t next_ = 0;
  std::string error_;
};

}  // namespace arrow_internal

// The training set as an Arrow C stream of record batches of at most rows_per_batch
// rows (schema above). `spine` and `rows` are the arguments and the result of one
// batch::evaluate; the stream takes them over. Refuses (InvalidArgument) a spine and
// result of different lengths. The caller releases the stream (out->release(out)).
template <class FS, class Key>
[[nodiscard]] absl::Status export_training_set(const FS& fs, std::vector<spine_row<Key>> spine,
                                               batch::result<FS> rows, ArrowArrayStream* out,
                                               std::size_t rows_per_batch = 65536) {
  using FSet = std::remove_cvref_t<FS>;
  static_assert(std::is_same_v<Key, typename FSet::key_type>,
                "skewless::arrow::export_training_set: the spine's key type must be the key field's");
  if (static_cast<std::size_t>(rows.values.rows()) != spine.size()) {
    return absl::InvalidArgumentError(absl::StrCat("skewless: the training set has ", rows.values.rows(),
                                                   " rows but the spine ", spine.size()));
  }
  using stream = arrow_internal::training_set_stream<FSet, Key>;
  stream::to_c(std::make_unique<stream>(fs, std::move(spine), std::move(rows), rows_per_batch), out);
  return absl::OkStatus();
}

// Appends the spine rows of a stream to `out`: the key from the column named as the key
// field, the time (microseconds) from the column named as the time field — timestamp
// in any unit or int64 microseconds. Other columns are ignored. Errors as for
// read_events (column and row named); on any error `out` is unchanged.
template <class FS>
[[nodiscard]] absl::Status read_spine(const FS&, ArrowArrayStream& stream,
                                      std::vector<spine_row<typename std::remove_cvref_t<FS>::key_type>>& out) {
  using FSet = std::remove_cvref_t<FS>;
  const std::size_t before = out.size();
  absl::Status status = arrow_internal::for_each_batch(
      stream, [&](const ArrowSchema& schema, const ArrowArray& batch, std::int64_t rows_before) {
        if (absl::Status s = arrow_internal::check_batch(schema, batch); !s.ok()) return s;
        arrow_internal::column key, time;
        if (absl::Status s = arrow_internal::find_column(schema, batch, FSet::key_name.view(), rows_before, key); !s.ok()) {
          return s;
        }
        if (absl::Status s = arrow_internal::find_column(schema, batch, FSet::time_name.view(), rows_before, time); !s.ok()) {
          return s;
        }
        for (std::int64_t row = 0; row < batch.length; ++row) {
          spine_row<typename FSet::key_type> r{};
          if (absl::Status s = arrow_internal::read_field(key, row, r.key); !s.ok()) return s;
          if (absl::Status s = arrow_internal::read_field(time, row, r.time_us); !s.ok()) return s;
          out.push_back(std::move(r));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) out.resize(before);
  return status;
}

// A training set from Arrow to Arrow: events and spine read from their streams
// (read_events, read_spine), evaluated by batch::evaluate(fs, events, spine, opt), and
// handed out as export_training_set's stream. The input streams stay the caller's to
// release. Errors name the stream ("events" or "spine"), column and row.
template <class FS>
[[nodiscard]] absl::Status training_set(const FS& fs, ArrowArrayStream& events, ArrowArrayStream& spine,
                                        ArrowArrayStream* out, const batch::options& opt = {},
                                        std::size_t rows_per_batch = 65536) {
  using FSet = std::remove_cvref_t<FS>;
  std::vector<typename FSet::event_type> in;
  if (absl::Status s = read_events(events, in); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("events: ", s.message()));
  }
  std::vector<spine_row<typename FSet::key_type>> rows;
  if (absl::Status s = read_spine(fs, spine, rows); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("spine: ", s.message()));
  }
  auto result = batch::evaluate(fs, in, rows, opt);
  return export_training_set(fs, std::move(rows), std::move(result), out, rows_per_batch);
}

}  // namespace skewless::inline v1::arrow
