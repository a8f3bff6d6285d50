#!/usr/bin/env bash
# pip install ./examples/python as a user would (pyproject.toml: scikit-build-core builds
# the CMake project, nanobind the module, stubgen its .pyi) into a scratch directory,
# then import the installed module and check its API and stub.
#   tests/python/pip_install.sh PYTHON EXAMPLE_DIR TARGET_DIR
# The build uses the venv's pinned scikit-build-core and nanobind (no build isolation).
#
# Then that the install is self-contained, as a wheel shipped to Spark executors must be
# (issue #27 item 6), in three checks that each fail on a module linked to Debian's
# shared Abseil as it was before:
#  1. every library the module and its bundled libraries need (DT_NEEDED) is either in
#     the install directory or a base-system library a manylinux wheel may assume;
#  2. imported with a cleared environment (no LD_LIBRARY_PATH), every libabsl mapped in
#     the process (/proc/self/maps) comes from the install directory, none from /usr;
#  3. where a mount namespace can be made (root, or unprivileged user namespaces), the
#     system's libabsl_* files are hidden behind empty files — first proved hidden, as a
#     control — and the module is imported and used there.
set -euo pipefail
python="$1" src="$2" target="$3"
rm -rf "$target"
CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --no-deps --target "$target" "$src"
test -f "$target/payments_features.pyi" || { echo "no typing stub installed"; exit 1; }
grep -q "class OnlineEvaluator" "$target/payments_features.pyi"
PYTHONPATH="$target" "$python" - <<'PY'
import pyarrow as pa
import payments_features as pf
events = pa.table({"user_id": [1, 1], "ts_us": [10, 20], "amount": [5.0, 7.0],
                   "merchant_category": pa.array([1, 2], pa.int32()), "card_present": [True, False]})
table = pf.training_set(events, pa.table({"user_id": [1], "ts_us": [21]}))
assert table.column("spend_1h").to_pylist() == [12.0], table
online = pf.OnlineEvaluator()
assert online.ingest(events)["accepted"] == 2
assert online.features([1], 21)[0, 0] == 12.0
PY

# 1. Closure: what each ELF file needs is in the directory or in the base system.
base='^(ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libdl\.so\.2|librt\.so\.1|libpthread\.so\.0|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
bundled=0
for lib in "$target"/*.so*; do
  case "$lib" in *.so|*.so.*) ;; *) continue ;; esac
  [[ "$(basename "$lib")" == payments_features.* ]] || bundled=$((bundled + 1))
  while read -r needed; do
    if [[ ! -f "$target/$needed" ]] && ! [[ "$needed" =~ $base ]]; then
      echo "FAIL: $(basename "$lib") needs $needed, which is neither in the wheel nor a base-system library"
      exit 1
    fi
  done < <(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
readelf -d "$target"/payments_features.*.so | grep -q '(RPATH).*\$ORIGIN' \
  || { echo "FAIL: the module's DT_RPATH is not \$ORIGIN"; exit 1; }

# 2. Loaded from the wheel, with a cleared environment.
smoke=$(cat <<'PY'
import sys
import pyarrow as pa
import payments_features as pf
events = pa.table({"user_id": [1, 1], "ts_us": [10, 20], "amount": [5.0, 7.0],
                   "merchant_category": pa.array([1, 2], pa.int32()), "card_present": [True, False]})
assert pf.training_set(events, pa.table({"user_id": [1], "ts_us": [21]})).column("spend_1h").to_pylist() == [12.0]
maps = {line.split()[-1] for line in open("/proc/self/maps") if "libabsl" in line}
outside = sorted(p for p in maps if not p.startswith(sys.argv[1] + "/"))
assert maps and not outside, f"Abseil loaded from outside the wheel: {outside or 'none loaded'}"
print(f"{len(maps)} Abseil libraries, all from the wheel")
PY
)
env -i PATH=/usr/bin:/bin HOME="${HOME:-/tmp}" PYTHONPATH="$target" "$python" -c "$smoke" "$target"

# 3. With the system's Abseil hidden.
hide=$(cat <<'SH'
set -e
for f in /usr/lib/x86_64-linux-gnu/libabsl_*.so.*; do
  [ -L "$f" ] || mount --bind /dev/null "$f"
done
if "$1" -c 'import ctypes; ctypes.CDLL("libabsl_hash.so.20220623")' 2>/dev/null; then
  echo "FAIL: the control could still load the system's libabsl_hash"; exit 1
fi
env -i PATH=/usr/bin:/bin HOME=/tmp PYTHONPATH="$2" "$1" -c "$3" "$2"
echo "imported with the system's Abseil hidden"
SH
)
if ls /usr/lib/x86_64-linux-gnu/libabsl_hash.so.* >/dev/null 2>&1; then
  if unshare -m true 2>/dev/null; then ns=(unshare -m)
  elif unshare -rm true 2>/dev/null; then ns=(unshare -rm)
  else ns=(); echo "note: no mount namespace here, so check 3 (hidden system Abseil) is not run"; fi
  if ((${#ns[@]})); then "${ns[@]}" bash -c "$hide" hide "$python" "$target" "$smoke"; fi
fi
echo "OK: pip install built $target/payments_features ($bundled libraries bundled)"
