// Tests for skewless/kafka/positions.hpp: stream positions saved in the same snapshot as
// the state — bytes that restore both or neither, equal bytes for equal cuts, plain and
// stream snapshots told apart, and crafted positions refused whole.
#include <skewless/expr/feature_set.hpp>
#include <skewless/kafka/positions.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include <absl/strings/str_cat.h>
#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <cereal/archives/portable_binary.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace positions_test {
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double x;
};
}  // namespace positions_test
BOOST_HANA_ADAPT_STRUCT(positions_test::ev, user, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using kafka::stream_positions;
using kafka::stream_state;
using positions_test::ev;

namespace {
constexpr auto fs =
    define_features<ev, "user", "ts">(feature<"s">(sum(field<ev, "x">, sliding(1h))), feature<"n">(count(lifetime())));

std::vector<ev> events(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<ev> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({static_cast<std::int64_t>(rng() % 50), static_cast<std::int64_t>(i) * 1'000'000,
                   static_cast<double>(rng() % 1000) / 8.0});
  }
  return out;
}

// The bytes of a stream snapshot with `positions` replaced by `crafted` (the evaluator's
// part and the header recomputed, so only the positions can be at fault).
std::string with_positions(const online::evaluator<decltype(fs)>& ev, const std::string& crafted_positions) {
  std::ostringstream payload(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(payload);
    ev.save(ar);
  }
  std::string p = std::move(payload).str() + crafted_positions;
  std::string out = serial::serial_internal::header(ev.fingerprint(), p.size(), fnv1a64(p));
  return out + p;
}

// What `write` puts in a portable binary archive, without the byte the archive writes
// first (its endianness): the bytes that follow the evaluator's in one archive.
template <class Write> std::string archive_bytes(Write write) {
  std::ostringstream s(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(s);
    write(ar);
  }
  return std::move(s).str().substr(1);
}
}  // namespace

TEST_CASE("kafka positions: state and positions restore together, to the byte", "[kafka][snapshot]") {
  online::evaluator<decltype(fs)> online(fs);
  stream_positions at;
  const std::vector<ev> in = events(3000, 1);
  online.ingest(std::span(in).first(2000));
  at.advance("payments", 1, 1200, in[1999].ts);
  at.advance("payments", 0, 800, in[1500].ts);
  at.advance("refunds", 0, 5, kafka::no_time);
  at.set_watermark_us(in[1400].ts);
  CHECK(at.partitions().size() == 3);
  CHECK(at.partitions()[0].topic == "payments");
  CHECK(at.partitions()[0].partition == 0);  // kept in (topic, partition) order

  stream_state state(online, at);
  const auto bytes = serial::snapshot(state);
  REQUIRE(bytes.ok());

  online::evaluator<decltype(fs)> back(fs);
  stream_positions back_at;
  stream_state back_state(back, back_at);
  REQUIRE(serial::restore(back_state, *bytes).ok());
  CHECK(back_at == at);
  CHECK(*serial::snapshot(back_state) == *bytes);
  // The evaluator's part is the evaluator's own snapshot payload, byte for byte.
  const auto plain = serial::snapshot(online);
  REQUIRE(plain.ok());
  CHECK(bytes->substr(serial::snapshot_header_size, plain->size() - serial::snapshot_header_size) ==
        plain->substr(serial::snapshot_header_size));

  // The concurrent evaluator writes the same bytes and restores them.
  online::concurrent_evaluator<decltype(fs)> shared(fs, 8);
  shared.ingest(std::span(in).first(2000));
  stream_state shared_state(shared, at);
  CHECK(*serial::snapshot(shared_state) == *bytes);
  online::concurrent_evaluator<decltype(fs)> shared_back(fs, 4);
  stream_positions shared_at;
  stream_state shared_back_state(shared_back, shared_at);
  REQUIRE(serial::restore(shared_back_state, *bytes).ok());
  CHECK(shared_at == at);

  // Files too: write_snapshot and read_snapshot take a stream_state.
  const std::string path =
      (std::filesystem::temp_directory_path() / absl::StrCat("skewless-positions-", ::getpid(), ".snap")).string();
  REQUIRE(serial::write_snapshot(state, path).ok());
  online::evaluator<decltype(fs)> from_file(fs);
  stream_positions file_at;
  stream_state file_state(from_file, file_at);
  REQUIRE(serial::read_snapshot(file_state, path).ok());
  CHECK(file_at == at);
  CHECK(*serial::snapshot(file_state) == *bytes);
  std::filesystem::remove(path);
}

TEST_CASE("kafka positions: plain and stream snapshots are told apart", "[kafka][snapshot]") {
  online::evaluator<decltype(fs)> online(fs);
  const std::vector<ev> in = events(500, 2);
  online.ingest(in);
  stream_positions at;
  at.advance("t", 0, 500, in.back().ts);
  const auto plain = serial::snapshot(online);
  const auto with = serial::snapshot(stream_state(online, at));
  REQUIRE((plain.ok() && with.ok()));

  online::evaluator<decltype(fs)> fresh(fs);
  stream_positions fresh_at;
  stream_state fresh_state(fresh, fresh_at);
  const absl::Status a = serial::restore(fresh_state, *plain);
  CHECK_FALSE(a.ok());
  CHECK_THAT(std::string(a.message()), Catch::Contains("stream positions"));
  CHECK(fresh.entity_count() == 0);
  const absl::Status b = serial::restore(fresh, *with);
  CHECK_FALSE(b.ok());
  CHECK_THAT(std::string(b.message()), Catch::Contains("trailing bytes"));
  CHECK(fresh.entity_count() == 0);
}

TEST_CASE("kafka positions: crafted positions are refused whole", "[kafka][snapshot]") {
  online::evaluator<decltype(fs)> online(fs);
  const std::vector<ev> in = events(300, 3);
  online.ingest(in);
  const std::string tag(stream_positions::tag);
  struct entry {
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
    std::int64_t time;
    std::array<std::uint64_t, kafka::decode_status_count> counts{};  // messages by decode_status
  };
  const auto positions = [&](std::int64_t watermark, const std::vector<entry>& list, std::uint64_t claimed) {
    return archive_bytes([&](auto& ar) {
      ar(tag, watermark);
      ar(cereal::make_size_tag(static_cast<cereal::size_type>(claimed)));
      for (const entry& e : list) {
        ar(e.topic, e.partition, e.offset, e.time);
        for (const std::uint64_t n : e.counts) ar(n);
      }
    });
  };
  const std::int64_t none = kafka::no_time;
  const std::vector<entry> good = {
      {"a", 0, 10, 5, {7, 1, 0, 0, 0, 0, 0, 2}}, {"a", 3, 0, none, {}}, {"b.c-d_E", 0, 7, 9, {3}}};
  {  // the well-formed control restores
    online::evaluator<decltype(fs)> fresh(fs);
    stream_positions at;
    stream_state st(fresh, at);
    REQUIRE(serial::restore(st, with_positions(online, positions(none, good, good.size()))).ok());
    CHECK(at.partitions().size() == 3);
    CHECK(at.find("a", 3) != nullptr);
    CHECK(at.find("a", 1) == nullptr);
    CHECK(at.find("a", 0)->messages[7] == 2);
    CHECK(at.find("a", 0)->refused() == 3);
  }
  struct bad_case {
    const char* name;
    std::string bytes;
    const char* says;
  };
  const std::vector<bad_case> cases = {
      {"wrong tag", archive_bytes([&](auto& ar) { ar(std::string("something else"), none); }), "stream positions"},
      {"out of order", positions(none, {{"b", 0, 1, none}, {"a", 0, 1, none}}, 2), "out of order"},
      {"repeated", positions(none, {{"a", 1, 1, none}, {"a", 1, 2, none}}, 2), "repeated"},
      {"negative offset", positions(none, {{"a", 0, -1, none}}, 1), "negative"},
      {"negative partition", positions(none, {{"a", -2, 0, none}}, 1), "negative"},
      {"empty topic", positions(none, {{"", 0, 0, none}}, 1), "topic name"},
      {"topic with a slash", positions(none, {{"a/b", 0, 0, none}}, 1), "topic name"},
      {"topic of 250", positions(none, {{std::string(250, 'x'), 0, 0, none}}, 1), "topic name"},
      {"more counted than read", positions(none, {{"a", 0, 10, 5, {7, 1, 0, 0, 0, 0, 0, 3}}}, 1), "more messages"},
      {"a count near 2^64", positions(none, {{"a", 0, 10, 5, {~std::uint64_t{0}, 11}}}, 1), "more messages"},
      {"time out of range", positions(none, {{"a", 0, 0, max_time_us + 1}}, 1), "time range"},
      {"watermark out of range", positions(min_time_us - 1, {}, 0), "watermark"},
      {"claims more than the bytes", positions(none, good, 1'000'000), "claims"},
      {"truncated", positions(none, good, good.size()).substr(0, 60), "corrupt"},
  };
  for (const bad_case& c : cases) {
    INFO(c.name);
    online::evaluator<decltype(fs)> fresh(fs);
    fresh.ingest(std::span(in).first(10));
    stream_positions at;
    at.advance("kept", 0, 42, 1);
    stream_state st(fresh, at);
    const absl::Status s = serial::restore(st, with_positions(online, c.bytes));
    CHECK_FALSE(s.ok());
    CHECK_THAT(std::string(s.message()), Catch::Contains(c.says));
    CHECK(fresh.entity_count() <= 10);  // untouched: still the 10 events' entities
    REQUIRE(at.partitions().size() == 1);
    CHECK(at.partitions()[0].next_offset == 42);
  }
}
