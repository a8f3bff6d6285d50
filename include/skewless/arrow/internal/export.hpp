// skewless/arrow/internal/export.hpp — a batch evaluation's rows as an Arrow C stream.
//
// Internal to arrow/ (export_training_set in arrow/training_set.hpp is the API): the
// memory every exported schema and array shares (released with the last of them), the
// one C-stream wrapper (c_stream) over a C++ producer, and training_set_stream, which
// builds each record batch of the training set when the consumer asks for it.
#pragma once

#include <skewless/arrow/c_data.hpp>
#include <skewless/batch/result.hpp>
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

namespace skewless::inline v1::arrow::arrow_internal {

// Everything the schema or arrays of one export point into. Schemas and arrays each
// hold a shared_ptr to it (in private_data), so it lives until the last is released.
struct export_storage {
  std::vector<std::string> strings;                  // names, formats, metadata (stable: reserved up front)
  std::vector<std::unique_ptr<std::byte[]>> blocks;  // not zeroed: every byte is written
  std::vector<ArrowSchema> schemas;                  // children
  std::vector<ArrowSchema*> schema_ptrs;
  std::vector<ArrowArray> arrays;  // children
  std::vector<ArrowArray*> array_ptrs;
  std::vector<std::vector<const void*>> buffer_lists;
  std::vector<const void*> parent_buffers{nullptr};
};
using owner = std::shared_ptr<export_storage>;

template <class T> void release_owned(T* x) noexcept {
  if (x == nullptr || x->release == nullptr) return;
  for (std::int64_t i = 0; i < x->n_children; ++i) {
    T* child = x->children[i];
    if (child != nullptr && child->release != nullptr) child->release(child);
  }
  delete static_cast<owner*>(x->private_data);
  x->release = nullptr;
}

template <class T> void own(T& x, const owner& o) {
  x.private_data = new owner(o);
  x.release = &release_owned<T>;
}

// The Arrow format of an integer key type.
template <class K> constexpr const char* integer_format() {
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
template <class T> class c_stream {
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

  template <class F> int guarded(F&& f) noexcept {
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

template <class FS, class Key> class training_set_stream {
 public:
  // `large_keys`: string keys as large_utf8 whatever their size (a stream whose later
  // chunks are not known when the schema is given).
  training_set_stream(const FS& fs, std::vector<spine_row<Key>> spine, batch::result<FS> rows, std::size_t per_batch,
                      bool large_keys = false)
      : spine_(std::move(spine)),
        rows_(std::move(rows)),
        per_batch_(std::max<std::size_t>(1, per_batch)),
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

}  // namespace skewless::inline v1::arrow::arrow_internal
