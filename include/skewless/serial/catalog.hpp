// skewless/serial/catalog.hpp — a machine-readable catalog of a feature set.
//
//   std::string json = skewless::serial::catalog_json(features);
//   absl::StatusOr<skewless::serial::catalog> back = skewless::serial::parse_catalog_json(json);
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

#include <skewless/detail/json.hpp>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace skewless::inline v1::serial {

struct catalog_field {
  std::string name;
  std::string type;
  template <class Archive> void serialize(Archive& ar) {
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
  template <class Archive> void serialize(Archive& ar) {
    ar(cereal::make_nvp("name", name), cereal::make_nvp("definition", definition), cereal::make_nvp("columns", columns),
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
  std::int64_t ttl_us = 0;  // 0: no TTL; part of the fingerprint when set
  std::vector<catalog_feature> features;
  std::string canonical_text;

  template <class Archive> void serialize(Archive& ar) {
    ar(cereal::make_nvp("library_version", library_version), cereal::make_nvp("format_version", format_version),
       cereal::make_nvp("fingerprint", fingerprint), cereal::make_nvp("key", key), cereal::make_nvp("time", time),
       cereal::make_nvp("allowed_lateness_us", allowed_lateness_us), cereal::make_nvp("ttl_us", ttl_us),
       cereal::make_nvp("features", features), cereal::make_nvp("canonical_text", canonical_text));
  }
};

template <class FS> [[nodiscard]] catalog make_catalog(const FS& fs) {
  catalog c;
  c.library_version = absl::StrCat(version.major, ".", version.minor, ".", version.patch);
  c.format_version = format_version;
  c.fingerprint = absl::StrCat(absl::Hex(fs.fingerprint(), absl::kZeroPad16));
  c.key = {std::string(FS::key_name.view()), std::string(type_name<typename FS::key_type>())};
  c.time = {std::string(FS::time_name.view()), std::string(time_traits<typename FS::time_type>::name)};
  c.allowed_lateness_us = fs.allowed_lateness_us;
  c.ttl_us = fs.ttl_us;
  const auto names = FS::names();
  [&]<std::size_t... F>(std::index_sequence<F...>) {
    (
        [&] {
          const auto& f = std::get<F>(fs.features);
          catalog_feature cf{
              std::string(f.name.view()), canonical_text(f.expr), {}, std::string(category_codes_field_of(f.expr))};
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

namespace serial_internal {
inline detail::json field_json(const catalog_field& f) {
  detail::json j = detail::json::object_of();
  j.add("name", detail::json::string_of(f.name));
  j.add("type", detail::json::string_of(f.type));
  return j;
}
inline absl::StatusOr<catalog_field> field_from(const detail::json& object, std::string_view key) {
  auto j = detail::member(object, key, detail::json::kind::object);
  if (!j.ok()) return j.status();
  catalog_field f;
  auto name = detail::string_member(**j, "name");
  auto type = detail::string_member(**j, "type");
  if (!name.ok()) return name.status();
  if (!type.ok()) return type.status();
  f.name = *std::move(name);
  f.type = *std::move(type);
  return f;
}
}  // namespace serial_internal

// The catalog as JSON: {"skewless_catalog": {"library_version": ..., "features": [...]}}.
[[nodiscard]] inline std::string catalog_json(const catalog& c) {
  using detail::json;
  json body = json::object_of();
  body.add("library_version", json::string_of(c.library_version));
  body.add("format_version", json::integer_of(c.format_version));
  body.add("fingerprint", json::string_of(c.fingerprint));
  body.add("key", serial_internal::field_json(c.key));
  body.add("time", serial_internal::field_json(c.time));
  body.add("allowed_lateness_us", json::integer_of(c.allowed_lateness_us));
  body.add("ttl_us", json::integer_of(c.ttl_us));
  json& features = body.add("features", json::array_of());
  for (const catalog_feature& f : c.features) {
    json jf = json::object_of();
    jf.add("name", json::string_of(f.name));
    jf.add("definition", json::string_of(f.definition));
    json& columns = jf.add("columns", json::array_of());
    for (const std::string& col : f.columns) columns.items.push_back(json::string_of(col));
    jf.add("category_codes_of", json::string_of(f.category_codes_of));
    features.items.push_back(std::move(jf));
  }
  body.add("canonical_text", json::string_of(c.canonical_text));
  json root = json::object_of();
  root.add("skewless_catalog", std::move(body));
  return detail::dump(root);
}
template <class FS>
  requires(!std::is_same_v<FS, catalog>)
[[nodiscard]] std::string catalog_json(const FS& fs) {
  return catalog_json(make_catalog(fs));
}

// Reads catalog_json's output back, or says what is missing or malformed.
[[nodiscard]] inline absl::StatusOr<catalog> parse_catalog_json(std::string_view text) {
  using detail::json;
  auto root = detail::parse_json(text);
  if (!root.ok()) return root.status();
  auto body = detail::member(*root, "skewless_catalog", json::kind::object);
  if (!body.ok()) return body.status();
  const json& b = **body;
  catalog c;
  auto library_version = detail::string_member(b, "library_version");
  auto format = detail::integer_member<std::uint32_t>(b, "format_version");
  auto fingerprint = detail::string_member(b, "fingerprint");
  auto key = serial_internal::field_from(b, "key");
  auto time = serial_internal::field_from(b, "time");
  auto lateness = detail::integer_member<std::int64_t>(b, "allowed_lateness_us");
  auto canonical = detail::string_member(b, "canonical_text");
  auto features = detail::member(b, "features", json::kind::array);
  for (const absl::Status& s : {library_version.status(), format.status(), fingerprint.status(), key.status(),
                                time.status(), lateness.status(), canonical.status(), features.status()}) {
    if (!s.ok()) return s;
  }
  c.library_version = *std::move(library_version);
  c.format_version = *format;
  c.fingerprint = *std::move(fingerprint);
  c.key = *std::move(key);
  c.time = *std::move(time);
  c.allowed_lateness_us = *lateness;
  if (b.find("ttl_us") != nullptr) {  // catalogs written before TTL existed have none
    auto ttl = detail::integer_member<std::int64_t>(b, "ttl_us");
    if (!ttl.ok()) return ttl.status();
    c.ttl_us = *ttl;
  }
  c.canonical_text = *std::move(canonical);
  for (const json& jf : (*features)->items) {
    catalog_feature f;
    auto name = detail::string_member(jf, "name");
    auto definition = detail::string_member(jf, "definition");
    auto codes = detail::string_member(jf, "category_codes_of");
    auto columns = detail::member(jf, "columns", json::kind::array);
    for (const absl::Status& s : {name.status(), definition.status(), codes.status(), columns.status()}) {
      if (!s.ok()) return s;
    }
    f.name = *std::move(name);
    f.definition = *std::move(definition);
    f.category_codes_of = *std::move(codes);
    for (const json& col : (*columns)->items) {
      if (col.type != json::kind::string) {
        return absl::InvalidArgumentError("skewless: a catalog column name is not a string");
      }
      f.columns.push_back(col.text);
    }
    c.features.push_back(std::move(f));
  }
  return c;
}

}  // namespace skewless::inline v1::serial
