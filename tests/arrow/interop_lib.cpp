// tests/arrow/interop_lib.cpp — a shared library that Python (tests/arrow/interop.py)
// loads with ctypes to exchange Arrow C streams with pyarrow: events and a spine in,
// from pyarrow's RecordBatchReader._export_to_c; the training set out, to its
// _import_from_c. What a Python module built from a definition will do, without the
// binding layer, so the ABI is checked against the real Arrow implementation.
#include <skewless/arrow/training_set.hpp>
#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>
#include <skewless/io/csv.hpp>
#include <skewless/io/npy.hpp>

#include <boost/hana/adapt_struct.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace interop {
struct payment {
  std::string user;
  std::int64_t ts;
  double amount;
};
}  // namespace interop
BOOST_HANA_ADAPT_STRUCT(interop::payment, user, ts, amount);

namespace {
using namespace std::chrono_literals;
constexpr auto amount = skewless::field<interop::payment, "amount">;
constexpr auto features = skewless::define_features<interop::payment, "user", "ts">(
    skewless::feature<"count_1h">(skewless::count(skewless::sliding(1h))),
    skewless::feature<"sum_1h">(skewless::sum(amount, skewless::sliding(1h))),
    skewless::feature<"mean_1d">(skewless::mean(amount, skewless::sliding(24h))),
    skewless::feature<"max_all">(skewless::max(amount, skewless::lifetime())));

int fail(const absl::Status& s, char* error, std::size_t cap) {
  const std::string m(s.message());
  if (cap > 0) {
    const std::size_t n = std::min(cap - 1, m.size());
    std::memcpy(error, m.data(), n);
    error[n] = '\0';
  }
  return 1;
}
}  // namespace

extern "C" {

// skewless::arrow::training_set over two Arrow streams (releasing neither: the caller
// owns them), the training set to `out` in batches of `rows_per_batch`. Returns 0, or
// 1 with the error message in `error`.
__attribute__((visibility("default"))) int skewless_interop_training_set(ArrowArrayStream* events_in,
                                                                         ArrowArrayStream* spine_in,
                                                                         ArrowArrayStream* out,
                                                                         std::int64_t rows_per_batch, char* error,
                                                                         std::size_t cap) {
  const absl::Status s =
      skewless::arrow::training_set(features, *events_in, *spine_in, out, {}, static_cast<std::size_t>(rows_per_batch));
  return s.ok() ? 0 : fail(s, error, cap);
}

// The same training set written by skewless/io as CSV (csv_path) and .npy (npy_path).
__attribute__((visibility("default"))) int skewless_interop_files(ArrowArrayStream* events_in,
                                                                  ArrowArrayStream* spine_in, const char* csv_path,
                                                                  const char* npy_path, char* error, std::size_t cap) {
  std::vector<interop::payment> events;
  if (absl::Status s = skewless::arrow::read_events(*events_in, events); !s.ok()) return fail(s, error, cap);
  std::vector<skewless::spine_row<std::string>> spine;
  if (absl::Status s = skewless::arrow::read_spine(features, *spine_in, spine); !s.ok()) return fail(s, error, cap);
  const auto rows = skewless::batch::evaluate(features, events, spine);
  std::ofstream csv(csv_path, std::ios::binary | std::ios::trunc);
  if (absl::Status s = skewless::io::write_csv(csv, features, spine, rows); !s.ok()) return fail(s, error, cap);
  if (absl::Status s = skewless::io::write_npy(std::string(npy_path), rows.values); !s.ok()) return fail(s, error, cap);
  return 0;
}

// The definition's fingerprint, for the test to compare with the schema's metadata.
__attribute__((visibility("default"))) std::uint64_t skewless_interop_fingerprint() {
  return features.fingerprint();
}

}  // extern "C"
