#!/usr/bin/env bash
# Installs the Debian 12 packages skewless builds with, if any are missing. Quiet and
# idempotent: does nothing when everything is present. Extra package names may be
# passed as arguments (e.g. libbenchmark-dev for the benchmarks).
set -euo pipefail
packages=(g++ cmake ninja-build libboost-dev librange-v3-dev libeigen3-dev libcereal-dev
          libabsl-dev catch2 pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "skewless: installing missing packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
