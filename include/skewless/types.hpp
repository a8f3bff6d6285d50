// skewless/types.hpp — the data types every back-end speaks: spine rows and feature
// matrices and vectors.
//
//   std::vector<skewless::spine_row<std::int64_t>> spine = {{42, t0}, {7, t1}};
//   skewless::feature_matrix m = skewless::batch::evaluate(features, events, spine).values;
//   skewless::feature_vector<decltype(features)> v;   // fixed size, no allocation
#pragma once

#include <skewless/config.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <type_traits>

namespace skewless::inline v1 {

// One row of a training-set spine: "features of entity `key` as of `time_us`"
// (microseconds since the Unix epoch; features see events with ts < time_us).
template <class Key> struct spine_row {
  Key key;
  std::int64_t time_us;
};

// Rows are spine rows (in input order), columns are features (in definition order).
using feature_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One entity's features, sized at compile time (feature_vector<decltype(features)>).
template <class FeatureSet>
using feature_vector = Eigen::Matrix<double, static_cast<int>(std::remove_cvref_t<FeatureSet>::size), 1>;

}  // namespace skewless::inline v1
