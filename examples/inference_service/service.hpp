// The inference service: a Kafka consumer feeding a concurrent evaluator, and an HTTP
// server (cpp-httplib) that reads features and scores them with the model.
//
//   POST /predict  {"user_id": 42, "amount": 129.5[, "as_of_us": 1796083200000000]}
//                  -> {"user_id":42,"as_of_us":…,"known":true,"newest_event_us":…,
//                      "features":{"spend_1h":…,…},"score":0.0123,"fingerprint":"…"}
//   GET /metrics   Prometheus text: ingest outcomes, per-partition offsets, lag and
//                  message counts, snapshots, requests by code, read latency histogram
//   GET /healthz   200 "ok" while the consumer runs; 503 and the reason otherwise
//
// Requests are hostile input: a body over 4 KiB is refused (413), malformed JSON or a
// field of the wrong type gets 400 with the reason, an unknown user gets 200 with
// "known": false (its features as for a user never seen: counts 0, the rest missing),
// a time before what the state can answer gets 400. A client that sends nothing for
// read_timeout is disconnected. The server binds to 127.0.0.1 unless told otherwise: TLS
// and authentication belong to the proxy in front of it.
#pragma once

#include "model.hpp"

#include <skewless/kafka/consumer.hpp>
#include <skewless/kafka/json_decoder.hpp>
#include <skewless/online/concurrent_evaluator.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <httplib.h>
#include <simdjson.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace inference {

struct service_options {
  std::string bootstrap_servers;
  std::string topic = "payments";
  std::vector<std::int32_t> partitions;  // empty: all
  std::string state_path;                // the snapshot file
  std::uint64_t snapshot_every = 100'000;
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see port())
  std::chrono::milliseconds read_timeout{2000};
  std::size_t max_body = 4096;
};

// A JSON number for a feature value: 17 digits; NaN (missing) is null, infinities the
// strings the Kafka JSON decoder reads back.
inline void put_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "null";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
    out.append(buf, static_cast<std::size_t>(n));
  }
}

class service {
 public:
  using decoder = skewless::kafka::json_decoder<FS>;

  service(model m, service_options opt)
      : model_(m),
        opt_(std::move(opt)),
        online_(payments::features),
        consumer_(online_, decoder(), consumer_options(opt_)) {}
  ~service() { (void)stop(); }

  // Restores the state, starts consuming, binds the server and starts serving.
  absl::Status start() {
    if (model_.fingerprint != payments::features.fingerprint()) {
      return absl::FailedPreconditionError("the model was trained on another feature definition");
    }
    if (absl::Status s = consumer_.start(); !s.ok()) return s;
    restored_ = consumer_.restored();
    consuming_ = true;
    feed_ = std::thread([this] {
      absl::Status s = consumer_.run();
      std::lock_guard lock(mutex_);
      consumer_status_ = s;
      consuming_ = false;
    });
    server_.set_tcp_nodelay(true);
    server_.set_payload_max_length(opt_.max_body);
    server_.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(opt_.read_timeout));
    server_.set_write_timeout(std::chrono::seconds(2));
    server_.set_keep_alive_timeout(5);
    server_.Post("/predict", [this](const httplib::Request& req, httplib::Response& res) { predict(req, res); });
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { metrics(res); });
    server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) { healthz(res); });
    server_.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      reply_error(res, 500, "internal error");
    });
    server_.set_logger([this](const httplib::Request&, const httplib::Response& res) { count_status(res.status); });
    port_ = opt_.port == 0 ? server_.bind_to_any_port(opt_.host)
                           : (server_.bind_to_port(opt_.host, opt_.port) ? opt_.port : -1);
    if (port_ < 0) return absl::UnavailableError(absl::StrCat("cannot bind ", opt_.host, ":", opt_.port));
    serve_ = std::thread([this] { server_.listen_after_bind(); });
    return absl::OkStatus();
  }

  // Stops serving and consuming; the consumer writes a last snapshot.
  absl::Status stop() {
    if (serve_.joinable()) {
      server_.stop();
      serve_.join();
    }
    if (feed_.joinable()) {
      consumer_.stop();
      feed_.join();
    }
    std::lock_guard lock(mutex_);
    return consumer_status_;
  }

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] bool restored() const noexcept { return restored_; }
  [[nodiscard]] skewless::kafka::consumer_metrics consumer_metrics() const { return consumer_.metrics(); }

 private:
  static skewless::kafka::consumer_options consumer_options(const service_options& o) {
    skewless::kafka::consumer_options c;
    c.bootstrap_servers = o.bootstrap_servers;
    c.topic = o.topic;
    c.partitions = o.partitions;
    c.snapshot_path = o.state_path;
    c.snapshot_every = o.snapshot_every;
    c.group_id = "skewless-inference-service";
    return c;
  }

  void reply_error(httplib::Response& res, int status, std::string_view why) {
    res.status = status;
    std::string body = "{\"error\":\"";
    for (char c : why) {
      if (c == '"' || c == '\\') body += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) body += c;
    }
    body += "\"}\n";
    res.set_content(body, "application/json");
  }

  void predict(const httplib::Request& req, httplib::Response& res) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(req.body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      return reply_error(res, 400, "the body must be one JSON object");
    }
    std::int64_t user = 0;
    if (auto e = doc["user_id"]; e.error() == simdjson::NO_SUCH_FIELD) {
      return reply_error(res, 400, "user_id is missing");
    } else if (e.get_int64().get(user) != simdjson::SUCCESS) {
      return reply_error(res, 400, "user_id must be an integer");
    }
    double amount = 0;
    if (auto e = doc["amount"]; e.error() == simdjson::NO_SUCH_FIELD) {
      return reply_error(res, 400, "amount is missing");
    } else if (e.get_double().get(amount) != simdjson::SUCCESS) {
      std::int64_t whole = 0;
      if (e.get_int64().get(whole) != simdjson::SUCCESS) return reply_error(res, 400, "amount must be a number");
      amount = static_cast<double>(whole);
    }
    std::int64_t as_of =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    if (auto e = doc["as_of_us"];
        e.error() != simdjson::NO_SUCH_FIELD && e.get_int64().get(as_of) != simdjson::SUCCESS) {
      return reply_error(res, 400, "as_of_us must be an integer (microseconds since the epoch)");
    }
    skewless::feature_vector<FS> v;
    skewless::online::read_info info;
    const auto t0 = std::chrono::steady_clock::now();
    const absl::Status s = online_.features(user, as_of, v, info);
    record_latency(std::chrono::steady_clock::now() - t0);
    if (!s.ok()) return reply_error(res, 400, std::string(s.message()));
    const double score = model_.score(v.data(), amount);
    std::string body = absl::StrCat("{\"user_id\":", user, ",\"as_of_us\":", as_of,
                                    ",\"known\":", info.known_entity ? "true" : "false", ",\"newest_event_us\":");
    if (info.known_entity) body += std::to_string(info.newest_event_us);
    else body += "null";
    body += ",\"features\":{";
    for (std::size_t i = 0; i < n_features; ++i) {
      if (i > 0) body += ',';
      absl::StrAppend(&body, "\"", std::string(FS::names()[i]), "\":");
      put_number(body, v[static_cast<Eigen::Index>(i)]);
    }
    body += "},\"score\":";
    put_number(body, score);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(model_.fingerprint));
    absl::StrAppend(&body, ",\"fingerprint\":\"", std::string(hex), "\"}\n");
    res.set_content(body, "application/json");
  }

  void healthz(httplib::Response& res) {
    std::lock_guard lock(mutex_);
    if (consuming_) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(absl::StrCat("the consumer stopped: ", consumer_status_.ToString(), "\n"), "text/plain");
    }
  }

  void metrics(httplib::Response& res) {
    const auto now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::string out;
    skewless::kafka::write_prometheus(out, consumer_.metrics(), now_us);
    absl::StrAppend(&out, "# HELP skewless_entities Entities with state in this replica.\n",
                    "# TYPE skewless_entities gauge\nskewless_entities ", online_.entity_count(), "\n");
    out +=
        "# HELP skewless_http_responses_total HTTP responses by status code.\n"
        "# TYPE skewless_http_responses_total counter\n";
    for (std::size_t i = 0; i < codes_.size(); ++i) {
      const std::uint64_t n = codes_[i].load(std::memory_order_relaxed);
      if (n != 0) absl::StrAppend(&out, "skewless_http_responses_total{code=\"", 100 + i, "\"} ", n, "\n");
    }
    out +=
        "# HELP skewless_read_latency_seconds Time to read one user's features.\n"
        "# TYPE skewless_read_latency_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bucket_ns.size(); ++i) {
      cumulative += buckets_[i].load(std::memory_order_relaxed);
      absl::StrAppend(&out, "skewless_read_latency_seconds_bucket{le=\"", static_cast<double>(bucket_ns[i]) * 1e-9,
                      "\"} ", cumulative, "\n");
    }
    cumulative += buckets_[bucket_ns.size()].load(std::memory_order_relaxed);
    absl::StrAppend(&out, "skewless_read_latency_seconds_bucket{le=\"+Inf\"} ", cumulative, "\n",
                    "skewless_read_latency_seconds_sum ",
                    static_cast<double>(latency_sum_ns_.load(std::memory_order_relaxed)) * 1e-9, "\n",
                    "skewless_read_latency_seconds_count ", cumulative, "\n");
    res.set_content(out, "text/plain; version=0.0.4");
  }

  void record_latency(std::chrono::steady_clock::duration d) {
    const auto ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    std::size_t b = 0;
    while (b < bucket_ns.size() && ns > bucket_ns[b]) ++b;
    buckets_[b].fetch_add(1, std::memory_order_relaxed);
    latency_sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  }
  void count_status(int status) {
    if (status >= 100 && status < 600)
      codes_[static_cast<std::size_t>(status - 100)].fetch_add(1, std::memory_order_relaxed);
  }

  static constexpr std::array<std::uint64_t, 10> bucket_ns = {250,    500,    1'000,   2'000,     5'000,
                                                              10'000, 50'000, 100'000, 1'000'000, 10'000'000};

  model model_;
  service_options opt_;
  skewless::online::concurrent_evaluator<FS> online_;
  skewless::kafka::consumer<skewless::online::concurrent_evaluator<FS>, decoder> consumer_;
  httplib::Server server_;
  std::thread feed_, serve_;
  int port_ = -1;
  bool restored_ = false;
  mutable std::mutex mutex_;
  bool consuming_ = false;
  absl::Status consumer_status_;
  std::array<std::atomic<std::uint64_t>, bucket_ns.size() + 1> buckets_{};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
  std::array<std::atomic<std::uint64_t>, 500> codes_{};
};

}  // namespace inference
