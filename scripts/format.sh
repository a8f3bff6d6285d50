#!/usr/bin/env bash
# Lays out every C++ file of the project as .clang-format says, with Debian 12's
# clang-format-19 (installed if missing). The test suite checks the same files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh" clang-format-19
cd "$root"
git ls-files '*.hpp' '*.cpp' | grep -v '^tests/layering/fixture/' | xargs clang-format-19 -i
