// skewless/config.hpp — build-configuration checks shared by every header.
//
// skewless defines no configuration macros: the only public macros are the
// SKEWLESS_VERSION_* numbers in version.hpp, which CMake and the package recipes read.
#pragma once

#include <skewless/version.hpp>

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "skewless needs C++20 (-std=c++20 or later)"
#endif
