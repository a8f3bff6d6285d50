// Tests for skewless/expr/feature_set.hpp and canonical.hpp: names, aggregate layout,
// canonical text and the compile-time fingerprint.
#include <skewless/expr/feature_set.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <string>

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
constexpr auto features = define_features<payment, "user", "ts">(
    feature<"spend_1h">(sum(amount, sliding(1h))),
    feature<"avg_1d">(sum(amount, sliding(24h)) / max(count(sliding(24h)), 1)),
    feature<"n_big">(count(lifetime()).where(amount > 1000)),
    feature<"n_merchant">(count(field<payment, "merchant">, sliding(1h))));
}  // namespace

TEST_CASE("feature_set: names, size and aggregate layout", "[expr][feature_set]") {
  STATIC_REQUIRE(features.size == 4);
  STATIC_REQUIRE(features.aggregate_count == 5);
  STATIC_REQUIRE(decltype(features)::aggregate_offset<0> == 0);
  STATIC_REQUIRE(decltype(features)::aggregate_offset<1> == 1);
  STATIC_REQUIRE(decltype(features)::aggregate_offset<2> == 3);
  STATIC_REQUIRE(decltype(features)::aggregate_offset<3> == 4);
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
