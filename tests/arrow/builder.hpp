// tests/arrow/builder.hpp — record batches built by hand through the Arrow C data
// interface, as a producer (pyarrow, Polars) would hand them over: the test owns every
// buffer, and the structs point into it.
#pragma once

#include <skewless/arrow/c_data.hpp>

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace skewless_test {

class batch_builder {
 public:
  // A fixed-width column of values (with validity when any is null).
  template <class T>
  batch_builder& column(const std::string& name, const std::string& format, const std::vector<T>& values,
                        const std::vector<bool>& valid = {}) {
    node& n = add(name, format, static_cast<std::int64_t>(values.size()));
    n.buffers.push_back(validity(valid, n.array));
    n.buffers.push_back(bytes(values.data(), values.size() * sizeof(T)));
    return finish(n);
  }
  batch_builder& bools(const std::string& name, const std::vector<bool>& values) {
    node& n = add(name, "b", static_cast<std::int64_t>(values.size()));
    n.buffers.push_back(nullptr);
    n.buffers.push_back(validity(values, n.array, /*as_values=*/true));
    return finish(n);
  }
  // utf8 ("u") or large_utf8 ("U") strings.
  batch_builder& strings(const std::string& name, const std::vector<std::string>& values, bool large = false,
                         const std::vector<bool>& valid = {}) {
    node& n = add(name, large ? "U" : "u", static_cast<std::int64_t>(values.size()));
    n.buffers.push_back(validity(valid, n.array));
    std::string chars;
    std::vector<std::int64_t> off64{0};
    for (const auto& v : values) {
      chars += v;
      off64.push_back(static_cast<std::int64_t>(chars.size()));
    }
    if (large) {
      n.buffers.push_back(bytes(off64.data(), off64.size() * 8));
    } else {
      std::vector<std::int32_t> off32(off64.begin(), off64.end());
      n.buffers.push_back(bytes(off32.data(), off32.size() * 4));
    }
    n.buffers.push_back(bytes(chars.data(), chars.size()));
    return finish(n);
  }
  // utf8_view ("vu") strings, as Polars exports them: 16-byte views, strings over 12
  // bytes in data buffers of at most `per_buffer` bytes, then the buffers' sizes. The
  // views are returned for a test to corrupt (each is 4 int32: length, prefix, buffer
  // index, offset).
  std::int32_t* string_views(const std::string& name, const std::vector<std::string>& values,
                             std::size_t per_buffer = 16) {
    node& n = add(name, "vu", static_cast<std::int64_t>(values.size()));
    n.buffers.push_back(nullptr);
    std::vector<std::int32_t> views(4 * values.size());
    std::vector<std::string> data(1);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string& v = values[i];
      views[4 * i] = static_cast<std::int32_t>(v.size());
      if (v.size() <= 12) {
        std::memcpy(&views[4 * i + 1], v.data(), v.size());
        continue;
      }
      if (data.back().size() + v.size() > per_buffer && !data.back().empty()) data.emplace_back();
      std::memcpy(&views[4 * i + 1], v.data(), 4);
      views[4 * i + 2] = static_cast<std::int32_t>(data.size() - 1);
      views[4 * i + 3] = static_cast<std::int32_t>(data.back().size());
      data.back() += v;
    }
    if (data.back().empty()) data.pop_back();
    const void* view_buffer = bytes(views.data(), views.size() * 4);
    n.buffers.push_back(view_buffer);
    std::vector<std::int64_t> sizes;
    for (const std::string& d : data) {
      n.buffers.push_back(bytes(d.data(), d.size()));
      sizes.push_back(static_cast<std::int64_t>(d.size()));
    }
    n.buffers.push_back(bytes(sizes.data(), sizes.size() * 8));
    finish(n);
    return static_cast<std::int32_t*>(const_cast<void*>(view_buffer));
  }
  // int32 indices into a dictionary of utf8 strings.
  batch_builder& dictionary(const std::string& name, const std::vector<std::int32_t>& indices,
                            const std::vector<std::string>& words) {
    batch_builder dict;
    dict.strings("", words);
    node& d = dict.nodes_.front();
    nested_.push_back(std::move(dict));
    column(name, "i", indices);
    node& n = nodes_.back();
    n.schema.dictionary = &nested_.back().nodes_.front().schema;
    n.array.dictionary = &nested_.back().nodes_.front().array;
    (void)d;
    return *this;
  }
  // fixed_size_list<float64>[k] ("+w:k"), one row per k values.
  batch_builder& vectors(const std::string& name, std::int64_t k, const std::vector<double>& flat,
                         const std::vector<bool>& valid = {}, const std::vector<bool>& element_valid = {}) {
    batch_builder child;
    child.column("item", "g", flat, element_valid);
    nested_.push_back(std::move(child));
    node& n = add(name, "+w:" + std::to_string(k), static_cast<std::int64_t>(flat.size()) / k);
    n.buffers.push_back(validity(valid, n.array));
    node& c = nested_.back().nodes_.front();
    n.child_schema = &c.schema;
    n.child_array = &c.array;
    n.schema.n_children = 1;
    n.schema.children = &n.child_schema;
    n.array.n_children = 1;
    n.array.children = &n.child_array;
    return finish(n);
  }

  // The record batch: a struct array of the columns, of `length` rows from `offset`.
  void build(ArrowSchema& schema, ArrowArray& array, std::int64_t offset = 0, std::int64_t length = -1) {
    schema_ptrs_.clear();
    array_ptrs_.clear();
    for (node& n : nodes_) {
      schema_ptrs_.push_back(&n.schema);
      array_ptrs_.push_back(&n.array);
    }
    schema = ArrowSchema{};
    schema.format = "+s";
    schema.name = "";
    schema.n_children = static_cast<std::int64_t>(nodes_.size());
    schema.children = schema_ptrs_.data();
    array = ArrowArray{};
    array.length = length >= 0 ? length : (nodes_.empty() ? 0 : nodes_.front().array.length) - offset;
    array.offset = offset;
    array.n_buffers = 1;
    array.buffers = parent_buffers_;
    array.n_children = schema.n_children;
    array.children = array_ptrs_.data();
  }
  // A stream of this one batch (the builder keeps owning the memory: the batch's and
  // schema's release callbacks only mark them released). The builder must outlive it.
  void stream(ArrowArrayStream* out) {
    build(schema_, array_);
    *out = ArrowArrayStream{};
    out->private_data = this;
    out->get_schema = [](ArrowArrayStream* s, ArrowSchema* schema) -> int {
      *schema = static_cast<batch_builder*>(s->private_data)->schema_;
      schema->release = [](ArrowSchema* x) { x->release = nullptr; };
      return 0;
    };
    out->get_next = [](ArrowArrayStream* s, ArrowArray* array) -> int {
      auto* self = static_cast<batch_builder*>(s->private_data);
      *array = ArrowArray{};
      if (self->streamed_) return 0;  // the end
      self->streamed_ = true;
      *array = self->array_;
      array->release = [](ArrowArray* x) { x->release = nullptr; };
      return 0;
    };
    out->get_last_error = [](ArrowArrayStream*) -> const char* { return nullptr; };
    out->release = [](ArrowArrayStream* s) { s->release = nullptr; };
    streamed_ = false;
  }

  // Slices one column: its own offset, as a sliced Arrow array has.
  void offset_column(std::size_t i, std::int64_t offset) {
    nodes_[i].array.offset = offset;
    nodes_[i].array.length -= offset;
  }

 private:
  struct node {
    std::string name, format;
    ArrowSchema schema{};
    ArrowArray array{};
    std::vector<const void*> buffers;
    ArrowSchema* child_schema = nullptr;
    ArrowArray* child_array = nullptr;
  };
  node& add(const std::string& name, const std::string& format, std::int64_t length) {
    node& n = nodes_.emplace_back();
    n.name = name;
    n.format = format;
    n.array.length = length;
    return n;
  }
  batch_builder& finish(node& n) {
    n.schema.name = n.name.c_str();
    n.schema.format = n.format.c_str();
    n.array.n_buffers = static_cast<std::int64_t>(n.buffers.size());
    n.array.buffers = n.buffers.data();
    return *this;
  }
  const void* bytes(const void* p, std::size_t size) {
    auto& b = storage_.emplace_back(size + 8);
    if (size > 0) std::memcpy(b.data(), p, size);
    return b.data();
  }
  // A validity bitmap (nullptr when every row is valid), or the values of a bool column.
  const void* validity(const std::vector<bool>& bits, ArrowArray& a, bool as_values = false) {
    if (bits.empty()) return nullptr;
    std::vector<std::uint8_t> out((bits.size() + 7) / 8);
    std::int64_t nulls = 0;
    for (std::size_t i = 0; i < bits.size(); ++i) {
      if (bits[i]) out[i / 8] = static_cast<std::uint8_t>(out[i / 8] | (1u << (i % 8)));
      else ++nulls;
    }
    if (!as_values) {
      if (nulls == 0) return nullptr;
      a.null_count = nulls;
    }
    return bytes(out.data(), out.size());
  }

  std::deque<node> nodes_;  // stable addresses
  std::deque<batch_builder> nested_;
  std::deque<std::vector<std::uint8_t>> storage_;
  std::vector<ArrowSchema*> schema_ptrs_;
  std::vector<ArrowArray*> array_ptrs_;
  const void* parent_buffers_[1] = {nullptr};
  ArrowSchema schema_{};
  ArrowArray array_{};
  bool streamed_ = false;
};

// A stream of one batch per builder, in order (a builder with no rows gives an empty
// batch). The builders must outlive it; `released` is set when the stream is released.
struct chained_stream {
  std::deque<batch_builder>* parts = nullptr;
  std::size_t next = 0;
  bool released = false;
  ArrowSchema schema{};
  ArrowArray array{};

  void stream(ArrowArrayStream* out) {
    next = 0;
    released = false;
    *out = ArrowArrayStream{};
    out->private_data = this;
    out->get_schema = [](ArrowArrayStream* s, ArrowSchema* schema) -> int {
      auto* self = static_cast<chained_stream*>(s->private_data);
      self->parts->front().build(self->schema, self->array);
      *schema = self->schema;
      schema->release = [](ArrowSchema* x) { x->release = nullptr; };
      return 0;
    };
    out->get_next = [](ArrowArrayStream* s, ArrowArray* array) -> int {
      auto* self = static_cast<chained_stream*>(s->private_data);
      *array = ArrowArray{};
      if (self->next == self->parts->size()) return 0;
      (*self->parts)[self->next++].build(self->schema, *array);
      array->release = [](ArrowArray* x) { x->release = nullptr; };
      return 0;
    };
    out->get_last_error = [](ArrowArrayStream*) -> const char* { return nullptr; };
    out->release = [](ArrowArrayStream* s) {
      static_cast<chained_stream*>(s->private_data)->released = true;
      s->release = nullptr;
    };
  }
};

}  // namespace skewless_test
