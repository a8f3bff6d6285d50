#!/usr/bin/env bash
# A real Apache Kafka broker for the tests: KRaft, broker and controller in one JVM, on
# loopback. The jars come from Maven Central into a cache outside the repository (never
# committed); Java 17 and Maven come from Debian.
#
#   scripts/kafka-broker.sh fetch              # the jars, once (~45 jars, ~43 MB)
#   scripts/kafka-broker.sh start DIR          # formats DIR, starts, waits until it answers;
#                                              # prints the bootstrap address (DIR/bootstrap)
#   scripts/kafka-broker.sh stop DIR           # stops the broker started in DIR (its pid file)
#   scripts/kafka-broker.sh restart DIR        # stop, then start on the same data and ports
#
# The log cleaner's dedupe buffer is 16 MB, not Kafka's 128 MB: with the default, a
# 256 MB heap ran out at start now and then (OutOfMemoryError in LogCleaner) on a loaded
# machine. The heap is 384 MB.
# SKEWLESS_CACHE (default ~/.cache/skewless) holds the jars; KAFKA_VERSION (4.4.0) the
# broker's version. Ports are free ones picked at start and kept in DIR for a restart.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${KAFKA_VERSION:-4.4.0}"
cache="${SKEWLESS_CACHE:-$HOME/.cache/skewless}/kafka-$version"

fetch() {
  [ -f "$cache/lib/.complete" ] && return 0
  command -v java >/dev/null || "$root/scripts/install-deps.sh" openjdk-17-jre-headless
  "$root/scripts/install-deps.sh" maven kcat
  mkdir -p "$cache"
  cat > "$cache/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>skewless</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.5</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "$cache/lib"
  mvn -B -q -f "$cache/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$cache/lib" >"$cache/maven.log" 2>&1 || { cat "$cache/maven.log" >&2; exit 1; }
  touch "$cache/lib/.complete"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1"
  fetch
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ ! -f "$dir/server.properties" ]; then
    local port controller
    port="$(free_port)"
    controller="$(free_port)"
    cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.check.interval.ms=1000
log.cleaner.dedupe.buffer.size=16777216
PROPS
    echo "127.0.0.1:$port" > "$dir/bootstrap"
    java -cp "$cache/lib/*" kafka.tools.StorageTool format -t "$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' |
      tr -d '=')" -c "$dir/server.properties" >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; exit 1; }
  fi
  java -Xms128m -Xmx384m -cp "$cache/lib/*" kafka.Kafka "$dir/server.properties" >>"$dir/broker.log" 2>&1 &
  echo $! > "$dir/pid"
  local bootstrap
  bootstrap="$(cat "$dir/bootstrap")"
  for _ in $(seq 1 300); do
    if kcat -b "$bootstrap" -L -m 1 >/dev/null 2>&1; then
      echo "$bootstrap"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "kafka-broker: the broker exited; its log:" >&2
      tail -30 "$dir/broker.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "kafka-broker: no answer from $bootstrap after 60 s" >&2
  stop "$dir"
  exit 1
}

stop() {
  local dir="$1" pid
  [ -f "$dir/pid" ] || return 0
  pid="$(cat "$dir/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start "${2:?start DIR}" ;;
  stop) stop "${2:?stop DIR}" ;;
  restart) stop "${2:?restart DIR}"; start "$2" ;;
  *) echo "usage: $0 fetch | start DIR | stop DIR | restart DIR" >&2; exit 2 ;;
esac
