// skewless/batch/result.hpp — what batch::evaluate takes besides the data, and returns.
//
//   skewless::batch::result<decltype(features)> training =
//       skewless::batch::evaluate(features, events, spine, {.threads = 2});
//   training.values;    // Eigen row-major matrix: spine rows x feature columns
//   training.columns;   // feature names
//   training.status();  // names the first spine row outside the accepted time range
#pragma once

#include <skewless/kernels/window.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace skewless::inline v1::batch {

struct options {
  // Worker threads; 0 means std::thread::hardware_concurrency(). Results are the same
  // for every value.
  unsigned threads = 0;
  // Inputs smaller than this many events + rows run on the calling thread.
  std::size_t min_parallel_size = 50'000;
};

namespace batch_internal {

template <class FS> struct training_set {
  // One row per spine row, in spine order; one column per feature column.
  feature_matrix values;
  // The column names, FS::names(): a feature's name, or name[suffix] for each column
  // of a multi-column feature.
  std::array<std::string_view, FS::size> columns = FS::names();
  // Events whose time is outside the accepted time range [min_time_us, max_time_us]:
  // left out of every window, as the online evaluator rejects them.
  std::uint64_t events_out_of_range = 0;
  // Spine rows whose time is outside it: their values are all NaN (an online read at
  // such a time is an error). status() names the first.
  std::uint64_t rows_out_of_range = 0;
  std::size_t first_row_out_of_range = 0;
  std::int64_t first_row_out_of_range_time_us = 0;

  // OK, or InvalidArgument naming the first spine row outside the accepted time range.
  [[nodiscard]] absl::Status status() const {
    if (rows_out_of_range == 0) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("skewless: ", rows_out_of_range,
                                                   " spine row(s) ask for a time outside the accepted "
                                                   "range [",
                                                   min_time_us, ", ", max_time_us, "] us; the first is row ",
                                                   first_row_out_of_range, " at ", first_row_out_of_range_time_us,
                                                   " us. Their values are NaN."));
  }
};

}  // namespace batch_internal

// What batch::evaluate returns: the values (an Eigen row-major matrix, spine rows x
// feature columns) and the column names. result<decltype(features)> names it too.
template <class FS> using result = batch_internal::training_set<std::remove_cvref_t<FS>>;

}  // namespace skewless::inline v1::batch
