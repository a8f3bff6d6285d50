// skewless/detail/rw_lock.hpp — a reader-writer lock that does not starve writers.
//
// std::shared_mutex on glibc prefers readers: a writer waits while any reader holds the
// lock, so readers that keep overlapping starve it (measured: one ingest in 5 s against
// 2.5M reads). This lock prefers writers: once one waits, new readers queue behind it.
// It is a pthread rwlock (which ThreadSanitizer understands), and falls back to
// std::shared_mutex off glibc. Readers must not take it recursively.
//
//   detail::rw_lock l;
//   { std::shared_lock r(l); ... }   // readers
//   { std::unique_lock w(l); ... }   // one writer
#pragma once

#include <skewless/config.hpp>

#if defined(__GLIBC__)
#include <pthread.h>
#else
#include <shared_mutex>
#endif

namespace skewless::inline v1::detail {

#if defined(__GLIBC__)
class rw_lock {
 public:
  rw_lock() noexcept {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~rw_lock() { pthread_rwlock_destroy(&lock_); }
  rw_lock(const rw_lock&) = delete;
  rw_lock& operator=(const rw_lock&) = delete;

  void lock() noexcept { pthread_rwlock_wrlock(&lock_); }
  void unlock() noexcept { pthread_rwlock_unlock(&lock_); }
  void lock_shared() noexcept { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() noexcept { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};
#else
using rw_lock = std::shared_mutex;
#endif

}  // namespace skewless::inline v1::detail
