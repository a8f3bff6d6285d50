// Tests for skewless/arrow/training_set.hpp: the training set out as an Arrow C stream
// — schema, metadata, batches of bounded size, values bit for bit, release in any
// order — and back in through skewless/arrow/events.hpp.
#include <skewless/arrow/events.hpp>
#include <skewless/arrow/training_set.hpp>
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/serial/catalog.hpp>

#include "arrow/builder.hpp"
#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace arrow_out_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double amount;
};
struct iev {
  std::int32_t user;
  std::int64_t ts;
  double amount;
};
// A row of the exported training set, read back through append_events.
struct row {
  std::string user;
  std::int64_t ts;
  double n;
  double total;
  double top;
};
}  // namespace arrow_out_test
BOOST_HANA_ADAPT_STRUCT(arrow_out_test::ev, user, ts, amount);
BOOST_HANA_ADAPT_STRUCT(arrow_out_test::iev, user, ts, amount);
BOOST_HANA_ADAPT_STRUCT(arrow_out_test::row, user, ts, n, total, top);

using namespace skewless;
using namespace std::chrono_literals;
using arrow_out_test::ev;
using skewless_test::same_bits;

namespace {
constexpr auto amount = field<ev, "amount">;
constexpr auto fs = define_features<ev, "user", "ts">(
    feature<"n">(count(sliding(1h))), feature<"total">(sum(amount, sliding(24h))),
    feature<"top">(max(amount, lifetime())), feature<"q">(approx_quantile<0.5, 0.9>(amount, lifetime())));

std::map<std::string, std::string> metadata_of(const char* m) {
  std::map<std::string, std::string> out;
  if (m == nullptr) return out;
  const auto get32 = [&](const char*& p) {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    p += 4;
    return v;
  };
  const char* p = m;
  const std::int32_t n = get32(p);
  for (std::int32_t i = 0; i < n; ++i) {
    const std::int32_t kl = get32(p);
    std::string k(p, static_cast<std::size_t>(kl));
    p += kl;
    const std::int32_t vl = get32(p);
    out[k] = std::string(p, static_cast<std::size_t>(vl));
    p += vl;
  }
  return out;
}
}  // namespace

TEST_CASE("arrow training set: schema, metadata and every value, in batches of bounded size", "[arrow]") {
  std::mt19937_64 rng(skewless_test::base_seed() + 77);
  std::vector<ev> events;
  for (int i = 0; i < 2000; ++i) {
    const double v =
        rng() % 20 == 0 ? -std::numeric_limits<double>::infinity() : static_cast<double>(rng() % 10000) / 7.0;
    events.push_back({"u" + std::to_string(rng() % 13), static_cast<std::int64_t>(rng() % 100'000) * 1'000'000, v});
  }
  std::vector<spine_row<std::string>> spine;
  for (int i = 0; i < 1001; ++i)
    spine.push_back({"u" + std::to_string(rng() % 15), static_cast<std::int64_t>(rng() % 110'000) * 1'000'000});
  const auto rows = batch::evaluate(fs, events, spine);
  const feature_matrix expected = rows.values;

  ArrowArrayStream stream;
  REQUIRE(arrow::export_training_set(fs, spine, rows, &stream, /*rows_per_batch=*/100).ok());
  ArrowSchema schema;
  REQUIRE(stream.get_schema(&stream, &schema) == 0);
  CHECK(std::string(schema.format) == "+s");
  REQUIRE(schema.n_children == 2 + 5);
  const char* names[] = {"user", "ts", "n", "total", "top", "q[p50]", "q[p90]"};
  const char* formats[] = {"u", "tsu:UTC", "g", "g", "g", "g", "g"};
  for (int c = 0; c < 7; ++c) {
    CHECK(std::string(schema.children[c]->name) == names[c]);
    CHECK(std::string(schema.children[c]->format) == formats[c]);
  }
  const auto meta = metadata_of(schema.metadata);
  REQUIRE(meta.count("skewless.fingerprint") == 1);
  CHECK(std::stoull(meta.at("skewless.fingerprint"), nullptr, 16) == fs.fingerprint());
  CHECK(meta.at("skewless.catalog") == serial::catalog_json(fs));

  // The batches: 100 rows each, then 1, then the end; every value bit for bit.
  std::size_t seen = 0;
  int batches = 0;
  for (;;) {
    ArrowArray batch;
    REQUIRE(stream.get_next(&stream, &batch) == 0);
    if (batch.release == nullptr) break;
    ++batches;
    REQUIRE(batch.n_children == 7);
    CHECK(batch.length == (seen + 100 <= spine.size() ? 100 : 1));
    const auto* offsets = static_cast<const std::int32_t*>(batch.children[0]->buffers[1]);
    const auto* chars = static_cast<const char*>(batch.children[0]->buffers[2]);
    const auto* times = static_cast<const std::int64_t*>(batch.children[1]->buffers[1]);
    for (std::int64_t r = 0; r < batch.length; ++r) {
      const std::size_t row = seen + static_cast<std::size_t>(r);
      CHECK(std::string(chars + offsets[r], static_cast<std::size_t>(offsets[r + 1] - offsets[r])) == spine[row].key);
      CHECK(times[r] == spine[row].time_us);
      for (int c = 0; c < 5; ++c) {
        const double v = static_cast<const double*>(batch.children[2 + c]->buffers[1])[r];
        REQUIRE(same_bits(v, expected(static_cast<Eigen::Index>(row), c)));
      }
    }
    seen += static_cast<std::size_t>(batch.length);
    // A consumer may move a child out and release the parent first (the specification
    // allows it): the child's memory stays alive until the child is released.
    ArrowArray moved = *batch.children[3];
    batch.children[3]->release = nullptr;
    batch.release(&batch);
    CHECK(batch.release == nullptr);
    if (moved.length > 0)
      CHECK(same_bits(static_cast<const double*>(moved.buffers[1])[0],
                      expected(static_cast<Eigen::Index>(seen - static_cast<std::size_t>(moved.length)), 1)));
    moved.release(&moved);
  }
  CHECK(seen == spine.size());
  CHECK(batches == 11);
  schema.release(&schema);
  stream.release(&stream);
  CHECK(stream.release == nullptr);
}

TEST_CASE("arrow training set: integer keys, an empty spine, and a round trip through append_events", "[arrow]") {
  constexpr auto ifs = define_features<arrow_out_test::iev, "user", "ts">(feature<"n">(count(lifetime())));
  std::vector<arrow_out_test::iev> ievents{{3, 10, 1.0}, {3, 20, 2.0}, {-4, 5, 3.0}};
  std::vector<spine_row<std::int32_t>> ispine{{3, 30}, {-4, 6}, {9, 1}};
  ArrowArrayStream s;
  REQUIRE(arrow::export_training_set(ifs, ispine, batch::evaluate(ifs, ievents, ispine), &s).ok());
  ArrowSchema schema;
  REQUIRE(s.get_schema(&s, &schema) == 0);
  CHECK(std::string(schema.children[0]->format) == "i");  // the key type's own width
  schema.release(&schema);
  ArrowArray batch;
  REQUIRE(s.get_next(&s, &batch) == 0);
  REQUIRE(batch.length == 3);
  CHECK(static_cast<const std::int32_t*>(batch.children[0]->buffers[1])[1] == -4);
  CHECK(static_cast<const double*>(batch.children[2]->buffers[1])[0] == 2.0);
  batch.release(&batch);
  REQUIRE(s.get_next(&s, &batch) == 0);
  CHECK(batch.release == nullptr);
  s.release(&s);

  // Empty: a schema and no batch.
  std::vector<spine_row<std::string>> none;
  ArrowArrayStream empty;
  REQUIRE(arrow::export_training_set(fs, none, batch::evaluate(fs, std::vector<ev>{}, none), &empty).ok());
  REQUIRE(empty.get_next(&empty, &batch) == 0);
  CHECK(batch.release == nullptr);
  empty.release(&empty);

  // A spine and a result of different lengths are refused.
  std::vector<spine_row<std::string>> two{{"a", 1}, {"b", 2}};
  ArrowArrayStream bad;
  CHECK_FALSE(arrow::export_training_set(fs, two, batch::evaluate(fs, std::vector<ev>{}, none), &bad).ok());

  // Round trip: the exported stream read back as rows (column q is not a field: ignored).
  std::vector<ev> events{{"a", 1'000'000, 2.5}, {"a", 2'000'000, -1.0}, {"b", 3'000'000, 7.0}};
  std::vector<spine_row<std::string>> spine{{"a", 2'500'000}, {"b", 9'000'000}, {"a", 1}};
  const auto rows = batch::evaluate(fs, events, spine);
  ArrowArrayStream rt;
  REQUIRE(arrow::export_training_set(fs, spine, rows, &rt, 2).ok());
  std::vector<arrow_out_test::row> back;
  REQUIRE(arrow::read_events(rt, back).ok());
  rt.release(&rt);
  REQUIRE(back.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back[i].user == spine[i].key);
    CHECK(back[i].ts == spine[i].time_us);
    CHECK(same_bits(back[i].n, rows.values(static_cast<Eigen::Index>(i), 0)));
    CHECK(same_bits(back[i].total, rows.values(static_cast<Eigen::Index>(i), 1)));
    CHECK(same_bits(back[i].top, rows.values(static_cast<Eigen::Index>(i), 2)));
  }
}

TEST_CASE("arrow training set: Arrow events and spine in, the training set out", "[arrow]") {
  std::vector<std::string> users;
  std::vector<std::int64_t> ts;
  std::vector<double> amounts;
  std::vector<ev> events;
  for (int i = 0; i < 300; ++i) {
    users.push_back(i % 4 == 0 ? "a" : "b");
    ts.push_back(static_cast<std::int64_t>(i) * 120'000'000);
    amounts.push_back(i % 9 == 0 ? std::numeric_limits<double>::quiet_NaN() : i * 0.3);
    events.push_back({users.back(), ts.back(), amounts.back()});
  }
  skewless_test::batch_builder eb;
  eb.strings("user", users).column("ts", "tsu:UTC", ts).column("amount", "g", amounts, {});
  std::vector<std::string> spine_users{"a", "b", "c", "a"};
  std::vector<std::int64_t> spine_ms{0, 20'000'000, 5, 36'000'000};  // milliseconds
  skewless_test::batch_builder sb;
  sb.strings("user", spine_users).column("ts", "tsm:", spine_ms).column<double>("label", "g", {1, 0, 1, 0});
  ArrowArrayStream events_in, spine_in, out;
  eb.stream(&events_in);
  sb.stream(&spine_in);
  REQUIRE(arrow::training_set(fs, events_in, spine_in, &out).ok());
  std::vector<spine_row<std::string>> spine;
  for (std::size_t i = 0; i < spine_users.size(); ++i) spine.push_back({spine_users[i], spine_ms[i] * 1000});
  const auto expected = batch::evaluate(fs, events, spine);
  std::vector<arrow_out_test::row> back;
  REQUIRE(arrow::read_events(out, back).ok());
  out.release(&out);
  REQUIRE(back.size() == spine.size());
  for (std::size_t i = 0; i < spine.size(); ++i) {
    CHECK(back[i].user == spine[i].key);
    CHECK(back[i].ts == spine[i].time_us);
    CHECK(same_bits(back[i].n, expected.values(static_cast<Eigen::Index>(i), 0)));
    CHECK(same_bits(back[i].total, expected.values(static_cast<Eigen::Index>(i), 1)));
    CHECK(same_bits(back[i].top, expected.values(static_cast<Eigen::Index>(i), 2)));
  }

  // A spine without its time column: the message says which stream and column.
  skewless_test::batch_builder no_time;
  no_time.strings("user", {"a"});
  eb.stream(&events_in);
  no_time.stream(&spine_in);
  const absl::Status s = arrow::training_set(fs, events_in, spine_in, &out);
  CHECK(std::string(s.message()) == "spine: skewless: the record batch has no column 'ts' for the field of that name");
}

TEST_CASE("arrow training set: an integer time column counts its declared unit, and undeclared nanoseconds fail",
          "[arrow]") {
  // The same instants (whole seconds, Nov 2023) as int64 seconds, milliseconds,
  // microseconds and nanoseconds (with sub-microsecond digits, floored), and as
  // timestamp[ns].
  const std::int64_t base_s = 1'700'000'000;
  std::vector<std::string> users;
  std::vector<double> amounts;
  std::vector<std::int64_t> secs;
  std::vector<ev> events;
  for (int i = 0; i < 60; ++i) {
    users.push_back(i < 20 ? "a" : "b");  // sorted by key, for the streamed path
    amounts.push_back(i * 0.5);
    secs.push_back(base_s + (i % 20) * 97);
    events.push_back({users.back(), secs.back() * 1'000'000, amounts.back()});
  }
  const std::vector<std::string> spine_users{"a", "a", "b"};
  const std::vector<std::int64_t> spine_s{base_s + 1'000, base_s + 90'000, base_s + 1'500};
  std::vector<spine_row<std::string>> spine;
  for (std::size_t i = 0; i < spine_users.size(); ++i) spine.push_back({spine_users[i], spine_s[i] * 1'000'000});
  const auto expected = batch::evaluate(fs, events, spine).values;
  const auto in = [](const std::vector<std::int64_t>& s, std::int64_t mul, std::int64_t add) {
    std::vector<std::int64_t> out;
    for (const std::int64_t v : s) out.push_back(v * mul + add);
    return out;
  };
  // The training set with the time columns in `format`, scaled by mul (+ add), read
  // with `unit` declared, by the in-memory and the streamed path; their status.
  const auto run = [&](const char* format, std::int64_t mul, std::int64_t add, arrow::time_unit unit) {
    absl::Status last;
    for (const bool streamed : {false, true}) {
      skewless_test::batch_builder eb, sb;
      eb.strings("user", users).column("ts", format, in(secs, mul, add)).column("amount", "g", amounts);
      sb.strings("user", spine_users).column("ts", format, in(spine_s, mul, add));
      ArrowArrayStream events_in, spine_in, out;
      eb.stream(&events_in);
      sb.stream(&spine_in);
      const absl::Status s = streamed ? arrow::stream_training_set(fs, &events_in, &spine_in, &out, {}, 65536, unit)
                                      : arrow::training_set(fs, events_in, spine_in, &out, {}, 65536, unit);
      if (!streamed) {
        events_in.release(&events_in);
        spine_in.release(&spine_in);
      }
      if (!s.ok()) {
        last = s;
        continue;
      }
      std::vector<arrow_out_test::row> back;
      last = arrow::read_events(out, back);
      out.release(&out);
      if (!last.ok()) continue;
      REQUIRE(back.size() == spine.size());
      for (std::size_t i = 0; i < spine.size(); ++i) {
        INFO(format << " streamed " << streamed << " row " << i);
        CHECK(back[i].ts == spine[i].time_us);
        CHECK(same_bits(back[i].n, expected(static_cast<Eigen::Index>(i), 0)));
        CHECK(same_bits(back[i].total, expected(static_cast<Eigen::Index>(i), 1)));
      }
    }
    return last;
  };
  using tu = arrow::time_unit;
  const auto ok = [](const absl::Status& st) {
    INFO(st.message());
    return st.ok();
  };
  CHECK(ok(run("tsn:", 1'000'000'000, 123, tu::unspecified)));  // a timestamp carries its unit
  CHECK(ok(run("l", 1'000'000'000, 123, tu::nanoseconds)));
  CHECK(ok(run("l", 1'000'000, 0, tu::microseconds)));
  CHECK(ok(run("l", 1'000, 0, tu::milliseconds)));
  CHECK(ok(run("l", 1, 0, tu::seconds)));
  CHECK(ok(run("l", 1'000'000, 0, tu::unspecified)));  // microseconds, plausible
  // Nanoseconds without a declared unit: refused, naming the column, the row and the fix.
  const absl::Status ns = run("l", 1'000'000'000, 123, tu::unspecified);
  REQUIRE_FALSE(ns.ok());
  const std::string message(ns.message());
  INFO(message);
  CHECK(message.find("column 'ts' row 0") != std::string::npos);
  CHECK(message.find("looks like nanoseconds") != std::string::npos);
  CHECK(message.find("time_unit") != std::string::npos);
  // Seconds whose microseconds overflow int64 (1.7e13 s): refused.
  const absl::Status big = run("l", 10'000, 0, tu::seconds);
  REQUIRE_FALSE(big.ok());
  CHECK(std::string(big.message()).find("beyond the microsecond range") != std::string::npos);
  // The parser of the names Python passes.
  CHECK(arrow::time_unit_named("ns") == tu::nanoseconds);
  CHECK(arrow::time_unit_named("s") == tu::seconds);
  CHECK(arrow::time_unit_named("minutes") == tu::unspecified);
}

namespace {

// Events and spine rows sorted by key (times random within a key), cut into batches of
// random sizes (some empty), as a sorted Parquet dataset or a sorted Spark partition
// would arrive.
struct sorted_case {
  std::vector<ev> events;
  std::vector<spine_row<std::string>> spine;
  std::deque<skewless_test::batch_builder> event_parts, spine_parts;
  skewless_test::chained_stream event_stream, spine_stream;

  sorted_case(std::uint64_t seed, int keys, int hot_events, std::size_t max_batch) {
    std::mt19937_64 rng(seed);
    for (int k = 0; k < keys; ++k) {
      const std::string key = "k" + std::to_string(k);
      const int n = k == keys / 2 ? hot_events : static_cast<int>(rng() % 12);
      for (int i = 0; i < n; ++i) {
        const double v = rng() % 17 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                         : static_cast<double>(static_cast<int>(rng() % 2001) - 1000) / 8;
        events.push_back({key, static_cast<std::int64_t>(rng() % 50) * 600'000'000, v});
      }
      for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
        spine.push_back({key, static_cast<std::int64_t>(rng() % 60) * 600'000'000});
      }
    }
    std::sort(events.begin(), events.end(), [](const ev& a, const ev& b) { return a.user < b.user; });
    std::stable_sort(spine.begin(), spine.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    cut(rng, max_batch, events.size(), event_parts,
        [&](skewless_test::batch_builder& b, std::size_t from, std::size_t to) {
          std::vector<std::string> u;
          std::vector<std::int64_t> t;
          std::vector<double> a;
          for (std::size_t i = from; i < to; ++i) {
            u.push_back(events[i].user);
            t.push_back(events[i].ts);
            a.push_back(events[i].amount);
          }
          b.strings("user", u).column("ts", "l", t).column("amount", "g", a);
        });
    cut(rng, max_batch, spine.size(), spine_parts,
        [&](skewless_test::batch_builder& b, std::size_t from, std::size_t to) {
          std::vector<std::string> u;
          std::vector<std::int64_t> t;
          for (std::size_t i = from; i < to; ++i) {
            u.push_back(spine[i].key);
            t.push_back(spine[i].time_us);
          }
          b.string_views("user", u);  // the spine's keys as Polars would send them
          b.column("ts", "tsu:", t);
        });
    event_stream.parts = &event_parts;
    spine_stream.parts = &spine_parts;
  }

  template <class Fill>
  static void cut(std::mt19937_64& rng, std::size_t max_batch, std::size_t n,
                  std::deque<skewless_test::batch_builder>& parts, Fill fill) {
    std::size_t at = 0;
    do {
      const std::size_t size = std::min(n - at, static_cast<std::size_t>(rng() % (max_batch + 1)));
      fill(parts.emplace_back(), at, at + size);
      at += size;
    } while (at < n);
  }
};

// Every batch of `out`, read back as rows.
std::vector<arrow_out_test::row> drain(ArrowArrayStream& out, int& error, std::string& message) {
  std::vector<arrow_out_test::row> back;
  ArrowSchema schema{};
  REQUIRE(out.get_schema(&out, &schema) == 0);
  error = 0;
  while (true) {
    ArrowArray batch{};
    error = out.get_next(&out, &batch);
    if (error != 0) {
      message = out.get_last_error(&out);
      break;
    }
    if (batch.release == nullptr) break;
    CHECK(batch.length <= 7);
    REQUIRE(arrow::append_events(schema, batch, back).ok());
    batch.release(&batch);
  }
  schema.release(&schema);
  return back;
}

}  // namespace

TEST_CASE("arrow streamed training set: sorted inputs in many batches, rows as keys complete, every bit", "[arrow]") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sorted_case c(seed, 1 + static_cast<int>(seed % 60), static_cast<int>(seed * 7 % 200), 1 + seed % 25);
    ArrowArrayStream events_in, spine_in, out;
    c.event_stream.stream(&events_in);
    c.spine_stream.stream(&spine_in);
    REQUIRE(arrow::stream_training_set(fs, &events_in, &spine_in, &out, {.threads = 1}, 7).ok());
    CHECK(events_in.release == nullptr);  // taken over
    int error = 0;
    std::string message;
    const auto back = drain(out, error, message);
    INFO("seed " << seed << ": " << message);
    REQUIRE(error == 0);
    out.release(&out);
    CHECK(c.event_stream.released);
    CHECK(c.spine_stream.released);
    const auto expected = batch::evaluate(fs, c.events, c.spine);
    REQUIRE(back.size() == c.spine.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      CHECK(back[i].user == c.spine[i].key);
      CHECK(back[i].ts == c.spine[i].time_us);
      CHECK(same_bits(back[i].n, expected.values(r, 0)));
      CHECK(same_bits(back[i].total, expected.values(r, 1)));
      CHECK(same_bits(back[i].top, expected.values(r, 2)));
    }
  }
}

TEST_CASE("arrow streamed training set: memory holds the largest key and a chunk, not the inputs", "[arrow]") {
  // 400 keys, one with 2,000 events; batches of up to 16 rows; chunks of 7 spine rows or
  // 64 events. The inputs hold ~4,800 events and ~600 spine rows.
  sorted_case c(99, 400, 2000, 16);
  ArrowArrayStream events_in, spine_in;
  c.event_stream.stream(&events_in);
  c.spine_stream.stream(&spine_in);
  using stream = arrow::arrow_internal::sorted_training_set_stream<std::remove_cvref_t<decltype(fs)>>;
  stream s(fs, arrow::owned_stream(events_in), arrow::owned_stream(spine_in), {.threads = 1}, 7, 64);
  std::size_t rows = 0;
  while (true) {
    ArrowArray batch{};
    const absl::Status st = s.next(&batch);
    INFO(st.message());
    REQUIRE(st.ok());
    if (batch.release == nullptr) break;
    rows += static_cast<std::size_t>(batch.length);
    batch.release(&batch);
  }
  CHECK(rows == c.spine.size());
  INFO("peak rows buffered " << s.peak_buffered() << " of " << c.events.size() + c.spine.size());
  CHECK(s.peak_buffered() <= 2000 + 64 + 7 + 2 * 16 + 12 + 4);
  CHECK(c.events.size() > 4000);
}

TEST_CASE("arrow streamed training set: out-of-order keys and bad columns fail the stream with the stream and row",
          "[arrow]") {
  {
    sorted_case c(5, 30, 10, 4);
    std::swap(c.event_parts[1], c.event_parts[c.event_parts.size() - 2]);  // keys go back
    ArrowArrayStream events_in, spine_in, out;
    c.event_stream.stream(&events_in);
    c.spine_stream.stream(&spine_in);
    REQUIRE(arrow::stream_training_set(fs, &events_in, &spine_in, &out, {}, 7).ok());
    int error = 0;
    std::string message;
    (void)drain(out, error, message);
    CHECK(error == EINVAL);
    CHECK(message.find("events: skewless: row ") == 0);
    CHECK(message.find("the key is less than the key before it") != std::string::npos);
    ArrowArray again{};
    CHECK(out.get_next(&out, &again) == EINVAL);  // the error sticks
    out.release(&out);
    CHECK(c.event_stream.released);
  }
  {
    sorted_case c(6, 30, 10, 4);
    c.spine_parts.clear();
    c.spine_parts.emplace_back().strings("user", {"k01", "k02"});  // no time column
    ArrowArrayStream events_in, spine_in, out;
    c.event_stream.stream(&events_in);
    c.spine_stream.stream(&spine_in);
    REQUIRE(arrow::stream_training_set(fs, &events_in, &spine_in, &out, {}, 7).ok());
    int error = 0;
    std::string message;
    (void)drain(out, error, message);
    CHECK(error == EINVAL);
    CHECK(message == "spine: skewless: the record batch has no column 'ts' for the field of that name");
    out.release(&out);
  }
}
