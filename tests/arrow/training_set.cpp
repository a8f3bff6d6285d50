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

#include <cmath>
#include <cstdint>
#include <cstring>
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
constexpr auto fs = define_features<ev, "user", "ts">(feature<"n">(count(sliding(1h))),
                                                       feature<"total">(sum(amount, sliding(24h))),
                                                       feature<"top">(max(amount, lifetime())),
                                                       feature<"q">(approx_quantile<0.5, 0.9>(amount, lifetime())));

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
    const double v = rng() % 20 == 0 ? -std::numeric_limits<double>::infinity() : static_cast<double>(rng() % 10000) / 7.0;
    events.push_back({"u" + std::to_string(rng() % 13), static_cast<std::int64_t>(rng() % 100'000) * 1'000'000, v});
  }
  std::vector<spine_row<std::string>> spine;
  for (int i = 0; i < 1001; ++i) spine.push_back({"u" + std::to_string(rng() % 15), static_cast<std::int64_t>(rng() % 110'000) * 1'000'000});
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
    if (moved.length > 0) CHECK(same_bits(static_cast<const double*>(moved.buffers[1])[0], expected(static_cast<Eigen::Index>(seen - static_cast<std::size_t>(moved.length)), 1)));
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
