// skewless/io/npy.hpp — a feature matrix as a NumPy .npy file.
//
//   absl::Status s = skewless::io::write_npy("features.npy", rows.values);
//   // python: numpy.load("features.npy")  -> float64 array, rows x feature columns
//
// Format 1.0 of the NumPy file format: the magic "\x93NUMPY", version 1.0, a header
// length, then the header dictionary {'descr': '<f8', 'fortran_order': False,
// 'shape': (rows, columns), } padded with spaces and a newline so the data start at a
// multiple of 64 bytes, then the values row after row, little-endian. The bits are the
// matrix's own (NaN for a missing value). Column names are not in a .npy file: take them
// from FS::names() or the catalog.
#pragma once

#include <skewless/types.hpp>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <ostream>
#include <string>

namespace skewless::inline v1::io {

// The .npy header (magic through the padded dictionary) for a float64 matrix.
[[nodiscard]] inline std::string npy_header(std::int64_t rows, std::int64_t cols) {
  std::string dict = absl::StrCat("{'descr': '<f8', 'fortran_order': False, 'shape': (", rows, ", ", cols, "), }");
  const std::size_t unpadded = 10 + dict.size() + 1;  // magic 6, version 2, length 2; dict; '\n'
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string h("\x93NUMPY\x01\x00", 8);
  const auto n = static_cast<std::uint16_t>(dict.size());
  h.push_back(static_cast<char>(n & 0xff));
  h.push_back(static_cast<char>(n >> 8));
  return h + dict;
}

// Writes m (rows x columns, float64, C order) to `out`.
[[nodiscard]] inline absl::Status write_npy(std::ostream& out, const feature_matrix& m) {
  static_assert(std::endian::native == std::endian::little, "skewless::io::write_npy writes '<f8' from memory");
  out << npy_header(m.rows(), m.cols());
  // feature_matrix is row-major: its memory is the file's data, row after row.
  out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(double)));
  out.flush();
  if (!out) return absl::DataLossError("skewless: writing the .npy failed (the stream reports an error)");
  return absl::OkStatus();
}

// Writes m to the file at `path` (created or truncated).
[[nodiscard]] inline absl::Status write_npy(const std::string& path, const feature_matrix& m) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return absl::NotFoundError(absl::StrCat("skewless: cannot open ", path, " for writing"));
  return write_npy(f, m);
}

}  // namespace skewless::inline v1::io
