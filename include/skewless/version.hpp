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

inline constexpr version_t version{SKEWLESS_VERSION_MAJOR, SKEWLESS_VERSION_MINOR,
                                   SKEWLESS_VERSION_PATCH};

// Version of the serialized formats (snapshots) and of the canonical definition text
// that the fingerprint hashes. Bumped on any change that alters bytes on disk or a
// fingerprint; part of the compatibility promise.
inline constexpr unsigned format_version = 1;

}  // namespace skewless::inline v1
