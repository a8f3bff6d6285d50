// The Kafka consumer on loopback, beside the evaluator's own batched ingest of the same
// events and a hand-written consumer doing the same work (librdkafka batches, simdjson by
// hand, ingest), then freshness: produce -> visible in a read at a steady rate.
//
//   scripts/kafka-broker.sh start /tmp/kafka-bench
//   SKEWLESS_KAFKA_BOOTSTRAP=$(cat /tmp/kafka-bench/bootstrap) build/bench/bench_kafka_consumer
//
// 1M payments of 10,000 users (the 10-feature set) as JSON, 4 partitions keyed by user.
// Throughput: from start() until every message is applied (decoding on the consumer's
// second thread), best of 3. Freshness: a producer sends at FRESHNESS_RATE events/s
// (default 100,000) for 5 s; one probe user's event every millisecond carries its send
// time as event time, and a reader thread polls that user's newest event time: the delay
// from send to the first read that shows it, p50 / p99.
#include "common.hpp"
#include "payments.hpp"

#include <skewless/kafka/binary_decoder.hpp>
#include <skewless/kafka/consumer.hpp>
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/kafka/partitioner.hpp>
#include <skewless/online/concurrent_evaluator.hpp>

#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

using FS = bench::features10_t;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "kafka_consumer: %s\n", what.c_str());
  std::exit(1);
}

rd_kafka_t* make(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) die(err);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) die(err);
  return rk;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sends messages keyed by user (murmur2, the partition partition_for gives); at `rate`
// messages a second if given.
class producer {
 public:
  // Bulk: record batches of up to 1 MB (linger 20 ms), as a high-rate producer sends;
  // otherwise 1 ms linger, for latency.
  explicit producer(const std::string& bootstrap, bool bulk = false)
      : rk_(make(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                     {"linger.ms", bulk ? "20" : "1"},
                                     {"batch.size", bulk ? "1000000" : "16384"},
                                     {"partitioner", "murmur2_random"},
                                     {"queue.buffering.max.messages", "1000000"}})) {}
  ~producer() {
    rd_kafka_flush(rk_, 60'000);
    rd_kafka_destroy(rk_);
  }
  void send(const std::string& topic, const std::string& key, const std::string& value) {
    for (;;) {
      const rd_kafka_resp_err_t e =
          rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_KEY(key.data(), key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(rd_kafka_err2str(e));
      rd_kafka_poll(rk_, 1);
    }
    rd_kafka_poll(rk_, 0);
  }
  void flush() {
    if (rd_kafka_flush(rk_, 60'000) != RD_KAFKA_RESP_ERR_NO_ERROR) die("flush");
  }

 private:
  rd_kafka_t* rk_;
};

// Extra librdkafka settings for both consumers: KAFKA_SETTINGS="key=value,key=value".
std::vector<std::pair<std::string, std::string>> extra_settings() {
  std::vector<std::pair<std::string, std::string>> out;
  const char* s = std::getenv("KAFKA_SETTINGS");
  std::string all = s != nullptr ? s : "";
  std::size_t at = 0;
  while (at < all.size()) {
    std::size_t comma = all.find(',', at);
    if (comma == std::string::npos) comma = all.size();
    const std::string item = all.substr(at, comma - at);
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos) out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    at = comma + 1;
  }
  return out;
}

template <class F> double best_of(int reps, F f) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) best = std::min(best, f());
  return best;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main() {
  const char* b = std::getenv("SKEWLESS_KAFKA_BOOTSTRAP");
  if (b == nullptr || *b == '\0') die("set SKEWLESS_KAFKA_BOOTSTRAP (scripts/kafka-broker.sh start DIR)");
  const std::string bootstrap = b;
  const std::int64_t n = bench::size(1'000'000);
  const std::int64_t users = bench::size(10'000);
  const std::vector<bench::payment> events = bench::generate(users, n, 11);
  std::random_device rd;
  const std::string topic = "bench-payments-" + std::to_string(rd());
  const std::string binary_topic = topic + "-binary";
  using binary = skewless::kafka::binary_decoder<FS>;
  {
    producer p(bootstrap, std::getenv("BULK") != nullptr);
    for (const auto& e : events) p.send(topic, std::to_string(e.user), bench::to_json(e));
    for (const auto& e : events) p.send(binary_topic, std::to_string(e.user), binary::encode(e));
    p.flush();
  }
  constexpr std::int32_t partitions = 4;  // the test broker's num.partitions
  std::vector<std::int64_t> end(partitions, 0);
  for (const auto& e : events) ++end[skewless::kafka::partition_for(std::to_string(e.user), partitions)];

  // The evaluator alone: the same events, in each partition's order, in batches of 4096.
  std::vector<bench::payment> ordered;
  for (std::int32_t p = 0; p < partitions; ++p) {
    for (const auto& e : events) {
      if (skewless::kafka::partition_for(std::to_string(e.user), partitions) == p) ordered.push_back(e);
    }
  }
  const double t_ingest = best_of(3, [&] {
    skewless::online::evaluator<FS> online(bench::features10);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < ordered.size(); i += 4096) {
      online.ingest(std::span(ordered).subspan(i, std::min<std::size_t>(4096, ordered.size() - i)));
    }
    return seconds_since(t0);
  });

  // kafka::consumer: start (metadata, offsets, assign) to the last message applied.
  int run_id = 0;
  std::uint64_t accepted = 0;
  auto consume_all = [&](const std::string& from, auto make_decoder) {
    return best_of(3, [&] {
      skewless::online::evaluator<FS> online(bench::features10);
      skewless::kafka::consumer_options opt{.bootstrap_servers = bootstrap, .topic = from};
      opt.group_id = "bench-" + std::to_string(++run_id);
      opt.settings = extra_settings();
      skewless::kafka::consumer c(online, make_decoder(), opt);
      const auto t0 = std::chrono::steady_clock::now();
      if (absl::Status s = c.start(); !s.ok()) die(std::string(s.message()));
      absl::Status result;
      std::thread feed([&] { result = c.run(); });
      for (;;) {
        const auto m = c.metrics();
        bool done = true;
        for (const auto& p : m.partitions) done = done && p.next_offset >= end[static_cast<std::size_t>(p.partition)];
        if (done) break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      const double t = seconds_since(t0);
      c.stop();
      feed.join();
      if (!result.ok()) die(std::string(result.message()));
      accepted = online.counters().accepted();
      return t;
    });
  };
  const double t_consumer = consume_all(topic, [] { return skewless::kafka::json_decoder<FS>(); });
  if (accepted != events.size()) die("the consumer did not ingest every event");
  const double t_consumer_binary = consume_all(binary_topic, [] { return binary(); });
  if (accepted != events.size()) die("the binary consumer did not ingest every event");
  if (accepted != events.size()) die("the consumer did not ingest every event");

  // The hand-written baseline: one thread, librdkafka batches, simdjson by hand, ingest;
  // and the same loop doing nothing with the messages: what broker and librdkafka deliver.
  auto hand_written = [&](bool work) {
    return best_of(3, [&] {
      skewless::online::evaluator<FS> online(bench::features10);
      std::vector<std::pair<std::string, std::string>> settings = {
          {"bootstrap.servers", bootstrap},    {"group.id", "bench-hand-" + std::to_string(++run_id)},
          {"enable.auto.commit", "false"},     {"fetch.wait.max.ms", "10"},
          {"queued.min.messages", "10000000"}, {"queued.max.messages.kbytes", "1048576"}};
      for (const auto& kv : extra_settings()) settings.push_back(kv);
      rd_kafka_t* rk = make(RD_KAFKA_CONSUMER, settings);
      const auto t0 = std::chrono::steady_clock::now();
      rd_kafka_poll_set_consumer(rk);
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
      for (std::int32_t p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
      }
      rd_kafka_assign(rk, list);
      rd_kafka_topic_partition_list_destroy(list);
      rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk);
      std::vector<rd_kafka_message_t*> raw(8192);
      std::vector<bench::payment> batch;
      simdjson::dom::parser parser;
      std::int64_t left = n, decoded = 0;
      while (left > 0) {
        ssize_t got = rd_kafka_consume_batch_queue(q, 0, raw.data(), raw.size());
        if (got == 0) got = rd_kafka_consume_batch_queue(q, 50, raw.data(), 1);
        batch.clear();
        for (ssize_t i = 0; i < got; ++i) {
          rd_kafka_message_t* m = raw[static_cast<std::size_t>(i)];
          if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            simdjson::dom::element doc;
            std::int64_t user = 0, ts = 0;
            double amount = 0;
            if (work && !parser.parse(static_cast<const char*>(m->payload), m->len).get(doc) &&
                !doc["user"].get(user) && !doc["ts"].get(ts) && !doc["amount"].get(amount)) {
              batch.push_back({user, ts, amount});
            }
            --left;
          }
          rd_kafka_message_destroy(m);
        }
        if (work)
          decoded += static_cast<std::int64_t>(online.ingest(std::span<const bench::payment>(batch)).accepted());
      }
      const double t = seconds_since(t0);
      rd_kafka_queue_destroy(q);
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
      if (work && decoded != n) die("the hand-written consumer lost events");
      return t;
    });
  };
  const double t_hand = hand_written(true);
  const double t_fetch = hand_written(false);

  const double m = static_cast<double>(n) / 1e6;
  std::printf("%lld JSON messages, %d partitions, %lld users, the 10-feature payments set, loopback broker\n",
              static_cast<long long>(n), partitions, static_cast<long long>(users));
  std::printf("evaluator ingest alone, batches of 4096  %6.2f M events/s\n", m / t_ingest);
  std::printf("kafka::consumer (fetch+decode | apply)   %6.2f M events/s  = %.0f%% of ingest alone\n", m / t_consumer,
              100.0 * t_ingest / t_consumer);
  std::printf("kafka::consumer, binary_decoder         %6.2f M events/s  = %.0f%% of ingest alone\n",
              m / t_consumer_binary, 100.0 * t_ingest / t_consumer_binary);
  std::printf("hand-written consumer, one thread        %6.2f M events/s  kafka::consumer takes %.2fx its time\n",
              m / t_hand, t_consumer / t_hand);
  std::printf("fetch only (librdkafka + broker ceiling)  %6.2f M events/s  kafka::consumer reaches %.0f%% of it\n",
              m / t_fetch, 100.0 * t_fetch / t_consumer);

  // Freshness at a steady rate.
  const char* r = std::getenv("FRESHNESS_RATE");
  const double rate = r != nullptr ? std::strtod(r, nullptr) : 100'000.0;
  const double seconds = bench::smoke() ? 0.5 : 5.0;
  const std::string live = topic + "-live";
  {
    producer p(bootstrap);  // creates the topic before the consumer looks it up
    p.send(live, "0", bench::to_json(bench::payment{0, now_us(), 1.0}));
    p.flush();
  }
  skewless::online::concurrent_evaluator<FS> online(bench::features10);
  skewless::kafka::consumer_options opt{.bootstrap_servers = bootstrap, .topic = live};
  opt.stream.watermark_delay = std::chrono::hours(1);
  skewless::kafka::consumer c(online, skewless::kafka::json_decoder<FS>(), opt);
  if (absl::Status s = c.start(); !s.ok()) die(std::string(s.message()));
  absl::Status result;
  std::thread feed([&] { result = c.run(); });
  std::atomic<bool> producing{true};
  std::vector<double> delays_ms;
  std::thread reader([&] {
    constexpr std::int64_t probe = -1;  // a user of its own
    skewless::feature_vector<FS> v;
    std::int64_t seen = 0;
    while (producing.load(std::memory_order_relaxed)) {
      skewless::online::read_info info;
      const std::int64_t t = now_us();
      if (online.features(probe, t + 1'000'000, v, info).ok() && info.known_entity && info.newest_event_us != seen) {
        seen = info.newest_event_us;
        delays_ms.push_back(static_cast<double>(t - seen) / 1e3);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // 2 cores: leave them to the work
    }
  });
  std::int64_t sent = 0;
  {
    producer p(bootstrap);
    std::mt19937_64 rng(5);
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t next_probe_us = 0;
    while (seconds_since(t0) < seconds) {
      const double elapsed = seconds_since(t0);
      while (static_cast<double>(sent) < elapsed * rate) {
        const auto user = static_cast<std::int64_t>(rng() % 10'000);
        p.send(live, std::to_string(user),
               bench::to_json(bench::payment{user, now_us(), static_cast<double>(rng() % 10'000) / 100.0}));
        ++sent;
      }
      const std::int64_t e_us = static_cast<std::int64_t>(elapsed * 1e6);
      if (e_us >= next_probe_us) {
        p.send(live, "-1", bench::to_json(bench::payment{-1, now_us(), 1.0}));
        next_probe_us = e_us + 1000;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  producing = false;
  reader.join();
  c.stop();
  feed.join();
  if (!result.ok()) die(std::string(result.message()));
  if (delays_ms.size() < 10) die("too few probe reads");
  std::sort(delays_ms.begin(), delays_ms.end());
  const auto q = [&](double f) {
    return delays_ms[static_cast<std::size_t>(f * static_cast<double>(delays_ms.size() - 1))];
  };
  std::printf(
      "freshness at %.0f events/s for %.0f s (%lld sent, %zu probes seen): produce -> read p50 %.2f ms, "
      "p99 %.2f ms, max %.2f ms\n",
      static_cast<double>(sent) / seconds, seconds, static_cast<long long>(sent), delays_ms.size(), q(0.5), q(0.99),
      delays_ms.back());
  return 0;
}
