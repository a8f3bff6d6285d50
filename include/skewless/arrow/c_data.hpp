// skewless/arrow/c_data.hpp — the Arrow C Data Interface and C Stream Interface.
//
// The ABI-stable structs by which Arrow producers and consumers in one process hand
// columns to each other without a library in common (pyarrow, Polars, DuckDB, Arrow
// C++ and Java all speak it). Written from the Arrow specification ("The Arrow C data
// interface", "The Arrow C stream interface"); the include guards are the
// specification's, so this header and any other copy of the definitions coexist.
//
//   ArrowSchema schema;  ArrowArray batch;          // filled by a producer
//   std::vector<payment> events;
//   absl::Status s = skewless::arrow::append_events(schema, batch, events);
#pragma once

#include <cstdint>

extern "C" {

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  // Callbacks providing stream functionality
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);

  // Release callback
  void (*release)(struct ArrowArrayStream*);

  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE

}  // extern "C"

namespace skewless::inline v1::arrow {

// Owns one ArrowArrayStream: taken from its source as the specification says a
// consumer does (the source's release becomes nullptr), released once — when the
// owner goes, on reset(), or by whoever it is handed on to with move_to(). The one
// owner of a stream in skewless (Arrow readers, the streamed training set, Python).
class owned_stream {
 public:
  owned_stream() = default;
  explicit owned_stream(ArrowArrayStream& source) noexcept : s_(source) { source.release = nullptr; }
  owned_stream(owned_stream&& o) noexcept : s_(o.s_) { o.s_.release = nullptr; }
  owned_stream& operator=(owned_stream&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = o.s_;
      o.s_.release = nullptr;
    }
    return *this;
  }
  owned_stream(const owned_stream&) = delete;
  owned_stream& operator=(const owned_stream&) = delete;
  ~owned_stream() { reset(); }

  // The stream itself: to read from, or for a producer to fill (this then owns it).
  [[nodiscard]] ArrowArrayStream* get() noexcept { return &s_; }
  [[nodiscard]] bool live() const noexcept { return s_.release != nullptr; }
  // Hands the stream to *out, whose holder releases it; this owns nothing after.
  void move_to(ArrowArrayStream* out) noexcept {
    *out = s_;
    s_.release = nullptr;
  }
  void reset() noexcept {
    if (s_.release != nullptr) {
      s_.release(&s_);
      s_.release = nullptr;
    }
  }

 private:
  ArrowArrayStream s_{};
};

}  // namespace skewless::inline v1::arrow
