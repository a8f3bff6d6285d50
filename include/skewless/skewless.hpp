// skewless/skewless.hpp — everything a user needs; nothing inside the library includes it.
//
//   #include <skewless/skewless.hpp>
//   constexpr auto features = skewless::define_features<payment, "user", "ts">(...);
//   auto training = skewless::batch::evaluate(features, events, spine);
//   skewless::online::evaluator online(features);
#pragma once

#include <skewless/config.hpp>
#include <skewless/version.hpp>

#include <skewless/adapters/absl_time.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/types.hpp>

#include <skewless/batch/evaluate.hpp>
#include <skewless/online/evaluator.hpp>
#include <skewless/reference/evaluate.hpp>
#include <skewless/serial/catalog.hpp>
#include <skewless/serial/categories.hpp>
#include <skewless/serial/snapshot.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/define_struct.hpp>
