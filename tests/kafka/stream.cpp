// Tests for skewless/kafka/stream.hpp without a broker: the state is a function of the
// offsets read, whatever order the partitions' messages arrive in and wherever a
// restart cuts the stream (equal snapshot bytes); a redelivered message changes nothing;
// refused messages are counted by reason and quarantined; the values equal batch over
// the accepted events, bit for bit.
#include <skewless/batch/evaluate.hpp>
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/kafka/stream.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "kafka/stream_events.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace skewless;
using stream_test::payment;
using FS = std::remove_cvref_t<decltype(stream_test::features)>;
using skewless_test::same_bits;

namespace {

std::vector<kafka::topic_partition> all_partitions() {
  std::vector<kafka::topic_partition> v;
  for (std::int32_t p = 0; p < stream_test::partitions; ++p) v.push_back({"payments", p});
  return v;
}

// Feeds `parts` (messages per partition) from next offsets `from` to `to` through `s`, in
// an order drawn from `rng` (batches of random sizes from random partitions), or round
// robin one message at a time without rng.
template <class Evaluator>
void feed(kafka::stream<Evaluator>& s, const std::vector<std::vector<stream_test::raw_message>>& parts,
          std::vector<std::int64_t> from, const std::vector<std::int64_t>& to, std::mt19937_64* rng) {
  kafka::json_decoder<FS> decode;
  kafka::decoded_batch<payment> batch;
  auto time_of = [](const payment& e) { return FS::time_of(e); };
  auto left = [&] {
    for (std::size_t p = 0; p < parts.size(); ++p) {
      if (from[p] < to[p]) return true;
    }
    return false;
  };
  while (left()) {
    batch.clear();
    const std::size_t want = rng ? 1 + (*rng)() % 300 : parts.size();
    for (std::size_t i = 0; i < want && left(); ++i) {
      std::size_t p = rng ? (*rng)() % parts.size() : i % parts.size();
      while (from[p] >= to[p]) p = (p + 1) % parts.size();
      // A run of messages from one partition, as a fetch returns them.
      const std::int64_t run = rng ? 1 + static_cast<std::int64_t>((*rng)() % 40) : 1;
      for (std::int64_t k = 0; k < run && from[p] < to[p]; ++k, ++i) {
        const stream_test::raw_message& m = parts[p][static_cast<std::size_t>(from[p])];
        const kafka::message msg{"payments", static_cast<std::int32_t>(p), from[p], m.key, m.value, -1, {}};
        batch.add(static_cast<std::uint32_t>(p), msg, decode, time_of);
        ++from[p];
      }
    }
    s.apply(batch);
  }
}

std::vector<std::int64_t> ends(const std::vector<std::vector<stream_test::raw_message>>& parts) {
  std::vector<std::int64_t> v;
  for (const auto& p : parts) v.push_back(static_cast<std::int64_t>(p.size()));
  return v;
}

}  // namespace

TEST_CASE("kafka stream: equal offsets read give equal snapshot bytes, whatever the interleaving and cut",
          "[kafka][stream]") {
  const std::uint64_t seed = skewless_test::base_seed() + 28;
  // 5% of the events beyond the lateness: some would be behind the horizon.
  const std::vector<payment> events = stream_test::payments(12'000, seed, 50);
  const auto parts = stream_test::messages(events, seed + 1);
  const std::vector<std::int64_t> end = ends(parts);
  const std::vector<std::int64_t> zero(parts.size(), 0);
  const kafka::stream_options opt{.advance_every = 500};

  // Round robin, one message per partition per batch, without a restart.
  online::evaluator<FS> ev(stream_test::features);
  kafka::stream_positions at;
  kafka::stream s(ev, at, all_partitions(), opt);
  std::map<kafka::decode_status, int> quarantined;
  s.set_quarantine([&](const kafka::refused_message& m) {
    ++quarantined[m.status];
    CHECK(!m.why.empty());
  });
  feed(s, parts, zero, end, nullptr);
  const std::string reference = *s.snapshot();

  // Every message is counted once, by what became of it; the refused ones were
  // quarantined.
  std::uint64_t counted = 0, refused = 0;
  for (const auto& p : at.partitions()) {
    CHECK(p.next_offset == end[static_cast<std::size_t>(p.partition)]);
    for (std::size_t i = 0; i < kafka::decode_status_count; ++i) counted += p.messages[i];
    refused += p.refused();
  }
  CHECK(counted == static_cast<std::uint64_t>(std::accumulate(end.begin(), end.end(), std::int64_t{0})));
  int q = 0;
  for (const auto& [status, n] : quarantined) q += n;
  CHECK(static_cast<std::uint64_t>(q) == refused);
  CHECK(quarantined[kafka::decode_status::malformed] > 0);
  CHECK(quarantined[kafka::decode_status::wrong_type] > 0);
  CHECK(quarantined[kafka::decode_status::missing_field] > 0);
  CHECK(quarantined[kafka::decode_status::behind_watermark] > 0);  // the 0.5% beyond the lateness
  CHECK(ev.removals().expired > 0);                                // advance_to evicted idle users
  CHECK(at.watermark_us() != kafka::no_time);

  // Random interleavings, a random cut, a restore into a fresh evaluator: the same bytes.
  for (int round = 0; round < skewless_test::scaled(6); ++round) {
    INFO("round " << round);
    std::mt19937_64 rng(seed + 100 + static_cast<std::uint64_t>(round));
    std::vector<std::int64_t> cut;
    for (std::int64_t e : end) cut.push_back(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(e + 1)));
    std::string middle;
    {
      online::concurrent_evaluator<FS> first(stream_test::features);
      kafka::stream_positions first_at;
      kafka::stream s1(first, first_at, all_partitions(), opt);
      feed(s1, parts, zero, cut, &rng);
      middle = *s1.snapshot();
    }  // the process is gone
    auto restarted = std::make_unique<online::evaluator<FS>>(stream_test::features);
    kafka::stream_positions restored_at;
    kafka::stream_state state(*restarted, restored_at);
    REQUIRE(serial::restore(state, middle).ok());
    std::vector<std::int64_t> from;
    for (const auto& tp : all_partitions()) from.push_back(restored_at.find(tp.topic, tp.partition)->next_offset);
    CHECK(from == cut);
    kafka::stream s2(*restarted, restored_at, all_partitions(), opt);
    // At-least-once delivery: some messages before the stored offsets come again.
    std::vector<std::int64_t> again = from;
    for (auto& o : again) o = std::max<std::int64_t>(0, o - static_cast<std::int64_t>(rng() % 50));
    feed(s2, parts, again, end, &rng);
    CHECK(*s2.snapshot() == reference);
  }
}

TEST_CASE("kafka stream: the values equal batch over the accepted events, bit for bit", "[kafka][stream]") {
  const std::uint64_t seed = skewless_test::base_seed() + 2800;
  const std::vector<payment> events = stream_test::payments(6'000, seed);
  const auto parts = stream_test::messages(events, seed + 1);
  online::concurrent_evaluator<FS> ev(stream_test::features);
  kafka::stream_positions at;
  kafka::stream s(ev, at, all_partitions(), {.advance_every = 300});
  std::mt19937_64 rng(seed + 2);
  feed(s, parts, std::vector<std::int64_t>(parts.size(), 0), ends(parts), &rng);
  REQUIRE(s.snapshot().ok());

  const std::vector<payment> accepted = stream_test::accepted_events(parts);
  CHECK(ev.counters().accepted() == accepted.size());

  CHECK(stream_test::differs_from_batch(ev, accepted) == "");
  CHECK(!accepted.empty());
}

TEST_CASE("kafka stream: the watermark trails the slowest partition and waits for every one", "[kafka][stream]") {
  online::evaluator<FS> ev(stream_test::features);
  kafka::stream_positions at;
  kafka::stream s(ev, at, {{"payments", 0}, {"payments", 1}}, {.watermark_delay = std::chrono::microseconds(10)});
  kafka::json_decoder<FS> decode;
  auto time_of = [](const payment& e) { return FS::time_of(e); };
  kafka::decoded_batch<payment> b;
  const std::string a = stream_test::to_json({1, 1'000, 1.0, 0});
  const std::string late = stream_test::to_json({1, 989, 1.0, 0});
  const std::string ok_late = stream_test::to_json({3, 990, 1.0, 0});  // another user: a life starts there
  b.add(0, {"payments", 0, 0, "1", a, -1, {}}, decode, time_of);
  b.add(0, {"payments", 0, 1, "1", late, -1, {}}, decode, time_of);
  b.add(0, {"payments", 0, 2, "3", ok_late, -1, {}}, decode, time_of);
  kafka::apply_result r = s.apply(b);
  CHECK(r.messages == 3);
  CHECK(r.by_status[static_cast<std::size_t>(kafka::decode_status::behind_watermark)] == 1);
  CHECK(r.ingest.accepted() == 2);
  CHECK(s.watermark_us() == kafka::no_time);  // partition 1 has no event yet
  CHECK(!s.advance());
  b.clear();
  b.add(1, {"payments", 1, 7, "2", stream_test::to_json({2, 500, 1.0, 0}), -1, {}}, decode, time_of);
  s.apply(b);
  CHECK(s.watermark_us() == 490);
  CHECK(s.advance());
  CHECK(at.watermark_us() == 490);
  CHECK(at.find("payments", 1)->next_offset == 8);

  // A message of a partition not assigned has no slot.
  CHECK(s.slot_of("payments", 2) == -1);
  CHECK(s.slot_of("payments", 1) == 1);
}
