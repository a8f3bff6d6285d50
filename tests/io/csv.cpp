// Tests for skewless/io/csv.hpp: a training set written as CSV reads back to the same
// bits — random doubles of every exponent, -0, infinities, NaN as an empty field — and
// keys and names that need quoting are quoted.
#include <skewless/io/csv.hpp>

#include <skewless/batch/evaluate.hpp>
#include <skewless/expr/feature_set.hpp>

#include "support.hpp"

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace csv_test {
struct ev {
  std::string user;
  std::int64_t ts;
  double amount;
};
struct iev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
};
}  // namespace csv_test
BOOST_HANA_ADAPT_STRUCT(csv_test::ev, user, ts, amount);
BOOST_HANA_ADAPT_STRUCT(csv_test::iev, user, ts, amount);

using namespace skewless;
using skewless_test::same_bits;

namespace {
// RFC 4180 lines into fields (quoted fields may hold commas, quotes and newlines).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field.push_back(c);
    }
  }
  CHECK(was_quoted);
  rows.pop_back();  // after the last newline
  return rows;
}
double parse_double(const std::string& s) {
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  REQUIRE(r.ec == std::errc{});
  REQUIRE(r.ptr == s.data() + s.size());
  return v;
}
}  // namespace

TEST_CASE("csv: every value reads back to its bits, NaN as an empty field, odd keys quoted", "[io]") {
  using namespace std::chrono_literals;
  constexpr auto fs = define_features<csv_test::ev, "user", "ts">(
      feature<"n">(count(sliding(1h))), feature<"q">(approx_quantile<0.5>(field<csv_test::ev, "amount">, lifetime())));
  std::vector<spine_row<std::string>> spine;
  batch::result<decltype(fs)> rows;
  std::mt19937_64 rng(skewless_test::base_seed() + 3);
  const int n = 2000;
  rows.values.resize(n, 2);
  const double specials[] = {-0.0,
                             0.0,
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::min(),
                             0.1,
                             1e300};
  for (int r = 0; r < n; ++r) {
    const std::string keys[] = {"plain", "with,comma", "with \"quotes\"", "line\nbreak", "", "ünï"};
    spine.push_back({keys[r % 6], static_cast<std::int64_t>(rng()) >> 1});
    for (int c = 0; c < 2; ++c) {
      double v;
      do {
        v = std::bit_cast<double>(rng());  // every exponent, subnormals included
      } while (std::isnan(v));
      if (rng() % 5 == 0) v = specials[rng() % 10];
      rows.values(r, c) = v;
    }
  }
  std::ostringstream out;
  REQUIRE(io::write_csv(out, fs, spine, rows).ok());
  const auto table = parse_csv(out.str());
  REQUIRE(table.size() == static_cast<std::size_t>(n) + 1);
  CHECK(table[0] ==
        std::vector<std::string>{"user", "ts", "n", "q"});  // one quantile: one column, named as the feature
  for (int r = 0; r < n; ++r) {
    const auto& row = table[static_cast<std::size_t>(r) + 1];
    REQUIRE(row.size() == 4);
    CHECK(row[0] == spine[static_cast<std::size_t>(r)].key);
    CHECK(std::stoll(row[1]) == spine[static_cast<std::size_t>(r)].time_us);
    for (int c = 0; c < 2; ++c) {
      INFO("row " << r << " column " << c << " text '" << row[2 + static_cast<std::size_t>(c)] << "'");
      REQUIRE(same_bits(parse_double(row[2 + static_cast<std::size_t>(c)]), rows.values(r, c)));
    }
  }
  const bool has_negative_zero =
      out.str().find(",-0,") != std::string::npos || out.str().find(",-0\n") != std::string::npos;
  CHECK(has_negative_zero);

  // A spine and a result of different lengths are refused; integer keys are plain.
  spine.pop_back();
  std::ostringstream bad;
  CHECK_FALSE(io::write_csv(bad, fs, spine, rows).ok());
  constexpr auto ifs = define_features<csv_test::iev, "user", "ts">(feature<"n">(count(lifetime())));
  const std::vector<csv_test::iev> events{{-7, 1, 0.5}, {-7, 2, 0.5}};
  const std::vector<spine_row<std::int64_t>> ispine{{-7, 3}, {8, 3}};
  std::ostringstream iout;
  REQUIRE(io::write_csv(iout, ifs, ispine, batch::evaluate(ifs, events, ispine)).ok());
  CHECK(iout.str() == "user,ts,n\n-7,3,2\n8,3,0\n");
}
