// A serving replica's consumer, alone in a process so a test can SIGKILL it
// (tests/kafka/broker.cpp): consumes stream_test payments from a topic into a
// concurrent evaluator with kafka::consumer, snapshotting every N messages, until each
// assigned partition has been read to the given end offset; then a final snapshot.
//
//   skewless_kafka_stream_node BOOTSTRAP TOPIC SNAPSHOT EVERY END0,END1,... [PARTITIONS]
//
// Exit status: 0 done, 3 data loss, 1 any other error.
#include <skewless/kafka/consumer.hpp>
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/online/concurrent_evaluator.hpp>

#include "kafka/stream_events.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
std::vector<std::int64_t> numbers(const std::string& csv) {
  std::vector<std::int64_t> out;
  std::stringstream in(csv);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP TOPIC SNAPSHOT EVERY END0,END1,... [PARTITIONS]\n", argv[0]);
    return 1;
  }
  using FS = std::remove_cvref_t<decltype(stream_test::features)>;
  const std::vector<std::int64_t> end = numbers(argv[5]);
  skewless::kafka::consumer_options opt;
  opt.bootstrap_servers = argv[1];
  opt.topic = argv[2];
  opt.snapshot_path = argv[3];
  opt.snapshot_every = std::stoull(argv[4]);
  opt.stream.advance_every = 1000;
  opt.batch_messages = 500;
  if (argc > 6) {
    for (std::int64_t p : numbers(argv[6])) opt.partitions.push_back(static_cast<std::int32_t>(p));
  }
  skewless::online::concurrent_evaluator<FS> online(stream_test::features);
  skewless::kafka::consumer c(online, skewless::kafka::json_decoder<FS>(), opt);
  if (absl::Status s = c.start(); !s.ok()) {
    std::fprintf(stderr, "start: %s\n", std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kDataLoss ? 3 : 1;
  }
  absl::Status result;
  std::thread feed([&] { result = c.run(); });
  for (;;) {
    const skewless::kafka::consumer_metrics m = c.metrics();
    bool done = !m.partitions.empty();
    for (const auto& p : m.partitions) {
      const auto i = static_cast<std::size_t>(p.partition);
      if (i >= end.size() || p.next_offset < end[i]) done = false;
    }
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  c.stop();
  feed.join();
  if (!result.ok()) {
    std::fprintf(stderr, "run: %s\n", std::string(result.message()).c_str());
    return result.code() == absl::StatusCode::kDataLoss ? 3 : 1;
  }
  std::printf("restored %d\n", c.restored() ? 1 : 0);
  return 0;
}
