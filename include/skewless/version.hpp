// skewless/version.hpp — the one source of the library version.
//
// CMake and the package recipes parse the three SKEWLESS_VERSION_* lines below;
// code reads skewless::version.
//
//   static_assert(skewless::version.major == 0);
#pragma once

#define SKEWLESS_VERSION_MAJOR 0
#define SKEWLESS_VERSION_MINOR 1
#define SKEWLESS_VERSION_PATCH 0

namespace skewless::inline v1 {

struct version_t {
  int major;
  int minor;
  int patch;
};

inline constexpr version_t version{SKEWLESS_VERSION_MAJOR, SKEWLESS_VERSION_MINOR, SKEWLESS_VERSION_PATCH};

// Version of the canonical definition text that the fingerprint hashes (and of the
// catalog). Bumped on any change that alters a fingerprint; part of the compatibility
// promise.
inline constexpr unsigned format_version = 1;

// Version of the snapshot layout (online state). Bumped whenever the bytes of a state
// change; a snapshot of another version is refused whole. Kept apart from
// format_version so that a new state layout does not change any definition's
// fingerprint. 2: held entries carry their times (0.2: lagged windows, tiles, last_n).
inline constexpr unsigned snapshot_format_version = 4;

}  // namespace skewless::inline v1
