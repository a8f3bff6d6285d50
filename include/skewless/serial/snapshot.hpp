// skewless/serial/snapshot.hpp — save and restore the online state, all or nothing.
//
//   absl::StatusOr<std::string> bytes = skewless::serial::snapshot(online);
//   ...
//   skewless::online::evaluator fresh(features);
//   absl::Status s = skewless::serial::restore(fresh, *bytes);   // or a clear error
//
//   // Durable files, streamed (no copy of the state in memory):
//   absl::Status w = skewless::serial::write_snapshot(online, "/var/lib/svc/state.snap");
//   absl::Status r = skewless::serial::read_snapshot(fresh, "/var/lib/svc/state.snap");
//
// Both work on online::evaluator and online::concurrent_evaluator, with the same bytes.
//
// write_snapshot writes a temporary file beside the target (<path>.tmp.<pid>.<n>, the
// first n whose name is free), fsyncs it, renames it over the target and fsyncs the
// directory: a crash or a failed write at any point leaves the previous snapshot whole
// (a crashed writer may leave its temporary file behind; it is safe to delete once no
// process is writing, and a later writer with the same pid goes past it). read_snapshot checks the header, then
// decodes while it hashes, and refuses the file whole if the checksum or any check fails.
//
// Layout (little-endian), snapshot_format_version 4:
//   offset  0  8 bytes  magic "SKWLSNAP"
//   offset  8  u32      format version
//   offset 12  u64      fingerprint of the feature set that wrote it
//   offset 20  u64      payload size in bytes
//   offset 28  u64      FNV-1a 64 checksum of the payload
//   offset 36  payload  cereal portable binary: ingest counters, then the entities in
//                       key order (so equal states give equal bytes)
// Every header field is checked and the checksum covers the payload, so a wrong
// definition, a newer format, a truncated file or any flipped byte is refused with a
// status that says which; the evaluator is replaced only after the whole payload
// decoded, so a refused snapshot changes nothing.
//
// The restore principle: a snapshot that restores is one that some sequence of
// accepted events could have produced. The checksum only guards against accidents; the
// payload is also checked as if hostile (it comes from shared storage): every length
// against the bytes left before anything is allocated, every flag byte for 0 or 1, and
// every invariant ingest maintains, per state — times inside the accepted range and
// the entity's windows, entries and tiles in order and aligned, no empty tile, at most
// n places for last_n, extremum queues monotone, exact-sum chunks canonical and
// bounded, sketch registers and buckets ones a value can reach, counts that do not
// overflow. What no state can show is whether two aggregates' states came from the
// same events (a snapshot holds states, not events), so a crafted file can still pair
// a count with another aggregate's unrelated sum; each value is still one some events
// give.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/expr/canonical.hpp>
#include <skewless/online/concurrent_evaluator.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/version.hpp>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/vector.hpp>

#include <atomic>
#include <cerrno>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <ios>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace skewless::inline v1::serial {

inline constexpr char snapshot_magic[8] = {'S', 'K', 'W', 'L', 'S', 'N', 'A', 'P'};
inline constexpr std::size_t snapshot_header_size = 36;

// What write_snapshot does besides writing.
struct write_options {
  // Bytes handed to the file per write(2).
  std::size_t block_bytes = std::size_t{1} << 20;
  // Called after each block is written, with the bytes written so far (header included
  // once it is): a status other than OK abandons the write, leaving the previous
  // snapshot in place. For progress, throttling, cancellation and fault injection.
  std::function<absl::Status(std::uint64_t written)> after_block;
};

namespace serial_internal {

inline void put_le(char* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return v;
}
inline std::string hex(std::uint64_t v) {
  return absl::StrCat("0x", absl::Hex(v, absl::kZeroPad16));
}

inline std::string header(std::uint64_t fingerprint, std::uint64_t payload_size, std::uint64_t checksum) {
  std::string h(snapshot_header_size, '\0');
  std::memcpy(h.data(), snapshot_magic, sizeof snapshot_magic);
  put_le(h.data() + 8, snapshot_format_version, 4);
  put_le(h.data() + 12, fingerprint, 8);
  put_le(h.data() + 20, payload_size, 8);
  put_le(h.data() + 28, checksum, 8);
  return h;
}

// Checks a header against this evaluator and the payload bytes that follow it; returns
// the payload's checksum.
inline absl::StatusOr<std::uint64_t> check_header(std::string_view h, std::uint64_t payload_bytes,
                                                  std::uint64_t fingerprint_expected) {
  if (h.size() < snapshot_header_size) {
    return absl::DataLossError(absl::StrCat("skewless: snapshot truncated: ", h.size(), " bytes, shorter than the ",
                                            snapshot_header_size, "-byte header"));
  }
  if (std::memcmp(h.data(), snapshot_magic, sizeof snapshot_magic) != 0) {
    return absl::InvalidArgumentError("skewless: not a skewless snapshot (bad magic bytes)");
  }
  const auto version = get_le(h, 8, 4);
  if (version != snapshot_format_version) {
    return absl::FailedPreconditionError(
        absl::StrCat("skewless: snapshot format version ", version, " is ",
                     version > snapshot_format_version ? "newer than" : "older than", " this build's format version ",
                     snapshot_format_version,
                     version > snapshot_format_version ? "; upgrade skewless to read it" : "; no converter exists"));
  }
  const auto fingerprint = get_le(h, 12, 8);
  if (fingerprint != fingerprint_expected) {
    return absl::FailedPreconditionError(absl::StrCat(
        "skewless: snapshot was written by feature set ", hex(fingerprint), " but this evaluator's feature set is ",
        hex(fingerprint_expected), "; the definitions differ, so the state cannot be used"));
  }
  const auto size = get_le(h, 20, 8);
  if (size != payload_bytes) {
    return absl::DataLossError(absl::StrCat("skewless: snapshot payload is ", payload_bytes,
                                            " bytes but the header says ", size, " (truncated or padded file)"));
  }
  return get_le(h, 28, 8);
}

// Reads a payload held in memory, without copying it.
class view_buf : public std::streambuf {
 public:
  explicit view_buf(std::string_view v) {
    char* p = const_cast<char*>(v.data());  // only ever read
    setg(p, p, p + v.size());
  }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    if (off != 0 || dir != std::ios_base::cur) return pos_type(off_type(-1));
    return pos_type(gptr() - eback());
  }
};

// Reads a payload from a file descriptor a buffer at a time, hashing each byte as it
// is read; drain() reads what is left so the hash covers the whole payload.
class hashing_file_buf : public std::streambuf {
 public:
  hashing_file_buf(int fd, std::uint64_t size) : fd_(fd), left_(size), buffer_(std::size_t{1} << 16) {}

  [[nodiscard]] std::uint64_t hash() const noexcept { return hash_.h; }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  // Hashes the rest of the payload; returns whether the whole payload could be read.
  bool drain() {
    while (underflow() != traits_type::eof()) setg(eback(), egptr(), egptr());
    return !failed_;
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (left_ == 0 || failed_) return traits_type::eof();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left_, buffer_.size()));
    std::size_t got = 0;
    while (got < want) {
      const ssize_t r = ::read(fd_, buffer_.data() + got, want - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        failed_ = true;
        break;
      }
      got += static_cast<std::size_t>(r);
    }
    if (got == 0) return traits_type::eof();
    hash_.put(std::string_view(buffer_.data(), got));
    left_ -= got;
    consumed_before_ += static_cast<std::uint64_t>(egptr() - eback());
    setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
    return traits_type::to_int_type(*gptr());
  }
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    if (off != 0 || dir != std::ios_base::cur) return pos_type(off_type(-1));
    return pos_type(static_cast<off_type>(consumed_before_ + static_cast<std::uint64_t>(gptr() - eback())));
  }

 private:
  int fd_;
  std::uint64_t left_;
  std::uint64_t consumed_before_ = 0;
  std::vector<char> buffer_;
  fnv1a64_state hash_;
  bool failed_ = false;
};

// Writes a payload to a file descriptor in blocks, hashing and counting it; a failed
// write (or an after_block status) makes every later write fail, so the archive throws.
class hashing_file_sink : public std::streambuf {
 public:
  hashing_file_sink(int fd, const write_options& options, std::uint64_t written_before)
      : fd_(fd), options_(options), written_(written_before), buffer_(std::max<std::size_t>(options.block_bytes, 1)) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  [[nodiscard]] std::uint64_t hash() const noexcept { return hash_.h; }
  [[nodiscard]] std::uint64_t payload_bytes() const noexcept { return payload_; }
  [[nodiscard]] const absl::Status& status() const noexcept { return status_; }
  // Writes what is buffered; false once anything failed.
  bool flush() { return write_block(); }

 protected:
  int_type overflow(int_type c) override {
    if (!write_block()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return write_block() ? 0 : -1; }

 private:
  bool write_block() {
    if (!status_.ok()) return false;
    const std::size_t n = static_cast<std::size_t>(pptr() - pbase());
    if (n == 0) return true;
    hash_.put(std::string_view(pbase(), n));
    if (absl::Status s = write_all(fd_, pbase(), n); !s.ok()) {
      status_ = std::move(s);
      return false;
    }
    payload_ += n;
    written_ += n;
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    if (options_.after_block) {
      if (absl::Status s = options_.after_block(written_); !s.ok()) {
        status_ = std::move(s);
        return false;
      }
    }
    return true;
  }

 public:
  static absl::Status write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        return absl::UnavailableError(absl::StrCat("skewless: snapshot write failed: ", std::strerror(errno)));
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return absl::OkStatus();
  }

 private:
  int fd_;
  const write_options& options_;
  std::uint64_t written_;
  std::uint64_t payload_ = 0;
  std::vector<char> buffer_;
  fnv1a64_state hash_;
  absl::Status status_;
};

// Decodes a payload from `buf` (whose checksum `verify` confirms once the decode is
// over, whatever its outcome, so a damaged payload is reported as such) and, when it
// and the checks pass, installs it in `state`. `state` is untouched otherwise.
template <class State, class Verify>
absl::Status decode_into(State& state, std::streambuf& buf, std::uint64_t payload_size, Verify verify) {
  std::istream in(&buf);
  std::string error;
  bool trailing = false;
  std::optional<decltype(state.decode(std::declval<cereal::PortableBinaryInputArchive&>()))> fresh;
  try {
    const detail::load_budget budget(in, payload_size);  // every length is bounded by it
    cereal::PortableBinaryInputArchive ar(in);
    fresh.emplace(state.decode(ar));
    trailing = in.peek() != std::char_traits<char>::eof();
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (absl::Status s = verify(); !s.ok()) return s;
  if (!error.empty()) return absl::DataLossError(absl::StrCat("skewless: snapshot payload is corrupt: ", error));
  if (trailing) return absl::DataLossError("skewless: snapshot payload has trailing bytes");
  state.commit(std::move(*fresh));
  return absl::OkStatus();
}

inline absl::Status checksum_mismatch() {
  return absl::DataLossError("skewless: snapshot checksum mismatch: the payload is corrupt");
}

// Closes a file descriptor when it goes out of scope.
struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

// Replaces `path` durably: write(fd) fills a new temporary file in the same directory,
// which is fsynced and renamed over `path`, and then the directory is fsynced. On any
// error `path` is as it was and the temporary file is gone.
// Numbers the temporary files of one process (one counter for every caller).
inline std::atomic<std::uint64_t> temporary_file_sequence{0};

// A name taken already — a file left by a crashed process that had the same pid (in a
// container the pid is often 1 on every start), or another process's live write — is
// skipped for the next number: O_EXCL never shares a file, and the leftover is someone
// else's to delete (it is never renamed over the target).
inline constexpr int temporary_file_attempts = 1000;

template <class Write> absl::Status replace_file(const std::string& path, Write write) {
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < temporary_file_attempts; ++attempt) {
    tmp = absl::StrCat(path, ".tmp.", ::getpid(), ".", temporary_file_sequence.fetch_add(1));
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return absl::UnavailableError(absl::StrCat("skewless: cannot create ", tmp, ": ", std::strerror(errno)));
  auto io_error = [](const std::string& what) {
    return absl::UnavailableError(absl::StrCat("skewless: ", what, " failed: ", std::strerror(errno)));
  };
  absl::Status s = write(fd);
  if (s.ok() && ::fsync(fd) != 0) s = io_error("fsync of " + tmp);
  if (::close(fd) != 0 && s.ok()) s = io_error("close of " + tmp);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = io_error("rename of " + tmp + " to " + path);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename is durable once the directory is.
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  fd_closer d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) return io_error("fsync of directory " + dir);
  return absl::OkStatus();
}

}  // namespace serial_internal

// The types whose state snapshots are taken of: online::evaluator and
// online::concurrent_evaluator.
template <class T>
concept snapshot_state = requires(const T& s) {
  { s.fingerprint() } -> std::convertible_to<std::uint64_t>;
  s.definition();
};

// The online state as bytes.
template <snapshot_state State> [[nodiscard]] absl::StatusOr<std::string> snapshot(const State& state) {
  using namespace serial_internal;
  std::ostringstream payload_stream(std::ios::binary);
  try {
    cereal::PortableBinaryOutputArchive ar(payload_stream);
    state.save(ar);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("skewless: snapshot failed: ", e.what()));
  }
  const std::string payload = std::move(payload_stream).str();
  std::string out = header(state.fingerprint(), payload.size(), fnv1a64(payload));
  out += payload;
  return out;
}

// Replaces `state` with the snapshot's, or leaves it untouched and says why not.
template <snapshot_state State> [[nodiscard]] absl::Status restore(State& state, std::string_view bytes) {
  using namespace serial_internal;
  const auto checksum =
      check_header(bytes.substr(0, std::min(bytes.size(), snapshot_header_size)),
                   bytes.size() < snapshot_header_size ? 0 : bytes.size() - snapshot_header_size, state.fingerprint());
  if (!checksum.ok()) return checksum.status();
  const std::string_view payload = bytes.substr(snapshot_header_size);
  if (fnv1a64(payload) != *checksum) return checksum_mismatch();
  view_buf buf(payload);
  return decode_into(state, buf, payload.size(), [] { return absl::OkStatus(); });
}

// Writes the state's snapshot to `path` durably: to a temporary file in the same
// directory, fsynced, then renamed over `path`, then the directory fsynced. Streams the
// payload (memory beyond the state: one block, and a pointer per entity to sort them).
// On any error `path` is as it was and the temporary file is removed.
template <snapshot_state State>
[[nodiscard]] absl::Status write_snapshot(const State& state, const std::string& path,
                                          const write_options& options = {}) {
  using namespace serial_internal;
  return replace_file(path, [&](int fd) -> absl::Status {
    // The header's size and checksum are known at the end: a placeholder first.
    const std::string placeholder(snapshot_header_size, '\0');
    if (absl::Status s = hashing_file_sink::write_all(fd, placeholder.data(), placeholder.size()); !s.ok()) return s;
    hashing_file_sink sink(fd, options, snapshot_header_size);
    try {
      std::ostream out(&sink);
      {
        cereal::PortableBinaryOutputArchive ar(out);
        state.save(ar);
      }
      sink.flush();
    } catch (const std::exception& e) {
      if (sink.status().ok()) return absl::InternalError(absl::StrCat("skewless: snapshot failed: ", e.what()));
    }
    if (!sink.status().ok()) return sink.status();
    const std::string h = header(state.fingerprint(), sink.payload_bytes(), sink.hash());
    if (::pwrite(fd, h.data(), h.size(), 0) != static_cast<ssize_t>(h.size())) {
      return absl::UnavailableError(absl::StrCat("skewless: snapshot header write failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  });
}

// Replaces `state` with the snapshot in the file at `path`, or leaves it untouched and
// says why not. Streams the file (memory beyond the new state: one buffer).
template <snapshot_state State> [[nodiscard]] absl::Status read_snapshot(State& state, const std::string& path) {
  using namespace serial_internal;
  fd_closer file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return absl::NotFoundError(absl::StrCat("skewless: cannot open ", path, ": ", std::strerror(errno)));
  struct stat st{};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("skewless: ", path, " is not a regular file"));
  }
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  std::string h(static_cast<std::size_t>(std::min<std::uint64_t>(file_size, snapshot_header_size)), '\0');
  if (!h.empty() && ::pread(file.fd, h.data(), h.size(), 0) != static_cast<ssize_t>(h.size())) {
    return absl::UnavailableError(absl::StrCat("skewless: cannot read ", path, ": ", std::strerror(errno)));
  }
  const auto checksum =
      check_header(h, file_size < snapshot_header_size ? 0 : file_size - snapshot_header_size, state.fingerprint());
  if (!checksum.ok()) return checksum.status();
  if (::lseek(file.fd, static_cast<off_t>(snapshot_header_size), SEEK_SET) < 0) {
    return absl::UnavailableError(absl::StrCat("skewless: cannot read ", path, ": ", std::strerror(errno)));
  }
  const std::uint64_t payload_size = file_size - snapshot_header_size;
  hashing_file_buf buf(file.fd, payload_size);
  return decode_into(state, buf, payload_size, [&] {
    if (!buf.drain()) return absl::DataLossError(absl::StrCat("skewless: cannot read all of ", path));
    return buf.hash() == *checksum ? absl::OkStatus() : checksum_mismatch();
  });
}

// File helpers for snapshot bytes already in memory: write_file replaces `path`
// durably as write_snapshot does; read_file reads a whole file.
[[nodiscard]] inline absl::Status write_file(const std::string& path, std::string_view bytes) {
  using namespace serial_internal;
  return replace_file(path, [&](int fd) { return hashing_file_sink::write_all(fd, bytes.data(), bytes.size()); });
}

[[nodiscard]] inline absl::StatusOr<std::string> read_file(const std::string& path) {
  using namespace serial_internal;
  fd_closer file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return absl::NotFoundError(absl::StrCat("skewless: cannot open ", path, ": ", std::strerror(errno)));
  std::string out;
  std::vector<char> block(std::size_t{1} << 16);
  for (;;) {
    const ssize_t r = ::read(file.fd, block.data(), block.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return absl::UnavailableError(absl::StrCat("skewless: cannot read ", path, ": ", std::strerror(errno)));
    if (r == 0) break;
    out.append(block.data(), static_cast<std::size_t>(r));
  }
  return out;
}

}  // namespace skewless::inline v1::serial
