// The cost of the Arrow boundary (skewless/arrow/): record batches into event structs,
// and a training set out as a stream of record batches, each beside a hand-written
// loop doing the same work on the same buffers, and beside the batch evaluation they
// frame (so the share of the whole is visible).
//
//   events in:  4M payments as Arrow columns (int64 user, timestamp[us] ts, float64
//               amount with 1% nulls) -> std::vector<payment>: arrow::append_events vs
//               a loop over the three buffers that knows their types
//   rows out:   1M rows x 10 features -> record batches of 65,536 rows, every batch
//               consumed: arrow::export_training_set vs a loop that copies the
//               row-major matrix into column buffers
//
//   bench_arrow_io
#include "common.hpp"
#include "payments.hpp"

#include <skewless/arrow/events.hpp>
#include <skewless/arrow/training_set.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

template <class F> double median_ms(int reps, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = clk::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(clk::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Three primitive columns as a record batch: what pyarrow exports for such a table.
struct payment_batch {
  std::vector<std::int64_t> user, ts;
  std::vector<double> amount;
  std::vector<std::uint8_t> valid;
  const void* user_buf[2];
  const void* ts_buf[2];
  const void* amount_buf[2];
  const void* parent_buf[1] = {nullptr};
  ArrowSchema child_schema[3]{};
  ArrowArray child_array[3]{};
  ArrowSchema* schema_ptrs[3];
  ArrowArray* array_ptrs[3];
  ArrowSchema schema{};
  ArrowArray array{};

  explicit payment_batch(const std::vector<bench::payment>& events) {
    const auto n = static_cast<std::int64_t>(events.size());
    valid.assign(static_cast<std::size_t>((n + 7) / 8), 0);
    std::int64_t nulls = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto& e = events[static_cast<std::size_t>(i)];
      user.push_back(e.user);
      ts.push_back(e.ts);
      amount.push_back(e.amount);
      if (i % 100 == 7) ++nulls;
      else valid[static_cast<std::size_t>(i / 8)] |= static_cast<std::uint8_t>(1u << (i % 8));
    }
    user_buf[0] = nullptr;
    user_buf[1] = user.data();
    ts_buf[0] = nullptr;
    ts_buf[1] = ts.data();
    amount_buf[0] = valid.data();
    amount_buf[1] = amount.data();
    const char* names[3] = {"user", "ts", "amount"};
    const char* formats[3] = {"l", "tsu:UTC", "g"};
    const void** bufs[3] = {user_buf, ts_buf, amount_buf};
    for (int c = 0; c < 3; ++c) {
      child_schema[c].name = names[c];
      child_schema[c].format = formats[c];
      child_array[c].length = n;
      child_array[c].null_count = c == 2 ? nulls : 0;
      child_array[c].n_buffers = 2;
      child_array[c].buffers = bufs[c];
      schema_ptrs[c] = &child_schema[c];
      array_ptrs[c] = &child_array[c];
    }
    schema.format = "+s";
    schema.name = "";
    schema.n_children = 3;
    schema.children = schema_ptrs;
    array.length = n;
    array.n_buffers = 1;
    array.buffers = parent_buf;
    array.n_children = 3;
    array.children = array_ptrs;
  }
};

}  // namespace

int main() {
  const std::int64_t n_events = bench::size(4'000'000), n_rows = bench::size(1'000'000);
  const int reps = bench::smoke() ? 1 : 5;
  const auto events = bench::generate(bench::size(100'000), n_events, 7);
  const payment_batch batch(events);

  std::vector<bench::payment> out;
  const double in_skewless = median_ms(reps, [&] {
    out.clear();
    if (!skewless::arrow::append_events(batch.schema, batch.array, out).ok()) std::abort();
  });
  std::vector<bench::payment> hand;
  const double in_hand = median_ms(reps, [&] {
    hand.clear();
    hand.reserve(static_cast<std::size_t>(batch.array.length));
    const auto* u = static_cast<const std::int64_t*>(batch.child_array[0].buffers[1]);
    const auto* t = static_cast<const std::int64_t*>(batch.child_array[1].buffers[1]);
    const auto* a = static_cast<const double*>(batch.child_array[2].buffers[1]);
    const auto* v = static_cast<const std::uint8_t*>(batch.child_array[2].buffers[0]);
    for (std::int64_t i = 0; i < batch.array.length; ++i) {
      hand.push_back({u[i], t[i], ((v[i >> 3] >> (i & 7)) & 1) ? a[i] : std::numeric_limits<double>::quiet_NaN()});
    }
  });
  for (std::size_t i = 0; i < out.size(); ++i) {  // the same events, bit for bit
    if (out[i].user != hand[i].user || out[i].ts != hand[i].ts ||
        std::bit_cast<std::uint64_t>(out[i].amount) != std::bit_cast<std::uint64_t>(hand[i].amount)) {
      std::fprintf(stderr, "bench_arrow_io: append_events differs from the hand-written loop at row %zu\n", i);
      return 1;
    }
  }

  std::vector<skewless::spine_row<std::int64_t>> spine;
  for (std::int64_t i = 0; i < n_rows; ++i) {
    const auto& e = events[static_cast<std::size_t>(i * 3 % n_events)];
    spine.push_back({e.user, e.ts + 1});
  }
  auto t0 = clk::now();
  const auto rows = skewless::batch::evaluate(bench::features10, hand, spine);
  const double evaluate_ms = std::chrono::duration<double, std::milli>(clk::now() - t0).count();
  constexpr std::size_t per_batch = 65'536;
  double sink = 0;
  const double out_skewless = median_ms(reps, [&] {
    ArrowArrayStream stream;
    if (!skewless::arrow::export_training_set(bench::features10, spine, rows, &stream, per_batch).ok()) std::abort();
    for (;;) {
      ArrowArray b;
      if (stream.get_next(&stream, &b) != 0) std::abort();
      if (b.release == nullptr) break;
      sink += static_cast<const double*>(b.children[2]->buffers[1])[b.length - 1];
      b.release(&b);
    }
    stream.release(&stream);
  });
  const double out_hand = median_ms(reps, [&] {
    // The same copies by hand: keys, times and each feature column, batch by batch.
    const auto cols = rows.values.cols();
    for (std::size_t first = 0; first < spine.size(); first += per_batch) {
      const std::size_t count = std::min(per_batch, spine.size() - first);
      std::vector<std::int64_t> keys(count), times(count);
      for (std::size_t r = 0; r < count; ++r) {
        keys[r] = spine[first + r].key;
        times[r] = spine[first + r].time_us;
      }
      std::vector<std::vector<double>> columns(static_cast<std::size_t>(cols), std::vector<double>(count));
      for (Eigen::Index c = 0; c < cols; ++c) {
        for (std::size_t r = 0; r < count; ++r) {
          columns[static_cast<std::size_t>(c)][r] = rows.values(static_cast<Eigen::Index>(first + r), c);
        }
      }
      sink += columns[0][count - 1] + static_cast<double>(keys[0] + times[0]);
    }
  });
  std::printf("arrow_io: %lld events in, %lld rows x %lld features out (medians of %d)\n",
              static_cast<long long>(n_events), static_cast<long long>(n_rows),
              static_cast<long long>(rows.values.cols()), reps);
  std::printf("events in   skewless append_events %8.1f ms (%5.1f M events/s)  hand-written %8.1f ms  ratio %.2f\n",
              in_skewless, static_cast<double>(n_events) / in_skewless / 1e3, in_hand, in_skewless / in_hand);
  std::printf("rows out    skewless export+consume %7.1f ms (%5.1f M rows/s)    hand-written %8.1f ms  ratio %.2f\n",
              out_skewless, static_cast<double>(n_rows) / out_skewless / 1e3, out_hand, out_skewless / out_hand);
  std::printf("for scale   batch::evaluate of the same events and rows %.0f ms: in %.1f%%, out %.1f%% of it (%g)\n",
              evaluate_ms, 100 * in_skewless / evaluate_ms, 100 * out_skewless / evaluate_ms, sink == 0 ? 0.0 : 1.0);
  return 0;
}
