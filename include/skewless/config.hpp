// skewless/config.hpp — the only place skewless defines macros.
//
// SKEWLESS_ASSUME_NOEXCEPT marks hot paths that are noexcept after validation.
#pragma once

#include <skewless/version.hpp>

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "skewless needs C++20 (-std=c++20 or later)"
#endif
