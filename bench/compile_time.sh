#!/usr/bin/env bash
# Seconds to compile (one translation unit, -O2, as the build does): the quickstart
# example, and a generated definition of 50 features (5 aggregates x 10 windows) that
# is evaluated in batch and online.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mktemp -d)"
flags=(-std=c++20 -O2 -I"$root/include" -I/usr/include/eigen3 -c)
{
  echo '#include <skewless/skewless.hpp>'
  echo 'struct ev { std::int64_t k; std::int64_t ts; double x; };'
  echo 'BOOST_HANA_ADAPT_STRUCT(ev, k, ts, x);'
  echo 'using namespace std::chrono_literals;'
  echo 'constexpr auto x = skewless::field<ev, "x">;'
  echo 'constexpr auto fs = skewless::define_features<ev, "k", "ts">('
  sep=""
  for w in 1 2 3 4 5 6 7 8 9 10; do
    for a in sum mean max min last; do
      printf '%s  skewless::feature<"%s_%dh">(skewless::%s(x, skewless::sliding(%dh)))' "$sep" "$a" "$w" "$a" "$w"
      sep=$',\n'
    done
  done
  echo ');'
  echo 'int main() {'
  echo '  std::vector<ev> events{{1, 0, 1.0}, {1, 5, 2.0}};'
  echo '  auto b = skewless::batch::evaluate(fs, events);'
  echo '  skewless::online::evaluator on(fs);'
  echo '  for (auto& e : events) (void)on.ingest(e);'
  echo '  skewless::feature_vector<decltype(fs)> v;'
  echo '  return on.features(1, 10, v).ok() && b.values.rows() == 2 ? 0 : 1;'
  echo '}'
} > "$out/fifty.cpp"
time_of() {  # milliseconds
  local s e
  s=$(date +%s%N)
  g++ "${flags[@]}" "$1" -o "$out/x.o"
  e=$(date +%s%N)
  echo $(((e - s) / 1000000))
}
ms=$(time_of "$root/examples/quickstart/main.cpp")
echo "compile quickstart (examples/quickstart/main.cpp): $((ms / 1000)).$((ms % 1000 / 100)) s"
ms=$(time_of "$out/fifty.cpp")
echo "compile 50-feature definition (batch + online):     $((ms / 1000)).$((ms % 1000 / 100)) s"
rm -rf "$out"
