// skewless/arrow/internal/sorted_stream.hpp — a training set evaluated a chunk of keys at a time from sorted streams.
//
// Internal to arrow/ (stream_training_set in arrow/training_set.hpp is the API):
// sorted_input reads one owned input stream a batch at a time and checks its keys are
// sorted; sorted_training_set_stream evaluates each chunk of keys complete in both
// inputs when the consumer pulls, and hands the rows out through training_set_stream.
#pragma once

#include <skewless/arrow/c_data.hpp>
#include <skewless/arrow/events.hpp>
#include <skewless/arrow/internal/export.hpp>
#include <skewless/batch/evaluate.hpp>
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

// The spine rows of one record batch, appended to `out`; on error some may have been.
template <class FSet>
absl::Status append_spine_rows(const ArrowSchema& schema, const ArrowArray& batch,
                               std::vector<spine_row<typename FSet::key_type>>& out, std::int64_t rows_before,
                               time_unit integer_times = time_unit::unspecified) {
  if (absl::Status s = check_batch(schema, batch); !s.ok()) return s;
  column key, time;
  if (absl::Status s = find_column(schema, batch, FSet::key_name.view(), rows_before, key); !s.ok()) return s;
  if (absl::Status s = find_column(schema, batch, FSet::time_name.view(), rows_before, time); !s.ok()) return s;
  time.time = true;
  time.unit = integer_times;
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
template <class Row, class KeyOf> class sorted_input {
 public:
  sorted_input(owned_stream stream, const char* what, KeyOf key_of)
      : owned_(std::move(stream)), source_(*owned_.get()), what_(what), key_of_(key_of) {}
  sorted_input(const sorted_input&) = delete;
  sorted_input& operator=(const sorted_input&) = delete;

  [[nodiscard]] bool done() const noexcept { return done_; }
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size() - head_; }
  [[nodiscard]] const Row* begin() const noexcept { return rows_.data() + head_; }
  [[nodiscard]] decltype(auto) last_key() const { return key_of_(rows_.back()); }

  // Reads the next batch (skipping empty ones) with `append(schema, batch, rows,
  // rows_before)`; at the end of the stream sets done().
  template <class Append> absl::Status pull(Append&& append) {
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
  template <class K> [[nodiscard]] std::size_t count_below(const K& k) const {
    return static_cast<std::size_t>(std::partition_point(rows_.begin() + static_cast<std::ptrdiff_t>(head_),
                                                         rows_.end(), [&](const Row& r) { return key_of_(r) < k; }) -
                                    (rows_.begin() + static_cast<std::ptrdiff_t>(head_)));
  }

 private:
  absl::Status prefixed(const absl::Status& s) const {
    if (absl::StartsWith(s.message(), what_)) return s;
    return absl::Status(s.code(), absl::StrCat(what_, ": ", s.message()));
  }

  owned_stream owned_;  // declared before source_, so released after it (and its batch and schema)
  batch_source source_;
  const char* what_;
  KeyOf key_of_;
  std::vector<Row> rows_;
  std::size_t head_ = 0;
  bool done_ = false;
};

// The training set of streams sorted by key, evaluated a chunk of complete keys at a
// time as the consumer pulls batches (see arrow::stream_training_set).
template <class FS> class sorted_training_set_stream {
  using Key = typename FS::key_type;
  using Event = typename FS::event_type;
  static constexpr auto event_key = [](const Event& e) -> decltype(auto) { return FS::key_of(e); };
  static constexpr auto spine_key = [](const spine_row<Key>& r) -> const Key& { return r.key; };

 public:
  // Complete events gathered before a chunk is evaluated even without enough spine
  // rows (so a sparse spine does not make the events pile up).
  static constexpr std::size_t default_events_per_chunk = std::size_t{1} << 20;

  sorted_training_set_stream(const FS& fs, owned_stream events, owned_stream spine, const batch::options& opt,
                             std::size_t per_batch, std::size_t events_per_chunk = default_events_per_chunk,
                             time_unit integer_times = time_unit::unspecified)
      : fs_(fs),
        opt_(opt),
        read_(read_options{FS::time_name.view(), integer_times}),
        per_batch_(std::max<std::size_t>(1, per_batch)),
        events_per_chunk_(std::max<std::size_t>(1, events_per_chunk)),
        events_(std::move(events), "events", event_key),
        spine_(std::move(spine), "spine", spine_key),
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
    const auto read_events = [this](const ArrowSchema& schema, const ArrowArray& batch, std::vector<Event>& rows,
                                    std::int64_t rows_before) {
      return append_rows(schema, batch, rows, rows_before, read_);
    };
    const auto read_spine = [this](const ArrowSchema& schema, const ArrowArray& batch,
                                   std::vector<spine_row<Key>>& rows, std::int64_t rows_before) {
      return append_spine_rows<FS>(schema, batch, rows, rows_before, read_.integer_time_unit);
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
  read_options read_;  // the time column and the unit of integer times
  std::size_t per_batch_;
  std::size_t events_per_chunk_;
  std::size_t peak_ = 0;
  sorted_input<Event, decltype(event_key)> events_;
  sorted_input<spine_row<Key>, decltype(spine_key)> spine_;
  training_set_stream<FS, Key> out_;
  bool finished_ = false;
};

}  // namespace skewless::inline v1::arrow::arrow_internal
