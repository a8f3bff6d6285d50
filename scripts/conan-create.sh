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
if ! "$work/venv/bin/conan" --version 2>/dev/null | grep -q "$conan_version"; then
  rm -rf "$work/venv"
  if ! python3 -m venv "$work/venv" 2>/dev/null; then
    "$root/scripts/install-deps.sh" python3 python3-venv
    python3 -m venv "$work/venv"
  fi
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check "conan==$conan_version"
fi
export CONAN_HOME="$work/home"
conan="$work/venv/bin/conan"
"$conan" profile detect --force >/dev/null 2>&1
"$conan" create "$root" \
  -pr:h "$root/ci/conan/debian12-system" -pr:b "$root/ci/conan/debian12-system" \
  --build=missing --no-remote
