#!/usr/bin/env bash
# A private Python virtualenv with pinned packages from PyPI, made once and reused:
#
#   python="$(scripts/python-venv.sh build/python-venv pyarrow==26.0.1)"
#
# Prints the venv's python. Installs Debian's python3 and python3-venv first if they are
# missing, and remakes the venv when a requirement is not satisfied. Quiet.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$(realpath -m "$1")"; shift
satisfied() {
  [ -x "$venv/bin/python" ] || return 1
  local r
  for r in "$@"; do
    "$venv/bin/python" -m pip show --disable-pip-version-check "${r%%==*}" 2>/dev/null |
      grep -qx "Version: ${r#*==}" || return 1
  done
}
if ! satisfied "$@"; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    "$root/scripts/install-deps.sh" python3 python3-venv >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
fi
echo "$venv/bin/python"
