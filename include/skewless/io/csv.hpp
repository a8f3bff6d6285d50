// skewless/io/csv.hpp — a training set as CSV that reads back to the same bits.
//
//   auto rows = skewless::batch::evaluate(features, events, spine);
//   std::ofstream f("training_set.csv");
//   absl::Status s = skewless::io::write_csv(f, features, spine, rows);
//
// One header line — the key field's name, the time field's name (microseconds since
// the Unix epoch), then the feature columns as named in the catalog — and one line per
// spine row, in spine order. Every value is the shortest decimal that parses back
// (strtod, Python's float(), pandas, DuckDB) to the same double (std::to_chars), so the
// file is exact; -0 stays "-0", infinities are "inf" / "-inf", and a missing value (NaN)
// is an empty field. Fields with a comma, a quote or a line break are quoted (RFC 4180).
#pragma once

#include <skewless/batch/result.hpp>
#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace skewless::inline v1::io {

namespace io_internal {

// A CSV field: quoted (with quotes doubled) when it holds a comma, a quote or a line break.
inline void put_field(std::string& line, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    line.append(s);
    return;
  }
  line.push_back('"');
  for (char c : s) {
    if (c == '"') line.push_back('"');
    line.push_back(c);
  }
  line.push_back('"');
}

// The shortest decimal that reads back to exactly v; empty for NaN.
inline void put_double(std::string& line, double v) {
  if (std::isnan(v)) return;
  if (std::isinf(v)) {
    line.append(v > 0 ? "inf" : "-inf");
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  line.append(buf, r.ptr);
}

template <class I> void put_integer(std::string& line, I v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  line.append(buf, r.ptr);
}

}  // namespace io_internal

// Writes the training set (spine and the batch result for it) to `out` as CSV. Refuses
// a spine and result of different lengths; reports a failed stream.
template <class FS, class Key>
[[nodiscard]] absl::Status write_csv(std::ostream& out, const FS&, const std::vector<spine_row<Key>>& spine,
                                     const batch::result<FS>& rows) {
  using FSet = std::remove_cvref_t<FS>;
  if (static_cast<std::size_t>(rows.values.rows()) != spine.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("skewless: the training set has ", rows.values.rows(), " rows but the spine ", spine.size()));
  }
  std::string line;
  io_internal::put_field(line, FSet::key_name.view());
  line.push_back(',');
  io_internal::put_field(line, FSet::time_name.view());
  for (std::string_view c : rows.columns) {
    line.push_back(',');
    io_internal::put_field(line, c);
  }
  line.push_back('\n');
  out << line;
  for (std::size_t r = 0; r < spine.size() && out; ++r) {
    line.clear();
    if constexpr (std::is_integral_v<Key>) io_internal::put_integer(line, spine[r].key);
    else io_internal::put_field(line, std::string_view(spine[r].key));
    line.push_back(',');
    io_internal::put_integer(line, spine[r].time_us);
    for (Eigen::Index c = 0; c < rows.values.cols(); ++c) {
      line.push_back(',');
      io_internal::put_double(line, rows.values(static_cast<Eigen::Index>(r), c));
    }
    line.push_back('\n');
    out << line;
  }
  out.flush();
  if (!out) return absl::DataLossError("skewless: writing the CSV failed (the stream reports an error)");
  return absl::OkStatus();
}

}  // namespace skewless::inline v1::io
