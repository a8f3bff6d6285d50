#!/usr/bin/env bash
# examples/inference_service under load: wrk POSTs /predict for random users while a
# producer sends RATE payments/s (default 10,000) that the service's consumer ingests.
# Starts its own broker. Prints wrk's requests/s and latency percentiles for a few
# connection counts.
#
#   bench/inference_service.sh [BUILD_DIR]     # default build/; needs the example built
#   RATE=0 bench/inference_service.sh          # no ingest meanwhile (2 s of it first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${SKEWLESS_BUILD_DIR:-$root/build}}"
"$root/scripts/install-deps.sh" wrk
svc="$build/examples/inference_service"
[ -x "$svc" ] || { echo "build the inference_service example first (SKEWLESS_KAFKA=ON, libcpp-httplib-dev)" >&2; exit 1; }
work="$(mktemp -d)"
broker="$work/broker"
cleanup() {
  [ -n "${svc_pid:-}" ] && kill "$svc_pid" 2>/dev/null && wait "$svc_pid" 2>/dev/null
  [ -n "${producer_pid:-}" ] && kill "$producer_pid" 2>/dev/null
  "$root/scripts/kafka-broker.sh" stop "$broker"
  rm -rf "$work"
}
trap cleanup EXIT
bootstrap="$("$root/scripts/kafka-broker.sh" start "$broker")"
topic="payments"
"$svc" train --model "$work/model.txt"
# The producer first, so the topic exists and the service starts on a live stream.
rate="${RATE:-10000}"
if [ "$rate" = 0 ]; then
  "$svc" produce --bootstrap "$bootstrap" --topic "$topic" --rate 10000 --seconds 2 >/dev/null 2>&1
else
  "$svc" produce --bootstrap "$bootstrap" --topic "$topic" --rate "$rate" --seconds 600 >/dev/null 2>&1 &
  producer_pid=$!
fi
sleep 3
port=18080
"$svc" serve --bootstrap "$bootstrap" --topic "$topic" --model "$work/model.txt" --state "$work/state.snap" \
  --port "$port" > "$work/serve.log" 2>&1 &
svc_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
cat > "$work/predict.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, "/predict", nil, '{"user_id":' .. math.random(0, 1999) .. ',"amount":42.5}')
end
LUA
sleep 2
echo "inference_service under wrk (10 s each), the consumer ingesting $rate payments/s meanwhile"
for c in 1 2 4 8; do
  echo "== $c connection(s), 1 wrk thread"
  wrk -t1 -c"$c" -d10s --latency -s "$work/predict.lua" "http://127.0.0.1:$port" |
    grep -E "Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors"
done
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^skewless_(ingest_events_total\{outcome="accepted"\}|kafka_offset_lag|http_responses_total|read_latency_seconds_(count|sum))'
