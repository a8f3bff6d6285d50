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

// An Arrow C stream over `impl` (schema(ArrowSchema*) const, and absl::Status
// next(ArrowArray*) giving a released array at the end). An error — a status, or an
// exception such as bad_alloc — is returned as an errno with get_last_error's message,
// and every later call returns it again.
template <class T>
class c_stream {
 public:
  static void make(std::unique_ptr<T> impl, ArrowArrayStream* out) {
    *out = ArrowArrayStream{};
    out->get_schema = [](ArrowArrayStream* s, ArrowSchema* schema) -> int {
      return self(s)->guarded([&](T& t) {
        t.schema(schema);
        return absl::OkStatus();
      });
    };
    out->get_next = [](ArrowArrayStream* s, ArrowArray* array) -> int {
      return self(s)->guarded([&](T& t) { return t.next(array); });
    };
    out->get_last_error = [](ArrowArrayStream* s) -> const char* {
      const c_stream* c = self(s);
      return c == nullptr || c->error_.empty() ? nullptr : c->error_.c_str();
    };
    out->release = [](ArrowArrayStream* s) {
      delete self(s);
      s->private_data = nullptr;
      s->release = nullptr;
    };
    out->private_data = new c_stream(std::move(impl));
  }

 private:
  explicit c_stream(std::unique_ptr<T> impl) : impl_(std::move(impl)) {}
  static c_stream* self(ArrowArrayStream* s) noexcept { return static_cast<c_stream*>(s->private_data); }

  template <class F>
  int guarded(F&& f) noexcept {
    if (code_ != 0) return code_;
    try {
      const absl::Status s = f(*impl_);
      if (s.ok()) return 0;
      error_ = std::string(s.message());
      code_ = EINVAL;
    } catch (const std::bad_alloc&) {
      error_ = "skewless: out of memory building an Arrow batch";
      code_ = ENOMEM;
    } catch (const std::exception& e) {
      error_ = e.what();
      code_ = EIO;
    }
    return code_;
  }

  std::unique_ptr<T> impl_;
  std::string error_;
  int code_ = 0;
};

template <class FS, class Key>
class training_set_stream {
 public:
  // `large_keys`: string keys as large_utf8 whatever their size (a stream whose later
  // chunks are not known when the schema is given).
  training_set_stream(const FS& fs, std::vector<spine_row<Key>> spine, batch::result<FS> rows, std::size_t per_batch,
                      bool large_keys = false)
      : spine_(std::move(spine)), rows_(std::move(rows)), per_batch_(std::max<std::size_t>(1, per_batch)),
        large_strings_(large_keys) {
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
      large_strings_ = large_strings_ || total > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
    }
  }

  [[nodiscard]] std::size_t rows() const noexcept { return spine_.size(); }
  [[nodiscard]] std::size_t remaining() const noexcept { return spine_.size() - next_; }

  // The next batch of at most per_batch rows (call while remaining() > 0).
  void next_batch(ArrowArray* out) {
    const std::size_t count = std::min(per_batch_, remaining());
    batch(next_, count, out);
    next_ += count;
  }
  // Replaces the rows handed out with another chunk's (same definition and columns).
  void reset(std::vector<spine_row<Key>> spine, batch::result<FS> rows) {
    spine_ = std::move(spine);
    rows_ = std::move(rows);
    next_ = 0;
  }

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

  // The next batch of at most per_batch rows, or the end (a released array).
  absl::Status next(ArrowArray* out) {
    *out = ArrowArray{};
    if (remaining() > 0) next_batch(out);
    return absl::OkStatus();
  }

 private:
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
};

// The spine rows of one record batch, appended to `out`; on error some may have been.
template <class FSet>
absl::Status append_spine_rows(const ArrowSchema& schema, const ArrowArray& batch,
                               std::vector<spine_row<typename FSet::key_type>>& out, std::int64_t rows_before) {
  if (absl::Status s = check_batch(schema, batch); !s.ok()) return s;
  column key, time;
  if (absl::Status s = find_column(schema, batch, FSet::key_name.view(), rows_before, key); !s.ok()) return s;
  if (absl::Status s = find_column(schema, batch, FSet::time_name.view(), rows_before, time); !s.ok()) return s;
  const std::size_t need = out.size() + static_cast<std::size_t>(batch.length);
  if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
  for (std::int64_t row = 0; row < batch.length; ++row) {
    spine_row<typename FSet::key_type> r{};
    if (absl::Status s = read_field(key, row, r.key); !s.ok()) return s;
    if (absl::Status s = read_field(time, row, r.time_us); !s.ok()) return s;
    out.push_back(std::move(r));
  }
  return absl::OkStatus();
}

// One input of a streamed evaluation: an owned stream read a batch at a time into a
// buffer of rows (events or spine rows), checked to be sorted by key. Rows before
// `head` are consumed; the buffer compacts when the consumed part is half of it.
template <class Row, class KeyOf>
class sorted_input {
 public:
  sorted_input(ArrowArrayStream stream, const char* what, KeyOf key_of)
      : owned_{stream}, source_(owned_.stream), what_(what), key_of_(key_of) {}
  sorted_input(const sorted_input&) = delete;
  sorted_input& operator=(const sorted_input&) = delete;

  [[nodiscard]] bool done() const noexcept { return done_; }
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size() - head_; }
  [[nodiscard]] const Row* begin() const noexcept { return rows_.data() + head_; }
  [[nodiscard]] decltype(auto) last_key() const { return key_of_(rows_.back()); }

  // Reads the next batch (skipping empty ones) with `append(schema, batch, rows,
  // rows_before)`; at the end of the stream sets done().
  template <class Append>
  absl::Status pull(Append&& append) {
    while (!done_) {
      bool more = false;
      if (absl::Status s = source_.next(more); !s.ok()) return prefixed(s);
      if (!more) {
        done_ = true;
        break;
      }
      const std::size_t before = rows_.size();
      if (absl::Status s = append(source_.schema(), source_.batch(), rows_, source_.rows_before()); !s.ok()) {
        rows_.resize(before);
        return prefixed(s);
      }
      for (std::size_t i = before; i < rows_.size(); ++i) {
        if (i > 0 && key_of_(rows_[i]) < key_of_(rows_[i - 1])) {
          const auto row = source_.rows_before() + static_cast<std::int64_t>(i - before);
          rows_.resize(before);
          return absl::InvalidArgumentError(absl::StrCat(
              what_, ": skewless: row ", row, ": the key is less than the key before it; a streamed training set ",
              "needs events and spine sorted by key (arrow::training_set takes them in any order)"));
        }
      }
      if (rows_.size() > before) break;
    }
    return absl::OkStatus();
  }
  // The first n unconsumed rows are used up.
  void consume(std::size_t n) {
    head_ += n;
    if (head_ == rows_.size()) {
      rows_.clear();
      head_ = 0;
    } else if (head_ >= rows_.size() / 2) {
      rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  // How many unconsumed rows have a key less than k.
  template <class K>
  [[nodiscard]] std::size_t count_below(const K& k) const {
    return static_cast<std::size_t>(
        std::partition_point(rows_.begin() + static_cast<std::ptrdiff_t>(head_), rows_.end(),
                             [&](const Row& r) { return key_of_(r) < k; }) -
        (rows_.begin() + static_cast<std::ptrdiff_t>(head_)));
  }

 private:
  absl::Status prefixed(const absl::Status& s) const {
    if (absl::StartsWith(s.message(), what_)) return s;
    return absl::Status(s.code(), absl::StrCat(what_, ": ", s.message()));
  }

  // Declared before source_, so released after it (and its batch and schema).
  struct owned_stream {
    ArrowArrayStream stream;
    ~owned_stream() {
      if (stream.release != nullptr) stream.release(&stream);
    }
  } owned_;
  batch_source source_;
  const char* what_;
  KeyOf key_of_;
  std::vector<Row> rows_;
  std::size_t head_ = 0;
  bool done_ = false;
};

// The training set of streams sorted by key, evaluated a chunk of complete keys at a
// time as the consumer pulls batches (see arrow::stream_training_set).
template <class FS>
class sorted_training_set_stream {
  using Key = typename FS::key_type;
  using Event = typename FS::event_type;
  static constexpr auto event_key = [](const Event& e) -> decltype(auto) { return FS::key_of(e); };
  static constexpr auto spine_key = [](const spine_row<Key>& r) -> const Key& { return r.key; };

 public:
  // Complete events gathered before a chunk is evaluated even without enough spine
  // rows (so a sparse spine does not make the events pile up).
  static constexpr std::size_t default_events_per_chunk = std::size_t{1} << 20;

  sorted_training_set_stream(const FS& fs, ArrowArrayStream events, ArrowArrayStream spine, const batch::options& opt,
                             std::size_t per_batch, std::size_t events_per_chunk = default_events_per_chunk)
      : fs_(fs), opt_(opt), per_batch_(std::max<std::size_t>(1, per_batch)),
        events_per_chunk_(std::max<std::size_t>(1, events_per_chunk)), events_(events, "events", event_key),
        spine_(spine, "spine", spine_key),
        out_(fs, {}, batch::evaluate(fs, std::vector<Event>{}, std::vector<spine_row<Key>>{}), per_batch, true) {}

  void schema(ArrowSchema* out) const { out_.schema(out); }

  // The next batch, or the end (a released array).
  absl::Status next(ArrowArray* out) {
    *out = ArrowArray{};
    while (out_.remaining() == 0) {
      if (finished_) return absl::OkStatus();
      if (absl::Status s = fill(); !s.ok()) return s;
    }
    out_.next_batch(out);
    return absl::OkStatus();
  }

  // The most rows the inputs held at once (events + spine), for the memory bound's test.
  [[nodiscard]] std::size_t peak_buffered() const noexcept { return peak_; }

 private:
  // Reads until enough keys are complete, then evaluates them into out_.
  absl::Status fill() {
    const auto read_events = [](const ArrowSchema& schema, const ArrowArray& batch, std::vector<Event>& rows,
                                std::int64_t rows_before) { return append_rows(schema, batch, rows, rows_before); };
    const auto read_spine = [](const ArrowSchema& schema, const ArrowArray& batch, std::vector<spine_row<Key>>& rows,
                               std::int64_t rows_before) {
      return append_spine_rows<FS>(schema, batch, rows, rows_before);
    };
    while (true) {
      if (!events_.done() && events_.size() == 0) {
        if (absl::Status s = events_.pull(read_events); !s.ok()) return s;
        continue;
      }
      if (!spine_.done() && spine_.size() == 0) {
        if (absl::Status s = spine_.pull(read_spine); !s.ok()) return s;
        continue;
      }
      // Keys below `bound` are complete in both inputs: a stream still going has no
      // more rows below its last key.
      const bool all = events_.done() && spine_.done();
      std::size_t n_events = events_.size(), n_spine = spine_.size();
      bool events_bound = false;  // whether the events hold the bound back
      if (!all) {
        const Key* bound = nullptr;
        Key event_last{};
        if (!events_.done()) {
          event_last = events_.last_key();
          bound = &event_last;
          events_bound = true;
        }
        if (!spine_.done() && (bound == nullptr || spine_.last_key() < *bound)) {
          bound = &spine_.last_key();
          events_bound = false;
        }
        n_events = events_.count_below(*bound);
        n_spine = spine_.count_below(*bound);
      }
      if (all || n_spine >= per_batch_ || n_events >= events_per_chunk_) {
        evaluate(n_events, n_spine);
        if (all) finished_ = true;
        return absl::OkStatus();
      }
      // Not enough yet: read from the input that holds the bound back.
      if (events_bound) {
        if (absl::Status s = events_.pull(read_events); !s.ok()) return s;
      } else {
        if (absl::Status s = spine_.pull(read_spine); !s.ok()) return s;
      }
    }
  }

  void evaluate(std::size_t n_events, std::size_t n_spine) {
    peak_ = std::max(peak_, events_.size() + spine_.size());
    std::vector<spine_row<Key>> rows(spine_.begin(), spine_.begin() + n_spine);
    auto result = batch::evaluate(fs_, std::span<const Event>(events_.begin(), n_events), rows, opt_);
    events_.consume(n_events);
    spine_.consume(n_spine);
    out_.reset(std::move(rows), std::move(result));
  }

  FS fs_;
  batch::options opt_;
  std::size_t per_batch_;
  std::size_t events_per_chunk_;
  std::size_t peak_ = 0;
  sorted_input<Event, decltype(event_key)> events_;
  sorted_input<spine_row<Key>, decltype(spine_key)> spine_;
  training_set_stream<FS, Key> out_;
  bool finished_ = false;
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
  arrow_internal::c_stream<stream>::make(std::make_unique<stream>(fs, std::move(spine), std::move(rows), rows_per_batch), out);
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
        return arrow_internal::append_spine_rows<FSet>(schema, batch, out, rows_before);
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
                                               std::size_t rows_per_batch = 65536) {
  using FSet = std::remove_cvref_t<FS>;
  if (events == nullptr || spine == nullptr || events->release == nullptr || spine->release == nullptr) {
    return absl::InvalidArgumentError("skewless: stream_training_set needs two live input streams");
  }
  using stream = arrow_internal::sorted_training_set_stream<FSet>;
  auto impl = std::make_unique<stream>(fs, *events, *spine, opt, rows_per_batch);
  events->release = nullptr;
  spine->release = nullptr;
  arrow_internal::c_stream<stream>::make(std::move(impl), out);
  return absl::OkStatus();
}

}  // namespace skewless::inline v1::arrow
