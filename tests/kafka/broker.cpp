// Tests against a real Kafka broker (scripts/kafka-broker.sh, started by ctest's
// kafka_broker fixture; its address in SKEWLESS_KAFKA_BOOTSTRAP, its directory in
// SKEWLESS_KAFKA_BROKER_DIR). Without them these tests fail: ctest always provides them,
// and a run by hand must start a broker.
//
// The consumer (kafka::consumer) against it: a replica SIGKILLed at a random moment and
// restarted ends with the same snapshot bytes as one never interrupted, and both equal
// the in-process stream over the same messages; its values equal batch over the accepted
// events, bit for bit; two replicas owning half the partitions each read what one owning
// all reads; malformed messages are counted and skipped; a broker restarted mid-stream
// changes nothing; a stored offset deleted by retention stops the start with DataLoss.
#include <skewless/kafka/consumer.hpp>
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/kafka/partitioner.hpp>
#include <skewless/online/concurrent_evaluator.hpp>

#include "kafka/stream_events.hpp"

#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

std::string bootstrap() {
  const char* b = std::getenv("SKEWLESS_KAFKA_BOOTSTRAP");
  if (b == nullptr || *b == '\0') FAIL("SKEWLESS_KAFKA_BOOTSTRAP is not set: start scripts/kafka-broker.sh first");
  return b;
}

struct delivered : RdKafka::DeliveryReportCb {
  std::map<std::string, std::int32_t> partition_of;
  int errors = 0;
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() != RdKafka::ERR_NO_ERROR) {
      ++errors;
      return;
    }
    partition_of[*m.key()] = m.partition();
  }
};

std::unique_ptr<RdKafka::Conf> conf(const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> c(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : settings) REQUIRE(c->set(k, v, err) == RdKafka::Conf::CONF_OK);
  return c;
}

std::string fresh_topic(const char* what) {
  std::random_device rd;
  return std::string("skewless-") + what + "-" + std::to_string(rd());
}

using skewless::kafka::consumer;
using skewless::kafka::consumer_options;
using stream_test::feature_set;
using stream_test::raw_message;
using parts_type = std::vector<std::vector<raw_message>>;

// Sends each partition's messages to that partition, in order (an idempotent producer
// keeps the order through retries).
void produce(const std::string& topic, const parts_type& parts) {
  delivered reports;
  auto c = conf({{"bootstrap.servers", bootstrap()}, {"enable.idempotence", "true"}, {"linger.ms", "5"}});
  std::string err;
  REQUIRE(c->set("dr_cb", &reports, err) == RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(c.get(), err));
  REQUIRE(producer != nullptr);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (const raw_message& m : parts[p]) {
      for (;;) {
        const RdKafka::ErrorCode e = producer->produce(
            topic, static_cast<std::int32_t>(p), RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(m.value.data()),
            m.value.size(), m.key.data(), m.key.size(), 0, nullptr);
        if (e == RdKafka::ERR_NO_ERROR) break;
        REQUIRE(e == RdKafka::ERR__QUEUE_FULL);
        producer->poll(10);
      }
    }
  }
  REQUIRE(producer->flush(60'000) == RdKafka::ERR_NO_ERROR);
  REQUIRE(reports.errors == 0);
}

std::string end_offsets(const parts_type& parts) {
  std::string csv;
  for (const auto& p : parts) {
    if (!csv.empty()) csv += ',';
    csv += std::to_string(p.size());
  }
  return csv;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("skewless-" + std::to_string(::getpid()) + "-" + name)).string();
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

// Reads with `c` (poll() on this thread) until each of its partitions reached `end`.
template <class C> void poll_until(C& c, const parts_type& parts) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    auto n = c.poll();
    REQUIRE(n.ok());
    bool done = true;
    for (const auto& p : c.metrics().partitions) {
      if (p.next_offset < static_cast<std::int64_t>(parts[static_cast<std::size_t>(p.partition)].size())) done = false;
    }
    if (done) return;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
}

}  // namespace

TEST_CASE("kafka broker: a murmur2 producer sends each key to partition_for's partition", "[kafka][broker]") {
  const std::string topic = fresh_topic("partitions");
  delivered reports;
  auto c = conf({{"bootstrap.servers", bootstrap()}, {"partitioner", "murmur2_random"}});
  std::string err;
  REQUIRE(c->set("dr_cb", &reports, err) == RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(c.get(), err));
  REQUIRE(producer != nullptr);

  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back(i % 3 == 0 ? "user-" + std::to_string(i) : std::to_string(i * 7919));
  keys.emplace_back("");  // an empty key is a key (not a null one)
  for (const std::string& k : keys) {
    std::string value = "v";
    REQUIRE(producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, value.data(),
                              value.size(), k.data(), k.size(), 0, nullptr) == RdKafka::ERR_NO_ERROR);
  }
  REQUIRE(producer->flush(30'000) == RdKafka::ERR_NO_ERROR);
  REQUIRE(reports.errors == 0);
  REQUIRE(reports.partition_of.size() == keys.size());

  // The topic was created with the broker's num.partitions (4).
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(producer.get(), topic, nullptr, err));
  REQUIRE(producer->metadata(false, t.get(), &raw, 10'000) == RdKafka::ERR_NO_ERROR);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  REQUIRE(metadata->topics()->size() == 1);
  const auto partitions = static_cast<std::int32_t>((*metadata->topics())[0]->partitions()->size());
  REQUIRE(partitions == 4);
  std::map<std::int32_t, int> used;
  for (const std::string& k : keys) {
    INFO(k);
    CHECK(reports.partition_of[k] == skewless::kafka::partition_for(k, partitions));
    ++used[reports.partition_of[k]];
  }
  CHECK(used.size() == 4);  // the keys spread over every partition
}

TEST_CASE("kafka broker: a replica killed at a random moment restarts to the same bytes", "[kafka][broker]") {
  const std::uint64_t seed = skewless_test::base_seed() + 2801;
  const auto events = stream_test::payments(40'000, seed, 20);
  const parts_type parts = stream_test::messages(events, seed + 1);
  const std::string topic = fresh_topic("kill");
  produce(topic, parts);
  const std::string reference = stream_test::reference_snapshot(parts, topic);

  const std::string whole = temp_path("whole.snap"), killed = temp_path("killed.snap");
  std::filesystem::remove(whole);
  std::filesystem::remove(killed);
  // Uninterrupted.
  CHECK(wait_exit(spawn({SKEWLESS_STREAM_NODE, bootstrap(), topic, whole, "3000", end_offsets(parts)})) == 0);
  CHECK(read_bytes(whole) == reference);

  // Killed after a random time past its first snapshot, then run again to the end.
  std::mt19937_64 rng(seed);
  int kills = 0;
  for (int attempt = 0; attempt < 5 && kills == 0; ++attempt) {
    std::filesystem::remove(killed);
    const pid_t pid = spawn({SKEWLESS_STREAM_NODE, bootstrap(), topic, killed, "3000", end_offsets(parts)});
    while (!std::filesystem::exists(killed)) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) break;  // finished before a snapshot: try again
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (60'000u >> attempt)));
    ::kill(pid, SIGKILL);
    const int status = wait_exit(pid);
    if (WIFSIGNALED(status) && std::filesystem::exists(killed)) ++kills;
  }
  REQUIRE(kills == 1);
  const std::string at_kill = read_bytes(killed);
  CHECK(at_kill != reference);  // a cut before the end
  CHECK(wait_exit(spawn({SKEWLESS_STREAM_NODE, bootstrap(), topic, killed, "3000", end_offsets(parts)})) == 0);
  CHECK(read_bytes(killed) == reference);

  // The values equal batch over the accepted events.
  skewless::online::evaluator<feature_set> back(stream_test::features);
  skewless::kafka::stream_positions at;
  skewless::kafka::stream_state state(back, at);
  REQUIRE(skewless::serial::read_snapshot(state, killed).ok());
  CHECK(stream_test::differs_from_batch(back, stream_test::accepted_events(parts)) == "");
  std::filesystem::remove(whole);
  std::filesystem::remove(killed);
}

TEST_CASE("kafka broker: two replicas with half the partitions each read what one replica reads", "[kafka][broker]") {
  const std::uint64_t seed = skewless_test::base_seed() + 2802;
  const parts_type parts = stream_test::messages(stream_test::payments(12'000, seed), seed + 1);
  const std::string topic = fresh_topic("replicas");
  produce(topic, parts);

  using evaluator = skewless::online::concurrent_evaluator<feature_set>;
  using decoder = skewless::kafka::json_decoder<feature_set>;
  evaluator all(stream_test::features), low(stream_test::features), high(stream_test::features);
  consumer_options opt{.bootstrap_servers = bootstrap(), .topic = topic};
  opt.batch_messages = 700;
  consumer c_all(all, decoder(), opt);
  opt.partitions = {0, 1};
  consumer c_low(low, decoder(), opt);
  opt.partitions = {2, 3};
  consumer c_high(high, decoder(), opt);
  std::uint64_t quarantined = 0;
  c_all.set_quarantine([&](const skewless::kafka::refused_message& m) {
    ++quarantined;
    CHECK(m.topic == topic);
    const raw_message& sent = parts[static_cast<std::size_t>(m.partition)][static_cast<std::size_t>(m.offset)];
    if (m.status == skewless::kafka::decode_status::behind_watermark) {
      CHECK_THAT(m.why, Catch::Contains("watermark"));  // decoded: its coordinates, not its bytes
    } else {
      CHECK(m.value == sent.value);
      CHECK(m.key == sent.key);
    }
  });
  for (auto* c : {&c_all, &c_low, &c_high}) REQUIRE(c->start().ok());
  poll_until(c_all, parts);
  poll_until(c_low, parts);
  poll_until(c_high, parts);

  // Malformed messages were counted by reason and skipped.
  skewless::kafka::json_decoder<feature_set> decode;
  std::map<skewless::kafka::decode_status, std::uint64_t> want;
  for (const auto& part : parts) {
    for (const raw_message& m : part) {
      stream_test::payment p{};
      ++want[decode(m.value, p)];
    }
  }
  const auto m = c_all.metrics();
  std::uint64_t malformed = 0, refused = 0;
  for (const auto& p : m.partitions) {
    CHECK(p.offset_lag() == 0);
    CHECK(p.high_watermark == static_cast<std::int64_t>(parts[static_cast<std::size_t>(p.partition)].size()));
    malformed += p.messages[static_cast<std::size_t>(skewless::kafka::decode_status::malformed)];
    for (std::size_t i = 1; i < skewless::kafka::decode_status_count; ++i) refused += p.messages[i];
  }
  CHECK(malformed == want[skewless::kafka::decode_status::malformed]);
  CHECK(malformed > 0);
  CHECK(m.quarantined == refused);
  CHECK(quarantined == refused);

  // Each user's values, from the replica owning its partition, equal the single replica's.
  skewless::feature_vector<feature_set> a, b;
  std::int64_t newest = 0;
  for (const auto& p : m.partitions) newest = std::max(newest, p.newest_event_us);
  int users = 0;
  for (std::int64_t user = 0; user < 120; ++user) {
    const evaluator& owner = stream_test::partition_of(user) < 2 ? low : high;
    const evaluator& other = stream_test::partition_of(user) < 2 ? high : low;
    skewless::online::read_info info;
    REQUIRE(other.features(user, newest + 1, b, info).ok());
    CHECK_FALSE(info.known_entity);  // the other replica never saw the user
    REQUIRE(all.features(user, newest + 1, a).ok());
    REQUIRE(owner.features(user, newest + 1, b).ok());
    for (Eigen::Index i = 0; i < a.size(); ++i) CHECK(skewless_test::same_bits(a[i], b[i]));
    ++users;
  }
  CHECK(users == 120);
  CHECK(all.entity_count() == low.entity_count() + high.entity_count());
  CHECK(stream_test::differs_from_batch(all, stream_test::accepted_events(parts)) == "");
}

TEST_CASE("kafka broker: a broker restarted mid-stream changes nothing", "[kafka][broker]") {
  const char* dir = std::getenv("SKEWLESS_KAFKA_BROKER_DIR");
  const char* script = std::getenv("SKEWLESS_KAFKA_BROKER_SCRIPT");
  REQUIRE((dir != nullptr && script != nullptr));
  const std::uint64_t seed = skewless_test::base_seed() + 2803;
  const parts_type parts = stream_test::messages(stream_test::payments(8'000, seed), seed + 1);
  parts_type first(parts.size()), second(parts.size());
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const std::size_t half = parts[p].size() / 2;
    first[p].assign(parts[p].begin(), parts[p].begin() + static_cast<std::ptrdiff_t>(half));
    second[p].assign(parts[p].begin() + static_cast<std::ptrdiff_t>(half), parts[p].end());
  }
  const std::string topic = fresh_topic("restart");
  produce(topic, first);

  skewless::online::concurrent_evaluator<feature_set> online(stream_test::features);
  const std::string path = temp_path("restart.snap");
  std::filesystem::remove(path);
  consumer c(online, skewless::kafka::json_decoder<feature_set>(),
             {.bootstrap_servers = bootstrap(), .topic = topic, .snapshot_path = path, .snapshot_every = 1000});
  REQUIRE(c.start().ok());
  absl::Status result;
  std::thread feed([&] { result = c.run(); });
  auto wait_for = [&](const parts_type& target) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
      bool done = true;
      for (const auto& p : c.metrics().partitions) {
        if (p.next_offset < static_cast<std::int64_t>(target[static_cast<std::size_t>(p.partition)].size())) {
          done = false;
        }
      }
      if (done || std::chrono::steady_clock::now() > deadline) return done;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  REQUIRE(wait_for(first));
  REQUIRE(std::system((std::string(script) + " restart " + dir + " > /dev/null").c_str()) == 0);
  produce(topic, second);  // offsets continue after the first half
  const bool done = wait_for(parts);
  c.stop();
  feed.join();
  REQUIRE(done);
  REQUIRE(result.ok());
  CHECK(read_bytes(path) == stream_test::reference_snapshot(parts, topic));
  std::filesystem::remove(path);
}

TEST_CASE("kafka broker: a stored offset deleted by retention stops the start with DataLoss", "[kafka][broker]") {
  const std::uint64_t seed = skewless_test::base_seed() + 2804;
  parts_type parts = stream_test::messages(stream_test::payments(2'000, seed), seed + 1);
  const std::string topic = fresh_topic("retention");
  produce(topic, parts);

  // A replica reads partition 0 to offset 20, snapshots, and is stopped.
  const std::string path = temp_path("retention.snap");
  std::filesystem::remove(path);
  {
    skewless::online::concurrent_evaluator<feature_set> online(stream_test::features);
    consumer c(online, skewless::kafka::json_decoder<feature_set>(),
               {.bootstrap_servers = bootstrap(),
                .topic = topic,
                .partitions = {0},
                .snapshot_path = path,
                .snapshot_every = 0,
                .batch_messages = 1});
    REQUIRE(c.start().ok());
    while (c.metrics().partitions[0].next_offset < 20) REQUIRE(c.poll().ok());
    REQUIRE(c.snapshot().ok());
  }
  // Retention deletes everything before offset 50 meanwhile.
  {
    auto* conf = rd_kafka_conf_new();
    char err[256];
    REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(rk != nullptr);
    rd_kafka_topic_partition_list_t* before = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(before, topic.c_str(), 0)->offset = 50;
    rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(before);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteRecords(rk, &del, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
    REQUIRE(ev != nullptr);
    CHECK(rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR);
    const rd_kafka_topic_partition_list_t* result =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
    REQUIRE(result != nullptr);
    CHECK(result->elems[0].err == RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteRecords_destroy(del);
    rd_kafka_topic_partition_list_destroy(before);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
  }
  skewless::online::concurrent_evaluator<feature_set> online(stream_test::features);
  consumer c(online, skewless::kafka::json_decoder<feature_set>(),
             {.bootstrap_servers = bootstrap(), .topic = topic, .partitions = {0}, .snapshot_path = path});
  const absl::Status s = c.start();
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(s.message()), Catch::Contains("messages 20..49 were deleted"));
  CHECK(c.restored());  // the state was restored; nothing was skipped silently
  std::filesystem::remove(path);
}
