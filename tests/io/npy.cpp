// Tests for skewless/io/npy.hpp: the header NumPy reads (format 1.0, data aligned to
// 64 bytes) and the matrix's own bits after it. tests/arrow/interop.py loads such a
// file with numpy itself.
#include <skewless/io/npy.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>

using namespace skewless;
using skewless_test::same_bits;

TEST_CASE("npy: format 1.0 header, 64-byte aligned data, the matrix's bits row after row", "[io]") {
  const std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                               "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }" + std::string(58, ' ') +
                               "\n";
  CHECK(io::npy_header(3, 2) == expected);
  std::mt19937_64 rng(skewless_test::base_seed() + 11);
  for (const auto& [r, c] : {std::pair{0, 0}, std::pair{1, 1}, std::pair{7, 3}, std::pair{1000, 17}}) {
    feature_matrix m(r, c);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = std::bit_cast<double>(rng());
    }
    if (m.size() > 0) m(0, 0) = std::numeric_limits<double>::quiet_NaN();
    std::ostringstream out;
    REQUIRE(io::write_npy(out, m).ok());
    const std::string bytes = out.str();
    const std::size_t header = 10 + static_cast<std::size_t>(static_cast<unsigned char>(bytes[8]) |
                                                             (static_cast<unsigned char>(bytes[9]) << 8));
    CHECK(header % 64 == 0);
    CHECK(bytes.substr(header - 1, 1) == "\n");
    CHECK(bytes.find("'shape': (" + std::to_string(r) + ", " + std::to_string(c) + ")") != std::string::npos);
    REQUIRE(bytes.size() == header + static_cast<std::size_t>(m.size()) * 8);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      for (Eigen::Index j = 0; j < m.cols(); ++j) {
        double v;
        std::memcpy(&v, bytes.data() + header + static_cast<std::size_t>(i * m.cols() + j) * 8, 8);
        REQUIRE(same_bits(v, m(i, j)));
      }
    }
  }
  CHECK_FALSE(io::write_npy(std::string("/nonexistent-dir/x.npy"), feature_matrix(1, 1)).ok());
}
