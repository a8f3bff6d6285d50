// Tests against a real Kafka broker (scripts/kafka-broker.sh, started by ctest's
// kafka_broker fixture; its address in SKEWLESS_KAFKA_BOOTSTRAP). Without that variable
// these tests fail: ctest always provides it, and a run by hand must start a broker.
#include <skewless/kafka/partitioner.hpp>

#include <catch2/catch.hpp>

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

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
