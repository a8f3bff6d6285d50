// Tests for the durable snapshot files of skewless/serial/snapshot.hpp: write_snapshot
// replaces the file atomically (a failed or killed write at any block leaves the
// previous snapshot whole), read_snapshot streams and refuses a damaged file whole,
// and a restart from a snapshot plus a replay of the later events equals the
// uninterrupted state to the byte.
#include <skewless/expr/feature_set.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/serial/snapshot.hpp>

#include "support.hpp"

#include <absl/strings/str_cat.h>
#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace snap_file_test {
struct ev {
  std::string k;
  std::int64_t ts;
  double x;
};
}  // namespace snap_file_test
BOOST_HANA_ADAPT_STRUCT(snap_file_test::ev, k, ts, x);

using namespace skewless;
using namespace std::chrono_literals;
using snap_file_test::ev;

namespace {
constexpr auto x = field<ev, "x">;
constexpr auto features =
    define_features<ev, "k", "ts">(feature<"sum">(sum(x, sliding(10s))), feature<"mean">(mean(x, lifetime())),
                                   feature<"last3">(last_k<3>(x, tiled(20s, 5s))),
                                   feature<"q">(approx_quantile<0.5>(x, sliding(30s))),
                                   feature<"distinct">(distinct_count(x, sliding(30s))))
        .with_allowed_lateness(2s);
using FS = std::remove_cvref_t<decltype(features)>;

std::vector<ev> stream(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<ev> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({"user-" + std::to_string(rng() % 300),
                   std::int64_t{i} * 10'000 - static_cast<std::int64_t>(rng() % 1'500'000),
                   static_cast<double>(rng() % 10'000) / 16.0});
  }
  return out;
}

template <class State>
void ingest_all(State& s, const std::vector<ev>& events, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  for (std::size_t i = from; i < std::min(to, events.size()); ++i) (void)s.ingest(events[i]);
}

// A fresh directory under the system temp dir, removed at the end of the test.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "skewless-snap-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  [[nodiscard]] int entries() const {
    return static_cast<int>(
        std::distance(std::filesystem::directory_iterator(path), std::filesystem::directory_iterator{}));
  }
};
}  // namespace

TEST_CASE("snapshot file: written and read back equal the in-memory bytes", "[serial][file]") {
  temp_dir dir;
  const std::string path = (dir.path / "state.snap").string();
  online::evaluator on(features);
  ingest_all(on, stream(1, 5000));
  REQUIRE(serial::write_snapshot(on, path).ok());
  const auto bytes = serial::snapshot(on);
  CHECK(*serial::read_file(path) == *bytes);
  CHECK(dir.entries() == 1);  // no temporary file left

  online::evaluator restored(features);
  REQUIRE(serial::read_snapshot(restored, path).ok());
  CHECK(*serial::snapshot(restored) == *bytes);
  // The concurrent evaluator reads the same file and writes the same bytes.
  online::concurrent_evaluator con(features, 16);
  REQUIRE(serial::read_snapshot(con, path).ok());
  CHECK(*serial::snapshot(con) == *bytes);
  const std::string path2 = (dir.path / "con.snap").string();
  REQUIRE(serial::write_snapshot(con, path2, {.block_bytes = 100}).ok());
  CHECK(*serial::read_file(path2) == *bytes);
  // write_file replaces a file the same way.
  REQUIRE(serial::write_file(path2, "abc").ok());
  CHECK(*serial::read_file(path2) == "abc");
  CHECK(dir.entries() == 2);
}

TEST_CASE("snapshot file: a write that fails at any block leaves the previous snapshot whole", "[serial][file]") {
  temp_dir dir;
  const std::string path = (dir.path / "state.snap").string();
  const auto events = stream(2, 3000);
  online::evaluator old_state(features);
  ingest_all(old_state, events, 0, 1500);
  REQUIRE(serial::write_snapshot(old_state, path).ok());
  const std::string old_bytes = *serial::read_file(path);
  online::evaluator new_state(features);
  ingest_all(new_state, events);
  const std::string new_bytes = *serial::snapshot(new_state);

  const std::size_t block = 4096;
  const std::size_t blocks = (new_bytes.size() - serial::snapshot_header_size + block - 1) / block;
  REQUIRE(blocks >= 5);
  for (std::size_t fail_at = 1; fail_at <= blocks; ++fail_at) {
    std::size_t seen = 0;
    const absl::Status s = serial::write_snapshot(
        new_state, path, {.block_bytes = block, .after_block = [&](std::uint64_t) {
                            return ++seen == fail_at ? absl::ResourceExhaustedError("disk full (injected)")
                                                     : absl::OkStatus();
                          }});
    INFO("failed at block " << fail_at << " of " << blocks);
    CHECK(s.code() == absl::StatusCode::kResourceExhausted);
    CHECK(*serial::read_file(path) == old_bytes);
    CHECK(dir.entries() == 1);
    online::evaluator restored(features);
    REQUIRE(serial::read_snapshot(restored, path).ok());
  }
  REQUIRE(serial::write_snapshot(new_state, path, {.block_bytes = block}).ok());
  CHECK(*serial::read_file(path) == new_bytes);
}

TEST_CASE("snapshot file: a writer killed at any block leaves the previous snapshot whole", "[serial][file]") {
  temp_dir dir;
  const std::string path = (dir.path / "state.snap").string();
  const auto events = stream(3, 2000);
  online::evaluator old_state(features);
  ingest_all(old_state, events, 0, 1000);
  REQUIRE(serial::write_snapshot(old_state, path).ok());
  const std::string old_bytes = *serial::read_file(path);
  online::evaluator new_state(features);
  ingest_all(new_state, events);

  const std::size_t block = 8192;
  const std::size_t blocks = (serial::snapshot(new_state)->size() - serial::snapshot_header_size + block - 1) / block;
  for (std::size_t kill_at = 1; kill_at <= blocks; ++kill_at) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::size_t seen = 0;
      (void)serial::write_snapshot(new_state, path, {.block_bytes = block, .after_block = [&](std::uint64_t) {
                                                       if (++seen == kill_at) ::raise(SIGKILL);
                                                       return absl::OkStatus();
                                                     }});
      ::_exit(0);  // not reached while kill_at <= blocks
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("killed at block " << kill_at << " of " << blocks);
    CHECK(WIFSIGNALED(status));
    CHECK(*serial::read_file(path) == old_bytes);
    online::evaluator restored(features);
    REQUIRE(serial::read_snapshot(restored, path).ok());
    CHECK(*serial::snapshot(restored) == old_bytes);
  }
  // The killed writers' temporary files are left behind, and are safe to delete.
  CHECK(dir.entries() == static_cast<int>(blocks) + 1);
}

TEST_CASE("snapshot file: a damaged file is refused whole and the state is untouched", "[serial][file]") {
  temp_dir dir;
  const std::string path = (dir.path / "state.snap").string();
  online::evaluator on(features);
  ingest_all(on, stream(4, 4000));
  const std::string good = *serial::snapshot(on);
  online::evaluator target(features);
  ingest_all(target, stream(5, 100));
  const std::string target_bytes = *serial::snapshot(target);

  auto refused = [&](const std::string& bytes, absl::StatusCode code) {
    REQUIRE(serial::write_file(path, bytes).ok());
    const absl::Status s = serial::read_snapshot(target, path);
    CHECK(s.code() == code);
    CHECK(*serial::snapshot(target) == target_bytes);
    return std::string(s.message());
  };
  CHECK_THAT(refused(good.substr(0, good.size() - 1), absl::StatusCode::kDataLoss), Catch::Contains("truncated"));
  CHECK_THAT(refused(good.substr(0, 10), absl::StatusCode::kDataLoss), Catch::Contains("header"));
  CHECK_THAT(refused(good + "x", absl::StatusCode::kDataLoss), Catch::Contains("padded"));
  for (std::size_t at : {serial::snapshot_header_size, good.size() / 2, good.size() - 1}) {
    std::string flipped = good;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    CHECK_THAT(refused(flipped, absl::StatusCode::kDataLoss), Catch::Contains("checksum"));
  }
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  refused(bad_magic, absl::StatusCode::kInvalidArgument);
  CHECK(serial::read_snapshot(target, (dir.path / "missing").string()).code() == absl::StatusCode::kNotFound);
  CHECK(serial::read_snapshot(target, dir.path.string()).code() == absl::StatusCode::kInvalidArgument);
  // A checksum-valid payload that breaks an invariant is refused by the same checks as
  // an in-memory restore.
  online::concurrent_evaluator con(features, 4);
  REQUIRE(serial::restore(con, good).ok());
  std::string trailing = good;
  trailing.push_back('\0');
  serial::serial_internal::put_le(trailing.data() + 20, good.size() - serial::snapshot_header_size + 1, 8);
  serial::serial_internal::put_le(trailing.data() + 28,
                                  fnv1a64(std::string_view(trailing).substr(serial::snapshot_header_size)), 8);
  CHECK_THAT(refused(trailing, absl::StatusCode::kDataLoss), Catch::Contains("trailing"));
  REQUIRE(serial::write_file(path, trailing).ok());
  CHECK_FALSE(serial::read_snapshot(con, path).ok());
  CHECK(*serial::snapshot(con) == good);
}

TEST_CASE("restart: a snapshot plus a replay of the later events equals the uninterrupted state", "[serial][file]") {
  temp_dir dir;
  const std::string path = (dir.path / "state.snap").string();
  const auto events = stream(6, 6000);
  std::mt19937_64 rng(skewless_test::base_seed());
  online::evaluator uninterrupted(features);
  ingest_all(uninterrupted, events);
  const std::string final_bytes = *serial::snapshot(uninterrupted);
  for (int round = 0; round < 5; ++round) {
    const std::size_t offset = rng() % events.size();
    online::concurrent_evaluator service(features, 8);
    ingest_all(service, events, 0, offset);
    REQUIRE(serial::write_snapshot(service, path).ok());  // with the stream offset beside it
    // The process restarts.
    online::concurrent_evaluator restarted(features, 64);
    REQUIRE(serial::read_snapshot(restarted, path).ok());
    ingest_all(restarted, events, offset);
    INFO("offset " << offset);
    CHECK(*serial::snapshot(restarted) == final_bytes);
  }
}

TEST_CASE("snapshot file: a temporary file left by an earlier process with the same pid is passed over",
          "[serial][file]") {
  // A crashed writer leaves <path>.tmp.<pid>.<n>; in a container the next process often
  // has the same pid and counts from the same n. Its first write used to fail with
  // "File exists" (issue 27, item 14).
  temp_dir dir;
  const std::string path = (dir.path / "state.snap").string();
  const std::uint64_t next = serial::serial_internal::temporary_file_sequence.load();
  for (std::uint64_t n = next; n < next + 3; ++n) {
    const std::string leftover = absl::StrCat(path, ".tmp.", ::getpid(), ".", n);
    const int fd = ::open(leftover.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "partial", 7) == 7);
    ::close(fd);
  }
  online::evaluator on(features);
  ingest_all(on, stream(3, 500));
  const absl::Status s = serial::write_snapshot(on, path);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(*serial::read_file(path) == *serial::snapshot(on));
  // The leftovers are not this writer's: they stay, untouched, for whoever cleans up.
  CHECK(dir.entries() == 4);
  CHECK(*serial::read_file(absl::StrCat(path, ".tmp.", ::getpid(), ".", next)) == "partial");
}
