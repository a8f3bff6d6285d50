// skewless/kafka/consumer.hpp — a Kafka consumer (librdkafka) that feeds an evaluator,
// with its positions in the evaluator's snapshots so a restart is exact.
//
//   skewless::online::concurrent_evaluator online(features);
//   skewless::kafka::consumer c(online, skewless::kafka::json_decoder<decltype(features)>(),
//                               {.bootstrap_servers = "127.0.0.1:9092", .topic = "payments",
//                                .partitions = {0, 1},                  // this replica's share
//                                .snapshot_path = "/var/lib/svc/state.snap"});
//   if (absl::Status s = c.start(); !s.ok()) die(s);   // restores, checks offsets, assigns
//   std::jthread feed([&] { absl::Status s = c.run(); ... });   // until c.stop()
//   // other threads read online.features(...) and c.metrics()
//
// start(): restores the snapshot at snapshot_path if there is one (a snapshot that does
// not restore — corrupt, another definition — stops the start: nothing is guessed),
// asks the broker for each partition's low and high offsets, and assigns each partition
// at its stored next offset (a partition without one starts at its low offset). A stored
// offset below the low offset means retention deleted messages the state never had:
// DataLoss, never a silent reset; one beyond the high offset (the topic was recreated)
// is refused the same way.
//
// run(): a decoding thread fetches messages in batches and decodes them; the calling
// thread applies each batch (kafka::stream: ingest, counts, positions, watermark), takes
// a snapshot every snapshot_every messages (atomic file: state and positions together),
// then commits the snapshot's offsets to Kafka under group_id — for lag monitoring only;
// a restart never reads them. A message the decoder refuses is counted by reason and
// handed to the quarantine callback (a dead-letter sink) on the applying thread; it never
// stops its partition. Retention deleting offsets the consumer has not read yet ends
// run() with DataLoss; a broker that goes away is waited for (librdkafka reconnects).
//
// The partitions are assigned, not subscribed: no consumer-group rebalancing moves them,
// so a replica keeps exactly the entities of its partitions (kafka::partition_for routes
// requests to it).
#pragma once

#include <skewless/kafka/message.hpp>
#include <skewless/kafka/positions.hpp>
#include <skewless/kafka/stream.hpp>
#include <skewless/online/outcomes.hpp>
#include <skewless/serial/snapshot.hpp>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace skewless::inline v1::kafka {

struct consumer_options {
  std::string bootstrap_servers;  // "host:port[,host:port...]"
  std::string topic;
  std::vector<std::int32_t> partitions;      // this replica's; empty: every partition of the topic
  std::string snapshot_path;                 // empty: no snapshots, nothing restored
  std::uint64_t snapshot_every = 1'000'000;  // messages between snapshots (0: only snapshot())
  std::string group_id = "skewless";         // where offsets are committed after a snapshot
  bool commit_offsets = true;
  stream_options stream;              // the watermark (kafka/stream.hpp)
  std::size_t batch_messages = 8192;  // the most messages fetched and applied at once
  std::chrono::milliseconds poll_timeout{50};
  bool headers = false;  // hand message headers to the decoder
  std::chrono::milliseconds metadata_timeout{10'000};
  std::vector<std::pair<std::string, std::string>> settings;  // more librdkafka settings
};

struct partition_metrics {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  std::int64_t high_watermark = -1;  // the log's end offset as last fetched; -1 unknown
  std::int64_t newest_event_us = no_time;
  std::array<std::uint64_t, decode_status_count> messages{};  // by decode_status
  [[nodiscard]] std::int64_t offset_lag() const noexcept {
    return high_watermark < 0 ? -1 : std::max<std::int64_t>(0, high_watermark - next_offset);
  }
};

struct consumer_metrics {
  std::vector<partition_metrics> partitions;
  online::ingest_counters ingest;  // outcomes of the decoded events since start
  std::uint64_t quarantined = 0;   // refused messages handed to the quarantine callback
  std::uint64_t batches = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t snapshot_failures = 0;
  std::uint64_t transient_errors = 0;  // broker connection errors librdkafka retries
  std::int64_t watermark_us = no_time;
};

// Appends the metrics in the Prometheus text exposition format (version 0.0.4):
// skewless_kafka_* per partition (next offset, high watermark, offset lag, time lag =
// now_us - newest event time, messages by status) and the consumer's totals.
inline void write_prometheus(std::string& out, const consumer_metrics& m, std::int64_t now_us) {
  const auto family = [&](absl::string_view name, absl::string_view type, absl::string_view help) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  };
  const auto labels = [](const partition_metrics& p) {
    return absl::StrCat("{topic=\"", p.topic, "\",partition=\"", p.partition, "\"}");
  };
  family("skewless_kafka_next_offset", "gauge", "The offset of the next message to read.");
  for (const auto& p : m.partitions)
    absl::StrAppend(&out, "skewless_kafka_next_offset", labels(p), " ", p.next_offset, "\n");
  family("skewless_kafka_high_watermark", "gauge", "The partition's end offset as last fetched.");
  for (const auto& p : m.partitions) {
    if (p.high_watermark >= 0)
      absl::StrAppend(&out, "skewless_kafka_high_watermark", labels(p), " ", p.high_watermark, "\n");
  }
  family("skewless_kafka_offset_lag", "gauge", "Messages in the partition not read yet.");
  for (const auto& p : m.partitions) {
    if (p.high_watermark >= 0) absl::StrAppend(&out, "skewless_kafka_offset_lag", labels(p), " ", p.offset_lag(), "\n");
  }
  family("skewless_kafka_time_lag_seconds", "gauge", "Now less the newest event time read from the partition.");
  for (const auto& p : m.partitions) {
    if (p.newest_event_us != no_time) {
      absl::StrAppend(&out, "skewless_kafka_time_lag_seconds", labels(p), " ",
                      static_cast<double>(now_us - p.newest_event_us) * 1e-6, "\n");
    }
  }
  family("skewless_kafka_messages_total", "counter", "Messages read, by what became of them.");
  for (const auto& p : m.partitions) {
    for (std::size_t i = 0; i < decode_status_count; ++i) {
      absl::StrAppend(&out, "skewless_kafka_messages_total{topic=\"", p.topic, "\",partition=\"", p.partition,
                      "\",status=\"", std::string(name_of(static_cast<decode_status>(i))), "\"} ", p.messages[i], "\n");
    }
  }
  family("skewless_ingest_events_total", "counter", "Decoded events by the evaluator's outcome.");
  for (std::size_t i = 0; i < online::ingest_outcome_count; ++i) {
    absl::StrAppend(&out, "skewless_ingest_events_total{outcome=\"",
                    std::string(online::to_string(static_cast<online::ingest_outcome>(i))), "\"} ",
                    m.ingest.by_outcome[i], "\n");
  }
  family("skewless_kafka_quarantined_total", "counter", "Refused messages handed to the quarantine callback.");
  absl::StrAppend(&out, "skewless_kafka_quarantined_total ", m.quarantined, "\n");
  family("skewless_snapshots_total", "counter", "Snapshots written.");
  absl::StrAppend(&out, "skewless_snapshots_total ", m.snapshots, "\n");
  family("skewless_snapshot_failures_total", "counter", "Snapshots that failed to write.");
  absl::StrAppend(&out, "skewless_snapshot_failures_total ", m.snapshot_failures, "\n");
  family("skewless_kafka_transient_errors_total", "counter", "Broker errors librdkafka retries.");
  absl::StrAppend(&out, "skewless_kafka_transient_errors_total ", m.transient_errors, "\n");
  if (m.watermark_us != no_time) {
    family("skewless_watermark_seconds", "gauge", "The stream watermark last applied (advance_to), Unix seconds.");
    absl::StrAppend(&out, "skewless_watermark_seconds ", static_cast<double>(m.watermark_us) * 1e-6, "\n");
  }
}

namespace kafka_internal {
struct rd_deleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
template <class T> using rd_ptr = std::unique_ptr<T, rd_deleter>;
}  // namespace kafka_internal

template <class Evaluator, class Decoder> class consumer {
 public:
  using stream_type = stream<Evaluator>;
  using event_type = typename stream_type::event_type;
  using feature_set_type = typename stream_type::feature_set_type;
  static_assert(message_decoder<Decoder, event_type>,
                "skewless::kafka::consumer: the decoder must be callable as "
                "decode_status(const kafka::message&, Event&, std::string*)");

  consumer(Evaluator& ev, Decoder decode, consumer_options opt)
      : ev_(&ev), decode_(std::move(decode)), opt_(std::move(opt)) {}
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;
  ~consumer() { stop(); }

  // Called on the applying thread for each refused message, in offset order.
  void set_quarantine(typename stream_type::quarantine_fn f) { quarantine_ = std::move(f); }

  [[nodiscard]] absl::Status start() {
    if (!stream_positions::valid_topic(opt_.topic)) {
      return absl::InvalidArgumentError(
          absl::StrCat("skewless::kafka::consumer: '", opt_.topic, "' is not a topic name Kafka allows"));
    }
    if (!opt_.snapshot_path.empty() && std::filesystem::exists(opt_.snapshot_path)) {
      stream_state<Evaluator> state(*ev_, positions_);
      if (absl::Status s = serial::read_snapshot(state, opt_.snapshot_path); !s.ok()) return s;
      restored_ = true;
    }
    if (absl::Status s = connect(); !s.ok()) return s;
    std::vector<std::int32_t> parts = opt_.partitions;
    if (parts.empty()) {
      auto all = topic_partitions();
      if (!all.ok()) return all.status();
      parts = *std::move(all);
    }
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    kafka_internal::rd_ptr<rd_kafka_topic_partition_list_t> list(
        rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
    std::vector<topic_partition> assigned;
    for (const std::int32_t p : parts) {
      if (p < 0) return absl::InvalidArgumentError(absl::StrCat("skewless::kafka::consumer: partition ", p));
      std::int64_t low = 0, high = 0;
      const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk_.get(), opt_.topic.c_str(), p, &low, &high,
                                                                       static_cast<int>(opt_.metadata_timeout.count()));
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::UnavailableError(absl::StrCat("skewless::kafka::consumer: the offsets of ", opt_.topic, "/", p,
                                                   ": ", rd_kafka_err2str(err)));
      }
      const partition_position* stored = positions_.find(opt_.topic, p);
      std::int64_t from = low;
      if (stored != nullptr) {
        from = stored->next_offset;
        if (from < low) {
          return absl::DataLossError(
              absl::StrCat("skewless::kafka::consumer: ", opt_.topic, "/", p, " starts at offset ", low,
                           " but the snapshot's state stops before offset ", from, ": messages ", from, "..", low - 1,
                           " were deleted (retention) before they were read. Refusing to skip them; restore an older "
                           "snapshot with a longer retention, or rebuild the state from history"));
        }
        if (from > high) {
          return absl::DataLossError(absl::StrCat("skewless::kafka::consumer: ", opt_.topic, "/", p, " ends at offset ",
                                                  high, " but the snapshot has read up to ", from,
                                                  ": the topic was recreated or truncated"));
        }
      } else {
        positions_.at(opt_.topic, p).next_offset = low;
      }
      rd_kafka_topic_partition_list_add(list.get(), opt_.topic.c_str(), p)->offset = from;
      assigned.push_back({opt_.topic, p});
    }
    stream_ = std::make_unique<stream_type>(*ev_, positions_, assigned, opt_.stream);
    stream_->set_quarantine([this](const refused_message& m) {
      ++quarantined_;
      if (quarantine_) quarantine_(m);
    });
    slot_of_partition_.clear();
    for (std::size_t i = 0; i < assigned.size(); ++i) {
      const auto p = static_cast<std::size_t>(assigned[i].partition);
      if (slot_of_partition_.size() <= p) slot_of_partition_.resize(p + 1, -1);
      slot_of_partition_[p] = static_cast<std::int64_t>(i);
    }
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("skewless::kafka::consumer: assign: ", rd_kafka_err2str(err)));
    }
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
    publish_metrics();
    return absl::OkStatus();
  }

  // Whether start() restored a snapshot.
  [[nodiscard]] bool restored() const noexcept { return restored_; }

  // Fetches, decodes and applies one batch on this thread (waiting up to poll_timeout for
  // the first message); the number of messages applied, or a fatal error.
  absl::StatusOr<std::size_t> poll() {
    decoded_batch<event_type> b;
    if (absl::Status s = fetch(b); !s.ok()) return s;
    const std::size_t n = b.size();
    if (absl::Status s = apply(b); !s.ok()) return s;
    return n;
  }

  // Fetches and decodes on a second thread while this one applies, until stop() or a
  // fatal error (returned). Takes a snapshot before returning after stop().
  absl::Status run() {
    stopping_ = false;
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::unique_ptr<decoded_batch<event_type>>> ready, free;
    for (int i = 0; i < 3; ++i) free.push_back(std::make_unique<decoded_batch<event_type>>());
    absl::Status fetch_error;
    bool fetch_done = false;
    std::thread fetcher([&] {
      for (;;) {
        std::unique_ptr<decoded_batch<event_type>> b;
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return !free.empty() || stopping_; });
          if (stopping_) break;
          b = std::move(free.front());
          free.pop_front();
        }
        b->clear();
        absl::Status s = fetch(*b);
        std::lock_guard lock(m);
        if (!s.ok()) {
          fetch_error = std::move(s);
          stopping_ = true;
          break;
        }
        if (b->empty()) free.push_back(std::move(b));
        else ready.push_back(std::move(b));
        cv.notify_all();
      }
      std::lock_guard lock(m);
      fetch_done = true;
      cv.notify_all();
    });
    absl::Status result;
    for (;;) {
      std::unique_ptr<decoded_batch<event_type>> b;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return !ready.empty() || fetch_done; });
        if (ready.empty()) break;
        b = std::move(ready.front());
        ready.pop_front();
      }
      absl::Status s = apply(*b);
      std::lock_guard lock(m);
      free.push_back(std::move(b));
      cv.notify_all();
      if (!s.ok()) {
        result = std::move(s);
        stopping_ = true;
        cv.notify_all();
      }
    }
    fetcher.join();
    if (result.ok()) result = fetch_error;
    if (result.ok() && !opt_.snapshot_path.empty()) result = snapshot();
    return result;
  }

  // Asks run() to return (from any thread).
  void stop() noexcept { stopping_ = true; }

  // Writes a snapshot now (the applying thread only: inside a quarantine callback, or
  // when run() is not running), then commits its offsets.
  absl::Status snapshot() {
    if (opt_.snapshot_path.empty()) return absl::FailedPreconditionError("skewless::kafka::consumer: no snapshot_path");
    absl::Status s = stream_->snapshot_to(opt_.snapshot_path);
    since_snapshot_ = 0;
    {
      std::lock_guard lock(metrics_mutex_);
      ++(s.ok() ? metrics_.snapshots : metrics_.snapshot_failures);
    }
    if (s.ok() && opt_.commit_offsets) commit();
    publish_metrics();
    return s;
  }

  // The positions now (the applying thread only).
  [[nodiscard]] const stream_positions& positions() const noexcept { return positions_; }
  [[nodiscard]] stream_type& stream_ref() noexcept { return *stream_; }

  // A copy of the metrics as of the last applied batch (any thread).
  [[nodiscard]] consumer_metrics metrics() const {
    std::lock_guard lock(metrics_mutex_);
    return metrics_;
  }

 private:
  absl::Status connect() {
    char err[512];
    kafka_internal::rd_ptr<rd_kafka_conf_t> conf(rd_kafka_conf_new());
    auto set = [&](const std::string& k, const std::string& v) -> absl::Status {
      if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        return absl::InvalidArgumentError(absl::StrCat("skewless::kafka::consumer: setting ", k, ": ", err));
      }
      return absl::OkStatus();
    };
    const std::pair<std::string, std::string> ours[] = {{"bootstrap.servers", opt_.bootstrap_servers},
                                                        {"group.id", opt_.group_id},
                                                        {"enable.auto.commit", "false"},
                                                        {"enable.auto.offset.store", "false"},
                                                        {"auto.offset.reset", "error"},
                                                        {"enable.partition.eof", "false"},
                                                        {"fetch.wait.max.ms", "10"},
                                                        // librdkafka 2.0 stops fetching a partition for a second
                                                        // once 100,000 of its messages wait: a consumer catching
                                                        // up then idles most of the time (bench/kafka_consumer.cpp)
                                                        {"queued.min.messages", "10000000"},
                                                        {"queued.max.messages.kbytes", "262144"}};
    for (const auto& [k, v] : ours) {
      if (absl::Status s = set(k, v); !s.ok()) return s;
    }
    for (const auto& [k, v] : opt_.settings) {
      if (k == "auto.offset.reset" || k == "enable.auto.commit") {
        return absl::InvalidArgumentError(absl::StrCat("skewless::kafka::consumer: ", k,
                                                       " is the consumer's own (positions come from the snapshot)"));
      }
      if (absl::Status s = set(k, v); !s.ok()) return s;
    }
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
    if (rk == nullptr) return absl::InvalidArgumentError(absl::StrCat("skewless::kafka::consumer: ", err));
    conf.release();  // rd_kafka_new owns it now
    rk_.reset(rk);
    rd_kafka_poll_set_consumer(rk_.get());
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::int32_t>> topic_partitions() {
    kafka_internal::rd_ptr<rd_kafka_topic_t> t(rd_kafka_topic_new(rk_.get(), opt_.topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk_.get(), 0, t.get(), &md, static_cast<int>(opt_.metadata_timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("skewless::kafka::consumer: metadata: ", rd_kafka_err2str(err)));
    }
    std::vector<std::int32_t> parts;
    absl::Status bad;
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      bad = absl::NotFoundError(absl::StrCat(
          "skewless::kafka::consumer: topic ", opt_.topic, ": ",
          rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)));
    } else {
      for (int i = 0; i < md->topics[0].partition_cnt; ++i) parts.push_back(md->topics[0].partitions[i].id);
    }
    rd_kafka_metadata_destroy(md);
    if (!bad.ok()) return bad;
    return parts;
  }

  // Up to batch_messages messages, decoded into b (the fetching thread).
  absl::Status fetch(decoded_batch<event_type>& b) {
    if (raw_.size() < opt_.batch_messages) raw_.resize(std::max<std::size_t>(opt_.batch_messages, 1));
    // What is there now; if nothing, wait for one message, then take what came with it
    // (a batch call with a timeout would wait for a full batch: latency at low rates).
    ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, raw_.data(), raw_.size());
    if (n == 0) {
      n = rd_kafka_consume_batch_queue(queue_.get(), static_cast<int>(opt_.poll_timeout.count()), raw_.data(), 1);
      if (n == 1) {
        const ssize_t more = rd_kafka_consume_batch_queue(queue_.get(), 0, raw_.data() + 1, raw_.size() - 1);
        n = more < 0 ? n : n + more;
      }
    }
    if (n < 0) return absl::InternalError("skewless::kafka::consumer: consume failed");
    auto time_of = [](const event_type& e) { return feature_set_type::time_of(e); };
    absl::Status fatal;
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = raw_[static_cast<std::size_t>(i)];
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (fatal.ok()) fatal = error_of(m);
      } else if (fatal.ok()) {
        const std::int64_t slot = slot_of(m);
        if (slot >= 0) {
          message msg;
          msg.topic = opt_.topic;
          msg.partition = m->partition;
          msg.offset = m->offset;
          if (m->key != nullptr) msg.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
          if (m->payload != nullptr) msg.value = std::string_view(static_cast<const char*>(m->payload), m->len);
          rd_kafka_timestamp_type_t tt;
          msg.timestamp_ms = rd_kafka_message_timestamp(m, &tt);
          if (opt_.headers) {
            headers_.clear();
            rd_kafka_headers_t* h = nullptr;
            if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
              const char* name;
              const void* value;
              std::size_t size;
              for (std::size_t k = 0; rd_kafka_header_get_all(h, k, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
                   ++k) {
                headers_.push_back({name, value == nullptr ? std::string_view()
                                                           : std::string_view(static_cast<const char*>(value), size)});
              }
            }
            msg.headers = headers_;
          }
          b.add(static_cast<std::uint32_t>(slot), msg, decode_, time_of);
        }
      }
      rd_kafka_message_destroy(m);
    }
    return fatal;
  }

  std::int64_t slot_of(const rd_kafka_message_t* m) const noexcept {
    const auto p = static_cast<std::size_t>(m->partition);
    return m->partition >= 0 && p < slot_of_partition_.size() ? slot_of_partition_[p] : -1;
  }

  absl::Status error_of(const rd_kafka_message_t* m) {
    const std::string where =
        m->rkt != nullptr ? absl::StrCat(rd_kafka_topic_name(m->rkt), "/", m->partition) : std::string("the consumer");
    switch (m->err) {
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        return absl::DataLossError(absl::StrCat("skewless::kafka::consumer: ", where,
                                                ": the next offset is no longer in the log (deleted by retention "
                                                "before it was read): ",
                                                rd_kafka_message_errstr(m)));
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        return absl::FailedPreconditionError(
            absl::StrCat("skewless::kafka::consumer: ", where, ": ", rd_kafka_message_errstr(m)));
      default: {
        std::lock_guard lock(metrics_mutex_);
        ++metrics_.transient_errors;  // librdkafka retries: connection lost, broker restarting
        return absl::OkStatus();
      }
    }
  }

  absl::Status apply(decoded_batch<event_type>& b) {
    const apply_result r = stream_->apply(b);
    ingest_ += r.ingest;
    ++batches_;
    since_snapshot_ += r.messages;
    if (opt_.snapshot_every != 0 && since_snapshot_ >= opt_.snapshot_every && !opt_.snapshot_path.empty()) {
      if (absl::Status s = snapshot(); !s.ok()) return s;
    } else {
      publish_metrics();
    }
    return absl::OkStatus();
  }

  void commit() {
    kafka_internal::rd_ptr<rd_kafka_topic_partition_list_t> list(
        rd_kafka_topic_partition_list_new(static_cast<int>(stream_->assigned().size())));
    for (const topic_partition& tp : stream_->assigned()) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
          positions_.find(tp.topic, tp.partition)->next_offset;
    }
    rd_kafka_commit(rk_.get(), list.get(), 1);  // asynchronous: monitoring only
  }

  void publish_metrics() {
    std::vector<partition_metrics> parts;
    for (const topic_partition& tp : stream_->assigned()) {
      const partition_position& p = *positions_.find(tp.topic, tp.partition);
      partition_metrics pm{tp.topic, tp.partition, p.next_offset, -1, p.newest_event_us, p.messages};
      std::int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition, &low, &high) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0) {
        pm.high_watermark = high;
      }
      parts.push_back(std::move(pm));
    }
    std::lock_guard lock(metrics_mutex_);
    metrics_.partitions = std::move(parts);
    metrics_.ingest = ingest_;
    metrics_.quarantined = quarantined_;
    metrics_.batches = batches_;
    metrics_.watermark_us = positions_.watermark_us();
  }

  Evaluator* ev_;
  Decoder decode_;
  consumer_options opt_;
  stream_positions positions_;
  std::unique_ptr<stream_type> stream_;
  typename stream_type::quarantine_fn quarantine_;
  kafka_internal::rd_ptr<rd_kafka_t> rk_;
  kafka_internal::rd_ptr<rd_kafka_queue_t> queue_;
  std::vector<std::int64_t> slot_of_partition_;
  std::vector<rd_kafka_message_t*> raw_;
  std::vector<message_header> headers_;
  std::atomic<bool> stopping_{false};
  bool restored_ = false;
  std::uint64_t since_snapshot_ = 0;
  online::ingest_counters ingest_;
  std::uint64_t quarantined_ = 0;
  std::uint64_t batches_ = 0;
  mutable std::mutex metrics_mutex_;
  consumer_metrics metrics_;
};

}  // namespace skewless::inline v1::kafka
