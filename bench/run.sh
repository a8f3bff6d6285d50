#!/usr/bin/env bash
# Runs every benchmark at full size and writes the raw results to bench/results/:
#   online_ingest.json batch.json exact_sum.json (Google Benchmark JSON), batch_scaling.txt/json,
#   read_latency.txt, concurrent_serving.txt, ad_click.txt, arrow_io.txt, python_module.txt,
#   spark.txt, kafka_decode.txt, kafka_consumer.txt (a broker started for it),
#   compile_time.txt, peers.json/peers.txt, and plots the ingest
#   throughput against the number of entities (docs/ingest_throughput.png) and the batch
#   scaling (docs/batch_scaling.png).
# Takes a few minutes; needs ~8 GiB of memory and network access to PyPI for the peers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SKEWLESS_BUILD_DIR:-$root/build}"
res="$root/bench/results"
mkdir -p "$res"
"$root/scripts/install-deps.sh" libbenchmark-dev python3-dev python3-venv librdkafka-dev libsimdjson-dev
command -v java >/dev/null || "$root/scripts/install-deps.sh" openjdk-17-jre-headless
# The Python module and Spark benchmarks use the test venv (scripts/python-requirements.txt).
python="$("$root/scripts/python-venv.sh" "$build/python-venv" $(cat "$root/scripts/python-requirements.txt"))"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSKEWLESS_BUILD_BENCH=ON \
  -DSKEWLESS_KAFKA=ON -DSKEWLESS_PYTHON="$python" >/dev/null
cmake --build "$build" --target bench_online_ingest bench_batch bench_exact_sum bench_read_latency bench_export_for_peers \
  bench_concurrent_serving bench_ad_click bench_arrow_io bench_batch_scaling skewless_bench bench_kafka_decode \
  bench_kafka_consumer
b="$build/bench"
"$b/bench_exact_sum" --benchmark_out="$res/exact_sum.json" --benchmark_out_format=json
"$b/bench_online_ingest" --benchmark_out="$res/online_ingest.json" --benchmark_out_format=json
"$b/bench_batch" --benchmark_out="$res/batch.json" --benchmark_out_format=json
"$b/bench_batch_scaling" --json "$res/batch_scaling.json" | tee "$res/batch_scaling.txt"
"$b/bench_read_latency" | tee "$res/read_latency.txt"
"$b/bench_concurrent_serving" | tee "$res/concurrent_serving.txt"
"$b/bench_ad_click" | tee "$res/ad_click.txt"
"$b/bench_arrow_io" | tee "$res/arrow_io.txt"
"$b/bench_kafka_decode" | tee "$res/kafka_decode.txt"
broker="$build/kafka-bench"
rm -rf "$broker"
trap '"$root/scripts/kafka-broker.sh" stop "$broker"' EXIT
SKEWLESS_KAFKA_BOOTSTRAP="$("$root/scripts/kafka-broker.sh" start "$broker")" "$b/bench_kafka_consumer" 2>/dev/null |
  tee "$res/kafka_consumer.txt"
"$root/scripts/kafka-broker.sh" stop "$broker"
PYTHONPATH="$b" "$python" "$root/bench/python_module.py" | tee "$res/python_module.txt"
PYTHONPATH="$b:$root/python" "$python" -W ignore::FutureWarning "$root/bench/spark.py" 2>/dev/null | tee "$res/spark.txt"
"$root/bench/compile_time.sh" | tee "$res/compile_time.txt"
venv="$build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    duckdb==2.0.0 pandas==3.1.1 polars==2.1.0 pyarrow matplotlib numpy
fi
"$venv/bin/python" "$root/bench/peers/run.py" --tool "$b/bench_export_for_peers" \
  --events "${PEER_EVENTS:-10000000}" --rows "${PEER_ROWS:-1000000}" --users "${PEER_USERS:-1000000}" \
  --json "$res/peers.json" | tee "$res/peers.txt"
"$venv/bin/python" "$root/bench/plot.py" "$res/online_ingest.json" "$root/docs/ingest_throughput.png"
"$venv/bin/python" "$root/bench/plot_batch_scaling.py" "$res/batch_scaling.json" "$root/docs/batch_scaling.png"
