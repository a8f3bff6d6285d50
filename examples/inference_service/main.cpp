// The whole loop in one program: train a model on a training set the batch evaluator
// builds, serve it with features the Kafka consumer keeps fresh, check that serving
// equals training to the bit.
//
//   inference_service train --model model.txt                 # batch training set, Eigen fit
//   inference_service produce --bootstrap HOST:PORT --topic payments --rate 10000 --seconds 60
//   inference_service serve --bootstrap HOST:PORT --topic payments --model model.txt \
//                           --state /var/lib/svc/state.snap [--host 127.0.0.1] [--port 8080]
//   inference_service selftest --bootstrap HOST:PORT          # what ctest runs (below)
//
// selftest: trains, produces a live stream (with malformed messages) to a fresh topic,
// serves it, checks /predict against batch over the same events for 300 users (features
// and score, bit for bit), sends hostile requests (malformed JSON, wrong types, a huge
// body, a slow client, an unknown user, a time in the past), restarts the service from
// its snapshot, produces more, and checks again.
#include "data.hpp"
#include "model.hpp"
#include "service.hpp"

#include <skewless/batch/evaluate.hpp>
#include <skewless/kafka/partitioner.hpp>

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using inference::FS;
constexpr std::int64_t history_start_us = 1'793'491'200'000'000;  // 2026-11-01T00:00:00Z
constexpr std::int64_t users = 2000;

std::map<std::string, std::string> flags(int argc, char** argv, int from) {
  std::map<std::string, std::string> out;
  for (int i = from; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  return out;
}

std::string flag(const std::map<std::string, std::string>& f, const std::string& name,
                 const std::string& fallback = "") {
  auto it = f.find(name);
  if (it != f.end()) return it->second;
  if (fallback.empty()) {
    std::fprintf(stderr, "missing %s\n", name.c_str());
    std::exit(2);
  }
  return fallback;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "inference_service: %s\n", what.c_str());
  std::exit(1);
}

// The training set: every historical payment's features just before it (the batch
// evaluator's point-in-time rule), its amount and its label.
inference::model train(double* holdout_auc) {
  const auto history = inference::payments_from(users, 60'000, 1, history_start_us, 20'000'000);
  std::vector<payments::transaction> events;
  std::vector<skewless::spine_row<std::int64_t>> spine;
  for (const auto& l : history) {
    events.push_back(l.tx);
    spine.push_back({l.tx.user_id, l.tx.ts_us});
  }
  const auto rows = skewless::batch::evaluate(payments::features, events, spine);
  const auto n = static_cast<Eigen::Index>(history.size());
  const Eigen::Index train_rows = n * 4 / 5;  // the first 80% in time; the rest to evaluate
  std::vector<double> amounts;
  std::vector<bool> labels;
  for (Eigen::Index r = 0; r < train_rows; ++r) {
    amounts.push_back(history[static_cast<std::size_t>(r)].tx.amount);
    labels.push_back(history[static_cast<std::size_t>(r)].fraud);
  }
  const inference::model m = inference::fit(rows.values.topRows(train_rows), amounts, labels);
  // AUC on the later 20%: the chance a fraud scores above a legitimate payment.
  std::vector<std::pair<double, bool>> scored;
  for (Eigen::Index r = train_rows; r < n; ++r) {
    const Eigen::VectorXd row = rows.values.row(r).transpose();
    scored.push_back({m.score(row.data(), history[static_cast<std::size_t>(r)].tx.amount),
                      history[static_cast<std::size_t>(r)].fraud});
  }
  std::sort(scored.begin(), scored.end());
  double positives = 0, negatives = 0, rank_sum = 0;
  for (std::size_t i = 0; i < scored.size(); ++i) {
    if (scored[i].second) {
      positives += 1;
      rank_sum += static_cast<double>(i + 1);
    } else {
      negatives += 1;
    }
  }
  *holdout_auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
  return m;
}

rd_kafka_t* producer(const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", bootstrap},
           {"partitioner", "murmur2_random"},  // the partition kafka::partition_for gives
           {"enable.idempotence", "true"},
           {"linger.ms", "2"}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) die(err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) die(err);
  return rk;
}

void send(rd_kafka_t* rk, const std::string& topic, const std::string& key, const std::string& value) {
  for (;;) {
    const rd_kafka_resp_err_t e =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(rd_kafka_err2str(e));
    rd_kafka_poll(rk, 1);
  }
  rd_kafka_poll(rk, 0);
}

void flush_and_close(rd_kafka_t* rk) {
  if (rd_kafka_flush(rk, 60'000) != RD_KAFKA_RESP_ERR_NO_ERROR) die("the producer could not deliver");
  rd_kafka_destroy(rk);
}

int cmd_train(const std::map<std::string, std::string>& f) {
  double auc = 0;
  const inference::model m = train(&auc);
  if (absl::Status s = inference::save(m, flag(f, "--model")); !s.ok()) die(std::string(s.message()));
  std::printf("trained on the batch training set; AUC on the held-out later 20%%: %.3f\n", auc);
  return 0;
}

int cmd_produce(const std::map<std::string, std::string>& f) {
  const std::string topic = flag(f, "--topic", "payments");
  const double rate = std::stod(flag(f, "--rate", "10000"));
  const double seconds = std::stod(flag(f, "--seconds", "60"));
  rd_kafka_t* rk = producer(flag(f, "--bootstrap"));
  std::mt19937_64 rng(std::random_device{}());
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t sent = 0;
  for (;;) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed >= seconds) break;
    while (static_cast<double>(sent) < elapsed * rate) {
      const auto now =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      const auto batch = inference::payments_from(users, 1, rng(), now - 1, 1);
      send(rk, topic, std::to_string(batch[0].tx.user_id), inference::to_json(batch[0].tx));
      ++sent;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  flush_and_close(rk);
  std::printf("sent %lld payments\n", static_cast<long long>(sent));
  return 0;
}

std::atomic<bool> interrupted{false};

int cmd_serve(const std::map<std::string, std::string>& f) {
  auto m = inference::load(flag(f, "--model"));
  if (!m.ok()) die(std::string(m.status().message()));
  inference::service_options opt;
  opt.bootstrap_servers = flag(f, "--bootstrap");
  opt.topic = flag(f, "--topic", "payments");
  opt.state_path = flag(f, "--state");
  opt.host = flag(f, "--host", "127.0.0.1");
  opt.port = std::stoi(flag(f, "--port", "8080"));
  inference::service svc(*m, opt);
  if (absl::Status s = svc.start(); !s.ok()) die(std::string(s.message()));
  std::printf("serving on %s:%d (%s)\n", opt.host.c_str(), svc.port(),
              svc.restored() ? "restored from the snapshot" : "no snapshot: from the oldest retained offsets");
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGTERM, [](int) { interrupted = true; });
  while (!interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const absl::Status s = svc.stop();
  if (!s.ok()) die(std::string(s.message()));
  return 0;
}

// ---- selftest ----

int failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

double parse_number(const simdjson::dom::element& e) {
  if (e.is_null()) return std::numeric_limits<double>::quiet_NaN();
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    return s == "Infinity" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  }
  double d = 0;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  std::int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return -12345.678;  // not a number: fails the comparison
}

bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// /predict for `rows` against batch over `events`.
void check_predictions(int port, const inference::model& m, const std::vector<payments::transaction>& events,
                       const std::string& when) {
  std::int64_t last = 0;
  for (const auto& e : events) last = std::max(last, e.ts_us);
  std::vector<skewless::spine_row<std::int64_t>> spine;
  for (std::int64_t u = 0; u < 300; ++u) spine.push_back({u * 7 % users, last + 1 + u * 1'000'000});
  const auto expect = skewless::batch::evaluate(payments::features, events, spine);
  httplib::Client cli("127.0.0.1", port);
  simdjson::dom::parser parser;
  int compared = 0;
  for (std::size_t r = 0; r < spine.size(); ++r) {
    const double amount = 10.0 + static_cast<double>(r);
    const auto res = cli.Post(
        "/predict",
        absl::StrCat("{\"user_id\":", spine[r].key, ",\"amount\":", amount, ",\"as_of_us\":", spine[r].time_us, "}"),
        "application/json");
    if (!res || res->status != 200) {
      check(false, when + ": /predict answered " + (res ? std::to_string(res->status) + " " + res->body : "nothing"));
      continue;
    }
    simdjson::dom::element doc;
    if (parser.parse(res->body).get(doc) != simdjson::SUCCESS) {
      check(false, when + ": /predict's body is not JSON");
      continue;
    }
    const Eigen::VectorXd row = expect.values.row(static_cast<Eigen::Index>(r)).transpose();
    for (std::size_t i = 0; i < inference::n_features; ++i) {
      const double served = parse_number(doc["features"][std::string(FS::names()[i])].value_unsafe());
      check(same_bits(served, row(static_cast<Eigen::Index>(i))),
            when + ": user " + std::to_string(spine[r].key) + " " + std::string(FS::names()[i]) + " served " +
                std::to_string(served) + " batch " + std::to_string(row(static_cast<Eigen::Index>(i))));
    }
    check(same_bits(parse_number(doc["score"].value_unsafe()), m.score(row.data(), amount)),
          when + ": the score differs from the model over batch's features");
    ++compared;
  }
  std::printf("%s: /predict equals batch for %d users (10 features and the score, to the bit)\n", when.c_str(),
              compared);
}

void wait_consumed(const inference::service& svc, std::int64_t messages) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    std::int64_t read = 0;
    for (const auto& p : svc.consumer_metrics().partitions) read += p.next_offset;
    if (read >= messages) return;
    if (std::chrono::steady_clock::now() > deadline) die("the service did not consume the stream in 2 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// `at`: a time after the stream's events (the synthetic stream need not be near now).
void hostile_requests(int port, std::int64_t at) {
  const std::string as_of = absl::StrCat(",\"as_of_us\":", at, "}");
  httplib::Client cli("127.0.0.1", port);
  const auto post = [&](const std::string& body) { return cli.Post("/predict", body, "application/json"); };
  const auto expect = [&](const std::string& body, int status, const std::string& says, const std::string& what) {
    const auto res = post(body);
    check(res && res->status == status && res->body.find(says) != std::string::npos,
          what + ": got " + (res ? std::to_string(res->status) + " " + res->body : "no answer"));
  };
  expect("{\"user_id\":", 400, "one JSON object", "malformed JSON");
  expect("[1,2]", 400, "one JSON object", "an array");
  expect("{\"user_id\":\"abc\",\"amount\":1}", 400, "user_id must be an integer", "a string user_id");
  expect("{\"user_id\":1.5,\"amount\":1}", 400, "user_id must be an integer", "a fractional user_id");
  expect("{\"amount\":1}", 400, "user_id is missing", "no user_id");
  expect("{\"user_id\":1,\"amount\":\"lots\"}", 400, "amount must be a number", "a string amount");
  expect("{\"user_id\":1,\"amount\":1,\"as_of_us\":\"now\"}", 400, "as_of_us must be an integer", "a string time");
  expect("{\"user_id\":7,\"amount\":1,\"as_of_us\":1}", 400, "batch", "a time the state cannot answer");
  expect("{\"user_id\":987654321,\"amount\":1" + as_of, 200, "\"known\":false", "an unknown user");
  expect(std::string(100'000, ' '), 413, "", "a 100 kB body");
  // A slow client holds a connection without finishing its request: others are served
  // meanwhile, and it is disconnected after the read timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
  const std::string partial = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"user";
  check(::send(fd, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()), "send");
  const auto t0 = std::chrono::steady_clock::now();
  expect("{\"user_id\":7,\"amount\":1" + as_of, 200, "\"features\"", "a request beside a slow client");
  check(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(400), "served while a client is slow");
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[512];
  const ssize_t got = ::recv(fd, buf, sizeof buf, 0);  // 0: closed (or an error answer, then closed)
  check(got >= 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4), "the slow client is cut off");
  ::close(fd);
  const auto health = cli.Get("/healthz");
  check(health && health->status == 200 && health->body == "ok\n", "/healthz");
  const auto metrics = cli.Get("/metrics");
  check(metrics && metrics->status == 200, "/metrics");
  for (const char* line : {"skewless_ingest_events_total{outcome=\"accepted\"}",
                           "skewless_kafka_offset_lag{topic=", "skewless_read_latency_seconds_bucket{le=\"+Inf\"}",
                           "skewless_http_responses_total{code=\"400\"}", "skewless_http_responses_total{code=\"413\"}",
                           "status=\"wrong_type\"}"}) {
    check(metrics && metrics->body.find(line) != std::string::npos, std::string("/metrics has ") + line);
  }
  std::printf("hostile requests: each answered with its status and reason, the server never stalled\n");
}

int cmd_selftest(const std::map<std::string, std::string>& f) {
  const char* env = std::getenv("SKEWLESS_KAFKA_BOOTSTRAP");  // as ctest's broker fixture sets it
  const std::string bootstrap = flag(f, "--bootstrap", env != nullptr ? env : "");
  const auto dir = std::filesystem::temp_directory_path() / ("skewless-inference-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  double auc = 0;
  const inference::model m = train(&auc);
  const std::string model_path = (dir / "model.txt").string();
  if (absl::Status s = inference::save(m, model_path); !s.ok()) die(std::string(s.message()));
  std::printf("trained on the batch training set; AUC on the held-out later 20%%: %.3f\n", auc);
  check(auc > 0.7, "the model learned something");
  auto back = inference::load(model_path);
  check(back.ok() && inference::to_text(*back) == inference::to_text(m), "the model file reads back");
  std::string other = inference::to_text(m);
  other.replace(other.find("fingerprint ") + 12, 4, "dead");
  const auto refused = inference::from_text(other);
  check(!refused.ok() && refused.status().message().find("retrain") != std::string::npos,
        "a model of another definition is refused");

  const std::string topic = "inference-" + std::to_string(std::random_device{}());
  const auto live = inference::payments_from(users, 20'000, 2, history_start_us + 40LL * 86'400'000'000, 5'000'000);
  std::vector<payments::transaction> first, all;
  rd_kafka_t* rk = producer(bootstrap);
  std::int64_t produced = 0, bad = 0;
  for (std::size_t i = 0; i < live.size() / 2; ++i) {
    send(rk, topic, std::to_string(live[i].tx.user_id), inference::to_json(live[i].tx));
    first.push_back(live[i].tx);
    ++produced;
    if (i % 3000 == 0) {  // a producer's bug: a string for the user id
      send(rk, topic, std::to_string(live[i].tx.user_id), "{\"user_id\":\"oops\"}");
      ++produced;
      ++bad;
    }
  }
  flush_and_close(rk);

  inference::service_options opt{.bootstrap_servers = bootstrap,
                                 .topic = topic,
                                 .state_path = (dir / "state.snap").string(),
                                 .snapshot_every = 2000,
                                 .read_timeout = std::chrono::milliseconds(500)};
  {
    inference::service a(m, opt);
    if (absl::Status s = a.start(); !s.ok()) die(std::string(s.message()));
    check(!a.restored(), "the first start has no snapshot");
    wait_consumed(a, produced);
    std::uint64_t wrong_type = 0, refused = 0;
    for (const auto& p : a.consumer_metrics().partitions) {
      wrong_type += p.messages[static_cast<std::size_t>(skewless::kafka::decode_status::wrong_type)];
      for (std::size_t i = 1; i < skewless::kafka::decode_status_count; ++i) refused += p.messages[i];
    }
    check(wrong_type == static_cast<std::uint64_t>(bad) && refused == wrong_type,
          "the malformed messages were counted and skipped");
    check(a.consumer_metrics().quarantined == static_cast<std::uint64_t>(bad), "and quarantined");
    check_predictions(a.port(), m, first, "served from Kafka");
    hostile_requests(a.port(), first.back().ts_us + 3'600'000'000);
    check(a.stop().ok(), "the service stops cleanly");
  }
  rk = producer(bootstrap);
  all = first;
  for (std::size_t i = live.size() / 2; i < live.size(); ++i) {
    send(rk, topic, std::to_string(live[i].tx.user_id), inference::to_json(live[i].tx));
    all.push_back(live[i].tx);
    ++produced;
  }
  flush_and_close(rk);
  {
    inference::service b(m, opt);
    if (absl::Status s = b.start(); !s.ok()) die(std::string(s.message()));
    check(b.restored(), "the restart restores the snapshot");
    wait_consumed(b, produced);
    check_predictions(b.port(), m, all, "after a restart from the snapshot");
    check(b.stop().ok(), "the restarted service stops cleanly");
  }
  std::filesystem::remove_all(dir);
  if (failures != 0) {
    std::printf("%d checks failed\n", failures);
    return 1;
  }
  std::printf("OK: training and serving agree on every row\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s train|produce|serve|selftest [--flag value]...\n", argv[0]);
    return 2;
  }
  const std::string cmd = argv[1];
  const auto f = flags(argc, argv, 2);
  if (cmd == "train") return cmd_train(f);
  if (cmd == "produce") return cmd_produce(f);
  if (cmd == "serve") return cmd_serve(f);
  if (cmd == "selftest") return cmd_selftest(f);
  std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  return 2;
}
