// Tests for skewless/arrow/events.hpp: record batches in, through the Arrow C data
// interface, into the user's event struct — every column type a field takes, nulls,
// sliced arrays, dictionaries, and bad input refused with the column and row named and
// nothing appended.
#include <skewless/adapters/absl_time.hpp>
#include <skewless/arrow/events.hpp>
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>

#include "arrow/builder.hpp"
#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace arrow_test {
enum class kind : std::int16_t { view = 1, click = 2 };
struct wide {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  float ratio;
  std::int8_t small;
  std::uint32_t count;
  bool flag;
  std::string country;
  std::string merchant;
  kind what;
  std::array<double, 3> emb;
  absl::Time at;
};
struct keyed {
  std::string user;
  std::int64_t ts;
  double amount;
};
}  // namespace arrow_test
BOOST_HANA_ADAPT_STRUCT(arrow_test::wide, user, ts, amount, ratio, small, count, flag, country, merchant, what, emb,
                        at);
BOOST_HANA_ADAPT_STRUCT(arrow_test::keyed, user, ts, amount);

using namespace skewless;
using arrow_test::keyed;
using arrow_test::wide;
using skewless_test::batch_builder;
using skewless_test::same_bits;

namespace {

// Four rows of every column type `wide` takes.
batch_builder wide_batch() {
  batch_builder b;
  b.column<std::int32_t>("user", "i", {7, 8, 9, 10})
      .column<std::int64_t>("ts", "tsm:UTC", {1'000, 2'000, -3'000, 4'000})
      .column<double>("amount", "g", {1.5, -0.0, 1e300, 4.0}, {true, true, true, false})
      .column<float>("ratio", "f", {0.25f, 1.0f, -2.0f, 3.0f})
      .column<std::int64_t>("small", "l", {-128, 127, 0, 5})
      .column<std::uint8_t>("count", "C", {0, 255, 3, 4})
      .bools("flag", {true, false, true, false})
      .strings("country", {"fr", "", "de", "ünï"}, /*large=*/true)
      .dictionary("merchant", {1, 0, 1, 2}, {"acme", "globex", "initech"})
      .column<std::int16_t>("what", "s", {1, 2, 2, 1})
      .vectors("emb", 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {true, true, false, true},
               {true, true, true, true, false, true, true, true, true, true, true, true})
      .column<std::int64_t>("at", "tsn:", {1'999, -1, 0, 5'000'000'000})
      .column<double>("unused", "g", {0, 0, 0, 0});
  return b;
}
}  // namespace

TEST_CASE("arrow events: every column type a field takes, with nulls as missing values", "[arrow]") {
  batch_builder b = wide_batch();
  ArrowSchema schema;
  ArrowArray batch;
  b.build(schema, batch);
  std::vector<wide> events;
  const absl::Status read = arrow::append_events(schema, batch, events);
  INFO(read.message());
  REQUIRE(read.ok());
  REQUIRE(events.size() == 4);
  CHECK(events[0].user == 7);
  CHECK(events[2].ts == -3'000'000);  // milliseconds -> microseconds
  CHECK(same_bits(events[1].amount, -0.0));
  CHECK(events[2].amount == 1e300);
  CHECK(std::isnan(events[3].amount));  // null: a missing value
  CHECK(events[0].ratio == 0.25f);
  CHECK(events[0].small == -128);
  CHECK(events[1].count == 255);
  CHECK(events[0].flag);
  CHECK_FALSE(events[1].flag);
  CHECK(events[3].country == "ünï");
  CHECK(events[1].country.empty());
  CHECK(events[0].merchant == "globex");
  CHECK(events[3].merchant == "initech");
  CHECK(events[1].what == arrow_test::kind::click);
  CHECK(events[0].emb == std::array<double, 3>{1, 2, 3});
  CHECK(events[1].emb[0] == 4);
  CHECK(std::isnan(events[1].emb[1]));  // a null element
  CHECK(std::isnan(events[2].emb[0]));  // a null list: every element missing
  CHECK(std::isnan(events[2].emb[2]));
  CHECK(events[3].emb[2] == 12);
  CHECK(events[0].at == absl::FromUnixMicros(1));   // nanoseconds floored
  CHECK(events[1].at == absl::FromUnixMicros(-1));  // floor, not truncation
  CHECK(events[3].at == absl::FromUnixMicros(5'000'000));

  // Appending keeps what was there.
  REQUIRE(arrow::append_events(schema, batch, events).ok());
  CHECK(events.size() == 8);
  CHECK(events[4].user == 7);
}

TEST_CASE("arrow events: sliced batches and sliced columns read from their offsets", "[arrow]") {
  batch_builder b = wide_batch();
  ArrowSchema schema;
  ArrowArray batch;
  b.build(schema, batch, /*offset=*/1, /*length=*/2);
  std::vector<wide> events;
  REQUIRE(arrow::append_events(schema, batch, events).ok());
  REQUIRE(events.size() == 2);
  CHECK(events[0].user == 8);
  CHECK(events[1].user == 9);
  CHECK(events[0].emb[0] == 4);
  CHECK(std::isnan(events[1].emb[0]));
  CHECK(events[1].merchant == "globex");
  CHECK_FALSE(events[0].flag);

  batch_builder k;
  k.strings("user", {"x", "a", "b", "c"})
      .column<std::int64_t>("ts", "l", {0, 10, 20, 30})
      .column<double>("amount", "g", {0, 1, 2, std::numeric_limits<double>::quiet_NaN()}, {true, true, true, false});
  k.offset_column(0, 1);  // the key column alone starts one row later
  k.offset_column(2, 1);
  ArrowSchema ks;
  ArrowArray ka;
  k.build(ks, ka, 0, 3);
  std::vector<keyed> out;
  REQUIRE(arrow::append_events(ks, ka, out).ok());
  REQUIRE(out.size() == 3);
  CHECK(out[0].user == "a");
  CHECK(out[0].ts == 0);
  CHECK(out[0].amount == 1);
  CHECK(std::isnan(out[2].amount));  // the validity bitmap read at the column's offset
}

TEST_CASE("arrow events: a stream of many batches grows the vector geometrically, not once per batch", "[arrow]") {
  // Exact reserves per batch made reading a 77-batch Parquet table 3x slower than one
  // batch (every earlier event moved on every batch): count the reallocations instead.
  batch_builder b;
  b.strings("user", {"a", "b", "c"})
      .column<std::int64_t>("ts", "l", {1, 2, 3})
      .column<double>("amount", "g", {1, 2, 3});
  ArrowSchema schema;
  ArrowArray batch;
  b.build(schema, batch);
  std::vector<keyed> out;
  std::size_t reallocations = 0;
  const keyed* data = nullptr;
  for (int i = 0; i < 4096; ++i) {
    REQUIRE(arrow::append_events(schema, batch, out).ok());
    if (out.data() != data) {
      ++reallocations;
      data = out.data();
    }
  }
  CHECK(out.size() == 3 * 4096);
  CHECK(reallocations <= 16);  // log2(12288) + 2; exact reserves made it 4096
}

TEST_CASE("arrow events: utf8_view strings (Polars), inline and in data buffers, every view bounds-checked",
          "[arrow]") {
  const std::vector<std::string> users = {"short", "", "exactly12chr", "thirteen char", "a much longer user name", "ü"};
  const auto read = [&](batch_builder& b, std::vector<keyed>& out) {
    b.column<std::int64_t>("ts", "l", {1, 2, 3, 4, 5, 6}).column<double>("amount", "g", {1, 2, 3, 4, 5, 6});
    ArrowSchema schema;
    ArrowArray batch;
    b.build(schema, batch);
    return arrow::append_events(schema, batch, out);
  };
  {
    batch_builder b;
    b.string_views("user", users);
    std::vector<keyed> out;
    const absl::Status s = read(b, out);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(out.size() == users.size());
    for (std::size_t i = 0; i < users.size(); ++i) CHECK(out[i].user == users[i]);
  }
  // Hostile views: a buffer index past the data buffers, an offset or length past the
  // buffer's size, a negative length. Each is refused by row, and nothing is appended.
  const auto corrupt = [&](int field, std::int32_t value, std::string_view expect) {
    batch_builder b;
    std::int32_t* views = b.string_views("user", users);
    views[4 * 4 + field] = value;  // row 4: the long name, in a data buffer
    std::vector<keyed> out{{"kept", 1, 2.0}};
    const absl::Status s = read(b, out);
    INFO(s.message());
    CHECK_FALSE(s.ok());
    CHECK(std::string(s.message()).find(expect) != std::string::npos);
    CHECK(out.size() == 1);
  };
  corrupt(2, 7, "column 'user' row 4: malformed string offsets");
  corrupt(2, -1, "column 'user' row 4: malformed string offsets");
  corrupt(3, 1'000'000, "column 'user' row 4: malformed string offsets");
  corrupt(0, 1'000'000, "column 'user' row 4: malformed string offsets");
  corrupt(0, -5, "column 'user' row 4: malformed string offsets");
}

TEST_CASE("arrow events: bad input names the column and row and appends nothing", "[arrow]") {
  const auto refused = [](batch_builder& b, std::string_view expect) {
    ArrowSchema schema;
    ArrowArray batch;
    b.build(schema, batch);
    std::vector<keyed> out{{"kept", 1, 2.0}};
    const absl::Status s = arrow::append_events(schema, batch, out);
    INFO(s.message());
    CHECK_FALSE(s.ok());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()).find(expect) != std::string::npos);
    REQUIRE(out.size() == 1);
    CHECK(out[0].user == "kept");
  };
  {
    batch_builder b;  // no amount column
    b.strings("user", {"a"}).column<std::int64_t>("ts", "l", {1});
    refused(b, "no column 'amount'");
  }
  {
    batch_builder b;  // a null key
    b.strings("user", {"a", "b", "c"}, false, {true, true, false})
        .column<std::int64_t>("ts", "l", {1, 2, 3})
        .column<double>("amount", "g", {1, 2, 3});
    refused(b, "column 'user' row 2: null");
  }
  {
    batch_builder b;  // a null time
    b.strings("user", {"a", "b"})
        .column<std::int64_t>("ts", "l", {1, 2}, {true, false})
        .column<double>("amount", "g", {1, 2});
    refused(b, "column 'ts' row 1: null");
  }
  {
    batch_builder b;  // a string where an integer is wanted
    b.strings("user", {"a"}).strings("ts", {"yesterday"}).column<double>("amount", "g", {1});
    // A property of the column: no row, and the type received (issue 27, item 2).
    refused(b, "column 'ts' has Arrow type 'u' (utf8); an integer field takes int8..int64");
  }
  {
    batch_builder b;  // an integer key for a string field
    b.column<std::int64_t>("user", "l", {5}).column<std::int64_t>("ts", "l", {1}).column<double>("amount", "g", {1});
    refused(b, "column 'user' has Arrow type 'l' (int64); a string field takes utf8");
  }
  {
    batch_builder b;  // an unsupported type
    b.strings("user", {"a"}).column<std::int32_t>("ts", "tdD", {1}).column<double>("amount", "g", {1});
    refused(b, "column 'ts' has Arrow type 'tdD'");
  }
  {
    batch_builder b;  // an integer a double cannot hold exactly
    b.strings("user", {"a", "b"})
        .column<std::int64_t>("ts", "l", {1, 2})
        .column<std::int64_t>("amount", "l", {3, (std::int64_t{1} << 53) + 1});
    refused(b, "column 'amount' row 1: an integer the floating-point field cannot hold exactly");
  }
  {
    batch_builder b;  // seconds beyond the microsecond range
    b.strings("user", {"a"})
        .column<std::int64_t>("ts", "tss:", {std::numeric_limits<std::int64_t>::max() / 100})
        .column<double>("amount", "g", {1});
    refused(b, "column 'ts' row 0: a timestamp beyond the microsecond range");
  }
  {
    batch_builder b;  // a dictionary index outside the dictionary
    b.dictionary("user", {0, 3}, {"a", "b"})
        .column<std::int64_t>("ts", "l", {1, 2})
        .column<double>("amount", "g", {1, 2});
    refused(b, "column 'user' row 1: a dictionary index outside the dictionary of 2");
  }
  {
    batch_builder b;  // not a struct array
    b.strings("user", {"a"}).column<std::int64_t>("ts", "l", {1}).column<double>("amount", "g", {1});
    ArrowSchema schema;
    ArrowArray batch;
    b.build(schema, batch);
    schema.format = "+l";
    std::vector<keyed> out;
    CHECK_FALSE(arrow::append_events(schema, batch, out).ok());
  }
  {
    // A value outside the field's integer type.
    batch_builder b = wide_batch();
    ArrowSchema schema;
    ArrowArray batch;
    b.build(schema, batch);
    std::int64_t* small = const_cast<std::int64_t*>(static_cast<const std::int64_t*>(batch.children[4]->buffers[1]));
    small[2] = 128;
    std::vector<wide> out;
    const absl::Status s = arrow::append_events(schema, batch, out);
    CHECK(std::string(s.message()).find("column 'small' row 2: a value outside the field's integer type") !=
          std::string::npos);
    CHECK(out.empty());
  }
}

TEST_CASE("arrow events: a batch read from Arrow evaluates as the structs it came from", "[arrow]") {
  using namespace std::chrono_literals;
  constexpr auto fs = define_features<keyed, "user", "ts">(feature<"n">(count(sliding(1h))),
                                                           feature<"total">(sum(field<keyed, "amount">, sliding(24h))));
  std::vector<std::string> users;
  std::vector<std::int64_t> ts;
  std::vector<double> amounts;
  std::vector<keyed> direct;
  for (int i = 0; i < 500; ++i) {
    users.push_back(i % 3 == 0 ? "alice" : "bob");
    ts.push_back(static_cast<std::int64_t>(i) * 600'000'000 - (i % 7) * 1'000);
    amounts.push_back(i * 0.1 - 7.0);
    direct.push_back({users.back(), ts.back(), amounts.back()});
  }
  batch_builder b;
  b.strings("user", users).column("ts", "tsu:UTC", ts).column("amount", "g", amounts);
  ArrowSchema schema;
  ArrowArray batch;
  b.build(schema, batch);
  std::vector<keyed> from_arrow;
  REQUIRE(arrow::append_events(schema, batch, from_arrow).ok());
  const std::vector<spine_row<std::string>> spine{{"alice", 100'000'000'000}, {"bob", 200'000'000'000}, {"carol", 1}};
  const auto x = batch::evaluate(fs, direct, spine);
  const auto y = batch::evaluate(fs, from_arrow, spine);
  for (Eigen::Index r = 0; r < x.values.rows(); ++r) {
    for (Eigen::Index c = 0; c < x.values.cols(); ++c) CHECK(same_bits(x.values(r, c), y.values(r, c)));
  }
}
