// Fuzz target: a Kafka message's JSON into the event struct (skewless/kafka/json_decoder.hpp).
// The bytes are one message for an event of every field type. Whatever the input: no
// crash and no undefined behaviour; a refused message leaves the event exactly as it
// was; the same message decoded again (the parser reused) gives the same outcome and
// the same event, to the bit.
#include "fuzz/definitions.hpp"

#include <skewless/adapters/absl_time.hpp>
#include <skewless/kafka/json_decoder.hpp>

#include <array>
#include <cstring>
#include <string>
#include <string_view>

namespace fuzz_json {
enum class kind : std::int16_t { a = 1, b = 2 };
struct ev {
  std::int64_t user;
  std::int64_t ts;
  double amount;
  float ratio;
  std::int8_t small;
  std::uint64_t big;
  bool flag;
  std::string country;
  kind what;
  std::array<double, 3> emb;
  absl::Time at;
};
}  // namespace fuzz_json
BOOST_HANA_ADAPT_STRUCT(fuzz_json::ev, user, ts, amount, ratio, small, big, flag, country, what, emb, at);

namespace {
using namespace skewless;
constexpr auto fs = define_features<fuzz_json::ev, "user", "ts">(feature<"n">(count(lifetime())));

bool same(const fuzz_json::ev& a, const fuzz_json::ev& b) {
  const auto bits = [](double d) { return std::bit_cast<std::uint64_t>(d); };
  bool emb = true;
  for (std::size_t i = 0; i < 3; ++i) emb = emb && bits(a.emb[i]) == bits(b.emb[i]);
  return a.user == b.user && a.ts == b.ts && bits(a.amount) == bits(b.amount) &&
         std::bit_cast<std::uint32_t>(a.ratio) == std::bit_cast<std::uint32_t>(b.ratio) && a.small == b.small &&
         a.big == b.big && a.flag == b.flag && a.country == b.country && a.what == b.what && emb && a.at == b.at;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the time unit; the rest is the message.
  const arrow::time_unit units[] = {arrow::time_unit::unspecified, arrow::time_unit::seconds,
                                    arrow::time_unit::milliseconds, arrow::time_unit::nanoseconds};
  static kafka::json_decoder<decltype(fs)> decoders[] = {
      kafka::json_decoder<decltype(fs)>({.max_bytes = 1 << 16, .time_unit = units[0]}),
      kafka::json_decoder<decltype(fs)>({.max_bytes = 1 << 16, .time_unit = units[1]}),
      kafka::json_decoder<decltype(fs)>({.max_bytes = 1 << 16, .time_unit = units[2]}),
      kafka::json_decoder<decltype(fs)>({.max_bytes = 1 << 16, .time_unit = units[3]})};
  auto& decode = decoders[data[0] % 4];
  const std::string_view message(reinterpret_cast<const char*>(data + 1), size - 1);

  fuzz_json::ev sentinel{};
  sentinel.user = 77;
  sentinel.country = "sentinel";
  sentinel.amount = -0.0;
  fuzz_json::ev e = sentinel;
  std::string why;
  const kafka::decode_status first = decode(message, e, &why);
  if (first != kafka::decode_status::ok) {
    fuzz::require(same(e, sentinel), "a refused message changed the event");
    fuzz::require(!why.empty(), "a refusal without a reason");
  }
  fuzz_json::ev again = sentinel;
  const kafka::decode_status second = decode(message, again);
  fuzz::require(second == first, "the same message decoded twice gave two outcomes");
  fuzz::require(same(again, e), "the same message decoded twice gave two events");
  return 0;
}

void fuzz_write_seeds(const char* dir) {
  const char* seeds[] = {
      R"({"user":1,"ts":1700000000000000,"amount":12.5,"ratio":0.25,"small":-3,"big":18446744073709551615,)"
      R"("flag":true,"country":"de","what":2,"emb":[1e-300,null,-0.0],"at":"2026-12-07T10:00:00.25Z"})",
      R"({"user":-9,"ts":"2023-11-14T22:13:20Z","amount":"NaN","small":0,"big":0,"flag":0,"country":"\u00e9",)"
      R"("what":1,"at":5,"extra":{"a":[1,{"b":null}]}})",
      R"({"user":1,"ts":2,"small":0,"big":0,"flag":false,"country":"x","what":1,"at":1,"user":3})",
      R"({"user":9223372036854775808,"ts":1e3,"amount":1e400})",
      R"([1,2,3])",
  };
  int i = 0;
  for (const char* s : seeds) {
    for (char unit = 0; unit < 2; ++unit) {
      const std::string path = std::string(dir) + "/seed-" + std::to_string(i++);
      std::FILE* f = std::fopen(path.c_str(), "wb");
      fuzz::require(f != nullptr, "cannot write a seed");
      std::fputc(unit, f);
      std::fwrite(s, 1, std::strlen(s), f);
      std::fclose(f);
    }
  }
}
