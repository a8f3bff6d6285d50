// Tests for skewless/expr/feature_set.hpp and canonical.hpp: names, aggregate layout,
// canonical text and the compile-time fingerprint.
#include <skewless/expr/feature_set.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fs_test {
struct payment {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  std::string merchant;
};
}  // namespace fs_test
BOOST_HANA_ADAPT_STRUCT(fs_test::payment, user, ts, amount, merchant);

using namespace skewless;
using namespace std::chrono_literals;
using fs_test::payment;

namespace {
constexpr auto amount = field<payment, "amount">;
constexpr auto features =
    define_features<payment, "user", "ts">(feature<"spend_1h">(sum(amount, sliding(1h))),
                                           feature<"avg_1d">(sum(amount, sliding(24h)) / max(count(sliding(24h)), 1)),
                                           feature<"n_big">(count(lifetime()).where(amount > 1000)),
                                           feature<"n_merchant">(count(field<payment, "merchant">, sliding(1h))));
}  // namespace

TEST_CASE("feature_set: names, size and aggregate layout", "[expr][feature_set]") {
  STATIC_REQUIRE(features.size == 4);
  STATIC_REQUIRE(features.aggregate_count == 5);
  STATIC_REQUIRE(decltype(features)::value_offset<0> == 0);
  STATIC_REQUIRE(decltype(features)::value_offset<1> == 1);
  STATIC_REQUIRE(decltype(features)::value_offset<2> == 3);
  STATIC_REQUIRE(decltype(features)::value_offset<3> == 4);
  constexpr auto names = decltype(features)::names();
  CHECK(names[0] == "spend_1h");
  CHECK(names[3] == "n_merchant");
  STATIC_REQUIRE(std::is_same_v<decltype(features)::key_type, std::int64_t>);
}

TEST_CASE("fingerprint: FNV-1a 64 of the canonical text, at compile time", "[expr][fingerprint]") {
  // FNV-1a 64 test vectors from the FNV specification.
  STATIC_REQUIRE(fnv1a64("") == 0xcbf29ce484222325ull);
  STATIC_REQUIRE(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  STATIC_REQUIRE(fnv1a64("foobar") == 0x85944171f73967e8ull);
  constexpr std::uint64_t fp = features.fingerprint();
  CHECK(fp == fnv1a64(features.canonical_text()));
  CHECK(features.canonical_text() ==
        "skewless-definition v1\n"
        "key user:i64\n"
        "time ts:i64_us\n"
        "rule strict\n"
        "feature spend_1h = sum(field(amount:f64),sliding(3600000000us),where=all)\n"
        "feature avg_1d = div(sum(field(amount:f64),sliding(86400000000us),where=all),"
        "max2(count(*,sliding(86400000000us),where=all),lit(0x3ff0000000000000)))\n"
        "feature n_big = count(*,lifetime(),where=gt(field(amount:f64),lit(0x408f400000000000)))\n"
        "feature n_merchant = count(field(merchant:string),sliding(3600000000us),where=all)\n");
}

TEST_CASE("fingerprint: any change to the definition changes it", "[expr][fingerprint]") {
  constexpr auto base = define_features<payment, "user", "ts">(feature<"f">(sum(amount, sliding(1h))));
  constexpr auto other_window = define_features<payment, "user", "ts">(feature<"f">(sum(amount, sliding(2h))));
  constexpr auto other_name = define_features<payment, "user", "ts">(feature<"g">(sum(amount, sliding(1h))));
  constexpr auto other_kind = define_features<payment, "user", "ts">(feature<"f">(mean(amount, sliding(1h))));
  constexpr auto other_lit = define_features<payment, "user", "ts">(feature<"f">(sum(amount * 1.0, sliding(1h))));
  constexpr auto other_key = define_features<payment, "merchant", "ts">(feature<"f">(sum(amount, sliding(1h))));
  STATIC_REQUIRE(base.fingerprint() != other_window.fingerprint());
  STATIC_REQUIRE(base.fingerprint() != other_name.fingerprint());
  STATIC_REQUIRE(base.fingerprint() != other_kind.fingerprint());
  STATIC_REQUIRE(base.fingerprint() != other_lit.fingerprint());
  STATIC_REQUIRE(base.fingerprint() != other_key.fingerprint());
  // Lateness is an online option that changes no value: same fingerprint.
  STATIC_REQUIRE(base.fingerprint() == base.with_allowed_lateness(5min).fingerprint());
}

namespace {
enum class brand : int { visa = 1, amex = 7 };
struct card_payment {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  std::string merchant;
  brand card;
};
}  // namespace
BOOST_HANA_ADAPT_STRUCT(card_payment, user, ts, amount, merchant, card);

TEST_CASE("multi-column features: sizes, value layout, column names", "[expr][feature_set]") {
  constexpr auto amt = field<card_payment, "amount">;
  constexpr auto merchant = field<card_payment, "merchant">;
  constexpr auto card = field<card_payment, "card">;
  constexpr auto fs = define_features<card_payment, "user", "ts">(
      feature<"spend">(sum(amt, sliding(1h))), feature<"recent">(last_k<3>(amt, last_n(10))),
      feature<"lat">(approx_quantile<0.5, 0.999, 1.0>(amt, tiled(24h, 1h))),
      feature<"by_merchant">(count_by(merchant, vocabulary<"acme", "globex">, sliding(24h))),
      feature<"by_card">(sum_by(amt, card, vocabulary<brand::visa, brand::amex>, lifetime())),
      feature<"n_merchants">(distinct_count(merchant, lifetime()) / max(count(lifetime()), 1)));
  using FS = decltype(fs);
  STATIC_REQUIRE(FS::feature_count == 6);
  STATIC_REQUIRE(FS::size == 1 + 3 + 3 + 2 + 2 + 1);
  STATIC_REQUIRE(FS::aggregate_count == 1 + 1 + 1 + 2 + 2 + 2);
  STATIC_REQUIRE(FS::value_count == 1 + 3 + 3 + 2 + 2 + 2);
  STATIC_REQUIRE(FS::value_offset<2> == 4);
  STATIC_REQUIRE(FS::column_offset<3> == 7);
  STATIC_REQUIRE(FS::aggregate_value_offsets[3] == 7);
  constexpr auto names = FS::names();
  const std::vector<std::string_view> expect{
      "spend",     "recent[0]",         "recent[1]",           "recent[2]",  "lat[p50]",   "lat[p99.9]",
      "lat[p100]", "by_merchant[acme]", "by_merchant[globex]", "by_card[1]", "by_card[7]", "n_merchants"};
  CHECK(std::vector<std::string_view>(names.begin(), names.end()) == expect);
  // count_by is one filtered count per vocabulary value, comparing category codes.
  const std::string text = fs.canonical_text();
  CHECK(
      text.find("feature by_merchant = columns(count(*,sliding(86400000000us),where=eq(field(merchant:string),lit(") !=
      std::string::npos);
  CHECK(text.find("feature lat = approx_quantile[alpha=0x3f847ae147ae147b,q=0x3fe0000000000000,") != std::string::npos);
  CHECK(text.find("feature recent = last_k[k=3](field(amount:f64),last_n(10),where=all)") != std::string::npos);
}

TEST_CASE("category codes: fixed values, exact integers below 2^52", "[expr][category]") {
  STATIC_REQUIRE(category_code("") == static_cast<double>(mix64(0xcbf29ce484222325ull) >> 12));
  STATIC_REQUIRE(category_code("visa") != category_code("visa "));
  constexpr double c = category_code("acme");
  STATIC_REQUIRE(c >= 0 && c < 0x1p52 && c == static_cast<double>(static_cast<std::int64_t>(c)));
  // Pinned: changing the hash changes every string category's value (a breaking change).
  CHECK(static_cast<std::int64_t>(category_code("visa")) == static_cast<std::int64_t>(mix64(fnv1a64("visa")) >> 12));
  STATIC_REQUIRE(mix64(1) == 0xb456bcfc34c2cb2cull);
}

namespace fs_test {
enum class event_kind : std::uint8_t { view = 0, click = 1, purchase = 2, refund = 3 };
enum class unnamed_kind : std::int16_t { a = -4, b = 9 };
struct ad_event {
  std::int64_t user;
  std::int64_t ts;
  event_kind kind;
  unnamed_kind other;
};
}  // namespace fs_test
BOOST_HANA_ADAPT_STRUCT(fs_test::ad_event, user, ts, kind, other);
template <> struct skewless::enum_names<fs_test::event_kind> {
  static constexpr std::string_view name(fs_test::event_kind k) noexcept {
    switch (k) {
      case fs_test::event_kind::view: return "view";
      case fs_test::event_kind::click: return "click";
      case fs_test::event_kind::purchase: return "purchase";
      default: return {};  // refund: no name, keeps its number
    }
  }
};

TEST_CASE("feature_set: enum vocabulary columns are named by enum_names, else numbered", "[expr][feature_set]") {
  using fs_test::event_kind;
  using fs_test::unnamed_kind;
  constexpr auto kind = field<fs_test::ad_event, "kind">;
  constexpr auto other = field<fs_test::ad_event, "other">;
  constexpr auto ads = define_features<fs_test::ad_event, "user", "ts">(
      feature<"n">(count_by(kind, vocabulary<event_kind::view, event_kind::click, event_kind::refund>, lifetime())),
      feature<"o">(count_by(other, vocabulary<unnamed_kind::a, unnamed_kind::b>, lifetime())),
      feature<"clicks">(count(lifetime()).where(kind == event_kind::click)));
  constexpr auto names = decltype(ads)::names();
  CHECK(names[0] == "n[view]");
  CHECK(names[1] == "n[click]");
  CHECK(names[2] == "n[3]");
  CHECK(names[3] == "o[-4]");
  CHECK(names[4] == "o[9]");
  // Names are labels: the canonical text (and fingerprint) names the enum by its
  // underlying type and its values by number.
  CHECK_THAT(ads.canonical_text(), Catch::Contains("feature clicks = count(*,lifetime(),where=eq(field(kind:enum_u8),"
                                                   "lit(0x3ff0000000000000)))"));
  CHECK_THAT(ads.canonical_text(), Catch::Contains("field(other:enum_i16)"));
}
