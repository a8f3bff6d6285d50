// skewless/serial/catalog.hpp — a machine-readable catalog of a feature set.
//
//   std::string json = skewless::serial::catalog_json(features);
//
// The catalog lists the fingerprint, the key and time fields, the online lateness and,
// for each feature, its name and its canonical definition (the text the fingerprint
// hashes), so a registry, a model artifact or a reviewer can see exactly what a column
// means and check it against the fingerprint stored with a model or a snapshot. A
// feature whose columns hold category codes of a string field names the field
// (category_codes_of); serial/categories.hpp maps the codes back to strings.
#pragma once

#include <skewless/expr/canonical.hpp>
#include <skewless/serial/categories.hpp>
#include <skewless/version.hpp>

#include <absl/strings/str_cat.h>

#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace skewless::inline v1::serial {

struct catalog_field {
  std::string name;
  std::string type;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(cereal::make_nvp("name", name), cereal::make_nvp("type", type));
  }
};

struct catalog_feature {
  std::string name;
  std::string definition;
  // Its output columns: the name itself, or name[suffix] for each column of a
  // multi-column feature (first_k, count_by, approx_quantile, ...).
  std::vector<std::string> columns;
  // The std::string field whose category codes the columns hold (most_frequent and
  // top_k_frequency of a string field; see categories.hpp to map codes back), or "".
  std::string category_codes_of;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(cereal::make_nvp("name", name), cereal::make_nvp("definition", definition),
       cereal::make_nvp("columns", columns),
       cereal::make_nvp("category_codes_of", category_codes_of));
  }
};

struct catalog {
  std::string library_version;
  std::uint32_t format_version = 0;
  std::string fingerprint;  // 16 hex digits
  catalog_field key;
  catalog_field time;
  std::int64_t allowed_lateness_us = 0;
  std::vector<catalog_feature> features;
  std::string canonical_text;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(cereal::make_nvp("library_version", library_version),
       cereal::make_nvp("format_version", format_version),
       cereal::make_nvp("fingerprint", fingerprint), cereal::make_nvp("key", key),
       cereal::make_nvp("time", time),
       cereal::make_nvp("allowed_lateness_us", allowed_lateness_us),
       cereal::make_nvp("features", features),
       cereal::make_nvp("canonical_text", canonical_text));
  }
};

template <class FS>
[[nodiscard]] catalog make_catalog(const FS& fs) {
  catalog c;
  c.library_version = absl::StrCat(version.major, ".", version.minor, ".", version.patch);
  c.format_version = format_version;
  c.fingerprint = absl::StrCat(absl::Hex(fs.fingerprint(), absl::kZeroPad16));
  c.key = {std::string(FS::key_name.view()), std::string(type_name<typename FS::key_type>())};
  c.time = {std::string(FS::time_name.view()),
            std::string(time_traits<typename FS::time_type>::name)};
  c.allowed_lateness_us = fs.allowed_lateness_us;
  const auto names = FS::names();
  [&]<std::size_t... F>(std::index_sequence<F...>) {
    (
        [&] {
          const auto& f = std::get<F>(fs.features);
          catalog_feature cf{std::string(f.name.view()), canonical_text(f.expr), {},
                             std::string(category_codes_field_of(f.expr))};
          for (std::size_t i = 0; i < feature_columns_v<decltype(f.expr)>; ++i) {
            cf.columns.emplace_back(names[FS::template column_offset<F> + i]);
          }
          c.features.push_back(std::move(cf));
        }(),
        ...);
  }(std::make_index_sequence<FS::feature_count>{});
  c.canonical_text = fs.canonical_text();
  return c;
}

// The catalog as JSON (cereal's JSON archive).
template <class FS>
[[nodiscard]] std::string catalog_json(const FS& fs) {
  catalog c = make_catalog(fs);
  std::ostringstream out;
  {
    cereal::JSONOutputArchive ar(out);
    ar(cereal::make_nvp("skewless_catalog", c));
  }
  return std::move(out).str();
}

}  // namespace skewless::inline v1::serial
