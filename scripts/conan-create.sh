#!/usr/bin/env bash
# Proves the Conan 2 recipe offline: installs a pinned Conan from PyPI into a private
# virtualenv, and runs `conan create` (package + test_package) against Debian 12's
# system packages, declared as [platform_requires] in ci/conan/debian12-system.
# Touches neither ~/.conan2 nor any remote: CONAN_HOME is private and remotes are off.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conan_version=2.34.0
work="${SKEWLESS_CONAN_WORK:-$root/build/conan}"
"$root/scripts/install-deps.sh"
mkdir -p "$work"
"$root/scripts/python-venv.sh" "$work/venv" "conan==$conan_version" >/dev/null
export CONAN_HOME="$work/home"
conan="$work/venv/bin/conan"
"$conan" profile detect --force >/dev/null 2>&1
"$conan" create "$root" \
  -pr:h "$root/ci/conan/debian12-system" -pr:b "$root/ci/conan/debian12-system" \
  --build=missing --no-remote
